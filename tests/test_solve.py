"""Goal seek (issue 27 item 1): every root of a target in a bracket, from one vectorised scan and
Brent's method, checked against separate runs with the root set as --set would set it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unitsheet import engine
from unitsheet.engine import ModelError, solve as solve_module
from conftest import ROOT, count_evaluations, run_cli

DATACENTER = ROOT / "models" / "datacenter_project.ush"

TWO_ROOTS = """model "two roots"
timeline 2025..2027 yearly
input x = 0 .. 10
    base 1
input w = 2
y = (x - 3) * (x - 7) * w
z = w * 2
"""


@pytest.mark.parametrize("scenario", ["base", "bear"])
def test_the_lease_rate_for_an_equity_irr_of_12_percent_equals_a_separate_run(scenario):
    model = engine.load(DATACENTER)
    solution = model.solve("equity_irr = 12 %", "lease_rate", scenario=scenario)
    [root] = solution.roots
    assert abs(root.achieved - 0.12) < 1e-9
    separate = model.run(scenario, {"lease_rate": f"{root.value!r} USD/MW/month"})
    assert separate.value("equity_irr") == pytest.approx(root.achieved, rel=1e-12)


def test_every_root_in_the_bracket_nearest_to_the_base_first():
    solution = engine.loads(TWO_ROOTS, "t.ush").solve("y = 0", "x")
    assert [r.value for r in solution.roots] == pytest.approx([3.0, 7.0], abs=1e-12)
    assert solution.bracket == (0.0, 10.0)  # the input's range
    far = engine.loads(TWO_ROOTS.replace("base 1", "base 9"), "t.ush").solve("y = 0", "x")
    assert [r.value for r in far.roots] == pytest.approx([7.0, 3.0], abs=1e-12)
    narrow = engine.loads(TWO_ROOTS, "t.ush").solve("y = 0", "x", between="4..10")
    assert [r.value for r in narrow.roots] == pytest.approx([7.0], abs=1e-12)


def test_a_period_of_a_series_is_a_target_and_the_scan_is_one_evaluation(monkeypatch):
    text = """model "cash"
timeline 2026-01..2026-12 monthly
input price: USD/month = 100
input cost: USD/month = 130
input opening = 1000 USD
cash[2026-01] = opening
cash[2026-02..] = cash[t-1] + (price - cost) * 1 month
    rollup last
"""
    model = engine.loads(text, "c.ush")
    calls = count_evaluations(monkeypatch, model)
    solution = model.solve("cash[2026-12] = 0 USD", "price")
    [root] = solution.roots
    # 1000 + 11 * (price - 130) = 0: price = 130 - 1000/11
    assert root.value == pytest.approx(130 - 1000 / 11, rel=1e-13)
    # 50..200 USD/month (base / 2 .. base * 2) has no root: one widening, 12.5..800, then Brent on one row
    scans = [c for c in calls if c == (solve_module.SCAN,)]
    assert len(scans) == 2 and all(c == (1,) for c in calls[2:]) and len(calls) < 80, calls
    assert solution.bracket == (12.5, 800.0)
    monkeypatch.undo()
    check = model.run("base", {"price": f"{root.value!r} USD/month"})
    assert check.value("cash", "2026-12") == pytest.approx(0.0, abs=1e-9)
    month = model.solve("cash[2026-12] = 0 USD", "opening", between="-5000 USD..5000 USD")
    assert month.roots[0].value == pytest.approx(330.0, rel=1e-13)


def test_an_item_of_a_dimension_and_a_period_of_a_series_input_can_be_varied():
    text = """model "items"
timeline 2025..2027 yearly
dimension region = {na, eu}
input price by region: USD = {na: 10, eu: 20}
input volume = {2025: 1, 2026: 2, 2027: 3}
revenue = sum(price over region) * volume
"""
    model = engine.loads(text, "i.ush")
    by_item = model.solve("revenue[2027] = 150 USD", "price[eu]")
    assert by_item.roots[0].value == pytest.approx(40.0, rel=1e-13)
    by_period = model.solve("revenue[2027] = 150 USD", "volume[2027]")
    assert by_period.roots[0].value == pytest.approx(5.0, rel=1e-13)


@pytest.mark.parametrize("target, vary, between, message", [
    ("y = 0", "w", None, "has no root for `w`"),  # y = 0 only where x is 3 or 7
    ("y = 1000", "x", None, "has no root for `x` in 0 .. 10: the nearest is y = 42 at x = 0"),
    ("z = 1", "x", None, "`z` does not depend on `x`"),
    ("y = 0", "z", None, "`z` is a formula: --vary takes an input"),
    ("y = 0", "nope", None, "`nope` is not a quantity of the model"),
    ("nope = 0", "x", None, "no quantity named `nope`"),
    ("y > 0", "x", None, "a target is `QUANTITY = VALUE`"),
    ("y == 0", "x", None, "a target is `QUANTITY = VALUE`"),
    ("y = 3 USD", "x", None, "the target '3 USD' for `y`"),
    ("y = 0", "x", "5..1", "the low end must be below the high end"),
    ("y = 0", "x", "1", "--between is LOW..HIGH"),
    ("y[2026] = 0", "x", None, "`y` is a single value: write it without [2026]"),
])
def test_what_cannot_be_solved_says_why(target, vary, between, message):
    model = engine.loads(TWO_ROOTS, "t.ush")
    with pytest.raises(ModelError) as caught:
        model.solve(target, vary, between=between)
    assert message in str(caught.value), str(caught.value)


def test_a_target_with_no_value_inside_a_given_bracket_is_refused():
    text = 'model "nan"\ntimeline 2025..2026 yearly\ninput x = 1\ny = sqrt(x)\n'
    with pytest.raises(ModelError, match="not a number at x = -"):
        engine.loads(text, "n.ush").solve("y = 2", "x", between="-4..9")
    assert engine.loads(text, "n.ush").solve("y = 2", "x").roots[0].value == pytest.approx(4.0, rel=1e-13)


def test_the_command_line_solves_in_each_scenario_and_prints_json(tmp_path, capsys):
    code, out, err = run_cli(["solve", DATACENTER, "--target", "equity_irr = 12 %", "--vary", "lease_rate",
                              "--scenario", "base", "--scenario", "bull", "--format", "json"], capsys)
    assert code == 0, err
    solutions = json.loads(out)["solutions"]
    assert [s["scenario"] for s in solutions] == ["base", "bull"] and all(len(s["roots"]) == 1 for s in solutions)
    root = solutions[1]["roots"][0]["value"]
    code, out, _ = run_cli(["run", DATACENTER, "--scenario", "bull", "--set", f"lease_rate={root!r} USD/MW/month",
                            "--format", "json"], capsys)
    assert json.loads(out)["quantities"]["equity_irr"]["value"] == pytest.approx(solutions[1]["roots"][0]["achieved"],
                                                                                 rel=1e-12)
    code, out, err = run_cli(["solve", DATACENTER, "--target", "equity_irr = 12 %", "--vary", "lease_rate"], capsys)
    assert code == 0 and "[base] equity_irr = 12 %: 1 root of `lease_rate`" in out and "thousand USD/MW/month" in out
    path = tmp_path / "t.ush"
    path.write_text(TWO_ROOTS)
    code, _, err = run_cli(["solve", path, "--target", "y = 1000", "--vary", "x"], capsys)
    assert code == 2 and "has no root" in err and "Traceback" not in err
