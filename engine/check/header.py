"""Pass 1: the header: title, timeline, the model's own units."""

from __future__ import annotations

import numpy as np

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label
from ..units import SCALES, UnitError, UnitSystem, scaled

MAX_PERIODS = 10_000


def read(s) -> None:
    """s.title, s.units, s.timeline (stops at the first errors: nothing can be typed without them)."""
    statements = s.module.statements
    s.title = title(s, statements)
    stmt = timeline_stmt(s, statements)
    s.units = unit_system(s, statements)
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
    if stmt.frequency != "yearly":
        s.report.error("unsupported", f"`{stmt.frequency}` timelines are not supported yet", stmt.span,
                       Label(stmt.span), hint="use yearly periods; quarterly and monthly are planned")
    if stmt.end < stmt.start:
        s.report.error("bad-period", f"the timeline ends ({stmt.end}) before it starts ({stmt.start})",
                       stmt.span, Label(stmt.span))
    elif stmt.end - stmt.start + 1 > MAX_PERIODS:
        s.report.error("limit", f"the timeline has more than {MAX_PERIODS} periods", stmt.span,
                       Label(stmt.span))
    s.fail_if_errors()
    periods = tuple(range(stmt.start, stmt.end + 1))
    return ir.Timeline(stmt.start, stmt.end, stmt.frequency, periods, s.units.parse("year"))


def unit_system(s, statements) -> UnitSystem:
    base = UnitSystem()
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
            unit = UnitSystem(tuple(definitions)).parse(q.unit) if q.unit else None
        except UnitError as err:
            s.report.error("unknown-unit", str(err), q.span, Label(q.span), hint=err.hint)
            continue
        candidate = f"{stmt.name} = {value!r}" + (f" * {unit}" if unit is not None else "")
        try:
            UnitSystem(tuple(definitions + [candidate]))
        except Exception as err:  # pint refuses the definition: say so, at the statement
            s.report.error("bad-unit", f"cannot define unit `{stmt.name}` ({type(err).__name__})", stmt.span,
                           Label(stmt.span))
            continue
        definitions.append(candidate)
    return UnitSystem(tuple(definitions)) if definitions else base

