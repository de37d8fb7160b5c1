"""Inputs: every input in blue, in the model's order and sections. A single value has a column
per scenario (a scenario that keeps the base value links to it, grey) and a live column picked
with INDEX by the scenario chosen on the Cover; a series has a live row and one row per scenario
that changes it, picked by name with MATCH. Values are in the unit the row states."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell

from .. import limits
from ..book import FIRST_PERIOD_COL, Book, Place
from ..formulas import Unsupported

SCALAR_HEADER = 4  # row of the single values' header
LIVE_COL, SOURCE_COL, FIRST_SCENARIO_COL = 2, 3, 4


def place(book: Book):
    qs = book.base.quantities
    scalars = [n for n, q in qs.items() if q.kind == "input" and not q.series]
    series = [n for n, q in qs.items() if q.kind == "input" and q.series]
    rows, book.input_scalar_sections = book.section_rows(scalars, SCALAR_HEADER + 1)
    for name, r in rows.items():
        book.layout.places[name] = Place("Inputs", r, LIVE_COL)
    last = max(list(rows.values()) + [r for r, _ in book.input_scalar_sections] + [SCALAR_HEADER])
    book.series_title_row = last + 3
    book.series_header_row = last + 4
    # each series: a section row when the section changes, its live row, then a row per variant
    book.series_input_rows, book.input_series_sections = {}, []
    r, current = book.series_header_row + 1, None
    for name in series:
        section = book.sections.get(name)
        if section and section != current:
            book.input_series_sections.append((r, section))
            r, current = r + 1, section
        book.layout.places[name] = Place("Inputs", r, None)
        variants = book.input_variants(name)
        book.series_input_rows[name] = {s: r + 1 + k for k, s in enumerate(variants)}
        r += 2 + len(variants)
    book.scalar_inputs, book.series_inputs = scalars, series
    book.fits(columns=FIRST_SCENARIO_COL + len(book.scenarios), what=f"{len(book.scenarios):,} scenarios "
              "(a column each)", most=f"{limits.MAX_COLUMNS - FIRST_SCENARIO_COL:,} scenarios")
    book.fits(rows=r, what="this many rows of inputs", most=f"{limits.MAX_ROWS:,} rows")


def write(book: Book):
    ws = book.inputs_ws
    book.text(ws, 0, 0, "Inputs", book.f_title, widen=False)
    book.text(ws, 1, 0, "Blue cells are inputs, in the unit of their row (type 8% in a % or %/year row, 55 "
                        "in a 'billion USD/GW' row). The live value follows the scenario chosen on the Cover; a grey "
                        "scenario cell keeps the base value.", widen=False)
    header = ["Input", "Unit", "Live value", "Source"] + book.scenarios
    for c, text in enumerate(header):
        book.text(ws, SCALAR_HEADER, c, text, book.f_header)
    for r, title in book.input_scalar_sections:
        book.text(ws, r, 0, title, book.f_section, widen=False)
    sel = book.selected_results()
    for name in book.scalar_inputs:
        _scalar(book, ws, book.base.quantities[name], sel)
    _series(book, ws, sel)
    ws.freeze_panes(SCALAR_HEADER + 1, LIVE_COL + 1)
    book.size_columns(ws, maximum=48)
    book.print_setup(ws, label_columns=2, header_row=SCALAR_HEADER)


def _label(book: Book, ws, r: int, q):
    book.text(ws, r, 0, q.name, book.f_bold)
    book.text(ws, r, 1, book.layout.styles[q.name].unit)
    if q.note:
        ws.write_comment(r, 0, q.note[:limits.MAX_CELL_TEXT], {"x_scale": 3, "y_scale": 1.5})
    if q.sources:
        text = "\n".join(f"{s.file}" + (f" ({s.date})" if s.date else "") + (f": «{s.quote}»" if s.quote else "")
                         for s in q.sources)
        first = text.splitlines()[0]
        book.text(ws, r, SOURCE_COL, first + (" (+ more)" if len(q.sources) > 1 else ""), widen=False)
        book.widen(ws, SOURCE_COL, min(len(first), 40))
        ws.write_comment(r, SOURCE_COL, text[:limits.MAX_CELL_TEXT], {"x_scale": 3, "y_scale": 2})


def _scalar(book: Book, ws, q, sel):
    r = book.layout.places[q.name].row
    _label(book, ws, r, q)
    fmt_in, fmt_follow = book.fmt(q, input_cell=True), book.fmt(q, follows=True)
    variants = book.input_variants(q.name)
    base_cell = xl_rowcol_to_cell(r, FIRST_SCENARIO_COL)
    base_value = book.checked["base"].quantities[q.name].value[0]
    for k, s in enumerate(book.scenarios):
        if s in variants:
            book.write_value(ws, r, FIRST_SCENARIO_COL + k, q, book.checked[s].quantities[q.name].value[0], fmt_in)
        else:  # this scenario keeps the base value: a live link to it
            book.formula(ws, r, FIRST_SCENARIO_COL + k, f"={base_cell}", base_value, q, fmt_follow)
    if len(variants) > 1:  # INDEX, not CHOOSE: any number of scenarios
        first = xl_rowcol_to_cell(r, FIRST_SCENARIO_COL, col_abs=True)
        last = xl_rowcol_to_cell(r, FIRST_SCENARIO_COL + len(book.scenarios) - 1, col_abs=True)
        formula = f"=INDEX({first}:{last},1,scenario_index)"
    else:
        formula = f"={base_cell}"
    book.formula(ws, r, LIVE_COL, formula, sel.values[q.name][0], q, book.fmt(q))
    _count_validation(book, ws, r, q)


def _count_validation(book: Book, ws, r: int, q):
    """An input that counts periods (a lag, a depreciation life) accepts only the whole numbers
    of periods its scenario's formulas allow (engine/period_counts.py): typing 2.5, or a lag that would
    read before the timeline, is refused by the spreadsheet instead of being truncated by INDEX."""
    kind = book.base.timeline.kind
    for k, s in enumerate(book.scenarios):
        limit = book.checked[s].counts.get(q.name)
        if limit is None:
            continue
        cell = xl_rowcol_to_cell(r, FIRST_SCENARIO_COL + k)
        per_cell = limit.per_unit / book.layout.cell_factor(q.name)  # periods per unit the cell shows
        x = cell if per_cell == 1 else f"{cell}*{per_cell!r}"
        unit = book.layout.styles[q.name].unit
        ws.data_validation(r, FIRST_SCENARIO_COL + k, r, FIRST_SCENARIO_COL + k, {
            "validate": "custom", "ignore_blank": False,  # a blank lag would read the current period
            "value": f"=AND(ISNUMBER({cell}),ABS({x}-ROUND({x},0))<1E-9,ROUND({x},0)>=1,ROUND({x},0)<={limit.most})",
            "error_title": f"{q.name}: whole {kind}s",
            "error_message": (f"{q.name} counts {kind}s ({limit.uses})"[:160] +
                              f": a whole number of {kind}s from 1 to {limit.most}" +
                              (f", typed in {unit}" if unit and per_cell != 1 else ""))[:255],
        })


def _series(book: Book, ws, sel):
    if not book.series_inputs:
        return
    start = book.series_header_row
    book.text(ws, book.series_title_row, 0, "Input series", book.f_title, widen=False)
    for c, text in enumerate(["Input", "Unit", "Scenario", "Source"]):
        book.text(ws, start, c, text, book.f_header)
    book.period_headers(ws, start)
    for r, title in book.input_series_sections:
        book.text(ws, r, 0, title, book.f_section, widen=False)
    for name in book.series_inputs:
        q = book.base.quantities[name]
        place = book.layout.places[name]
        rows = book.series_input_rows[name]
        _label(book, ws, place.row, q)
        book.text(ws, place.row, 2, "live")
        fmt_in, fmt_live = book.fmt(q, input_cell=True), book.fmt(q)
        for s, r in rows.items():
            book.text(ws, r, 2, s)
            variant = book.checked[s].quantities[name]
            for i in range(book.n):
                if variant.defined is None or variant.defined[i]:
                    book.write_value(ws, r, FIRST_PERIOD_COL + i, q, variant.value[i], fmt_in)
        for i in range(book.n):
            defined = [book.checked[s].quantities[name].defined[i] for s in rows]
            if not any(defined):
                continue
            if not all(defined):
                raise Unsupported(f"input `{name}` has a value for {book.base.timeline.label(i)} in some "
                                  "scenarios only")
            col = FIRST_PERIOD_COL + i
            base_ref = xl_rowcol_to_cell(rows["base"], col, True, False)
            if len(rows) > 1:  # the rows of the scenarios that change it, found by name; else the base row
                first, last = min(r for s, r in rows.items() if s != "base"), max(rows.values())
                values = f"{xl_rowcol_to_cell(first, col, True, False)}:{xl_rowcol_to_cell(last, col, True, False)}"
                formula = f"=IFERROR(INDEX({values},MATCH(scenario,$C${first + 1}:$C${last + 1},0)),{base_ref})"
            else:
                formula = f"={base_ref}"
            book.formula(ws, place.row, col, formula, sel.values[name][i], q, fmt_live)
