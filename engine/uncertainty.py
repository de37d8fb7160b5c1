"""Uncertain inputs: Monte Carlo over (samples, periods), and property checks with Hypothesis.

simulate: draws every uncertain input (ranges are uniform; uniform, triangular, normal and
lognormal as declared, bounds respected), evaluates the *same* compiled plan as `run` once on
arrays shaped (samples, periods), and reports percentiles and the probability of each check.

explore: lets Hypothesis search the declared bounds (and every scenario) for inputs that make a
check fail, then shrink the failure. Each input is searched as an integer k in [-M, M] that maps
to base + k/M of the way to its bound, so shrinking towards k = 0 walks the counterexample back
to the failure nearest the base case: the boundary, to 1/M of the range.
"""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import ir, report
from .diagnostics import Diagnostic, ModelError
from .evaluate import Evaluator
from .model import input_values

STEPS = 1_000_000  # resolution of the explore search: 1/STEPS of each half-range


def uncertain_inputs(checked: ir.CheckedModel) -> list[ir.Quantity]:
    return [q for q in checked.quantities.values() if q.kind == "input" and q.distribution is not None
            and q.high > q.low]


# ------------------------------------------------------------------------------ Monte Carlo


def draw(dist: tuple, n: int, rng: np.random.Generator) -> np.ndarray:
    kind = dist[0]
    if kind == "uniform":
        return rng.uniform(dist[1], dist[2], n)
    if kind == "triangular":
        lo, mode, hi = dist[1:]
        return rng.triangular(lo, mode, hi, n) if hi > lo else np.full(n, mode)
    if kind == "normal":
        mean, sd, lo, hi = dist[1:]
        return _bounded(lambda m: rng.normal(mean, sd, m), n, lo, hi)
    if kind == "lognormal":
        median, sigma, lo, hi = dist[1:]
        return _bounded(lambda m: median * np.exp(rng.normal(0.0, sigma, m)), n, lo, hi)
    raise AssertionError(kind)


def _bounded(sampler, n, lo, hi):
    """Truncation by resampling the draws that fall outside [lo, hi]."""
    values = sampler(n)
    if lo is None:
        return values
    for _ in range(1000):
        outside = (values < lo) | (values > hi)
        if not outside.any():
            return values
        values[outside] = sampler(int(outside.sum()))
    return np.clip(values, lo, hi)


@dataclass
class Simulation:
    model: ir.CheckedModel
    samples: int
    seed: int
    values: dict[str, np.ndarray]  # name -> (samples, periods) or (samples, 1)
    check_probability: dict[str, float]
    eval_seconds: float

    def summary(self, name: str) -> dict[str, list[float]]:
        """p5, p50, p95 and mean per period (one entry for a single value); None where undefined."""
        v = self.values[name]
        out = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN periods: undefined, reported as None
            for stat in ("p5", "p50", "p95"):
                out[stat] = _nan_list(np.nanpercentile(v, int(stat[1:]), axis=0))
            out["mean"] = _nan_list(np.nanmean(v, axis=0))
        return out

    def varies(self, name: str) -> bool:
        v = self.values[name]
        finite = np.isfinite(v).any(axis=0)
        if not finite.any():
            return False
        w = v[:, finite]
        return bool((np.nanmax(w, axis=0) > np.nanmin(w, axis=0)).any())

    def to_dict(self) -> dict:
        units = self.model.units
        quantities = {}
        for name, q in self.model.quantities.items():
            if q.unit is None:
                continue
            stats = self.summary(name)
            entry = {"unit": units.text(q.unit), "kind": "series" if q.series else "scalar"}
            entry.update({k: (v if q.series else v[0]) for k, v in stats.items()})
            quantities[name] = entry
        return {"model": self.model.title, "scenario": self.model.scenario, "samples": self.samples,
                "seed": self.seed, "eval_seconds": self.eval_seconds, "timeline": list(self.model.timeline.periods),
                "quantities": quantities,
                "checks": [{"name": k, "probability": p} for k, p in self.check_probability.items()]}


def _nan_list(a) -> list:
    return [None if not np.isfinite(x) else float(x) for x in np.atleast_1d(a)]


MEMORY_BUDGET = 64 * 2**20  # bytes of value matrix (and its temporaries) per chunk of samples


def chunk_size(evaluator: Evaluator, budget: int = MEMORY_BUDGET) -> int:
    """Samples per chunk so that one chunk's values and temporaries stay within `budget`."""
    per_sample = len(evaluator.row_of) * evaluator.n * 8 * 3
    return max(1, budget // per_sample)


def chunks(samples: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, samples)) for start in range(0, samples, size)]


def evaluate_chunk(evaluator: Evaluator, base: dict, draws: dict, m: int, keep) -> tuple[dict, dict, float]:
    """One chunk of m samples: (kept values {name: (m, periods)}, check passes {name: (m,)}, seconds).
    `draws` holds this chunk's draws of every uncertain input; the other inputs come from `base`."""
    inputs = {}
    for name, value in base.items():
        inputs[name] = draws[name][:, None] if name in draws else np.broadcast_to(value, (m,) + value.shape)
    t0 = time.perf_counter()
    env = evaluator.run(inputs, prefix=(m,))
    passes = {check.name: np.broadcast_to(result, (m, result.shape[-1])).all(axis=-1)
              for check, result in evaluator.check_values(env)}
    seconds = time.perf_counter() - t0
    names = evaluator.model.quantities if keep is None else keep
    values = {name: np.array(np.broadcast_to(env[name], (m,) + env[name].shape[-1:])) for name in names}
    return values, passes, seconds


def simulate(model, samples: int, seed: int = 0, scenario: str = "base", chunk: int | None = None,
             keep=None, backend: str = "numpy", scheduler: str | None = None) -> Simulation:
    """Monte Carlo: every uncertain input drawn `samples` times (seeded: the same seed gives the
    same numbers on every backend and chunk size), the compiled plan run on (samples, periods)
    arrays one chunk at a time, so memory stays bounded (chunk: samples per chunk; default from
    MEMORY_BUDGET). keep: the quantities whose samples are kept (None: all); check
    probabilities are always computed. backend "dask" runs the chunks on a Dask cluster
    (engine/distributed.py): a local one, or the scheduler at `scheduler`."""
    if samples < 1:
        raise ModelError([Diagnostic("usage", "the number of samples must be at least 1", None)])
    checked = model.checked(scenario)
    evaluator = model.evaluator(scenario)
    rng = np.random.default_rng(seed)
    base = input_values(checked, {})
    draws = {q.name: draw(q.distribution, samples, rng) for q in uncertain_inputs(checked)}
    keep = list(checked.quantities) if keep is None else list(keep)
    spans = chunks(samples, chunk or chunk_size(evaluator))
    parts = [({name: d[start:stop] for name, d in draws.items()}, stop - start) for start, stop in spans]
    if backend == "numpy":
        results = (evaluate_chunk(evaluator, base, part, m, keep) for part, m in parts)
    elif backend == "dask":
        from .distributed import map_chunks

        results = map_chunks(model, scenario, parts, keep, scheduler)
    else:
        raise ModelError([Diagnostic("usage", f"unknown backend {backend!r}", None, hint="numpy or dask")])
    outputs: dict[str, list[np.ndarray]] = {name: [] for name in keep}
    passes: dict[str, list[np.ndarray]] = {c.name: [] for c in checked.checks}
    elapsed = 0.0
    for values, chunk_passes, seconds in results:
        for name in keep:
            outputs[name].append(values[name])
        for name, passed in chunk_passes.items():
            passes[name].append(passed)
        elapsed += seconds
    values = {name: np.concatenate(found) for name, found in outputs.items()}
    probability = {name: float(np.concatenate(found).mean()) for name, found in passes.items()}
    return Simulation(checked, samples, seed, values, probability, elapsed)


def simulation_table(sim: Simulation) -> str:
    model = sim.model
    periods = [str(p) for p in model.timeline.periods]
    lines = [f"{model.title}  (scenario: {model.scenario}, {sim.samples:,} samples, seed {sim.seed}, "
             f"evaluation {sim.eval_seconds * 1000:.1f} ms)", ""]
    uncertain = [q.name for q in uncertain_inputs(model)]
    lines.append("uncertain inputs: " + (", ".join(uncertain) or "none (every sample equals the base case)"))
    lines.append("")
    rows = []
    steady = []
    for name, q in model.quantities.items():
        if q.unit is None or (q.kind == "input" and name not in uncertain):
            continue
        if not sim.varies(name):
            steady.append(name)
            continue
        shown, factor = report.display(q, sim.values[name][0], model.units)
        stats = sim.summary(name)
        for stat in ("p5", "p50", "p95", "mean"):
            cells = [report._cell(v * factor, False) if v is not None else "" for v in stats[stat]]
            rows.append([name if stat == "p5" else "", shown if stat == "p5" else "", stat] + cells)
    header = ["quantity", "unit", ""] + (periods if any(q.series for q in model.quantities.values()) else [])
    width = max(len(header), max((len(r) for r in rows), default=0))
    header += [""] * (width - len(header))
    widths = [max(len(str(r[i])) if i < len(r) else 0 for r in [header] + rows) for i in range(width)]
    for row in [header] + rows:
        row = row + [""] * (width - len(row))
        lines.append("  ".join([str(row[0]).ljust(widths[0]), str(row[1]).ljust(widths[1]), str(row[2]).ljust(4)]
                               + [str(c).rjust(w) for c, w in zip(row[3:], widths[3:])]).rstrip())
    if steady:
        lines.append("")
        lines.append(f"the same in every sample ({len(steady)}): " + ", ".join(steady))
    lines.append("")
    lines.append("probability that each check holds:")
    for name, p in sim.check_probability.items():
        lines.append(f"  {p * 100:6.2f} %  {name}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ explore


@dataclass
class Finding:
    check: str
    scenario: str
    inputs: dict[str, float]  # name -> value in the input's unit
    message: str


def explore(model, examples: int, seed: int = 0, scenarios: list[str] | None = None) -> tuple[list[dict], list[Finding]]:
    """Search every scenario's uncertain inputs for failing checks. Returns (per-check outcomes, findings)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    scenarios = scenarios or model.scenarios
    # Every setting explicit: a caller's Hypothesis profile (derandomize, database...) must not change
    # what a given --seed finds.
    config = settings(settings.get_profile("default"), max_examples=examples, database=None, deadline=None,
                      derandomize=False, suppress_health_check=list(HealthCheck),
                      phases=[Phase.generate, Phase.shrink])
    findings: list[Finding] = []
    outcomes: list[dict] = []
    for scenario in scenarios:
        checked = model.checked(scenario)
        names = [q.name for q in uncertain_inputs(checked)]
        strategy = st.fixed_dictionaries({name: st.integers(-STEPS, STEPS) for name in names})

        def to_values(ks: dict) -> dict[str, float]:
            out = {}
            for name, k in ks.items():
                q = checked.quantities[name]
                base = float(q.value[0])
                edge = q.high if k >= 0 else q.low
                out[name] = base + (edge - base) * abs(k) / STEPS
            return out

        try:  # each example reruns only what its changed inputs reach
            reference = model.run(scenario)
        except ModelError:
            reference = None

        def failing(ks: dict) -> set[str]:
            try:
                results = model.run(scenario, overrides=to_values(ks), since=reference)
            except ModelError as err:  # a runtime error (division by zero...) fails every check
                return {c.name for c in checked.checks} | {"__error__:" + err.diagnostics[0].message}
            return {c["name"] for c in results.checks if not c["passed"]}

        seen: set[str] = set()

        def record(ks):
            seen.update(failing(ks))
            return False

        try:
            find(strategy, record, settings=config, random=random.Random(seed))
        except NoSuchExample:
            pass
        for check in checked.checks:
            if check.name not in seen:
                outcomes.append({"scenario": scenario, "check": check.name, "passed": True})
                continue
            shrunk = find(strategy, lambda ks, name=check.name: name in failing(ks), settings=config,
                          random=random.Random(seed))
            values = to_values(shrunk)
            message = next(c["message"] for c in model.run(scenario, overrides=values).checks if c["name"] == check.name)
            finding = Finding(check.name, scenario, values, message)
            findings.append(finding)
            outcomes.append({"scenario": scenario, "check": check.name, "passed": False,
                             "counterexample": {n: v for n, v in values.items()}, "message": message})
    return outcomes, findings


def describe_finding(model, finding: Finding) -> str:
    checked = model.checked(finding.scenario)
    parts = []
    for name, value in finding.inputs.items():
        q = checked.quantities[name]
        base = float(q.value[0])
        if value == base:
            continue
        shown, factor = report.display(q, np.array([value]), checked.units)
        parts.append(f"{name} = {value * factor:.6g} {shown}".rstrip() + f" (base {base * factor:.6g})")
    inputs = "; ".join(parts) or "the base values"
    return f"FAIL [{finding.scenario}] {finding.check}\n    smallest counterexample: {inputs}\n    {finding.message}"
