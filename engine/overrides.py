"""Values given outside the model (`run --set`, `Model.run(overrides=...)`): each checked as a
scenario's value is, with the same rules and messages on the command line and in Python.

A key is an input (`cost_per_gw`), an input's period (`price[2027-03]`, `price[2026]`: its months),
an item row (`price[eu]`) or an item's period (`price[eu, 2027]`). A value is a literal as text
(`58 billion USD/GW`, `7 %`, `true`), or a Python number or bool read as that literal would be
(a bare number only for a plain input or one whose unit is declared: `0.065` for a `%` input is
refused, as `--set debt_rate=0.065` is). An amount keyed by a coarser period says where it falls
(`100 million USD spread even`, `... in 2026Q2`), as a table key does.
"""

from __future__ import annotations

import re

import numpy as np

from . import ir, period_counts
from .timeline import parse_label
from .check import LiteralError, parse_literal
from .diagnostics import Diagnostic, ModelError


def input_values(checked: ir.CheckedModel, overrides: dict) -> dict[str, np.ndarray]:
    """Each input's values, with overrides applied: {name or "name[period]": value}, each value
    checked and converted as a scenario's value is (the module's docstring). ModelError lists
    every value that is not one."""
    values = {name: q.value.copy() for name, q in checked.quantities.items() if q.kind == "input"}
    problems = []
    if not isinstance(overrides, dict):
        raise ModelError([Diagnostic("bad-override", f"overrides are a dict of name -> value, not a "
                                     f"{type(overrides).__name__}", None,
                                     hint='e.g. overrides={"cost_per_gw": "58 billion USD/GW"}')])
    bad_keys = [k for k in overrides if not isinstance(k, str)]
    if bad_keys:
        raise ModelError([Diagnostic("bad-override", f"cannot set {bad_keys[0]!r}: a key is an input's name as "
                                     "text", None, hint='e.g. "cost_per_gw" or "price[2027]"')])
    for key, raw in _item_overrides(checked, overrides, problems).items():
        name, period = split_key(key, checked)
        q = checked.quantities.get(name)
        if q is None or q.kind != "input":
            problems.append(_not_an_input(checked, name, q))
            continue
        raw, split = _take_split(raw)
        try:
            number = _override_number(checked, q, raw)
        except LiteralError as err:
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: {err}", None,
                                       hint=_override_hint(checked, q, key, raw, err)))
            continue
        if period is None:
            values[name] = np.broadcast_to(np.asarray(number, dtype=float), values[name].shape).copy()
            continue
        if not q.series:
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: it is not a series", None,
                                       hint=f"write {name}=VALUE"))
            continue
        try:
            first, last = checked.timeline.parse(period)  # a year on a monthly timeline: its 12 months
            values[name][first:last + 1] = _periods_of(checked, q, key, number, first, last, split, raw, period)
        except ValueError as err:
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: {err}", None,
                                       hint=getattr(err, "hint", None) or
                                       f"a period of {checked.timeline.range_text()}, e.g. "
                                       f"{name}[{checked.timeline.label(0)}]=VALUE"))
    if not problems and overrides:
        problems = period_counts.verify(checked, values)
        if problems:  # located in the model: its text shows the read with a caret
            raise ModelError(problems, checked.sources_text)
    if problems:
        raise ModelError(problems)
    return values


_SPLIT = re.compile(r"\s+(spread\s+even|in\s+(\S+))\s*$")


def _take_split(raw):
    """`100 million USD spread even` / `100 million USD in 2026Q2` -> the value's text and the
    split (None: spread even; a period label), as a table entry writes it; else (raw, False)."""
    if not isinstance(raw, str):
        return raw, False
    m = _SPLIT.search(raw)
    if m is None:
        return raw, False
    return raw[:m.start()], m.group(2)


def _periods_of(checked, q: ir.Quantity, key: str, number, first: int, last: int, split, raw=None,
                period: str = ""):
    """What `--set x[2026]=...` gives each period of the key, by the rule a table key follows
    (engine/check/inputs.py fill): a level or a rate repeats; an amount (`rollup sum`) says where
    it falls; a split needs a key of several periods and an amount. ValueError if not."""
    tl, width = checked.timeline, last - first + 1
    amount = q.rollup == "sum"
    coarsest = min((parse_label(part)[1] for part in period.split("..")), key=ir.LABELS_PER_YEAR.get)
    coarse = ir.LABELS_PER_YEAR[coarsest] < tl.per_year  # a year (quarter) on a finer timeline
    if split is not False:
        if not coarse or not amount:
            raise _SetError(f"`{key}` is written in {tl.kind}s, each of which takes the value: there is nothing "
                            "to spread" if not coarse else
                            f"`{q.name}` is not an amount per period (`rollup sum`): only an amount is split",
                            "give the value alone")
        groups = tl.groups(first, last, coarsest)
        if split is None:  # each year (quarter) of the key spread over its own periods, as in a table
            return np.concatenate([np.full(b - a + 1, float(number) / (b - a + 1)) for a, b in groups])
        at, at_last = tl.parse(split)
        if at != at_last or not first <= at <= last or len(groups) > 1:
            raise _SetError(f"{split} is not one {tl.kind} of {tl.range_text(first, last)}" if len(groups) == 1 else
                            f"`{key}` covers {len(groups)} {coarsest}s: `in` puts an amount in one {tl.kind}",
                            f"e.g. in {tl.label(last)}" if len(groups) == 1 else "set one key for each")
        out = np.zeros(width)
        out[at - first] = number
        return out
    level = q.unit is None or checked.units.is_flow(q.unit) or (q.rollup is not None and not amount)
    if coarse and not level and np.any(np.asarray(number) != 0):
        raise _SetError(f"{key} covers {width} {tl.kind}s and `{q.name}` is an amount per {tl.kind}: say where the "
                        "value falls", f'--set "{key}={_text(raw)} spread even" (an equal share in each) or '
                        f'--set "{key}={_text(raw)} in {tl.label(last)}"')
    return number


def _text(raw) -> str:
    return raw.strip() if isinstance(raw, str) else "VALUE"


class _SetError(ValueError):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


LISTED_INPUTS = 12  # a hint names this many inputs, then says how many more


def _not_an_input(checked: ir.CheckedModel, name: str, q) -> Diagnostic:
    from .diagnostics import did_you_mean

    inputs = [n for n, x in checked.quantities.items() if x.kind == "input"]
    what = "a formula, not an input" if q is not None else "not defined"
    hint = did_you_mean(name, inputs)
    if hint is None:
        more = len(inputs) - LISTED_INPUTS
        hint = "inputs: " + ", ".join(inputs[:LISTED_INPUTS]) + (
            f", and {more} more (`unitsheet explain MODEL` lists every quantity)" if more > 0 else "")
    return Diagnostic("bad-override", f"cannot set `{name}`: it is {what}", None, hint=hint)


def _override_hint(checked: ir.CheckedModel, q: ir.Quantity, key: str, raw, err: LiteralError) -> str | None:
    """For a value without a unit: the input's unit and the unit its values are shown in."""
    if err.kind != "missing-unit" or q.unit is None:
        return err.hint
    from .report import display

    shown, factor = display(q, q.value, checked.units)
    unit = checked.units.short(q.unit)
    now = float(q.value[~np.isnan(q.value)][0]) * factor if (~np.isnan(q.value)).any() else None
    example = f'--set "{key}={str(raw).strip()} {shown}"'
    text = f"`{q.name}` is in {unit}" + (f" and shown in {shown}" if shown != unit else "") + f": write {example}"
    if now is not None:
        text += f" (its value now: {_short_number(now)} {shown})"
    return text


def _short_number(v: float) -> str:
    return f"{v:,.6g}" if abs(v) < 1e15 else f"{v:.6g}"


def _item_overrides(checked: ir.CheckedModel, overrides: dict, problems: list) -> dict:
    """Keys naming items, as rows are named: `price[eu]` is the row price[eu],
    `price[eu, 2027]` its 2027, `price` (by region) every item."""
    dims = checked.dimensions
    if not dims:
        return overrides
    from .diagnostics import did_you_mean

    out = {}
    for key, raw in overrides.items():
        name, _, rest = key.partition("[")
        name = name.strip()
        if name not in dims.of:
            out[key] = raw
            continue
        known = [i for d in dims.of[name] for i in dims.items[d]]
        parts = [p.strip() for p in rest.rstrip().removesuffix("]").split(",")] if rest else []
        items = [p for p in parts if p in known]
        periods = [p for p in parts if p not in known]
        clash = _one_item_per_dimension(dims, name, items)
        if clash:  # as the language refuses x[eu, na] in a model
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: {clash}", None,
                                       hint=f"name one item of each dimension: e.g. {dims.names(name)[0]}=VALUE"))
            continue
        wrong = [p for p in periods if not _looks_like_period(p)]
        if wrong or len(periods) > 1:
            hint = did_you_mean(wrong[0], known) if wrong else None
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: " + (
                f"`{wrong[0]}` is not an item of `{name}` (by {', '.join(dims.of[name])})" if wrong
                else "it names more than one period"), None,
                hint=hint or f"items: {', '.join(known)}; e.g. {dims.names(name)[0]}=VALUE"))
            continue
        for row in [r for r in dims.names(name) if set(items) <= set(dims.rows[r][1])]:
            out[row + (f"[{periods[0]}]" if periods else "")] = raw
    return out


def _one_item_per_dimension(dims, name: str, items: list[str]) -> str | None:
    """Why `items` do not select one row of `name` (two items of one dimension, one twice), or None."""
    for item in dict.fromkeys(items):
        if items.count(item) > 1:
            return f"it names `{item}` twice"
    for d in dims.of[name]:
        chosen = [i for i in items if i in dims.items[d]]
        if len(chosen) > 1:
            return f"it names {len(chosen)} items of `{d}` ({', '.join(chosen)}): a row has one of each dimension"
    return None


def _looks_like_period(text: str) -> bool:
    try:
        ir.parse_label(text)
    except ValueError:
        return False
    return True


def split_key(key: str, checked: ir.CheckedModel | None = None) -> tuple[str, str | None]:
    """`name` or `name[period]`: the period as written, for the timeline to read. An item row
    (`price[eu]`) is a name; `price[eu][2027]` is its 2027."""
    if checked is not None and key in checked.quantities:
        return key, None
    if key.endswith("]") and "[" in key:
        name, _, rest = key.rpartition("[") if key.count("[") > 1 else key.partition("[")
        return name, rest[:-1].strip()
    return key, None


def _override_number(checked: ir.CheckedModel, q: ir.Quantity, raw):
    """The value of `raw` in the input's unit: text is a literal; a Python number is read as the
    same number written bare would be (so a `%` input refuses 0.065, as the command line does);
    None, NaN, infinity and anything but one value are refused."""
    if isinstance(raw, str):
        return parse_literal(raw, q, checked.units)
    if isinstance(raw, (bool, np.bool_)):
        if q.unit is not None:
            raise LiteralError("type", "true/false for a number")
        return float(raw)
    if isinstance(raw, (int, float, np.integer, np.floating)):
        if not np.isfinite(raw):
            raise LiteralError("bad-input", f"{raw!r} is not a value a model can hold",
                               "give a number with its unit, as text: '58 billion USD/GW'")
        if q.unit is None:
            raise LiteralError("type", "a number for true/false")
        return parse_literal(repr(float(raw)), q, checked.units)
    what = "None" if raw is None else f"a {type(raw).__name__}"
    series = f"; a series is set one period at a time: {q.name}[{checked.timeline.label(0)}]" if q.series else ""
    raise LiteralError("bad-input", f"{what} is not one value",
                       f"give one value with its unit, as text: '58 billion USD/GW'{series}")
