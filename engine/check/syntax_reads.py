"""What a formula reads, on the syntax tree: the twin of engine/reads.py for the passes that run
before the IR exists (the dependency graph's edges, check/plan.py). The same vocabulary:
x[t+k] "offset", x[t-lag] "shifted", a running total "to_date"; a period or a range of them,
not yet resolved to indices here, is "periods". A quantity's name alone reads it at t."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import syntax as ast
from ..diagnostics import Span
from . import common


@dataclass(frozen=True)
class SyntaxRead:
    name: str
    access: str  # offset | shifted | periods | to_date
    offset: int = 0  # offset: k of x[t+k]; shifted: the sign (-1 back, +1 ahead)
    span: Span | None = None
    index: object = None  # periods: the period or range written (None: every period, sum(x))


def syntax_reads(expr, known) -> Iterator[SyntaxRead]:
    """Every read of a quantity in `known` (a container of names) in the expression, in the
    order the checker has always visited them: a lag's own input after the read it shifts,
    growth(x) as x[t-1] and then x, a running total's (a vintage's) series as one read to date, a
    reduction's series named alone (sum(x)) as a read of its periods."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if node.name in known:
                yield SyntaxRead(node.name, "offset", 0, node.span)
        elif isinstance(node, ast.Indexed):
            if node.name in known:
                yield _indexed(node)
            stack.extend(ast.children(node))  # x[t-lag] reads lag too
        elif isinstance(node, ast.Call):
            target = node.args[0] if node.args else None
            named = isinstance(target, (ast.Name, ast.Indexed)) and target.name in known
            if common.call_kind(node) == "running" and named:  # running totals, depreciation(x, life)
                yield SyntaxRead(target.name, "to_date", 0, target.span)
                stack.extend(node.args[1:])  # a vintage's life is read too
                continue
            if node.func == "growth" and named:
                yield SyntaxRead(target.name, "offset", -1, target.span)
            if common.is_reduction(node):  # sum(x), total(x): every period of x, as x[a..b] is some
                at = common.series_argument(node)
                series = node.args[at] if at < len(node.args) else None
                if isinstance(series, ast.Name) and series.name in known:
                    yield SyntaxRead(series.name, "periods", 0, series.span)
                    stack.extend(a for i, a in enumerate(node.args) if i != at)
                    continue
            stack.extend(node.args)
        else:
            stack.extend(ast.children(node))


def _indexed(node: ast.Indexed) -> SyntaxRead:
    index = node.index
    if isinstance(index, ast.Current):
        return SyntaxRead(node.name, "offset", 0, node.span)
    if isinstance(index, ast.Relative):
        return SyntaxRead(node.name, "offset", index.offset, node.span)
    if isinstance(index, ast.Shift):  # at least one period back or ahead, however many the input says
        return SyntaxRead(node.name, "shifted", index.sign, node.span)
    return SyntaxRead(node.name, "periods", 0, node.span, index)
