"""Pass: formulas typed in dependency order (plan.py's steps): each step's shapes, then its
units (a recurrence's by fixed point: an equation is typed once the units it reads are known),
then its typed equations and what its clauses say, into s.quantities."""

from __future__ import annotations

import numpy as np

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Reporter
from . import common, expressions, periods
from .plan import member_shapes, period_order
from .scope import ANY_UNIT, Abandon, Context, Draft, Scope, Unknown


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


def type_step(s, step: ir.Step):
    """One step of the plan: its members' shapes (_shapes), units (_units, a fixed point over
    their equations), then each member's typed equations and clauses (_typed_quantity)."""
    names = step.names
    series = _shapes(s, step)
    units, declared = _declared(s, names, series)
    typed = _units(s, names, series, units)
    for n in names:
        if n not in units:
            span = s.formulas[n][0].name_span
            if not periods.dropped_by_scenario(s, n, span):
                s.report.error("unknown-unit", f"cannot infer the unit of `{n}`: every equation reads it",
                               span, Label(span), hint=unit_hint(s, n, series.get(n, False)))
            s.broken.add(n)
    for n in names:
        if n not in s.broken and _typed_quantity(s, n, series[n], typed, n in declared):
            continue
        s.quantities.pop(n, None)


def _shapes(s, step: ir.Step) -> dict[str, bool]:
    """Which members are series: a formula with a period selector, one that reads a series at
    the current period, or one in a recurrence (a loop ordered period by period, step.order,
    keeps its single values single). A series `x = ...` defines every period (s.pieces)."""
    names = step.names
    series = member_shapes(s, names, {n: step.sequential and step.order is None for n in names})
    last = len(s.timeline) - 1
    for n in names:
        if series[n]:
            s.pieces[n] = [(eq, 0, last) if start is None else (eq, start, stop)
                           for eq, start, stop in s.pieces[n]]
    return series


def _declared(s, names, series: dict) -> tuple[dict, dict]:
    """(units known so far, declared units): a draft quantity per member in s.pending, and in
    s.quantities already where its unit is declared (what reads it can be typed)."""
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
    return units, declared


def _units(s, names, series: dict, units: dict) -> dict[tuple[str, int], object]:
    """Infer each member's unit from any equation whose reads are all known, until nothing
    changes (then once more with unknown units as wildcards). Fills `units` (None: abandoned,
    "bool": true/false); returns the equations typed on the way, by (name, piece index)."""
    typed: dict[tuple[str, int], object] = {}
    progress, wildcard = True, False
    while len(units) < len(names):
        if not progress:
            if wildcard:
                break
            wildcard = True
        progress = False
        for n in names:
            if n not in units and _infer(s, n, series[n], units, typed, wildcard):
                progress = True
    return typed


def _infer(s, n: str, series: bool, units: dict, typed: dict, wildcard: bool) -> bool:
    """Type n's first equation that can be typed now; whether n's unit is now settled."""
    for k, (eq, _, _) in enumerate(s.pieces[n]):
        trial = Reporter()
        try:
            node = expressions.expr(s, eq.value, Context(n, series, trial, wildcard))
            if node.type.unit is ANY_UNIT:
                raise Unknown
        except Unknown:
            continue
        except Abandon:
            s.report.diagnostics.extend(trial.diagnostics)
            s.broken.add(n)
            units[n] = None
            return True
        s.report.diagnostics.extend(trial.diagnostics)
        if not wildcard:
            typed[(n, k)] = node
        units[n] = node.type.unit if not node.type.boolean else "bool"
        s.pending[n].type = ir.Type(None if isinstance(units[n], str) else units[n],
                                    ir.SERIES if series else ir.SCALAR)
        s.quantities[n] = s.pending[n]
        return True
    return False


def _typed_quantity(s, n: str, series: bool, typed: dict, declared: bool) -> bool:
    """n's typed equations (conformed to its unit) and what its clauses say, into s.quantities;
    False where an equation cannot be typed (n is broken)."""
    q = s.pending[n]
    s.quantities[n] = q
    for k, (eq, start, stop) in enumerate(s.pieces[n]):
        try:
            node = typed.get((n, k)) or expressions.expr(s, eq.value, Context(n, series, s.report))
            node = conform(s, node, q, eq, declared)
            blank_alone(s, node, q)
        except (Abandon, Unknown):
            s.broken.add(n)
            return False
        q.equations.append(ir.Equation(start, stop, node, eq.span, common.text(s, eq.value)))
    _clauses(s, n, q)
    return True


def _clauses(s, n: str, q: Draft) -> None:
    """What a formula's statements say besides its equations: note, unit text, periods defined,
    display, roll-up rule, sources; `base` is refused (it goes with an input range)."""
    equations = s.formulas[n]
    q.note = next((e.clauses.note for e in equations if e.clauses.note), None)
    unit_stmt = next((e.unit for e in equations if e.unit), None)
    q.unit_text = unit_stmt.text if unit_stmt else ""
    q.span = equations[0].span
    if q.series:
        q.defined = np.zeros(len(s.timeline), dtype=bool)
        for eq in q.equations:
            q.defined[eq.start:eq.stop + 1] = True
    common.display(s, q, next((e.clauses.display for e in equations if e.clauses.display), None))
    q.rollup = scenario_rollup(s, n, next((e.clauses.rollup for e in equations if e.clauses.rollup), None))
    for e in equations:
        if e.clauses.sources:
            q.sources += tuple(ir.SourceRef(s.file, s.date, s.quote) for s in e.clauses.sources)
        if e.clauses.base is not None:
            s.report.error("bad-input", "`base` goes with an input range", e.clauses.base.span,
                           Label(e.clauses.base.span))


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


def _actuals_hint(s, stmt, node, q, want: str) -> str:
    """An amount per period where the quantity is a rate (or the reverse): the conversion to write,
    over the actual periods (the actuals have no value after them)."""
    name, time = stmt.actuals.name, s.units.parse("year").dimensionality
    if node.type.unit is not None and q.unit is not None and stmt.until is not None:
        over = f"[{s.timeline.label(0)}..{stmt.until}]"
        if q.unit.dimensionality * time == node.type.unit.dimensionality:
            return (f"the actuals are amounts per period: make them a rate first, {name}_rate{over} = {name} / "
                    f"period_length(), and take the actuals from {name}_rate")
        if node.type.unit.dimensionality * time == q.unit.dimensionality:
            return (f"the actuals are a rate: make them amounts per period first, {name}_amount{over} = {name} * "
                    f"period_length(), and take the actuals from {name}_amount")
    return f"give the actuals in {want}, as the formula gives `{q.name}`"


def mismatch_declared(s, node, q, eq, declared):
    got = common.u(s, node.type.unit) if not node.type.boolean else "true/false"
    want = common.u(s, q.unit) if q.unit is not None else "true/false"
    if eq.actual is not None:  # engine/actuals.py: the actuals measure what the formula does
        s.report.error("unit-mismatch", f"the actuals `{eq.actual.actuals.name}` are in {got}, but `{q.name}` is in "
                       f"{want}", eq.actual.actuals.span, Label(eq.actual.actuals.span, got),
                       Label(eq.actual.name_span, want), hint=_actuals_hint(s, eq.actual, node, q, want))
    elif declared and q.name in s.unit_of_model:
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
