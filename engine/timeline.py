"""The timeline: the one place that knows what a period label is. Everything that reads a period
from text, prints one, shifts one or puts one in a spreadsheet header asks this class. Periods
are indices 0..len-1 everywhere else.

Years are calendar years, or fiscal years when the timeline says where they end (`timeline
FY2025..FY2030 yearly ending June`): a fiscal year is named by the calendar year it ends in
(FY2025 is July 2024 to June 2025, as US companies and governments name theirs), its quarters
are FY2025Q1..FY2025Q4 (FY2025Q1: July to September 2024) and its months are calendar months
(2024-07). Internally periods are counted in a frame where the fiscal year starts at month 0:
month ordinal = calendar year x 12 + month - 1 + shift, shift = 12 - the year-end month; with
no fiscal year the shift is 0 and the frame is the calendar's.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .syntax import label_text

# frequency -> (the kind of label its periods have, periods per year, the unit of one period)
FREQUENCIES = {"yearly": ("year", 1, "year"), "quarterly": ("quarter", 4, "quarter"),
               "monthly": ("month", 12, "month")}
LABELS_PER_YEAR = {"year": 1, "quarter": 4, "month": 12}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_LABEL = re.compile(r"\A(FY)?([0-9]{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?\Z")


class PeriodError(ValueError):
    """A label that is not a period of this timeline; `hint` says what to write."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def parse_label(text: str) -> tuple[int, str, int, bool]:
    """'2027', '2027Q3', '2027-03', 'FY2027', 'FY2027Q3' -> (year, kind, number, fiscal);
    ValueError if it is none of them."""
    m = _LABEL.match(text.strip())
    if not m or (m.group(1) and m.group(4)):
        raise ValueError(f"`{text}` is not a period: write 2027, 2027Q3, 2027-03, FY2027 or FY2027Q3")
    fiscal, year, quarter, month = m.groups()
    if quarter:
        return int(year), "quarter", int(quarter), bool(fiscal)
    if month:
        return int(year), "month", int(month), False
    return int(year), "year", 0, bool(fiscal)


@dataclass(frozen=True)
class Timeline:
    """The periods: `count` of them from `first`, an ordinal counted from year 0 in periods of
    the timeline in its frame (2025-01 on a calendar monthly timeline is 2025 * 12 + 0). A label
    coarser than the periods (a year on a monthly timeline) covers several of them; a finer one (a
    month on a quarterly timeline) is an error."""

    frequency: str  # yearly | quarterly | monthly
    first: int  # the ordinal of the first period
    count: int
    step_unit: Any  # the length of one period: 1 year, 1 quarter (3 months), 1 month
    year_days: float = 365  # the model's day count: days in a year (engine/units.py DAYCOUNTS)
    fiscal_end: int | None = None  # the month (1..12) fiscal years end in; None: calendar years

    def __len__(self) -> int:
        return self.count

    @property
    def kind(self) -> str:
        """What one period is: year, quarter or month."""
        return FREQUENCIES[self.frequency][0]

    @property
    def per_year(self) -> int:
        return FREQUENCIES[self.frequency][1]

    @property
    def fiscal(self) -> bool:
        return self.fiscal_end is not None

    @property
    def shift(self) -> int:
        """Months from the calendar's frame to the timeline's: 6 for years ending in June."""
        return (12 - self.fiscal_end) % 12 if self.fiscal_end else 0

    @property
    def year_name(self) -> str:
        """How the timeline's years are called in messages."""
        return f"fiscal years ending {MONTHS[self.fiscal_end - 1]}" if self.fiscal else "calendar years"

    @property
    def periods(self) -> tuple:
        """The labels as JSON gives them: numbers for calendar years (2027), text otherwise
        ('2027-03', 'FY2027')."""
        if self.per_year == 1 and not self.fiscal:
            return tuple(range(self.first, self.first + self.count))
        return tuple(self.labels())

    # ------------------------------------------------------------------ labels -> indices
    def span_of(self, year: int, kind: str, number: int = 0, fiscal: bool = False) -> tuple[int, int]:
        """The indices (inclusive) a label covers, possibly outside the timeline: one period, or
        every period of a coarser label (2026 on a monthly timeline: its 12 months). ValueError
        for a label finer than the periods, with the label to write instead, and for a year or a
        quarter that is not of the timeline's kind (calendar or fiscal), with both readings."""
        if kind != "month" and fiscal != self.fiscal and not (self.fiscal and self.shift == 0 and not fiscal):
            # (on years ending in December, 2025 and FY2025 are the same months: no ambiguity)
            raise PeriodError(*self._other_year(year, kind, number, fiscal))
        start, months = self._months(year, kind, number)
        if LABELS_PER_YEAR[kind] > self.per_year:
            raise ValueError(self._finer(year, kind, number, start))
        width = 12 // self.per_year  # months in one period
        return start // width - self.first, (start + months - 1) // width - self.first

    def _months(self, year: int, kind: str, number: int) -> tuple[int, int]:
        """(the first month, in the timeline's frame, and how many months) of a label."""
        if kind == "month":
            return year * 12 + number - 1 + self.shift, 1
        if kind == "quarter":
            return year * 12 + (number - 1) * 3, 3
        return year * 12, 12

    def _finer(self, year: int, kind: str, number: int, start: int) -> str:
        text = label_text(year, kind, number)
        fy, within = divmod(start, 12)
        if self.kind == "quarter":  # a month on a quarterly timeline
            return f"{text} is a month; this timeline is quarterly: write {label_text(fy, 'quarter', within // 3 + 1, self.fiscal)}"
        return f"{text} is a {kind}; this timeline is yearly: write {label_text(fy, 'year', 0, self.fiscal)}"

    def _other_year(self, year: int, kind: str, number: int, fiscal: bool) -> tuple[str, str]:
        text = label_text(year, kind, number, fiscal)
        if fiscal:
            return (f"{text} is a fiscal {kind}, but this timeline's years are calendar years",
                    f"write {label_text(year, kind, number)}, or say where fiscal years end: "
                    f"timeline FY{year}..FY{year + 1} yearly ending June")
        months = 12 if kind == "year" else 3
        first = year * 12 + (number - 1 if kind == "quarter" else 0) * 3  # calendar months
        calendar_months = f"{self._month_text(first)}..{self._month_text(first + months - 1)}"
        fiscal_reading = label_text(year, kind, number, True)
        lo, hi = self._months(year, kind, number)
        return (f"{text} is ambiguous on a timeline of {self.year_name}: the fiscal {kind} {fiscal_reading} "
                f"({self._month_text(lo - self.shift)}..{self._month_text(lo + hi - 1 - self.shift)}) or the "
                f"calendar {kind} {text} ({calendar_months})?",
                f"write {fiscal_reading} for the fiscal {kind}" +
                (f", or {calendar_months} for the calendar {kind}" if self.kind == "month" else ""))

    @staticmethod
    def _month_text(calendar_month: int) -> str:
        year, month = divmod(calendar_month, 12)
        return label_text(year, "month", month + 1)

    def contains(self, first: int, last: int) -> bool:
        return 0 <= first and last < self.count

    def parse(self, text: str) -> tuple[int, int]:
        """The indices a label (or a range of them, A..B) written as text covers (`--set
        x[2027-03]=...`); ValueError if it is not a period of this timeline."""
        if ".." in text:
            start, _, end = text.partition("..")
            first, last = self.span_of(*parse_label(start))[0], self.span_of(*parse_label(end))[1]
            if last < first:
                raise PeriodError(f"the range {text.strip()} is empty", f"write it from the earlier period: {end}..{start}")
        else:
            first, last = self.span_of(*parse_label(text))
        if not self.contains(first, last):
            raise ValueError(f"{text.strip()} is outside the timeline {self.range_text()}")
        return first, last

    def groups(self, first: int, last: int, kind: str) -> list[tuple[int, int]]:
        """Periods first..last grouped by the `kind` label (year, quarter) that holds each: the
        quarters of 2026, then those of 2027 (a coarse key's periods, one group per label)."""
        width = self.per_year // LABELS_PER_YEAR[kind]
        out: list[tuple[int, int]] = []
        for i in range(first, last + 1):
            if out and (self.first + i) // width == (self.first + out[-1][0]) // width:
                out[-1] = (out[-1][0], i)
            else:
                out.append((i, i))
        return out

    # ------------------------------------------------------------------ indices -> labels
    def split(self, i: int) -> tuple[int, int]:
        """(year, number within the year: 1..12, 1..4, or 1) of index i, in the timeline's frame:
        the fiscal year and the fiscal quarter or month on a fiscal timeline."""
        year, r = divmod(self.first + i, self.per_year)
        return year, r + 1

    def last_month(self, i: int) -> tuple[int, int]:
        """The calendar (year, month) of period i's last month."""
        year, month = divmod((self.first + i + 1) * (12 // self.per_year) - 1 - self.shift, 12)
        return year, month + 1

    def label(self, i: int) -> str:
        """The label of index i; also outside the timeline (what a lag reaches: 2024-12)."""
        if self.kind == "month":
            year, month = self.last_month(i)
            return label_text(year, "month", month)
        year, number = self.split(i)
        return label_text(year, self.kind, number, self.fiscal)

    def labels(self) -> list[str]:
        return [self.label(i) for i in range(len(self))]

    def range_text(self, a: int = 0, b: int | None = None) -> str:
        """'2025..2033': indices a..b as the language writes a range."""
        return f"{self.label(a)}..{self.label(len(self) - 1 if b is None else b)}"

    # ------------------------------------------------------------------ calendar facts
    def calendar(self, what: str) -> np.ndarray:
        """Per period: year (2027), quarter (1..4), month (1..12): the calendar's, of the period's
        last month; fiscal_year and fiscal_quarter (the timeline's frame); length (1: one period
        in step_unit)."""
        i = np.arange(self.count)
        width = 12 // self.per_year
        last = (self.first + i + 1) * width - 1  # the last month of each period, in the timeline's frame
        year, month = np.divmod(last - self.shift, 12)
        out = {"year": year, "quarter": month // 3 + 1, "month": month + 1, "fiscal_year": last // 12,
               "fiscal_quarter": (last % 12) // 3 + 1, "length": np.ones(self.count)}[what]
        return np.asarray(out, dtype=float)

    def years(self) -> np.ndarray:
        return self.calendar("year")

    def end_date(self, i: int) -> _dt.date:
        """The last day of period i (a spreadsheet's period header holds it)."""
        year, month = self.last_month(i)
        return _dt.date(year, month, _calendar.monthrange(year, month)[1])

    def header(self, i: int):
        """What a spreadsheet's period header holds for index i: the period's last day."""
        return self.end_date(i)

    def header_format(self, i: int) -> str:
        """The header's number format: 'yyyy', '"Q3 "yyyy', 'mmm yyyy'; fiscal: '"FY"yyyy' (a
        fiscal year ends in the year it is named by), '"FY2025 Q1"'."""
        if self.kind == "year":
            return '"FY"yyyy' if self.fiscal else "yyyy"
        if self.kind == "quarter":
            year, number = self.split(i)
            return f'"FY{year} Q{number}"' if self.fiscal else f'"Q{number} "yyyy'
        return "mmm yyyy"
