"""What every sheet writer shares: the workbook, its formats, the layout, the emitter, and the
one way to write a live formula (with the engine's value stored, checked against the limits,
an error at its equation when a spreadsheet cannot hold it)."""

from __future__ import annotations

import datetime as _dt

import math

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ..engine.report import display_values
from ..engine import ir
from ..engine.evaluate import LOOP_ITERATIONS
from ..engine.diagnostics import Diagnostic, Label, ModelError
from ..engine.outline import section_of

from . import limits
from .formulas import Emitter, Unsupported
from .layout import FIRST_PERIOD_COL, HEADER_ROW, TRUE_FALSE, Layout, Place, row_style, shown_text

INPUT_BLUE = "#0000FF"
MAX_TEXT = limits.MAX_CELL_TEXT

A4 = 9  # XlsxWriter's paper code
# Points across an A4 landscape page less XlsxWriter's default 0.7 in margins, less 6 %: LibreOffice
# draws a column about 5.5 % wider than Excel does (with Carlito for Calibri; more without it)
PRINTABLE_WIDTH = (841.9 - 2 * 0.7 * 72) * 0.94
PERIODS_ACROSS = 12  # a printed page across holds a year of months, three years of quarters, twelve years
MIN_SCALE = 64  # percent: 11 pt text prints at 7 pt or more (a wider page breaks within its years instead)


class ExportError(ModelError):
    pass


class IterativeWorkbook(xlsxwriter.Workbook):
    """A workbook whose circular references are meant (a model's declared `circular` loops):
    Excel and LibreOffice iterate them, at most LOOP_ITERATIONS passes, until no cell changes by
    more than ITERATE_DELTA. XlsxWriter has no option for it (its _write_calc_pr writes calcId,
    calcMode and fullCalcOnLoad only): this writes the same element with the iterate attributes."""

    def _write_calc_pr(self) -> None:
        attributes = [("calcId", self.calc_id)]
        if self.calc_on_load:
            attributes.append(("fullCalcOnLoad", "1"))
        attributes += [("iterate", "1"), ("iterateCount", str(LOOP_ITERATIONS)), ("iterateDelta", ITERATE_DELTA)]
        self._xml_empty_tag("calcPr", attributes)


# The spreadsheets' iteration stops when no cell changes by more than this (an absolute change,
# in the cells' display units: billions of USD, percent as fractions).
ITERATE_DELTA = "1E-15"


class Book:
    def __init__(self, path: str, model, checked: dict, results: dict, selected: str, simulation, worksheet_class):
        self.model = model
        self.checked = checked
        self.results = results
        self.selected = selected
        self.simulation = simulation
        self.base: ir.CheckedModel = checked["base"]
        self.scenarios = list(checked)
        self.n = len(self.base.timeline)
        self.letters = [xl_col_to_name(c) for c in range(FIRST_PERIOD_COL + self.n + 2)]
        # A model with a declared circular loop needs iterative calculation, with the engine's limits.
        iterative = any(step.loops for c in checked.values() for step in c.plan)
        workbook_class = IterativeWorkbook if iterative else xlsxwriter.Workbook
        self.wb = workbook_class(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
        self.iterative = iterative
        self.worksheet_class = worksheet_class
        self.layout = Layout(timeline=self.base.timeline)
        shown_on = display_values(results["base"])  # a block's rows share one scale: no conversions between items
        for name, q in self.base.quantities.items():
            self.layout.styles[name] = row_style(q, shown_on[name], self.base.units)
        self.emitter = Emitter(self.layout, self.base.units)
        self.sections = section_of(model.module)
        self.formula_cells = 0
        self.scenario_map = None  # the Scenarios sheet, made when a formula needs it
        self.scenario_map_columns = 0
        self.widths: dict[tuple[str, int], int] = {}  # (sheet, column) -> widest text written
        self.column_widths: dict[tuple[str, int], int] = {}  # (sheet, column) -> width set, in characters
        self.period_columns: dict[str, tuple[ir.Timeline, int]] = {}  # sheet -> its timeline, first column
        self._formats: dict[tuple, object] = {}
        self.f_title = self.wb.add_format({"bold": True, "font_size": 16})
        self.f_bold = self.wb.add_format({"bold": True})
        self.f_header = self.wb.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"})
        self._period_formats: dict[str, object] = {}
        self.f_section = self.wb.add_format({"bold": True, "font_size": 12, "bg_color": "#F2F2F2", "top": 1})
        self.f_text = self.wb.add_format({})
        self.f_wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.f_selector = self.wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1,
                                              "font_color": INPUT_BLUE})
        self.f_follow = self.wb.add_format({"font_color": "#808080", "italic": True})
        self.f_input = self.wb.add_format({"font_color": INPUT_BLUE, "bg_color": "#FFFFE0"})

    def period_format(self, number_format: str):
        if number_format not in self._period_formats:
            self._period_formats[number_format] = self.wb.add_format(
                {"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "align": "right", "num_format": number_format})
        return self._period_formats[number_format]

    def period_headers(self, ws, row: int, timeline: ir.Timeline | None = None, first_col: int | None = None):
        """One header cell per period: a real date (the period's last day) shown as 2027, Q3 2027
        or Mar 2027, which formulas read (YEAR, MONTH, in_period's comparisons)."""
        tl = timeline or self.base.timeline
        col0 = FIRST_PERIOD_COL if first_col is None else first_col
        self.period_columns[ws.name] = (tl, col0)  # print_setup pages the sheet by its years
        for i in range(len(tl)):
            ws.write_datetime(row, col0 + i, _dt.datetime.combine(tl.header(i), _dt.time()),
                              self.period_format(tl.header_format(i)))
            self.widen(ws, col0 + i, max(8 if tl.kind == "month" else 7, len(tl.label(i)) + 2))  # FY2026 Q1

    def year_row(self, ws, row: int):
        """Below a sub-annual header: each period's year, calendar or fiscal (what the Annual sheet
        groups by)."""
        tl = self.base.timeline
        if tl.per_year == 1:
            return
        self.text(ws, row, 0, "Fiscal year" if tl.fiscal else "Year", self.f_follow)
        years = tl.calendar("fiscal_year" if tl.fiscal else "year")
        for i in range(len(tl)):
            ws.write_number(row, FIRST_PERIOD_COL + i, float(years[i]), self.f_follow)

    def sheet(self, name: str):
        return self.wb.add_worksheet(name, self.worksheet_class)

    # ------------------------------------------------------------------ formats and widths
    def fmt(self, q: ir.Quantity | None, input_cell: bool = False, follows: bool = False, actual: bool = False):
        """The cell format of a quantity's row (number format from its RowStyle); q None: TRUE/FALSE.
        actual: a period the quantity takes from its actuals (engine/actuals.py), shaded."""
        number_format = self.layout.styles[q.name].number_format if q is not None else TRUE_FALSE
        key = (number_format, input_cell, follows) + ((True,) if actual else ())
        if key not in self._formats:
            props = {"num_format": number_format}
            if input_cell:
                props.update(font_color=INPUT_BLUE, bg_color="#FFFFE0")
            if follows:
                props.update(font_color="#808080", italic=True)
            if actual:
                props.update(bg_color=ACTUAL_SHADE)
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def number_format(self, text: str):
        key = (text, False, False)
        if key not in self._formats:
            self._formats[key] = self.wb.add_format({"num_format": text})
        return self._formats[key]

    def widen(self, ws, col: int, text: str | int):
        """Remember the widest text of a column (the sheets are sized to it at the end)."""
        width = text if isinstance(text, int) else len(text)
        key = (ws.name, col)
        if width > self.widths.get(key, 0):
            self.widths[key] = width

    def text(self, ws, r: int, c: int, value: str, fmt=None, widen: bool = True):
        ws.write_string(r, c, clip(value), fmt or self.f_text)
        if widen:
            self.widen(ws, c, max((len(line) for line in value.splitlines()), default=0))

    def size_columns(self, ws, minimum: int = 6, maximum: int = 60):
        for (sheet, col), width in self.widths.items():
            if sheet == ws.name:
                self.column_widths[sheet, col] = min(maximum, max(minimum, width + 2))
                ws.set_column(col, col, self.column_widths[sheet, col])

    def print_setup(self, ws, label_columns: int | None = 2, header_row: int | None = HEADER_ROW,
                    row_breaks: list[int] | None = None):
        """Landscape A4, the labels and the period header on every page, a header with the model's
        title and a footer with the sheet and page. A sheet with periods prints PERIODS_ACROSS of
        them per page across, at a readable scale; row_breaks: a page starts at each of these rows
        (the Charts sheet's, each chart on a page of its own); any other sheet prints one page wide."""
        ws.set_landscape()
        ws.set_paper(A4)
        if ws.name in self.period_columns:
            self._print_by_years(ws, label_columns or 0)
        elif row_breaks:
            ws.set_h_pagebreaks(row_breaks)  # at 100 %: fitting to a page would drop manual breaks
        else:
            ws.fit_to_pages(1, 0)
        if label_columns:
            ws.repeat_columns(0, label_columns - 1)
        if header_row is not None:
            ws.repeat_rows(header_row)
        title = self.base.title.replace("&", "&&")[:100]
        ws.set_header(f"&L&B{title}&R&A")
        ws.set_footer("&LGenerated by unitsheet&RPage &P of &N")

    def _print_by_years(self, ws, label_columns: int):
        """A page break before every PERIODS_ACROSS periods' worth of whole (fiscal) years, and the
        print scale at which the widest page (the first holds every column left of the periods)
        fits across; never below MIN_SCALE, where Excel and LibreOffice break within the years.
        The print area ends at the last written column: LibreOffice would print long text running
        past it on pages of its own."""
        tl, col0 = self.period_columns[ws.name]
        years = tl.calendar("fiscal_year" if tl.fiscal else "year")
        years_per_page = max(1, PERIODS_ACROSS // tl.per_year)
        firsts = [i for i in range(1, len(tl)) if years[i] != years[i - 1]]  # each year's first period
        breaks = [col0 + i for k, i in enumerate(firsts, 1) if k % years_per_page == 0]
        ends = breaks + [col0 + len(tl)]
        labels = self._printed_width(ws.name, 0, label_columns)
        pages = [self._printed_width(ws.name, 0, ends[0])] + \
            [labels + self._printed_width(ws.name, a, b) for a, b in zip(breaks, ends[1:])]
        ws.set_print_scale(min(100, max(MIN_SCALE, int(100 * PRINTABLE_WIDTH / max(pages)))))
        ws.set_v_pagebreaks(breaks)
        ws.print_area(0, 0, ws.dim_rowmax, ws.dim_colmax)

    def _printed_width(self, sheet: str, first: int, stop: int) -> float:
        """Columns first..stop-1's width in points, as Excel draws a column: 7 pixels a character
        and 5 of padding (8.43 characters where no width was set)."""
        chars = [self.column_widths.get((sheet, c), 8.43) for c in range(first, stop)]
        return sum(int(w * 7 + 0.5) + 5 for w in chars) * 0.75

    # ------------------------------------------------------------------ values and formulas
    def cell_value(self, q: ir.Quantity, value: float):
        """The engine's value as the row shows it (its display unit); a bool for true/false."""
        style = self.layout.styles[q.name]
        if style.cell_factor is None:
            return bool(value)
        return style.to_cell(value)

    def write_value(self, ws, r: int, c: int, q: ir.Quantity, value: float, fmt):
        stored = self.cell_value(q, value)
        if isinstance(stored, bool):
            ws.write_boolean(r, c, stored, fmt)
        else:
            ws.write_number(r, c, stored, fmt)
            self.widen(ws, c, shown_text(stored, self.layout.styles[q.name].number_format))

    def formula(self, ws, r: int, c: int, text: str, value, q: ir.Quantity | None, fmt, is_classic=False,
                style=None):
        """A live formula with the engine's value stored beside it (in the row's display unit, or
        `style`'s). q None: a TRUE/FALSE cell. is_classic: the formula's template passed xlsx.classic()."""
        if q is None or q.unit is None:
            stored = "" if math.isnan(float(value)) else bool(float(value))  # no value: a blank, never TRUE
        else:
            style = style or self.layout.styles[q.name]
            stored = style.to_cell(value)
            if math.isfinite(stored):
                self.widen(ws, c, shown_text(stored, style.number_format))
            else:
                stored = ""
        if is_classic:
            ws.write_classic_formula(r, c, text, fmt, stored)
        else:
            ws.write_formula(r, c, text, fmt, stored)
        self.formula_cells += 1

    def by_scenario(self, name: str, items: list, sheet: str, q: ir.Quantity | None) -> str:
        """One formula (a template) for an equation or check that may differ by scenario (items:
        one per scenario, or a single one): CHOOSE(scenario_index, ...) over every scenario while
        LibreOffice's CHOOSE can hold them, else CHOOSE over the distinct formulas with the
        scenario's choice looked up in the Scenarios sheet. The final formula is checked against
        the spreadsheet limits; what breaks one is an error at the equation."""
        formulas = self._emit(name, items, sheet, q)
        distinct = list(dict.fromkeys(formulas))
        if len(distinct) == 1:
            text = distinct[0]
        elif len(formulas) <= limits.MAX_CHOOSE_VALUES:
            text = "=CHOOSE(scenario_index," + ",".join(f[1:] for f in formulas) + ")"
        elif len(distinct) <= limits.MAX_CHOOSE_VALUES:
            choice = self._scenario_map_column(name, [distinct.index(f) + 1 for f in formulas])
            text = f"=CHOOSE(INDEX({choice},scenario_index)," + ",".join(f[1:] for f in distinct) + ")"
        else:
            raise self.located(Unsupported(f"its scenarios use {len(distinct)} different formulas; a spreadsheet "
                                           f"formula chooses among at most {limits.MAX_CHOOSE_VALUES}"),
                               name, items[0], None)
        problems = limits.formula_problems(text)
        if problems:
            k = next((k for k, f in enumerate(formulas) if limits.formula_problems(f)), 0)
            scenario = self.scenarios[k] if len(items) > 1 and k > 0 else None
            raise self.located(Unsupported("; ".join(problems)), name, items[k], scenario)
        return text

    def _emit(self, name: str, items: list, sheet: str, q: ir.Quantity | None) -> list[str]:
        style = self.layout.styles.get(q.name) if q is not None else None
        out = []
        for k, item in enumerate(items):
            try:
                out.append(self.emitter.formula(item.expr, sheet, name, style.cell_factor if style else None,
                                                style.unit if style else ""))
            except Unsupported as err:
                scenario = self.scenarios[k] if len(items) > 1 and k > 0 else None
                raise self.located(err, name, item, scenario) from None
        return out

    def located(self, err: Unsupported, name: str, where, scenario: str | None) -> ExportError:
        span = getattr(where, "span", None)
        return ExportError([Diagnostic("export-unsupported", f"cannot export `{name}` to Excel: {err}", span,
                                       (Label(span, name),) if span else (),
                                       hint="split the formula into named steps, or report it if Excel should "
                                            "express it", scenario=scenario)], self.base.sources_text)

    def _scenario_map_column(self, name: str, choices: list[int]) -> str:
        """A column of the Scenarios sheet: for each scenario (a row), which of `name`'s distinct
        formulas it uses. Returns the column's absolute range."""
        if self.scenario_map is None:
            ws = self.scenario_map = self.sheet("Scenarios")
            self.text(ws, 0, 0, "Scenarios", self.f_title, widen=False)
            self.text(ws, 1, 0, "For each quantity whose formula differs by scenario: which of its formulas "
                                "(1, 2, ...: the CHOOSE arguments after the INDEX) each scenario uses.", widen=False)
            self.text(ws, HEADER_ROW, 0, "#", self.f_header)
            self.text(ws, HEADER_ROW, 1, "Scenario", self.f_header)
            for k, scenario in enumerate(self.scenarios):
                ws.write_number(HEADER_ROW + 1 + k, 0, k + 1)
                self.text(ws, HEADER_ROW + 1 + k, 1, scenario)
        col = 2 + self.scenario_map_columns
        self.scenario_map_columns += 1
        if col >= limits.MAX_COLUMNS:
            raise Unsupported(f"more than {limits.MAX_COLUMNS - 2:,} quantities differ by scenario")
        ws = self.scenario_map
        self.text(ws, HEADER_ROW, col, name, self.f_header)
        for k, choice in enumerate(choices):
            ws.write_number(HEADER_ROW + 1 + k, col, choice)
        first = xl_rowcol_to_cell(HEADER_ROW + 1, col, True, True)
        last = xl_rowcol_to_cell(HEADER_ROW + len(choices), col, True, True)
        return f"Scenarios!{first}:{last}"

    # ------------------------------------------------------------------ scenarios
    def input_variants(self, name: str) -> list[str]:
        """base, plus every scenario whose value for this input differs."""
        out = ["base"]
        base = self.checked["base"].quantities[name].value
        for s in self.scenarios[1:]:
            other = self.checked[s].quantities[name].value
            if other.shape != base.shape or not np.array_equal(other, base, equal_nan=True):
                out.append(s)
        return out

    def formula_variants(self, name: str) -> list[ir.Quantity]:
        """The quantity as each scenario computes it; a single entry when no scenario changes it."""
        base = self.checked["base"].quantities[name]
        variants = [self.checked[s].quantities[name] for s in self.scenarios]
        if all(_same_equations(v, base) for v in variants):
            return [base]
        for s, v in zip(self.scenarios, variants):
            if v.unit != base.unit or v.series != base.series:
                raise Unsupported(f"scenario `{s}` changes the unit or shape of `{name}`")
        return variants

    def selected_results(self):
        return self.results[self.selected]

    def fits(self, what: str, most: str, columns: int = 0, rows: int = 0):
        if columns > limits.MAX_COLUMNS or rows > limits.MAX_ROWS:
            raise ExportError([Diagnostic("export-limit", f"cannot export to Excel: {what} do not fit in a sheet",
                                          None, hint=f"a sheet holds at most {most}")])

    def section_rows(self, names: list[str], first_row: int) -> tuple[dict[str, int], list[tuple[int, str]]]:
        """Rows for `names` in order from first_row, with a section row wherever the model's
        banner comments start a new section: ({name: row}, [(row, title)])."""
        rows, headers, current = {}, [], None
        r = first_row
        for name in names:
            section = self.sections.get(name)
            if section and section != current:
                headers.append((r, section))
                r += 1
                current = section
            rows[name] = r
            r += 1
        return rows, headers


ACTUAL_SHADE = "#E2EFDA"  # the cells a quantity takes from its actuals (light green)


def _same_equations(a: ir.Quantity, b: ir.Quantity) -> bool:
    return a is b or [(e.start, e.stop, e.expr) for e in a.equations] == [(e.start, e.stop, e.expr) for e in b.equations]


def equation_at(q: ir.Quantity, i: int):
    for eq in q.equations:
        if eq.start <= i <= eq.stop:
            return eq
    return None


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


__all__ = ["Book", "ExportError", "Place", "equation_at", "clip", "FIRST_PERIOD_COL", "HEADER_ROW"]
