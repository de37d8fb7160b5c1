"""The pipeline in one place: text -> syntax tree -> checked model -> values.

    model = load("models/openai_capex.ush")      # parse (raises ModelError on bad syntax)
    results = model.run(scenario="bear", overrides={"cost_per_gw": "58 billion USD/GW"})
    results.values["cash_balance"]               # numpy array, in results.unit("cash_balance")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import cache as parse_cache
from . import ir, period_counts
from . import syntax as ast
from .check import LiteralError, parse_literal
from .diagnostics import Diagnostic, ModelError
from .evaluate import Evaluator
from .gcpause import collector_paused
from .parser import parse
from .validate import check_all


def load(path: str | Path) -> "Model":
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ModelError([Diagnostic("io", f"cannot read {path}: {err.strerror or err}", None)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise ModelError([Diagnostic("encoding", f"{path}:{line}: the file is not valid UTF-8 "
                                     f"(byte {raw[err.start]:#04x} at offset {err.start})", None,
                                     hint="save the model as UTF-8")]) from None
    return loads(text, str(path), cache=True)


def loads(text: str, file: str = "<model>", cache: bool = False) -> "Model":
    """A model from its text. cache=True reuses the syntax tree of an earlier parse of the same
    text (engine/cache.py); `load` does, so the command line does."""
    with collector_paused():
        module = parse_cache.load(text, file) if cache else None
        if module is None:
            module = parse(text, file)
            if cache:
                parse_cache.store(text, module)
    return Model(text, file, module)


class Model:
    def __init__(self, text: str, file: str, module: ast.Module):
        self.text = text
        self.file = file
        self.module = module
        self._checked: dict[str, ir.CheckedModel] | None = None
        self._evaluators: dict[str, Evaluator] = {}

    def checked(self, scenario: str = "base") -> ir.CheckedModel:
        """The checked model of one scenario. The first call checks the base model and every
        scenario (engine/validate.py): a model with an invalid scenario is invalid in all."""
        if self._checked is None:
            with collector_paused():
                self._checked = check_all(self.module, self.text)
        if scenario not in self._checked:
            from .diagnostics import did_you_mean

            names = list(self._checked)
            raise ModelError([Diagnostic("unknown-scenario", f"no scenario named `{scenario}`", None,
                                         hint=did_you_mean(scenario, names) or "scenarios: " + ", ".join(names))],
                             {self.file: self.text})
        return self._checked[scenario]

    def warnings(self) -> list[Diagnostic]:
        """What the checker warns of, in the base model and every scenario, each once (the
        model is checked if it was not)."""
        seen, out = set(), []
        for checked in (self.checked(s) for s in self.scenarios):
            for d in checked.warnings:
                key = (d.kind, d.message, d.span)
                if key not in seen:
                    seen.add(key)
                    out.append(d if checked.scenario == "base" else replace(d, scenario=checked.scenario))
        return out

    @property
    def scenarios(self) -> list[str]:
        return list(self.checked().scenarios)

    def evaluator(self, scenario: str = "base") -> Evaluator:
        if scenario not in self._evaluators:
            checked = self.checked(scenario)
            with collector_paused():
                self._evaluators[scenario] = Evaluator(checked)
        return self._evaluators[scenario]

    def run(self, scenario: str = "base", overrides: dict | None = None, since: "Results | None" = None) -> "Results":
        """Evaluate the scenario with `overrides` applied to its inputs. since: earlier results of
        the same scenario; only the formulas downstream of the inputs that differ from them are
        evaluated again (what-if loops, exploration)."""
        checked = self.checked(scenario)
        inputs = input_values(checked, overrides or {})
        evaluator = self.evaluator(scenario)
        previous = since.env if since is not None and since.model is checked else None
        try:
            env = evaluator.run(inputs, since=previous)
        except ModelError as err:
            if scenario != "base":  # a runtime error only this scenario's values cause: name it
                err.diagnostics = [replace(d, scenario=d.scenario or scenario) for d in err.diagnostics]
            raise
        checks = evaluator.run_checks(env)
        return Results(checked, QuantityValues(checked, env), checks, env)


def input_values(checked: ir.CheckedModel, overrides: dict) -> dict[str, np.ndarray]:
    """Each input's values, with overrides applied: {name or "name[period]": value}. A text value
    is a literal, checked and converted as a scenario's value is (check.parse_literal: a bare
    number only for a plain input or one whose unit is declared). A Python number or array is
    taken as already in the input's unit (what the engine stores); bool and number do not mix."""
    values = {name: q.value.copy() for name, q in checked.quantities.items() if q.kind == "input"}
    problems = []
    for key, raw in _item_overrides(checked, overrides, problems).items():
        name, period = _split_key(key, checked)
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
            values[name][first:last + 1] = _periods_of(checked, q, key, number, first, last, split, raw)
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


def _periods_of(checked, q: ir.Quantity, key: str, number, first: int, last: int, split, raw=None):
    """What `--set x[2026]=...` gives each period of the key, by the rule a table key follows
    (engine/check/inputs.py fill): a level or a rate repeats; an amount (`rollup sum`) says where
    it falls; a split needs a key of several periods and an amount. ValueError if not."""
    tl, width = checked.timeline, last - first + 1
    amount = q.rollup == "sum"
    if split is not False:
        if width == 1 or not amount:
            raise _SetError(f"`{key}` is one {tl.kind}: there is nothing to spread" if width == 1 else
                            f"`{q.name}` is not an amount per period (`rollup sum`): only an amount is split",
                            "give the value alone")
        if split is None:
            return np.asarray(number, dtype=float) / width
        at, at_last = tl.parse(split)
        if at != at_last or not first <= at <= last:
            raise _SetError(f"{split} is not one {tl.kind} of {tl.range_text(first, last)}",
                            f"e.g. in {tl.label(last)}")
        out = np.zeros(width)
        out[at - first] = number
        return out
    level = q.unit is None or checked.units.is_flow(q.unit) or (q.rollup is not None and not amount)
    if width > 1 and not level and np.any(np.asarray(number) != 0):
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


def _looks_like_period(text: str) -> bool:
    try:
        ir.parse_label(text)
    except ValueError:
        return False
    return True


def _split_key(key: str, checked: ir.CheckedModel | None = None) -> tuple[str, str | None]:
    """`name` or `name[period]`: the period as written, for the timeline to read. An item row
    (`price[eu]`) is a name; `price[eu][2027]` is its 2027."""
    if checked is not None and key in checked.quantities:
        return key, None
    if key.endswith("]") and "[" in key:
        name, _, rest = key.rpartition("[") if key.count("[") > 1 else key.partition("[")
        return name, rest[:-1].strip()
    return key, None


def _override_number(checked: ir.CheckedModel, q: ir.Quantity, raw):
    if isinstance(raw, str):
        return parse_literal(raw, q, checked.units)
    if isinstance(raw, (bool, np.bool_)) != (q.unit is None):
        raise LiteralError("type", "true/false for a number" if q.unit is not None else "a number for true/false")
    return raw


class QuantityValues(Mapping):
    """name -> values (a series' periods, a single value's one), read from the evaluator's rows
    when asked: a model by dimension has tens of thousands of them, and most callers read a few."""

    def __init__(self, checked: ir.CheckedModel, env: dict):
        self._quantities, self._env, self._made = checked.quantities, env, {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._made:
            row = self._env[name]
            self._made[name] = row if self._quantities[name].series else row.reshape(-1)[:1]
        return self._made[name]

    def __iter__(self):
        return iter(self._quantities)

    def __len__(self) -> int:
        return len(self._quantities)


@dataclass
class Results:
    model: ir.CheckedModel
    values: Mapping[str, np.ndarray]
    checks: list[dict] = field(default_factory=list)
    env: dict | None = field(default=None, repr=False, compare=False)  # the evaluator's, for run(since=)

    @property
    def passed(self) -> bool:
        return all(c["passed"] for c in self.checks)

    def unit(self, name: str) -> str:
        return self.model.units.text(self.model.quantities[name].unit) if self.model.quantities[name].unit else "bool"

    def value(self, name: str, period: int | str | None = None) -> float:
        """One value: a single value's, or a series' at a period (2027, "2027Q3", "2027-03")."""
        array = self.values[name]
        if period is None:
            return float(array.reshape(-1)[0])
        first, last = self.model.timeline.parse(str(period))
        if first != last:
            raise ValueError(f"{period} is {last - first + 1} periods of this timeline; name one of them")
        return float(array[first])

    def to_dict(self) -> dict:
        from .report import results_dict

        return results_dict(self)

    def to_frame(self):
        """One row per quantity, one column per period (scalars in the first column), plus unit."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Results.to_frame needs pandas: pip install 'unitsheet[pandas]'") from None

        periods = list(self.model.timeline.periods)
        rows = {}
        for name, q in self.model.quantities.items():
            array = self.values[name]
            rows[name] = list(array) if q.series else [float(array[0])] + [np.nan] * (len(periods) - 1)
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=periods)
        frame.insert(0, "unit", [self.unit(n) for n in rows])
        return frame
