"""Pass: the dependency graph (each formula's reads: check/syntax_reads.py) and the evaluation
plan (s.dependencies, s.plan), a loop through periods ordered period by period; a cycle is an
error that names the periods it goes through."""

from __future__ import annotations

import heapq

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, Span
from ..graph import Edge, plan_evaluation, strongly_connected
from . import common, periods
from .pieces import definition_span
from .scope import Abandon, Scope
from .syntax_reads import SyntaxRead, syntax_reads


def plan(s: Scope) -> None:
    """s.dependencies and s.plan, the evaluation order; a cycle is an error."""
    edges = {name: edges_of(s, name) for name in s.formulas}
    s.dependencies = {name: {e.target for e in es} for name, es in edges.items()}
    s.circular = {name: eq.clauses.circular.span for name, eqs in s.formulas.items() for eq in eqs
                  if eq.clauses.circular is not None}
    s.plan = plan_evaluation(edges, s.formulas, s.report, lambda name: definition_span(s, name),
                             lambda component: period_order(s, component), s.circular)


def period_order(s, component: list[str]):
    """The loop of `component` taken period by period: it reads fixed periods, ranges or later
    periods of its own members (debt_at_cod = debt[2027], read by debt from 2028), or holds a
    declared circular loop. Each (member, period) is a node, a single value one node (period
    None); an edge is a read. Returns blocks of nodes in an order that computes every value before
    it is read (by period, then the members' order), the nodes of a declared circular loop in one
    period as one ir.Loop. None after reporting a cycle of nodes, naming the quantities, periods
    and places."""
    members = set(component)
    n = len(s.timeline)
    series = member_shapes(s, component, {m: False for m in component})
    reads: dict[tuple, list[tuple[tuple, Span]]] = {}
    for m in component:
        for eq, start, stop in s.pieces.get(m, ()):
            if series[m]:
                first, last = (0, n - 1) if start is None else (start, stop)
                for p in range(first, last + 1):
                    reads.setdefault((m, p), []).extend(_reads_at(s, eq.value, p, members, series, (first, last)))
            else:
                reads.setdefault((m, None), []).extend(_reads_at(s, eq.value, None, members, series))
    succ = {node: [t for t, _ in deps if t in reads] for node, deps in reads.items()}
    source = {name: i for i, name in enumerate(s.formulas)}  # ties broken in the order of the text
    position = {m: source[m] for m in component}
    key = (lambda node: (-1 if node[1] is None else node[1], position[node[0]]))  # noqa: E731
    # Nodes that need each other: a declared loop within one period is one block; any other
    # (a loop across periods, or through a quantity not declared circular) is an error.
    blocks, loops, stuck = [], set(), set()
    for group in strongly_connected(list(reads), succ):
        if len(group) == 1 and group[0] not in succ[group[0]]:
            blocks.append((group[0],))
        elif len({p for _, p in group}) == 1 and all(m in s.circular for m, _ in group):
            loops.add(len(blocks))
            blocks.append(tuple(sorted(group, key=key)))
        else:
            stuck.update(group)
    if stuck:
        _report_period_cycle(s, stuck, reads)
        return None
    block_of = {node: i for i, block in enumerate(blocks) for node in block}
    waiting = [{block_of[t] for node in block for t in succ[node]} - {i} for i, block in enumerate(blocks)]
    readers: dict[int, list[int]] = {}
    for i, deps in enumerate(waiting):
        for j in deps:
            readers.setdefault(j, []).append(i)
    ready = [key(blocks[i][0]) + (i,) for i, deps in enumerate(waiting) if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        *_, i = heapq.heappop(ready)
        order.append(ir.Loop(blocks[i]) if i in loops else blocks[i][0])
        for reader in readers.get(i, ()):
            waiting[reader].discard(i)
            if not waiting[reader]:
                heapq.heappush(ready, key(blocks[reader][0]) + (reader,))
    return order


def _node_text(s, node) -> str:
    name, p = node
    return name if p is None else f"{name}[{s.timeline.label(p)}]"


def _report_period_cycle(s, stuck: set, reads) -> None:
    """Follow reads among the nodes that could not be ordered until one repeats: that loop."""
    node = min(stuck, key=lambda x: (-1 if x[1] is None else x[1], x[0]))
    path, seen, spans = [node], {node: 0}, []
    while True:
        target, span = next((t, sp) for t, sp in reads[node] if t in stuck)
        spans.append((node, target, span))
        if target in seen:
            loop = spans[seen[target]:]
            break
        seen[target] = len(path)
        path.append(target)
        node = target
    chain = " -> ".join(_node_text(s, a) for a, _, _ in loop) + f" -> {_node_text(s, loop[0][0])}"
    labels = [Label(span, f"{_node_text(s, a)} reads {_node_text(s, b)}") for a, b, span in loop if span]
    looped = {a for a, _, _ in loop}
    declared = any(name in s.circular for name, _ in looped)
    one_period = len({p for _, p in looped}) == 1
    if declared and one_period:  # a loop within one period, through a fixed period's read
        why = "; `circular` is for quantities that read each other at the current period ([t]), not a fixed one"
    elif declared:
        why = "; `circular` solves a loop within one period, not one that runs across periods"
    else:
        why = ""
    s.report.error("cycle", f"circular definition through periods: {chain}", labels[0].span, *labels,
                   hint="each value must read only values computed before it: an earlier period (x[t-1]), "
                        "or a fixed period that does not depend on this one" + why)


def _reads_at(s, node, p, members: set, series: dict, periods_of=None) -> list[tuple[tuple, Span]]:
    """The (member, period) nodes an expression reads when computing period p (None: a single
    value), with where it reads each (check/syntax_reads.py says how each read reads). periods_of:
    the equation's first and last period, which bound what x[t-lag] can read whatever the lag (at
    t = first, t-lag is on the timeline; engine/period_counts.py holds a --set lag to the same bound,
    so the order stays right for it)."""
    out = []
    n = len(s.timeline)

    def add(name, periods, span):
        for q in periods:
            if q is None or 0 <= q < n:
                out.append(((name, q if series[name] else None), span))

    for read in syntax_reads(node, members):
        if read.access == "offset":
            add(read.name, [None if p is None else p + read.offset], read.span)
        elif read.access == "shifted" and p is not None:
            first, last = periods_of or (0, n - 1)
            add(read.name, range(p - first, p) if read.offset < 0 else range(p + 1, p + n - last), read.span)
        elif read.access == "to_date":
            add(read.name, range(0, (n - 1 if p is None else p) + 1), read.span)
        elif read.access == "periods" and read.index is None:  # sum(x): every period
            add(read.name, range(0, n), read.span)
        elif read.access == "periods":
            try:
                first, last = periods.period_span(s, read.index)
            except Abandon:
                continue
            add(read.name, range(first, last + 1), read.span)
    return out


def member_shapes(s, names, series: dict) -> dict:
    """Which of `names` are series: those with a period selector, and those that read a series at
    the current period (to a fixed point)."""
    series = dict(series)
    members = set(names)
    for n in names:
        if any(eq.index is not None for eq in s.formulas[n]):
            series[n] = True
    changed = True
    while changed:
        changed = False
        for n in names:
            if not series[n] and reads_series(s, n, series, members):
                series[n] = changed = True
    return series


def reads_series(s, name, series, members) -> bool:
    for eq in s.formulas[name]:
        stack = [eq.value]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                if node.name in members and series.get(node.name):
                    return True
                q = s.quantities.get(node.name)
                if q is not None and q.series:
                    return True
            elif isinstance(node, ast.Indexed):
                if isinstance(node.index, (ast.Current, ast.Relative, ast.Shift)):
                    return True
            elif isinstance(node, ast.Call) and common.call_kind(node) in ("running", "series", "calendar"):
                return True
            elif isinstance(node, ast.Call) and common.is_reduction(node):
                at = common.series_argument(node)  # the series it reduces is one value; npv's rate may not be
                stack.extend(a for i, a in enumerate(node.args) if i != at)
            else:
                stack.extend(ast.children(node))
    return False


def edges_of(s, name: str) -> list[Edge]:
    """The dependency graph's edges of a formula: each read (check/syntax_reads.py) at a lag
    (x[t+k]: k; x[t-lag]: at least one period, its sign) or over periods ("whole")."""
    known = _Known(s)
    return [edge(read) for eq in s.formulas[name] for read in syntax_reads(eq.value, known)]


def edge(read: SyntaxRead) -> Edge:
    if read.access in ("offset", "shifted"):
        return Edge(read.name, "lag", read.offset, read.span)
    return Edge(read.name, "whole", 0, read.span)


class _Known:
    """The names a formula can read: inputs and formulas."""

    def __init__(self, s):
        self.s = s

    def __contains__(self, name) -> bool:
        return name in self.s.inputs or name in self.s.formulas
