"""Checked model -> live Excel workbook (XlsxWriter), laid out in the spirit of the FAST standard.

Sheets (exports/sheets/, one module each): Cover (scenario selector, master check, how to read),
Inputs (blue values, one column per scenario, a live column picked by the selector, sources),
Calculations (one row per quantity, one column per period, formulas that keep their shape across
a row, in the model's sections), Annual and Quarterly (a monthly or quarterly model's series
rolled up by live formulas), Checks, Constants (every number a formula uses), Charts, and
Scenarios / Simulation when needed. Every number is in the unit its row states, as the command
line prints it; every formula cell also stores the engine's value.

The workbook is written to a temporary file beside the target and renamed into place
(engine/files.py), so a failure leaves any existing file untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import xlsxwriter.worksheet
from xlsxwriter.utility import xl_rowcol_to_cell, xl_rowcol_to_cell_fast

from ..engine import builtins, files, ir
from ..engine.diagnostics import Diagnostic

FORECAST = "forecast("  # engine/actuals.py forecast_name: forecast(revenue)

from .book import Book, ExportError
from .formula_text import CLASSIC_FUNCTIONS, classic  # noqa: F401 (CLASSIC_FUNCTIONS re-exported)
from .formulas import Unsupported
from .layout import FIRST_PERIOD_COL, sheet_ref
from .sheets import calculations, charts, checks, constants, cover, inputs, rollups, simulation, vintages
from .sheets import whatif as whatif_sheets

RESERVED_NAMES = {"scenario", "scenario_index", "scenario_names", "all_checks_ok"}


# ---------------------------------------------------------------------------- writer speed

class _Worksheet(xlsxwriter.worksheet.Worksheet):
    """XlsxWriter spends most of a large export in _prepare_formula: about 30 regex substitutions
    per formula that add `_xlfn.` prefixes to functions newer than Excel 2007. The exporter only
    emits the classic functions above, for which that preparation is just dropping the `=`;
    anything else still goes through XlsxWriter's own preparation."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        if formula.startswith("=") and classic(formula):
            return formula[1:]
        return super()._prepare_formula(formula, expand_future_functions)

    def write_classic_formula(self, row: int, col: int, formula: str, cell_format, value) -> None:
        """Store a formula whose template was checked with classic(): what write_formula would
        store for it, without its per-cell regex passes for dynamic-array and future functions
        (none of which a classic formula contains). 400,000 cells: about 5 s less."""
        if self._check_dimensions(row, col):
            raise Unsupported(f"cell {row},{col} is outside the sheet")
        self.table[row][col] = xlsxwriter.worksheet.CellFormulaTuple(formula[1:], cell_format, value)


    def _write_cell(self, row: int, col: int, cell) -> None:
        """The XML of a formula cell with a format and a number stored, as XlsxWriter writes it
        (same bytes, tested), without its attribute list and type dispatch: most of a large
        workbook is such cells. Everything else goes to XlsxWriter."""
        if type(cell) is _FORMULA_CELL and type(cell.value) is float and cell.format is not None:
            formula = cell.formula
            if "&" in formula or "<" in formula or ">" in formula:
                formula = formula.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{cell.format._get_xf_index()}">'
                          f"<f>{formula}</f><v>{cell.value}</v></c>")
            return
        super()._write_cell(row, col, cell)


_FORMULA_CELL = xlsxwriter.worksheet.CellFormulaTuple


# ---------------------------------------------------------------------------- names


_A1 = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_R1C1 = re.compile(r"^[Rr]([0-9]*)([Cc]([0-9]*))?$|^[Cc][0-9]*$")


def looks_like_cell(name: str) -> bool:
    """CAP2025 is cell CAP2025 in Excel; R1C1, R, C12 are R1C1-style references."""
    # Conservative, as XlsxWriter is: any 1-3 letters followed by digits (q0, XFE1, CAP2025).
    return bool(_A1.match(name) or _R1C1.match(name)) or name.upper() in ("TRUE", "FALSE")


def excel_name(name: str) -> str:
    """The workbook's defined name for a model quantity: the name itself, or `_` + name where
    Excel would read it as a cell reference or it clashes with the workbook's own names.
    Reversible: model names never need the prefix, so a leading `_` is dropped to read it back.
    An item row `revenue[na, chat]` is `revenue.na.chat`: model names and items never contain a
    dot, so it cannot collide with a quantity's name or another row's (the block is `revenue`).
    `forecast(revenue)` (engine/actuals.py) is `_forecast.revenue`: no model name maps to it."""
    if name.startswith(FORECAST) and name.endswith(")"):
        return "_forecast." + excel_name(name[len(FORECAST):-1])
    if name.endswith("]") and "[" in name:
        quantity, _, items = name[:-1].partition("[")
        return excel_name(quantity) + "." + ".".join(i.strip() for i in items.split(","))
    if looks_like_cell(name) or name.lower() in RESERVED_NAMES or name.startswith("_"):
        return "_" + name
    return name


def model_name(defined: str) -> str:
    if defined.startswith("_forecast."):
        quantity, bracket, items = model_name(defined[len("_forecast."):]).partition("[")
        return f"{FORECAST}{quantity}){bracket}{items}"
    quantity, *items = defined.split(".")
    quantity = quantity[1:] if quantity.startswith("_") else quantity
    return f"{quantity}[{', '.join(items)}]" if items else quantity


# ---------------------------------------------------------------------------- export


@dataclass(frozen=True)
class WhatIf:
    """What `export` was asked to add: a goal seek's solution (its value written into the input's
    cell), a tornado, a data table (engine/solve.py, sensitivity.py, datatable.py results), and
    the command that refreshes them."""

    solution: object = None
    sensitivity: object = None
    table: object = None
    command: str = ""


def export_workbook(model, path, scenario: str = "base", simulation=None, whatif: WhatIf = WhatIf()) -> dict:
    """Write the workbook for `model` (an engine.Model) with `scenario` selected. Returns a summary."""
    files.check_output(path, [model.file])  # before the work: a bad path is a usage error, not a lost export
    scenarios = model.scenarios
    if scenario not in scenarios:
        model.checked(scenario)  # raises the engine's unknown-scenario diagnostic
    checked = {s: model.checked(s) for s in scenarios}
    results = {s: model.run(s) for s in scenarios}
    if whatif.solution is not None:
        whatif_sheets.apply_solution(model, checked, results, whatif.solution)
    _check_names(checked["base"])
    with files.replacing(path, [model.file]) as tmp:
        book = Book(tmp, model, checked, results, scenario, simulation, _Worksheet)
        try:
            _write(book)
            _write_whatif(book, whatif)
        except BaseException:
            book.wb.fileclosed = True  # XlsxWriter's destructor would write the half-made file after we remove it
            raise
        book.wb.close()
    return {"quantities": len(checked["base"].quantities), "checks": len(checked["base"].checks),
            "formula_cells": book.formula_cells, "scenarios": book.scenarios, "selected": scenario,
            "path": str(path)}


def _write(book: Book):
    # Tabs in this order; rows are placed before any formula is written (formulas refer across sheets).
    book.cover_ws = book.sheet("Cover")
    book.inputs_ws = book.sheet("Inputs")
    book.calcs_ws = book.sheet("Calculations")
    rollup_sheets = [(by, title, book.sheet(title)) for by, title in rollups.wanted(book)]
    book.checks_ws = book.sheet("Checks")
    book.constants_ws = book.sheet("Constants")
    book.charts_ws = book.sheet("Charts")
    inputs.place(book)
    calculations.place(book)
    try:
        inputs.write(book)
        calculations.write(book)
        for by, title, ws in rollup_sheets:
            rollups.write(book, by, title, ws)
        checks.write(book)
        vintages.write(book)  # the depreciation triangles the formulas above asked for
    except Unsupported as err:  # not tied to one equation (each equation's own is located)
        raise ExportError([Diagnostic("export-unsupported", f"cannot export to Excel: {err}", None,
                                      hint="simplify the model, or report it if Excel should express it")])
    cover.write(book)
    constants.write(book)
    charts.write(book)
    if book.simulation is not None:
        simulation.write(book)
    _define_names(book)


def _write_whatif(book: Book, whatif: WhatIf) -> None:
    if whatif.solution is not None:
        whatif_sheets.write_solved(book, whatif.solution, whatif.command)
    if whatif.sensitivity is not None:
        whatif_sheets.write_sensitivity(book, whatif.sensitivity, whatif.command)
    if whatif.table is not None:
        whatif_sheets.write_table(book, whatif.table, whatif.command)


def _check_names(checked: ir.CheckedModel):
    seen: dict[str, str] = {}
    problems = []
    for name in checked.quantities:
        defined = excel_name(name).lower()
        if defined in seen:
            problems.append(Diagnostic("export-unsupported", f"`{name}` and `{seen[defined]}` are the same name "
                                       "to Excel (names are case-insensitive)", None,
                                       hint="rename one of them"))
        seen[defined] = name
    if problems:
        raise ExportError(problems)


def _define_names(book: Book):
    wb = book.wb
    wb.define_name("scenario", "=Cover!$B$4")
    wb.define_name("scenario_index", "=Cover!$B$5")
    wb.define_name("scenario_names", "=" + book.scenario_names_ref)
    if book.base.checks:
        wb.define_name("all_checks_ok", "=Cover!$B$6")
    for name in book.base.quantities:
        place = book.layout.places[name]
        if place.column is not None:
            ref = f"={sheet_ref(place.sheet)}!{xl_rowcol_to_cell(place.row, place.column, True, True)}"
        else:
            ref = "=" + book.layout.row_range(name, 0, book.n - 1, "")
        wb.define_name(excel_name(name), ref)
    dims = book.base.dimensions
    for quantity in dims.of:  # a block: every item row of a dimensioned quantity, when they are adjacent
        rows = dims.names(quantity)
        places = [book.layout.places[r] for r in rows]
        first, last = places[0], places[-1]
        if {(p.sheet, p.column) for p in places} != {(first.sheet, first.column)} or \
                last.row - first.row != len(rows) - 1:
            continue
        a, b = (first.column, first.column) if first.column is not None else (FIRST_PERIOD_COL, FIRST_PERIOD_COL + book.n - 1)
        ref = (f"={sheet_ref(first.sheet)}!{xl_rowcol_to_cell(first.row, a, True, True)}:"
               f"{xl_rowcol_to_cell(last.row, b, True, True)}")
        wb.define_name(excel_name(quantity), ref)
