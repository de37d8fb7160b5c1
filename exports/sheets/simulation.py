"""Simulation: Monte Carlo percentiles as labelled results (values, not formulas: a spreadsheet
has no sampler), in the units the rows of the other sheets show."""

from __future__ import annotations

from ..book import FIRST_PERIOD_COL, HEADER_ROW, Book
from ..layout import values_format


def write(book: Book):
    sim = book.simulation
    ws = book.sheet("Simulation")
    book.text(ws, 0, 0, "Simulation", book.f_title, widen=False)
    book.text(ws, 1, 0, f"{sim.samples:,} Monte Carlo samples (seed {sim.seed}) of scenario {sim.model.scenario}, "
                        f"{sim.percentile_note()}; results, not live formulas: the rest of the workbook stays the live "
                        "model.", widen=False)
    for c, text in enumerate(["Quantity", "Unit", "Statistic", "Value"]):
        book.text(ws, HEADER_ROW, c, text, book.f_header)
    book.period_headers(ws, HEADER_ROW)
    row = HEADER_ROW + 1
    for name, q in sim.model.quantities.items():
        if q.unit is None or (q.kind == "input" and q.distribution is None):
            continue
        base_q = book.base.quantities[name]
        style = book.layout.styles[name]
        summary = sim.summary(name)
        # the quantity's statistics in one format, for their values (a p5 of 0.894 was General)
        fmt = book.number_format(values_format(style, [style.to_cell(v) for values in summary.values()
                                                       for v in values if v is not None]))
        for stat, values in summary.items():
            book.text(ws, row, 0, name, book.f_bold)
            book.text(ws, row, 1, style.unit)
            book.text(ws, row, 2, stat)
            for i, v in enumerate(values):
                if v is not None:
                    book.write_value(ws, row, FIRST_PERIOD_COL + i if q.series else 3, base_q, v, fmt)
            row += 1
    row += 1
    book.text(ws, row, 0, "Probability that each check holds", book.f_bold, widen=False)
    percent = book.number_format("0.0%")
    for name, p in sim.check_probability.items():
        row += 1
        book.text(ws, row, 0, name, widen=False)
        ws.write_number(row, 2, p, percent)
    row = _correlations(book, ws, row + 2)
    ws.freeze_panes(HEADER_ROW + 1, FIRST_PERIOD_COL)
    book.size_columns(ws, minimum=4, maximum=40)
    book.print_setup(ws, label_columns=2)


def _correlations(book: Book, ws, row: int) -> int:
    """The stated rank correlations the samples were drawn with, each with its note or source."""
    pairs = [(a, b, rho, c) for c in book.simulation.model.correlations for a, b, rho in c.pairs()]
    if not pairs:
        return row
    book.text(ws, row, 0, "Rank (Spearman) correlations the inputs were drawn with", book.f_bold, widen=False)
    for a, b, rho, corr in pairs:
        row += 1
        book.text(ws, row, 0, f"{a} with {b}", widen=False)
        ws.write_number(row, 2, rho)
        cited = corr.sources[0].file if corr.sources else corr.note
        if cited:
            book.text(ws, row, 3, cited, widen=False)
    return row
