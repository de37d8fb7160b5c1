"""Pass 3: every input typed: a literal, a per-period table, a range or a distribution, in the
unit it declares or its value states; a scenario's value checked as the base value is."""

from __future__ import annotations

import numpy as np

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, Span
from . import common, literals, periods
from .literals import Expect
from .scope import Abandon, Draft, Scope

# name -> the number of parameters in the input's unit
DISTRIBUTIONS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2}


def type_inputs(s: Scope) -> None:
    """Every input of the (scenario's) definitions into s.quantities, or into s.broken."""
    for stmt in s.inputs.values():
        type_input(s, stmt)


def expectation(s, stmt: ast.Input) -> "Expect | None":
    """What unit an input's value must have, and whether bare numbers may stand for it."""
    declared = common.parse_unit(s, stmt.unit) if stmt.unit else None
    base = s.overrides.get(stmt.name)
    if base is None:
        if declared is None:
            return None
        return Expect(declared, False, True, f"`{stmt.name}` is declared in {common.u(s, declared)}")
    # A scenario's value for an input: checked against the input as its base value is.
    if base.unit is not None:
        base_unit = common.parse_unit(s, base.unit)
        if base_unit is None:
            raise Abandon
        if declared is not None and not s.units.same_dimension(declared, base_unit):
            s.report.error("unit-mismatch", f"`{stmt.name}` is declared here in "
                           f"{common.u(s, declared)}, but the input is in {common.u(s, base_unit)}", stmt.unit.span,
                           Label(stmt.unit.span, common.u(s, declared)), Label(base.unit.span, "declared here"))
            raise Abandon
        return Expect(base_unit, False, True, f"`{stmt.name}` is declared in {common.u(s, base_unit)}",
                      bare_unit=declared)
    probe = Scope(s.module, s.file, {}, units=s.units, timeline=s.timeline)  # errors here belong to the base model
    base_q = typed_input(probe, base, None)
    if base_q is None:  # the base value is broken: checking the base model reports it
        raise Abandon
    why = f"the base value of `{stmt.name}` is " + ("true/false" if base_q.unit is None
                                                    else f"in {common.u(s, base_q.unit)}")
    return Expect(base_q.unit, base_q.unit is None, False, why, bare_unit=declared)


def type_input(s, stmt: ast.Input):
    try:
        expect = expectation(s, stmt)
    except Abandon:
        s.broken.add(stmt.name)
        return
    q = typed_input(s, stmt, expect)
    if q is None:
        s.broken.add(stmt.name)
        return
    s.quantities[stmt.name] = q


def typed_input(s, stmt: ast.Input, expect: "Expect | None") -> ir.Quantity | None:
    value = stmt.value
    s.input_name = stmt.name
    sources = tuple(ir.SourceRef(s.file, s.date, s.quote) for s in stmt.clauses.sources)
    unit = expect.unit if expect is not None else None
    q = Draft(stmt.name, "input", ir.Type(unit, ir.SCALAR), "", [], stmt.span, stmt.clauses.note, sources)
    try:
        single_clauses(s, stmt.clauses)
        if stmt.clauses.rollup is not None:
            span = stmt.clauses.rollup.span
            s.report.error("bad-rollup", "an input rolls up by its unit; it takes no `rollup` clause", span,
                           Label(span), hint="write a per-period amount as a flow (`input x: USD/month = ...` "
                           "rolls up to its average rate) or put the clause on a formula that reads the input")
            raise Abandon
        if stmt.clauses.circular is not None:
            span = stmt.clauses.circular.span
            s.report.error("bad-circular", "an input is never part of a loop; `circular` goes on formulas", span,
                           Label(span), hint="mark each formula of the loop `circular` (interest on the average "
                           "balance and the balance it reads), and remove it here")
            raise Abandon
        if isinstance(value, ast.Table):
            input_table(s, q, value, expect)
        elif isinstance(value, ast.Range):
            input_range(s, q, value, expect, stmt.clauses.base)
        elif isinstance(value, ast.Call) and value.func in DISTRIBUTIONS:
            input_distribution(s, q, value, expect, stmt.clauses.base)
        else:
            number, unit = literals.literal(s, value, expect)
            q.type = ir.Type(unit, ir.SCALAR)
            q.value = np.array([number])
            if stmt.clauses.base is not None:
                s.report.error("bad-input", "`base` goes with a range (low .. high)",
                               stmt.clauses.base.span, Label(stmt.clauses.base.span))
    except Abandon:
        return None
    q.declared = expect is not None and expect.bare_ok
    base = s.overrides.get(stmt.name)
    unit_stmt = base.unit if base is not None and base.unit is not None else stmt.unit
    if unit_stmt is not None and q.unit is not None and expect is not None and expect.bare_ok:
        q.unit_text = unit_stmt.text
    common.display(s, q, stmt.clauses.display)
    return q


def single_clauses(s, clauses: ast.Clauses):
    """`note`, `display` and `base` may each be given once (a second one would silently win)."""
    seen: dict[type, object] = {}
    for c in clauses.items:
        if isinstance(c, ast.Source):
            continue
        if type(c) in seen:
            word = {ast.Note: "note", ast.Display: "display", ast.Base: "base", ast.Rollup: "rollup",
                    ast.Circular: "circular"}[type(c)]
            s.report.error("duplicate-definition", f"`{word}` is given twice", c.span,
                           Label(c.span, "again here"), Label(seen[type(c)].span, "first here"),
                           hint=f"keep one `{word}` clause")
            raise Abandon
        seen[type(c)] = c


def input_table(s, q: ir.Quantity, table: ast.Table, expect: "Expect | None"):
    n = len(s.timeline)
    values = np.full(n, np.nan)
    seen: dict[int, Span] = {}
    unit = expect.unit if expect is not None else None
    for k, (period, expr) in enumerate(table.entries):
        first, last = periods.period_span(s, period)
        number, entry_unit = literals.literal(s, expr, expect if k == 0 or expect is not None else
                                              literals.like_first(s, unit, "the table's first entry"))
        if k == 0:
            unit = entry_unit
        for i in range(first, last + 1):
            if i in seen:
                s.report.error("duplicate-definition", f"{s.timeline.label(i)} appears twice in the "
                               "table", period.span, Label(period.span), Label(seen[i], "first here"))
                raise Abandon
            seen[i] = period.span
            values[i] = number
    if not table.entries and expect is None:
        unit = s.units.dimensionless
    q.type = ir.Type(unit, ir.SERIES)
    q.value = values
    q.defined = ~np.isnan(values)


def input_range(s, q: ir.Quantity, rng: ast.Range, expect: "Expect | None", base_node):
    low, unit = literals.literal(s, rng.low, expect, "the range's low end")
    literals.not_boolean(s, unit, rng.low, "a range")
    later = expect or literals.like_first(s, unit, "the range's low end")
    high, _ = literals.literal(s, rng.high, later, "the range's high end")
    if high < low:
        s.report.error("bad-input", "the range's low end is above its high end", rng.span, Label(rng.span))
        raise Abandon
    if base_node is not None:
        base, _ = literals.literal(s, base_node, later, "the base value")
        if not low <= base <= high:
            s.report.error("bad-input", "the base value lies outside the range", base_node.span,
                           Label(base_node.span), Label(rng.span, "the range"))
            raise Abandon
    else:
        base = (low + high) / 2
    q.type = ir.Type(unit, ir.SCALAR)
    q.value, q.low, q.high = np.array([base]), low, high
    # Monte Carlo: a range is uniform, or triangular around its stated base value.
    q.distribution = ("uniform", low, high) if base_node is None else ("triangular", low, base, high)


def input_distribution(s, q: ir.Quantity, call: ast.Call, expect: "Expect | None", base_node):
    """uniform(lo, hi), triangular(lo, mode, hi), normal(mean, sd[, lo, hi]),
    lognormal(median, sigma[, lo, hi]); sigma is the spread of ln(x), a plain number."""
    f, args = call.func, call.args
    bounded = f in ("normal", "lognormal")
    want = DISTRIBUTIONS[f]
    if not (len(args) == want or (bounded and len(args) == want + 2)):
        forms = {"uniform": "uniform(low, high)", "triangular": "triangular(low, mode, high)",
                 "normal": "normal(mean, sd) or normal(mean, sd, low, high)",
                 "lognormal": "lognormal(median, sigma) or lognormal(median, sigma, low, high)"}
        s.report.error("arity", f"{f}() takes {forms[f]}", call.span, Label(call.span))
        raise Abandon
    unit = expect.unit if expect is not None else None
    values = []
    sigma = Expect(s.units.dimensionless, False, False, "lognormal's sigma is the spread of ln(x), a plain number")
    for k, arg in enumerate(args):
        if f == "lognormal" and k == 1:
            values.append(literals.literal(s, arg, sigma, "sigma")[0])
            continue
        number, u = literals.literal(s, arg, expect if k == 0 or expect is not None else
                                     literals.like_first(s, unit, f"the first parameter of {f}()"))
        if k == 0:
            unit = u
            literals.not_boolean(s, unit, arg, f"{f}()")
        values.append(number)
    lo_hi = values[want:] if len(values) > want else [None, None]
    if f == "uniform":
        lo, hi = values
        base, dist = (lo + hi) / 2, ("uniform", lo, hi)
    elif f == "triangular":
        lo, mode, hi = values
        base, dist = mode, ("triangular", lo, mode, hi)
    elif f == "normal":
        mean, sd = values[:2]
        base, dist = mean, ("normal", mean, sd, *lo_hi)
        lo, hi = mean - 4 * sd, mean + 4 * sd
    else:
        median, sigma = values[:2]
        if median <= 0:
            s.report.error("bad-input", "a lognormal's median must be positive", args[0].span,
                           Label(args[0].span))
            raise Abandon
        base, dist = median, ("lognormal", median, sigma, *lo_hi)
        with np.errstate(over="ignore", under="ignore"):  # a huge sigma: bounds at 0 and inf, no warning
            lo, hi = median * np.exp(-4 * sigma), median * np.exp(4 * sigma)
    if lo_hi[0] is not None:
        lo, hi = max(lo, lo_hi[0]), min(hi, lo_hi[1])
    spread = values[1] if f in ("normal", "lognormal") else 0.0
    if hi < lo or spread < 0 or (f == "triangular" and not values[0] <= values[1] <= values[2]):
        s.report.error("bad-input", f"these {f}() parameters describe no values", call.span,
                       Label(call.span), hint="low <= mode <= high; spreads are not negative")
        raise Abandon
    if base_node is not None:
        first = expect or literals.like_first(s, unit, f"the first parameter of {f}()")
        base, _ = literals.literal(s, base_node, first,
                                   "the base value")
    if not lo <= base <= hi:
        s.report.error("bad-input", "the base value lies outside the distribution's bounds", call.span,
                       Label(call.span))
        raise Abandon
    q.type = ir.Type(unit, ir.SCALAR)
    q.value, q.low, q.high, q.distribution = np.array([base]), lo, hi, dist

