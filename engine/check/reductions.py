"""Functions over a range of periods (sum, total, average, min, max, npv, cagr, irr, xirr, xnpv,
first_period, periods_before): the series read over its periods, the leading arguments (npv's
rate, irr's guess) checked, and the result's unit (a flow's periods integrated where they add)."""

from __future__ import annotations

import re

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label
from . import common, expressions, periods
from .finance_roles import FINANCE_ROLES, ROLE_NAMES, default_argument
from .rates import NPV_RATE, rate_per_period
from .scope import Abandon


def range_arg(s, arg, node, ctx):
    """A series over a period range: x[2025..2029], x[2027..] or a bare series name (all periods)."""
    if isinstance(arg, ast.Name) and (arg.name in s.inputs or arg.name in s.formulas):
        t = expressions.quantity_type(s, arg.name, arg.span, ctx)
        if t.series:
            return arg.name, 0, len(s.timeline) - 1, t
    if isinstance(arg, ast.Indexed) and isinstance(arg.index, (ast.PeriodRange, ast.Fixed)):  # x[2026]: its periods
        if arg.name not in s.inputs and arg.name not in s.formulas:
            expressions.unknown_name(s, arg.name, arg.span, ctx)
        t = expressions.quantity_type(s, arg.name, arg.span, ctx)
        if not t.series:  # one value: its "periods" would be a single number, read as a whole range
            ctx.report.error("shape", f"`{arg.name}` is a single value, not a series: {node.func}() has no periods "
                             "to read", arg.span, Label(arg.span),
                             hint=f"a single value over the periods is a formula: {arg.name}_each[t] = {arg.name}, "
                                  f"then {node.func}({leading(s, node)}{arg.name}_each[{s.timeline.range_text()}])")
            raise Abandon
        start, stop = periods.period_span(s, arg.index, ctx.report)
        return arg.name, start, stop, t
    span = getattr(arg, "span", node.span)
    x = arg.name if isinstance(arg, (ast.Name, ast.Indexed)) else "x"
    # the expression as a formula of its own: each range it selects read at the current period
    # (`x[t] = revenue[2027..2029] - costs[2027..2029]` would not check)
    each = re.sub(r"\[\s*[0-9FYQ-]+\s*\.\.\s*[0-9FYQ-]*\s*\]", "[t]", common.text(s, arg) or "")
    first = "" if x != "x" or not each else f"make it a series first (x[t] = {each}), then "
    ctx.report.error("shape", f"{node.func}() reads a series over periods", span, Label(span),
                     hint=f"{first}write {node.func}({leading(s, node)}{x}[{s.timeline.range_text()}])")
    raise Abandon


def leading(s, node: ast.Call) -> str:
    """The arguments before the series, as written (`10 %/year, ` for npv), for a hint that
    rewrites the call: the hint must keep them."""
    at = common.series_argument(node)
    texts = [common.text(s, a) or "..." for a in node.args[:at]]
    return "".join(f"{t}, " for t in texts)


def reduction(s, node: ast.Call, builtin, ctx):
    """f([plain numbers,] x[a..b]): the leading arguments (npv's rate) are plain numbers or
    percent, the last is a series over a range of periods."""
    f = node.func
    if builtin.roles:
        return finance_reduction(s, node, builtin, ctx)
    if builtin.blank:
        return first_found(s, node, builtin, ctx)
    extra = [discount_rate(s, arg, f, ctx) for arg in node.args[:-1]]
    target = node.args[-1]
    name, start, stop, t = range_arg(s, target, node, ctx)
    if t.boolean:
        expressions.numeric(s, ir.Const(0.0, t, target.span), ctx, f"`{name}`")
    if f == "sum":
        no_sum_of_rates(s, node, name, t, ctx)
    if f == "npv":
        factor, unit = discounted_unit(s, t.unit)
    elif builtin.unit_rule == "integrate":
        factor, unit = s.units.simplify(s.units.mul(t.unit, s.timeline.step_unit))
    elif builtin.unit_rule == "ratio":  # cagr: per year, whatever the periods (step: a period in years)
        factor, unit = 1.0 / s.timeline.per_year, s.units.dimensionless
        if stop <= start:
            ctx.report.error("bad-period", f"{f}() needs at least two periods", target.span, Label(target.span))
            raise Abandon
    else:
        factor, unit = 1.0, t.unit
    shape = ir.join(a.type.shape for a in extra)
    return ir.Reduce(f, name, start, stop, factor, tuple(extra), ir.Type(unit, shape), node.span)


def discount_rate(s, arg, f: str, ctx):
    """npv's rate as a plain number per period (rates.NPV_RATE). A rate per time (10 %/year)
    becomes its share of one period (10 %/year on months: 10/12 % a month, as Excel users write
    NPV(10%/12, ...)); a plain rate is per period, which only a yearly timeline can take without
    a guess."""
    rate = expressions.numeric(s, expressions.expr(s, arg, ctx), ctx, "the discount rate")
    return rate_per_period(s, rate, f, rate.span, ctx, NPV_RATE)


def no_sum_of_rates(s, node: ast.Call, name: str, t: ir.Type, ctx) -> None:
    """sum() (or running_sum()) over periods of a flow adds rates: four quarters at 400 million
    USD/year are not 1,600 million USD/year. total() integrates them into the amount."""
    if not s.units.is_flow(t.unit):
        return
    kind, unit = s.timeline.kind, common.u(s, t.unit)
    amount = s.units.short(s.units.simplify(s.units.mul(t.unit, s.timeline.step_unit))[1])
    other = "total" if node.func == "sum" else "running_total"
    rewritten = common.text(s, node).replace(node.func + "(", other + "(", 1) or f"{other}({name})"
    ctx.report.error("unit-mismatch", f"`{name}` is a flow ({unit}): {node.func}() would add up its {kind}s' rates, "
                     f"and a sum of rates is no number (two {kind}s at 400 {unit} are not 800 {unit})",
                     node.span, Label(node.span, unit),
                     hint=f"integrate it into the amount ({amount}): `{rewritten}`; average, min and max of a rate "
                          "are rates")
    raise Abandon


def first_found(s, node: ast.Call, builtin, ctx):
    """first_period(flag[a..b]) and periods_before(flag[a..b]): a true/false series; the first
    a period (its end date's serial, shown as its label), the second a time in periods."""
    name, start, stop, t = range_arg(s, node.args[0], node, ctx)
    if not t.boolean:
        span = node.args[0].span
        ctx.report.error("type", f"{node.func}() looks for the first period a true/false series holds; "
                         f"`{name}` is a number ({common.u(s, t.unit)})", span, Label(span, common.u(s, t.unit)),
                         hint=f"compare it first: {name}_low = {name} < 0 {common.u(s, t.unit)}, then "
                              f"{node.func}({name}_low[{s.timeline.range_text()}])")
        raise Abandon
    unit = s.units.dimensionless if node.func == "first_period" else s.timeline.step_unit
    return ir.Reduce(node.func, name, start, stop, 1.0, (), ir.Type(unit, ir.SCALAR), node.span)


def discounted_unit(s, unit):
    """npv's and xnpv's result: a flow's periods are its amounts (USD/year over a year: USD); an
    amount per period (USD each period) is discounted as it is."""
    if s.units.is_flow(unit):
        return s.units.simplify(s.units.mul(unit, s.timeline.step_unit))
    return 1.0, unit


def finance_reduction(s, node: ast.Call, builtin, ctx):
    """irr, xirr, xnpv: the series where the registry's roles put it, the other arguments checked
    for their roles (a guess is a plain number, xnpv's rate per year), defaults filled in."""
    at = builtin.roles.index("series")
    target = node.args[at]
    name, start, stop, t = range_arg(s, target, node, ctx)
    if t.boolean:
        expressions.numeric(s, ir.Const(0.0, t, target.span), ctx, f"`{name}`")
    extra = []
    for i, role in enumerate(builtin.roles):
        if role == "series":
            continue
        if i < len(node.args):
            x = expressions.numeric(s, expressions.expr(s, node.args[i], ctx), ctx,
                                    f"{builtin.name}'s {ROLE_NAMES[role]}")
            extra.append(FINANCE_ROLES[role](s, x, builtin, node, ctx))
        else:
            extra.append(default_argument(s, builtin, i, None, node.span))
    if stop <= start:
        ctx.report.error("bad-period", f"{builtin.name}() needs cash flows in at least two periods", target.span,
                         Label(target.span), hint=f"write {builtin.name}({name}[{s.timeline.range_text()}])")
        raise Abandon
    if builtin.name == "xnpv":
        factor, unit = discounted_unit(s, t.unit)
    else:
        factor, unit = 1.0, s.units.dimensionless
    shape = ir.join(a.type.shape for a in extra)
    return ir.Reduce(builtin.name, name, start, stop, factor, tuple(extra), ir.Type(unit, shape), node.span)
