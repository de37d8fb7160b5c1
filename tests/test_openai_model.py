"""The showcase model: it checks in every scenario, cites every input, exposes the agreed names."""

import pytest

from unitsheet import engine

REQUIRED = {
    "revenue": ("USD / year", True), "cash_burn": ("USD / year", True), "burn_through_2029": ("USD", False),
    "free_cash_flow": ("USD / year", True), "cash_balance": ("USD", True), "funding_gap": ("USD", False),
    "compute_commitments": ("USD / year", True), "commitment_capacity_gw": ("gigawatt", False),
    "stargate_capacity_gw": ("gigawatt", False), "round_total": ("USD", False),
    "amazon_flowback_ratio": ("dimensionless", False), "valuation_step_up": ("dimensionless", False),
    "enterprise_revenue": ("USD / year", True),
}
SEEDS = {"000_82c031f1eafba79a.txt", "001_455fd09c6ac2002e.txt", "002_7f72b3ff387d3e21.txt",
         "003_b59bb55a070cc80a.txt", "004_ed9f67eefeb93bc3.txt", "ASSUMPTION"}


@pytest.fixture(scope="module")
def model(root):
    return engine.load(root / "models" / "openai_capex.ush")


def test_scenarios(model):
    assert model.scenarios == ["base", "bear", "bull"]


@pytest.mark.parametrize("scenario", ["base", "bear", "bull"])
def test_every_check_passes(model, scenario):
    results = model.run(scenario)
    failing = [c for c in results.checks if not c["passed"]]
    assert not failing, failing
    assert len(results.checks) >= 12


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_quantities(model, name):
    results = model.run()
    unit, series = REQUIRED[name]
    assert results.unit(name) == unit
    assert results.model.quantities[name].series == series


def test_every_input_cites_a_seed_or_is_a_labelled_assumption(model):
    checked = model.checked()
    for name, q in checked.quantities.items():
        if q.kind != "input":
            continue
        assert q.sources, f"{name} has no source"
        for s in q.sources:
            assert s.file in SEEDS, (name, s.file)
            assert s.quote, f"{name}: a source quotes the phrase it comes from"
        if any(s.file == "ASSUMPTION" for s in q.sources) or "ASSUMPTION" in (q.note or ""):
            assert "ASSUMPTION" in (q.note or ""), f"{name}: an assumption says why in its note"


def test_headline_figures(model):
    base, bear = model.run(), model.run("bear")
    assert base.value("burn_through_2029") == pytest.approx(115e9)
    assert base.value("cash_burn", "2029-01") == pytest.approx(8e9)  # a yearly rate over 2029's months
    assert bear.value("cash_burn", "2029-12") == pytest.approx(16e9)
    assert base.value("cash_balance", "2026-02") == 40e9  # the anchor
    assert base.value("cash_balance", "2026-12") == pytest.approx(40e9 + 65e9 - 17e9 * 10 / 12)
    assert base.value("revenue_2025_from_run_rates") == pytest.approx(12.0e9, rel=0.01)  # vs ~13 bn reported
    assert base.value("run_rate", "2025-01") == pytest.approx(12e9 / 1.95)
    assert base.value("run_rate", "2025-07") == pytest.approx(12e9) and base.value("run_rate", "2025-12") == pytest.approx(20e9)
    assert base.value("round_total") == pytest.approx(120e9) and bear.value("round_total") == pytest.approx(110e9)
    assert base.value("amazon_flowback_ratio") == pytest.approx(138 / 50)
    assert base.value("stargate_capacity_gw") == pytest.approx(500 / 55)
    assert base.value("valuation_step_up") == pytest.approx(0.46)
    assert base.value("funding_gap") == 0 and bear.value("funding_gap") > 0


def test_model_file_is_canonically_formatted(root):
    from unitsheet.engine.formatter import format_module
    from unitsheet.engine.parser import parse

    text = (root / "models" / "openai_capex.ush").read_text()
    assert format_module(parse(text, "m")) == text
