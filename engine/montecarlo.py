"""Monte Carlo over the uncertain inputs, in memory that does not grow with the samples.

Sampling. Every uncertain input has its own random stream (Philox, keyed by the seed and the
input's name): sample i of an input is the i-th number of its stream, drawn only when the chunk
that holds sample i is evaluated. So a seed gives the same samples for every chunk size and
backend, and adding an input to the model changes no other input's draws. Each distribution is
sampled through its inverse CDF (`inverse_cdf`), truncated ones exactly between their bounds.

Evaluation. Each chunk runs the compiled plan of `unitsheet run` on arrays shaped (samples,
periods), in this process or on a Dask cluster (engine/distributed.py), and is folded, in sample
order, into running summaries of every quantity and period where the base case has a value:
- the mean: a running sum over every sample, in sample order (so the chunks change nothing);
- each check's probability: a count of the samples where it holds;
- p5, p50, p95: exact (np.percentile, linear interpolation) while every sample fits in
  EXACT_BUDGET; above it, from a log-bucket sketch (`LogSketch`, DDSketch) whose percentiles
  are within a relative ALPHA = 1e-4 (0.01 %) of the exact ones (engine/log_sketch.py).
A sample whose evaluation gives inf or NaN where the base case has a finite value fails: the
error names it and its inputs, or with drop_failed it is left out of every summary and counted.
Samples themselves are kept only for the quantities a caller names (keep=).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from . import ir, limits, report
from .diagnostics import Diagnostic, ModelError
from .evaluate import MATRIX
from .log_sketch import LogSketch
from .samples import (MEMORY_BUDGET, Chunk, Streams, chunk_size, chunks, evaluate_chunk,  # noqa: F401 (re-exported)
                      evaluate_samples, chunk_inputs, inverse_cdf, normal_between, summarised_cells,
                      uncertain_inputs)
from . import distributed
from .overrides import input_values

EXACT_BUDGET = 256 * 2**20  # bytes of samples held for exact percentiles; above, the sketch
MAX_SAMPLES = limits.SAMPLES.value
PERCENTILES = (5, 50, 95)  # the default; simulate(percentiles=...) and --percentiles choose others


def stat_names(percentiles) -> list[str]:
    """The statistics a simulation reports: p1, p5, p50, p97.5 ... and mean."""
    return [f"p{p:g}" for p in percentiles] + ["mean"]


class Summaries:
    """Running summaries of the summarised cells (columns of `add`), folded in sample order."""

    def __init__(self, cells: int, samples: int, percentiles=PERCENTILES):
        self.quantiles = tuple(percentiles)
        self.total, self.count = samples, 0  # samples to come, samples folded in so far
        self.first = None  # the first sample: the sum is of differences from it, so its error follows the spread
        self.shifted_sum = np.zeros(cells)
        self.low = np.full(cells, np.inf)
        self.high = np.full(cells, -np.inf)
        exact = samples * cells * 8 <= EXACT_BUDGET  # the sample count decides, not the chunks
        self.samples = np.empty((samples, cells)) if exact else None
        self.sketch = None if exact else LogSketch(cells)
        # Cells equal to the first sample in every sample so far stay out of the sketch (most
        # cells of a model do not vary): when one varies, its earlier samples go in at once.
        self.steady = np.ones(cells, dtype=bool)

    @property
    def alpha(self) -> float | None:
        """The percentiles' relative error bound; None: exact."""
        return None if self.sketch is None else self.sketch.alpha

    def add(self, x: np.ndarray) -> None:
        if not len(x):
            return
        if self.first is None:
            self.first = x[0].copy()
        low, high = x.min(axis=0), x.max(axis=0)
        if self.sketch is None:
            self.samples[self.count:self.count + len(x)] = x
        else:
            varies = np.flatnonzero(self.steady & ((low != self.first) | (high != self.first)))
            if self.count and varies.size:
                self.sketch.add(self.first[None, varies], varies, weight=self.count)
            self.steady[varies] = False
            columns = np.flatnonzero(~self.steady)
            if columns.size:
                self.sketch.add(x[:, columns], columns)
        np.minimum(self.low, low, out=self.low)
        np.maximum(self.high, high, out=self.high)
        for row in (x - self.first) / self.total:  # one running sum in sample order, whatever the chunks
            self.shifted_sum += row  # (divided by the sample count: a sum of huge values cannot overflow)
        self.count += len(x)

    def mean(self) -> np.ndarray:
        return self.first + self.shifted_sum * (self.total / self.count)

    def percentiles(self) -> np.ndarray:
        """(len(self.quantiles), cells)."""
        if self.sketch is None:  # in place: no second copy of the samples
            return np.percentile(self.samples[:self.count], self.quantiles, axis=0, overwrite_input=True)
        return np.where(self.steady, self.first, self.sketch.percentiles(self.quantiles, self.low, self.high))


# ------------------------------------------------------------------------------ simulate


@dataclass
class Failure:
    """The first sample that failed: its number (from 1), its uncertain inputs as displayed
    ({name: "309.2 USD"}) and what went wrong in it."""

    sample: int
    inputs: dict[str, str]
    message: str

    def inputs_text(self) -> str:
        return ", ".join(f"{name} = {value}" for name, value in self.inputs.items()) or "no uncertain input"

    def describe(self) -> str:
        return f"sample {self.sample:,} ({self.inputs_text()})"


@dataclass
class Simulation:
    model: ir.CheckedModel
    samples: int  # asked for; `samples - dropped` went into the summaries
    seed: int
    values: dict[str, np.ndarray]  # the samples of the quantities asked for (keep=): name -> (samples, periods)
    check_probability: dict[str, float]
    eval_seconds: float
    stats: dict[str, dict[str, list]]  # name -> {"p5", "p50", "p95", "mean"} (stat_names): per period, None where undefined
    varying: set[str]  # the quantities that differ between samples
    alpha: float | None = None  # the percentiles' relative error bound (the sketch's); None: exact
    dropped: int = 0  # samples left out (drop_failed)
    failure: Failure | None = None  # the first of them
    stat_names: list[str] = field(default_factory=lambda: stat_names(PERCENTILES))  # p5, p50, p95, mean

    def __str__(self) -> str:
        return simulation_table(self)

    def _repr_html_(self) -> str:  # a notebook shows the table the command prints
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def summary(self, name: str) -> dict[str, list[float]]:
        """p5, p50, p95 and mean per period (one entry for a single value); None where undefined."""
        return {stat: list(values) for stat, values in self.stats[name].items()}

    def varies(self, name: str) -> bool:
        return name in self.varying

    def percentile_note(self) -> str:
        if self.alpha is None:
            return "percentiles exact"
        return f"percentiles within {self.alpha:.2g} relative (log-bucket sketch)"

    def to_dict(self) -> dict:
        units = self.model.units
        quantities = {}
        for name, q in self.model.quantities.items():
            if q.unit is None:
                continue
            entry = {"unit": units.text(q.unit), "kind": "series" if q.series else "scalar"}
            entry.update({k: (v if q.series else v[0]) for k, v in self.stats[name].items()})
            if report.shows_period(q):  # a period found: the period holding each statistic's date
                entry.update({"unit": "period", **{k: report.period_label(v, self.model.timeline)
                                                   if v is not None else None for k, v in entry.items()
                                                   if k in self.stat_names}})
            quantities[name] = entry
        percentiles = {"method": "exact"} if self.alpha is None else \
            {"method": "log-bucket sketch (DDSketch)", "relative_error": self.alpha}
        dropped = {"count": self.dropped}
        if self.failure is not None:
            dropped["first"] = {"sample": self.failure.sample, "inputs": self.failure.inputs,
                                "error": self.failure.message}
        return {"model": self.model.title, "scenario": self.model.scenario, "samples": self.samples,
                "seed": self.seed, "eval_seconds": self.eval_seconds, "percentiles": percentiles,
                "dropped": dropped, "timeline": list(self.model.timeline.periods),
                "quantities": quantities, "correlations": correlations_data(self.model),
                "checks": [{"name": k, "probability": p} for k, p in self.check_probability.items()]}


def correlations_data(model) -> list[dict]:
    """Each stated pair: its inputs, its rank correlation, the statement's note and sources."""
    return [{"inputs": [a, b], "rank_correlation": rho, "note": c.note, "sources": [s.to_dict() for s in c.sources]}
            for c in model.correlations for a, b, rho in c.pairs()]


def simulate(model, samples: int, seed: int = 0, scenario: str = "base", chunk: int | None = None,
             keep=None, backend: str = "numpy", scheduler: str | None = None,
             drop_failed: bool = False, percentiles=PERCENTILES, sink=None, stream=(), progress=None) -> Simulation:
    """Monte Carlo: every uncertain input drawn `samples` times (seeded: the same seed gives the
    same numbers on every backend and chunk size), the compiled plan run on (samples, periods)
    arrays one chunk at a time (chunk: samples per chunk; default from MEMORY_BUDGET), each
    chunk folded into the summaries (see the module's docstring), so memory stays bounded.
    keep: the quantities whose samples are kept in .values (memory grows with the samples).
    A sample with inf or NaN where the base case is finite raises a ModelError naming the
    sample and its inputs; drop_failed: such samples are left out and counted instead.
    backend "dask" runs the chunks on a Dask cluster (engine/distributed.py): a local one, or
    the scheduler at `scheduler`. percentiles: which to report (0 < p < 100), p5, p50, p95 by default.
    sink(first sample, draws, values): called with each chunk in sample order (failed samples too),
    `stream` the quantities whose values it gets (not kept: engine/samples_out.py writes them).
    progress(done, expected): told of the samples to come, then of each chunk's (engine/progress.py)."""
    _check_request(samples, backend)
    percentiles = _check_percentiles(percentiles)
    checked = model.checked(scenario)
    evaluator = model.evaluator(scenario)
    base = input_values(checked, {})
    keep = list(keep or ())
    blanks = sorted(evaluator.blank)  # first_period, periods_before: summarised apart, blanks left out
    kept_names = list(dict.fromkeys(keep + blanks))
    evaluated = list(dict.fromkeys(kept_names + list(stream)))
    # numpy's warnings (overflow in a sample...) never reach the user: failures are reported as such
    with np.errstate(all="ignore"), warnings.catch_warnings(), contextlib.ExitStack() as stack:
        warnings.simplefilter("ignore", RuntimeWarning)
        client = stack.enter_context(distributed.connect(scheduler)) if backend == "dask" else None  # before any draw
        # the base case first: if it cannot be evaluated, that is the error (as for `unitsheet run`)
        cells = summarised_cells(evaluator, model.run(scenario).env[MATRIX])
        streams = Streams(seed, uncertain_inputs(checked), checked.correlations)
        draws = _draws(streams, samples, chunk or chunk_size(evaluator))
        if backend == "dask":  # the blanks' samples too: the fold summarises them apart
            results = distributed.map_chunks(client, model, scenario, draws, evaluated)
        else:
            results = (evaluate_samples(evaluator, base, cells, d, m, evaluated) for d, m in draws)
        fold = _Fold(len(cells), samples, checked.checks, kept_names, percentiles)
        explain = lambda index: _failure(checked, evaluator, base, streams, index, samples)  # noqa: E731
        progress = progress or (lambda done, expected=0: None)
        progress(0, samples)
        for result in results:  # in chunk order
            start = fold.start
            fold.add(result, explain, drop_failed)
            if sink is not None:  # the draws again: a chunk's draws are the same wherever they are made
                sink(start, streams.draw(start, start + len(result.failed)), result.kept)
            progress(len(result.failed))
        if fold.summaries.count == 0:  # every sample failed: nothing to summarise
            raise ModelError([replace(fold.error.diagnostics[0],
                                      notes=(f"every one of the {samples:,} samples failed",))], fold.error.sources)
        stats, varying = _stats(checked, evaluator, cells, fold.summaries)
        for name in blanks:
            stats[name], varies = _blank_stats(np.concatenate(fold.kept[name])[:, 0], percentiles)
            varying |= {name} if varies else set()
    return fold.simulation(checked, seed, stats, varying)


def _check_percentiles(percentiles) -> tuple[float, ...]:
    """Distinct percentiles above 0 and below 100, in order; a usage error otherwise."""
    try:
        values = sorted({float(p) for p in percentiles})
    except (TypeError, ValueError):
        values = []
    if not values or not all(0 < p < 100 for p in values):
        raise ModelError([Diagnostic("usage", f"percentiles are numbers above 0 and below 100, not {percentiles!r}",
                                     None, hint="e.g. --percentiles 1,5,50,95,99")])
    return tuple(values)


def _check_request(samples: int, backend: str) -> None:
    """A sample count within the limit and a known backend, or a usage error."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise ModelError([Diagnostic("usage", f"cannot simulate {samples:,} samples: the limit is {MAX_SAMPLES:,}",
                                     None, hint=f"at {MAX_SAMPLES:,} samples a percentile's sampling error is "
                                                "already below 0.0001 standard deviations")])
    if backend not in ("numpy", "dask"):
        raise ModelError([Diagnostic("usage", f"unknown backend {backend!r}", None, hint="numpy or dask")])


def _draws(streams: Streams, samples: int, size: int):
    """(draws, m) per chunk of `size` samples, each chunk drawn when it is evaluated (or submitted)."""
    return ((streams.draw(start, min(start + size, samples)), min(size, samples - start))
            for start in range(0, samples, size))


class _Fold:
    """The chunks' results folded in sample order: the summaries, how many samples pass each
    check, the samples of the quantities kept, and the samples that failed (the first one's
    Failure and error)."""

    def __init__(self, cells: int, samples: int, checks, kept_names: list[str], percentiles=PERCENTILES):
        self.samples = samples
        self.summaries = Summaries(cells, samples, percentiles)
        self.passes = {c.name: 0 for c in checks}
        self.kept: dict[str, list[np.ndarray]] = {name: [] for name in kept_names}
        self.start = self.dropped = 0  # samples folded so far (failed ones too); failed ones
        self.seconds = 0.0
        self.failure: Failure | None = None
        self.error: ModelError | None = None

    def add(self, result: Chunk, explain, drop_failed: bool) -> None:
        """Fold the next chunk's result. explain(index): the Failure and the ModelError of sample
        `index` (from 0); the first failure raises its error unless drop_failed."""
        ok = ~result.failed
        if not ok.all():
            if self.failure is None:
                self.failure, self.error = explain(self.start + int(np.argmin(ok)))
                if not drop_failed:
                    raise self.error
            self.dropped += int(result.failed.sum())
        self.summaries.add(result.values[ok])
        for name, passed in result.passes.items():
            self.passes[name] += int(np.count_nonzero(passed[ok]))
        for name in self.kept:
            self.kept[name].append(result.kept[name][ok])
        self.seconds += result.seconds
        self.start += len(ok)

    def simulation(self, checked, seed: int, stats: dict, varying: set) -> Simulation:
        """What was folded, with the statistics drawn from it (stats, varying: _stats)."""
        kept = {name: np.concatenate(found) for name, found in self.kept.items()}
        probability = {name: n / self.summaries.count for name, n in self.passes.items()}
        return Simulation(checked, self.samples, seed, kept, probability, self.seconds, stats, varying,
                          self.summaries.alpha, self.dropped, self.failure, stat_names(self.summaries.quantiles))


def _failure(checked, evaluator, base, streams, index: int, samples: int) -> tuple[Failure, ModelError]:
    """Sample `index` (from 0) failed: run it alone, verified, for the error that says where and why."""
    draws = streams.draw(index, index + 1)
    inputs = {}
    for q in streams.quantities:
        shown, factor = report.display(q, draws[q.name], checked.units)
        inputs[q.name] = f"{draws[q.name][0] * factor:.6g} {shown}".rstrip()
    try:
        evaluator.run(chunk_inputs(base, draws, 1), prefix=(1,))
        diagnostic, sources = Diagnostic("runtime", "a value is not a finite number", None), checked.sources_text
    except ModelError as err:
        diagnostic, sources = err.diagnostics[0], err.sources
    failure = Failure(index + 1, inputs, diagnostic.message)
    scenario = None if checked.scenario == "base" else checked.scenario  # as Model.run names it
    error = ModelError([replace(diagnostic, scenario=diagnostic.scenario or scenario,
                                message=f"{diagnostic.message}, in sample {failure.sample:,} of {samples:,}: "
                                        f"{failure.inputs_text()}",
                                hint=(diagnostic.hint + "; " if diagnostic.hint else "")
                                + "or leave such samples out with --drop-failed")], sources)
    return failure, error


def _stats(checked, evaluator, cells, summaries) -> tuple[dict, set]:
    """Per quantity: p5, p50, p95 and mean per period (None where the base case has no value),
    and the set of quantities that vary."""
    columns = {int(cell): j for j, cell in enumerate(cells)}
    percentiles, mean = summaries.percentiles(), summaries.mean()
    rows = dict(zip(stat_names(summaries.quantiles), (*percentiles, mean)))
    stats, varying = {}, set()
    for name, q in checked.quantities.items():
        if q.unit is None:
            continue
        first = evaluator.row_of[name] * evaluator.n
        found = [columns.get(first + p) for p in range(evaluator.n if q.series else 1)]
        stats[name] = {stat: [None if j is None or not np.isfinite(row[j]) else float(row[j]) for j in found]
                       for stat, row in rows.items()}
        if any(j is not None and summaries.high[j] > summaries.low[j] for j in found):
            varying.add(name)
    return stats, varying


def _blank_stats(values: np.ndarray, percentiles=PERCENTILES) -> tuple[dict, bool]:
    """p5, p50, p95 and mean of a value that is blank in some samples (no period found): over the
    samples that have one, exactly; None when none has. Whether it varies (a blank counts)."""
    found = values[~np.isnan(values)]
    if not found.size:
        return {stat: [None] for stat in stat_names(percentiles)}, False
    values_at = [float(v) for v in np.percentile(found, percentiles)] + [float(found.mean())]
    varies = found.size < values.size or bool(found.max() > found.min())
    return {stat: [v] for stat, v in zip(stat_names(percentiles), values_at)}, varies


def simulation_table(sim: Simulation) -> str:
    model = sim.model
    periods = model.timeline.labels()
    lines = [f"{model.title}  (scenario: {model.scenario}, {sim.samples:,} samples, seed {sim.seed}, "
             f"{sim.percentile_note()}, evaluation {sim.eval_seconds * 1000:.1f} ms)", ""]
    if sim.failure is not None:
        lines.append(f"dropped {sim.dropped:,} of {sim.samples:,} samples (inf or NaN where the base case has a "
                     f"number); the first: {sim.failure.describe()}: {sim.failure.message}")
        lines.append(f"percentiles, means and check probabilities are over the other "
                     f"{sim.samples - sim.dropped:,} samples")
        lines.append("")
    uncertain = [q.name for q in uncertain_inputs(model)]
    lines.append("uncertain inputs: " + (", ".join(uncertain) or "none (every sample equals the base case)"))
    if model.correlations:
        lines.append("rank correlations: " + ", ".join(f"{a} ~ {b} {rho:g}" for c in model.correlations
                                                       for a, b, rho in c.pairs()))
    lines.append("")
    rows = []
    steady = []
    for name, q in model.quantities.items():
        if q.unit is None or (q.kind == "input" and name not in uncertain):
            continue
        if not sim.varies(name):
            steady.append(name)
            continue
        stats = sim.summary(name)
        middle = stats[sim.stat_names[len(sim.stat_names) // 2 - 1]]  # the display unit is chosen on the median's row
        shown, factor = report.display(q, np.array([np.nan if v is None else v for v in middle]), model.units)
        stat_names = sim.stat_names
        every = report.cells([v for stat in stat_names for v in stats[stat]], q, model.units, factor, model.timeline)
        for i, stat in enumerate(stat_names):  # one set of decimals for the quantity's statistics
            cells = every[i * len(stats[stat]):(i + 1) * len(stats[stat])]
            rows.append([name if i == 0 else "", shown if i == 0 else "", stat] + cells)
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
        lines.append(f"the same in every sample ({len(steady)}): " + _steady_summary(model, steady))
    lines.append("")
    lines.append("probability that each check holds:")
    for name, p in sim.check_probability.items():
        lines.append(f"  {p * 100:6.2f} %  {name}")
    return "\n".join(lines) + "\n"


STEADY_SHOWN = 12  # entries listed under "the same in every sample"; --format json gives every quantity


def _steady_summary(model, steady: list[str]) -> str:
    """The quantities the same in every sample, a dimensioned quantity whose every item is as one
    entry (`revenue (300 items)`), at most STEADY_SHOWN entries: 300 names said nothing."""
    dims, entries, seen = model.dimensions, [], set()
    rows = set(steady)
    for name in steady:
        quantity = dims.quantity_of(name)
        if quantity in seen:
            continue
        items = dims.names(quantity) if quantity != name else [name]
        if len(items) > 1 and rows.issuperset(items):
            seen.add(quantity)
            entries.append(f"{quantity} ({len(items)} items)")
        else:
            entries.append(name)
    more = len(entries) - STEADY_SHOWN
    return ", ".join(entries[:STEADY_SHOWN]) + (f" and {more} more (--format json gives every quantity)" if more > 0 else "")
