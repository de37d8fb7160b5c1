"""Roll-ups: a monthly or quarterly model seen by quarter or by year (`run --by year`, the
workbook's Annual and Quarterly sheets).

The rule comes from the unit, because the unit says what a number is:
  - a flow, a unit per time (USD/month, USD/year, GW/year), rolls up to its average rate over
    the longer period: its total divided by the period's length. Twelve months at 1 USD/month
    are 12 USD over the year, a rate of 1 USD/month = 12 USD/year, whichever unit is shown;
  - anything else with a unit (a balance in USD, a capacity in GW, a count, a ratio) takes its
    value in the last sub-period (the balance at the year's end);
  - true/false has no unit to go by: it rolls up to its value where every sub-period agrees and
    to no value where they differ (a flag true in June only is neither true nor false for the
    year: `rollup max` says "any month", `rollup min` "every month").
A `rollup` clause (sum, average, last, first, min, max) states the rule instead; the checker
requires one where the unit's rule would be meaningless (engine/check/rollups.py).

Periods of one timeline have one length (pint: a month is 1/12 year), so the average rate is the
plain mean of the sub-periods' rates. A year the timeline covers in part rolls up the periods it
has (2025-07..2025-12 for 2025 on a timeline starting in July).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import ir

RULES = ("sum", "average", "last", "first", "min", "max")
BY = {"year": "yearly", "quarter": "quarterly"}  # --by -> the frequency rolled up to


def is_flow(unit, units) -> bool:
    """A unit per time: a time unit (year, month, day, ...) in its denominator. GW is energy per
    time to pint but a capacity to a modeller: only a time unit written below the line counts."""
    if unit is None:
        return False
    registry = units.registry
    for name, exponent in unit._units.items():
        if exponent < 0 and registry.parse_units(name).dimensionality == registry.parse_units("year").dimensionality:
            return True
    return False


def rule(q: ir.Quantity, units) -> str:
    """How q rolls up: its `rollup` clause, else average for a flow and last for anything else."""
    if q.rollup is not None:
        return q.rollup
    if q.unit is None:
        return "agree"
    return "average" if is_flow(q.unit, units) else "last"


@dataclass(frozen=True)
class Grouping:
    """The periods of a finer timeline grouped into the periods of a coarser one."""

    timeline: ir.Timeline  # the coarser timeline (its labels head the rolled-up columns)
    groups: tuple[tuple[int, int], ...]  # per coarser period: the finer indices first..last (inclusive)


def grouping(timeline: ir.Timeline, by: str) -> Grouping:
    """ValueError when `by` is not coarser than the timeline (nothing to roll up)."""
    frequency = BY[by]
    per_year = ir.FREQUENCIES[frequency][1]
    if per_year >= timeline.per_year:
        raise ValueError(f"the timeline is already {timeline.frequency}: --by {by} has nothing to roll up")
    ratio = timeline.per_year // per_year
    keys = (timeline.first + np.arange(len(timeline))) // ratio  # each period's coarser ordinal
    groups, start = [], 0
    for i in range(1, len(timeline) + 1):
        if i == len(timeline) or keys[i] != keys[start]:
            groups.append((start, i - 1))
            start = i
    coarse = ir.Timeline(frequency, int(keys[0]), len(groups), None)
    return Grouping(coarse, tuple(groups))


def _agree(values, axis):
    low, high = np.min(values, axis=axis), np.max(values, axis=axis)
    return np.where(low == high, low, np.nan)


_REDUCERS = {"sum": np.sum, "average": np.mean, "min": np.min, "max": np.max, "agree": _agree,
             "last": lambda v, axis: np.take(v, -1, axis=axis), "first": lambda v, axis: np.take(v, 0, axis=axis)}


def roll(values: np.ndarray, how: str, g: Grouping) -> np.ndarray:
    """One value per coarser period (the last axis is periods)."""
    reduce = _REDUCERS[how]
    return np.stack([reduce(values[..., a:b + 1], axis=-1) for a, b in g.groups], axis=-1)


def roll_up(results, by: str):
    """Results on the coarser timeline, with the same quantity names: series rolled up by their
    rule, single values and checks as they are. ValueError if there is nothing to roll up."""
    from .model import Results

    model = results.model
    g = grouping(model.timeline, by)
    coarse = replace(g.timeline, step_unit=model.units.parse(ir.FREQUENCIES[g.timeline.frequency][2]))
    values = {}
    for name, q in model.quantities.items():
        v = results.values[name]
        values[name] = roll(v, rule(q, model.units), g) if q.series else v
    return Results(replace(model, timeline=coarse), values, results.checks)


def rules(model: ir.CheckedModel) -> dict[str, str]:
    """The rule of every series (what `--format json` reports with a roll-up)."""
    return {n: rule(q, model.units) for n, q in model.quantities.items() if q.series}
