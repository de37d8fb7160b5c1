"""The entries of the evaluation order: one small type per way the Evaluator runs formulas
(engine/evaluate.py has a handler per type in its RUN table; a type without one is a KeyError,
never a silent default). Each says which quantities it computes, for incremental reruns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import ir


@dataclass(frozen=True, eq=False)
class Vector:
    """A formula that reads no value of itself: each equation over all its periods in one call."""

    q: ir.Quantity
    equations: list  # (equation, compiled closure)

    def members(self) -> list[ir.Quantity]:
        return [self.q]


@dataclass(frozen=True, eq=False)
class Affine:
    """x[t] = A[t] * x[t-1] + B[t] (- C[t] ...): A, B, C over all periods at once, only the
    multiply-adds period by period."""

    q: ir.Quantity
    row: int  # its row of the value matrix
    pieces: list  # (equation, compiled coefficient or None, [(op, compiled term)])

    def members(self) -> list[ir.Quantity]:
        return [self.q]


@dataclass(frozen=True, eq=False)
class Recurrence:
    """Formulas that read each other within a period, or themselves through periods, evaluated
    period by period in the planned order (a declared circular loop: iterated until it settles);
    the parts that read no member are computed before the loop (hoisted)."""

    hoisted: list  # (env key, compiled closure, start, stop)
    schedule: list  # (quantity, equation, closure, period) or a loops.Loop
    equations: list  # (quantity, equation): what to verify afterwards

    def members(self) -> list[ir.Quantity]:
        return list({id(q): q for q, _ in self.equations}.values())


@dataclass(frozen=True, eq=False)
class Group:
    """Same-shape formulas of one dependency level, evaluated as one block of rows."""

    qs: list  # the quantities, one row each
    rows: np.ndarray  # their rows of the value matrix
    pieces: list  # per equation: (equation, compiled coefficient or None, [(op, compiled term)])
    lo: int  # the periods the group writes: lo..hi-1
    hi: int

    def members(self) -> list[ir.Quantity]:
        return list(self.qs)


@dataclass(frozen=True, eq=False)
class RecurrentGroups:
    """The groups of one level with the same equation layout whose recurrences run as one loop."""

    groups: list  # of Group

    def members(self) -> list[ir.Quantity]:
        return [q for group in self.groups for q in group.qs]
