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

from .. import builtins, ir
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
    if "ratio of two rates" in reason:
        parts = rollup.ratio_parts(q)
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
    reason, written, rate = amount_reason(s, q, classifier) or ("it is computed from amounts per period", None, None)
    kind, unit = s.timeline.kind, s.units.short(q.unit) or "plain numbers"
    if written == "":  # a function's amount each period (pmt): nothing to drop
        s.report.error("missing-rollup", f"`{q.name}` is an amount per period ({reason}) in {unit}: its {kind}s "
                       "cannot roll up to years by the unit's rule", q.span, Label(q.span),
                       hint=f"add `rollup sum` under it (a year's payments are the sum of its {kind}s')")
        return
    s.report.error(
        "missing-rollup", f"`{q.name}` is an amount per period ({reason}) in {unit}, not a flow: its {kind}s cannot "
        "roll up to years by the unit's rule", q.span, Label(q.span),
        hint=f"add `rollup sum` under it (a year's amount is the sum of its {kind}s'), or make it a flow: drop "
             f"`{written or '* period_length()'}` so its unit is per time ({rate or s.units.short(q.unit) + '/' + kind})")


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


def amount_reason(s, q: ir.Quantity, classifier) -> tuple[str, str | None, str | None] | None:
    """Why q is an amount per period, the `* time` text that makes it one and the flow's unit
    (None, None for period_length() and for a sum of amounts); None if no single piece says."""
    for eq in q.equations:
        for node in ir.walk(eq.expr):
            if isinstance(node, ir.Period) and node.what == "length":
                return "it multiplies by period_length()", None, None
            if isinstance(node, ir.Func) and getattr(builtins.ELEMENTWISE.get(node.name), "per_period", False) \
                    and s.units.same_dimension(node.type.unit, q.unit):
                return f"{node.name}() gives an amount each period", "", None
            if isinstance(node, ir.Ref) and node.type.unit is not None and node.name != q.name and \
                    s.units.same_dimension(node.type.unit, q.unit) and classifier.of(node.name) is kinds.AMOUNT:
                return f"it adds up `{node.name}`, an amount per period", None, None
    for eq in q.equations:
        for node in ir.walk(eq.expr):
            found = flow_times_time(s, node, q.unit)
            if found is not None:
                return found
    return None


def flow_times_time(s, node, unit) -> tuple[str, str, str] | None:
    """`flow * 1 month` (or `flow / (1 / 1 month)`) in `unit`'s dimension: the text that says so."""
    if not isinstance(node, ir.Binary) or node.op not in ("*", "/") or node.type.unit is None or \
            not s.units.same_dimension(node.type.unit, unit):
        return None
    time = s.units.parse("year").dimensionality
    pairs = [(node.left, node.right)] + ([(node.right, node.left)] if node.op == "*" else [])
    for flow, other in pairs:
        if flow.type.unit is None or other.type.unit is None or not s.units.is_flow(flow.type.unit):
            continue
        wanted = time if node.op == "*" else 1 / time
        if other.type.unit.dimensionality != wanted or kinds.written_length(s.units, other, node.op) is None:
            continue
        flow_text, time_text = common.text(s, flow), common.text(s, other)
        if isinstance(other, (ir.Binary, ir.Unary)):
            time_text = f"({time_text})"
        who = f"the flow `{flow_text}`" if flow_text and len(flow_text) <= 30 else "a flow"
        verb = "multiplies" if node.op == "*" else "divides"
        return (f"it {verb} {who} by `{time_text}`", f"{'*' if node.op == '*' else '/'} {time_text}",
                s.units.short(flow.type.unit))
    return None
