"""Function calls typed through the registry (engine/builtins.py): one unit rule per kind of rule,
reductions over period ranges, running sums and the series functions."""

from __future__ import annotations

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Span, did_you_mean
from . import common, counts, expressions, periods
from .expressions import HANDLERS
from .scope import ANY_UNIT, Abandon, Unknown


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
    if a.type.unit is ANY_UNIT or b.type.unit is ANY_UNIT:
        # Inferring a loop's units: the branch whose unit is known gives it (the whole formula is
        # checked again once every unit is known).
        if a.type.unit is b.type.unit:
            raise Unknown
        known = a if b.type.unit is ANY_UNIT else b
        return ir.Func("if", (cond, known, known), ir.Type(known.type.unit, shape), node.span)
    if not a.type.boolean:
        b = expressions.same_dimension(s, a, b, node, ctx, "choose between")
    return ir.Func("if", (cond, a, b), ir.Type(a.type.unit, shape), node.span)


def rule_index(s, node, builtin, typed, shape, ctx):
    if not s.units.is_dimensionless(expressions.numeric(s, typed[0], ctx).type.unit):
        ctx.report.error("type", "choose's first argument is an option number (1, 2, ...)", typed[0].span,
                         Label(typed[0].span, common.u(s, typed[0].type.unit)))
        raise Abandon
    index = common.plain(s, typed[0])
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
    x = common.plain(s, x)
    return ir.Func(builtin.name, (x,), ir.Type(s.units.dimensionless, x.type.shape), node.span)


def rule_root(s, node, builtin, typed, shape, ctx):
    x = expressions.numeric(s, typed[0], ctx)
    if s.units.is_dimensionless(x.type.unit):
        x = common.plain(s, x)
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
    if builtin.unit_rule == "vintage":
        return vintage_function(s, node, builtin, ctx)
    if builtin.kind in ("running", "series"):
        return series_function(s, node, builtin, ctx)
    typed = [blank_reader(s, a, ctx, node.func) if k == 0 and node.func in builtins.READS_BLANK
             else expressions.expr(s, a, ctx) for k, a in enumerate(node.args)]
    shape = ir.join(a.type.shape for a in typed)
    return RULES[builtin.unit_rule](s, node, builtin, typed, shape, ctx)


def blank_reader(s, arg, ctx, func: str = "is_blank"):
    """The first argument of is_blank() or value_or(): it may read a formula that can be blank
    (value_or not a period: a period found is shown, never computed with)."""
    ctx.reads_blank = True
    try:
        typed = expressions.expr(s, arg, ctx)
    finally:
        ctx.reads_blank = False
    period = next((n for n in ir.walk(typed) if isinstance(n, ir.Ref) and
                   ir.blank_function(s.quantities.get(n.name)) == "first_period"), None)
    if func == "value_or" and period is not None:
        ctx.report.error("blank", f"`{period.name}` is a period: it is shown, not computed with, so it has no "
                         "other value to stand for", period.span, Label(period.span),
                         hint=f"test it with is_blank({period.name}); to compute with when it falls, count periods "
                              "instead: periods_before(...) is a time")
        raise Abandon
    return typed


def rule_blank(s, node, builtin, typed, shape, ctx):
    return ir.Func(builtin.name, (typed[0],), ir.Type(None, shape), node.span)


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
    extra = [rate_per_period(s, expressions.numeric(s, expressions.expr(s, arg, ctx), ctx, "the discount rate"),
                             f, ctx) for arg in node.args[:-1]]
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
        return common.plain(s, value)
    per_period = units.mul(unit, tl.step_unit)
    if not units.is_dimensionless(per_period):
        ctx.report.error("unit-mismatch", f"{f}'s rate is a plain number per period or a rate per time (10 %/year), "
                         f"not {common.u(s, unit)}", value.span, Label(value.span, common.u(s, unit)))
        raise Abandon
    return per_time(s, value, tl.step_unit)


def per_time(s, rate, time):
    """A rate per time (8 %/year) as the plain number it is over `time` (one period, or a year)."""
    units = s.units
    factor = units.factor(units.mul(rate.type.unit, time), units.dimensionless)
    return ir.Convert(rate, factor, rate.type.unit, ir.Type(units.dimensionless, rate.type.shape), rate.span)


def vintage_function(s, node: ast.Call, builtin, ctx):
    """depreciation(x, life[, first]): x a numeric series (by name), life a whole number of periods
    (a plain number or a time) that is a literal or an input and no range, first a literal 0..1."""
    arg, t = series_name_argument(s, node, ctx, "the capex of each period", hint=(
        "make it a quantity first: capex_total = ..., then depreciation(capex_total, life)"))
    life = counts.whole_periods(s, expressions.expr(s, node.args[1], ctx), ctx, counts.life(s))
    first = 0.0
    if len(node.args) > 2:
        typed = expressions.expr(s, node.args[2], ctx)
        share = counts.known_value(s, common.plain(s, typed)) if isinstance(typed, ir.Const) and \
            s.units.is_dimensionless(typed.type.unit) else None
        if share is None or not 0 <= share <= 1:
            span = node.args[2].span
            ctx.report.error("type", "depreciation's `first` is the share of one period's charge taken in the capex's "
                             "own period: a number from 0 to 1", span, Label(span),
                             hint="0: from the next period (the default); 0.5: half a charge in the first period "
                                  "(half-year convention); 1: from the same period")
            raise Abandon
        first = share
    return ir.Vintage("depreciation", arg.name, life, first, ir.Type(t.unit, ir.SERIES), node.span)


def series_name_argument(s, node: ast.Call, ctx, what: str = "", hint: str = ""):
    """The first argument of a function that gives a series from a series (growth, running_total,
    depreciation): a numeric series named by itself (x or x[t]), in a formula that is a series.
    Returns (the name's node, its type)."""
    arg = node.args[0]
    if not (isinstance(arg, ast.Name) or (isinstance(arg, ast.Indexed) and isinstance(arg.index, ast.Current))):
        span = getattr(arg, "span", node.span)
        ctx.report.error("shape", f"{node.func}() takes a series name" + (f" first ({what})" if what else ""), span,
                         Label(span), hint=hint or f"write {node.func}(x)")
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
    return arg, t


def series_function(s, node: ast.Call, builtin, ctx):
    arg, t = series_name_argument(s, node, ctx)
    if node.func == "running_sum":
        no_sum_of_rates(s, node, arg.name, t, ctx)
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


# ---------------------------------------------------------------------- financial functions


def rule_finance(s, node, builtin, typed, shape, ctx):
    """Excel's financial functions: each argument checked for its role (FINANCE_ROLES), the
    optional ones left out filled with Excel's defaults; the result in the first amount's unit
    (pmt, pv, sln, ...) or a plain number (nper, rate)."""
    args, amount = finance_args(s, node, builtin, typed, ctx)
    unit = amount if amount is not None and builtin.name not in ("nper", "rate") else s.units.dimensionless
    return ir.Func(builtin.name, tuple(args), ir.Type(unit, shape), node.span)


def finance_args(s, node, builtin, typed, ctx):
    """The arguments converted for their roles (defaults appended), and the amounts' unit."""
    out, amount, first = [], None, None
    for role, x in zip(builtin.roles, typed):
        x = expressions.numeric(s, x, ctx, f"{builtin.name}'s {ROLE_NAMES[role]}")
        if role == "amount":
            if amount is None:
                amount, first = x.type.unit, x
            elif s.units.same_dimension(amount, x.type.unit):
                x = common.convert(s, x, amount)
            else:
                ctx.report.error("unit-mismatch", f"{builtin.name}()'s amounts are of one kind: "
                                 f"{common.u(s, amount)} and {common.u(s, x.type.unit)} are not",
                                 x.span or node.span, Label(first.span or node.span, common.u(s, amount)),
                                 Label(x.span or node.span, common.u(s, x.type.unit)),
                                 hint=f"write each amount in {common.u(s, amount)} (0 USD for none): "
                                      f"{builtin.signature}")
                raise Abandon
        else:
            x = FINANCE_ROLES[role](s, x, builtin, node, ctx)
        out.append(x)
    out += [default_argument(s, builtin, i, amount, node.span) for i in range(len(typed), len(builtin.roles))]
    return out, amount


def default_argument(s, builtin, i: int, amount, span):
    """Argument i left out: Excel's default (fv 0, due 0, guess 10 %, ...), in the amounts' unit
    for an amount."""
    value = builtin.defaults[i - len(builtin.roles) + len(builtin.defaults)]
    unit = amount if builtin.roles[i] == "amount" and amount is not None else s.units.dimensionless
    return ir.Const(value, ir.Type(unit, ir.SCALAR), span)


def _time_part(s, unit):
    """The product of a unit's time factors: percent/year -> 1/year, percent/year*month -> month/year."""
    out = s.units.dimensionless
    for name, exponent in unit._units.items():
        part = s.units.registry.Unit(name)
        if part.dimensionality == s.timeline.step_unit.dimensionality:
            out = out * part ** exponent
    return out


def _typed_in(s, x) -> bool:
    """A number typed into the model (a literal, or an input read as it is), not computed."""
    while isinstance(x, ir.Convert):
        x = x.operand
    return isinstance(x, ir.Const) or (isinstance(x, (ir.Ref, ir.At)) and x.name in s.inputs)


def role_rate(s, x, builtin, node, ctx):
    """A rate per period, said so: a plain rate on a yearly timeline; on a sub-annual one a rate per
    its period (0.5 %/month) or one computed (8 %/year * period_length(), or a formula's). A rate per
    year on a monthly timeline is refused rather than guessed (nominal / 12, or compounded?), and
    so is a plain rate typed in (a literal or an input): per month, or per year?"""
    units, tl, f = s.units, s.timeline, builtin.name
    unit, span = x.type.unit, x.span or node.span
    if units.is_dimensionless(unit):
        if tl.per_year != 1 and units.equal(_time_part(s, unit), units.dimensionless) and _typed_in(s, x):
            ctx.report.error("unit-mismatch", f"{f}'s rate is per period, and a plain rate here would be per "
                             f"{tl.kind}: say per what", span, Label(span, f"per {tl.kind}?"),
                             hint=f"write a rate per {tl.kind} (0.5 %/{tl.kind}), or convert one per year "
                                  f"explicitly: rate * period_length() (8 %/year → 0.667 % a {tl.kind})")
            raise Abandon
        return common.plain(s, x)
    per_period = units.mul(unit, tl.step_unit)
    if not units.is_dimensionless(per_period):
        ctx.report.error("unit-mismatch", f"{f}'s rate is a plain number per period or a rate per time, not "
                         f"{common.u(s, unit)}", span, Label(span, common.u(s, unit)))
        raise Abandon
    own = units.div(units.dimensionless, _time_part(s, unit))  # the time the rate is per
    if abs(units.factor(own, tl.step_unit) - 1.0) > 1e-12:
        ctx.report.error("unit-mismatch", f"{f}'s rate is per period (a {tl.kind}), not per "
                         f"{units.short(own)}: convert it explicitly", span, Label(span, common.u(s, unit)),
                         hint=f"the nominal rate per {tl.kind}: {common.text(s, x) or 'rate'} * period_length(); "
                              f"the compounded one: (1 + {common.text(s, x) or 'rate'} * 1 {units.short(own)})"
                              f"^(1 {tl.kind} / 1 {units.short(own)}) - 1")
        raise Abandon
    return per_time(s, x, tl.step_unit)


def role_count(s, x, builtin, node, ctx):
    """A number of periods (or a period number): plain, or a time converted to periods (20 year
    on a monthly timeline is 240)."""
    units, tl = s.units, s.timeline
    if units.is_dimensionless(x.type.unit):
        return common.plain(s, x)
    if units.same_dimension(x.type.unit, tl.step_unit):
        return ir.Convert(x, units.factor(x.type.unit, tl.step_unit), x.type.unit,
                          ir.Type(units.dimensionless, x.type.shape), x.span)
    span = x.span or node.span
    ctx.report.error("unit-mismatch", f"{builtin.name}() counts periods: a plain number or a time, not "
                     f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                     hint=f"e.g. 20 (periods) or 20 year ({20 * tl.per_year} {tl.kind}s on this timeline)")
    raise Abandon


def role_plain(s, x, builtin, node, ctx, what: str = "this argument"):
    if not s.units.is_dimensionless(x.type.unit):
        span = x.span or node.span
        ctx.report.error("unit-mismatch", f"{builtin.name}()'s {what} is a plain number, not "
                         f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                         hint=f"write {builtin.signature}" + (" with a guess like 10 %" if what == "guess" else ""))
        raise Abandon
    return common.plain(s, x)


def role_guess(s, x, builtin, node, ctx):
    return role_plain(s, x, builtin, node, ctx, "guess")


def role_due(s, x, builtin, node, ctx):
    """Excel's `type`: 0, payments at the end of each period, or 1, at the start: a literal."""
    if not (isinstance(x, ir.Const) and s.units.is_dimensionless(x.type.unit) and
            float(x.value) * s.units.factor(x.type.unit, s.units.dimensionless) in (0.0, 1.0)):
        span = x.span or node.span
        ctx.report.error("type", f"{builtin.name}'s `due` is 0 (payments at the end of each period) or 1 (at the "
                         "start), written as the number", span, Label(span), hint=f"write {builtin.signature}")
        raise Abandon
    return common.plain(s, x)


def role_annual_rate(s, x, builtin, node, ctx):
    """xnpv's rate: per year, as Excel's XNPV takes it (a plain number), or a rate per time."""
    units = s.units
    if units.is_dimensionless(x.type.unit):
        return common.plain(s, x)
    year = units.parse("year")
    per_year = units.mul(x.type.unit, year)
    if not units.is_dimensionless(per_year):
        span = x.span or node.span
        ctx.report.error("unit-mismatch", f"{builtin.name}'s rate is per year (8 % or 8 %/year), not "
                         f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                         hint=f"write {builtin.signature}, e.g. {builtin.name}(8 %, ...)")
        raise Abandon
    return per_time(s, x, year)


FINANCE_ROLES = {"rate": role_rate, "count": role_count, "plain": role_plain, "guess": role_guess,
                 "due": role_due, "annual rate": role_annual_rate}
ROLE_NAMES = {"rate": "rate", "count": "number of periods", "plain": "argument", "guess": "guess",
              "due": "due", "annual rate": "rate", "amount": "amount", "series": "cash flows"}


# The unit rules of element-wise functions, by the name engine/builtins.py gives them.
RULES = {"same": rule_same, "condition": rule_condition, "index": rule_index, "keep": rule_keep, "blank": rule_blank,
         "digits": rule_digits, "plain": rule_plain, "root": rule_root, "sign": rule_sign,
         "finance": rule_finance}
HANDLERS[ast.Call] = type_Call
