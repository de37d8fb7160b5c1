"""Roll-up rules checked: every series of a monthly or quarterly model rolls up to years by a rule
that means something (engine/rollup.py applies it).

A flow (a unit per time) rolls up by its average rate and true/false by agreement, by default.
Anything else (USD, GW, a count, a ratio) is a level, whose year is its last period, or an amount
per period, whose year is the sum of its periods: engine/check/kinds.py proves which from the
formula, and where it cannot, the formula must say (`rollup last` or `rollup sum`). A proven
amount must say `rollup sum` too (the author sees that the year adds up its periods). An input
series has no formula to prove anything from: it states its rule. Only sub-annual timelines roll
up, so only they require a rule; the clauses are checked on every timeline:
  - `rollup sum` on a flow is refused: twelve monthly rates added up are no number at all;
  - `sum` and `average` on true/false are refused (`max`: any period, `min`: every period);
  - `rollup ratio` is for a ratio of two series, `a / b`: the year's value is a's over b's.
"""

from __future__ import annotations

from .. import ir
from .. import rollup
from ..diagnostics import Label
from . import common, kinds
from .scope import Scope


def verify(s: Scope) -> None:
    classifier = None  # only a sub-annual timeline rolls up: only there is a series classified
    for name, q in list(s.quantities.items()):
        if name in s.broken or not clause_fits(s, q):
            continue
        if s.timeline.per_year == 1 or not q.series or q.unit is None or s.units.is_flow(q.unit):
            continue
        classifier = classifier or kinds.Classifier(s, {n: x.rollup for n, x in s.quantities.items()
                                                         if x.rollup is not None})
        if name in classifier.balances:
            increments(s, q, classifier)
        if q.rollup is not None:
            continue
        if q.kind == "input":
            ambiguous(s, q, "its values are typed in", q.span)
            continue
        found = classifier.of(name)
        if found is kinds.AMOUNT:
            missing_sum(s, q, classifier)
        elif found.what == "unknown":
            ambiguous(s, q, found.reason, found.span or q.span)


def clause_fits(s: Scope, q: ir.Quantity) -> bool:
    """The quantity's `rollup` clause, if any, is one its values can take (else an error)."""
    if q.rollup is None:
        return True
    span = clause_span(s, q)
    if not q.series and q.name in s.overrides:  # a scenario's single value for a series input: the
        return False  # model's rule has nothing to roll up here, and stays the model's
    if not q.series:
        s.report.error("bad-rollup", f"`{q.name}` is a single value: it has nothing to roll up", span, Label(span),
                       hint="remove the `rollup` clause")
        return False
    if q.unit is None and q.rollup in ("sum", "average", "ratio"):
        s.report.error("bad-rollup", f"`{q.name}` is true/false: it rolls up by `last`, `first`, `min` (every "
                       f"period) or `max` (any period), not by `{q.rollup}`", span, Label(span),
                       hint=f"write `rollup max` for 'true in any {s.timeline.kind}', or count the periods "
                            "with a number: if(flag, 1, 0)")
        return False
    if q.rollup == "sum" and s.units.is_flow(q.unit):
        _sum_of_rates(s, q, span)
        return False
    if q.rollup == "ratio" and rollup.ratio_parts(q) is None:
        s.report.error("bad-rollup", f"`rollup ratio` rolls up a ratio of two series, `a / b`, as the year's a over "
                       f"the year's b; `{q.name}` is not written as one", span, Label(span),
                       hint=f"write it as the ratio of two quantities ({q.name} = gross_profit / revenue), or "
                            "choose `rollup last`, `average`, `min` or `max`")
        return False
    return True


def clause_span(s: Scope, q: ir.Quantity):
    statements = s.formulas.get(q.name) or ([s.inputs[q.name]] if q.name in s.inputs else [])
    clause = next((e.clauses.rollup for e in statements if e.clauses.rollup), None)
    return clause.span if clause is not None else q.span


def _sum_of_rates(s: Scope, q: ir.Quantity, span) -> None:
    """`rollup sum` on a flow: twelve monthly rates added up, still labelled a rate."""
    unit = s.units.short(q.unit)
    amount = s.units.short(s.units.simplify(q.unit * s.timeline.step_unit)[1])
    s.report.error(
        "bad-rollup", f"`{q.name}` is a flow ({unit}): `rollup sum` would add up its {s.timeline.kind}s' rates, "
        f"and a sum of rates is meaningless (twelve months at 10 USD/month are not 120 USD/month)", span,
        Label(span, unit),
        hint=f"drop the clause: a flow rolls up to its average rate by default; a per-period amount is written "
             f"`{q.name} * period_length()` (in {amount}), and that one takes `rollup sum`")


def ambiguous(s: Scope, q: ir.Quantity, reason: str, span) -> None:
    """Neither a level nor an amount can be proven: the author says which."""
    kind = s.timeline.kind
    what = "a plain number" if s.units.is_dimensionless(q.unit) else f"in {common.u(s, q.unit)}"
    hint = (f"add `rollup last` under `{q.name}` if it is a level held through each {kind}, or `rollup sum` if "
            f"each value is that {kind}'s amount")
    parts = rollup.ratio_parts(q)
    if parts or "ratio of two rates" in reason:
        hint = (f"add `rollup ratio` under `{q.name}` (the year's {parts[0]} over the year's {parts[1]}), or "
                f"`rollup last` (the last {kind}'s ratio)" if parts else
                f"add `rollup last` under `{q.name}` (the last {kind}'s value), or `rollup average`, `rollup min` "
                f"or `rollup max`")
    s.report.error(
        "missing-rollup", f"`{q.name}` is {what}, not a rate per time, so each {kind}'s value is a level or "
        f"an amount, and the checker cannot tell which: {reason}", span, Label(span),
        notes=(f"a level (a balance, a price, a headcount) shows a year as its last {kind}; an amount (a draw, "
               f"a purchase, a {kind}'s sales) as the sum of its {kind}s",), hint=hint)


def missing_sum(s: Scope, q: ir.Quantity, classifier) -> None:
    """A proven amount per period without `rollup sum`: say it, with why it is one."""
    reason, written = classifier.amount_reason(q)
    kind, unit = s.timeline.kind, s.units.short(q.unit) or "plain numbers"
    rate = s.units.short(s.units.simplify(s.units.div(q.unit, s.timeline.step_unit))[1])
    drop = f", or make it a flow: drop `{written}` so its unit is per time ({rate})" if written else ""
    s.report.error(
        "missing-rollup", f"`{q.name}` is an amount per period ({reason}) in {unit}: its {kind}s cannot roll up to "
        "years by the unit's rule", q.span, Label(q.span),
        hint=f"add `rollup sum` under it (a year's amount is the sum of its {kind}s'){drop}")


def increments(s: Scope, q: ir.Quantity, classifier) -> None:
    """What a balance adds each period is an amount per period: one that reads as a level (a draw
    computed from balances) is ambiguous, and the author says which."""
    for x in kinds.increments(q, s.quantities):
        if not (isinstance(x, ir.Ref) and x.offset == 0):
            continue
        added = s.quantities.get(x.name)
        if added is None or added.kind != "formula" or added.rollup is not None or \
                x.name in classifier.balances or classifier.of(x.name) is not kinds.LEVEL:
            continue
        ambiguous(s, added, f"it is computed from levels, but `{q.name}` adds it each {s.timeline.kind} as "
                  f"an amount", x.span or added.span)
