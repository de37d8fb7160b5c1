"""Formulas: which periods each equation defines, the dependency graph and evaluation plan, then
shapes and units inferred step by step in dependency order (recurrences by fixed point)."""

from __future__ import annotations

import heapq

import numpy as np

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Reporter, Span
from ..graph import Edge, plan_evaluation, strongly_connected
from . import common, definitions, expressions, periods
from .syntax_reads import SyntaxRead, syntax_reads
from .scope import ANY_UNIT, Abandon, Context, Draft, Scope, Unknown


def pieces(s: Scope) -> None:
    """s.pieces: the periods each equation of each formula defines."""
    coverage_of_formulas(s)


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
    value), with where it reads each. periods_of: the equation's first and last period, which
    bound what x[t-lag] can read whatever the lag (at t = first, t-lag is on the timeline)."""
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
                elif isinstance(index, ast.Shift) and p is not None:
                    # as far as the input says, any lag the equation's periods allow: from 1 to
                    # `first` back (x[t-lag] at t = first), 1 to n-1-`last` ahead; engine/period_counts.py
                    # holds a --set lag to the same bound, so the order stays right for it
                    first, last = periods_of or (0, n - 1)
                    add(node.name, range(p - first, p) if index.sign < 0 else range(p + 1, p + n - last), node.span)
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
    for i, step in enumerate(s.plan):
        if step.order is not None:
            # Ordered again now that the formulas it reads are typed: while planning, a member that
            # reads a series only through another formula (flag = year() >= 2027) could not be
            # known to be a series, and its periods would be missing from the order.
            order = period_order(s, list(step.names))
            if order is None:
                s.broken.update(step.names)
                continue
            step = s.plan[i] = ir.Step(step.names, True, tuple(order))
        type_step(s, step)
    for step in s.plan:
        for loop in {frozenset(loop.names): loop for loop in step.loops}.values():
            suggest_closed_form(s, loop)


def suggest_closed_form(s: Scope, loop: ir.Loop) -> None:
    """A declared loop whose equations are linear in its members (interest on the average
    balance) has a closed form: `check` says so (a note, not a warning: iteration is exact too)."""
    members = set(loop.names)
    if not all(n in s.quantities and all(linear_in(eq.expr, members) for eq in s.quantities[n].equations)
               for n in members):
        return
    names = list(loop.names)
    span = s.circular.get(names[0])
    s.report.warning(
        "linear-loop", f"the circular loop {' -> '.join(names + names[:1])} is linear: it has a closed form", span,
        *([Label(span)] if span else []),
        hint="solving it by hand needs no iteration, in the engine or the workbook: for interest on the average "
             "balance, closing = opening + draw + r × (opening + closing) / 2 − repay gives closing = (opening × "
             "(1 + r/2) + draw − repay) / (1 − r/2); see \"Circular loops\" in docs/language.md",
        severity="note")


def linear_in(node, members: set) -> bool:
    """Is the node affine in the members read at the current period (sums, products by and
    quotients by what does not read them, conversions)?"""
    if not _reads_now(node, members):
        return True
    if isinstance(node, ir.Ref):
        return True  # a member at the current period
    if isinstance(node, (ir.Sum, ir.Unary, ir.Convert)):
        return all(linear_in(child, members) for child in ir.children(node))
    if isinstance(node, ir.Binary) and node.op == "*":
        reading = [c for c in (node.left, node.right) if _reads_now(c, members)]
        return len(reading) == 1 and linear_in(reading[0], members)
    if isinstance(node, ir.Binary) and node.op == "/":
        return not _reads_now(node.right, members) and linear_in(node.left, members)
    return False


def _reads_now(node, members: set) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        read = n.read()
        if read is not None and read.now and read.name in members:
            return True
        stack.extend(ir.children(n))
    return False


class _Owned:
    """The periods a formula's equations have taken, as disjoint spans (first, last, equation):
    a formula has a few equations, its timeline up to 10,000 periods."""

    def __init__(self):
        self.spans: list[tuple[int, int, ast.Equation]] = []

    def first_clash(self, start: int, stop: int):
        """(the first period of start..stop already taken, the equation that took it), or None."""
        clashes = [(max(start, first), eq) for first, last, eq in self.spans if first <= stop and last >= start]
        return min(clashes, key=lambda clash: clash[0]) if clashes else None

    def take(self, start: int, stop: int, eq: ast.Equation) -> None:
        if start <= stop:
            self.spans.append((start, stop, eq))

    def free(self, start: int, stop: int) -> list[tuple[int, int]]:
        """The runs of start..stop no equation has taken: 0..9 less 3..5 -> (0, 2), (6, 9)."""
        found, at = [], start
        for first, last, _ in sorted(self.spans, key=lambda span: span[:2]):
            if first > stop:
                break
            if first > at:
                found.append((at, first - 1))
            at = max(at, last + 1)
        if at <= stop:
            found.append((at, stop))
        return found


def coverage_of_formulas(s):
    """Which periods each formula equation defines. `x[t]` takes every period the others leave."""
    s.pieces: dict[str, list[tuple[ast.Equation, int | None, int | None]]] = {}
    n = len(s.timeline)
    for name, equations in s.formulas.items():
        owner = _Owned()
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
            elif isinstance(eq.index, (ast.Relative, ast.Shift)):
                s.report.error("bad-period", "the left of `=` takes t, a period or a range, not a lag",
                               eq.index.span, Label(eq.index.span), hint=f"write {name}[t] = ...")
            else:
                try:
                    start, stop = periods.period_span(s, eq.index)
                except Abandon:
                    continue
                clash = owner.first_clash(start, stop)
                if clash:
                    overlap(s, name, eq, clash[1], clash[0])
                owner.take(start, clash[0] - 1 if clash else stop, eq)
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
            for start, stop in owner.free(0, n - 1):
                pieces.append((general[0], start, stop))
                owner.take(start, stop, general[0])
        for eq in fallbacks:  # the periods the item's own equations leave (engine/dimensions.py)
            try:
                start, stop = (0, n - 1) if isinstance(eq.index, ast.Current) else periods.period_span(s, eq.index)
            except Abandon:
                continue
            for first, last in owner.free(start, stop):
                pieces.append((eq, first, last))
                owner.take(first, last, eq)
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
                               span, Label(span), hint=unit_hint(s, n, series.get(n, False)))
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
                blank_alone(s, node, q)
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
        q.rollup = scenario_rollup(s, n, next((e.clauses.rollup for e in s.formulas[n] if e.clauses.rollup), None))
        for e in s.formulas[n]:
            if e.clauses.sources:
                q.sources += tuple(ir.SourceRef(s.file, s.date, s.quote) for s in e.clauses.sources)
            if e.clauses.base is not None:
                s.report.error("bad-input", "`base` goes with an input range", e.clauses.base.span,
                               Label(e.clauses.base.span))


def unit_hint(s, name: str, series: bool) -> str:
    """How to give a quantity whose equations all read it a unit: declare one; for a series, or a
    starting value. The code is the language's (an item row's period: x[na, 2025])."""
    base, _, items = name.partition("[")
    first = s.timeline.label(0)
    start = f"{base}[{items[:-1]}, {first}]" if items else f"{name}[{first}]"
    declare = f"declare its unit: `{name}: USD = ...` (the unit it measures)"
    return f"give a starting value (`{start} = 0 USD`), or {declare}" if series else declare


def scenario_rollup(s, name: str, clause) -> str | None:
    """The quantity's roll-up rule: its clause; in a scenario, the model's (a scenario changes how
    a quantity is computed, not what it measures: a clause that differs from the model's is an error)."""
    base = s.base_model.quantities.get(name) if name in s.replaced and s.base_model is not None else None
    if base is None:
        return clause.rule if clause is not None else None
    if clause is not None and clause.rule != base.rollup:
        s.report.error("bad-rollup", f"the model rolls `{name}` up by {base.rollup or 'its unit'}; a scenario keeps "
                       f"that rule", clause.span, Label(clause.span),
                       hint="remove the clause from the scenario" + (f", or write `rollup {clause.rule}` in the model"
                                                                    if base.rollup is None else ""))
    return base.rollup


def blank_alone(s, node, q) -> None:
    """first_period() and periods_before() may find nothing: each is a single value of its own
    (`runway = periods_before(short[2026-01..])`), which other formulas read with value_or() or
    is_blank(), so that what no value means is written down."""
    top = node
    while isinstance(top, ir.Convert):
        top = top.operand
    for inner in ir.walk(node):
        if isinstance(inner, ir.Reduce) and inner.func in builtins.BLANK and (inner is not top or q.series):
            s.report.error("blank", f"{inner.func}() gives no value where it finds no period, so it is a single "
                           "value of its own", inner.span, Label(inner.span),
                           hint=f"make it a quantity: found = {common.text(s, inner) or inner.func + '(flag)'}, then "
                                f"read it with " + ("is_blank(found)" if inner.func == "first_period" else
                                                    "value_or(found, 99 year) or is_blank(found)"))
            raise Abandon


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
    return common.convert(s, node, want)


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

