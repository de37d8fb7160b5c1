"""Inputs that count periods — a depreciation life, the lag of `x[t-lag]` — and the values that
keep a checked model valid: whole numbers of periods from 1 to the largest that every use allows.
The checker refuses the model's own values outside them (engine/check/counts.py, periods.py) and
the engine a --set value (compiler.whole_periods, evaluate._shift_why); the workbook turns them
into a data validation on the input's cells, so an analyst cannot type a lag that reads off the
timeline or a life of 2.5 periods (exports/sheets/inputs.py)."""

from __future__ import annotations

from dataclasses import dataclass

from . import ir


@dataclass(frozen=True)
class Limit:
    most: int  # the largest whole number of periods every use allows (the smallest is 1)
    per_unit: float  # periods per unit of the input's own value (12 for a lag in years, monthly)
    uses: str  # what reads it, for messages: "x[t-lag]", "depreciation(capex, life)"


def limits(checked: ir.CheckedModel) -> dict[str, Limit]:
    """Each input that counts periods -> its Limit in this scenario."""
    n = len(checked.timeline)
    out: dict[str, Limit] = {}

    def note(name: str | None, most: int, node, uses: str):
        if name is None:
            return
        old = out.get(name)
        if old is not None and uses not in old.uses.split(", "):
            uses = f"{old.uses}, {uses}"
        elif old is not None:
            uses = old.uses
        out[name] = Limit(min(most, old.most) if old else most, factor(node), uses)

    spans = [(eq.expr, eq.start, eq.stop) for q in checked.quantities.values() for eq in q.equations]
    spans += [(c.expr, c.start, c.stop) for c in checked.checks]
    for expr, start, stop in spans:
        for node in ir.walk(expr):
            if isinstance(node, ir.Shift) and start is not None:
                by = ir.count_input(node.by)
                defined = checked.quantities[node.name].defined
                most = largest_shift(n, defined, start, stop, node.sign)
                note(by, most, node.by, f"{node.name}[t{'+' if node.sign > 0 else '-'}{by}]")
            elif isinstance(node, ir.Vintage):
                note(ir.count_input(node.life), n, node.life, f"depreciation({node.name}, ...)")
    return out


def largest_shift(n: int, defined, start: int, stop: int, sign: int) -> int:
    """The largest k such that x[t∓j] for t in start..stop reads periods of the timeline where x
    has values, for every j from 1 to k (0 if even one period is too far)."""
    k = 0
    while k + 1 <= n - 1:
        first, last = start + sign * (k + 1), stop + sign * (k + 1)
        if first < 0 or last >= n or (defined is not None and not defined[first:last + 1].all()):
            break
        k += 1
    return k


def factor(node) -> float:
    """Periods per unit of the input a count reads (the product of its conversions)."""
    f = 1.0
    while isinstance(node, ir.Convert):
        f *= node.factor
        node = node.operand
    return f

