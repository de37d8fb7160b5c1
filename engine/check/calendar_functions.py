"""The calendar functions: year(), quarter(), month(), fiscal_year(), fiscal_quarter(),
period_length() and in_period(a..b), each a series of what every period knows about itself, on
the timelines that can say it without a guess."""

from __future__ import annotations

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label
from . import periods
from .scope import Abandon


# The calendar functions a timeline has: what each period knows about itself.
CALENDAR_ON = {"quarter": ("monthly", "quarterly"), "fiscal_quarter": ("monthly", "quarterly"), "month": ("monthly",)}
FISCAL_ONLY = {"fiscal_year": "year", "fiscal_quarter": "quarter"}  # -> what calendar timelines write
CALENDAR_ONLY = {"year": "fiscal_year", "quarter": "fiscal_quarter"}  # -> what fiscal timelines write


def fiscal_or_calendar(s, node: ast.Call, ctx) -> None:
    """On a timeline of fiscal years, year() and quarter() could mean the fiscal or the calendar
    one: refused, with both; fiscal_year() and fiscal_quarter() need fiscal years."""
    f, tl = node.func, s.timeline
    if tl.fiscal and f in CALENDAR_ONLY:
        ctx.report.error("bad-period", f"{f}() is ambiguous on a timeline of {tl.year_name}: the fiscal {f} or "
                         f"the calendar {f}?", node.span, Label(node.span),
                         hint=f"write {CALENDAR_ONLY[f]}() for the fiscal {f} (2025 in FY2025); for calendar dates "
                              "use month() or in_period(2025-01..2025-12)")
        raise Abandon
    if not tl.fiscal and f in FISCAL_ONLY:
        ctx.report.error("bad-period", f"{f}() needs fiscal years; this timeline's are calendar years", node.span,
                         Label(node.span), hint=f"write {FISCAL_ONLY[f]}(), or say where fiscal years end: "
                                                f"timeline {tl.range_text()} {tl.frequency} ending June")
        raise Abandon


def calendar_function(s, node: ast.Call, builtin, ctx):
    """year(), quarter(), month(), period_length(), in_period(a..b): series over the timeline."""
    f, tl = node.func, s.timeline
    if not ctx.series:
        ctx.report.error("shape", f"{f}() is about the current period: only inside a series", node.span,
                         Label(node.span), hint=f"e.g. x[t] = ... {f}() ..., or a check `for t in ...`")
        raise Abandon
    fiscal_or_calendar(s, node, ctx)
    allowed = CALENDAR_ON.get(f)
    if allowed and tl.frequency not in allowed:
        ctx.report.error("bad-period", f"{f}() needs a {' or '.join(allowed)} timeline; this one is {tl.frequency}",
                         node.span, Label(node.span),
                         hint="on a quarterly timeline quarter() says which quarter; year() works on every timeline")
        raise Abandon
    first = last = 0
    if f == "in_period":
        arg = node.args[0]
        if not isinstance(arg, ast.PeriodRange):
            span = getattr(arg, "span", node.span)
            ctx.report.error("type", "in_period() takes a range of periods", span, Label(span),
                             hint=f"write in_period({tl.range_text(0, min(len(tl) - 1, tl.per_year - 1))})")
            raise Abandon
        first, last = periods.period_span(s, arg, ctx.report)
        return ir.Period("within", first, last, ir.Type(None, ir.SERIES), node.span)
    if f == "period_length":
        return ir.Period("length", 0, 0, ir.Type(tl.step_unit, ir.SERIES), node.span)
    return ir.Period(f, 0, 0, ir.Type(s.units.dimensionless, ir.SERIES), node.span)
