"""Pass 3: every input typed: a literal, a per-period table, a range or a distribution, in the
unit it declares or its value states; a scenario's value checked as the base value is."""

from __future__ import annotations

import numpy as np

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, Span
from ..syntax import label_text
from . import common, literals, periods
from ..data_values import DataValues
from .data_inputs import input_data
from .literals import Expect
from .scope import Abandon, Draft, Scope

# name -> the number of parameters in the input's unit
DISTRIBUTIONS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2}


def type_inputs(s: Scope) -> None:
    """Every input of the (scenario's) definitions into s.quantities, or into s.broken."""
    for stmt in s.inputs.values():
        type_input(s, stmt)
    mixed_scales(s)


def mixed_scales(s: Scope) -> None:
    """A row of zeros written without a scale word (`input revolver_open = 0 USD`) among inputs of
    its section that are all written in one (`million USD`) is shown, and typed into in the
    workbook, in plain USD: an analyst typing 20 there would mean 20 USD. Said, not guessed."""
    from ..outline import section_of

    sections = section_of(s.module)
    groups: dict[tuple, list] = {}
    rows = s.module.dimensions.rows if s.module.dimensions else {}  # an item's row: its block has one scale
    for name, stmt in s.inputs.items():
        q = s.quantities.get(name)
        if q is not None and q.unit is not None and name in sections and name not in rows:
            groups.setdefault((sections[name], q.unit.dimensionality), []).append((q, stmt))
    for (section, _), members in groups.items():
        words = {q.display_scale for q, _ in members if q.display_scale}
        if len(words) != 1:
            continue
        word = words.pop()
        for q, stmt in members:
            values = np.asarray(q.value, dtype=float)
            if q.display_scale is None and stmt.clauses.display is None and not np.nan_to_num(values).any():
                unit = s.units.short(q.unit)
                s.report.warning("mixed-scale", f"`{q.name}` is 0 {unit} among inputs of section `{section}` written "
                                 f"in {word} {unit}: its row is in plain {unit}, so 20 typed there means 20 {unit}",
                                 stmt.span, Label(stmt.span),
                                 hint=f"write its value with the scale word (0 {word} {unit}), or add `display {word} "
                                      f"{unit}` under it")


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
        q.rollup = rollup_rule(s, stmt)
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
        elif isinstance(value, DataValues):
            input_data(s, q, value, expect)
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
    if stmt.clauses.display is None and q.unit is not None:
        q.display_scale = written_scale(value)
    return q


def written_scale(value) -> str | None:
    """The scale word the author wrote (`0 million USD`, `{2025: 0, 2026: 150 million}`): the
    input's display scale, so that a row of zeros is shown, and typed into, in millions like its
    neighbours rather than in plain USD. None where the literals do not agree on one word (the
    tables then choose one from the values)."""
    words, bare = set(), False
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Quantity):
            if node.scale is not None:
                words.add(node.scale)
            elif node.number != 0:
                bare = True
        elif isinstance(node, ast.Table):
            stack.extend(v for _, v in node.entries)
        else:
            stack.extend(ast.children(node))
    return words.pop() if len(words) == 1 and not bare else None


def rollup_rule(s, stmt: ast.Input) -> str | None:
    """The input's `rollup` clause (a scenario's value keeps the model's: what the input measures
    does not change with a scenario)."""
    base = s.overrides.get(stmt.name)
    if base is None:
        return stmt.clauses.rollup.rule if stmt.clauses.rollup is not None else None
    rule = base.clauses.rollup.rule if base.clauses.rollup is not None else None
    clause = stmt.clauses.rollup
    if clause is not None and clause.rule != rule:
        s.report.error("bad-rollup", f"the model rolls `{stmt.name}` up by {rule or 'its unit'}; a scenario keeps "
                       "that rule", clause.span, Label(clause.span), hint="remove the clause from the scenario")
    return rule


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
        split = expr if isinstance(expr, ast.Split) else None
        number, entry_unit = literals.literal(s, split.value if split else expr,
                                              expect if k == 0 or expect is not None else
                                              literals.like_first(s, unit, "the table's first entry"))
        if k == 0:
            unit = entry_unit
        for i in range(first, last + 1):
            if i in seen:
                s.report.error("duplicate-definition", f"{s.timeline.label(i)} appears twice in the "
                               "table", period.span, Label(period.span), Label(seen[i], "first here"))
                raise Abandon
            seen[i] = period.span
        values[first:last + 1] = fill(s, q, unit, number, first, last, period, split or expr)
    if not table.entries and expect is None:
        unit = s.units.dimensionless
    q.type = ir.Type(unit, ir.SERIES)
    q.value = values
    q.defined = ~np.isnan(values)


def fill(s, q, unit, number: float, first: int, last: int, key, value) -> np.ndarray:
    """The values a table key gives its periods. A key coarser than the timeline (a year on
    quarters) repeats a level or a rate in each period; an amount (`rollup sum`) says where it
    falls (`spread even`, `in 2026Q2`), and a value that is neither a rate nor said to be one or
    the other is refused: repeating an acquisition in every quarter would count it four times."""
    width = last - first + 1
    amount = q.rollup == "sum"
    split = value if isinstance(value, ast.Split) else None
    if split is not None:
        if not coarse_key_label(s, key) or not amount:
            why = (f"{key_text(s, key)} is written in {s.timeline.kind}s, each of which takes the value: there is "
                   "nothing to spread" if not coarse_key_label(s, key) else
                   "only an amount per period (`rollup sum`) is split over periods; a level or a rate holds in "
                   "each of them")
            s.report.error("bad-input", why, split.span, Label(split.span),
                           hint=f"write the value alone: {key_text(s, key)}: {number_text(s, split.value)}")
            raise Abandon
        groups = label_groups(s, key, first, last)
        if split.period is None:  # each of the key's years (quarters) spread over its periods
            return np.concatenate([np.full(b - a + 1, number / (b - a + 1)) for a, b in groups])
        at, at_last = periods.label_span(s, split.period, split.span)
        if at != at_last:
            s.report.error("bad-period", f"`in` puts the amount in one {s.timeline.kind}; {split.period} is "
                           f"{at_last - at + 1} {s.timeline.kind}s", split.span, Label(split.span),
                           hint=f"write `in {s.timeline.label(at_last)}` (its last {s.timeline.kind}), or "
                                "`spread even`")
            raise Abandon
        if len(groups) > 1:
            kind = key.start.kind
            s.report.error("bad-input", f"{key_text(s, key)} covers {len(groups)} {kind}s, and `in` puts the amount "
                           f"in one {s.timeline.kind}", split.span, Label(split.span),
                           hint=f"write a key for each {kind}: " + ", ".join(
                               f"{coarse_label(s, g, kind)}: " + (f"{number_text(s, split.value)} in {split.period}"
                                                                   if g[0] <= at <= g[1] else "0") for g in groups))
            raise Abandon
        if not first <= at <= last:
            s.report.error("bad-period", f"{split.period} is not one of the periods of {key_text(s, key)} "
                           f"({s.timeline.range_text(first, last)})", split.span, Label(split.span),
                           hint=f"write a {s.timeline.kind} of {key_text(s, key)}, e.g. in {s.timeline.label(last)}")
            raise Abandon
        out = np.zeros(width)
        out[at - first] = number
        return out
    coarse = coarse_key_label(s, key) and number != 0 and unit is not None and not s.units.is_flow(unit)
    if coarse and (amount or q.rollup is None):
        coarse_key(s, q, unit, number, first, last, key, amount, value)
    return np.full(width, number)


def label_groups(s, key, first: int, last: int) -> list[tuple[int, int]]:
    """The periods first..last grouped by the key's coarsest label (2026..2027 on quarters: the
    quarters of 2026, then those of 2027)."""
    labels = [key.period] if isinstance(key, ast.Fixed) else [key.start] + ([key.end] if key.end else [])
    return s.timeline.groups(first, last, min((label.kind for label in labels), key=ir.LABELS_PER_YEAR.get))


def coarse_label(s, group: tuple[int, int], kind: str) -> str:
    """The label of the year (quarter) that periods group[0]..group[1] make up: 2026, FY2026, 2026Q2."""
    tl = s.timeline
    year, number = tl.split(group[0])
    if kind == "year":
        return label_text(year, "year", 0, tl.fiscal)
    return label_text(year, "quarter", (number - 1) * 4 // tl.per_year + 1, tl.fiscal)


def coarse_key_label(s, key) -> bool:
    """A key written as a period coarser than the timeline's (2026, or 2026..2027, on quarters): each
    of its labels covers several periods. A range of the timeline's own periods (2025Q1..2025Q4)
    gives each of them the value, as written."""
    labels = [key.period] if isinstance(key, ast.Fixed) else [key.start] + ([key.end] if key.end else [])
    return any(ir.LABELS_PER_YEAR[label.kind] < s.timeline.per_year for label in labels)


def coarse_key(s, q, unit, number: float, first: int, last: int, key, amount: bool, value):
    """A coarse key on a value that may be an amount: both readings offered."""
    tl, key_label = s.timeline, key_text(s, key)
    shown = common.text(s, value) or number_text(s, None, number, unit)
    width, kind = last - first + 1, s.timeline.kind
    where = (f"`{key_label}: {shown} spread even` ({number_text(s, None, number / width, unit)} a {kind}) "
             f"or `{key_label}: {shown} in {tl.label(last)}`")
    if amount:
        s.report.error("missing-split", f"`{q.name}` is an amount per {kind} (`rollup sum`), and {key_label} covers "
                       f"{width} {kind}s: say where {shown} falls", key.span, Label(key.span, f"{width} {kind}s"),
                       hint=f"write {where}")
    else:
        what = "a plain number" if s.units.is_dimensionless(unit) else f"in {common.u(s, unit)}"
        s.report.error("missing-rollup", f"`{q.name}` is {what}, not a rate per time, and "
                       f"{key_label} covers {width} {kind}s: is {shown} a level held in each {kind}, or an amount "
                       f"that falls in {key_label}?", key.span, Label(key.span, f"{width} {kind}s"),
                       hint=f"a level: add `rollup last` under the input ({shown} in each {kind}); an amount: add "
                            f"`rollup sum` and write {where}")
    raise Abandon


def key_text(s, key) -> str:
    return common.text(s, key) or (str(key.period) if isinstance(key, ast.Fixed) else "this key")


def number_text(s, node, value: float | None = None, unit=None) -> str:
    """A value as the model writes it: `150 million` (the node's own text, or the value with its unit)."""
    if node is not None:
        return common.text(s, node) or "VALUE"
    from ..report import number_words

    return number_words(value, s.units.short(unit) if unit is not None else "")


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
    unit, values = distribution_parameters(s, call, expect)
    base, dist, lo, hi = distribution_bounds(s, call, values)
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


def distribution_parameters(s, call: ast.Call, expect: "Expect | None") -> tuple:
    """The unit (the first parameter's, unless the input declares one) and the parameters' values
    in it; lognormal's sigma is a plain number."""
    f = call.func
    unit = expect.unit if expect is not None else None
    values = []
    sigma = Expect(s.units.dimensionless, False, False, "lognormal's sigma is the spread of ln(x), a plain number")
    for k, arg in enumerate(call.args):
        if f == "lognormal" and k == 1:
            values.append(literals.literal(s, arg, sigma, "sigma")[0])
            continue
        number, u = literals.literal(s, arg, expect if k == 0 or expect is not None else
                                     literals.like_first(s, unit, f"the first parameter of {f}()"))
        if k == 0:
            unit = u
            literals.not_boolean(s, unit, arg, f"{f}()")
        values.append(number)
    return unit, values


def distribution_bounds(s, call: ast.Call, values: list) -> tuple:
    """The base value the parameters imply, the distribution as engine/samples.py draws it, and
    its bounds: the given low and high, or 4 spreads either side for normal and lognormal."""
    f, want = call.func, DISTRIBUTIONS[call.func]
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
            s.report.error("bad-input", "a lognormal's median must be positive", call.args[0].span,
                           Label(call.args[0].span))
            raise Abandon
        base, dist = median, ("lognormal", median, sigma, *lo_hi)
        with np.errstate(over="ignore", under="ignore"):  # a huge sigma: bounds at 0 and inf, no warning
            lo, hi = median * np.exp(-4 * sigma), median * np.exp(4 * sigma)
    if lo_hi[0] is not None:
        lo, hi = max(lo, lo_hi[0]), min(hi, lo_hi[1])
    return base, dist, lo, hi

