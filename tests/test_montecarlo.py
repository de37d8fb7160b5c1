"""Monte Carlo (engine/montecarlo.py), issue "Hostile input, second round":
19. truncated distributions are sampled exactly between their bounds, however far in a tail;
20. the summaries come from running sums and a sketch in bounded memory, the draws from one
    stream per input, so that neither the chunk size nor the backend changes a number;
21. a sample that overflows is named with its inputs, or dropped and counted (--drop-failed),
    and numpy's warnings never reach the user."""

import json
import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from scipy.stats import truncnorm

from unitsheet import engine
from unitsheet.engine import montecarlo
from unitsheet.engine.log_sketch import ALPHA, LogSketch
from unitsheet.engine.montecarlo import MAX_SAMPLES, Streams, inverse_cdf
from unitsheet.engine.uncertainty import simulate

HEADER = 'model "m"\ntimeline 2025..2027 yearly\n'
QUANTILES = (0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999)


def assert_quantiles(samples: np.ndarray, ppf) -> None:
    """At each analytic quantile x_q, the share of samples <= x_q is q within 5 binomial
    standard errors of the empirical CDF (sqrt(q (1 - q) / n))."""
    n = len(samples)
    for q in QUANTILES:
        share = np.count_nonzero(samples <= ppf(q)) / n
        assert abs(share - q) <= 5 * math.sqrt(q * (1 - q) / n), (q, share)


def standard_bounds(dist) -> tuple[float, float]:
    """scipy.stats.truncnorm's a, b: the bounds in standard units (of ln x for a lognormal)."""
    kind, centre, spread, lo, hi = dist
    if lo is None:
        return -np.inf, np.inf
    if kind == "normal":
        return (lo - centre) / spread, (hi - centre) / spread
    return (math.log(lo / centre) / spread if lo > 0 else -np.inf), math.log(hi / centre) / spread


def analytic_ppf(dist):
    kind, centre, spread, _, _ = dist
    a, b = standard_bounds(dist)
    if kind == "normal":
        return lambda q: centre + spread * truncnorm.ppf(q, a, b)
    return lambda q: centre * np.exp(spread * truncnorm.ppf(q, a, b))


# ------------------------------------------------------------------------------ 19. truncation


def test_a_normal_truncated_far_from_its_mass_fills_its_bounds():
    """normal(0, 1) cut to [0, 1e-6]: 4e-7 of its mass. Resampling then clipping put 99.96 % of
    the samples on a bound; the inverse CDF spreads them as the truncated density says."""
    model = engine.loads(HEADER + "input x = normal(0 USD, 1 USD, 0 USD, 0.000001 USD)\n", "m.ush")
    x = simulate(model, 100_000, seed=1, keep=["x"]).values["x"][:, 0]
    assert x.min() >= 0 and x.max() <= 1e-6
    assert np.count_nonzero((x == 0) | (x == 1e-6)) <= 1
    assert_quantiles(x, analytic_ppf(("normal", 0.0, 1.0, 0.0, 1e-6)))


@pytest.mark.parametrize("dist", [
    ("normal", 0.0, 1.0, -1.0, 1.0),  # bounds around the centre
    ("normal", 10.0, 2.0, 13.0, 16.0),  # in one tail: 1.5 to 3 sd
    ("normal", 0.0, 1.0, 10.0, 12.0),  # far in the tail: both bounds 10+ sd above the mean
    ("normal", 0.0, 1.0, 40.0, 41.0),  # beyond where the normal CDF underflows (about 38 sd)
    ("normal", 0.0, 1.0, -41.0, -40.0),
    ("normal", 0.0, 1.0, -1e-6, 30.0),  # nearly one-sided, cut at the mean
    ("normal", 3.0, 2.0, 5.0, np.inf),  # one-sided
    ("normal", 3.0, 2.0, None, None),  # not truncated
    ("lognormal", 2.0, 0.5, 3.0, 10.0),
    ("lognormal", 1.0, 0.1, 10.0, 20.0),  # 23 to 30 sd above the median on the log scale
    ("lognormal", 1.0, 0.5, 0.0, 0.01),  # one-sided (low bound 0), in the lower tail
    ("lognormal", 2.0, 0.5, None, None),
])
def test_truncated_samples_have_the_analytic_quantiles(dist):
    u = Streams.uniforms(np.random.SeedSequence(7), 0, 200_000)
    x = inverse_cdf(dist, u)
    if dist[3] is not None:
        assert dist[3] <= x.min() and x.max() <= dist[4]
    assert_quantiles(x, analytic_ppf(dist))


@pytest.mark.parametrize("a, b", [(-1, 1), (1.5, 3), (10, 12), (40, 41), (-41, -40), (-12, -10), (2, np.inf),
                                  (-np.inf, np.inf)])
def test_the_inverse_cdf_keeps_its_precision_in_the_tails(a, b):
    """Point by point against scipy.stats.truncnorm, from u = 1e-12 to 1 - 1e-12."""
    u = np.array([1e-12, 1e-9, 1e-3, 0.3, 0.5, 0.7, 1 - 1e-3, 1 - 1e-9, 1 - 1e-12])
    z = montecarlo.normal_between(u, a, b)
    np.testing.assert_allclose(z, truncnorm.ppf(u, a, b), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------ 20. bounded memory

SMALL = HEADER + """input a = normal(10 USD, 3 USD, 0 USD, 30 USD)
input b = triangular(-2 USD, 1 USD, 4 USD)
input g = lognormal(5 %, 0.5)
s[2025] = a + b
s[2026..] = s[t-1] * (1 + g) - b
check "positive": s > 0 USD
"""


def summaries(sim) -> dict:
    data = sim.to_dict()
    del data["eval_seconds"]
    return data


@pytest.mark.parametrize("sketch", [False, True])
@pytest.mark.parametrize("which", ["openai", "small", "overflow"])
def test_the_chunk_size_changes_no_number(which, sketch, monkeypatch, root):
    """Chunks of 1, 7 and 1000 samples: the same draws, sums in the same order, the same counts
    (and the same samples dropped)."""
    if sketch:
        monkeypatch.setattr(montecarlo, "EXACT_BUDGET", 0)
    model, name = {"openai": (engine.load(root / "models/openai_capex.ush"), "cash_balance"),
                   "small": (engine.loads(SMALL, "m.ush"), "s"),
                   "overflow": (engine.loads(OVERFLOW, "m.ush"), "y")}[which]
    runs = [simulate(model, 500, seed=3, chunk=size, keep=[name], drop_failed=True) for size in (1, 7, 1000)]
    assert runs[0].alpha == (ALPHA if sketch else None) and (runs[0].dropped > 0) == (which == "overflow")
    for other in runs[1:]:
        assert summaries(other) == summaries(runs[0])
        assert np.array_equal(other.values[name], runs[0].values[name], equal_nan=True)


def test_the_dask_backend_gives_the_same_summaries_on_a_two_worker_cluster(monkeypatch, root):
    from dask.distributed import LocalCluster

    import unitsheet.engine.distributed
    monkeypatch.setattr(montecarlo, "EXACT_BUDGET", 0)  # the sketch: folded on the client like the rest
    monkeypatch.setattr(engine.distributed, "CHUNKS_PER_THREAD", 1)  # a window of two chunks for 12
    model = engine.load(root / "models/openai_capex.ush")
    local = simulate(model, 3000, seed=11, chunk=100, keep=["cash_balance"])
    ahead = [0]  # chunks drawn but not yet folded, after each draw and each fold
    draw, fold = Streams.draw, montecarlo.Summaries.add

    def counted_draw(self, start, stop):
        ahead.append(ahead[-1] + 1)
        return draw(self, start, stop)

    def counted_fold(self, x):
        ahead.append(ahead[-1] - 1)
        return fold(self, x)

    monkeypatch.setattr(Streams, "draw", counted_draw)
    monkeypatch.setattr(montecarlo.Summaries, "add", counted_fold)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = simulate(model, 3000, seed=11, chunk=250, keep=["cash_balance"], backend="dask",
                          scheduler=cluster.scheduler_address)
    assert max(ahead) == 2  # the window: each chunk drawn when one of two slots is free
    assert summaries(remote) == summaries(local)
    assert np.array_equal(remote.values["cash_balance"], local.values["cash_balance"], equal_nan=True)


def test_the_dask_backend_summarises_a_first_period_as_numpy_does():
    """The workers were sent the kept quantities without first_period()'s, which the fold
    summarises apart: 'internal error (KeyError: when)'."""
    from dask.distributed import LocalCluster

    model = engine.loads('model "fp"\ntimeline 2025..2030 yearly\ninput g = 0.1 .. 0.3\n    base 0.2\n'
                         "cash[2025] = 100 USD\ncash[2026..] = cash[t-1] * (1 - g)\n    rollup last\n"
                         "low = cash < 60 USD\nwhen = first_period(low[2025..2030])\n", "fp.ush")
    local = simulate(model, 400, seed=3, chunk=100)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = simulate(model, 400, seed=3, chunk=100, backend="dask", scheduler=cluster.scheduler_address)
    assert remote.summary("when") == local.summary("when") and local.summary("when")["p50"][0] is not None


def test_the_draws_are_the_same_wherever_a_chunk_starts():
    model = engine.loads(SMALL, "m.ush")
    streams = Streams(5, montecarlo.uncertain_inputs(model.checked()))
    whole = streams.draw(0, 1000)
    for start, stop in [(0, 1), (1, 5), (3, 10), (997, 1000), (500, 777)]:
        part = streams.draw(start, stop)
        assert all(np.array_equal(part[name], whole[name][start:stop]) for name in whole)
    # one stream per input: an input added to the model changes no other input's draws
    wider = engine.loads(SMALL + "input c = uniform(0 USD, 1 USD)\n", "m.ush")
    more = Streams(5, montecarlo.uncertain_inputs(wider.checked())).draw(0, 1000)
    assert all(np.array_equal(more[name], whole[name]) for name in whole)


def test_means_and_probabilities_are_sums_over_every_sample():
    model = engine.loads(SMALL, "m.ush")
    sim = simulate(model, 20_000, seed=2, chunk=333, keep=["s"])
    s = sim.values["s"]
    np.testing.assert_allclose(sim.summary("s")["mean"], s.mean(axis=0), rtol=1e-12)
    assert sim.summary("s")["p50"] == [float(v) for v in np.percentile(s, 50, axis=0)]  # exact at this size
    assert sim.check_probability["positive"] == np.count_nonzero((s > 0).all(axis=1)) / 20_000


def test_sketched_percentiles_are_within_the_stated_relative_error(monkeypatch, root):
    model = engine.load(root / "models/openai_capex.ush")
    exact = simulate(model, 5_000, seed=1)
    monkeypatch.setattr(montecarlo, "EXACT_BUDGET", 0)
    sketched = simulate(model, 5_000, seed=1)
    assert exact.alpha is None and sketched.alpha == ALPHA
    assert sketched.check_probability == exact.check_probability
    compared = 0
    for name in exact.stats:
        for stat in ("p5", "p50", "p95"):
            for e, s in zip(exact.summary(name)[stat], sketched.summary(name)[stat]):
                assert (e is None) == (s is None)
                if e is not None:  # no quantity of this model changes sign between neighbouring samples
                    assert abs(s - e) <= ALPHA * abs(e) * (1 + 1e-9), (name, stat, e, s)
                    compared += 1
        assert sketched.summary(name)["mean"] == exact.summary(name)["mean"]
    assert compared > 500
    data = sketched.to_dict()
    assert data["percentiles"] == {"method": "log-bucket sketch (DDSketch)", "relative_error": ALPHA}
    assert "percentiles within 0.0001 relative" in montecarlo.simulation_table(sketched).splitlines()[0]
    assert exact.to_dict()["percentiles"] == {"method": "exact"}


def buckets(sketch: LogSketch) -> dict:
    """{(cell, sign, bucket): count} of a sketch's nonzero buckets."""
    out = {}
    for store in range(2 * sketch.cells):
        cell, sign = store % sketch.cells, 1 if store < sketch.cells else -1
        for i in range(sketch.lo[store], sketch.hi[store] + 1):
            count = int(sketch.counts[sketch.start[store] + i - sketch.lo[store]])
            if count:
                out[cell, sign, i] = count
    for cell, count in enumerate(sketch.zeros):
        if count:
            out[cell, 0, 0] = int(count)
    return out


def direct_buckets(x: np.ndarray, log_gamma: float, merges: int) -> dict:
    out = {}
    for (_, cell), v in np.ndenumerate(x):
        fine = 0 if v == 0 else int(np.ceil(np.log(abs(v)) / log_gamma))
        key = (cell, int(np.sign(v)), -(-fine >> merges))  # ceil(fine / 2**merges)
        out[key] = out.get(key, 0) + 1
    return out


def test_the_sketch_merges_buckets_when_it_outgrows_its_budget_and_says_so():
    """Values of both signs, zeros, and a budget of 400 buckets: the buckets merge (alpha about
    doubles each time), the same whichever chunks the samples come in, and every percentile
    stays within the alpha it reports (alpha times the larger neighbour across a sign change)."""
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.lognormal(0, 3, 5000) * rng.choice([-1, 0, 1], 5000), rng.normal(50, 1, 5000)])
    both = np.arange(2)
    whole = LogSketch(2, max_buckets=400)
    whole.add(x, both)
    parts = LogSketch(2, max_buckets=400)
    for start in range(0, 5000, 777):
        parts.add(x[start:start + 777], both)
    assert whole.merges == parts.merges > 0
    assert whole.alpha > 2 ** whole.merges * ALPHA * 0.99
    qs = (1, 5, 30, 50, 70, 95, 99)
    got = whole.percentiles(qs, x.min(axis=0), x.max(axis=0))
    for sketch in (whole, parts):  # every count where a direct bucketing at the final resolution puts it
        assert buckets(sketch) == direct_buckets(x, sketch.log_gamma, sketch.merges)
    every = np.arange(0, 100.5, 0.5)
    assert np.array_equal(whole.percentiles(every, x.min(axis=0), x.max(axis=0)),
                          parts.percentiles(every, x.min(axis=0), x.max(axis=0)))
    ordered = np.sort(x, axis=0)
    for j, q in enumerate(qs):
        rank = q / 100 * (len(x) - 1)
        k = math.floor(rank)
        neighbours = np.abs(ordered[[k, k + 1]]).max(axis=0)
        assert (np.abs(got[j] - np.percentile(x, q, axis=0)) <= whole.alpha * neighbours * (1 + 1e-9)).all(), q


def test_memory_does_not_grow_with_the_samples(monkeypatch, root):
    """Above the exact budget nothing per sample is kept: 40,000 samples (14 chunks) peak as 4,000 (2) do."""
    monkeypatch.setattr(montecarlo, "EXACT_BUDGET", 0)
    model = engine.load(root / "models/openai_capex.ush")
    simulate(model, 1000, seed=1)  # compiled and warm
    peaks = []
    for n in (4_000, 40_000):
        tracemalloc.start()
        sim = simulate(model, n, seed=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert sim.values == {}
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_a_sample_count_beyond_the_limit_is_a_usage_error_naming_it(capsys, root):
    from conftest import run_cli

    code, _, err = run_cli(["simulate", root / "models/openai_capex.ush", "-n", "1e12"], capsys)
    assert code == 2 and f"{MAX_SAMPLES:,}" in err and "internal error" not in err


def test_the_dask_backend_without_dask_fails_before_drawing_a_sample(monkeypatch, root):
    drawn = []
    monkeypatch.setattr(Streams, "draw", lambda self, start, stop: drawn.append((start, stop)))
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import dask.distributed: ImportError
    model = engine.load(root / "models/openai_capex.ush")
    with pytest.raises(engine.ModelError, match="needs dask.distributed"):
        simulate(model, 100_000, backend="dask")
    assert drawn == []


# ------------------------------------------------------------------------------ 21. failing samples

# 10^a overflows for a > 308.25: about 0.6 % of the samples
OVERFLOW = HEADER + """input a = uniform(0, 310)
input b = normal(5 USD, 1 USD)
y = 10 ^ a * b
check "below 1e300": y < 1e300 USD
"""


def first_failures(model, n: int, seed: int):
    draws = Streams(seed, montecarlo.uncertain_inputs(model.checked())).draw(0, n)
    with np.errstate(over="ignore"):
        failed = ~np.isfinite(10 ** draws["a"] * draws["b"])
    return draws, failed


def test_the_first_failing_sample_is_named_with_every_uncertain_input():
    model = engine.loads(OVERFLOW, "m.ush")
    draws, failed = first_failures(model, 10_000, 4)
    i = int(np.argmax(failed))
    with pytest.raises(engine.ModelError) as caught:
        simulate(model, 10_000, seed=4, chunk=999)
    message = caught.value.diagnostics[0].message
    assert message.startswith("overflow (the value is too large for a float) in `y`")
    assert f"in sample {i + 1:,} of 10,000: a = {draws['a'][i]:.6g}, b = {draws['b'][i]:.6g} USD" in message
    assert "--drop-failed" in caught.value.diagnostics[0].hint


def test_failing_samples_can_be_dropped_and_counted():
    model = engine.loads(OVERFLOW, "m.ush")
    draws, failed = first_failures(model, 10_000, 4)
    sim = simulate(model, 10_000, seed=4, chunk=999, keep=["a"], drop_failed=True)
    assert 0 < sim.dropped == np.count_nonzero(failed)
    assert sim.failure.sample == int(np.argmax(failed)) + 1
    kept = draws["a"][~failed]
    assert np.array_equal(sim.values["a"][:, 0], kept)
    assert sim.summary("a")["p50"] == [float(np.percentile(kept, 50))]
    y = 10 ** kept * draws["b"][~failed]
    assert sim.check_probability["below 1e300"] == np.count_nonzero(y < 1e300) / len(kept)
    data = sim.to_dict()
    assert data["dropped"]["count"] == sim.dropped and data["dropped"]["first"]["sample"] == sim.failure.sample


def unitsheet(args, cwd):
    return subprocess.run([sys.executable, "-m", "unitsheet", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_command_line_reports_failing_samples_without_numpy_warnings(tmp_path):
    """A lognormal with a huge sigma overflows in some samples (and in the checker's bounds):
    numpy's RuntimeWarnings must not reach stderr, with or without --drop-failed."""
    (tmp_path / "m.ush").write_text(HEADER + "input c = lognormal(1 USD, 300)\nw = c * 2\n"
                                    + OVERFLOW.split("\n", 2)[2])
    failed = unitsheet(["simulate", "m.ush", "-n", "5000"], tmp_path)
    assert failed.returncode == 2 and "RuntimeWarning" not in failed.stderr, failed.stderr
    assert "in sample " in failed.stderr and "c = " in failed.stderr and "a = " in failed.stderr
    dropped = unitsheet(["simulate", "m.ush", "-n", "5000", "--drop-failed"], tmp_path)
    assert dropped.returncode == 0 and "RuntimeWarning" not in dropped.stderr, dropped.stderr
    assert "dropped " in dropped.stdout and " of 5,000 samples" in dropped.stdout
    assert "percentiles, means and check probabilities are over the other" in dropped.stdout
    as_json = unitsheet(["simulate", "m.ush", "-n", "5000", "--drop-failed", "--format", "json"], tmp_path)
    data = json.loads(as_json.stdout)
    assert data["dropped"]["count"] > 0 and "RuntimeWarning" not in as_json.stderr


def test_simulate_draws_the_histogram_of_one_output_with_its_percentiles(tmp_path, capsys, monkeypatch, root):
    """(issue 27 item 5) --hist OUTPUT[PERIOD] -o hist.png: every sample of that output, in its
    display unit, the p5, p50 and p95 the table prints marked."""
    from conftest import run_cli

    from unitsheet.engine import plot

    drawn = {}
    write_png = plot.write_png

    def keep(fig, output, model_file=None):
        ax = fig.axes[0]
        drawn.update(title=ax.get_title(), bars=[p.get_height() for p in ax.patches],
                     lines={line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}, xlabel=ax.get_xlabel())
        write_png(fig, output, model_file)
    monkeypatch.setattr(plot, "write_png", keep)
    png = tmp_path / "hist.png"
    model = root / "models/openai_capex.ush"
    code, out, err = run_cli(["simulate", model, "-n", "3000", "--seed", "4", "--hist", "cash_balance[2027-06]",
                              "-o", png, "--format", "json"], capsys)
    assert code == 0, err
    p50 = json.loads(out)["quantities"]["cash_balance"]["p50"][29]  # 2027-06: the 30th month
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(drawn["bars"]) == 50 and sum(drawn["bars"]) == 3000
    assert "cash_balance[2027-06], 3,000 samples (seed 4, base)" in drawn["title"]
    assert "billion USD" in drawn["xlabel"]
    [(label, x)] = [(k, v) for k, v in drawn["lines"].items() if k.startswith("p50")]
    assert x == pytest.approx(p50 / 1e9, rel=1e-12)
    code, _, err = run_cli(["simulate", model, "--hist", "cash_balance[2027-06]"], capsys)
    assert code == 2 and "go together" in err
    code, _, err = run_cli(["simulate", model, "--hist", "nope", "-o", png], capsys)
    assert code == 2 and "no quantity named `nope`" in err


def test_the_same_in_every_sample_is_summarised_not_listed(capsys):
    """300 names said nothing: a quantity whose every item is the same is one entry, and at most
    12 entries are listed."""
    items = ", ".join(f"i{k}" for k in range(30))
    text = ('model "s"\ntimeline 2025..2026 yearly\ndimension item = {' + items + '}\n'
            "input g = 0.1 .. 0.3\n    base 0.2\ninput fixed by item = 3 USD\ndoubled = fixed * 2\ny = 2 USD * (1 + g)\n"
            + "".join(f"d{k} = {k} USD * 2\n" for k in range(14)))
    out = montecarlo.simulation_table(simulate(engine.loads(text, "s.ush"), 100, seed=1))
    line = next(l for l in out.splitlines() if l.startswith("the same in every sample"))
    assert line.startswith("the same in every sample (44): doubled (30 items), d0, d1,")
    assert line.endswith("d10 and 3 more (--format json gives every quantity)")


def test_the_percentiles_asked_for_are_reported_exact_and_from_the_sketch(monkeypatch, capsys, root):
    """(issue 27 item 5) --percentiles 1,5,50,95,99: each one, exactly numpy's over the kept
    samples while they fit the exact budget, within the sketch's bound above it."""
    from conftest import run_cli

    model = engine.load(root / "models/openai_capex.ush")
    sim = simulate(model, 4000, seed=2, keep=["cash_balance"], percentiles=(1, 5, 50, 95, 99))
    assert sim.stat_names == ["p1", "p5", "p50", "p95", "p99", "mean"]
    samples = sim.values["cash_balance"][:, 40]
    stats = sim.summary("cash_balance")
    for p in (1, 5, 50, 95, 99):
        assert stats[f"p{p}"][40] == pytest.approx(float(np.percentile(samples, p)), rel=1e-12)
    monkeypatch.setattr(montecarlo, "EXACT_BUDGET", 0)
    sketched = simulate(model, 4000, seed=2, percentiles=(2.5, 97.5))
    for p in (2.5, 97.5):
        assert sketched.summary("cash_balance")[f"p{p:g}"][40] == pytest.approx(
            float(np.percentile(samples, p)), rel=3 * sketched.alpha)
    monkeypatch.undo()
    code, out, _ = run_cli(["simulate", root / "models/openai_capex.ush", "-n", "500", "--percentiles", "10,90",
                            "--format", "json"], capsys)
    assert code == 0 and set(json.loads(out)["quantities"]["cash_balance"]) >= {"p10", "p90", "mean"}
    for bad in ("0,50", "50,100", "x", ""):
        code, _, err = run_cli(["simulate", root / "models/openai_capex.ush", "--percentiles", bad], capsys)
        assert code == 2 and "percentile" in err, bad
    with pytest.raises(engine.ModelError, match="above 0 and below 100"):
        simulate(model, 10, percentiles=(0, 50))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_samples_out_writes_every_samples_inputs_and_outputs_as_the_chunks_run(suffix, tmp_path, capsys, root):
    """(issue 27 item 5) --samples-out: one row per sample, the uncertain inputs as drawn and the
    chosen outputs, equal to what simulate keeps for the same seed, whatever the chunk; nothing
    kept in memory for it."""
    from conftest import run_cli

    from unitsheet.engine.samples_out import simulate_writing

    model = engine.load(root / "models/openai_capex.ush")
    kept = simulate(model, 1500, seed=9, chunk=400, keep=["cash_balance", "funding_gap"])
    path = tmp_path / f"samples{suffix}"
    written = simulate_writing(model, path, ["cash_balance[2027-06]", "funding_gap"], samples=1500, seed=9, chunk=250)
    assert written.values == {}  # streamed, not kept
    if suffix == ".csv":
        import csv

        rows = list(csv.reader(path.open()))
        header, body = rows[0], np.array([[float(v) if v else np.nan for v in r] for r in rows[1:]])
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        header, body = table.column_names, np.column_stack([table[c].to_numpy().astype(float) for c in table.column_names])
    assert header[0] == "sample" and header[-2:] == ["cash_balance[2027-06] (USD)", "funding_gap (USD)"]
    assert body.shape == (1500, len(header)) and (body[:, 0] == np.arange(1, 1501)).all()
    assert np.array_equal(body[:, -2], kept.values["cash_balance"][:, 29])
    assert np.array_equal(body[:, -1], kept.values["funding_gap"][:, 0])
    draws = montecarlo.Streams(9, montecarlo.uncertain_inputs(model.checked())).draw(0, 1500)
    assert np.array_equal(body[:, 1], draws["revenue_2030_ambition"])
    for argv, message in ([["--samples-out", tmp_path / "s.txt"], "writes .csv or .parquet"],
                          [["--outputs", "funding_gap"], "--outputs names what --samples-out writes"],
                          [["--samples-out", tmp_path / "t.csv", "--outputs", "nope"], "no quantity named `nope`"]):
        code, _, err = run_cli(["simulate", root / "models/openai_capex.ush", "-n", "100", *argv], capsys)
        assert code == 2 and message in err, err
    assert not (tmp_path / "t.csv").exists()  # nothing half-written
