"""The model's checks and charts typed."""

from __future__ import annotations

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, did_you_mean
from . import expressions, periods
from .scope import Abandon, Context, Scope, Unknown


def type_all(s: Scope) -> None:
    """s.checks and s.charts."""
    statements = s.module.statements
    s.checks = [c for c in (type_check(s, stmt) for stmt in statements if isinstance(stmt, ast.Check)) if c]
    s.charts = [c for c in (type_chart(s, stmt) for stmt in statements if isinstance(stmt, ast.Chart)) if c]


def type_check(s, stmt: ast.Check) -> ir.Check | None:
    start = stop = None
    try:
        if stmt.periods is not None:
            a, b = stmt.periods
            start = periods.label_span(s, a, stmt.span)[0]
            stop = periods.label_span(s, b, stmt.span)[1]
            if stop < start:
                s.report.error("bad-period", f"the range {a}..{b} is empty", stmt.span, Label(stmt.span),
                               hint=f"write it from the earlier period: for t in {b}..{a}")
                raise Abandon
        ctx = Context(None, True, s.report)
        node = expressions.expr(s, stmt.expr, ctx)
        expressions.boolean(s, node, ctx, "a check")
    except (Abandon, Unknown):
        return None
    if node.type.series and start is None:
        start, stop = 0, len(s.timeline) - 1
    if not node.type.series:
        start = stop = None
    before = len(s.report.diagnostics)
    periods.coverage(s, node, start, stop)
    if len(s.report.diagnostics) > before:
        return None
    return ir.Check(stmt.name, node, start, stop, stmt.span)


def type_chart(s, stmt: ast.Chart) -> ir.Chart | None:
    """A chart draws numeric series, in at most two dimensions (a left and a right axis)."""
    dimensions: list = []
    for ref in stmt.names:
        q = s.quantities.get(ref.name)
        if q is None:
            if ref.name not in s.inputs and ref.name not in s.formulas:
                s.report.error("unknown-name", f"unknown name `{ref.name}`", ref.span, Label(ref.span),
                               hint=did_you_mean(ref.name, list(s.inputs) + list(s.formulas)))
            return None
        if not q.series or q.unit is None:
            what = "true/false" if q.unit is None else "a single value"
            s.report.error("shape", f"`{ref.name}` is {what}; a chart draws numeric series", ref.span,
                           Label(ref.span), hint="chart quantities that vary over the timeline")
            return None
        if not any(s.units.same_dimension(q.unit, d) for d in dimensions):
            dimensions.append(q.unit)
    if len(dimensions) > 2:
        s.report.error("unit-mismatch", f"this chart mixes {len(dimensions)} kinds of unit; a chart has two "
                       "axes", stmt.span, Label(stmt.span), hint="split it into two charts")
        return None
    return ir.Chart(stmt.title, tuple(ref.name for ref in stmt.names), stmt.span)

