"""Declared circular loops (`circular` on each member), solved one period at a time by iteration:
the members computed in turn from 0 until no value moves by more than LOOP_TOLERANCE of itself,
at most LOOP_ITERATIONS passes; the workbook's iterative calculation does the same count.

Every Monte Carlo sample is solved at once and judged on its own: a sample is done when it has
settled, or when it is no longer a number (it is then a failure, never a reason to stop the
others). A first pass from 0 can leave a member with no number (sqrt of a negative value read
before the member it reads has one) where another order of the members would settle: the
samples left without a number are tried again with each rotation of the order, so the solution
does not depend on the order the statements were written in.

Numerics only: engine/evaluate.py turns an outcome into values or a located error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOOP_TOLERANCE = 1e-12
LOOP_ITERATIONS = 100


class Loop:
    """A declared circular loop of a recurrence's schedule: its (q, eq, f, period) parts."""

    __slots__ = ("loop", "parts")

    def __init__(self, loop, parts: list):
        self.loop, self.parts = loop, parts


@dataclass
class Outcome:
    """How a loop ended: every sample solved (ok); or the samples that did not settle (with
    each member's last two values) and those that have no number (with the member and period
    whose computation first gave none, in the written order)."""

    unsettled: np.ndarray | None = None  # per sample: still moving after LOOP_ITERATIONS passes
    failed: np.ndarray | None = None  # per sample: no number in any order
    previous: list | None = None  # the cells' values one pass before the last (unsettled)
    first_failure: tuple | None = None  # (part index) whose computation first gave no number

    @property
    def ok(self) -> bool:
        return not (self.unsettled is not None and self.unsettled.any()) and \
            not (self.failed is not None and self.failed.any())


def settled(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per value: unchanged to LOOP_TOLERANCE of its size (exactly equal counts, 0 included)."""
    return (new == old) | (np.abs(new - old) <= LOOP_TOLERANCE * np.maximum(np.abs(new), np.abs(old)))


def solve(env, loop: Loop, locate: bool = False) -> Outcome:
    """Solve the loop in env (its members' cells for its period are written), in the written
    order, then for the samples that have no number, in each rotation of it. locate: where a
    sample has no number in any order, leave env as it was when the first computation gave none
    (the caller names the function that failed), instead of the solved values."""
    cells = [(env[q.name] if p is None else env[q.name][..., p:p + 1], f, p) for q, _, f, p in loop.parts]
    order = list(range(len(cells)))
    values, done, finite, previous = _iterate(env, cells, order)
    for k in range(1, len(cells)):
        if finite.all():
            break
        rotated = order[k:] + order[:k]
        other, other_done, other_finite, _ = _iterate(env, cells, rotated)
        better = other_finite & other_done & ~finite  # samples this order solves and the others did not
        values = [np.where(_sample_axis(better, v), o, v) for v, o in zip(values, other)]
        done, finite = done | better, finite | better
    for (cell, _, _), value in zip(cells, values):
        cell[...] = value
    outcome = Outcome(unsettled=finite & ~done, failed=~finite, previous=previous)
    if outcome.failed.any() and locate:
        outcome.first_failure = _first_failure(env, cells)
    return outcome


def _iterate(env, cells, order: list[int]):
    """Passes from 0 in `order`: (each cell's values, samples settled, samples with a number,
    the values one pass before the last)."""
    for cell, _, _ in cells:
        cell[...] = 0.0
    previous = [cell.copy() for cell, _, _ in cells]
    for _ in range(LOOP_ITERATIONS):
        previous = [cell.copy() for cell, _, _ in cells]
        for k in order:
            cell, f, p = cells[k]
            cell[...] = f(env, 0, 1) if p is None else f(env, p, p + 1)
        finite = _per_sample([np.isfinite(cell) for cell, _, _ in cells])
        done = _per_sample([settled(cell, old) for (cell, _, _), old in zip(cells, previous)])
        if (done | ~finite).all():  # a sample with no number is a failure, not one to wait for
            break
    return [cell.copy() for cell, _, _ in cells], done, finite, previous


def _first_failure(env, cells) -> int:
    """The part whose computation, in the written order from 0, first gave no number: where the
    error is located (its inputs still numbers, so the function that failed can be named)."""
    for cell, _, _ in cells:
        cell[...] = 0.0
    for _ in range(LOOP_ITERATIONS):
        for k, (cell, f, p) in enumerate(cells):
            cell[...] = f(env, 0, 1) if p is None else f(env, p, p + 1)
            if not np.isfinite(cell).all():
                return k
    return 0


def _per_sample(masks: list[np.ndarray]) -> np.ndarray:
    """All members true, per sample (the last axis is the one period)."""
    return np.logical_and.reduce([np.asarray(m).all(axis=-1) for m in masks])


def _sample_axis(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    return mask.reshape(mask.shape + (1,) * (np.ndim(like) - np.ndim(mask)))
