"""The pipeline in one place: text -> syntax tree -> checked model -> values.

    model = load("models/openai_capex.ush")      # parse (raises ModelError on bad syntax)
    results = model.run(scenario="bear", overrides={"cost_per_gw": "58 billion USD/GW"})
    results.values["cash_balance"]               # numpy array, in results.unit("cash_balance")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import cache as parse_cache
from . import ir
from . import syntax as ast
from .checker import check
from .diagnostics import Diagnostic, Label, ModelError
from .evaluate import Evaluator
from .gcpause import collector_paused
from .parser import parse
from .units import UnitError


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
        self._checked: dict[str, ir.CheckedModel] = {}
        self._evaluators: dict[str, Evaluator] = {}

    def checked(self, scenario: str = "base") -> ir.CheckedModel:
        if scenario not in self._checked:
            with collector_paused():
                self._checked[scenario] = check(self.module, scenario, self.text)
        return self._checked[scenario]

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
        env = evaluator.run(inputs, since=previous)
        checks = evaluator.run_checks(env)
        values = {name: (env[name] if q.series else env[name].reshape(-1)[:1]) for name, q in checked.quantities.items()}
        return Results(checked, values, checks, env)


def input_values(checked: ir.CheckedModel, overrides: dict) -> dict[str, np.ndarray]:
    """Each input's values, with overrides applied: {name: "58 billion USD/GW" | number | array}.
    A text override is parsed as a literal and converted to the input's unit."""
    values = {name: q.value.copy() for name, q in checked.quantities.items() if q.kind == "input"}
    problems = []
    for key, raw in overrides.items():
        name, period = _split_key(key)
        q = checked.quantities.get(name)
        if q is None or q.kind != "input":
            from .diagnostics import did_you_mean
            inputs = [n for n, x in checked.quantities.items() if x.kind == "input"]
            what = "a formula, not an input" if q is not None else "not defined"
            problems.append(Diagnostic("bad-override", f"cannot set `{name}`: it is {what}", None,
                                       hint=did_you_mean(name, inputs) or "inputs: " + ", ".join(inputs[:12])))
            continue
        try:
            number = _override_number(checked, q, raw)
        except (ValueError, UnitError) as err:
            problems.append(Diagnostic("bad-override", f"cannot set `{key}`: {err}", None,
                                       hint=getattr(err, "hint", None) or f"give a value in {q.unit_text or 'plain numbers'}, "
                                       f"e.g. {name}=12 {q.unit_text}".rstrip()))
            continue
        if period is None:
            values[name] = np.broadcast_to(np.asarray(number, dtype=float), values[name].shape).copy()
        else:
            tl = checked.timeline
            if not q.series or not tl.start <= period <= tl.end:
                problems.append(Diagnostic("bad-override", f"cannot set `{key}`: "
                                           + ("it is not a series" if not q.series else
                                              f"{period} is outside the timeline {tl.start}..{tl.end}"), None))
                continue
            values[name][tl.index(period)] = number
    if problems:
        raise ModelError(problems)
    return values


def _split_key(key: str) -> tuple[str, int | None]:
    if key.endswith("]") and "[" in key:
        name, _, rest = key.partition("[")
        try:
            return name, int(rest[:-1])
        except ValueError:
            return key, None
    return key, None


def _override_number(checked: ir.CheckedModel, q: ir.Quantity, raw) -> float:
    if not isinstance(raw, str):
        return raw
    from .checker import _Abandon, _Checker

    try:
        module = parse(f"input value_ = {raw}", "<--set>")
    except ModelError as err:
        raise ValueError(err.diagnostics[0].message) from None
    stmt = module.statements[0] if module.statements else None
    if not isinstance(stmt, ast.Input) or isinstance(stmt.value, (ast.Table, ast.Range)):
        raise ValueError("give one value with its unit")
    helper = _Checker(module, None)
    helper.units = checked.units
    try:
        number, _ = helper._literal(stmt.value, q.unit if q.unit is not None else None)
    except _Abandon:
        raise ValueError(helper.report.diagnostics[0].message if helper.report.diagnostics else "bad value") from None
    return number


@dataclass
class Results:
    model: ir.CheckedModel
    values: dict[str, np.ndarray]
    checks: list[dict] = field(default_factory=list)
    env: dict | None = field(default=None, repr=False, compare=False)  # the evaluator's, for run(since=)

    @property
    def passed(self) -> bool:
        return all(c["passed"] for c in self.checks)

    def unit(self, name: str) -> str:
        return self.model.units.text(self.model.quantities[name].unit) if self.model.quantities[name].unit else "bool"

    def value(self, name: str, period: int | None = None) -> float:
        q = self.model.quantities[name]
        array = self.values[name]
        if period is None:
            return float(array.reshape(-1)[0])
        return float(array[self.model.timeline.index(period)])

    def to_dict(self) -> dict:
        from .report import results_dict

        return results_dict(self)

    def to_frame(self):
        """One row per quantity, one column per period (scalars in the first column), plus unit."""
        import pandas as pd

        periods = list(self.model.timeline.periods)
        rows = {}
        for name, q in self.model.quantities.items():
            array = self.values[name]
            rows[name] = list(array) if q.series else [float(array[0])] + [np.nan] * (len(periods) - 1)
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=periods)
        frame.insert(0, "unit", [self.unit(n) for n in rows])
        return frame
