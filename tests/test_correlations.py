"""Correlated inputs (`correlate a, b = -0.5`, issue 27 item 4): the stated number is the rank
(Spearman) correlation of the samples, each input keeps its own distribution, the draws do not
depend on the chunk or the backend, and a matrix no inputs can have is refused with the pair to
change and the nearest value that works."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from unitsheet import engine
from conftest import run_cli
from unitsheet.engine import copula
from unitsheet.engine.formatter import format_module
from unitsheet.engine.parser import parse
from unitsheet.engine.montecarlo import Streams, uncertain_inputs
from unitsheet.engine.uncertainty import simulate

MODEL = """model "correlated"
timeline 2025..2027 yearly
input cost = triangular(40 USD, 50 USD, 80 USD)
input price = normal(100 USD, 15 USD)
input volume = lognormal(1000, 0.4)
input rate = 2 % .. 6 %
input plain = 10 .. 20
margin = (price * volume - cost) * (1 - rate)
check "margin positive": margin > 0 USD
"""
PAIRS = "correlate cost, price = -0.5\n    note \"ASSUMPTION: dearer builds, lower prices\"\ncorrelate volume, rate = 0.7\n"
MATRIX = "correlate cost, price, volume = {1, -0.5, 0.3; -0.5, 1, 0.6; 0.3, 0.6, 1}\n"
INPUTS = ["cost", "price", "volume", "rate", "plain"]
MARGINALS = {"cost": stats.triang(0.25, 40, 40), "price": stats.norm(100, 15),
             "volume": stats.lognorm(0.4, scale=1000), "rate": stats.uniform(2, 4),
             "plain": stats.uniform(10, 10)}


def draws(text: str, samples: int = 10_000, seed: int = 7, scenario: str = "base") -> dict:
    model = engine.loads(text, "m.ush")
    sim = simulate(model, samples, seed=seed, keep=INPUTS, scenario=scenario)
    return {name: sim.values[name][:, 0] for name in INPUTS}


def spearman(x, y) -> float:
    return stats.spearmanr(x, y).statistic


@pytest.mark.parametrize("statements, pairs", [
    (PAIRS, {("cost", "price"): -0.5, ("volume", "rate"): 0.7, ("cost", "volume"): 0, ("price", "rate"): 0}),
    (MATRIX, {("cost", "price"): -0.5, ("cost", "volume"): 0.3, ("price", "volume"): 0.6, ("cost", "rate"): 0}),
])
def test_the_samples_rank_correlation_is_the_stated_one(statements, pairs):
    x = draws(MODEL + statements)
    for (a, b), rho in pairs.items():
        assert spearman(x[a], x[b]) == pytest.approx(rho, abs=0.02), (a, b)


def test_each_input_keeps_its_own_distribution():
    """Kolmogorov-Smirnov against each input's own distribution, correlated or not; and an input
    no statement names draws exactly the numbers it drew without any."""
    x = draws(MODEL + MATRIX + "correlate rate, plain = -0.9\n")
    for name, dist in MARGINALS.items():
        assert stats.kstest(x[name], dist.cdf).pvalue > 0.01, name
    alone = draws(MODEL + "correlate rate, plain = -0.9\n")
    assert np.array_equal(alone["rate"], x["rate"]) and not np.array_equal(alone["cost"], x["cost"])
    assert np.array_equal(draws(MODEL)["cost"], draws(MODEL + "correlate rate, plain = 0.2\n")["cost"])


def test_a_correlation_of_one_gives_the_same_ranks():
    x = draws(MODEL + "correlate cost, price = 1\ncorrelate volume, rate = -1\n", samples=2000)
    assert np.array_equal(np.argsort(x["cost"]), np.argsort(x["price"]))
    assert np.array_equal(np.argsort(x["volume"]), np.argsort(-x["rate"]))


def test_the_draws_are_the_same_wherever_a_chunk_starts():
    model = engine.loads(MODEL + MATRIX, "m.ush")
    checked = model.checked()
    streams = Streams(5, uncertain_inputs(checked), checked.correlations)
    whole = streams.draw(0, 1000)
    for start, stop in [(0, 1), (1, 5), (3, 10), (997, 1000), (500, 777)]:
        part = streams.draw(start, stop)
        assert all(np.array_equal(part[name], whole[name][start:stop]) for name in whole)
    runs = [simulate(model, 300, seed=3, chunk=size, keep=["margin"]) for size in (1, 7, 1000)]
    for other in runs[1:]:
        assert np.array_equal(other.values["margin"], runs[0].values["margin"])


def test_the_dask_backend_draws_the_same_correlated_samples():
    from dask.distributed import LocalCluster

    model = engine.loads(MODEL + MATRIX, "m.ush")
    local = simulate(model, 600, seed=2, chunk=100, keep=["margin"])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = simulate(model, 600, seed=2, chunk=100, keep=["margin"], backend="dask",
                          scheduler=cluster.scheduler_address)
    assert np.array_equal(remote.values["margin"], local.values["margin"])
    assert remote.summary("margin") == local.summary("margin")


def test_check_explore_searches_the_box_whatever_the_correlations():
    plain = engine.loads(MODEL, "m.ush").check(explore=200, seed=4)
    correlated = engine.loads(MODEL + MATRIX, "m.ush").check(explore=200, seed=4)
    assert correlated.to_dict() == plain.to_dict()


def test_a_scenario_that_fixes_an_input_leaves_its_pairs_out():
    text = MODEL + MATRIX + "scenario known {\n    price = 110 USD\n}\n"
    model = engine.loads(text, "m.ush")
    assert [c.names for c in model.checked("known").correlations] == [("cost", "volume")]
    x = draws(text, samples=5000, scenario="known")
    assert np.all(x["price"] == 110)
    assert spearman(x["cost"], x["volume"]) == pytest.approx(0.3, abs=0.03)


def test_items_of_a_dimensioned_input_can_be_correlated():
    text = ('model "d"\ntimeline 2025..2026 yearly\ndimension region = {na, eu}\n'
            "input price by region = {na: 1 USD .. 2 USD, eu: 2 USD .. 3 USD}\n"
            "correlate price[na], price[eu] = 0.8\ntotal = sum(price over region)\n")
    sim = simulate(engine.loads(text, "d.ush"), 5000, seed=1, keep=["price[na]", "price[eu]"])
    assert spearman(sim.values["price[na]"][:, 0], sim.values["price[eu]"][:, 0]) == pytest.approx(0.8, abs=0.02)


# ------------------------------------------------------------------------------ refused

NOT_POSSIBLE = "correlate cost, price, volume = {1, 0.8, 0.7; 0.8, 1, -0.4; 0.7, -0.4, 1}\n"


def test_the_nearest_valid_value_the_error_offers_is_valid_and_nearest(capsys, tmp_path):
    path = tmp_path / "m.ush"
    path.write_text(MODEL + NOT_POSSIBLE)
    code, _, err = run_cli(["check", path], capsys)
    assert code == 2 and "not positive semi-definite" in err
    fixed = re.search(r"the others as stated: (correlate .*)", err).group(1)
    path.write_text(MODEL + fixed + "\n")
    assert run_cli(["check", path], capsys)[0] == 0  # the hint's statement, as written, is accepted
    ranks = np.array([[1, 0.8, 0.7], [0.8, 1, -0.4], [0.7, -0.4, 1]])
    value = float(re.search(r"\{1, ([-0-9.]+),", fixed).group(1))
    further = ranks.copy()
    further[0, 1] = further[1, 0] = value + 0.01  # a step towards the stated 0.8 is not possible
    assert not copula.is_valid(np.vectorize(copula.normal_correlation)(further))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=3, max_size=3))
def test_valid_matrices_are_accepted_and_the_nearest_value_repairs_the_others(entries):
    a, b, c = entries
    ranks = np.array([[1, a, b], [a, 1, c], [b, c, 1]])
    valid = copula.is_valid(np.vectorize(copula.normal_correlation)(ranks))
    text = MODEL + f"correlate cost, price, volume = {{1, {a!r}, {b!r}; {a!r}, 1, {c!r}; {b!r}, {c!r}, 1}}\n"
    try:
        engine.loads(text, "m.ush").checked()
        accepted = True
    except engine.ModelError as err:
        accepted = False
        assert "not positive semi-definite" in str(err)
    assert accepted == valid
    value = copula.nearest_valid(ranks, 0, 1)
    if value is not None:
        repaired = ranks.copy()
        repaired[0, 1] = repaired[1, 0] = value
        assert copula.is_valid(np.vectorize(copula.normal_correlation)(repaired))


def test_rank_and_normal_correlations_are_inverse():
    for rho in np.linspace(-1, 1, 41):
        assert copula.rank_correlation(copula.normal_correlation(rho)) == pytest.approx(rho, abs=1e-12)
    assert copula.normal_correlation(0.5) == pytest.approx(2 * np.sin(np.pi / 12))


# ------------------------------------------------------------------------------ every command


def format_text(text: str) -> str:
    return format_module(parse(text, "m.ush"))


def test_fmt_lays_a_matrix_out_in_rows_and_keeps_its_comments():
    text = MODEL + "correlate cost, price, volume = {1, -0.5, 0.3;  # stated\n -0.5, 1, 0.6; 0.3, 0.6, 1}\n" \
        + PAIRS.split("correlate volume")[0].replace("correlate cost, price", "correlate rate, plain")
    out = format_text(text)
    assert "correlate cost, price, volume = {\n     1,   -0.5,  0.3;  # stated\n    -0.5,  1,    0.6;\n" in out
    assert format_text(out) == out
    assert engine.loads(out, "m.ush").checked().correlations == engine.loads(text, "m.ush").checked().correlations


def test_explain_simulate_and_the_workbook_cite_the_correlations(tmp_path, capsys):
    import openpyxl

    path = tmp_path / "m.ush"
    path.write_text(MODEL + PAIRS)
    _, out, _ = run_cli(["explain", path, "cost"], capsys)
    assert "correlated with price: rank correlation -0.5 in simulate (ASSUMPTION: dearer builds" in out
    _, out, _ = run_cli(["simulate", path, "--samples", "200"], capsys)
    assert "rank correlations: cost ~ price -0.5, volume ~ rate 0.7" in out
    _, out, _ = run_cli(["simulate", path, "--samples", "200", "--format", "json"], capsys)
    assert json.loads(out)["correlations"][0] == {"inputs": ["cost", "price"], "rank_correlation": -0.5,
                                                  "note": "ASSUMPTION: dearer builds, lower prices", "sources": []}
    book = tmp_path / "m.xlsx"
    assert run_cli(["export", path, "-o", book, "--simulate", "200"], capsys)[0] == 0
    rows = [[c for c in r if c is not None] for r in openpyxl.load_workbook(book)["Simulation"].iter_rows(values_only=True)]
    assert ["cost with price", -0.5, "ASSUMPTION: dearer builds, lower prices"] in rows
    assert ["volume with rate", 0.7] in rows


def test_the_hint_for_a_dimensioned_input_in_a_matrix_keeps_the_matrix():
    text = ('model "d"\ntimeline 2025..2026 yearly\ndimension region = {na, eu}\n'
            "input price by region = {na: 1 USD .. 2 USD, eu: 2 USD .. 3 USD}\ninput cost = 1 USD .. 2 USD\n"
            "input volume = 1 .. 2\n")
    statement = "correlate price, cost, volume = {1, 0.2, 0.1; 0.2, 1, 0.3; 0.1, 0.3, 1}\n"
    with pytest.raises(engine.ModelError) as err:
        engine.loads(text + statement, "d.ush").checked()
    hint = err.value.diagnostics[0].hint
    assert hint == "correlate price[na], cost, volume = {1, 0.2, 0.1; 0.2, 1, 0.3; 0.1, 0.3, 1}"
    assert engine.loads(text + hint + "\n", "d.ush").checked().correlations  # the hint, as written, checks
