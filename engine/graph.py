"""The dependency graph: cycles refused with every member named, evaluation order planned.

An edge `a -> b` says a formula of `a` reads `b`:
  kind "lag", offset k   a reads b[t+k] (k = 0: the same period; k < 0: an earlier one)
  kind "whole"           a reads b at fixed periods or over a range (b must be complete first)
A cycle through lags that look back (k < 0) is a recurrence, evaluated period by period. A cycle
that also reads fixed periods, ranges or later periods is ordered by (quantity, period) by the
checker (by_period), which reports it if some value needs itself. A cycle within one period is
an error that names the quantities in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Label, Reporter, Span
from .ir import Step


@dataclass(frozen=True)
class Edge:
    target: str
    kind: str  # "lag" | "whole"
    offset: int
    span: Span | None


def strongly_connected(nodes: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion (models can have 100,000 quantities).
    Components come out dependencies first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def plan_evaluation(edges: dict[str, list[Edge]], formulas, report: Reporter, span_of,
                    by_period) -> list[Step]:
    """Order the formulas (inputs need no step). Reports cycles; returns the plan.
    by_period(component): for a loop through fixed periods or ranges (or later periods), the order
    of (name, period) that computes each value before it is read, or None after reporting the
    cycle of periods that makes one impossible."""
    names = list(formulas)
    succ = {n: [e.target for e in edges[n] if e.target in formulas] for n in names}
    plan: list[Step] = []
    for component in strongly_connected(names, succ):
        members = set(component)
        inner = [(n, e) for n in component for e in edges[n] if e.target in members]
        if not inner:
            plan.append(Step((component[0],), False))
            continue
        if any(e.kind == "whole" or e.offset > 0 for _, e in inner):
            order = by_period(component)
            if order is not None:
                plan.append(Step(tuple(dict.fromkeys(name for name, _ in order)), True, tuple(order)))
            continue
        immediate = {n: [e.target for e in edges[n] if e.target in members and e.kind == "lag" and e.offset == 0]
                     for n in component}
        cycle = _find_cycle(component, immediate)
        if cycle:
            _report_cycle(cycle, edges, report, span_of)
            continue
        plan.append(Step(tuple(_topological(component, immediate)), True))
    return plan


def _find_cycle(component: list[str], succ: dict[str, list[str]]) -> list[str] | None:
    for sub in strongly_connected(component, succ):
        if len(sub) > 1 or sub[0] in succ.get(sub[0], ()):
            members = set(sub)
            path, seen = [sub[0]], {sub[0]: 0}
            while True:
                nxt = next(t for t in succ[path[-1]] if t in members)
                if nxt in seen:
                    return path[seen[nxt]:] + [nxt]
                seen[nxt] = len(path)
                path.append(nxt)
    return None


def _report_cycle(cycle: list[str], edges, report: Reporter, span_of):
    labels = []
    for a, b in zip(cycle, cycle[1:]):
        edge = next(e for e in edges[a] if e.target == b and e.kind == "lag" and e.offset == 0)
        if edge.span is not None:
            labels.append(Label(edge.span, f"`{a}` reads `{b}`"))
    chain = " -> ".join(cycle)
    first = span_of(cycle[0])
    notes = tuple(f"`{n}` is defined at line {span_of(n).line}" for n in dict.fromkeys(cycle) if span_of(n))
    report.error("cycle", f"circular definition: {chain}", labels[0].span if labels else first, *labels,
                 hint="break the loop: one of these must read an earlier period (x[t-1]) or be an input",
                 notes=notes)


def _topological(component: list[str], succ: dict[str, list[str]]) -> list[str]:
    """Members of a recurrence in same-period dependency order (dependencies first)."""
    done: set[str] = set()
    order: list[str] = []
    for root in component:
        if root in done:
            continue
        work = [(root, iter(succ[root]))]
        done.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in done:
                    done.add(child)
                    work.append((child, iter(succ[child])))
                    break
            else:
                work.pop()
                order.append(node)
    return order
