"""One cell of a data table read as what its column holds: a period of the kind the data statement
declares (`month(period)`), an item of a dimension, or a number. A cell that could be read two
ways is refused (CellError), never guessed: `2026` in a month column, `5%` or `1,234` as text in a
number column, a blank anywhere."""

from __future__ import annotations

import datetime
import math
import re

from .timeline import parse_label

HEADER_UNIT = re.compile(r"^\s*(?P<name>[^()]*?)\s*\((?P<unit>[^()]*)\)\s*$")  # revenue (USD/month)
NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


class CellError(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def header_parts(header: str) -> tuple[str, str | None]:
    """`revenue (USD)` -> ("revenue", "USD"); `revenue` -> ("revenue", None)."""
    m = HEADER_UNIT.match(header or "")
    return (m.group("name"), m.group("unit").strip()) if m else ((header or "").strip(), None)


def blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def period(cell, kind: str, timeline) -> tuple[int, int]:
    """The timeline indices a key cell covers (possibly off the timeline: the caller says so).
    A month column takes 2026-03, or a date (2026-03-31, a spreadsheet's or a database's date) in
    it; a quarter column 2026Q1 (FY2026Q1); a year column 2026 (FY2026)."""
    if isinstance(cell, (datetime.date, datetime.datetime)) or (isinstance(cell, str) and DATE.match(cell.strip())):
        if kind != "month":
            raise CellError(f"`{cell}` is a date, and this column holds {kind}s",
                            f"write the {kind} as the model does (2026{'Q1' if kind == 'quarter' else ''}), "
                            "or key the table by month(column)")
        date = cell if not isinstance(cell, str) else _date(cell.strip())
        return timeline.span_of(date.year, "month", date.month)
    text = _whole(cell) if isinstance(cell, (int, float)) and not isinstance(cell, bool) else cell
    if not isinstance(text, str):
        raise CellError(f"`{cell}` is not a {kind}", _period_hint(kind))
    try:
        year, written, number, fiscal = parse_label(text)
    except ValueError:
        raise CellError(f"`{text.strip()}` is not a {kind}", _period_hint(kind)) from None
    if written != kind:
        raise CellError(f"`{text.strip()}` is a {written}, and this column holds {kind}s (`{kind}(...)` in the data "
                        "statement)", f"write every key of the column as a {kind}, or declare it {written}(column)")
    if kind == "month" and not 1 <= number <= 12 or kind == "quarter" and not 1 <= number <= 4:
        raise CellError(f"`{text.strip()}` is not a {kind}", _period_hint(kind))
    return timeline.span_of(year, kind, number, fiscal)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"`{text}` is not a date", "write it YYYY-MM-DD, or the month: 2026-03") from None


def _whole(value: float) -> str | None:
    return str(int(value)) if float(value).is_integer() else None


def _period_hint(kind: str) -> str:
    return {"month": "a month is written 2026-03 (or a date in it, 2026-03-31)",
            "quarter": "a quarter is written 2026Q1 (FY2026Q1 on a fiscal timeline)",
            "year": "a year is written 2026 (FY2026 on a fiscal timeline)"}[kind]


def item(cell) -> str:
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, int) and not isinstance(cell, bool):
        return str(cell)
    raise CellError(f"`{cell}` is not an item's name", "an item column holds names: na, eu, apac")


def number(cell) -> float:
    """A number cell's value; text, true/false, NaN and infinities are refused."""
    if isinstance(cell, bool):
        raise CellError(f"`{cell}` is true/false in a number column", "a number column holds numbers only")
    if isinstance(cell, (int, float)):
        value = float(cell)
    elif isinstance(cell, str) and NUMBER.match(cell.strip()):
        value = float(cell.strip())
    elif hasattr(cell, "is_finite"):  # a database's DECIMAL
        value = float(cell)
    else:
        raise CellError(f"`{cell}` is text in a number column",
                        "write the number alone (1234.5, no thousands separator, no unit: the unit is the "
                        "input's declaration or the column's header, `revenue (USD)`)")
    if not math.isfinite(value):
        raise CellError(f"`{cell}` is not a finite number", "write a number; a missing value is a missing row")
    return value
