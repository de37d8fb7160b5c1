"""Inputs that count periods — a depreciation life, the lag of `x[t-lag]` — and the values that
keep a checked model valid: whole numbers of periods from 1 to the largest that every use allows.
The checker refuses the model's own values outside them (engine/check/counts.py, periods.py) and
the engine a --set value (compiler.whole_periods, evaluate._shift_why); the workbook turns them
into a data validation on the input's cells, so an analyst cannot type a lag that reads off the
timeline or a life of 2.5 periods (exports/sheets/inputs.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import ir
from .diagnostics import Diagnostic, Label, Span


@dataclass(frozen=True)
class Limit:
    most: int  # the largest whole number of periods every use allows (the smallest is 1)
    per_unit: float  # periods per unit of the input's own value (12 for a lag in years, monthly)
    uses: str  # what reads it, for messages: "x[t-lag]", "depreciation(capex, life)"
    span: Span | None = None  # where the tightest use reads it


def limits(timeline: ir.Timeline, quantities, checks) -> dict[str, Limit]:
    """Each input that counts periods -> its Limit, over a checked scenario's quantities and
    checks (engine/check/__init__.py stores them as CheckedModel.counts)."""
    n = len(timeline)
    out: dict[str, Limit] = {}

    def note(name: str | None, most: int, node, uses: str, span):
        if name is None:
            return
        old = out.get(name)
        if old is not None and uses not in old.uses.split(", "):
            uses = f"{old.uses}, {uses}"
        elif old is not None:
            uses = old.uses
        tighter = old is None or most < old.most
        out[name] = Limit(most if tighter else old.most, factor(node), uses, span if tighter else old.span)

    spans = [(eq.expr, eq.start, eq.stop) for q in quantities.values() for eq in q.equations]
    spans += [(c.expr, c.start, c.stop) for c in checks]
    for expr, start, stop in spans:
        for node in ir.walk(expr):
            if isinstance(node, ir.Shift) and start is not None:
                by = ir.count_input(node.by)
                defined = quantities[node.name].defined
                most = largest_shift(n, defined, start, stop, node.sign)
                note(by, most, node.by, f"{node.name}[t{'+' if node.sign > 0 else '-'}{by}]", node.span)
            elif isinstance(node, ir.Vintage):
                note(ir.count_input(node.life), n, node.life, f"depreciation({node.name}, ...)", node.span)
    return out


def verify(checked: ir.CheckedModel, values: dict) -> list[Diagnostic]:
    """Values given at run time (--set) to inputs that count periods, against what the formulas
    allow: a whole number of periods from 1 to Limit.most. (The model's and the scenarios' own
    values were checked by the checker.) A lag outside it would read off the timeline or where the
    series has no value, and could break the period order the checker planned."""
    out = []
    kind = checked.timeline.kind
    for name, limit in checked.counts.items():
        periods = np.asarray(values[name], dtype=float).reshape(-1) * limit.per_unit
        first = float(periods[0])
        whole = round(first) if np.isfinite(first) else 0
        if np.all(periods == first) and abs(first - whole) < 1e-9 and 1 <= whole <= limit.most:
            continue
        shown = f"{first:g} {kind}" + ("" if first == 1 else "s")
        why = ("differs between samples" if not np.all(periods == first) else
               f"is not a whole number of {kind}s" if abs(first - whole) >= 1e-9 else
               "is less than one period" if whole < 1 else
               f"is more than {limit.uses} can take: it would read "
               f"{'after' if '[t+' in limit.uses else 'before'} the timeline or a period with no value")
        out.append(Diagnostic(
            "bad-count", f"`{name}` = {shown} {why}", limit.span,
            (Label(limit.span, f"reads `{name}`"),) if limit.span else (),
            hint=f"--set {name} to a whole number of {kind}s from 1 to {limit.most}"))
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

