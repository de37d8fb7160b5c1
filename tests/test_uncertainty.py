"""Uncertainty: Hypothesis exploration finds and shrinks failures; Monte Carlo matches analytic cases."""

import json
import math

import numpy as np
import openpyxl
import pytest

from unitsheet import engine
from unitsheet.engine.uncertainty import explore, simulate

HEADER = 'model "u"\ntimeline 2025..2027 yearly\n'


def test_explore_shrinks_to_the_analytic_boundary():
    # x * 2 < 15 USD fails for x > 7.5 USD; the base (5) passes.
    model = engine.loads(HEADER + "input x = 0 USD .. 10 USD\n    base 5 USD\ny = x * 2\n"
                                  'check "y below 15": y < 15 USD\n', "u.ush")
    outcomes, findings = explore(model, 200, seed=3)
    assert len(findings) == 1
    x = findings[0].inputs["x"]
    assert 7.5 <= x <= 7.5 + 1e-4, x  # y = 15 at x = 7.5 already fails `< 15`
    assert [o["passed"] for o in outcomes] == [False]


def test_explore_finds_the_boundary_below_the_base_and_the_failing_period():
    model = engine.loads(HEADER + "input g = 0 % .. 20 %\n    base 10 %\n"
                                  "v[2025] = 100 USD\nv[2026..] = v[t-1] * (1 + g) - 9 USD\n"
                                  'check "v never falls" for t in 2026..2027: v[t] >= v[t-1]\n', "u.ush")
    _, findings = explore(model, 200, seed=1)
    g = findings[0].inputs["g"]  # v falls when 100 g < 9: g < 9 %
    assert 9 - 1e-4 <= g < 9, g
    assert "2026" in findings[0].message


def test_explore_is_reproducible_and_covers_scenarios():
    text = (HEADER + "input x = 0 USD .. 10 USD\ninput limit = 25 USD\ny = x * 2\n"
            'check "y below the limit": y < limit\nscenario tight { limit = 12 USD }\n')
    a = explore(engine.loads(text, "u.ush"), 100, seed=7)
    b = explore(engine.loads(text, "u.ush"), 100, seed=7)
    assert a[0] == b[0]
    assert [f.scenario for f in a[1]] == ["tight"]


def test_monte_carlo_sum_of_uniforms():
    model = engine.loads(HEADER + "input a = uniform(0 USD, 1 USD)\ninput b = uniform(0 USD, 1 USD)\ns = a + b\n",
                         "u.ush")
    n = 200_000
    sim = simulate(model, n, seed=5, keep=["s"])
    s = sim.values["s"][:, 0]
    assert abs(s.mean() - 1.0) < 4 * math.sqrt(1 / 6 / n)
    assert abs(s.var() - 1 / 6) < 0.005
    # the triangular sum: P(s < 0.5) = 1/8
    assert abs((s < 0.5).mean() - 0.125) < 0.005


def test_monte_carlo_product_of_lognormals():
    model = engine.loads(HEADER + "input a = lognormal(2 USD, 0.3)\ninput b = lognormal(3 GW, 0.4)\np = a * b\n",
                         "u.ush")
    sim = simulate(model, 200_000, seed=9)
    stats = sim.summary("p")
    sigma = math.sqrt(0.3 ** 2 + 0.4 ** 2)
    assert stats["p50"][0] == pytest.approx(6.0, rel=0.01)
    assert stats["p95"][0] == pytest.approx(6.0 * math.exp(1.6448536 * sigma), rel=0.02)
    assert stats["mean"][0] == pytest.approx(6.0 * math.exp(sigma ** 2 / 2), rel=0.01)


def test_truncated_normal_respects_its_bounds_and_triangular_its_mode():
    model = engine.loads(HEADER + "input a = normal(10 USD, 5 USD, 8 USD, 20 USD)\n"
                                  "input b = 0 USD .. 10 USD\n    base 8 USD\n", "u.ush")
    sim = simulate(model, 50_000, seed=2, keep=["a", "b"])
    a = sim.values["a"][:, 0]
    assert a.min() >= 8 and a.max() <= 20
    b = sim.values["b"][:, 0]
    assert b.mean() == pytest.approx((0 + 8 + 10) / 3, rel=0.01)


def test_sampling_equals_run_when_every_range_collapses():
    text = (HEADER + "input a = uniform(5 USD, 5 USD)\ninput b = normal(2 GW, 0 GW)\ninput c = 3 USD/GW .. 3 USD/GW\n"
            "input r: USD/year = {2025..2027: 4}\nx = a + b * c\ny[2025] = x\ny[2026..] = y[t-1] + r[t] * 1 year\n"
            'check "positive": y > 0 USD\n')
    model = engine.loads(text, "u.ush")
    run = model.run()
    sim = simulate(model, 7, seed=1, keep=list(run.model.quantities))
    for name, q in run.model.quantities.items():
        expected = run.values[name] if q.series else run.values[name][:1]
        assert np.array_equal(sim.values[name], np.broadcast_to(expected, (7, expected.shape[-1]))), name
    assert sim.check_probability == {"positive": 1.0}


def test_simulation_is_reproducible_and_chunked_consistently():
    model = engine.load("models/openai_capex.ush")
    everything = list(model.checked().quantities)
    a = simulate(model, 3000, seed=4, keep=everything)
    b = simulate(model, 3000, seed=4, chunk=1000, keep=everything)
    for name in a.values:
        assert np.array_equal(a.values[name], b.values[name], equal_nan=True), name
    assert a.check_probability == b.check_probability


def test_openai_model_explore_and_simulate_cli(capsys, root):
    from unitsheet.engine.cli import main

    assert main(["simulate", str(root / "models/openai_capex.ush"), "-n", "2000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["samples"] == 2000
    cash = data["quantities"]["cash_balance"]
    # 2026-03, the first month after the anchor (months before it have no value)
    assert cash["p5"][14] < cash["p50"][14] < cash["p95"][14] and cash["p5"][0] is None
    assert all(0 <= c["probability"] <= 1 for c in data["checks"])
    code = main(["check", str(root / "models/openai_capex.ush"), "--explore", "200", "--scenario", "base"])
    out = capsys.readouterr().out
    assert code == 1 and "smallest counterexample: revenue_h1_2025 = 4.597" in out


def test_distribution_errors():
    for body, message in [("input a = uniform(3 USD)\n", "takes uniform"),
                          ("input a = triangular(1 USD, 5 USD, 3 USD)\n", "describe no values"),
                          ("input a = lognormal(-1 USD, 0.5)\n", "median must be positive"),
                          ("input a = lognormal(1 USD, 2 USD)\n", "plain number"),
                          ("input a = uniform(1 USD, 2 GW)\n", "first parameter of uniform")]:
        with pytest.raises(engine.ModelError, match=message):
            engine.loads(HEADER + body, "u.ush").run()


def test_export_with_a_simulation_sheet(tmp_path, root):
    from unitsheet.engine.cli import main

    out = tmp_path / "sim.xlsx"
    assert main(["export", str(root / "models/openai_capex.ush"), "-o", str(out), "--simulate", "500"]) == 0
    wb = openpyxl.load_workbook(out)
    assert "Simulation" in wb.sheetnames
    rows = [[c.value for c in row[:3]] for row in wb["Simulation"].iter_rows(min_row=5)]
    assert ["cash_balance", "billion USD", "p5"] in [[r[0], "billion USD", r[2]] for r in rows if r[0] == "cash_balance"]


def test_dask_backend_gives_the_numpy_numbers_on_a_two_worker_cluster(root):
    """The same seed, the same chunks: bit-for-bit the same samples, on a local cluster started
    here with two worker processes, reached through its scheduler address (--scheduler)."""
    from dask.distributed import LocalCluster

    model = engine.load(root / "models/openai_capex.ush")
    everything = list(model.checked().quantities)
    numpy_run = simulate(model, 3000, seed=11, chunk=1000, keep=everything)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert len(cluster.workers) == 2
        dask_run = simulate(model, 3000, seed=11, chunk=1000, backend="dask", scheduler=cluster.scheduler_address,
                            keep=everything)
    assert dask_run.check_probability == numpy_run.check_probability
    for name, values in numpy_run.values.items():
        assert np.array_equal(dask_run.values[name], values, equal_nan=True), name


def test_chunk_size_keeps_memory_bounded_and_does_not_change_the_numbers(root):
    from unitsheet.engine.uncertainty import MEMORY_BUDGET, chunk_size

    model = engine.load(root / "models/openai_capex.ush")
    evaluator = model.evaluator()
    size = chunk_size(evaluator)
    assert size * len(evaluator.row_of) * evaluator.n * 8 <= MEMORY_BUDGET
    assert chunk_size(evaluator, budget=1) == 1
    everything = list(model.checked().quantities)
    whole = simulate(model, 500, seed=5, chunk=500, keep=everything)
    pieces = simulate(model, 500, seed=5, chunk=7, keep=everything)
    kept = simulate(model, 500, seed=5, chunk=64, keep=["cash_balance"])
    assert list(kept.values) == ["cash_balance"] and kept.check_probability == whole.check_probability
    for name, values in whole.values.items():
        assert np.array_equal(pieces.values[name], values, equal_nan=True), name
    assert np.array_equal(kept.values["cash_balance"], whole.values["cash_balance"], equal_nan=True)


def test_an_unreachable_scheduler_is_a_usage_error_not_a_traceback(root, capsys, monkeypatch):
    from conftest import run_cli

    import unitsheet.engine.distributed
    monkeypatch.setattr(engine.distributed, "CONNECT_TIMEOUT", "2s")
    code, out, err = run_cli(["simulate", root / "models/openai_capex.ush", "-n", "10", "--backend", "dask",
                              "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert code == 2 and "cannot start or reach the Dask scheduler tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    code, out, err = run_cli(["simulate", root / "models/openai_capex.ush", "--scheduler", "tcp://x:1"], capsys)
    assert code == 2 and "--scheduler needs --backend dask" in err
