"""What a formula reads, as data: every IR node kind that reads a quantity declares how (its
`read()` method in engine/ir.py, beside the fields it declares for its children), and every
analysis that asks "what does this read, at which periods relative to t" asks `Read`: the
dependency graph's period order, period coverage (check/periods.py), batching's reads, the
evaluator's loop-invariant hoisting, the level-or-amount classifier (check/kinds.py), the
limits of the inputs that count periods (period_counts.py). A new kind of read is one new
access here and one declaration on its node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .diagnostics import Span

# How a node reads its quantity x, relative to the current period t.
ACCESS = {
    "offset": "x[t+first]: x[t], x[t-1], x[t+1] (a single value: first = 0)",
    "shifted": "x[t-by] (sign -1) or x[t+by] (sign +1), `by` a count of periods read from an input",
    "fixed": "x at one period, `first`",
    "range": "x over the periods first..last (reductions)",
    "to_date": "x over every period up to t (running totals; vintages, `count` their life)",
}


@dataclass(frozen=True)
class Read:
    name: str  # the quantity read
    access: str  # a key of ACCESS
    first: int = 0
    last: int = 0
    sign: int = 0  # shifted: -1 back, +1 ahead
    count: Any = None  # the node that counts periods (x[t-lag]'s lag, a vintage's life), or None
    span: Span | None = None

    def __post_init__(self):
        if self.access not in ACCESS:
            raise ValueError(f"unknown read access {self.access!r}")

    @property
    def now(self) -> bool:
        """x at the current period itself (x[t], or a single value)."""
        return self.access == "offset" and self.first == 0

    @property
    def earlier(self) -> bool:
        """x at an earlier period only (x[t-1], x[t-lag])."""
        return (self.access == "offset" and self.first < 0) or (self.access == "shifted" and self.sign < 0)
