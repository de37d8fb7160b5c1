"""Function calls typed through the registry (engine/builtins.py): the name and the number of
arguments checked, then each call handed to the checker of its kind: element-wise unit rules
(check/elementwise.py, the financial functions' check/finance_roles.py), reductions over period
ranges (check/reductions.py), running sums and series functions (check/series_functions.py),
calendar functions (check/calendar_functions.py)."""

from __future__ import annotations

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Span, did_you_mean
from . import elementwise, expressions
from .calendar_functions import calendar_function
from .expressions import HANDLERS
from .finance_roles import rule_finance
from .reductions import reduction
from .scope import Abandon
from .series_functions import series_function, vintage_function


def type_Call(s, node: ast.Call, ctx):
    """A call: the registry's function of that name and number of arguments, typed by the checker
    of its kind."""
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


def arity(s, node, builtin, ctx):
    n, (low, high) = len(node.args), builtin.arity
    if n < low or (high is not None and n > high):
        want = str(low) if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
        plural = "s" if (high is None or high != 1) else ""
        ctx.report.error("arity", f"{node.func}() takes {want} argument{plural}, not {n}", node.span,
                         Label(node.span), hint=f"write {builtin.signature}")
        raise Abandon


# The unit rules of element-wise functions, by the name engine/builtins.py gives them.
RULES = {"same": elementwise.rule_same, "condition": elementwise.rule_condition, "index": elementwise.rule_index,
         "keep": elementwise.rule_keep, "blank": elementwise.rule_blank, "digits": elementwise.rule_digits,
         "plain": elementwise.rule_plain, "root": elementwise.rule_root, "sign": elementwise.rule_sign,
         "finance": rule_finance}
HANDLERS[ast.Call] = type_Call
