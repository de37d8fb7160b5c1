"""Roll-up rules checked: where the unit's rule (engine/rollup.py: flows average, the rest take
the last sub-period) would give a meaningless number, the formula must say how it rolls up.

That is an amount per period written in a unit that is not a flow: `revenue_in_month = mrr *
period_length()` is in USD, yet each month holds that month's revenue, so the year's value is
the sum, not December's. A formula is such an amount when it multiplies by period_length(),
multiplies a flow by a time written in the formula (`mrr * 1 month`, `burn * 30 day`; or divides
it by a frequency, `mrr / (1 / 1 month)`) into the formula's own dimension, or reads such an
amount at the current period in the same dimension (amount - amount), and is not a balance that
carries itself forward (cash[t] = cash[t-1] + ...: the last month is right). Only sub-annual
timelines roll up, so only they require the clause.

`rollup sum` on a flow is refused on any timeline: a flow's months are rates, and twelve monthly
rates added up are neither the year's amount nor its rate.
"""

from __future__ import annotations

from .. import builtins, ir
from .. import rollup
from ..diagnostics import Label
from . import common
from .scope import Scope


def verify(s: Scope) -> None:
    amounts: set[str] = set()
    for step in s.plan:
        for name in step.names:
            q = s.quantities.get(name)
            if q is None or name in s.broken or q.kind != "formula":
                continue
            if q.rollup is not None and not q.series:
                s.report.error("bad-rollup", f"`{name}` is a single value: it has nothing to roll up", q.span,
                               Label(q.span), hint="remove the `rollup` clause")
                continue
            if q.unit is None and q.rollup in ("sum", "average"):
                s.report.error("bad-rollup", f"`{name}` is true/false: it rolls up by `last`, `first`, `min` (every "
                               f"period) or `max` (any period), not by `{q.rollup}`", q.span, Label(q.span),
                               hint=f"write `rollup max` for 'true in any {s.timeline.kind}', or count the periods "
                                    "with a number: if(flag, 1, 0)")
                continue
            flow = q.unit is not None and rollup.is_flow(q.unit, s.units)
            if flow and q.rollup == "sum":
                _sum_of_rates(s, q)
                continue
            if s.timeline.per_year == 1 or not q.series or q.unit is None or flow:
                continue
            if carries_itself(q, set(step.names)):
                continue
            found = amount_reason(s, q, amounts)
            if found is None:
                continue
            reason, written, rate = found
            amounts.add(name)
            if q.rollup is None and written == "":
                s.report.error(
                    "missing-rollup", f"`{name}` is an amount per period ({reason}) in "
                    f"{s.units.short(q.unit) or 'plain numbers'}: its {s.timeline.kind}s cannot roll up to years "
                    "by the unit's rule", q.span, Label(q.span),
                    hint=f"add `rollup sum` under it (a year's payments are the sum of its {s.timeline.kind}s')")
            elif q.rollup is None:
                kind = s.timeline.kind
                level = "" if written is None else (
                    f"; if it is a level rather than a {kind}'s amount (a run-rate, a balance held as days of a "
                    "flow), write `rollup last`")
                s.report.error(
                    "missing-rollup", f"`{name}` is an amount per period ({reason}) in "
                    f"{s.units.short(q.unit) or 'plain numbers'}, "
                    f"not a flow: its {kind}s cannot roll up to years by the unit's rule", q.span,
                    Label(q.span),
                    hint=f"add `rollup sum` under it (a year's amount is the sum of its {kind}s'), or make "
                         f"it a flow: drop `{written or '* period_length()'}` so its unit is per time "
                         f"({rate or s.units.short(q.unit) + '/' + kind}){level}")


def _sum_of_rates(s: Scope, q: ir.Quantity) -> None:
    """`rollup sum` on a flow: twelve monthly rates added up, still labelled a rate."""
    clause = next((e.clauses.rollup for e in s.formulas.get(q.name, ()) if e.clauses.rollup), None)
    span = clause.span if clause is not None else q.span
    unit = s.units.short(q.unit)
    amount = s.units.short(s.units.simplify(q.unit * s.timeline.step_unit)[1])
    s.report.error(
        "bad-rollup", f"`{q.name}` is a flow ({unit}): `rollup sum` would add up its {s.timeline.kind}s' rates, "
        f"and a sum of rates is meaningless (twelve months at 10 USD/month are not 120 USD/month)", span,
        Label(span, unit),
        hint=f"drop the clause: a flow rolls up to its average rate by default; a per-period amount is written "
             f"`{q.name} * period_length()` (in {amount}), and that one takes `rollup sum`")


def carries_itself(q: ir.Quantity, members: set[str]) -> bool:
    """A balance: it reads itself (or its recurrence) in an earlier period."""
    return any(isinstance(node, ir.Ref) and node.name in members and node.offset < 0 or
               isinstance(node, ir.Shift) and node.name in members and node.sign < 0
               for eq in q.equations for node in ir.walk(eq.expr))


def amount_reason(s, q: ir.Quantity, amounts: set[str]) -> tuple[str, str | None, str | None] | None:
    """Why q is an amount per period, the `* time` text that makes it one and the flow's unit
    (None, None for period_length() and for a sum of amounts); None if it is not one."""
    for eq in q.equations:
        for node in ir.walk(eq.expr):
            if isinstance(node, ir.Period) and node.what == "length":
                return "it multiplies by period_length()", None, None
            if isinstance(node, ir.Func) and getattr(builtins.ELEMENTWISE.get(node.name), "per_period", False) \
                    and s.units.same_dimension(node.type.unit, q.unit):
                return f"{node.name}() gives an amount each period", "", None
            if isinstance(node, ir.Ref) and node.name in amounts and node.type.unit is not None and \
                    s.units.same_dimension(node.type.unit, q.unit):
                return f"it adds up `{node.name}`, an amount per period", None, None
    for eq in q.equations:
        for node in ir.walk(eq.expr):
            found = flow_times_time(s, node, q.unit)
            if found is not None:
                return found
    return None


def flow_times_time(s, node, unit) -> tuple[str, str, str] | None:
    """`flow * 1 month` (or `flow / (1 / 1 month)`) in `unit`'s dimension: a flow turned into an
    amount by a time the formula writes (literals only: a quantity in days read from an input is
    as likely a holding period, receivables = revenue * days_outstanding, as a period's length)."""
    if not isinstance(node, ir.Binary) or node.op not in ("*", "/") or node.type.unit is None or \
            not s.units.same_dimension(node.type.unit, unit):
        return None
    time = s.units.parse("year").dimensionality
    pairs = [(node.left, node.right)] + ([(node.right, node.left)] if node.op == "*" else [])
    for flow, other in pairs:
        if flow.type.unit is None or other.type.unit is None or not rollup.is_flow(flow.type.unit, s.units):
            continue
        wanted = time if node.op == "*" else 1 / time
        if other.type.unit.dimensionality != wanted or not written_time(other):
            continue
        if any(isinstance(n, ir.Period) for n in ir.walk(other)):
            return None  # period_length(): reported as such
        flow_text, time_text = common.text(s, flow), common.text(s, other)
        if isinstance(other, ir.Binary) or isinstance(other, ir.Unary):
            time_text = f"({time_text})"
        who = f"the flow `{flow_text}`" if flow_text and len(flow_text) <= 30 else "a flow"
        verb = "multiplies" if node.op == "*" else "divides"
        return (f"it {verb} {who} by `{time_text}`", f"{'*' if node.op == '*' else '/'} {time_text}",
                s.units.short(flow.type.unit))
    return None


def written_time(node) -> bool:
    """A time the formula writes out: literals and period_length(), no quantity."""
    return all(isinstance(n, (ir.Const, ir.Period, ir.Binary, ir.Unary, ir.Convert)) for n in ir.walk(node)) and \
        all(n.what == "length" for n in ir.walk(node) if isinstance(n, ir.Period))

