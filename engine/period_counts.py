"""Inputs that count periods — a depreciation life, the lag of `x[t-lag]` — and the values that
keep a checked model valid: whole numbers of periods from 1 to the largest that every use allows.
The checker records them while it checks every read (periods.coverage -> CheckedModel.counts)
and refuses the model's own values outside them (engine/check/counts.py, periods.py); `verify`
refuses a --set value before anything runs; the workbook turns them into a data validation on
the input's cells, so an analyst cannot type a lag that reads off the timeline or a life of 2.5
periods (exports/sheets/inputs.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import ir
from .diagnostics import Diagnostic, Label, Span


WHOLE = 1e-9  # a count is whole within this: 7 month in years and back is 6.999999999999999 months


def count_problem(value: float, most: int | None) -> str | None:
    """The one rule for a count of periods (the checker, the evaluator and --set use it): a whole
    number (within WHOLE) from 1 to `most` (None: no upper bound here). None where `value` is
    one; else what is wrong: "fraction", "below one" or "too many"."""
    if not math.isfinite(value) or abs(value - round(value)) >= WHOLE:
        return "fraction"
    if round(value) < 1:
        return "below one"
    return "too many" if most is not None and round(value) > most else None


@dataclass(frozen=True)
class Limit:
    most: int  # the largest whole number of periods every use allows (the smallest is 1)
    per_unit: float  # periods per unit of the input's own value (12 for a lag in years, monthly)
    uses: str  # what reads it, for messages: "x[t-lag]", "depreciation(capex, life)"
    span: Span | None = None  # where the tightest use reads it


def record(limits: dict[str, Limit], node, periods: int, defined=None, start: int = 0, stop: int = 0) -> None:
    """Note what the count a Shift (over an equation's periods start..stop, reading a series with
    `defined` periods) or a Vintage reads can take, into `limits` (name -> the tightest Limit).
    Called by the checker's coverage pass, which visits every read once."""
    read = node.read()  # a shifted read (x[t-lag]) or one to date with a count (a vintage's life)
    by = read.count
    if read.access == "shifted":
        most = largest_shift(periods, defined, start, stop, read.sign)
        uses = f"{read.name}[t{'+' if read.sign > 0 else '-'}{ir.count_input(by)}]"
    else:
        most, uses = periods, f"depreciation({read.name}, ...)"
    name = ir.count_input(by)
    if name is None:  # a literal life: nothing to validate
        return
    old = limits.get(name)
    if old is None:
        limits[name] = Limit(most, factor(by), uses, node.span)
        return
    if uses not in old.uses.split(", "):
        uses = f"{old.uses}, {uses}"
    else:
        uses = old.uses
    tighter = most < old.most
    limits[name] = Limit(most if tighter else old.most, old.per_unit, uses, node.span if tighter else old.span)


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
        problem = "differs" if not np.all(periods == first) else count_problem(first, limit.most)
        if problem is None:
            continue
        shown = f"{first:g} {kind}" + ("" if first == 1 else "s")
        why = {"differs": "differs between samples", "fraction": f"is not a whole number of {kind}s",
               "below one": "is less than one period",
               "too many": f"is more than {limit.uses} can take: it would read "
                           f"{'after' if '[t+' in limit.uses else 'before'} the timeline or a period with no value"}[problem]
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

