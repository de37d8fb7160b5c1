"""Roll-up rules checked: where the unit's rule (engine/rollup.py: flows average, the rest take
the last sub-period) would give a meaningless number, the formula must say how it rolls up.

That is an amount per period written in a unit that is not a flow: `revenue_in_month = mrr *
period_length()` is in USD, yet each month holds that month's revenue, so the year's value is
the sum, not December's. A formula is such an amount when it multiplies by period_length(), or
reads one at the current period in the same dimension (amount - amount), and is not a balance
that carries itself forward (cash[t] = cash[t-1] + ...: the last month is right). Only
sub-annual timelines roll up, so only they require the clause.
"""

from __future__ import annotations

from .. import ir
from .. import rollup
from ..diagnostics import Label
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
            if s.timeline.per_year == 1 or not q.series or q.unit is None or rollup.is_flow(q.unit, s.units):
                continue
            if carries_itself(q, set(step.names)):
                continue
            reason = amount_reason(s, q, amounts)
            if reason is None:
                continue
            amounts.add(name)
            if q.rollup is None:
                s.report.error(
                    "missing-rollup", f"`{name}` is an amount per period ({reason}) in {s.units.short(q.unit)}, "
                    f"not a flow: its {s.timeline.kind}s cannot roll up to years by the unit's rule", q.span,
                    Label(q.span),
                    hint=f"add `rollup sum` under it (a year's amount is the sum of its {s.timeline.kind}s'), or make "
                         f"it a flow: drop `* period_length()` so its unit is per time ({s.units.short(q.unit)}/"
                         f"{s.timeline.kind})")


def carries_itself(q: ir.Quantity, members: set[str]) -> bool:
    """A balance: it reads itself (or its recurrence) in an earlier period."""
    return any(isinstance(node, ir.Ref) and node.name in members and node.offset < 0
               for eq in q.equations for node in walk(eq.expr))


def amount_reason(s, q: ir.Quantity, amounts: set[str]) -> str | None:
    for eq in q.equations:
        for node in walk(eq.expr):
            if isinstance(node, ir.Period) and node.what == "length":
                return "it multiplies by period_length()"
            if isinstance(node, ir.Ref) and node.name in amounts and node.type.unit is not None and \
                    s.units.same_dimension(node.type.unit, q.unit):
                return f"it adds up `{node.name}`, an amount per period"
    return None


def walk(node):
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ir.children(node))
