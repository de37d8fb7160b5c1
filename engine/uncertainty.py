"""Uncertain inputs: Monte Carlo over (samples, periods), and property checks with Hypothesis.

simulate (engine/montecarlo.py, imported here): draws every uncertain input (ranges are uniform;
uniform, triangular, normal and lognormal as declared, truncated ones exactly between their
bounds), evaluates the *same* compiled plan as `run` on arrays shaped (samples, periods), one
chunk at a time, and reports percentiles, means and the probability of each check, in memory
that does not grow with the number of samples.

explore: searches the declared bounds (and every scenario) for inputs that make a check fail:
the base case and the corners of the inputs' box first (one vectorised evaluation), then
Hypothesis examples; then shrinks each failure. Each input is searched as an integer k in
[-M, M] that maps to base + k/M of the way to its bound, so shrinking towards k = 0 walks the
counterexample back to the failure nearest the base case: the boundary, to 1/M of the range.
"""

from __future__ import annotations

import itertools
import math
import random
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import ir, report
from .diagnostics import ModelError
from .overrides import input_values
from .montecarlo import (MEMORY_BUDGET, Simulation, chunk_size, chunks, evaluate_chunk,  # noqa: F401 (re-exported)
                         simulate, simulation_table, uncertain_inputs)

STEPS = 1_000_000  # resolution of the explore search: 1/STEPS of each half-range


# ------------------------------------------------------------------------------ explore


@dataclass
class Finding:
    check: str
    scenario: str
    inputs: dict[str, float]  # name -> value in the input's unit
    message: str


@dataclass
class Exploration:
    """What `explore` returns: each check's outcome per scenario, the findings (one per check and
    scenario that can fail), and what was searched per scenario:
    {scenario: {"base": 1, "corners": C, "examples": E}}. It unpacks as (outcomes, findings)."""

    outcomes: list[dict]
    findings: list[Finding]
    searched: dict[str, dict[str, int]]

    def __iter__(self):
        return iter((self.outcomes, self.findings))

    def __getitem__(self, i):
        return (self.outcomes, self.findings)[i]

    def __len__(self) -> int:
        return 2


ALL_CORNERS = 12  # up to this many uncertain inputs every corner of the box is evaluated (2^12 = 4096)
CORNER_LIMIT = 2 ** ALL_CORNERS  # above: a covering design, filled up with seeded random corners to this many


def covering_array(k: int) -> np.ndarray:
    """A strength-2 binary covering array: rows x k of 0/1 (0 the low end, 1 the high end) in
    which every pair of columns shows 00, 01, 10 and 11. Each column is a distinct N-bit column
    of weight floor(N/2) with a 1 in the first row (N the smallest for which there are k): two
    such columns share the first row (11), differ somewhere both ways (10, 01), and cover at
    most N - 1 rows together (00). 14 inputs: 7 rows; 100 inputs: 10; 1000: 14."""
    n = 2
    while math.comb(n - 1, n // 2 - 1) < k:
        n += 1
    rows = np.zeros((n, k), dtype=np.int8)
    rows[0] = 1
    for j, ones in enumerate(itertools.islice(itertools.combinations(range(1, n), n // 2 - 1), k)):
        rows[list(ones), j] = 1
    return rows


def corners(k: int, seed: int = 0, limit: int = CORNER_LIMIT) -> np.ndarray:
    """The corners of a box of k inputs explore evaluates, as rows of -1 (low end) / +1 (high end):
    all 2^k if that is at most `limit` (the first row all low, the last all high); otherwise the
    all-low and all-high corners, a covering array (every pair of inputs at every combination of
    their ends) and distinct random corners (seeded) up to `limit` rows."""
    if k == 0:
        return np.zeros((0, 0), dtype=np.int8)
    if 2 ** k <= limit:
        bits = (np.arange(2 ** k)[:, None] >> np.arange(k - 1, -1, -1)) & 1
        return (bits * 2 - 1).astype(np.int8)
    rng = random.Random(seed)  # any int seeds it, and the same seed gives the same corners everywhere

    def random_rows():
        while True:
            mask = rng.getrandbits(k).to_bytes((k + 7) // 8, "big")
            yield np.unpackbits(np.frombuffer(mask, dtype=np.uint8))[-k:].astype(np.int8)

    fixed = [np.zeros(k, dtype=np.int8), np.ones(k, dtype=np.int8), *covering_array(k)]
    unique: dict[bytes, np.ndarray] = {}
    for row in itertools.chain(fixed, random_rows()):  # 2^k > limit: enough distinct corners
        if len(unique) == limit:
            break
        unique.setdefault(row.tobytes(), row)
    return np.array(list(unique.values()), dtype=np.int8) * 2 - 1


def step_value(q: ir.Quantity, k: int) -> float:
    """The value explore gives an uncertain input for the integer k in [-STEPS, STEPS]: base +
    |k|/STEPS of the way to the high (k > 0) or low (k < 0) end; the ends exactly at +-STEPS."""
    if k == STEPS:
        return float(q.high)
    if k == -STEPS:
        return float(q.low)
    base = float(q.value[0])
    edge = q.high if k >= 0 else q.low
    return base + (edge - base) * abs(k) / STEPS


class _Probe:
    """What a point of the search (one k per uncertain input) gives: the checks that fail there,
    or None for a runtime error (division by zero...), which fails every check. Each point is
    evaluated once, by an incremental rerun from the previous one."""

    def __init__(self, model, scenario: str, checked: ir.CheckedModel, names: list[str]):
        self.model, self.scenario, self.checked, self.names = model, scenario, checked, names
        self.checks = [c.name for c in checked.checks]
        self.cache: dict[tuple, frozenset | None] = {}
        try:
            self.last = model.run(scenario)  # the latest results: the next rerun starts from them
        except ModelError:
            self.last = None

    def values(self, ks: tuple) -> dict[str, float]:
        return {name: step_value(self.checked.quantities[name], k) for name, k in zip(self.names, ks)}

    def run(self, ks: tuple):
        """(results, None), or (None, the runtime error)."""
        try:
            results = self.model.run_values(self.scenario, self.values(ks), since=self.last)
        except ModelError as err:
            return None, err
        self.last = results
        return results, None

    def outcome(self, ks: tuple) -> frozenset | None:
        if ks not in self.cache:
            results, err = self.run(ks)
            self.cache[ks] = None if err is not None else frozenset(c["name"] for c in results.checks
                                                                    if not c["passed"])
        return self.cache[ks]

    def fails(self, check: str, ks: tuple, errors: bool) -> bool:
        """Whether `check` fails at ks; errors: whether a runtime error counts as failing."""
        failed = self.outcome(ks)
        return errors if failed is None else check in failed

    def message(self, ks: tuple, check: str) -> str:
        results, err = self.run(ks)
        if err is not None:
            return "runtime error: " + err.diagnostics[0].message
        return next(c["message"] for c in results.checks if c["name"] == check)


def _evaluate_points(probe: _Probe, points: np.ndarray) -> list[frozenset | None]:
    """probe.outcome of every point (rows of k per uncertain input: ends and base only), in one
    vectorised evaluation (in chunks that fit MEMORY_BUDGET); a chunk whose evaluation raises a
    runtime error is evaluated again point by point, so that one bad corner hides no other."""
    assert np.isin(points, (-STEPS, 0, STEPS)).all()  # step_value, vectorised for the ends and the base
    evaluator = probe.model.evaluator(probe.scenario)
    base = input_values(probe.checked, {})
    quantities = [probe.checked.quantities[name] for name in probe.names]
    columns = {q.name: np.where(points[:, j] == STEPS, float(q.high),
                                np.where(points[:, j] == -STEPS, float(q.low), float(q.value[0])))
               for j, q in enumerate(quantities)}
    keys = [tuple(int(k) for k in row) for row in points]
    out: list[frozenset | None] = []
    for start, stop in chunks(len(points), chunk_size(evaluator)):
        try:
            _, passes, _ = evaluate_chunk(evaluator, base, {n: c[start:stop] for n, c in columns.items()},
                                          stop - start, keep=[])
        except ModelError:
            out.extend(probe.outcome(ks) for ks in keys[start:stop])
            continue
        for i, ks in enumerate(keys[start:stop]):
            failed = frozenset(name for name in probe.checks if not passes[name][i])
            probe.cache.setdefault(ks, failed)
            out.append(failed)
    return out


def shrink(fails, start: tuple) -> tuple:
    """Walk a failing point (one k per input) towards the base (k = 0): for each input in turn,
    bisect its k between 0 and its current value for the smallest |k| at which `fails` still
    holds (0 if it fails there; no move if one step towards the base already passes); repeat
    until no input moves. Each moved input then ends where the check fails and one step (1/STEPS
    of its half-range) towards the base passes: the boundary of the failing region (a boundary
    point, if the check is not monotone in that input)."""
    ks = list(start)
    moved = True
    while moved:
        moved = False
        for i, k in enumerate(ks):
            if k == 0:
                continue
            sign = 1 if k > 0 else -1

            def at(j: int) -> bool:
                trial = ks.copy()
                trial[i] = sign * j
                return fails(tuple(trial))

            lo, hi = 0, abs(k)  # fails at hi; passes at lo once at(lo) has said so
            if at(0):
                hi = 0
            elif hi > 1:
                if at(hi - 1):
                    hi -= 1
                else:
                    lo = hi - 1
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if at(mid):
                        hi = mid
                    else:
                        lo = mid
            if hi != abs(k):
                ks[i] = sign * hi
                moved = True
    return tuple(ks)


def explore(model, examples: int, seed: int = 0, scenarios: list[str] | None = None) -> Exploration:
    """Search every scenario's uncertain inputs for failing checks, in three stages:
    1. the base case and the corners of the inputs' box (`corners`: all 2^k up to 12 inputs,
       above a covering design of every pair of ends plus seeded random corners, 4096 in all),
       in one vectorised evaluation;
    2. `examples` examples drawn by Hypothesis (seeded by `seed`), each an incremental rerun;
    3. every check that failed somewhere is shrunk (`shrink`) from the first point where it
       failed to the boundary of its failing region nearest the base case.
    A runtime error (division by zero...) at a point fails every check there; a check that also
    fails where the model can be evaluated is reported with such a counterexample.
    The same seed gives the same result. Returns an Exploration: unpacks as (per-check outcomes,
    findings); .searched says what was evaluated per scenario."""
    scenarios = scenarios or model.scenarios
    findings: list[Finding] = []
    outcomes: list[dict] = []
    searched: dict[str, dict[str, int]] = {}
    for scenario in scenarios:
        checked = model.checked(scenario)
        names = [q.name for q in uncertain_inputs(checked)]
        probe = _Probe(model, scenario, checked, names)
        failed_at: dict[str, tuple] = {}  # check -> the first point where it failed
        error_at: tuple | None = None  # the first point where the model cannot be evaluated

        def record(ks: tuple, failed: frozenset | None) -> None:
            nonlocal error_at
            if failed is None and error_at is None:
                error_at = ks
            for name in failed or ():
                failed_at.setdefault(name, ks)

        points = np.vstack([np.zeros((1, len(names)), dtype=np.int64),
                            corners(len(names), seed).astype(np.int64) * STEPS])
        for row, failed in zip(points, _evaluate_points(probe, points)):
            record(tuple(int(k) for k in row), failed)
        searched[scenario] = {"base": 1, "corners": len(points) - 1,
                              "examples": _search(probe, names, examples, seed, record)}
        for check in checked.checks:
            # A check that fails somewhere is shrunk from there (a runtime error on the way does not
            # count as failing); a check that fails only where the model cannot be evaluated is
            # reported there, shrunk towards the edge of the region where it cannot.
            start, errors = (failed_at[check.name], False) if check.name in failed_at else (error_at, True)
            if start is None:
                outcomes.append({"scenario": scenario, "check": check.name, "passed": True})
                continue
            ks = shrink(lambda ks, name=check.name, errors=errors: probe.fails(name, ks, errors), start)
            values = probe.values(ks)
            message = probe.message(ks, check.name)
            findings.append(Finding(check.name, scenario, values, message))
            outcomes.append({"scenario": scenario, "check": check.name, "passed": False,
                             "counterexample": dict(values), "message": message})
    return Exploration(outcomes, findings, searched)


def _search(probe: _Probe, names: list[str], examples: int, seed: int, record) -> int:
    """Hypothesis draws `examples` points (none without uncertain inputs); returns how many ran."""
    if not names or examples <= 0:
        return 0
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    # Every setting explicit: a caller's Hypothesis profile (derandomize, database...) must not change
    # what a given --seed finds. No shrink phase: `shrink` shrinks every finding the same way.
    config = settings(settings.get_profile("default"), max_examples=examples, database=None, deadline=None,
                      derandomize=False, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    strategy = st.fixed_dictionaries({name: st.integers(-STEPS, STEPS) for name in names})
    ran = 0

    def look(example: dict) -> bool:
        nonlocal ran
        ran += 1
        ks = tuple(example[name] for name in names)
        record(ks, probe.outcome(ks))
        return False

    with _private_hypothesis_storage():
        try:
            find(strategy, look, settings=config, random=random.Random(seed))
        except NoSuchExample:
            pass
    return ran


@contextmanager
def _private_hypothesis_storage():
    """Hypothesis keeps files in ./.hypothesis even without an example database: the user's
    folder is not ours to write in, so point it at a temporary folder for the search."""
    import tempfile

    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory", None)
    with tempfile.TemporaryDirectory(prefix="unitsheet-hypothesis-") as folder:
        configuration.set_hypothesis_home_dir(folder)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(before)


def describe_search(searched: dict[str, dict[str, int]]) -> str:
    """'searched base, 64 corners, 500 examples per scenario' (per scenario where they differ)."""
    def one(s: dict) -> str:
        return f"base, {s['corners']:,} corner{'s' if s['corners'] != 1 else ''}, " \
               f"{s['examples']:,} example{'s' if s['examples'] != 1 else ''}"
    kinds = {one(s) for s in searched.values()}
    if len(kinds) == 1:
        return f"searched {kinds.pop()} per scenario"
    return "searched " + "; ".join(f"{one(s)} in {scenario}" for scenario, s in searched.items())


def describe_finding(model, finding: Finding) -> str:
    checked = model.checked(finding.scenario)
    parts = []
    for name, value in finding.inputs.items():
        q = checked.quantities[name]
        base = float(q.value[0])
        if value == base:
            continue
        shown, factor = report.display(q, np.array([value]), checked.units)
        parts.append(f"{name} = " + f"{value * factor:.6g} {shown}".rstrip()
                     + " (base " + f"{base * factor:.6g} {shown}".rstrip() + ")")
    inputs = "; ".join(parts) or "the base values"
    return f"FAIL [{finding.scenario}] {finding.check}\n    smallest counterexample: {inputs}\n    {finding.message}"
