"""Formulas: which periods each equation defines, the dependency graph and evaluation plan, then
shapes and units inferred step by step in dependency order (recurrences by fixed point)."""

from __future__ import annotations

import heapq

import numpy as np

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, Reporter, Span
from ..graph import Edge, plan_evaluation
from . import common, definitions, expressions, periods
from .scope import ANY_UNIT, Abandon, Context, Draft, Scope, Unknown


def pieces(s: Scope) -> None:
    """s.pieces: the periods each equation of each formula defines."""
    coverage_of_formulas(s)


def plan(s: Scope) -> None:
    """s.dependencies and s.plan, the evaluation order; a cycle is an error."""
    edges = {name: edges_of(s, name) for name in s.formulas}
    s.dependencies = {name: {e.target for e in es} for name, es in edges.items()}
    s.plan = plan_evaluation(edges, s.formulas, s.report, lambda name: definition_span(s, name),
                             lambda component: period_order(s, component))


def period_order(s, component: list[str]):
    """The loop of `component` taken period by period: it reads fixed periods, ranges or later
    periods of its own members (debt_at_cod = debt[2027], read by debt from 2028). Each (member,
    period) is a node, a single value one node (period None); an edge is a read. Returns the nodes
    in an order that computes every value before it is read (by period, then the members' order),
    or None after reporting a cycle of nodes, naming the quantities, periods and places."""
    members = set(component)
    n = len(s.timeline)
    series = member_shapes(s, component, {m: False for m in component})
    reads: dict[tuple, list[tuple[tuple, Span]]] = {}
    for m in component:
        for eq, start, stop in s.pieces.get(m, ()):
            if series[m]:
                first, last = (0, n - 1) if start is None else (start, stop)
                for p in range(first, last + 1):
                    reads.setdefault((m, p), []).extend(_reads_at(s, eq.value, p, members, series))
            else:
                reads.setdefault((m, None), []).extend(_reads_at(s, eq.value, None, members, series))
    waiting = {node: {t for t, _ in deps if t in reads} for node, deps in reads.items()}  # reading itself: never ready
    readers: dict[tuple, list[tuple]] = {}
    for node, deps in waiting.items():
        for t in deps:
            readers.setdefault(t, []).append(node)
    position = {m: i for i, m in enumerate(component)}
    key = (lambda node: (-1 if node[1] is None else node[1], position[node[0]]))  # noqa: E731
    ready = [key(node) + (node,) for node, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        *_, node = heapq.heappop(ready)
        order.append(node)
        for reader in readers.get(node, ()):
            waiting[reader].discard(node)
            if not waiting[reader]:
                heapq.heappush(ready, key(reader) + (reader,))
    if len(order) == len(waiting):
        return order
    _report_period_cycle(s, {node for node, deps in waiting.items() if deps}, reads)
    return None


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
    s.report.error("cycle", f"circular definition through periods: {chain}", labels[0].span, *labels,
                   hint="each value must read only values computed before it: an earlier period (x[t-1]), "
                        "or a fixed period that does not depend on this one")


def _reads_at(s, node, p, members: set, series: dict) -> list[tuple[tuple, Span]]:
    """The (member, period) nodes an expression reads when computing period p (None: a single
    value), with where it reads each."""
    out = []
    n = len(s.timeline)

    def add(name, periods, span):
        for q in periods:
            if q is None or 0 <= q < n:
                out.append(((name, q if series[name] else None), span))

    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if node.name in members:
                add(node.name, [p], node.span)
        elif isinstance(node, ast.Indexed):
            if node.name in members:
                index = node.index
                if isinstance(index, ast.Current):
                    add(node.name, [p], node.span)
                elif isinstance(index, ast.Relative):
                    add(node.name, [None if p is None else p + index.offset], node.span)
                elif index is not None:
                    try:
                        first, last = periods.period_span(s, index)
                    except Abandon:
                        continue
                    add(node.name, range(first, last + 1), node.span)
            stack.extend(ast.children(node))
        elif isinstance(node, ast.Call):
            kind = common.call_kind(node)
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.name in members and kind in ("reduction", "running"):
                    upto = n - 1 if kind == "reduction" or p is None else p
                    add(arg.name, range(0, upto + 1), arg.span)  # total(x): every period; running: up to p
                elif isinstance(arg, ast.Name) and arg.name in members and node.func == "growth":
                    add(arg.name, [p, None if p is None else p - 1], arg.span)
                else:
                    stack.append(arg)
        else:
            stack.extend(ast.children(node))
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


def type_formulas(s: Scope) -> None:
    """Every formula's shape, unit and typed equations into s.quantities, step by step."""
    for step in s.plan:
        type_step(s, step)


def edge_for_index(node: ast.Indexed) -> Edge:
    index = node.index
    if isinstance(index, ast.Current):
        return Edge(node.name, "lag", 0, node.span)
    if isinstance(index, ast.Relative):
        return Edge(node.name, "lag", index.offset, node.span)
    return Edge(node.name, "whole", 0, node.span)


def runs(indices: list[int]):
    """[0,1,2,5,6] -> (0,2), (5,6)"""
    start = prev = None
    for i in indices:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            yield start, prev
            start = prev = i
    if start is not None:
        yield start, prev


def coverage_of_formulas(s):
    """Which periods each formula equation defines. `x[t]` takes every period the others leave."""
    s.pieces: dict[str, list[tuple[ast.Equation, int | None, int | None]]] = {}
    n = len(s.timeline)
    for name, equations in s.formulas.items():
        owner: dict[int, ast.Equation] = {}
        pieces = []
        general = []
        scalar = []
        fallbacks = [eq for eq in equations if eq.fallback]  # an item's copy of the general equation
        for eq in equations:
            if eq.fallback:
                continue
            if eq.index is None:
                scalar.append(eq)
            elif isinstance(eq.index, ast.Current):
                general.append(eq)
            elif isinstance(eq.index, ast.Relative):
                s.report.error("bad-period", "the left of `=` takes t, a period or a range, not a lag",
                               eq.index.span, Label(eq.index.span), hint=f"write {name}[t] = ...")
            else:
                try:
                    start, stop = periods.period_span(s, eq.index)
                except Abandon:
                    continue
                for i in range(start, stop + 1):
                    if i in owner:
                        overlap(s, name, eq, owner[i], i)
                        break
                    owner[i] = eq
                pieces.append((eq, start, stop))
        for extra in (scalar + general)[1:]:
            first = (scalar + general)[0]
            definitions.duplicate(s, name, *_in_order(extra.name_span, first.name_span))
        if scalar and (pieces or general):
            other = (pieces[0][0] if pieces else general[0]).name_span
            definitions.duplicate(s, name, *_in_order(scalar[0].name_span, other),
                                  hint=f"`{name} = ...` defines every period: write `{name}[t] = ...` for the "
                                       "periods the other equations leave")
        if general:
            free = [i for i in range(n) if i not in owner]
            for start, stop in runs(free):
                pieces.append((general[0], start, stop))
            owner.update((i, general[0]) for i in free)
        for eq in fallbacks:  # the periods the item's own equations leave (engine/dimensions.py)
            try:
                start, stop = (0, n - 1) if isinstance(eq.index, ast.Current) else periods.period_span(s, eq.index)
            except Abandon:
                continue
            free = [i for i in range(start, stop + 1) if i not in owner]
            for first, last in runs(free):
                pieces.append((eq, first, last))
            owner.update((i, eq) for i in free)
        if scalar:
            pieces.append((scalar[0], None, None))
        s.pieces[name] = pieces


def _in_order(a: Span, b: Span) -> tuple[Span, Span]:
    """(the later, the earlier): the one defined again, the one defined first."""
    return (a, b) if (a.line, a.col) >= (b.line, b.col) else (b, a)


def overlap(s, name, eq, other, i):
    s.report.error("duplicate-definition", f"`{name}` is defined twice for {s.timeline.label(i)}",
                   eq.index.span, Label(eq.index.span, "defined again here"),
                   Label(other.index.span, "first defined here"),
                   hint="make the periods of the two equations disjoint")


def definition_span(s, name: str) -> Span | None:
    if name in s.formulas:
        return s.formulas[name][0].name_span
    if name in s.inputs:
        return s.inputs[name].name_span
    return None


def edges_of(s, name: str) -> list[Edge]:
    out: list[Edge] = []
    for eq in s.formulas[name]:
        stack = [eq.value]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                if node.name in s.inputs or node.name in s.formulas:
                    out.append(Edge(node.name, "lag", 0, node.span))
            elif isinstance(node, ast.Indexed):
                if node.name in s.inputs or node.name in s.formulas:
                    out.append(edge_for_index(node))
            elif isinstance(node, ast.Call):
                if common.call_kind(node) == "running" and node.args:
                    target = node.args[0]
                    if isinstance(target, (ast.Name, ast.Indexed)) and (
                            target.name in s.inputs or target.name in s.formulas):
                        out.append(Edge(target.name, "whole", 0, target.span))
                        continue
                if node.func == "growth" and node.args and isinstance(node.args[0], (ast.Name, ast.Indexed)):
                    target = node.args[0]
                    if target.name in s.inputs or target.name in s.formulas:
                        out.append(Edge(target.name, "lag", -1, target.span))
                stack.extend(node.args)
            else:
                stack.extend(ast.children(node))
    return out


def type_step(s, step: ir.Step):
    names = step.names
    # Shapes: a formula is a series if it has a period selector, reads a series at the current
    # period, or sits in a recurrence.
    # A loop ordered period by period (step.order) keeps its single values single.
    series = member_shapes(s, names, {n: step.sequential and step.order is None for n in names})
    last = len(s.timeline) - 1
    for n in names:
        if series[n]:  # `x = ...` that reads a series defines every period
            s.pieces[n] = [(eq, 0, last) if start is None else (eq, start, stop)
                           for eq, start, stop in s.pieces[n]]
    units: dict[str, object] = {}
    declared: dict[str, object] = {}
    for n in names:
        d = declared_unit(s, n)
        if d is not None:
            declared[n] = units[n] = d
    s.pending = {n: Draft(n, "formula", ir.Type(units.get(n), ir.SERIES if series[n] else ir.SCALAR), "", [],
                                s.formulas[n][0].span) for n in names}
    for n in names:
        if n in units:
            s.quantities[n] = s.pending[n]
    # Units: infer from any equation whose inputs are all known; repeat until stable.
    typed: dict[tuple[str, int], object] = {}
    progress = True
    wildcard = False
    while len(units) < len(names):
        if not progress:
            if wildcard:
                break
            wildcard = True
        progress = False
        for n in names:
            if n in units:
                continue
            for k, (eq, start, stop) in enumerate(s.pieces[n]):
                trial = Reporter()
                try:
                    node = expressions.expr(s, eq.value, Context(n, series[n], trial, wildcard))
                    if node.type.unit is ANY_UNIT:
                        raise Unknown
                except Unknown:
                    continue
                except Abandon:
                    s.report.diagnostics.extend(trial.diagnostics)
                    s.broken.add(n)
                    units[n] = None
                    progress = True
                    break
                s.report.diagnostics.extend(trial.diagnostics)
                if not wildcard:
                    typed[(n, k)] = node
                units[n] = node.type.unit if not node.type.boolean else "bool"
                s.pending[n].type = ir.Type(None if isinstance(units[n], str) else units[n],
                                            ir.SERIES if series[n] else ir.SCALAR)
                s.quantities[n] = s.pending[n]
                progress = True
                break
    for n in names:
        if n not in units:
            span = s.formulas[n][0].name_span
            if not periods.dropped_by_scenario(s, n, span):
                s.report.error("unknown-unit", f"cannot infer the unit of `{n}`: every equation reads it",
                               span, Label(span), hint=f"give a starting value (`{n}[{s.timeline.label(0)}] = "
                               f"...`), or declare its unit: {n}: UNIT = ...")
            s.broken.add(n)
    for n in names:
        if n in s.broken:
            s.quantities.pop(n, None)
            continue
        q = s.pending[n]
        s.quantities[n] = q
        for k, (eq, start, stop) in enumerate(s.pieces[n]):
            try:
                node = typed.get((n, k)) or expressions.expr(s, eq.value, Context(n, series[n], s.report))
                node = conform(s, node, q, eq, n in declared)
            except (Abandon, Unknown):
                s.broken.add(n)
                break
            q.equations.append(ir.Equation(start, stop, node, eq.span, common.text(s, eq.value)))
        if n in s.broken:
            s.quantities.pop(n, None)
            continue
        first = s.formulas[n][0]
        q.note = next((e.clauses.note for e in s.formulas[n] if e.clauses.note), None)
        unit_stmt = next((e.unit for e in s.formulas[n] if e.unit), None)
        q.unit_text = unit_stmt.text if unit_stmt else ""
        q.span = first.span
        if q.series:
            q.defined = np.zeros(len(s.timeline), dtype=bool)
            for eq in q.equations:
                q.defined[eq.start:eq.stop + 1] = True
        common.display(s, q, next((e.clauses.display for e in s.formulas[n] if e.clauses.display), None))
        q.rollup = next((e.clauses.rollup.rule for e in s.formulas[n] if e.clauses.rollup), None)
        for e in s.formulas[n]:
            if e.clauses.sources:
                q.sources += tuple(ir.SourceRef(s.file, s.date, s.quote) for s in e.clauses.sources)
            if e.clauses.base is not None:
                s.report.error("bad-input", "`base` goes with an input range", e.clauses.base.span,
                               Label(e.clauses.base.span))


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
                if isinstance(node.index, (ast.Current, ast.Relative)):
                    return True
            elif isinstance(node, ast.Call) and common.call_kind(node) in ("running", "series", "calendar"):
                return True
            elif isinstance(node, ast.Call) and common.is_reduction(node):
                at = common.series_argument(node)  # the series it reduces is one value; npv's rate may not be
                stack.extend(a for i, a in enumerate(node.args) if i != at)
            else:
                stack.extend(ast.children(node))
    return False


def declared_unit(s, name: str):
    found = None
    for eq in s.formulas[name]:
        if eq.unit is None:
            continue
        unit = common.parse_unit(s, eq.unit)
        if unit is None:
            s.broken.add(name)
            continue
        if found is not None and unit != found[0]:
            s.report.error("unit-mismatch", f"`{name}` is declared with two different units", eq.unit.span,
                           Label(eq.unit.span, common.u(s, unit)), Label(found[1], common.u(s, found[0])))
            continue
        if found is None:
            found = (unit, eq.unit.span)
    if found is None and name in s.replaced and s.base_model is not None:
        # A scenario's formula keeps the model's unit for it, as a scenario's input value does.
        base = s.base_model.quantities.get(name)
        if base is not None and base.unit is not None:
            s.unit_of_model[name] = base
            return base.unit
    return found[0] if found else None


def conform(s, node, q: ir.Quantity, eq: ast.Equation, declared: bool):
    """Bring an equation's value to its quantity's unit (the declared one, or the first equation's)."""
    want = q.unit
    if node.type.boolean or want is None:
        if node.type.boolean != (want is None):
            mismatch_declared(s, node, q, eq, declared)
        return node
    if s.units.equal(node.type.unit, want):
        return node
    if not s.units.same_dimension(node.type.unit, want):
        mismatch_declared(s, node, q, eq, declared)
    return expressions.convert(s, node, want)


def mismatch_declared(s, node, q, eq, declared):
    got = common.u(s, node.type.unit) if not node.type.boolean else "true/false"
    want = common.u(s, q.unit) if q.unit is not None else "true/false"
    if declared and q.name in s.unit_of_model:
        base = s.unit_of_model[q.name]
        s.report.error("declared-unit", f"this formula gives `{q.name}` in {got}, but the model "
                       f"computes it in {want}", node.span, Label(node.span, got),
                       *([Label(base.span, f"{want} here")] if base.span else []),
                       hint=common.rate_hint(s, node.type.unit, q.unit) or
                       "a scenario may change how a quantity is computed, not what it measures")
    elif declared:
        decl = next(e.unit for e in s.formulas[q.name] if e.unit)
        s.report.error("declared-unit", f"`{q.name}` is declared in {want}, but this formula gives {got}",
                       node.span, Label(node.span, got), Label(decl.span, "declared here"),
                       hint=common.rate_hint(s, node.type.unit, q.unit))
    else:
        s.report.error("unit-mismatch", f"the equations of `{q.name}` disagree: {want} and {got}",
                       node.span, Label(node.span, got), hint=common.rate_hint(s, node.type.unit, q.unit))
    raise Abandon

