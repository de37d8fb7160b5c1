"""The pipeline in one place: text -> syntax tree -> checked model -> values.

    model = load("models/openai_capex.ush")      # parse (raises ModelError on bad syntax)
    results = model.run(scenario="bear", overrides={"cost_per_gw": "58 billion USD/GW"})
    results.values["cash_balance"]               # numpy array, in results.unit("cash_balance")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import cache as parse_cache
from . import ir
from . import syntax as ast
from .data_sources import DataOptions
from .data_tables import resolve as resolve_data
from .diagnostics import Diagnostic, ModelError
from .actuals import overridden
from .evaluate import Evaluator
from .gcpause import collector_paused
from .overrides import input_values
from .parser import parse
from .check.retype import retyped
from .validate import check_all


def load(path: str | Path, data: Mapping | None = None, data_dirs=()) -> "Model":
    """data: {table: database URL} for the model's `sql` data statements (also --data, and the
    environment's UNITSHEET_DATA_TABLE); data_dirs: folders besides the model's own that its data
    files may be in (--data-dir)."""
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
    return loads(text, str(path), cache=True, data=data, data_dirs=data_dirs)


def loads(text: str, file: str = "<model>", cache: bool = False, data: Mapping | None = None,
          data_dirs=()) -> "Model":
    """A model from its text. cache=True reuses the syntax tree of an earlier parse of the same
    text (engine/cache.py); `load` does, so the command line does. Data the model reads is never
    cached: it is read when the model is first checked (data and data_dirs: as for load; data
    files are relative to the folder of `file`)."""
    with collector_paused():
        module = parse_cache.load(text, file) if cache else None
        if module is None:
            module = parse(text, file)
            if cache:
                parse_cache.store(text, module)
    return Model(text, file, module, _data_options(data, data_dirs))


def _data_options(data, data_dirs) -> DataOptions:
    if data is not None and not (isinstance(data, Mapping) and all(isinstance(k, str) and isinstance(v, str)
                                                                   for k, v in data.items())):
        raise ModelError([Diagnostic("usage", f"data is {{table name: database URL}}, not {data!r}", None,
                                     hint='e.g. unitsheet.load("model.ush", data={"ledger": "sqlite:///ledger.db"})')])
    if isinstance(data_dirs, (str, Path)):
        data_dirs = (data_dirs,)
    return DataOptions(dict(data or {}), tuple(Path(d) for d in data_dirs))


class Model:
    def __init__(self, text: str, file: str, module: ast.Module, data: DataOptions | None = None,
                 previous: "Model | None" = None, editing: bool = False):
        """data: where the model's `data` statements read (engine/data_sources.py). editing: keep
        the checker's state for the next version (the editor does); previous: the valid model this
        text was edited from, whose kept state lets an edit of one equation be checked alone where
        that gives what a full check does (engine/check/retype.py)."""
        self.text = text
        self.file = file
        self.module = module  # as parsed: a data statement's values are read by checked()
        self.data = data if data is not None else DataOptions()
        self._checked: dict[str, ir.CheckedModel] | None = None
        self._evaluators: dict[str, Evaluator] = {}
        self._previous = previous
        self._scopes: dict | None = {} if editing else None  # kept for the next edit
        self.rechecked = False  # checked by retyping the one edited equation (benchmarks, tests)

    @classmethod
    def from_text(cls, text: str, file: str) -> "Model":
        """loads(): for whoever rebuilds a model from its text without importing this module (a
        Dask worker, engine/distributed.py)."""
        return loads(text, file)

    def checked(self, scenario: str = "base") -> ir.CheckedModel:
        """The checked model of one scenario. The first call checks the base model and every
        scenario (engine/validate.py): a model with an invalid scenario is invalid in all."""
        if self._checked is None:
            with collector_paused():
                self._checked = self._rechecked() or check_all(
                    resolve_data(self.module, self.text, Path(self.file).parent, self.data), self.text, self._scopes)
        if scenario not in self._checked:
            from .diagnostics import did_you_mean

            names = list(self._checked)
            raise ModelError([Diagnostic("unknown-scenario", f"no scenario named `{scenario}`", None,
                                         hint=did_you_mean(scenario, names) or "scenarios: " + ", ".join(names))],
                             {self.file: self.text})
        return self._checked[scenario]

    def _rechecked(self) -> dict[str, ir.CheckedModel] | None:
        previous, self._previous = self._previous, None
        if previous is None or previous._checked is None or not previous._scopes or any(
                isinstance(stmt, ast.Data) for stmt in self.module.statements):
            return None  # data is read again with every version: its values may have changed
        found = retyped(previous._scopes, previous._checked, self.module, self.text)
        if found is None:
            return None
        if found.errors:
            self.rechecked = True
            raise ModelError(found.errors, {self.file: self.text})
        self._scopes, self.rechecked = found.scopes, True
        return found.checked

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
        _usage(scenario, since)
        model, overrides = overridden(self, overrides)
        if model is not self:  # the actuals end elsewhere (--set revenue.actual_until=...)
            return model.run(scenario, overrides)
        checked = self.checked(scenario)
        inputs = input_values(checked, overrides if overrides is not None else {})
        return self._evaluate(scenario, checked, inputs, since)

    def run_values(self, scenario: str, values: dict, since: "Results | None" = None) -> "Results":
        """Evaluate with inputs given in the engine's own units, already checked (the what-if
        searches: check --explore's points). {input name: number or array}; not for users, whose
        values go through run(overrides=...) and its rules."""
        checked = self.checked(scenario)
        inputs = {name: q.value.copy() for name, q in checked.quantities.items() if q.kind == "input"}
        for name, value in values.items():
            inputs[name] = np.broadcast_to(np.asarray(value, dtype=float), inputs[name].shape).copy()
        return self._evaluate(scenario, checked, inputs, since)

    def solve(self, target: str, vary: str, between: str | None = None, scenario: str = "base",
              overrides: dict | None = None, progress=None):
        """Goal seek (engine/solve.py): every value of input `vary` (in `between`, "LOW..HIGH", or its
        range, or an automatic bracket) at which `target` holds ("equity_irr = 10 %",
        "cash[2029-12] = 0 USD"), nearest to its base value first. A Solution: .roots, str() a table.
        progress: a callback told of the work done (engine/progress.py); none by default."""
        from .solve import solve

        self, overrides = overridden(self, overrides)
        return solve(self, target, vary, between, scenario, overrides, progress)

    def sensitivity(self, output: str, inputs: list[str] | None = None, percent: float = 10.0,
                    scenario: str = "base", overrides: dict | None = None):
        """A tornado (engine/sensitivity.py): `output` ("npv", "cash[2029-12]") with each input alone
        at its range's ends (or its base -+ `percent` % for an input named in `inputs` without a
        range), largest swing first, in one vectorised evaluation. str() is its table."""
        from .sensitivity import sensitivity

        self, overrides = overridden(self, overrides)
        return sensitivity(self, output, inputs, percent, scenario, overrides)

    def table(self, output: str, vary: list[str], scenario: str = "base", overrides: dict | None = None,
              progress=None):
        """A data table (engine/datatable.py): `output` over a grid of one or two inputs, each
        "name=LOW..HIGH:N", in one vectorised evaluation. .values, .to_dict(), str() its table.
        progress: a callback told of the cells done (engine/progress.py); none by default."""
        from .datatable import data_table

        self, overrides = overridden(self, overrides)
        return data_table(self, output, list(vary), scenario, overrides, progress)

    def simulate(self, samples: int = 10_000, seed: int = 0, scenario: str = "base", **options):
        """Monte Carlo (engine/montecarlo.py: keep=, percentiles=, chunk=, backend=, drop_failed=,
        progress=: a callback told of the samples done, engine/progress.py; none by default).
        A Simulation: .summary(name), .check_probability, .to_dict(), str() the command's table."""
        from .montecarlo import simulate

        return simulate(self, samples, seed, scenario, **options)

    def check(self, scenarios: list[str] | None = None, overrides: dict | None = None, explore: int = 0,
              seed: int = 0, progress=None):
        """Every check of every scenario (or those named), with `overrides`; explore: examples of the
        search for inputs that make one fail (engine/explore.py). A CheckReport: .passed, .findings,
        .to_dict(), str() what `unitsheet check` prints. progress: a callback told of the search's
        steps (engine/progress.py); none by default."""
        from .checking import check

        return check(self, scenarios, overrides, explore, seed, self.file, progress)

    def explain(self, name: str | None = None, scenario: str = "base") -> str:
        """What `unitsheet explain` prints: one quantity's formula, inputs and values, or every quantity."""
        from .explain import explain, overview

        return (explain(self, name, scenario) if name else overview(self, scenario))[0]

    def diff(self, other: "Model", scenarios: list[str] | None = None, threshold: float = 0.0):
        """What changed from this version to `other` (engine/diff_numbers.py): the statements, the
        rows that moved in each scenario both have (by more than threshold x |old|), the checks that
        flipped, each move's attribution to the edits. A Diff: .moved, .to_dict(), str() the text
        `unitsheet diff` prints. A version that does not compile raises its ModelError."""
        from .diff_numbers import SideError, compare

        if not isinstance(other, Model):
            raise ModelError([Diagnostic("usage", f"diff compares with another version, a Model: not {other!r}", None,
                                         hint='e.g. unitsheet.load("old.ush").diff(unitsheet.load("new.ush"))')])
        if isinstance(scenarios, str):
            raise ModelError([Diagnostic("usage", f"scenarios is a list of names, not the text {scenarios!r}", None,
                                         hint=f"e.g. scenarios=[{scenarios!r}]")])
        try:
            return compare(self, other, scenarios, threshold)
        except SideError as err:
            raise err.error from None

    def export(self, path, scenario: str = "base", simulation=None, whatif=None) -> dict:
        """The live workbook (exports/xlsx.py), `scenario` selected; a summary of what was written.
        whatif: exports.xlsx.WhatIf, a solution written into its input's cell, a tornado, a table."""
        from ..exports.xlsx import WhatIf, export_workbook

        return export_workbook(self, path, scenario, simulation, whatif if whatif is not None else WhatIf())

    def _repr_html_(self) -> str:
        """Jupyter's view: the base case's tables, inputs with sources, notes (engine/notebook.py)."""
        from .notebook import model_html

        return model_html(self)

    def _evaluate(self, scenario: str, checked: ir.CheckedModel, inputs: dict, since) -> "Results":
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


def _usage(scenario, since) -> None:
    """The API's own arguments, refused as the command line refuses bad ones (no raw exceptions)."""
    if not isinstance(scenario, str):
        raise ModelError([Diagnostic("usage", f"scenario is a scenario's name as text, not {scenario!r}", None,
                                     hint='e.g. model.run("bear"); "base" is the model itself')])
    if since is not None and not isinstance(since, Results):
        raise ModelError([Diagnostic("usage", f"since is earlier results of model.run(), not {since!r}", None,
                                     hint="e.g. first = model.run(); model.run(overrides=..., since=first)")])


class UnknownQuantity(KeyError):
    """results.values[name] of a name that is not a row (a dimensioned quantity, a typo): says
    which names are (a KeyError, so `name in values` and values.get() work as for any mapping)."""

    def __str__(self) -> str:
        return self.args[0]


class QuantityValues(Mapping):
    """name -> values (a series' periods, a single value's one), read from the evaluator's rows
    when asked: a model by dimension has tens of thousands of them, and most callers read a few."""

    def __init__(self, checked: ir.CheckedModel, env: dict):
        self._quantities, self._env, self._made = checked.quantities, env, {}
        self._dimensions = checked.dimensions

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._made:
            if name not in self._quantities:
                raise UnknownQuantity(self._unknown(name))
            row = self._env[name]
            self._made[name] = row if self._quantities[name].series else row.reshape(-1)[:1]
        return self._made[name]

    def _unknown(self, name) -> str:
        dims = self._dimensions
        if isinstance(name, str) and name in dims.of:
            rows = dims.names(name)
            return (f"`{name}` is by {', '.join(dims.of[name])}: read one of its rows, "
                    f"values['{rows[0]}'] ({len(rows)} rows: {', '.join(rows[:4])}{', ...' if len(rows) > 4 else ''})")
        from .diagnostics import did_you_mean

        hint = did_you_mean(str(name), list(self._quantities))
        return f"no quantity named `{name}`" + (f"; {hint}" if hint else "")

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

    def __repr__(self) -> str:
        """Short: a notebook computes text/plain beside the HTML, and the checked model's own repr
        lists every quantity (megabytes for a model by dimension)."""
        passed = sum(bool(c["passed"]) for c in self.checks)
        return (f"<Results of {self.model.title!r}, scenario {self.model.scenario!r}: {len(self.model.quantities)} "
                f"quantities, checks {passed}/{len(self.checks)} pass>")

    def unit(self, name: str) -> str:
        return self.model.units.text(self.model.quantities[name].unit) if self.model.quantities[name].unit else "bool"

    def value(self, name: str, period: int | str | None = None) -> float:
        """One value: a single value's, or a series' at a period (2027, "2027Q3", "2027-03"); a
        series without a period is refused, naming its periods (a ModelError of kind usage)."""
        from .notebook import value

        return value(self, name, period)

    def to_dict(self) -> dict:
        from .report import results_dict

        return results_dict(self)

    def to_frame(self):
        """The series as a pandas DataFrame: a row per period (its label), a column per series,
        the columns a MultiIndex (quantity, unit), values in that unit (the engine's, as unit()
        gives). Single values are not in it (a column's sum is a sum over periods): singles()."""
        from .notebook import series_frame

        return series_frame(self)

    def singles(self):
        """The single values as a pandas DataFrame: a row per quantity, columns value and unit."""
        from .notebook import singles_frame

        return singles_frame(self)

    def plot(self, names, title: str | None = None, against: Mapping | None = None):
        """A matplotlib Figure of series `names` (a name or a list; a dimensioned quantity draws its
        items), as `unitsheet plot` draws them; against: {label: other Results} drawn with them."""
        from .notebook import figure

        return figure(self, names, title, against)

    def _repr_html_(self) -> str:
        """Jupyter's view: checks red and green, series with charts, single values (engine/notebook.py)."""
        from .notebook import results_html

        return results_html(self)
