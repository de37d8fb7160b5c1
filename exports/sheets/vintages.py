"""Vintages: one straight-line depreciation triangle per depreciation() call, the FAST layout:
a row per vintage (the period the capex is spent in), a column per period, each cell the share
of that vintage's capex charged in that period; the quantity reads the column's total. The life
and the first-period share are cells of their own (the life reads its input), so an analyst who
changes the life sees every vintage recompute."""

from __future__ import annotations

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ...engine import builtins
from ...engine.compiler import whole_periods
from ...engine.evaluate import Evaluator

from ..book import FIRST_PERIOD_COL, Book
from ..layout import VINTAGES

LIFE_COL, NUMBER_COL, CAPEX_COL = 2, 1, 2


def write(book: Book) -> None:
    blocks = list(book.layout.vintages.values())
    if not blocks:
        return
    ws = book.sheet(VINTAGES)
    book.text(ws, 0, 0, "Vintages", book.f_title, widen=False)
    book.text(ws, 1, 0, "Straight-line depreciation by vintage: each row spreads one period's capex over the life; "
                        "the total row is what the Calculations sheet reads.", widen=False)
    tl = book.base.timeline
    sel = book.selected_results()
    evaluator: Evaluator = book.model.evaluator(book.selected)
    for block in blocks:
        node = block.node
        x = book.base.quantities[node.name]
        life_text = book.emitter.formula(node.life, VINTAGES, block.owner, cell_factor=1.0)
        life_text = f"=ROUND({life_text.lstrip('=')},0)"  # 36 months in years is 2.9999999999999996 periods
        life = float(np.asarray(evaluator.compile([node.life])(sel.env, 0, 1), dtype=float).reshape(-1)[0])
        r = block.first_row
        args = f"{node.name}, {_number(life)}" + (f", {_number(node.first)}" if node.first else "")
        book.text(ws, r, 0, f"{block.owner} = depreciation({args})", book.f_section, widen=False)
        book.text(ws, block.life_row, 0, f"life ({tl.kind}s)")
        ws.write_formula(block.life_row, LIFE_COL, life_text, book.f_bold, life)
        book.formula_cells += 1
        book.text(ws, block.share_row, 0, "share of a charge in the capex's own period")
        ws.write_number(block.share_row, LIFE_COL, node.first, book.f_input)
        book.text(ws, block.number_row, 0, "period number", book.f_follow)
        for i in range(len(tl)):
            ws.write_number(block.number_row, FIRST_PERIOD_COL + i, i + 1, book.f_follow)
        for c, text in enumerate(["vintage", "number", f"{node.name} ({book.layout.styles[node.name].unit})"]):
            book.text(ws, block.header_row, c, text, book.f_header)
        book.period_headers(ws, block.header_row)
        _triangle(book, ws, block, x, sel.values[node.name], life)
    book.size_columns(ws, minimum=4, maximum=50)
    book.print_setup(ws, label_columns=3)


def _triangle(book: Book, ws, block, x, capex: np.ndarray, life: float) -> None:
    tl, n = book.base.timeline, block.periods
    fmt = book.fmt(x)
    L = xl_rowcol_to_cell(block.life_row, LIFE_COL, True, True)
    share = xl_rowcol_to_cell(block.share_row, LIFE_COL, True, True)
    # the engine's values, stored beside the formulas: each vintage's charges, and their totals
    whole = whole_periods(np.array([life]), n)
    shares = _shares(whole, block.node.first, n) if whole else np.full(n, np.nan)
    totals = builtins.vintage_depreciation(np.asarray(capex, dtype=float).copy(), whole, block.node.first) \
        if whole else np.full(n, np.nan)
    for v in range(n):
        r = block.vintage_row(v)
        book.text(ws, r, 0, tl.label(v))
        ws.write_number(r, NUMBER_COL, v + 1, book.f_follow)
        book.formula(ws, r, CAPEX_COL, "=" + book.layout.cell(x.name, v, VINTAGES), capex[v], x, fmt)
        V, X = xl_rowcol_to_cell(r, NUMBER_COL, False, True), xl_rowcol_to_cell(r, CAPEX_COL, False, True)
        for i in range(n):
            c = FIRST_PERIOD_COL + i
            P = xl_rowcol_to_cell(block.number_row, c, True, False)
            text = f"=IF({P}={V},{share},IF(AND({P}>{V},{P}<{V}+{L}),1,IF({P}={V}+{L},1-{share},0)))*{X}/{L}"
            charge = capex[v] * shares[i - v] / whole if whole and i >= v else (0.0 if whole else np.nan)
            book.formula(ws, r, c, text, charge, x, fmt)
    total = block.total_row
    book.text(ws, total, 0, f"{block.owner}: total", book.f_bold)
    for i in range(n):
        c = FIRST_PERIOD_COL + i
        first, last = xl_rowcol_to_cell(block.vintage_row(0), c), xl_rowcol_to_cell(block.vintage_row(n - 1), c)
        book.formula(ws, total, c, f"=SUM({first}:{last})", totals[i], x, fmt)


def _shares(life: int, first: float, n: int) -> np.ndarray:
    """The share of one charge a vintage takes k periods after it is spent, k = 0..n-1
    (builtins.vintage_depreciation's rule: first, then full charges, then the rest of the first)."""
    k = np.arange(n)
    return np.where(k == 0, first, np.where(k < life, 1.0, np.where(k == life, 1.0 - first, 0.0)))


def _number(value: float) -> str:
    return f"{value:g}"
