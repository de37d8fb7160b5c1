"""The dependency graph: cycles refused with every member named, evaluation order planned.

An edge `a -> b` says a formula of `a` reads `b`:
  kind "lag", offset k   a reads b[t+k] (k = 0: the same period; k < 0: an earlier one)
  kind "whole"           a reads b at fixed periods or over a range (b must be complete first)
A cycle through lags that look back (k < 0) is a recurrence, evaluated period by period. A cycle
that also reads fixed periods, ranges or later periods is ordered by (quantity, period) by the
checker (by_period), which reports it if some value needs itself. A cycle within one period is
an error that names the quantities in it, unless every one of them is declared `circular`: the
loop is then solved period by period (also ordered by the checker, the loop one block of it).
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
                    by_period, circular: dict[str, Span] | None = None) -> list[Step]:
    """Order the formulas (inputs need no step). Reports cycles; returns the plan.
    by_period(component): for a loop through fixed periods or ranges (or later periods), or one
    with a declared circular loop in it, the order of blocks of (name, period) that computes each
    value before it is read, or None after reporting the cycle of periods that makes one
    impossible. circular: the formulas declared `circular`, with the clause's place; one that is
    in no loop within a period is warned of."""
    circular = circular or {}
    names = list(formulas)
    succ = {n: [e.target for e in edges[n] if e.target in formulas] for n in names}
    plan: list[Step] = []
    looped: set[str] = set()
    for component in strongly_connected(names, succ):
        members = set(component)
        inner = [(n, e) for n in component for e in edges[n] if e.target in members]
        if not inner:
            plan.append(Step((component[0],), False))
            continue
        immediate = {n: [e.target for e in edges[n] if e.target in members and e.kind == "lag" and e.offset == 0]
                     for n in component}
        loops = same_period_loops(component, immediate)
        refused = False
        for loop in loops:
            if not all(n in circular for n in loop):
                _report_cycle(_cycle_in(loop, immediate), edges, report, span_of, circular)
                refused = True
        if refused:
            continue
        looped.update(n for loop in loops for n in loop)
        if loops or any(e.kind == "whole" or e.offset > 0 for _, e in inner):
            order = by_period(component)
            if order is not None:
                step = Step((), True, tuple(order))
                plan.append(Step(tuple(dict.fromkeys(name for name, _ in step.nodes())), True, step.order))
            continue
        plan.append(Step(tuple(_topological(component, immediate)), True))
    for name, span in circular.items():
        if name not in looped:
            report.warning("circular-without-loop", f"`{name}` is declared `circular` but is in no loop", span,
                           Label(span, "no loop within a period goes through it"),
                           hint="remove the clause: it is for quantities that read each other in the same "
                                "period (interest on the average balance)")
    return plan


def same_period_loops(component: list[str], immediate: dict[str, list[str]]) -> list[list[str]]:
    """The loops within one period: groups of quantities that read each other at the same period
    (or one that reads itself)."""
    return [sub for sub in strongly_connected(component, immediate)
            if len(sub) > 1 or sub[0] in immediate.get(sub[0], ())]


def _cycle_in(loop: list[str], succ: dict[str, list[str]]) -> list[str]:
    """A path around a loop (a strongly connected group), its first name repeated at the end."""
    members = set(loop)
    path, seen = [loop[0]], {loop[0]: 0}
    while True:
        nxt = next(t for t in succ[path[-1]] if t in members)
        if nxt in seen:
            return path[seen[nxt]:] + [nxt]
        seen[nxt] = len(path)
        path.append(nxt)


def _report_cycle(cycle: list[str], edges, report: Reporter, span_of, circular: dict[str, Span]):
    labels = []
    for a, b in zip(cycle, cycle[1:]):
        edge = next(e for e in edges[a] if e.target == b and e.kind == "lag" and e.offset == 0)
        if edge.span is not None:
            labels.append(Label(edge.span, f"`{a}` reads `{b}`"))
    chain = " -> ".join(cycle)
    first = span_of(cycle[0])
    notes = tuple(f"`{n}` is defined at line {span_of(n).line}" for n in dict.fromkeys(cycle) if span_of(n))
    declared = [n for n in dict.fromkeys(cycle) if n in circular]
    if declared:  # a loop on purpose, but not every member says so
        lacking = [n for n in dict.fromkeys(cycle) if n not in circular]
        names = ", ".join(f"`{n}`" for n in lacking)
        report.error("cycle", f"circular definition: {chain}: {names} {'is' if len(lacking) == 1 else 'are'} "
                     "not declared `circular`", first if first else labels[0].span,
                     *[Label(span_of(n), f"`{n}` has no `circular` clause") for n in lacking if span_of(n)],
                     *[Label(circular[n], "declared here") for n in declared],
                     hint=f"every quantity of a loop says `circular` on a line under it, so that no loop is "
                          f"made by accident: add it under {names}, or break the loop", notes=notes)
        return
    report.error("cycle", f"circular definition: {chain}", labels[0].span if labels else first, *labels,
                 hint="break the loop: one of these must read an earlier period (x[t-1]) or be an input; if the "
                      "loop is meant (interest on the average balance), write `circular` under each of them",
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
