"""Data tables (issue 27 item 3): one output over a grid of one or two inputs, one vectorised
evaluation, every cell equal to a separate run with --set there."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unitsheet import engine
from unitsheet.engine import ModelError
from conftest import ROOT, count_evaluations, run_cli

DATACENTER = ROOT / "models" / "datacenter_project.ush"
LEASE = "lease_rate=1.0 million USD/MW/month..1.4 million USD/MW/month:5"
COST = "cost_per_gw=50 billion USD/GW..60 billion USD/GW:3"


def test_a_two_way_table_equals_separate_runs_and_is_one_evaluation(monkeypatch):
    model = engine.load(DATACENTER)
    calls = count_evaluations(monkeypatch, model)
    table = model.table("project_npv", [LEASE, COST])
    monkeypatch.undo()
    assert calls == [(15,)] and table.values.shape == (5, 3)
    assert table.axes[0].values.tolist() == pytest.approx([1.0e6, 1.1e6, 1.2e6, 1.3e6, 1.4e6])
    for i, lease in enumerate(table.axes[0].values):
        for j, cost in enumerate(table.axes[1].values):
            separate = model.run("base", {"lease_rate": f"{float(lease)!r} USD/MW/month", "cost_per_gw": f"{float(cost)!r} USD/GW"})
            assert separate.value("project_npv") == pytest.approx(table.values[i, j], rel=1e-12), (i, j)


def test_a_one_way_table_of_a_period_in_a_scenario_with_an_override():
    model = engine.load(DATACENTER)
    table = model.table("cfads[2030]", ["power_price=40 USD/MWh..80 USD/MWh:3"], scenario="bear",
                        overrides={"pue": "1.3"})
    for price, value in zip((40, 60, 80), table.values):
        separate = model.run("bear", {"power_price": f"{price} USD/MWh", "pue": "1.3"})
        assert separate.value("cfads", 2030) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("vary, message", [
    (["price"], "--vary is INPUT=LOW..HIGH:N"),
    (["price=1 USD..2 USD"], "--vary is INPUT=LOW..HIGH:N"),
    (["price=1 USD..2 USD:1"], "N is a whole number of values, 2 or more"),
    (["price=1 USD..2 USD:x"], "N is a whole number of values, 2 or more"),
    (["price=1 GW..2 GW:3"], "--vary for `price`"),
    (["profit=1 USD..2 USD:3"], "`profit` is a formula"),
    (["price=1 USD..2 USD:3", "price=1 USD..2 USD:3"], "`price` is varied twice"),
    (["price=1 USD..2 USD:3"] * 3, "one or two inputs, not 3"),
    (["price=1 USD..2 USD:2000", "volume=1..2:1000"], "2,000,000 cells"),
])
def test_what_cannot_be_tabled_says_why(vary, message):
    """(and an output with no number in a cell names the cell: test_an_output_with_no_value_in_a_cell_is_refused)"""
    text = ('model "t"\ntimeline 2025..2026 yearly\ninput price = 10 USD\ninput volume = 100\n'
            "profit = price * volume\n")
    with pytest.raises(ModelError) as caught:
        engine.loads(text, "t.ush").table("profit", vary)
    assert message in str(caught.value)


def test_the_command_line_prints_the_table_json_and_csv(capsys):
    code, out, err = run_cli(["table", DATACENTER, "project_npv", "--vary", LEASE, "--vary", COST], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("project_npv (billion USD) by lease_rate (thousand USD/MW/month) \\ cost_per_gw")
    assert lines[3].split()[0] == "1,000" and len(lines) == 8
    code, out, _ = run_cli(["table", DATACENTER, "project_npv", "--vary", LEASE, "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["vary"][0]["input"] == "lease_rate" and len(data["values"]) == 5
    code, out, _ = run_cli(["table", DATACENTER, "project_npv", "--vary", LEASE, "--format", "csv"], capsys)
    assert code == 0 and out.splitlines()[0] == "lease_rate (thousand USD/MW/month),project_npv (billion USD)"
    code, _, err = run_cli(["table", DATACENTER, "project_npv", "--vary", "lease_rate"], capsys)
    assert code == 2 and "INPUT=LOW..HIGH:N" in err
    assert np.isfinite(data["values"]).all()


def test_an_output_with_no_value_in_a_cell_is_refused():
    text = 'model "n"\ntimeline 2025..2026 yearly\ninput x = 1\ny = sqrt(x)\n'
    with pytest.raises(ModelError, match="`y` has no value at x = -1"):
        engine.loads(text, "n.ush").table("y", ["x=-1..1:3"])
