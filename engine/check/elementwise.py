"""The unit rules of element-wise functions (engine/builtins.py names one per function): the
arguments' units checked against each other, and the result's unit and shape."""

from __future__ import annotations

from .. import ir
from ..diagnostics import Label
from . import common, expressions
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


def rule_blank(s, node, builtin, typed, shape, ctx):
    return ir.Func(builtin.name, (typed[0],), ir.Type(None, shape), node.span)
