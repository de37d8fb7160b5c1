"""Where things live in the workbook, and how each row shows its quantity.

A row states a unit (its Unit column: `billion USD/year`, `%`, `%/year`, `GW`) and every number
in the row is the quantity in that unit, the same number the command line's table prints: 90.83
in a `billion USD` row, 0.07 shown as 7.0 % in a percent row (Excel keeps percentages as
fractions), and likewise 0.08 shown as 8.00 % in a `%/year` row. So an analyst who types 55 into
a `billion USD/GW` cell, or 8% into a percent or `%/year` cell, gets the engine's result for 55
billion USD/GW, 8 % or 8 %/year. RowStyle holds the factor from the engine's value
(in the quantity's own unit) to the cell, the unit text and a short number format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ..engine import ir, report
from ..engine.units import SCALES

from .formula_text import relative_column

FIRST_PERIOD_COL = 4  # column E: periods start here on Inputs (series), Calculations and Checks
HEADER_ROW = 3  # row 4 (0-based 3) holds the timeline on period sheets


TRUE_FALSE = '"TRUE";"TRUE";"FALSE"'  # a true/false row reads TRUE/FALSE even where it holds 1/0


@dataclass(frozen=True)
class RowStyle:
    unit_factor: float | None  # the engine's unit -> the display unit (before its scale); None: true/false
    scale: float  # thousand, million, ... (100 for a percentage, kept as a fraction)
    unit: str  # the Unit column: "billion USD/year", "%", "true/false"
    number_format: str
    percent: bool = False

    @property
    def cell_factor(self) -> float | None:
        """cell = engine value x this (None for true/false)."""
        return None if self.unit_factor is None else self.unit_factor / self.scale

    def to_cell(self, value: float) -> float:
        # divide by the scale: 30e9 / 1e9 is 30 exactly, 30e9 * 1e-9 is 30.000000000000004
        return float(value) * self.unit_factor / self.scale + 0.0


def row_style(q: ir.Quantity, values: np.ndarray, units) -> RowStyle:
    """The display unit the command line uses (report.display), as a cell factor and a format."""
    if q.unit is None:
        return RowStyle(None, 1.0, "true/false", TRUE_FALSE)
    if report.shows_period(q):  # first_period(): the period's end date, shown as its month
        return RowStyle(1.0, 1.0, "period", "mmm yyyy")
    shown, factor = report.display(q, values, units)
    scale = SCALES.get(shown.split(" ", 1)[0], 1)
    unit_factor = q.display_factor  # report.display divides it by the scale word's power
    unit = q.display_unit if q.display_unit is not None else q.unit
    finite = np.abs(values[np.isfinite(values)]) * factor
    if is_percent(unit, units):  # Excel's percent: the fraction, shown x 100 (8 %/year is 0.08)
        text = "%" if unit == units.percent else _unscaled(shown)
        shown_values = np.abs(values[np.isfinite(values)]) * unit_factor
        return RowStyle(unit_factor, 100.0, text, _format(shown_values, percent=True), percent=True)
    plain = unit == units.dimensionless
    if plain and scale == 1 and (finite == np.round(finite)).all() and (finite < 10_000).all():
        return RowStyle(unit_factor, 1.0, shown or "number", "General")  # years, counts, switches: 2027
    return RowStyle(unit_factor, float(scale), shown or "number", _format(finite))


def values_format(style: RowStyle, cells: list[float]) -> str:
    """The number format of a row of cells in `style`'s unit that are not the quantity's own
    values (the Simulation sheet's percentiles): the same rule as row_style, on these values."""
    finite = np.abs(np.array([c for c in cells if math.isfinite(c)], dtype=float))
    if style.cell_factor is None or style.number_format == "mmm yyyy":
        return style.number_format
    if style.percent:
        return _format(finite * 100.0, percent=True)
    if style.number_format == "General" and (finite == np.round(finite)).all() and (finite < 10_000).all():
        return "General"
    return _format(finite)


def is_percent(unit, units) -> bool:
    """A percentage, plain (%) or per time (%/year, %/month): its cells hold the fraction with a
    percent format, so that typing 8% into a %/year row means 8 %/year, as in a % row."""
    if unit is None:
        return False
    if unit == units.percent:
        return True
    if dict(unit._units).get("percent") != 1:
        return False
    rest = unit / units.percent
    return rest.dimensionality == units.registry.parse_units("1/year").dimensionality


def _unscaled(shown: str) -> str:
    """The unit text without a scale word (a percentage is never shown as 'million %/year')."""
    word, _, rest = shown.partition(" ")
    return rest if word in SCALES and rest else shown


def _format(magnitudes: np.ndarray, percent: bool = False) -> str:
    """The number format of a row: the command line's decimals for it (report.decimals), one
    format for every value of the row."""
    digits = report.decimals(magnitudes.tolist())
    decimals = "." + "0" * digits if digits else ""
    return f"0{decimals}%" if percent else f"#,##0{decimals}"


def shown_text(value: float, number_format: str) -> str:
    """About what a spreadsheet shows for `value` in one of the formats above (for column widths)."""
    if not math.isfinite(value):
        return ""
    if number_format == TRUE_FALSE:
        return "FALSE"
    if number_format == "General":
        return f"{value:.10g}"
    percent = number_format.endswith("%")
    digits = number_format.split(".")[1].rstrip("%").count("0") if "." in number_format else 0
    if percent:
        return f"{value * 100:.{digits}f}%"
    return f"{value:,.{digits}f}"


@dataclass
class Place:
    sheet: str
    row: int  # 0-based
    column: int | None  # the value column for a single value; None for a series (period columns)


@dataclass
class Constant:
    row: int
    value: float
    label: str
    kind: str  # "unit": a unit factor; "number": a number written in the model
    users: list[str] = field(default_factory=list)


VINTAGES = "Vintages"
VINTAGE_TOP = 3  # the Vintages sheet's first block starts on row 4 (below its title and notes)


@dataclass
class VintageBlock:
    """One depreciation() call's triangle: a title row, its life and first-period share, the
    period numbers and dates, one row per vintage (the period its capex is spent in), a total."""

    node: ir.Vintage
    owner: str
    first_row: int
    periods: int

    @property
    def life_row(self) -> int:
        return self.first_row + 1

    @property
    def share_row(self) -> int:
        return self.first_row + 2

    @property
    def number_row(self) -> int:
        return self.first_row + 3

    @property
    def header_row(self) -> int:
        return self.first_row + 4

    def vintage_row(self, v: int) -> int:
        return self.first_row + 5 + v

    @property
    def total_row(self) -> int:
        return self.first_row + 5 + self.periods

    @property
    def height(self) -> int:
        return self.periods + 7  # and a blank row


@dataclass
class Layout:
    """Where every quantity and constant lives; answers the emitter's address questions.
    References to the sheet a formula is on carry no sheet name."""

    places: dict[str, Place] = field(default_factory=dict)
    styles: dict[str, RowStyle] = field(default_factory=dict)
    constants: dict[tuple[str, float, str], Constant] = field(default_factory=dict)
    constants_start: int = 3
    timeline: ir.Timeline | None = None
    # depreciation() calls -> their vintage triangle on the Vintages sheet (exports/sheets/vintages.py)
    vintages: dict = field(default_factory=dict)  # (name, life, first) -> VintageBlock

    def vintage_total(self, node: ir.Vintage, owner: str, sheet: str) -> str:
        """The cell template of a depreciation's total row (the current period's column) on the
        Vintages sheet, its block of rows placed when first asked for."""
        key = (node.name, node.life, node.first)
        if key not in self.vintages:
            first_row = sum(block.height for block in self.vintages.values()) + VINTAGE_TOP
            self.vintages[key] = VintageBlock(node, owner, first_row, len(self.timeline))
        cell = f"{relative_column(0)}${self.vintages[key].total_row + 1}"
        return cell if sheet == VINTAGES else f"{VINTAGES}!{cell}"

    def _ref(self, place: Place, sheet: str, cell: str) -> str:
        return cell if place.sheet == sheet else f"{sheet_ref(place.sheet)}!{cell}"

    def cell(self, name, column, sheet, absolute_column=True):
        place = self.places[name]
        if place.column is not None:
            return self._ref(place, sheet, xl_rowcol_to_cell(place.row, place.column, True, True))
        return self._ref(place, sheet, xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + column, True, absolute_column))

    def relative_cell(self, name, offset, sheet):
        place = self.places[name]
        return self._ref(place, sheet, f"{relative_column(offset)}${place.row + 1}")

    def row_range(self, name, first, last, sheet):
        place = self.places[name]
        a = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + first, True, True)
        b = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + last, True, True)
        return self._ref(place, sheet, f"{a}:{b}")

    def running_range(self, name, sheet):
        place = self.places[name]
        a = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL, True, True)
        return self._ref(place, sheet, f"{a}:{relative_column(0)}${place.row + 1}")

    def beside_range(self, name, sheet, side: int):
        """The cells of a series before the current period (side -1: first..previous column) or
        after it (+1: next..last): what x[t-lag] and x[t+lead] index into. The current cell is
        not in it, so a recurrence's INDEX is no circular reference."""
        place = self.places[name]
        row = place.row + 1
        if side < 0:
            first = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL, True, True)
            return self._ref(place, sheet, f"{first}:{relative_column(-1)}${row}")
        last = xl_rowcol_to_cell(place.row, FIRST_PERIOD_COL + len(self.timeline) - 1, True, True)
        return self._ref(place, sheet, f"{relative_column(1)}${row}:{last}")

    def period_header(self, sheet):
        cell = f"{relative_column(0)}${HEADER_ROW + 1}"
        return cell if sheet == "Calculations" else f"Calculations!{cell}"

    def header_range(self, first, last, sheet):
        """The period headers (dates) of periods first..last: XIRR's and XNPV's dates."""
        a = xl_rowcol_to_cell(HEADER_ROW, FIRST_PERIOD_COL + first, True, True)
        b = xl_rowcol_to_cell(HEADER_ROW, FIRST_PERIOD_COL + last, True, True)
        return f"{a}:{b}" if sheet == "Calculations" else f"Calculations!{a}:{b}"

    def period_date(self, i: int) -> str:
        """The last day of period i as a formula reads it: DATE(2026,6,30)."""
        d = self.timeline.end_date(i)
        return f"DATE({d.year},{d.month},{d.day})"

    def cell_factor(self, name) -> float:
        return self.styles[name].cell_factor or 1.0

    def constant(self, value, label, owner, kind="number"):
        key = (kind, value, label)  # one cell per meaning: editing it changes that meaning only
        if key not in self.constants:
            self.constants[key] = Constant(self.constants_start + len(self.constants), value, label, kind)
        found = self.constants[key]
        if owner not in found.users:
            found.users.append(owner)
        return f"Constants!{xl_rowcol_to_cell(found.row, 2, True, True)}"


def sheet_ref(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z]+", sheet) else f"'{sheet}'"
