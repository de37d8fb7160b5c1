"""Pass 1: the header: title, timeline, the model's own units."""

from __future__ import annotations

import datetime

import numpy as np

from .. import ir, limits
from .. import syntax as ast
from ..diagnostics import Label
from ..units import DAYCOUNTS, DEFAULT_DAYCOUNT, SCALES, UnitError, UnitSystem, scaled, shared_unit_system

MAX_PERIODS = limits.PERIODS.value
FIRST_YEAR, LAST_YEAR = 1900, 9999  # the dates a spreadsheet holds (the workbook's period headers are dates)
# The 1900 date system (Excel's, and LibreOffice's for .xlsx) counts a 29 February 1900 that never
# was: its serials agree with the calendar from 1 March 1900 on, so every header date is from then.
FIRST_DATE = datetime.date(1900, 3, 1)


def read(s) -> None:
    """s.title, s.units, s.timeline (stops at the first errors: nothing can be typed without them)."""
    statements = s.module.statements
    s.title = title(s, statements)
    stmt = timeline_stmt(s, statements)
    s.units = unit_system(s, statements, daycount(s, statements))
    s.fail_if_errors()
    s.timeline = timeline(s, stmt)


def title(s, statements) -> str:
    headers = [s for s in statements if isinstance(s, ast.ModelHeader)]
    for extra in headers[1:]:
        s.report.error("duplicate-definition", "the model has two `model` headers", extra.span,
                       Label(extra.span), Label(headers[0].span, "first one here"))
    return headers[0].title if headers else s.file


def timeline_stmt(s, statements):
    timelines = [s for s in statements if isinstance(s, ast.Timeline)]
    if not timelines:
        s.report.error("missing-timeline", "the model has no timeline", None,
                       hint="add a line such as: timeline 2025..2033 yearly")
        return None
    for extra in timelines[1:]:
        s.report.error("duplicate-definition", "the model has two timelines", extra.span,
                       Label(extra.span), Label(timelines[0].span, "first one here"))
    return timelines[0]


def timeline(s, stmt: ast.Timeline) -> ir.Timeline:
    """`timeline 2025-01..2033-12 monthly`; the ends may be coarser than the periods (2025..2033
    monthly is 2025-01..2033-12), not finer."""
    kind, per_year, unit = ir.FREQUENCIES[stmt.frequency]
    ending = fiscal_end(s, stmt)
    probe = ir.Timeline(stmt.frequency, 0, 0, None, fiscal_end=ending)
    try:
        first = probe.span_of(stmt.start.year, stmt.start.kind, stmt.start.number, stmt.start.fiscal)[0]
        last = probe.span_of(stmt.end.year, stmt.end.kind, stmt.end.number, stmt.end.fiscal)[1]
    except ValueError as err:
        s.report.error("bad-period", str(err), stmt.span, Label(stmt.span),
                       hint=getattr(err, "hint", None) or f"a {stmt.frequency} timeline is written "
                                                          f"{_example(stmt.frequency)}")
        s.fail_if_errors()
    years = (probe.last_month(first)[0], probe.last_month(last)[0])  # calendar years, fiscal ones included
    for end, year in zip((stmt.start, stmt.end), years):
        if not FIRST_YEAR <= end.year <= LAST_YEAR or not FIRST_YEAR <= year <= LAST_YEAR:
            s.report.error("bad-period", f"{end} is not a year a spreadsheet can date: periods run from {FIRST_YEAR} "
                           f"to {LAST_YEAR}", stmt.span, Label(stmt.span),
                           hint="periods are calendar years (2027), quarters (2027Q3) or months (2027-03)")
            s.fail_if_errors()
    if first <= last and probe.end_date(first) < FIRST_DATE:
        s.report.error("bad-period", f"the timeline's first period ends on {probe.end_date(first).isoformat()}: a "
                       "spreadsheet counts a 29 February 1900 that never was, so its dates before 1 March 1900 "
                       "disagree with the calendar (YEAR, XIRR, XNPV)", stmt.span, Label(stmt.span),
                       hint="start the timeline with a period ending on or after 1900-03-01 (1900-03 monthly, "
                            "1900Q1 quarterly, 1900 yearly)")
    if last < first:
        s.report.error("bad-period", f"the timeline ends ({stmt.end}) before it starts ({stmt.start})",
                       stmt.span, Label(stmt.span), hint=f"write it from the earlier period: timeline "
                       f"{stmt.end}..{stmt.start} {stmt.frequency}")
    elif last - first + 1 > MAX_PERIODS:
        s.report.error("limit", f"the timeline has {last - first + 1:,} periods, more than {MAX_PERIODS:,}",
                       stmt.span, Label(stmt.span),
                       hint="a longer horizon is a coarser timeline: quarterly or yearly")
    s.fail_if_errors()
    return ir.Timeline(stmt.frequency, first, last - first + 1, s.units.parse(unit), s.units.year_days, ending)


def fiscal_end(s, stmt: ast.Timeline) -> int | None:
    """`ending June`: the month (1..12) fiscal years end in; None for calendar years."""
    if stmt.ending is None:
        return None
    names = {m.lower(): k for k, m in enumerate(ir.MONTHS, 1)} | {m[:3].lower(): k for k, m in enumerate(ir.MONTHS, 1)}
    month = names.get(stmt.ending.lower())
    if month is None:
        s.report.error("bad-period", f"`{stmt.ending}` is not a month", stmt.span, Label(stmt.span),
                       hint="write the month fiscal years end in: timeline FY2025..FY2030 yearly ending June")
        s.fail_if_errors()
    return month

def _example(frequency: str) -> str:
    return {"yearly": "timeline 2025..2033 yearly", "quarterly": "timeline 2025Q1..2027Q4 quarterly",
            "monthly": "timeline 2025-01..2033-12 monthly"}[frequency]


def daycount(s, statements) -> str:
    """`daycount 365` (the default) or `daycount 365.25`: the days in a year."""
    found = [stmt for stmt in statements if isinstance(stmt, ast.DayCount)]
    for extra in found[1:]:
        s.report.error("duplicate-definition", "the model has two `daycount` lines", extra.span,
                       Label(extra.span), Label(found[0].span, "first one here"))
    if not found:
        return DEFAULT_DAYCOUNT
    convention = found[0].convention
    if convention not in DAYCOUNTS:
        s.report.error("bad-daycount", f"`daycount {convention}` is not a day count: a year is 365 or 365.25 days",
                       found[0].span, Label(found[0].span),
                       hint="write `daycount 365` (the default: 8,760 hours, as Excel's XNPV) or `daycount 365.25` "
                            "(the Julian year, pint's)")
        return DEFAULT_DAYCOUNT
    return convention


def unit_system(s, statements, days: str = DEFAULT_DAYCOUNT) -> UnitSystem:
    base = shared_unit_system(daycount=days)
    definitions = []
    for stmt in statements:
        if not isinstance(stmt, ast.UnitDef):
            continue
        if base.is_unit_name(stmt.name) or stmt.name in SCALES or any(
                d.startswith(stmt.name + " = ") for d in definitions):
            s.report.error("duplicate-definition", f"`{stmt.name}` is already a unit", stmt.span,
                           Label(stmt.span), hint="choose another name")
            continue
        if stmt.definition is None:
            definitions.append(f"{stmt.name} = [{stmt.name}]")
            continue
        q = stmt.definition
        value = scaled(q.number, q.scale)
        if not (np.isfinite(value) and value > 0):
            s.report.error("bad-unit", "a unit is a positive multiple of another unit", q.span,
                           Label(q.span), hint=f"e.g. unit {stmt.name} = 1000 token")
            continue
        try:
            unit = shared_unit_system(tuple(definitions), days).parse(q.unit) if q.unit else None
        except UnitError as err:
            s.report.error("unknown-unit", str(err), q.span, Label(q.span), hint=err.hint)
            continue
        candidate = f"{stmt.name} = {value!r}" + (f" * {unit}" if unit is not None else "")
        try:
            UnitSystem(tuple(definitions + [candidate]), days)
        except Exception as err:  # pint refuses the definition: say so, at the statement
            s.report.error("bad-unit", f"cannot define unit `{stmt.name}` ({type(err).__name__})", stmt.span,
                           Label(stmt.span))
            continue
        definitions.append(candidate)
    return shared_unit_system(tuple(definitions), days) if definitions else base

