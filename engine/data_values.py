"""The values of a data table as engine/data_tables.py collects them: the keys of each row (a
period of the timeline, an item of each dimension), each column read, kept per item combination
in one array over the timeline (memory: the model's own cells, whatever the file's size), and a
coarse key's value spread or repeated over its periods by the literal tables' rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np

from .data_cells import CellError, item, period
from .data_sources import Percent
from .ir import LABELS_PER_YEAR
from .units import SCALES, UnitError


@dataclass(frozen=True, eq=False)
class DataValues:  # a DataRead once read (never parsed, never cached): one item row's values
    values: object  # numpy array over the timeline (NaN: no row), or one value for a table without periods
    scale: str | None  # the column's unit as its header states it; None: the input's declared unit
    unit: str | None
    series: bool
    read: object  # the syntax.DataRead it came from
    span: object = None


@dataclass
class Layout:
    timeline: object
    period: object  # the DataKey of the period column, or None
    dims: tuple  # of DataKey, in the data statement's order
    items: dict  # dimension -> its items
    rows: dict = field(default_factory=dict)  # combo -> row numbers by first period index (0: none)
    _known: dict | None = None  # dimension -> its items, as a set
    _firsts: dict = field(default_factory=dict)  # a period cell -> its first timeline index

    def keys(self) -> list:
        return ([self.period] if self.period is not None else []) + list(self.dims)

    def width(self) -> int:
        """Periods of the timeline one key covers (12 for a year on months)."""
        return self.timeline.per_year // LABELS_PER_YEAR[self.period.key] if self.period is not None else 1

    def key_of(self, s, cells: list, positions: dict) -> tuple:
        """(the item names in the statement's order, the first timeline index of the period); each
        distinct period cell is parsed once (a million rows name a few hundred months)."""
        if self._known is None:
            self._known = {d.key: frozenset(self.items[d.key]) for d in self.dims}
        combo = []
        for d in self.dims:
            name = item(_cell(cells, positions[d.column][0], d.column))
            if name not in self._known[d.key]:
                from .diagnostics import did_you_mean

                raise CellError(f"`{name}` is not an item of {d.key}", did_you_mean(name, self.items[d.key]) or
                                f"items of {d.key}: {', '.join(self.items[d.key])}; add it to the dimension, or "
                                "leave the row out")
            combo.append(name)
        if self.period is None:
            return tuple(combo), 0
        cell = _cell(cells, positions[self.period.column][0], self.period.column)
        first = self._firsts.get(cell) if not isinstance(cell, float) else None
        if first is None:
            first = self._first(cell)
            if not isinstance(cell, float):
                self._firsts[cell] = first
        return tuple(combo), first

    def _first(self, cell) -> int:
        try:
            first, last = period(cell, self.period.key, self.timeline)
        except ValueError as err:
            raise CellError(str(err), getattr(err, "hint", None) or f"write a {self.period.key}") from None
        tl = self.timeline
        if not tl.contains(first, last):
            raise CellError(f"{str(cell).strip()} is outside the timeline {tl.range_text()}",
                            "leave the row out (filter the file or the query), or extend the timeline")
        return first

    def seen(self, key: tuple, row_number: int) -> None:
        combo, first = key
        rows = self.rows.get(combo)
        if rows is None:
            rows = self.rows[combo] = np.zeros(len(self.timeline) if self.period is not None else 1, dtype=np.int32)
        if rows[first]:
            what = ", ".join([_coarse(self, first) if self.period is not None else ""] + list(combo)).strip(", ")
            raise CellError(f"the key {what or '(the table has one row)'} is that of row {rows[first]} too",
                            "keep one row per key (sum the rows first if they are parts of one amount)")
        rows[first] = row_number

    def combos(self) -> list:
        return list(product(*(self.items[d.key] for d in self.dims)))

    def check_complete(self, stmt, where: str) -> tuple | None:
        """(message, hint) for a missing row: every item combination has every period from the
        table's first to its last (a gap would be a period silently without actuals)."""
        if not self.rows:
            return f"{where} has no rows", "the table needs a row per key"
        width = self.width()
        lo, hi = self.extent()
        for combo in self.combos():
            rows = self.rows.get(combo)
            items = ", ".join(combo)
            if rows is None:
                return (f"{where} has no row for {items}", "give every item a row for each period the table covers")
            if self.period is None:
                continue
            for first in range(lo, hi + 1, width):
                if not rows[first]:
                    label = self.timeline.label(first + width - 1) if width == 1 else _coarse(self, first)
                    return (f"{where} has no row for {label}{', ' + items if items else ''} (its rows run from "
                            f"{_coarse(self, lo)} to {_coarse(self, hi)})",
                            "add the row: a table of actuals has every period from its first to its last")
        return None

    def coverage_text(self) -> str:
        if self.period is None:
            return "one row per item"
        lo, hi = self.extent()
        return f"{_coarse(self, lo)}..{_coarse(self, hi)}"

    def extent(self) -> tuple[int, int]:
        """The first period index of the table's first key and of its last (over every item)."""
        lo = hi = None
        for rows in self.rows.values():
            present = np.flatnonzero(rows)  # one item's at a time: all of them would be 8 bytes a cell
            lo = present[0] if lo is None else min(lo, present[0])
            hi = present[-1] if hi is None else max(hi, present[-1])
        return int(lo), int(hi)


def _coarse(layout: Layout, first: int) -> str:
    """The label of the key whose first period is `first` (2026 for a year on months)."""
    from .syntax import label_text

    tl, kind = layout.timeline, layout.period.key
    if kind == tl.kind:
        return tl.label(first)
    year, number = tl.split(first)
    if kind == "year":
        return label_text(year, "year", 0, tl.fiscal)
    return label_text(year, "quarter", (number - 1) * 4 // tl.per_year + 1, tl.fiscal)


def _cell(cells: list, position: int, column: str):
    cell = cells[position] if position < len(cells) else None
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise CellError(f"column `{column}` is blank", "every row needs its keys")
    return cell


@dataclass
class Column:
    name: str  # the input
    column: str
    span: object
    dims: tuple
    position: int = 0
    header_unit: str | None = None
    header: str = ""
    values: dict = field(default_factory=dict)  # combo -> array over first period indices
    percent: int = 0  # cells formatted as percentages (Excel)
    plain: int = 0

    def store(self, key: tuple, value: float, cell) -> None:
        combo, first = key
        array = self.values.get(combo)
        if array is None:
            array = self.values[combo] = np.full(len(self._timeline) if self._series else 1, np.nan)
        array[first] = value
        if isinstance(cell, Percent):
            self.percent += 1
        else:
            self.plain += 1

    def bind(self, layout: Layout) -> "Column":
        self._timeline, self._series = layout.timeline, layout.period is not None
        self.header = self.column + (f" ({self.header_unit})" if self.header_unit else "")
        return self

    def unit_parts(self, s, read, stmt) -> tuple:
        """(scale, unit) the column's numbers are written in: the header's, `%` for cells formatted
        as percentages, or None (the input's declared unit); refused where the two disagree."""
        if self.percent and self.plain:
            raise CellError(f"column `{self.column}` mixes cells formatted as percentages and plain numbers",
                            "format the whole column one way")
        written = self.header_unit or ("%" if self.percent else None)
        if written is None:
            if read.unit is None:
                raise CellError(f"`{read.name}` reads a column of numbers and declares no unit",
                                f"declare it: input {read.name}: USD/month = {stmt.name}.{self.column} (`: count` "
                                "for plain numbers; the unit may also stand in the column's header: revenue (USD/month))")
            return None, None
        scale, _, unit = written.partition(" ") if written.split(" ")[0] in SCALES else (None, "", written)
        try:
            parsed = s.units.parse(unit.replace(" ", ""))
            declared = s.units.parse(read.unit.text) if read.unit is not None else None
        except UnitError as err:
            raise CellError(f"the unit `{written}` of column `{self.column}`: {err}",
                            "write a unit the model knows: revenue (USD/month)") from None
        if self.percent and self.header_unit is not None and unit.strip() != "%":
            raise CellError(f"column `{self.header}` holds cells formatted as percentages",
                            "state the column's unit as % in its header, or format its cells as numbers")
        if declared is not None and not s.units.same_dimension(parsed, declared):
            raise CellError(f"column `{self.header}` is in {written}, and `{read.name}` is declared in "
                            f"{read.unit.text}",
                            f"declare the input in the column's unit (input {read.name}: {unit.strip()} = "
                            f"{stmt.name}.{self.column}), or correct the header")
        return scale, unit.replace(" ", "")


def spread_values(s, layout: Layout, read, column: Column, values: np.ndarray, rule, unit_text) -> np.ndarray:
    """The values over the timeline: a key of the timeline's periods as it is; a coarser key (a
    year on months) repeated in each of its periods for a rate or a level, spread evenly for an
    amount read `spread even`; refused where it could be either (the literal tables' rule)."""
    width = layout.width()
    if layout.period is None or width == 1:
        return values
    unit = s.units.parse(unit_text) if unit_text else None
    flow = unit is not None and s.units.is_flow(unit)
    firsts = np.flatnonzero(~np.isnan(values))
    label, kind = _coarse(layout, firsts[0]), s.timeline.kind
    by = f" by {', '.join(d.name for d in read.dims)}" if read.dims else ""
    where = f"`input {read.name}{by}{': ' + read.unit.text if read.unit else ''} = {read.value.table}." \
            f"{column.column} spread even`"
    if read.value.spread and rule != "sum":
        raise CellError("only an amount per period (`rollup sum`) is spread over periods; a level or a rate holds "
                        "in each of them", f"add `rollup sum` under `{read.name}` if it is an amount, else remove "
                        "`spread even`")
    if rule == "sum" and not read.value.spread:
        raise CellError(f"`{read.name}` is an amount per {kind} (`rollup sum`), and the table `{read.value.table}` is "
                        f"keyed by {layout.period.key} ({label} covers {width} {kind}s): say where each amount falls",
                        f"read it {where} (an equal share in each {kind})")
    if rule is None and not flow:
        raise CellError(f"`{read.name}` is not a rate per time, and the table `{read.value.table}` is keyed by "
                        f"{layout.period.key} ({label} covers {width} {kind}s): is each value a level held in each "
                        f"{kind}, or an amount that falls in its {layout.period.key}?",
                        f"a level: add `rollup last` under the input; an amount: add `rollup sum` and read it {where}")
    out = np.full(len(values), np.nan)
    for first in firsts:
        out[first:first + width] = values[first] / width if read.value.spread else values[first]
    return out
