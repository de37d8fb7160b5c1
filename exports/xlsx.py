"""Checked model -> live Excel workbook (XlsxWriter), laid out in the spirit of the FAST standard.

Sheets: Cover (scenario selector, master check, how to read), Inputs (blue values, one column per
scenario, a live column picked by the selector, sources), Calculations (one row per quantity,
one column per period, formulas that keep their shape across a row), Checks, Constants (every
number a formula uses), Charts. Every formula cell also stores the engine's value.

The workbook is written to a temporary file beside the target and renamed into place, so a
failure leaves any existing file untouched.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from engine import files, ir, report
from engine.diagnostics import Diagnostic, Label, ModelError

from . import limits
from .formulas import Emitter, Unsupported, relative_column, render

FIRST_PERIOD_COL = 4  # column E: periods start here on Inputs (series), Calculations and Checks
HEADER_ROW = 3  # row 4 (0-based 3) holds the timeline on period sheets
MAX_TEXT = 32_767  # Excel's limit for a cell's text
RESERVED_NAMES = {"scenario", "scenario_index", "scenario_names", "all_checks_ok"}
INPUT_BLUE = "#0000FF"


class ExportError(ModelError):
    pass


# ---------------------------------------------------------------------------- writer speed

_FUNCTION = re.compile(r"([A-Z][A-Z0-9.]*)\(")
CLASSIC_FUNCTIONS = frozenset({"SUM", "AVERAGE", "MIN", "MAX", "NPV", "IF", "ABS", "ROUND", "CHOOSE", "EXP", "LN",
                               "AND", "OR", "NOT", "TRUE", "FALSE", "MATCH"})


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


def classic(formula: str) -> bool:
    """Does the formula call only CLASSIC_FUNCTIONS (no `_xlfn.` prefix or dynamic array needed)?"""
    return all(f in CLASSIC_FUNCTIONS for f in _FUNCTION.findall(formula))


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
    Reversible: model names never need the prefix, so a leading `_` is dropped to read it back."""
    if looks_like_cell(name) or name.lower() in RESERVED_NAMES or name.startswith("_"):
        return "_" + name
    return name


def model_name(defined: str) -> str:
    return defined[1:] if defined.startswith("_") else defined


# ---------------------------------------------------------------------------- layout


@dataclass
class Place:
    sheet: str
    row: int  # 0-based
    column: int | None  # the value column for a single value; None for a series (period columns)


@dataclass
class _Layout:
    """Where every quantity and constant lives; answers the emitter's address questions."""

    places: dict[str, Place] = field(default_factory=dict)
    constants: dict[float, tuple[int, str]] = field(default_factory=dict)  # value -> (row, label)
    constants_start: int = 3

    def _ref(self, sheet: str, row: int, col: int, abs_row=True, abs_col=True) -> str:
        return f"{_sheet_ref(sheet)}!{xl_rowcol_to_cell(row, col, abs_row, abs_col)}"

    def cell(self, name, column, absolute_column=True):
        place = self.places[name]
        if place.column is not None:
            return self._ref(place.sheet, place.row, place.column)
        return self._ref(place.sheet, place.row, FIRST_PERIOD_COL + column, abs_row=True, abs_col=absolute_column)

    def relative_cell(self, name, offset):
        place = self.places[name]
        return f"{_sheet_ref(place.sheet)}!{relative_column(offset)}${place.row + 1}"

    def row_range(self, name, first, last):
        place = self.places[name]
        a = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + first, True, True)
        b = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + last, True, True)
        return f"{_sheet_ref(place.sheet)}!{a}:{b}"

    def running_range(self, name):
        place = self.places[name]
        a = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL, True, True)
        return f"{_sheet_ref(place.sheet)}!{a}:{relative_column(0)}${place.row + 1}"

    def period_header(self):
        return f"Calculations!{relative_column(0)}${HEADER_ROW + 1}"

    def constant(self, value, label):
        if value not in self.constants:
            self.constants[value] = (self.constants_start + len(self.constants), label)
        row, _ = self.constants[value]
        return f"Constants!{xl_rowcol_to_cell(row, 2, True, True)}"


def _sheet_ref(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z]+", sheet) else f"'{sheet}'"


# ---------------------------------------------------------------------------- export


def export_workbook(model, path: Path, scenario: str = "base", simulation=None) -> dict:
    """Write the workbook for `model` (an engine.Model) with `scenario` selected. Returns a summary."""
    files.check_output(path, [model.file])  # before the work: a bad path is a usage error, not a lost export
    scenarios = model.scenarios
    if scenario not in scenarios:
        model.checked(scenario)  # raises the engine's unknown-scenario diagnostic
    checked = {s: model.checked(s) for s in scenarios}
    results = {s: model.run(s) for s in scenarios}
    base = checked["base"]
    _check_names(base)
    with files.replacing(path, [model.file]) as tmp:
        summary = _Writer(tmp, model, checked, results, scenario, simulation).write()
    summary["path"] = str(path)
    return summary


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


class _Writer:
    def __init__(self, tmp: str, model, checked: dict, results: dict, scenario: str, simulation=None):
        self.tmp = tmp
        self.model = model
        self.simulation = simulation
        self.checked = checked
        self.results = results
        self.selected = scenario
        self.base: ir.CheckedModel = checked["base"]
        self.scenarios = list(checked)
        self.n = len(self.base.timeline)
        self.layout = _Layout()
        self.formula_cells = 0
        self.scenario_map = None  # the Scenarios sheet, made when a formula needs it
        self.scenario_map_columns = 0
        self.letters = [xl_col_to_name(c) for c in range(FIRST_PERIOD_COL + self.n + 2)]

    # ------------------------------------------------------------------ main
    def write(self) -> dict:
        wb = xlsxwriter.Workbook(self.tmp, {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        self.wb = wb
        try:
            self._write_sheets()
        except BaseException:
            wb.fileclosed = True  # XlsxWriter's destructor would write the half-made file after we remove it
            raise
        wb.close()
        return {"quantities": len(self.base.quantities), "checks": len(self.base.checks),
                "formula_cells": self.formula_cells, "scenarios": self.scenarios, "selected": self.selected}

    def _write_sheets(self):
        wb = self.wb
        self._formats()
        sheet = _Worksheet
        self.cover = wb.add_worksheet("Cover", sheet)
        self.inputs = wb.add_worksheet("Inputs", sheet)
        self.calcs = wb.add_worksheet("Calculations", sheet)
        self.checks_ws = wb.add_worksheet("Checks", sheet)
        self.constants_ws = wb.add_worksheet("Constants", sheet)
        self.charts_ws = wb.add_worksheet("Charts", sheet)
        self._place_quantities()
        self.emitter = Emitter(self.layout, self.base.units)
        try:
            self._write_inputs()
            self._write_calculations()
            check_cells = self._write_checks()
        except Unsupported as err:  # not tied to one equation (each equation's own is located)
            raise ExportError([Diagnostic("export-unsupported", f"cannot export to Excel: {err}", None,
                                          hint="simplify the model, or report it if Excel should express it")])
        self._write_cover(check_cells)
        self._write_constants()
        self._write_charts()
        if self.simulation is not None:
            self._write_simulation()
        self._define_names()

    def _formats(self):
        wb = self.wb
        self.f_title = wb.add_format({"bold": True, "font_size": 16})
        self.f_bold = wb.add_format({"bold": True})
        self.f_header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"})
        self.f_period = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "num_format": "0"})
        self.f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.f_text = wb.add_format({})
        self.f_selector = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "font_color": INPUT_BLUE})
        self.f_ok = wb.add_format({"bold": True})
        self._number_formats: dict[tuple[str, bool], object] = {}

    def _fmt(self, num_format: str, input_cell: bool):
        key = (num_format, input_cell)
        if key not in self._number_formats:
            props = {"num_format": num_format}
            if input_cell:
                props.update(font_color=INPUT_BLUE, bg_color="#FFFFE0")
            self._number_formats[key] = self.wb.add_format(props)
        return self._number_formats[key]

    def _num_format(self, q: ir.Quantity) -> str:
        if q.unit is None:
            return "General"
        values = self.results["base"].values[q.name]
        shown, _ = report.display(q, values, self.base.units)
        if q.unit == self.base.units.percent:
            return '0.0"%"'
        finite = values[np.isfinite(values)]
        if q.unit == self.base.units.dimensionless and (finite == np.round(finite)).all() and \
                (np.abs(finite) < 10_000).all():
            return "General"  # years, counts, switches: 2027, not 2,027.00 (and 2.5 if an analyst types it)
        scale = q.display_scale or _scale_of(shown)
        commas = {"thousand": ",", "million": ",,", "billion": ",,,", "trillion": ",,,,"}.get(scale, "")
        unit_text = (q.unit_text or self.base.units.short(q.unit)).replace('"', "")
        label = {"billion": " bn ", "million": " m ", "thousand": " k ", "trillion": " tn "}.get(scale, " ") + unit_text
        if not unit_text:
            label = ""
        digits = "0.00" if not commas else "0.0"
        code = f'#,##{digits}{commas}"{label.rstrip()}"' if label.strip() else f"#,##{digits}"
        if len(code) > limits.MAX_NUMBER_FORMAT:  # a long unit name: the Unit column shows it anyway
            code = f"#,##{digits}{commas}"
        return code

    # ------------------------------------------------------------------ placement
    def _place_quantities(self):
        row_scalar, row_series = 5, None
        qs = self.base.quantities
        scalar_inputs = [q for q in qs.values() if q.kind == "input" and not q.series]
        series_inputs = [q for q in qs.values() if q.kind == "input" and q.series]
        for q in scalar_inputs:
            self.layout.places[q.name] = Place("Inputs", row_scalar, 2)
            row_scalar += 1
        self.series_input_start = row_scalar + 3
        row_series = self.series_input_start + 1
        self.series_input_rows: dict[str, dict[str, int]] = {}
        for q in series_inputs:
            variants = self._variants(q.name)
            self.layout.places[q.name] = Place("Inputs", row_series, None)
            rows = {}
            for k, s in enumerate(variants):
                rows[s] = row_series + 1 + k
            self.series_input_rows[q.name] = rows
            row_series += 2 + len(variants)
        row = HEADER_ROW + 2
        for q in qs.values():
            if q.kind == "formula":
                self.layout.places[q.name] = Place("Calculations", row, None if q.series else 2)
                row += 1
        self.scalar_inputs, self.series_inputs = scalar_inputs, series_inputs
        self._fits(columns=FIRST_PERIOD_COL + self.n, what=f"a timeline of {self.n:,} periods",
                   most=f"{limits.MAX_COLUMNS - FIRST_PERIOD_COL:,} periods")
        self._fits(columns=5 + len(self.scenarios), what=f"{len(self.scenarios):,} scenarios (a column each)",
                   most=f"{limits.MAX_COLUMNS - 5:,} scenarios")
        self._fits(rows=max(row, row_series, HEADER_ROW + 2 + len(self.base.checks)),
                   what="this many rows of quantities", most=f"{limits.MAX_ROWS:,} rows")

    def _fits(self, what: str, most: str, columns: int = 0, rows: int = 0):
        if columns > limits.MAX_COLUMNS or rows > limits.MAX_ROWS:
            raise ExportError([Diagnostic("export-limit", f"cannot export to Excel: {what} do not fit in a sheet",
                                          None, hint=f"a sheet holds at most {most}")])

    def _variants(self, name: str) -> list[str]:
        """base, plus every scenario whose value for this input differs."""
        out = ["base"]
        base = self.checked["base"].quantities[name].value
        for s in self.scenarios[1:]:
            other = self.checked[s].quantities[name].value
            if other.shape != base.shape or not np.array_equal(other, base, equal_nan=True):
                out.append(s)
        return out

    # ------------------------------------------------------------------ inputs
    def _write_inputs(self):
        ws = self.inputs
        ws.write_string(0, 0, "Inputs", self.f_title)
        ws.write_string(1, 0, "Blue cells are inputs. The live column follows the scenario chosen on the Cover; "
                              "edit a scenario's column to change it.", self.f_text)
        header = ["Input", "Unit", "Live value", "Source"] + [f"{s}" for s in self.scenarios] + ["Note"]
        for c, text in enumerate(header):
            ws.write_string(4, c, text, self.f_header)
        sel = self._selected_results()
        for q in self.scalar_inputs:
            place = self.layout.places[q.name]
            r = place.row
            ws.write_string(r, 0, q.name, self.f_bold)
            ws.write_string(r, 1, _unit_label(q, self.base), self.f_text)
            self._write_source(ws, r, 3, q)
            fmt_in = self._fmt(self._num_format(q), True)
            fmt_follow = self._fmt(self._num_format(q), False)
            variants = self._variants(q.name)
            base_cell = xl_rowcol_to_cell(r, 4)
            for k, s in enumerate(self.scenarios):
                if s in variants:
                    self._write_value(ws, r, 4 + k, self.checked[s].quantities[q.name], 0, fmt_in)
                else:  # this scenario keeps the base value: a live link to it
                    self._formula(ws, r, 4 + k, f"={base_cell}", self.checked["base"].quantities[q.name].value[0],
                                  q, fmt_follow)
            if len(variants) > 1:  # INDEX, not CHOOSE: any number of scenarios
                last = xl_rowcol_to_cell(r, 3 + len(self.scenarios), col_abs=True)
                formula = f"=INDEX({xl_rowcol_to_cell(r, 4, col_abs=True)}:{last},1,scenario_index)"
            else:
                formula = f"={base_cell}"
            self._formula(ws, r, 2, formula, sel.values[q.name][0], q, self._fmt(self._num_format(q), False))
            if q.note:
                ws.write_string(r, 4 + len(self.scenarios), _clip(q.note), self.f_text)
        # Series inputs: a live row, then one row per scenario that sets its values.
        start = self.series_input_start
        ws.write_string(start - 1, 0, "Input series", self.f_title)
        ws.write_string(start, 0, "Input", self.f_header)
        ws.write_string(start, 1, "Unit", self.f_header)
        ws.write_string(start, 2, "Scenario", self.f_header)
        ws.write_string(start, 3, "Source", self.f_header)
        for i, period in enumerate(self.base.timeline.periods):
            ws.write_number(start, FIRST_PERIOD_COL + i, period, self.f_period)
        for q in self.series_inputs:
            place = self.layout.places[q.name]
            rows = self.series_input_rows[q.name]
            ws.write_string(place.row, 0, q.name, self.f_bold)
            ws.write_string(place.row, 1, _unit_label(q, self.base), self.f_text)
            ws.write_string(place.row, 2, "live", self.f_text)
            self._write_source(ws, place.row, 3, q)
            fmt_in = self._fmt(self._num_format(q), True)
            fmt_live = self._fmt(self._num_format(q), False)
            for s, r in rows.items():
                ws.write_string(r, 2, s, self.f_text)
                variant = self.checked[s].quantities[q.name]
                for i in range(self.n):
                    if variant.defined is None or variant.defined[i]:
                        self._write_value(ws, r, FIRST_PERIOD_COL + i, variant, i, fmt_in)
            for i in range(self.n):
                defined = [self.checked[s].quantities[q.name].defined[i] for s in rows]
                if not any(defined):
                    continue
                if not all(defined):
                    raise Unsupported(f"input `{q.name}` has a value for {self.base.timeline.periods[i]} in some "
                                      "scenarios only")
                col = FIRST_PERIOD_COL + i
                base_ref = xl_rowcol_to_cell(rows["base"], col, True, False)
                if len(rows) > 1:  # the rows of the scenarios that change it, found by name; else the base row
                    first, last = min(r for s, r in rows.items() if s != "base"), max(rows.values())
                    values = f"{xl_rowcol_to_cell(first, col, True, False)}:{xl_rowcol_to_cell(last, col, True, False)}"
                    names = f"$C${first + 1}:$C${last + 1}"
                    formula = f"=IFERROR(INDEX({values},MATCH(scenario,{names},0)),{base_ref})"
                else:
                    formula = f"={base_ref}"
                self._formula(ws, place.row, col, formula, sel.values[q.name][i], q, fmt_live)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 14)
        ws.set_column(3, 3, 40)
        ws.set_column(FIRST_PERIOD_COL, FIRST_PERIOD_COL + max(self.n, len(self.scenarios) + 1), 12)

    def _write_value(self, ws, r, c, q: ir.Quantity, i: int, fmt):
        value = float(q.value[i])
        if q.unit is None:
            ws.write_boolean(r, c, bool(value), fmt)
        else:
            ws.write_number(r, c, value, fmt)

    def _write_source(self, ws, r, c, q: ir.Quantity):
        if not q.sources:
            return
        text = "\n".join(f"{s.file}" + (f" ({s.date})" if s.date else "") + (f": «{s.quote}»" if s.quote else "")
                         for s in q.sources)
        ws.write_string(r, c, _clip(text.splitlines()[0] + (" (+ more)" if len(q.sources) > 1 else "")), self.f_text)
        ws.write_comment(r, c, _clip(text), {"x_scale": 3, "y_scale": 2})

    # ------------------------------------------------------------------ calculations
    def _selected_results(self):
        return self.results[self.selected]

    def _write_calculations(self):
        ws = self.calcs
        ws.write_string(0, 0, "Calculations", self.f_title)
        ws.write_string(1, 0, f"Scenario shown in stored values: {self.selected}. Every cell is a live formula.",
                        self.f_text)
        for c, text in enumerate(["Quantity", "Unit", "Value", "Note"]):
            ws.write_string(HEADER_ROW, c, text, self.f_header)
        for i, period in enumerate(self.base.timeline.periods):
            ws.write_number(HEADER_ROW, FIRST_PERIOD_COL + i, period, self.f_period)
        ws.freeze_panes(HEADER_ROW + 1, FIRST_PERIOD_COL)
        sel = self._selected_results()
        for q in self.base.quantities.values():
            if q.kind != "formula":
                continue
            place = self.layout.places[q.name]
            ws.write_string(place.row, 0, q.name, self.f_bold)
            ws.write_string(place.row, 1, _unit_label(q, self.base), self.f_text)
            if q.note:
                ws.write_string(place.row, 3, _clip(q.note), self.f_text)
            fmt = self._fmt(self._num_format(q), False)
            variants = self._formula_variants(q.name)
            values = sel.values[q.name]
            row_values = values.tolist()
            if not q.series:
                text = self._by_scenario(q.name, [v.equations[0] for v in variants])
                self._formula(ws, place.row, 2, text, values[0], q, fmt)
                continue
            templates: dict[tuple, str] = {}  # one template per equation (per scenario variant)
            for i in range(self.n):
                eqs = [_equation_at(v, i) for v in variants]
                if all(e is None for e in eqs):
                    continue
                if any(e is None for e in eqs):
                    raise self._located(Unsupported(f"`{q.name}` has a value for {self.base.timeline.periods[i]} "
                                                    "in some scenarios only"), q.name,
                                        next(e for e in eqs if e is not None), None)
                key = tuple(id(e) for e in eqs)
                if key not in templates:
                    template = self._by_scenario(q.name, eqs)
                    templates[key] = (template, classic(template))
                template, is_classic = templates[key]
                text = render(template, FIRST_PERIOD_COL + i, self.letters)
                self._formula(ws, place.row, FIRST_PERIOD_COL + i, text, row_values[i], q, fmt, is_classic)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 14)
        ws.set_column(3, 3, 30)
        ws.set_column(FIRST_PERIOD_COL, FIRST_PERIOD_COL + self.n, 12)

    def _formula_variants(self, name: str) -> list[ir.Quantity]:
        """The quantity as each scenario computes it; a single entry when no scenario changes it."""
        base = self.checked["base"].quantities[name]
        variants = [self.checked[s].quantities[name] for s in self.scenarios]
        if all(_same_equations(v, base) for v in variants):
            return [base]
        for s, v in zip(self.scenarios, variants):
            if v.unit != base.unit or v.series != base.series:
                raise Unsupported(f"scenario `{s}` changes the unit or shape of `{name}`")
        return variants

    def _emit(self, name: str, equations: list) -> list[str]:
        """The formula of each scenario's equation (one entry when no scenario changes it); what
        Excel cannot express is an error at the equation, naming the scenario that causes it."""
        out = []
        for k, eq in enumerate(equations):
            try:
                out.append(self.emitter.formula(eq.expr))
            except Unsupported as err:
                scenario = self.scenarios[k] if len(equations) > 1 and k > 0 else None
                raise self._located(err, name, eq, scenario) from None
        return out

    def _located(self, err: Unsupported, name: str, where, scenario: str | None) -> "ExportError":
        span = getattr(where, "span", None)
        return ExportError([Diagnostic("export-unsupported", f"cannot export `{name}` to Excel: {err}", span,
                                       (Label(span, name),) if span else (),
                                       hint="split the formula into named steps, or report it if Excel should "
                                            "express it", scenario=scenario)], self.base.sources_text)

    def _by_scenario(self, name: str, items: list) -> str:
        """One formula (a template) for an equation or check that may differ by scenario (items:
        one per scenario, or a single one): CHOOSE(scenario_index, ...) over every scenario while
        LibreOffice's CHOOSE can hold them, else CHOOSE over the distinct formulas with the
        scenario's choice looked up in the Scenarios sheet. The final formula is checked against
        the spreadsheet limits; what breaks one is an error at the equation."""
        formulas = self._emit(name, items)
        distinct = list(dict.fromkeys(formulas))
        if len(distinct) == 1:
            text = distinct[0]
        elif len(formulas) <= limits.MAX_CHOOSE_VALUES:
            text = "=CHOOSE(scenario_index," + ",".join(f[1:] for f in formulas) + ")"
        elif len(distinct) <= limits.MAX_CHOOSE_VALUES:
            choice = self._scenario_map_column(name, [distinct.index(f) + 1 for f in formulas])
            text = f"=CHOOSE(INDEX({choice},scenario_index)," + ",".join(f[1:] for f in distinct) + ")"
        else:
            raise self._located(Unsupported(f"its scenarios use {len(distinct)} different formulas; a spreadsheet "
                                            f"formula chooses among at most {limits.MAX_CHOOSE_VALUES}"),
                                name, items[0], None)
        problems = limits.formula_problems(text)
        if problems:
            k = next((k for k, f in enumerate(formulas) if limits.formula_problems(f)), 0)
            scenario = self.scenarios[k] if len(items) > 1 and k > 0 else None
            raise self._located(Unsupported("; ".join(problems)), name, items[k], scenario)
        return text

    def _scenario_map_column(self, name: str, choices: list[int]) -> str:
        """A column of the Scenarios sheet: for each scenario (a row), which of `name`'s distinct
        formulas it uses. Returns the column's absolute range."""
        if self.scenario_map is None:
            ws = self.scenario_map = self.wb.add_worksheet("Scenarios", _Worksheet)
            ws.write_string(0, 0, "Scenarios", self.f_title)
            ws.write_string(1, 0, "For each quantity whose formula differs by scenario: which of its formulas "
                                  "(1, 2, ...: the CHOOSE arguments after the INDEX) each scenario uses.", self.f_text)
            ws.write_string(HEADER_ROW, 0, "#", self.f_header)
            ws.write_string(HEADER_ROW, 1, "Scenario", self.f_header)
            for k, scenario in enumerate(self.scenarios):
                ws.write_number(HEADER_ROW + 1 + k, 0, k + 1)
                ws.write_string(HEADER_ROW + 1 + k, 1, scenario, self.f_text)
            ws.set_column(1, 1, 24)
        col = 2 + self.scenario_map_columns
        self.scenario_map_columns += 1
        if col >= limits.MAX_COLUMNS:
            raise Unsupported(f"more than {limits.MAX_COLUMNS - 2:,} quantities differ by scenario")
        ws = self.scenario_map
        ws.write_string(HEADER_ROW, col, _clip(name), self.f_header)
        for k, choice in enumerate(choices):
            ws.write_number(HEADER_ROW + 1 + k, col, choice)
        first = xl_rowcol_to_cell(HEADER_ROW + 1, col, True, True)
        last = xl_rowcol_to_cell(HEADER_ROW + len(choices), col, True, True)
        return f"Scenarios!{first}:{last}"

    def _formula(self, ws, r, c, text, value, q, fmt, is_classic=False):
        """Write a live formula with the engine's value stored beside it. q None: a TRUE/FALSE cell.
        is_classic: the formula's template passed classic()."""
        value = float(value)
        if q is None or q.unit is None:
            stored = bool(value)
        elif math.isfinite(value):
            stored = value
        else:
            stored = ""
        if is_classic:
            ws.write_classic_formula(r, c, text, fmt, stored)
        else:
            ws.write_formula(r, c, text, fmt, stored)
        self.formula_cells += 1

    # ------------------------------------------------------------------ checks
    def _write_checks(self) -> list[str]:
        ws = self.checks_ws
        ws.write_string(0, 0, "Checks", self.f_title)
        ws.write_string(1, 0, "Each check is a live TRUE/FALSE formula; the Cover shows whether all hold.", self.f_text)
        for c, text in enumerate(["Check", "Holds", "Periods", ""]):
            ws.write_string(HEADER_ROW, c, text, self.f_header)
        for i, period in enumerate(self.base.timeline.periods):
            ws.write_number(HEADER_ROW, FIRST_PERIOD_COL + i, period, self.f_period)
        sel = self._selected_results()
        outcome = {c["name"]: c["passed"] for c in sel.checks}
        cells = []
        fmt = self._fmt("General", False)
        for k, check in enumerate(self.base.checks):
            r = HEADER_ROW + 1 + k
            ws.write_string(r, 0, _clip(check.name), self.f_text)
            scenario_checks = [next(c for c in self.checked[s].checks if c.name == check.name) for s in self.scenarios]
            same = all(c.expr == check.expr for c in scenario_checks)
            variants = [check] if same else scenario_checks
            if check.start is None:
                text = self._by_scenario(f'check "{check.name}"', variants)
                self._formula(ws, r, 1, text, 1.0 if outcome[check.name] else 0.0, None, fmt)
                ws.write_string(r, 2, "", self.f_text)
            else:
                per_period = self._check_period_values(check)
                template = self._by_scenario(f'check "{check.name}"', variants)
                for i in range(check.start, check.stop + 1):
                    text = render(template, FIRST_PERIOD_COL + i, self.letters)
                    self._formula(ws, r, FIRST_PERIOD_COL + i, text, 1.0 if per_period[i - check.start] else 0.0,
                                  None, fmt)
                first = xl_rowcol_to_cell(r, FIRST_PERIOD_COL + check.start)
                last = xl_rowcol_to_cell(r, FIRST_PERIOD_COL + check.stop)
                self._formula(ws, r, 1, f"=AND({first}:{last})", 1.0 if outcome[check.name] else 0.0, None, fmt)
                periods = self.base.timeline.periods
                ws.write_string(r, 2, f"{periods[check.start]}..{periods[check.stop]}", self.f_text)
            cells.append(xl_rowcol_to_cell(r, 1, True, True))
        ws.set_column(0, 0, 70)
        ws.set_column(1, 2, 11)
        self.check_rows = (HEADER_ROW + 1, HEADER_ROW + len(self.base.checks))
        return cells

    def _check_period_values(self, check: ir.Check) -> list[bool]:
        results = self._selected_results()
        evaluator = self.model.evaluator(self.selected)
        values = dict(evaluator.check_values(results.values))
        chk = next(c for c in values if c.name == check.name)
        return list(values[chk].reshape(-1, values[chk].shape[-1]).all(axis=0))

    # ------------------------------------------------------------------ cover, constants, charts
    def _write_cover(self, check_cells: list[str]):
        ws = self.cover
        b = self.base
        ws.write_string(0, 0, _clip(b.title), self.f_title)
        ws.write_string(2, 0, "Timeline", self.f_bold)
        ws.write_string(2, 1, f"{b.timeline.start}..{b.timeline.end} ({b.timeline.frequency})", self.f_text)
        ws.write_string(3, 0, "Scenario", self.f_bold)
        ws.write_string(3, 1, self.selected, self.f_selector)
        ws.data_validation(3, 1, 3, 1, {"validate": "list", "source": "=scenario_names"})
        ws.write_string(3, 2, "<- choose a scenario: the whole workbook recalculates", self.f_text)
        ws.write_string(4, 0, "Scenario number", self.f_bold)
        ws.write_formula(4, 1, "=MATCH(scenario,scenario_names,0)", self.wb.add_format({"num_format": "0"}),
                         self.scenarios.index(self.selected) + 1)
        self.formula_cells += 1
        ws.write_string(5, 0, "All checks hold", self.f_bold)
        all_ok = all(c["passed"] for c in self._selected_results().checks)
        if check_cells:
            first, last = self.check_rows
            self._formula(ws, 5, 1, f"=AND(Checks!$B${first + 1}:$B${last + 1})", 1.0 if all_ok else 0.0, None,
                          self.f_ok)
        else:
            ws.write_boolean(5, 1, True, self.f_ok)
        ws.write_string(7, 0, "Scenarios", self.f_bold)
        for k, s in enumerate(self.scenarios):
            ws.write_string(8 + k, 0, s, self.f_text)
            ws.write_string(8 + k, 1, _clip(b.scenarios.get(s) or ("the model as written" if s == "base" else "")),
                            self.f_text)
        self.scenario_names_ref = f"Cover!$A${9}:$A${8 + len(self.scenarios)}"
        r = 10 + len(self.scenarios)
        guide = [
            "How to read this workbook",
            "Inputs: every input in blue, one column per scenario that changes it; the 'Live value' column follows "
            "the scenario chosen above. Sources are in the Source column and in the cell comments.",
            "Calculations: one row per quantity, one column per period; each cell is a formula that reads the "
            "previous column for lags. Values are stored in the quantity's unit; number formats show the scale.",
            "Constants: every number a formula uses (unit conversion factors, literals), labelled.",
            "Checks: the model's claims as live TRUE/FALSE formulas; 'All checks hold' above combines them.",
            "Every quantity has a defined name equal to its model name (a leading _ is added where Excel would "
            "read the name as a cell reference).",
            f"Generated by unitsheet from {os.path.basename(b.file)}.",
        ]
        ws.write_string(r, 0, guide[0], self.f_bold)
        for k, line in enumerate(guide[1:]):
            ws.write_string(r + 1 + k, 0, line, self.f_text)
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 40)

    def _write_constants(self):
        ws = self.constants_ws
        ws.write_string(0, 0, "Constants", self.f_title)
        ws.write_string(1, 0, "Every number the formulas use, other than 0 and 1.", self.f_text)
        for c, text in enumerate(["#", "Meaning", "Value"]):
            ws.write_string(2, c, text, self.f_header)
        fmt = self._fmt("General", True)
        for value, (row, label) in self.layout.constants.items():
            ws.write_number(row, 0, row - 2)
            ws.write_string(row, 1, _clip(label), self.f_text)
            ws.write_number(row, 2, value, fmt)
        ws.set_column(1, 1, 40)
        ws.set_column(2, 2, 20)

    def _write_charts(self):
        ws = self.charts_ws
        ws.write_string(0, 0, "Key series (base values stored; charts follow the live scenario)", self.f_title)
        groups: dict[str, list[ir.Quantity]] = {}
        for q in self.base.quantities.values():
            if q.kind == "formula" and q.series and q.unit is not None:
                groups.setdefault(self.base.units.short(q.unit), []).append(q)
        row = 2
        for unit, qs in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:4]:
            chart = self.wb.add_chart({"type": "line"})
            for q in qs[:6]:
                place = self.layout.places[q.name]
                first = FIRST_PERIOD_COL
                chart.add_series({
                    "name": q.name,
                    "categories": ["Calculations", HEADER_ROW, first, HEADER_ROW, first + self.n - 1],
                    "values": ["Calculations", place.row, first, place.row, first + self.n - 1],
                })
            chart.set_title({"name": f"Series in {unit}"})
            chart.set_y_axis({"name": unit})
            chart.set_size({"width": 760, "height": 320})
            ws.insert_chart(row, 0, chart)
            row += 17

    def _write_simulation(self):
        """Monte Carlo percentiles as labelled results (values, not formulas: Excel has no sampler)."""
        sim = self.simulation
        ws = self.wb.add_worksheet("Simulation", _Worksheet)
        ws.write_string(0, 0, "Simulation", self.f_title)
        ws.write_string(1, 0, f"{sim.samples:,} Monte Carlo samples (seed {sim.seed}) of scenario {sim.model.scenario}; "
                              "results, not live formulas: the rest of the workbook stays the live base case.", self.f_text)
        for c, text in enumerate(["Quantity", "Unit", "Statistic", ""]):
            ws.write_string(HEADER_ROW, c, text, self.f_header)
        for i, period in enumerate(self.base.timeline.periods):
            ws.write_number(HEADER_ROW, FIRST_PERIOD_COL + i, period, self.f_period)
        row = HEADER_ROW + 1
        for name, q in sim.model.quantities.items():
            if q.unit is None or (q.kind == "input" and q.distribution is None):
                continue
            fmt = self._fmt(self._num_format(self.base.quantities[name]), False)
            for stat, values in sim.summary(name).items():
                ws.write_string(row, 0, name, self.f_bold)
                ws.write_string(row, 1, _unit_label(q, self.base), self.f_text)
                ws.write_string(row, 2, stat, self.f_text)
                for i, v in enumerate(values):
                    if v is not None:
                        ws.write_number(row, FIRST_PERIOD_COL + i if q.series else 3, v, fmt)
                row += 1
        row += 1
        ws.write_string(row, 0, "Probability that each check holds", self.f_bold)
        for name, p in sim.check_probability.items():
            row += 1
            ws.write_string(row, 0, _clip(name), self.f_text)
            ws.write_number(row, 2, p, self.wb.add_format({"num_format": "0.0%"}))
        ws.freeze_panes(HEADER_ROW + 1, FIRST_PERIOD_COL)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 16)

    def _define_names(self):
        wb = self.wb
        wb.define_name("scenario", "=Cover!$B$4")
        wb.define_name("scenario_index", "=Cover!$B$5")
        wb.define_name("scenario_names", "=" + self.scenario_names_ref)
        if self.base.checks:
            wb.define_name("all_checks_ok", "=Cover!$B$6")
        for name, q in self.base.quantities.items():
            place = self.layout.places[name]
            if place.column is not None:
                ref = f"={_sheet_ref(place.sheet)}!{xl_rowcol_to_cell(place.row, place.column, True, True)}"
            else:
                ref = "=" + self.layout.row_range(name, 0, self.n - 1)
            wb.define_name(excel_name(name), ref)


def _equation_at(q: ir.Quantity, i: int):
    for eq in q.equations:
        if eq.start <= i <= eq.stop:
            return eq
    return None


def _same_equations(a: ir.Quantity, b: ir.Quantity) -> bool:
    return a is b or [(e.start, e.stop, e.expr) for e in a.equations] == [(e.start, e.stop, e.expr) for e in b.equations]


def _unit_label(q: ir.Quantity, model) -> str:
    if q.unit is None:
        return "true/false"
    return q.unit_text or model.units.short(q.unit) or "number"


def _scale_of(shown: str) -> str | None:
    word = shown.split(" ", 1)[0]
    return word if word in ("thousand", "million", "billion", "trillion") else None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
