"""Expressions typed: every node's shape and unit inferred and checked with pint, conversions made
explicit (-> ir nodes). One function per syntax node type, found in HANDLERS; calls are typed by
engine/check/calls.py, which registers itself there."""

from __future__ import annotations

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Span, did_you_mean
from . import common, counts, literals, periods
from .scope import ANY_UNIT, Abandon, Context, Unknown


class Partial:
    """Stands for the sum of a chain's first operands in unit checks and their labels."""

    def __init__(self, type_: ir.Type | None, span: Span | None):
        self.type, self.span = type_, span


def cover(a: Span | None, b: Span | None) -> Span | None:
    return a.cover(b) if a is not None and b is not None else None


def ends_in_literal(node) -> bool:
    """True for `2 USD`, `2 USD / year`, `-3 GW`: the left side of a unit written after a literal."""
    while isinstance(node, (ast.Binary, ast.Unary, ast.Sum)):
        if isinstance(node, ast.Sum):
            node = node.rest[-1][1]
        else:
            node = node.right if isinstance(node, ast.Binary) else node.operand
    return isinstance(node, ast.Quantity)


def expr(s, node, ctx: Context):
    """The typed ir node of an expression (raises Abandon after reporting an error)."""
    method = HANDLERS.get(type(node))
    if method is None:
        span = getattr(node, "span", None)
        what = {"Table": "a table", "Range": "a range"}.get(type(node).__name__, "this")
        ctx.report.error("bad-expression", f"{what} is only valid as an input's value", span,
                         Label(span) if span else Label(Span(s.file, 1, 1, 1, 1)),
                         hint="declare it with `input NAME = ...` and use the name here")
        raise Abandon
    return method(s, node, ctx)


def type_Quantity(s, node: ast.Quantity, ctx):
    value = literals.magnitude(s, node, ctx.report)
    unit = s.units.dimensionless if node.unit is None else literals.literal_unit(s, node, ctx.report)
    return ir.Const(value, ir.Type(unit, ir.SCALAR), node.span)


def type_Boolean(s, node: ast.Boolean, ctx):
    return ir.Const(1.0 if node.value else 0.0, ir.Type(None, ir.SCALAR), node.span)


def quantity_type(s, name: str, span: Span, ctx) -> ir.Type:
    if name in s.broken:
        raise Abandon
    pending = s.pending
    if name in pending and name not in s.quantities:
        if ctx.wildcard:
            return ir.Type(ANY_UNIT, pending[name].type.shape)
        raise Unknown
    q = s.quantities.get(name) or pending.get(name)
    if q is None:
        raise Abandon  # defined, but failed earlier: its own error is already reported
    return q.type


def type_Name(s, node: ast.Name, ctx):
    name = node.name
    if name in s.inputs or name in s.formulas:
        t = quantity_type(s, name, node.span, ctx)
        if t.series and not ctx.series:
            series_in_scalar(s, name, node.span, ctx)
        if not ctx.reads_blank:
            no_blank(s, name, node.span, ctx)
        return ir.Ref(name, 0, t, node.span)
    if name == "t":
        ctx.report.error("bad-period", "`t` names the current period only inside brackets", node.span,
                         Label(node.span), hint="write x[t], x[t-1]; for the period's number use year()")
        raise Abandon
    if s.units.is_unit_name(name):
        if ctx.unit_name_ok:
            return ir.Const(1.0, ir.Type(s.units.parse(name), ir.SCALAR), node.span)
        ctx.report.error("unknown-name", f"unknown name `{name}`", node.span, Label(node.span),
                         hint=f"`{name}` is a unit: write it after a number (1 {name}), or define a quantity "
                         f"`{name}`")
        raise Abandon
    if name in builtins.NAMES:
        ctx.report.error("unknown-name", f"`{name}` is a function", node.span, Label(node.span),
                         hint=f"call it: {name}(...)")
        raise Abandon
    unknown_name(s, name, node.span, ctx)


def no_blank(s, name: str, span, ctx) -> None:
    """A formula that may have no value (first_period, periods_before) is read through is_blank()
    or value_or(), which say what no value means; a period found is shown, never computed with."""
    found = ir.blank_function(s.quantities.get(name))
    if found is None:
        return
    if found == "first_period":
        hint = (f"test it with is_blank({name}); to compute with when it falls, count periods instead: "
                f"periods_before(...) is a time")
    else:
        hint = (f"write value_or({name}, 99 year) where it is read (what no value means there); is_blank({name}) "
                f"is true where it has none")
    ctx.report.error("blank", f"`{name}` has no value where {found}() finds no period: "
                     f"{'a period is shown, not computed with' if found == 'first_period' else 'say what that means'}",
                     span, Label(span), hint=hint)
    raise Abandon


def unknown_name(s, name, span, ctx):
    hint = did_you_mean(name, list(s.inputs) + list(s.formulas))
    ctx.report.error("unknown-name", f"unknown name `{name}`", span, Label(span),
                     hint=hint or "define it with `input` or a formula; units need a number before them: 1 year")
    raise Abandon


def series_in_scalar(s, name, span, ctx):
    ctx.report.error("shape", f"`{name}` is a series, but this is a single value", span, Label(span),
                     hint=f"pick a period ({name}[{s.timeline.label(len(s.timeline) - 1)}]) or reduce it "
                     f"(sum({name}[{s.timeline.range_text()}]))")
    raise Abandon


def type_Indexed(s, node: ast.Indexed, ctx):
    name = node.name
    if name not in s.inputs and name not in s.formulas:
        unknown_name(s, name, node.span, ctx)
    t = quantity_type(s, name, node.span, ctx)
    if not t.series:
        ctx.report.error("shape", f"`{name}` is a single value, not a series", node.span, Label(node.span),
                         hint=f"write {name} without brackets")
        raise Abandon
    index = node.index
    if isinstance(index, (ast.Current, ast.Relative, ast.Shift)):
        if not ctx.series:
            ctx.report.error("shape", "`t` is not defined here: this is a single value", index.span,
                             Label(index.span), hint=f"pick a period: {name}[{s.timeline.label(len(s.timeline) - 1)}]")
            raise Abandon
        if isinstance(index, ast.Shift):
            if t.boolean:
                ctx.report.error("type", f"`{name}` is true/false: only numbers can be read a lag from an input "
                                 "away", node.span, Label(node.span),
                                 hint=f"make it a number first: {name}_number = if({name}, 1, 0), then "
                                      f"{name}_number[{common.text(s, index)}] == 1")
                raise Abandon
            by = counts.whole_periods(s, expr(s, index.by, ctx), ctx, counts.lag(s, index, name))
            return ir.Shift(name, index.sign, by, t, node.span)
        offset = index.offset if isinstance(index, ast.Relative) else 0
        return ir.Ref(name, offset, t, node.span)
    if isinstance(index, ast.Fixed):
        i = periods.period_index(s, index.period, index.span, ctx.report, name)
        return ir.At(name, i, ir.Type(t.unit, ir.SCALAR), node.span)
    hint = f"total({name}[...]) integrates a flow; sum, average, min, max also take ranges"
    if ctx.owner is None and isinstance(index, ast.PeriodRange):  # a check: maybe meant for every period
        periods_text = common.text(s, index) or s.timeline.range_text()
        hint = f'to check each period: check "..." for t in {periods_text}: {name}[t] ...; or reduce it: {hint}'
    ctx.report.error("shape", "a period range reads several values; reduce it", node.span, Label(node.span),
                     hint=hint)
    raise Abandon


def numeric(s, node, ctx, what="this"):
    if node.type.boolean:
        ctx.report.error("type", f"{what} is true/false, not a number", node.span, Label(node.span),
                         hint="use if(condition, a, b) to turn a condition into a value")
        raise Abandon
    return node


def boolean(s, node, ctx, what="this"):
    if not node.type.boolean:
        ctx.report.error("type", f"{what} is a number ({common.u(s, node.type.unit)}), not true/false",
                         node.span, Label(node.span), hint="compare it: x > 0")
        raise Abandon
    return node


def type_Unary(s, node: ast.Unary, ctx):
    operand = numeric(s, expr(s, node.operand, ctx), ctx)
    if node.op == "+":
        return operand
    if isinstance(operand, ir.Const):
        return ir.Const(-operand.value, operand.type, node.span)
    return ir.Unary("-", operand, operand.type, node.span)


def type_Sum(s, node: ast.Sum, ctx):
    first = numeric(s, expr(s, node.first, ctx), ctx, "the left side")
    so_far = Partial(first.type, first.span)  # the sum of the operands before this one
    rest = []
    for op, operand in node.rest:
        right = numeric(s, expr(s, operand, ctx), ctx, "the right side")
        shape = ir.join((so_far.type.shape, right.type.shape))
        if so_far.type.unit is ANY_UNIT or right.type.unit is ANY_UNIT:
            unit = right.type.unit if so_far.type.unit is ANY_UNIT else so_far.type.unit
        else:
            here = Partial(None, cover(first.span, right.span) or node.span)
            right = same_dimension(s, so_far, right, here, ctx, "add" if op == "+" else "subtract")
            unit = so_far.type.unit
        rest.append((op, right))
        so_far = Partial(ir.Type(unit, shape), cover(first.span, right.span) or node.span)
    return ir.Sum(first, tuple(rest), so_far.type, node.span)


def type_Binary(s, node: ast.Binary, ctx):
    if node.op in "+-":  # the parser makes Sums; a tree built by hand may not
        return type_Sum(s, ast.Sum(node.left, ((node.op, node.right),), node.span), ctx)
    left = numeric(s, expr(s, node.left, ctx), ctx, "the left side")
    # `13 billion USD / year`: a unit name may follow a literal quantity and * or /
    ctx.unit_name_ok = node.op in "*/" and ends_in_literal(node.left) and isinstance(node.right, ast.Name)
    try:
        right = numeric(s, expr(s, node.right, ctx), ctx, "the right side")
    finally:
        ctx.unit_name_ok = False
    shape = ir.join((left.type.shape, right.type.shape))
    if left.type.unit is ANY_UNIT or right.type.unit is ANY_UNIT:
        raise Unknown
    if node.op in "*/":
        return product(s, node.op, left, right, shape, node.span)
    return power(s, node, left, right, shape, ctx)


def power(s, node, base, exponent, shape, ctx):
    if not s.units.is_dimensionless(exponent.type.unit):
        ctx.report.error("bad-exponent", f"an exponent must be a plain number, not {common.u(s, exponent.type.unit)}",
                         exponent.span, Label(exponent.span, common.u(s, exponent.type.unit)))
        raise Abandon
    exponent = common.plain(s, exponent)
    if s.units.is_dimensionless(base.type.unit):
        base = common.plain(s, base)
        return ir.Binary("^", base, exponent, ir.Type(s.units.dimensionless, shape), node.span)
    if not (isinstance(exponent, ir.Const) and float(exponent.value).is_integer()):
        ctx.report.error("bad-exponent", f"{common.u(s, base.type.unit)} can only be raised to a whole number",
                         exponent.span, Label(exponent.span), Label(base.span, common.u(s, base.type.unit)),
                         hint="write the exponent as a literal integer, e.g. x^2")
        raise Abandon
    unit = s.units.power(base.type.unit, int(exponent.value))
    return ir.Binary("^", base, exponent, ir.Type(unit, shape), node.span)


def same_dimension(s, left, right, node, ctx, verb: str):
    lu, ru = left.type.unit, right.type.unit
    if lu is ANY_UNIT or ru is ANY_UNIT:
        raise Unknown  # inferring a loop's units: this side's is not known yet
    if s.units.same_dimension(lu, ru):
        return common.convert(s, right, lu)
    ctx.report.error("unit-mismatch", f"cannot {verb} {common.u(s, lu)} and {common.u(s, ru)}", node.span,
                     Label(left.span, common.u(s, lu)), Label(right.span, common.u(s, ru)),
                     hint=common.rate_hint(s, lu, ru),
                     notes=(f"left side: {common.dim(s, lu)}; right side: {common.dim(s, ru)}",))
    raise Abandon


def type_Compare(s, node: ast.Compare, ctx):
    left = expr(s, node.left, ctx)
    right = expr(s, node.right, ctx)
    shape = ir.join((left.type.shape, right.type.shape))
    if left.type.unit is ANY_UNIT or right.type.unit is ANY_UNIT:  # inferring a loop's units: true/false
        return ir.Compare(node.op, left, right, ir.Type(None, shape), node.span)  # either way; re-checked
    if left.type.boolean or right.type.boolean:
        if not (left.type.boolean and right.type.boolean and node.op in ("==", "!=")):
            ctx.report.error("type", "cannot compare true/false with a number", node.span,
                             Label(left.span), Label(right.span))
            raise Abandon
    else:
        right = same_dimension(s, left, right, node, ctx, "compare")
    return ir.Compare(node.op, left, right, ir.Type(None, shape), node.span)


def type_Approx(s, node: ast.Approx, ctx):
    left = numeric(s, expr(s, node.left, ctx), ctx)
    right = numeric(s, expr(s, node.right, ctx), ctx)
    right = same_dimension(s, left, right, node, ctx, "compare")
    tol = numeric(s, expr(s, node.tolerance, ctx), ctx, "the tolerance")
    if s.units.is_dimensionless(tol.type.unit):
        tol, relative = common.plain(s, tol), True
    elif s.units.same_dimension(tol.type.unit, left.type.unit):
        tol, relative = common.convert(s, tol, left.type.unit), False
    else:
        ctx.report.error("unit-mismatch", f"a tolerance is a percentage or in {common.u(s, left.type.unit)}, not "
                         f"{common.u(s, tol.type.unit)}", tol.span, Label(tol.span, common.u(s, tol.type.unit)))
        raise Abandon
    shape = ir.join((left.type.shape, right.type.shape, tol.type.shape))
    return ir.Approx(left, right, tol, relative, ir.Type(None, shape), node.span)


def type_Logical(s, node: ast.Logical, ctx):
    left = boolean(s, expr(s, node.left, ctx), ctx, f"the left side of `{node.op}`")
    right = boolean(s, expr(s, node.right, ctx), ctx, f"the right side of `{node.op}`")
    return ir.Binary(node.op, left, right, ir.Type(None, ir.join((left.type.shape, right.type.shape))), node.span)


def type_Not(s, node: ast.Not, ctx):
    operand = boolean(s, expr(s, node.operand, ctx), ctx, "the operand of `not`")
    return ir.Not(operand, operand.type, node.span)


def product(s, op: str, left, right, shape: ir.Shape, span):
    """left * right or left / right, its unit tidied (MW/GW -> 0.001) by an explicit Convert."""
    combine = s.units.mul if op == "*" else s.units.div
    raw = combine(left.type.unit, right.type.unit)
    factor, unit = s.units.simplify(raw)
    result = ir.Binary(op, left, right, ir.Type(raw, shape), span)
    if factor != 1.0 or not s.units.equal(unit, raw):
        return ir.Convert(result, factor, raw, ir.Type(unit, shape), span)
    return result


# One typing function per syntax node type; calls.py adds ast.Call.
HANDLERS = {ast.Quantity: type_Quantity, ast.Boolean: type_Boolean, ast.Name: type_Name, ast.Indexed: type_Indexed,
            ast.Unary: type_Unary, ast.Sum: type_Sum, ast.Binary: type_Binary, ast.Compare: type_Compare,
            ast.Approx: type_Approx, ast.Logical: type_Logical, ast.Not: type_Not}
