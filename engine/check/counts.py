"""Whole numbers of periods that a literal or an input gives: depreciation's life, the lag of
`x[t-lag]`. One rule for both: a plain number (periods) or a time (2 year = 24 months on a monthly
timeline), a single value (not a range: it cannot vary between Monte Carlo samples), whole and
within bounds where its value is known (the model's or the scenario's; a --set value is checked
when the model runs: engine/compiler.py whole_periods)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir, period_counts
from .. import syntax as ast
from ..diagnostics import Label
from . import common
from .scope import Abandon


@dataclass(frozen=True)
class Count:
    """What a count is for, in messages."""

    what: str  # "a depreciation life"
    code: str  # the error's kind
    most: int | None  # the largest value allowed (the smallest is 1); None: checked where it is read
    too_long: str  # why more than `most` is wrong
    example: str  # how to write one
    source: str = "is a number written here or an input"  # where it may come from


def life(s) -> Count:
    n = len(s.timeline)
    return Count("a depreciation life", "bad-life", n, f"it is longer than the timeline ({n} {s.timeline.kind}s)",
                 "write the life (20 year, or 240 for months) or name an input: input dep_life = 20 year")


def lag(s, index: ast.Shift, name: str) -> Count:
    ahead = index.sign > 0
    # how far is checked where it is read (periods.coverage), with the equation's own periods
    return Count(f"the {'lead' if ahead else 'lag'} `{index.by.name}` of {name}[{_written(index)}]", "bad-lag", None,
                 "",
                 f"declare it as an input: input {index.by.name} = 2 year (a whole number of {s.timeline.kind}s; "
                 "scenarios and --set may change it)", "must be an input")


def _written(index: ast.Shift) -> str:
    return f"t{'+' if index.sign > 0 else '-'}{index.by.name}"


def whole_periods(s, typed, ctx, count: Count):
    """The typed count (the caller types it: typing is expressions', which reads counts) as a
    plain number of periods (an ir node reading a literal or an input)."""
    span = typed.span
    source = typed.operand if isinstance(typed, ir.Convert) else typed
    q = s.quantities.get(source.name) if isinstance(source, ir.Ref) else None
    if not (isinstance(source, ir.Const) or (q is not None and q.kind == "input" and not q.type.series)):
        what = "a formula" if q is not None and q.kind != "input" else "a series" if q is not None else "this"
        ctx.report.error("type", f"{count.what} {count.source}, not {what}", span,
                         Label(span), hint=count.example)
        raise Abandon
    if q is not None and (q.low is not None or q.distribution is not None):
        ctx.report.error("type", f"`{source.name}` is a range: {count.what} cannot vary between samples",
                         span, Label(span), hint=f"give {source.name} one value (scenarios may set others)")
        raise Abandon
    unit = typed.type.unit
    if unit is None:
        ctx.report.error("type", f"{count.what} is a number of periods, not true/false", span, Label(span),
                         hint=count.example)
        raise Abandon
    if s.units.is_dimensionless(unit):
        periods = common.plain(s, typed)
    elif s.units.same_dimension(unit, s.timeline.step_unit):
        periods = common.convert(s, typed, s.timeline.step_unit)
        periods = ir.Convert(periods, 1.0, periods.type.unit, ir.Type(s.units.dimensionless, ir.SCALAR), span)
    else:
        ctx.report.error("unit-mismatch", f"{count.what} is a number of periods or a time, not "
                         f"{common.u(s, unit)}", span, Label(span, common.u(s, unit)),
                         hint="write 2 year, or a plain number of periods")
        raise Abandon
    value = known_value(s, periods)
    problem = period_counts.count_problem(value, count.most) if value is not None else None
    if problem is not None:
        kind = s.timeline.kind
        why = {"fraction": f"it must be a whole number of {kind}s", "below one": "it must be at least one period",
               "too many": count.too_long}[problem]
        shown = f"{value:g} {kind}s"
        ctx.report.error(count.code, f"{count.what} is {shown}: {why}", span, Label(span, shown),
                         hint=f"a whole number of {kind}s" + (f" from 1 to {count.most}" if count.most else ", 1 or more")
                         + ", or a time that is one")
        raise Abandon
    return periods


def known_value(s, node) -> float | None:
    """The value of a literal or an input's single value (through conversions), else None."""
    if isinstance(node, ir.Const):
        return float(node.value)
    if isinstance(node, ir.Convert):
        inner = known_value(s, node.operand)
        return None if inner is None else inner * node.factor
    if isinstance(node, ir.Ref):
        q = s.quantities.get(node.name)
        if q is not None and q.kind == "input" and q.value is not None:
            return float(q.value[0])
    return None
