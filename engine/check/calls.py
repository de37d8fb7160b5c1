"""Function calls typed through the registry (engine/builtins.py): one unit rule per kind of rule,
reductions over period ranges, running sums and the series functions."""

from __future__ import annotations

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Span, did_you_mean
from . import common, expressions, periods
from .expressions import HANDLERS
from .scope import Abandon


def rule_same(s, node, builtin, typed, shape, ctx):
    first = expressions.numeric(s, typed[0], ctx)
    verb = f"take the {builtin.name} of"
    rest = [expressions.same_dimension(s, first, expressions.numeric(s, a, ctx), node, ctx, verb)
            for a in typed[1:]]
    return ir.Func(builtin.name, (first, *rest), ir.Type(first.type.unit, shape), node.span)


def rule_condition(s, node, builtin, typed, shape, ctx):
    cond = expressions.boolean(s, typed[0], ctx, "the condition")
    a, b = typed[1], typed[2]
    if a.type.boolean != b.type.boolean:
        ctx.report.error("type", "both branches of if() must be numbers, or both true/false", node.span,
                         Label(a.span), Label(b.span))
        raise Abandon
    if not a.type.boolean:
        b = expressions.same_dimension(s, a, b, node, ctx, "choose between")
    return ir.Func("if", (cond, a, b), ir.Type(a.type.unit, shape), node.span)


def rule_index(s, node, builtin, typed, shape, ctx):
    if not s.units.is_dimensionless(expressions.numeric(s, typed[0], ctx).type.unit):
        ctx.report.error("type", "choose's first argument is an option number (1, 2, ...)", typed[0].span,
                         Label(typed[0].span, common.u(s, typed[0].type.unit)))
        raise Abandon
    index = expressions.plain(s, typed[0])
    first = typed[1]
    rest = [expressions.same_dimension(s, first, a, node, ctx, "choose between") if not first.type.boolean else a
            for a in typed[2:]]
    return ir.Func("choose", (index, first, *rest), ir.Type(first.type.unit, shape), node.span)


def rule_keep(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    return ir.Func(builtin.name, (x,), x.type, node.span)


def rule_digits(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    digits = typed[1] if len(typed) > 1 else ir.Const(0.0, ir.Type(s.units.dimensionless, ir.SCALAR))
    if not (isinstance(digits, ir.Const) and s.units.is_dimensionless(digits.type.unit)
            and float(digits.value).is_integer()):
        ctx.report.error("type", "round's digits must be a whole number", digits.span or node.span,
                         Label(digits.span or node.span))
        raise Abandon
    return ir.Func(builtin.name, (x, digits), x.type, node.span)


def rule_plain(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    if not s.units.is_dimensionless(x.type.unit):
        ctx.report.error("unit-mismatch", f"{builtin.name}() takes a plain number, not {common.u(s, x.type.unit)}",
                         x.span, Label(x.span, common.u(s, x.type.unit)))
        raise Abandon
    x = expressions.plain(s, x)
    return ir.Func(builtin.name, (x,), ir.Type(s.units.dimensionless, x.type.shape), node.span)


def rule_root(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    if s.units.is_dimensionless(x.type.unit):
        x = expressions.plain(s, x)
        return ir.Func(builtin.name, (x,), ir.Type(s.units.dimensionless, x.type.shape), node.span)
    powers = dict(x.type.unit._units)
    if any(float(e) % 2 for e in powers.values()):
        ctx.report.error("unit-mismatch", f"{common.u(s, x.type.unit)} has no square root: its powers are not even",
                         x.span, Label(x.span, common.u(s, x.type.unit)),
                         hint="take the root of a plain number, or of a unit squared (m^2 → m)")
        raise Abandon
    return ir.Func(builtin.name, (x,), ir.Type(s.units.root(x.type.unit), x.type.shape), node.span)


def rule_sign(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    return ir.Func(builtin.name, (x,), ir.Type(s.units.dimensionless, x.type.shape), node.span)


def type_Call(s, node: ast.Call, ctx):
    builtin = builtins.lookup(node.func, len(node.args))
    if builtin is None:
        f = node.func
        name_span = Span(node.span.file, node.span.line, node.span.col, node.span.line, node.span.col + len(f))
        ctx.report.error("unknown-name", f"unknown function `{f}`", name_span, Label(name_span),
                         hint=did_you_mean(f, builtins.NAMES) or "functions: " + ", ".join(builtins.NAMES))
        raise Abandon
    arity(s, node, builtin, ctx)
    if builtin.kind == "calendar":
        return calendar_function(s, node, builtin, ctx)
    if any(isinstance(a, ast.PeriodRange) for a in node.args):
        ctx.report.error("type", f"{node.func}() does not take a range of periods", node.span, Label(node.span),
                         hint=f"write {builtin.signature}")
        raise Abandon
    if builtin.kind == "reduction":
        return reduction(s, node, builtin, ctx)
    if builtin.kind in ("running", "series"):
        return series_function(s, node, builtin, ctx)
    typed = [expressions.expr(s, a, ctx) for a in node.args]
    shape = ir.join(a.type.shape for a in typed)
    return RULES[builtin.unit_rule](s, node, builtin, typed, shape, ctx)


def arity(s, node, builtin, ctx):
    n, (low, high) = len(node.args), builtin.arity
    if n < low or (high is not None and n > high):
        want = str(low) if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
        plural = "s" if (high is None or high != 1) else ""
        ctx.report.error("arity", f"{node.func}() takes {want} argument{plural}, not {n}", node.span,
                         Label(node.span), hint=f"write {builtin.signature}")
        raise Abandon


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
    first = "" if x != "x" or not common.text(s, arg) else f"make it a series first (x[t] = {common.text(s, arg)}), then "
    ctx.report.error("shape", f"{node.func}() reads a series over periods", span, Label(span),
                     hint=f"{first}write {node.func}({leading(s, node)}{x}[{s.timeline.range_text()}])")
    raise Abandon


def leading(s, node: ast.Call) -> str:
    """The arguments before the series, as written (`10 %/year, ` for npv), for a hint that
    rewrites the call: the hint must keep them."""
    texts = [common.text(s, a) or "..." for a in node.args[:-1]]
    return "".join(f"{t}, " for t in texts)


def reduction(s, node: ast.Call, builtin, ctx):
    """f([plain numbers,] x[a..b]): the leading arguments (npv's rate) are plain numbers or
    percent, the last is a series over a range of periods."""
    f = node.func
    extra = [rate_per_period(s, expressions.numeric(s, expressions.expr(s, arg, ctx), ctx, "the discount rate"),
                             f, ctx) for arg in node.args[:-1]]
    target = node.args[-1]
    name, start, stop, t = range_arg(s, target, node, ctx)
    if t.boolean:
        expressions.numeric(s, ir.Const(0.0, t, target.span), ctx, f"`{name}`")
    if builtin.unit_rule == "integrate":
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


# The calendar functions a timeline has: what each period knows about itself.
CALENDAR_ON = {"quarter": ("monthly", "quarterly"), "month": ("monthly",)}


def calendar_function(s, node: ast.Call, builtin, ctx):
    """year(), quarter(), month(), period_length(), in_period(a..b): series over the timeline."""
    f, tl = node.func, s.timeline
    if not ctx.series:
        ctx.report.error("shape", f"{f}() is about the current period: only inside a series", node.span,
                         Label(node.span), hint=f"e.g. x[t] = ... {f}() ..., or a check `for t in ...`")
        raise Abandon
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


def rate_per_period(s, value, f: str, ctx):
    """npv's rate as a plain number per period. A rate per time (10 %/year) becomes its share of
    one period (10 %/year on months: 10/12 % a month, as Excel users write NPV(10%/12, ...)); a
    plain rate is per period, which only a yearly timeline can take without a guess."""
    units, tl = s.units, s.timeline
    unit = value.type.unit
    if units.is_dimensionless(unit):
        if tl.per_year != 1:
            ctx.report.error("unit-mismatch", f"{f}'s rate is plain, so it would be per {tl.kind}: say per what",
                             value.span, Label(value.span, "per period?"),
                             hint=f"write the rate per year (e.g. 10 %/year: {tl.per_year} compounding periods a "
                                  f"year) or per {tl.kind} (e.g. 1 %/{tl.kind})")
            raise Abandon
        return expressions.plain(s, value)
    per_period = units.mul(unit, tl.step_unit)
    if not units.is_dimensionless(per_period):
        ctx.report.error("unit-mismatch", f"{f}'s rate is a plain number per period or a rate per time (10 %/year), "
                         f"not {common.u(s, unit)}", value.span, Label(value.span, common.u(s, unit)))
        raise Abandon
    factor = units.factor(per_period, units.dimensionless)
    return ir.Convert(value, factor, unit, ir.Type(units.dimensionless, value.type.shape), value.span)


def series_function(s, node: ast.Call, builtin, ctx):
    arg = node.args[0]
    if not (isinstance(arg, ast.Name) or (isinstance(arg, ast.Indexed) and isinstance(arg.index, ast.Current))):
        span = getattr(arg, "span", node.span)
        ctx.report.error("shape", f"{node.func}() takes a series name", span, Label(span),
                         hint=f"write {node.func}(x)")
        raise Abandon
    if arg.name not in s.inputs and arg.name not in s.formulas:
        expressions.unknown_name(s, arg.name, arg.span, ctx)
    t = expressions.quantity_type(s, arg.name, arg.span, ctx)
    if not t.series or t.boolean:
        ctx.report.error("shape", f"{node.func}() takes a numeric series; `{arg.name}` is not one", arg.span,
                         Label(arg.span))
        raise Abandon
    if not ctx.series:
        ctx.report.error("shape", f"{node.func}() gives a series, but this is a single value", node.span,
                         Label(node.span))
        raise Abandon
    if node.func == "growth":
        now = ir.Ref(arg.name, 0, t, arg.span)
        before = ir.Ref(arg.name, -1, t, arg.span)
        ratio = expressions.product(s, "/", now, before, ir.SERIES, node.span)
        one = ir.Const(1.0, ir.Type(s.units.dimensionless, ir.SCALAR), node.span)
        return ir.Sum(ratio, (("-", one),), ir.Type(s.units.dimensionless, ir.SERIES), node.span)
    if builtin.unit_rule == "integrate":
        factor, unit = s.units.simplify(s.units.mul(t.unit, s.timeline.step_unit))
    else:
        factor, unit = 1.0, t.unit
    return ir.Running(node.func, arg.name, factor, ir.Type(unit, ir.SERIES), node.span)


# The unit rules of element-wise functions, by the name engine/builtins.py gives them.
RULES = {"same": rule_same, "condition": rule_condition, "index": rule_index, "keep": rule_keep,
         "digits": rule_digits, "plain": rule_plain, "root": rule_root, "sign": rule_sign}
HANDLERS[ast.Call] = type_Call
