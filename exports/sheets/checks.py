"""Checks: each of the model's checks as a live TRUE/FALSE formula, per period where it holds
over periods, with the overall result in the Holds column; FALSE is painted red, TRUE green."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell

from ..book import FIRST_PERIOD_COL, HEADER_ROW, Book
from ..formula_text import render

HOLDS_COL = 1


def write(book: Book) -> list[str]:
    ws = book.checks_ws
    book.text(ws, 0, 0, "Checks", book.f_title, widen=False)
    book.text(ws, 1, 0, "Each check is a live TRUE/FALSE formula; the Cover counts those that fail.", widen=False)
    for c, text in enumerate(["Check", "Holds", "Periods", ""]):
        book.text(ws, HEADER_ROW, c, text, book.f_header)
    book.period_headers(ws, HEADER_ROW)
    sel = book.selected_results()
    outcome = {c["name"]: c["passed"] for c in sel.checks}
    per_period = dict(book.model.evaluator(book.selected).check_values(sel.values))
    fmt = book.fmt(None)
    cells = []
    for k, check in enumerate(book.base.checks):
        r = HEADER_ROW + 1 + k
        book.text(ws, r, 0, check.name)
        scenario_checks = [next(c for c in book.checked[s].checks if c.name == check.name) for s in book.scenarios]
        variants = [check] if all(c.expr == check.expr for c in scenario_checks) else scenario_checks
        template = book.by_scenario(f'check "{check.name}"', variants, "Checks", None)
        if check.start is None:
            book.formula(ws, r, HOLDS_COL, template, 1.0 if outcome[check.name] else 0.0, None, fmt)
        else:
            truth = next(v for c, v in per_period.items() if c.name == check.name)
            truth = truth.reshape(-1, truth.shape[-1]).all(axis=0)
            for i in range(check.start, check.stop + 1):
                book.formula(ws, r, FIRST_PERIOD_COL + i, render(template, FIRST_PERIOD_COL + i, book.letters),
                             1.0 if truth[i - check.start] else 0.0, None, fmt)
            first = xl_rowcol_to_cell(r, FIRST_PERIOD_COL + check.start)
            last = xl_rowcol_to_cell(r, FIRST_PERIOD_COL + check.stop)
            book.formula(ws, r, HOLDS_COL, f"=AND({first}:{last})", 1.0 if outcome[check.name] else 0.0, None, fmt)
            book.text(ws, r, 2, book.base.timeline.range_text(check.start, check.stop))
        cells.append(xl_rowcol_to_cell(r, HOLDS_COL, True, True))
    book.check_rows = (HEADER_ROW + 1, HEADER_ROW + len(book.base.checks))
    if book.base.checks:
        last_col = FIRST_PERIOD_COL + book.n - 1
        paint_truth(book, ws, HEADER_ROW + 1, HOLDS_COL, HEADER_ROW + len(book.base.checks), last_col)
    book.widen(ws, HOLDS_COL, 6)
    book.size_columns(ws, minimum=4, maximum=70)
    book.print_setup(ws, label_columns=2)
    return cells


def paint_truth(book: Book, ws, first_row: int, first_col: int, last_row: int, last_col: int):
    """Conditional formatting: FALSE red, TRUE green; blank and text cells stay as they are (a
    plain `= FALSE` rule would paint blanks, which compare equal to FALSE)."""
    red = book.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
    green = book.wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    top_left = xl_rowcol_to_cell(first_row, first_col)
    for test, fmt in ((f"AND(ISLOGICAL({top_left}),NOT({top_left}))", red), (f"AND(ISLOGICAL({top_left}),{top_left})", green)):
        ws.conditional_format(first_row, first_col, last_row, last_col,
                              {"type": "formula", "criteria": "=" + test, "format": fmt})
