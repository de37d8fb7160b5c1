"""What-if sheets, written when asked: Sensitivity (`export --sensitivity OUTPUT`: the tornado
table and its chart) and Data table (`export --table OUTPUT --table-vary a=LO..HI:N`). Both hold
the engine's values, labelled as such, not live formulas.

Why not a live data table ({=TABLE()}, LibreOffice's MULTIPLE.OPERATIONS): measured in
tests/test_datatable_spreadsheets.py, LibreOffice recalculates a data table written into the file
only when told to recalculate every xlsx file on load; with its default settings the table's
cells open empty, wrong numbers an analyst would trust. Excel also wants a data table's input
cells on the table's own sheet, which the Inputs sheet's live cells are not. The engine's
values are right wherever the file is opened; the sheet says how to refresh them."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np

from ...engine import report
from ...engine.diagnostics import Diagnostic, ModelError
from ...engine.solve import input_at

from ..book import Book
from .checks import paint_truth
from .inputs import FIRST_SCENARIO_COL

NOTE_COLUMNS = 11  # the note spans these columns, wrapped, and so does the printed page (the chart's width)


def _format(book: Book, values):
    """One number format for a block of values, with the command line's decimals for them."""
    digits = report.decimals([abs(float(v)) for v in values])
    return book.number_format("#,##0" + ("." + "0" * digits if digits else ""))


def _note(book: Book, ws, row: int, text: str) -> None:
    """What the sheet holds and the command that refreshes it, wrapped across the printed width
    (on one line it widened the printed page to its length)."""
    wrap = book.wb.add_format({"text_wrap": True, "valign": "top"})
    ws.merge_range(row, 0, row, NOTE_COLUMNS - 1, text, wrap)
    ws.set_row(row, 15 * (1 + len(text) // 110))


def write_sensitivity(book: Book, result, command: str) -> None:
    ws = book.sheet("Sensitivity")
    base, unit = result.shown(result.name, result.base)
    book.text(ws, 0, 0, f"Sensitivity of {result.output} (scenario {result.scenario})", book.f_title, widen=False)
    _note(book, ws, 1, "Values computed by unitsheet, not live formulas: each input alone at the ends of its range "
                       f"(or +- a percent), the others at base. Refresh with: {command}")
    book.text(ws, 2, 0, f"{result.output} at every input's base", widen=False)
    ws.write_number(2, 5, base, _format(book, [base]))
    book.text(ws, 2, 6, unit, widen=False)
    shown = f" ({unit})" if unit else ""
    header = ["Input", "How", "Low", "High", "Unit", f"{result.output} at low{shown}", f"{result.output} at high{shown}",
              f"Swing{shown}"]
    first = 4
    for c, text in enumerate(header):
        book.text(ws, first, c, text, book.f_header)
    outputs = _format(book, [base] + [result.shown(result.name, v)[0] for sw in result.swings
                                      for v in (sw.output_low, sw.output_high)])
    for r, s in enumerate(result.swings, first + 1):
        (low, input_unit), (high, _) = result.shown(s.input, s.low), result.shown(s.input, s.high)
        (at_low, _), (at_high, _) = result.shown(result.name, s.output_low), result.shown(result.name, s.output_high)
        book.text(ws, r, 0, s.input, book.f_bold)
        book.text(ws, r, 1, s.how)
        inputs = _format(book, [low, high])
        for c, value, fmt in ((2, low, inputs), (3, high, inputs), (5, at_low, outputs), (6, at_high, outputs),
                              (7, abs(at_high - at_low), outputs)):
            if value == value:  # a blank where the model has no value there
                ws.write_number(r, c, value, fmt)
        book.text(ws, r, 4, input_unit)
    last = first + len(result.swings)
    if result.swings:
        _tornado(book, ws, first, last, base, unit, result.output)
    book.size_columns(ws, minimum=6, maximum=40)
    book.print_setup(ws, label_columns=1, header_row=first)
    ws.print_area(0, 0, last + 4 + (200 + 36 * (last - first)) // 20, NOTE_COLUMNS - 1)


def _tornado(book: Book, ws, first: int, last: int, base: float, unit: str, output: str) -> None:
    """Bars from the base value (the vertical axis crosses there) to the output at each end,
    the largest swing on top."""
    chart = book.wb.add_chart({"type": "bar"})
    for col, name in ((5, "input at low"), (6, "input at high")):
        chart.add_series({"name": name, "categories": ["Sensitivity", first + 1, 0, last, 0],
                          "values": ["Sensitivity", first + 1, col, last, col], "gap": 40, "overlap": 100})
    chart.set_title({"name": f"{output}: each input at its ends"})
    chart.set_x_axis({"name": unit, "crossing": base})
    chart.set_y_axis({"reverse": True, "label_position": "low"})  # the names at the left, not on the base line
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 200 + 36 * (last - first)})
    ws.insert_chart(last + 2, 0, chart)


def write_table(book: Book, table, command: str) -> None:
    ws = book.sheet("Data table")
    book.text(ws, 0, 0, f"Data table of {table.output} (scenario {table.scenario})", book.f_title, widen=False)
    _note(book, ws, 1, "Values computed by unitsheet, not a live data table (a spreadsheet's does not recalculate "
                       f"where LibreOffice opens it by default). Refresh with: {command}")
    out, unit = table.shown(table.name, table.values)
    first, first_unit = table.shown(table.axes[0].quantity, table.axes[0].values)
    top = 3
    if len(table.axes) == 1:
        book.text(ws, top, 0, f"{table.axes[0].name} ({first_unit})".replace(" ()", ""), book.f_header)
        book.text(ws, top, 1, f"{table.output} ({unit})".replace(" ()", ""), book.f_header)
        grid = out.reshape(-1, 1)
    else:
        second, second_unit = table.shown(table.axes[1].quantity, table.axes[1].values)
        book.text(ws, top - 1, 1, f"{table.axes[1].name} ({second_unit}) across; {table.output} in {unit or 'plain numbers'}"
                  .replace(" ()", ""), widen=False)
        book.text(ws, top, 0, f"{table.axes[0].name} ({first_unit}) down".replace(" ()", ""), book.f_header)
        for c, x in enumerate(second, 1):
            ws.write_number(top, c, float(x), book.f_header)
        grid = out
    cells = _format(book, grid.reshape(-1))
    for r, (x, row) in enumerate(zip(first, grid), top + 1):
        ws.write_number(r, 0, float(x), book.f_bold)
        for c, y in enumerate(row, 1):
            if y == y:
                ws.write_number(r, c, float(y), cells)
    book.size_columns(ws, minimum=8, maximum=40)
    book.print_setup(ws, label_columns=1, header_row=top)
    ws.print_area(0, 0, top + len(first), max(NOTE_COLUMNS - 1, grid.shape[1]))


# ------------------------------------------------------------------------------ export --solve


def apply_solution(model, checked: dict, results: dict, solution) -> None:
    """The solved value (the root nearest the base) as the scenario's value of the input, in the
    checked models and results the workbook is written from (in place). The Inputs sheet holds
    single values in cells; one period of a series input is `unitsheet solve`'s."""
    scenario = solution.scenario
    name, period = input_at(checked[scenario], solution.vary)
    if period is not None or not solution.roots:
        raise ModelError([Diagnostic("usage", f"export writes a solved single value into its cell; `{solution.vary}` is "
                                     "one period of a series" if period is not None else "the goal seek found no root",
                                     None, hint="use `unitsheet solve` for it")])
    q = checked[scenario].quantities[name]
    solved = replace(q, inputs=replace(q.inputs, value=np.array([solution.roots[0].value])))
    quantities = MappingProxyType({**checked[scenario].quantities, name: solved})
    checked[scenario] = replace(checked[scenario], quantities=quantities)
    results[scenario] = model.run(scenario, overrides=solution.as_override())


def write_solved(book: Book, solution, command: str) -> None:
    """A note on the solved input's cell and, under the model's checks, a live row that holds
    while the target does (to a millionth of it, or of the solver's own residual)."""
    name, target = solution.vary, solution.target
    root = solution.roots[0]
    others = "" if len(solution.roots) == 1 else \
        f" Other roots in the bracket: {', '.join(solution.shown(name, r.value) for r in solution.roots[1:])}."
    book.inputs_ws.write_comment(book.layout.places[name].row,
                                 FIRST_SCENARIO_COL + book.scenarios.index(solution.scenario),
                                 f"Solved by unitsheet: {name} = {solution.shown(name, root.value)} makes "
                                 f"{target.text} (scenario {solution.scenario}).{others} {command}",
                                 {"x_scale": 3, "y_scale": 2})
    ws = book.checks_ws
    r = (book.check_rows[1] if book.base.checks else book.check_rows[0] - 1) + 2
    style = book.layout.styles[target.name]
    cell = book.layout.cell(target.name, target.period or 0, "Checks")
    goal = style.to_cell(target.value)
    tolerance = max(1e-6 * abs(target.value), 10 * abs(root.achieved - target.value), 1e-12)
    in_cell = abs(style.to_cell(target.value + tolerance) - goal)
    book.text(ws, r, 0, f"solved: {name} = {solution.shown(name, root.value)} gives {target.text} "
                        f"(scenario {solution.scenario}; not a model check)")
    holds = 1.0 if abs(root.achieved - target.value) <= tolerance else 0.0
    book.formula(ws, r, 1, f"=ABS({cell}-{goal!r})<={in_cell!r}", holds, None, book.fmt(None))
    paint_truth(book, ws, r, 1, r, 1)
