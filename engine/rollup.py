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
from types import MappingProxyType

import numpy as np

from . import ir

RULES = ("sum", "average", "last", "first", "min", "max", "ratio")
BY = {"year": "yearly", "quarter": "quarterly"}  # --by -> the frequency rolled up to


def ratio_parts(q: ir.Quantity) -> tuple[str, str, float] | None:
    """`rollup ratio` on q = a / b: (a, b, the factor from a / b in their units to q's unit), where
    every equation of q divides the same two series read at the current period; else None. The
    year's q is the year's a over the year's b, each rolled up by its own rule (a margin: the
    year's gross profit over the year's revenue, not December's margin)."""
    found = None
    for eq in q.equations:
        node, factor = eq.expr, 1.0
        while isinstance(node, ir.Convert):
            node, factor = node.operand, factor * node.factor
        if not (isinstance(node, ir.Binary) and node.op == "/" and all(
                isinstance(x, ir.Ref) and x.offset == 0 and x.type.series for x in (node.left, node.right))):
            return None
        parts = (node.left.name, node.right.name, factor)
        if found is not None and parts != found:
            return None
        found = parts
    return found


def rule(q: ir.Quantity, units) -> str:
    """How q rolls up: its `rollup` clause, else average for a flow and last for anything else."""
    if q.rollup is not None:
        return q.rollup
    if q.unit is None:
        return "agree"
    return "average" if units.is_flow(q.unit) else "last"


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
    coarse = ir.Timeline(frequency, int(keys[0]), len(groups), None, timeline.year_days, timeline.fiscal_end)
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
    model = results.model
    g = grouping(model.timeline, by)
    coarse = replace(g.timeline, step_unit=model.units.parse(ir.FREQUENCIES[g.timeline.frequency][2]))
    values = {}
    for name, q in model.quantities.items():
        v = results.values[name]
        if q.series and rule(q, model.units) == "ratio":
            continue
        values[name] = roll(v, rule(q, model.units), g) if q.series else v
    ratios = [name for name, q in model.quantities.items() if q.series and rule(q, model.units) == "ratio"]
    while ratios:  # a ratio of roll-ups, once its parts are rolled up (a part may be a ratio itself)
        ready = [n for n in ratios if all(part in values for part in ratio_parts(model.quantities[n])[:2])]
        if not ready:
            raise ValueError(f"the ratios {', '.join(ratios)} read each other")
        for name in ready:
            a, b, factor = ratio_parts(model.quantities[name])
            with np.errstate(divide="ignore", invalid="ignore"):
                values[name] = values[a] / values[b] * factor
        ratios = [n for n in ratios if n not in ready]
    quantities = {name: _actual_years(per_coarse_period(q, model.units, coarse.step_unit), g)
                  for name, q in model.quantities.items()}
    coarse_model = replace(model, timeline=coarse, quantities=MappingProxyType(quantities))
    return replace(results, model=coarse_model, values=values, env=None)  # Results, without importing model


def _actual_years(q: ir.Quantity, g: Grouping) -> ir.Quantity:
    """Actuals (engine/actuals.py) on the coarser timeline: the periods wholly actual."""
    if q.actual is None:
        return q
    whole = [k for k, (_, last) in enumerate(g.groups) if last <= q.actual.until]
    return replace(q, actual=replace(q.actual, until=whole[-1] if whole else -1))


def per_coarse_period(q: ir.Quantity, units, step):
    """A flow shown per year (per quarter) once rolled up to years (quarters): twelve months of
    revenue at 100 million USD/month are 1,200 million USD/year, the number an analyst reads as
    the year's revenue. The scale word stays; a unit without a time below the line is unchanged."""
    if not q.series or not units.is_flow(q.unit):
        return q
    shown = q.display_unit if q.display_unit is not None else q.unit
    per, power = units.dimensionless, 0
    for name, exponent in shown._units.items():  # the time part of the unit: month, 1/year, ...
        part = units.registry.Unit(name)
        if part.dimensionality == step.dimensionality:
            per, power = per * part ** exponent, power + exponent
    if power != -1:  # a rate of a rate (USD/year^2): shown as it is
        return q
    target = units.div(units.mul(shown, units.div(units.dimensionless, per)), step)
    if units.equal(target, shown):
        return q
    return replace(q, display_unit=target, display_factor=units.factor(q.unit, target), unit_text="")


def stub_notes(timeline: ir.Timeline, by: str) -> list[str]:
    """A year (quarter) the timeline covers in part: its flows are rates per year, the average of
    the periods it has, not the part-year's amount; say so under the table."""
    g = grouping(timeline, by)
    full = timeline.per_year // ir.FREQUENCIES[BY[by]][1]
    return [f"({g.timeline.label(k)} has {b - a + 1} of its {full} {timeline.kind}s: its rates per {by} are the "
            f"average of those, not the part-{by}'s amount; total(x[{timeline.range_text(a, b)}]) is that)"
            for k, (a, b) in enumerate(g.groups) if b - a + 1 < full]


def rules(model: ir.CheckedModel) -> dict[str, str]:
    """The rule of every series (what `--format json` reports with a roll-up)."""
    return {n: rule(q, model.units) for n, q in model.quantities.items() if q.series}
