"""The functions that give a series from a series, read period by period: running_sum,
running_total, growth and depreciation (its life a whole number of periods)."""

from __future__ import annotations

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label
from . import common, counts, expressions
from .reductions import no_sum_of_rates
from .scope import Abandon


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
