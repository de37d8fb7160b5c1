"""explore: searches the declared bounds of every uncertain input (and every scenario) for inputs
that make a check fail, then shrinks each failure to the boundary nearest the base case.

Each input is searched as an integer k in [-STEPS, STEPS] that maps to base + k/STEPS of the way to
its bound, so shrinking towards k = 0 walks a counterexample back to the failure nearest the base
case: the boundary, to 1/STEPS of the range. Every stage evaluates its points as rows of the
samples axis, in one vectorised evaluation (in chunks that fit the memory budget), never a run per
point: the base case and the corners of the inputs' box, then the examples Hypothesis draws (all
drawn first: what Hypothesis draws does not depend on the outcomes), then each shrink round's
trial points. The time is then linear in inputs x points, where a run per point (incremental
reruns, the design before) grew about cubically with the number of inputs.
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
from .samples import chunk_size, chunks, evaluate_chunk, uncertain_inputs

STEPS = 1_000_000  # resolution of the explore search: 1/STEPS of each half-range
EACH_INPUT_UP_TO = 64  # Hypothesis draws every input's k up to this many uncertain inputs; above:
FOCUS = 8  # each example is a seeded background plus at most FOCUS inputs Hypothesis places itself
BACKGROUNDS = ("base", "uniform", "ends")  # the other inputs: at base, uniform over the box, at an end
GRID = 64  # values tried at once when shrinking one input to its boundary (4 rounds for 1/STEPS)
TRIAL_ROWS = 1024  # shrink trial points built at a time (rows x inputs integers)


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


def step_values(quantities: list[ir.Quantity], points: np.ndarray) -> np.ndarray:
    """step_value of every point (rows of k, a column per quantity) at once: the same
    operations, so the same floats."""
    base = np.array([float(q.value[0]) for q in quantities])
    high = np.array([float(q.high) for q in quantities])
    low = np.array([float(q.low) for q in quantities])
    edge = np.where(points >= 0, high, low)
    values = base + (edge - base) * np.abs(points) / STEPS
    return np.where(points == STEPS, high, np.where(points == -STEPS, low, values))


class _Points:
    """Evaluates points of one scenario's search (rows of k, one per uncertain input) as rows of
    the samples axis: which checks fail at each, and which cannot be evaluated (a runtime error,
    division by zero...: a chunk that raises is halved until the point that raises is alone, so
    one bad point hides no other). progress(done, expected): told of each evaluation's points."""

    def __init__(self, model, scenario: str, checked: ir.CheckedModel, names: list[str], overrides: dict,
                 progress=None):
        self.model, self.scenario, self.overrides = model, scenario, overrides
        self.progress = progress or (lambda done, expected=0: None)
        self.evaluator = model.evaluator(scenario)
        self.base = input_values(checked, overrides)
        self.quantities = [checked.quantities[name] for name in names]
        self.checks = [check.name for check in checked.checks]
        self.size = chunk_size(self.evaluator)

    def evaluate(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(failed (points x checks), errors (points,)): a point with an error fails no check here."""
        failed = np.zeros((len(points), len(self.checks)), dtype=bool)
        errors = np.zeros(len(points), dtype=bool)
        self.progress(0, len(points))
        for start, stop in chunks(len(points), self.size):
            self._chunk(points, start, stop, failed, errors)
            self.progress(stop - start)
        return failed, errors

    def _chunk(self, points, start: int, stop: int, failed: np.ndarray, errors: np.ndarray) -> None:
        values = step_values(self.quantities, points[start:stop])
        draws = {q.name: values[:, j] for j, q in enumerate(self.quantities)}
        try:
            _, passes, _ = evaluate_chunk(self.evaluator, self.base, draws, stop - start, keep=[])
        except ModelError:
            if stop - start == 1:
                errors[start] = True
                return
            middle = (start + stop) // 2
            self._chunk(points, start, middle, failed, errors)
            self._chunk(points, middle, stop, failed, errors)
            return
        for c, name in enumerate(self.checks):
            failed[start:stop, c] = ~passes[name]

    def fails(self, check: int, count_errors: bool):
        """The shrink predicate of one check: points -> whether it fails at each (a point that
        cannot be evaluated counts as failing if count_errors)."""
        def predicate(points: np.ndarray) -> np.ndarray:
            failed, errors = self.evaluate(points)
            return np.where(errors, count_errors, failed[:, check])
        return predicate

    def values(self, ks) -> dict[str, float]:
        return {q.name: step_value(q, int(k)) for q, k in zip(self.quantities, ks)}

    def message(self, ks, check: str) -> str:
        try:
            fixed = {n: v for n, v in self.base.items() if n not in self.values(ks)}
            results = self.model.run_values(self.scenario, {**fixed, **self.values(ks)})
        except ModelError as err:
            return "runtime error: " + err.diagnostics[0].message
        return next(c["message"] for c in results.checks if c["name"] == check)


def shrink(fails, start) -> tuple:
    """Walk a failing point (one k per input) towards the base (k = 0) until it is 1-minimal:
    it fails, and moving any one input to the base, or one step (1/STEPS of its half-range)
    towards it, passes. `fails` takes points (rows of k) and says which fail. Each round asks
    it about every input moved to the base (one vectorised evaluation), then
    - sets to the base the longest run of those inputs, in order, that fail there one after
      another (the cumulative points: one more evaluation), or else
    - asks about every input one step towards the base and moves the first that fails there to
      the boundary of the failing region on its line (`_boundary`)."""
    ks = np.array(start, dtype=np.int64)
    while (moving := np.flatnonzero(ks)).size:
        zero_fails = _trials(fails, len(moving), lambda a, b: _moved(ks, moving[a:b], 0))
        if zero_fails.any():
            candidates = moving[zero_fails]
            cumulative = _trials(fails, len(candidates), lambda a, b: _zeroed_up_to(ks, candidates, a, b))
            run = len(candidates) if cumulative.all() else int(np.argmin(cumulative))
            ks[candidates[:run]] = 0
            continue
        step_fails = _trials(fails, len(moving),
                             lambda a, b: _moved(ks, moving[a:b], ks[moving[a:b]] - np.sign(ks[moving[a:b]])))
        if not step_fails.any():
            break
        i = moving[int(np.argmax(step_fails))]
        ks[i] = np.sign(ks[i]) * _boundary(fails, ks, i)
    return tuple(int(k) for k in ks)


def _trials(fails, count: int, build) -> np.ndarray:
    """fails() of `count` trial points, built by build(start, stop) TRIAL_ROWS at a time."""
    out = np.zeros(count, dtype=bool)
    for start, stop in chunks(count, TRIAL_ROWS):
        out[start:stop] = fails(build(start, stop))
    return out


def _moved(ks: np.ndarray, inputs: np.ndarray, to) -> np.ndarray:
    """One point per input in `inputs`: ks with that input set to `to` (its entry, if an array)."""
    rows = np.repeat(ks[None, :], len(inputs), axis=0)
    rows[np.arange(len(inputs)), inputs] = to
    return rows


def _zeroed_up_to(ks: np.ndarray, inputs: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Points start..stop-1 of the cumulative series: point j has inputs[0..j] at the base."""
    rows = np.repeat(ks[None, :], stop - start, axis=0)
    upto = np.arange(len(inputs))[None, :] <= np.arange(start, stop)[:, None]
    rows[:, inputs] = np.where(upto, 0, ks[inputs])
    return rows


def _boundary(fails, ks: np.ndarray, i: int) -> int:
    """The |k| of input i nearest the base at which the point still fails and one step towards
    the base passes, searched on a grid of GRID values at a time between the base (passes)
    and one step towards it (fails)."""
    sign = 1 if ks[i] > 0 else -1
    low, high = 0, abs(int(ks[i])) - 1  # passes at low, fails at high
    while high - low > 1:
        grid = np.unique(np.linspace(low, high, GRID + 1).round().astype(np.int64))[1:-1]
        rows = np.repeat(ks[None, :], len(grid), axis=0)
        rows[:, i] = sign * grid
        failing = fails(rows)
        if failing.any():
            first = int(np.argmax(failing))
            low, high = (int(grid[first - 1]) if first else low), int(grid[first])
        else:
            low = int(grid[-1])
    return high


def explore(model, examples: int, seed: int = 0, scenarios: list[str] | None = None,
            overrides: dict | None = None, progress=None) -> Exploration:
    """Search every scenario's uncertain inputs for failing checks, in three stages:
    1. the base case and the corners of the inputs' box (`corners`: all 2^k up to 12 inputs,
       above a covering design of every pair of ends plus seeded random corners, 4096 in all);
    2. `examples` examples drawn by Hypothesis, seeded by `seed` (`_examples`);
    3. every check that failed somewhere is shrunk (`shrink`) from the first point where it
       failed to the boundary of its failing region nearest the base case.
    A runtime error (division by zero...) at a point fails every check there; a check that also
    fails where the model can be evaluated is reported with such a counterexample.
    The same seed gives the same result. Returns an Exploration: unpacks as (per-check outcomes,
    findings); .searched says what was evaluated per scenario. progress(done, expected): told of
    each example drawn and each point evaluated (engine/progress.py; shrinking adds points as it goes)."""
    scenarios = scenarios or model.scenarios
    findings: list[Finding] = []
    outcomes: list[dict] = []
    searched: dict[str, dict[str, int]] = {}
    for scenario in scenarios:
        checked = model.checked(scenario)
        names = [q.name for q in uncertain_inputs(checked)]
        search = _Points(model, scenario, checked, names, overrides or {}, progress)
        drawn = _examples(len(names), examples, seed, search.progress)
        points = np.vstack([np.zeros((1, len(names)), dtype=np.int64),
                            corners(len(names), seed).astype(np.int64) * STEPS, drawn])
        failed, errors = search.evaluate(points)
        searched[scenario] = {"base": 1, "corners": len(points) - 1 - len(drawn), "examples": len(drawn),
                              "inputs": len(names)}
        for c, check in enumerate(checked.checks):
            # A check that fails somewhere is shrunk from there (a runtime error on the way does not
            # count as failing); a check that fails only where the model cannot be evaluated is
            # reported there, shrunk towards the edge of the region where it cannot.
            hits = np.flatnonzero(failed[:, c] & ~errors)
            if not hits.size and not errors.any():
                outcomes.append({"scenario": scenario, "check": check.name, "passed": True})
                continue
            count_errors = not hits.size
            start = points[hits[0] if hits.size else int(np.argmax(errors))]
            ks = shrink(search.fails(c, count_errors), start)
            values = search.values(ks)
            message = search.message(ks, check.name)
            findings.append(Finding(check.name, scenario, values, message))
            outcomes.append({"scenario": scenario, "check": check.name, "passed": False,
                             "counterexample": dict(values), "message": message})
    return Exploration(outcomes, findings, searched)


def _examples(inputs: int, examples: int, seed: int, progress=lambda done, expected=0: None) -> np.ndarray:
    """The points Hypothesis draws (seeded), as rows of k. Up to EACH_INPUT_UP_TO inputs it draws
    every input's k; above, a compact description (a background for every input: at base,
    uniform over the box or at a random end, from a seed it draws; and up to FOCUS inputs it
    places itself), so that an example costs the same whatever the number of inputs and never
    exceeds Hypothesis's size limit (2,000 inputs drawn one by one did: "Unsatisfiable").
    progress(done, expected): told of each example drawn (drawing 1,000 takes seconds)."""
    if not inputs or examples <= 0:
        return np.zeros((0, inputs), dtype=np.int64)
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    # Every setting explicit: a caller's Hypothesis profile (derandomize, database...) must not change
    # what a given --seed finds. No shrink phase: `shrink` shrinks every finding the same way.
    config = settings(settings.get_profile("default"), max_examples=examples, database=None, deadline=None,
                      derandomize=False, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    if inputs <= EACH_INPUT_UP_TO:
        strategy = st.lists(st.integers(-STEPS, STEPS), min_size=inputs, max_size=inputs).map(np.array)
    else:
        focus = st.lists(st.tuples(st.integers(0, inputs - 1), st.integers(-STEPS, STEPS)), max_size=FOCUS)
        strategy = st.builds(_expand, st.just(inputs), st.sampled_from(BACKGROUNDS), st.integers(0, 2**32 - 1),
                             focus)
    rows: list[np.ndarray] = []

    def keep(row: np.ndarray) -> bool:
        rows.append(row)
        progress(1)
        return False

    progress(0, examples)
    with _private_hypothesis_storage():
        try:
            find(strategy, keep, settings=config, random=random.Random(seed))
        except NoSuchExample:
            pass
    progress(0, len(rows) - examples)  # Hypothesis may stop short of `examples`
    return np.array(rows, dtype=np.int64).reshape(len(rows), inputs)


def _expand(inputs: int, background: str, seed: int, focus: list[tuple[int, int]]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if background == "base":
        row = np.zeros(inputs, dtype=np.int64)
    elif background == "uniform":
        row = rng.integers(-STEPS, STEPS, size=inputs, endpoint=True)
    else:
        row = rng.choice(np.array([-STEPS, STEPS]), size=inputs)
    for i, k in focus:
        row[i] = k
    return row


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
    """'searched base, 64 corners, 500 examples per scenario' (per scenario where they differ);
    above EACH_INPUT_UP_TO inputs, how the examples were drawn."""
    def one(s: dict) -> str:
        return f"base, {s['corners']:,} corner{'s' if s['corners'] != 1 else ''}, " \
               f"{s['examples']:,} example{'s' if s['examples'] != 1 else ''}"
    kinds = {one(s) for s in searched.values()}
    if len(kinds) == 1:
        text = f"searched {kinds.pop()} per scenario"
    else:
        text = "searched " + "; ".join(f"{one(s)} in {scenario}" for scenario, s in searched.items())
    if any(s.get("inputs", 0) > EACH_INPUT_UP_TO and s["examples"] for s in searched.values()):
        text += (f" (with more than {EACH_INPUT_UP_TO} uncertain inputs, Hypothesis sets up to {FOCUS} of them in each "
                 "example and the others from a seeded background: all at base, uniform, or at an end)")
    return text


def describe_finding(model, finding: Finding, path: str | None = None) -> str:
    """The finding, its inputs as the tables show them, and the command that replays it: each
    input at the exact value found, in its own unit (a --set reads it back to the same number)."""
    checked = model.checked(finding.scenario)
    parts, sets = [], []
    for name, value in finding.inputs.items():
        q = checked.quantities[name]
        base = float(q.value[0])
        if value == base:
            continue
        shown, factor = report.display(q, np.array([value]), checked.units)
        parts.append(f"{name} = " + f"{value * factor:.6g} {shown}".rstrip()
                     + " (base " + f"{base * factor:.6g} {shown}".rstrip() + ")")
        sets.append(f'--set "{name}={value!r} {checked.units.short(q.unit)}"')
    inputs = "; ".join(parts) or "the base values"
    replay = ""
    if path is not None:
        replay = f"\n    replay: unitsheet check {path} --scenario {finding.scenario} " + " ".join(sets)
    return f"FAIL [{finding.scenario}] {finding.check}\n    smallest counterexample: {inputs}\n    {finding.message}" + replay
