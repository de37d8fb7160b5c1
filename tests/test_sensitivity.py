"""Sensitivity / tornado (issue 27 item 2): each input alone at its ends, in one vectorised
evaluation, equal to separate runs with --set at those ends."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unitsheet import engine
from unitsheet.engine import ModelError
from conftest import ROOT, count_evaluations, run_cli

DATACENTER = ROOT / "models" / "datacenter_project.ush"
INPUTS = ["cost_per_gw", "lease_rate", "power_price", "pue", "tax_rate"]


def test_every_swing_equals_separate_runs_at_the_inputs_ends():
    model = engine.load(DATACENTER)
    result = model.sensitivity("project_npv", INPUTS, percent=10)
    assert [s.input for s in result.swings] == ["lease_rate", "cost_per_gw", "tax_rate", "power_price", "pue"]
    assert [s.swing for s in result.swings] == sorted((s.swing for s in result.swings), reverse=True)
    assert result.base == pytest.approx(model.run().value("project_npv"), rel=1e-12)
    checked = model.checked()
    for s in result.swings:
        unit = checked.units.text(checked.quantities[s.input].unit)
        for end, output in ((s.low, s.output_low), (s.high, s.output_high)):
            separate = model.run("base", {s.input: f"{end!r} {unit}"})
            assert separate.value("project_npv") == pytest.approx(output, rel=1e-12), (s.input, end)
    cost = next(s for s in result.swings if s.input == "cost_per_gw")
    assert (cost.how, cost.low, cost.high) == ("range", 50e9, 60e9)  # its declared range, USD/GW
    lease = next(s for s in result.swings if s.input == "lease_rate")
    assert lease.how == "+-10 %" and lease.low == pytest.approx(0.9 * 1.15e6) and lease.high == pytest.approx(1.1 * 1.15e6)


def test_a_period_of_a_series_output_and_every_ranged_input_by_default():
    text = """model "t"
timeline 2025..2028 yearly
input price = 8 USD .. 12 USD
    base 10 USD
input volume = 90 .. 110
    base 100
input fixed = 300 USD
profit = price * volume - fixed
"""
    result = engine.loads(text, "t.ush").sensitivity("profit")
    assert {s.input: (s.output_low, s.output_high) for s in result.swings} == {
        "price": (500.0, 900.0), "volume": (600.0, 800.0)}
    assert [s.input for s in result.swings] == ["price", "volume"]
    series = engine.loads(text.replace("input fixed = 300 USD", "input fixed = {2025: 300 USD, 2026..2028: 100 USD}"),
                          "t.ush").sensitivity("profit[2026]", ["fixed", "price"], percent=50)
    assert {s.input: (s.output_low, s.output_high) for s in series.swings} == {
        "fixed": (950.0, 850.0), "price": (700.0, 1100.0)}


@pytest.mark.parametrize("output, inputs, percent, message", [
    ("nope", None, 10, "no quantity named `nope`"),
    ("profit[2026]", None, 10, "`profit` is a single value"),
    ("profit", ["profit"], 10, "`profit` is a formula"),
    ("profit", ["nope"], 10, "`nope` is not a quantity of the model"),
    ("profit", ["fixed"], 0, "--percent 0"),
    ("profit", ["fixed"], 100, "--percent 100"),
    ("ok", None, 10, "`ok` is true/false"),
])
def test_what_cannot_be_drawn_says_why(output, inputs, percent, message):
    text = ('model "t"\ntimeline 2025..2026 yearly\ninput price = 8 USD .. 12 USD\n    base 10 USD\n'
            "input fixed = 300 USD\nprofit = price * 100 - fixed\nok = profit > 0 USD\n")
    with pytest.raises(ModelError) as caught:
        engine.loads(text, "t.ush").sensitivity(output, inputs, percent)
    assert message in str(caught.value)
    no_range = 'model "t"\ntimeline 2025..2026 yearly\ninput fixed = 300 USD\nprofit = fixed * 2\n'
    with pytest.raises(ModelError, match="no input of the model has a range"):
        engine.loads(no_range, "t.ush").sensitivity("profit")


def test_the_command_line_draws_the_tornado_largest_swing_on_top(tmp_path, capsys, monkeypatch):
    from unitsheet.engine import plot

    drawn = {}
    write_png = plot.write_png

    def keep(fig, output, model_file=None):
        ax = fig.axes[0]
        drawn.update(title=ax.get_title(), labels=[t.get_text() for t in ax.get_yticklabels()],
                     bars=len(ax.patches), xlabel=ax.get_xlabel())
        write_png(fig, output, model_file)
    monkeypatch.setattr(plot, "write_png", keep)
    png = tmp_path / "tornado.png"
    code, out, err = run_cli(["sensitivity", DATACENTER, "project_npv", "--inputs", *INPUTS, "-o", png], capsys)
    assert code == 0, err
    assert "[base] project_npv = 11.0729 billion USD" in out and out.index("lease_rate") < out.index("pue")
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn["title"].endswith("what moves project_npv (base)") and drawn["bars"] == 10
    assert drawn["labels"][-1] == "lease_rate (+-10 %)" and drawn["labels"][0].startswith("p")  # largest on top
    assert "billion USD" in drawn["xlabel"]
    code, out, _ = run_cli(["sensitivity", DATACENTER, "project_npv", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and [s["input"] for s in data["swings"]] == ["cost_per_gw"]
    code, out, _ = run_cli(["sensitivity", DATACENTER, "project_npv", "--format", "csv"], capsys)
    assert out.splitlines()[0] == "input,how,low,high,output_low,output_high,swing" and out.count("\n") == 2
    code, _, err = run_cli(["sensitivity", DATACENTER, "nope"], capsys)
    assert code == 2 and "no quantity named `nope`" in err


def test_the_tornado_is_one_evaluation(monkeypatch):
    model = engine.load(DATACENTER)
    calls = count_evaluations(monkeypatch, model)
    model.sensitivity("project_npv", INPUTS)
    assert calls == [(1 + 2 * len(INPUTS),)]
    assert np.isfinite([s.swing for s in model.sensitivity("project_npv", INPUTS).swings]).all()


@pytest.mark.parametrize("command", [
    ["sensitivity", "models/datacenter_project.ush", "project_npv", "--inputs", "lease_rate", "it_life"],
    ["table", "models/datacenter_project.ush", "project_npv", "--vary", "it_life=5 year..7 year:3"],
    ["solve", "models/datacenter_project.ush", "--target", "equity_irr = 12 %", "--vary", "dep_life"],
])
def test_an_input_that_counts_periods_is_not_varied_by_a_what_if(command, capsys, monkeypatch, root):
    """A depreciation life is one whole number in a whole evaluation (the checker refuses a range
    on it): varying it gave every row, the base's too, a blank, silently."""
    monkeypatch.chdir(root)
    code, out, err = run_cli(command, capsys)
    assert code == 2 and out == ""
    assert "counts periods (depreciation(" in err and "a what-if cannot vary it" in err
    assert 'unitsheet run models/datacenter_project.ush --set "' in err


def test_every_output_cell_of_a_tornado_is_in_the_one_unit_its_header_states():
    """Cell by cell display picked "1.0464" beside 586,500 under a header in USD (1,046,400 USD
    shown in millions, the unit column left at the low end's)."""
    model = engine.loads('model "shop"\ntimeline 2027..2029 yearly\ninput cups = 250 .. 400\n'
                         "input price = 3.5 USD .. 4.5 USD\n"
                         "revenue[2027..]: USD/year = cups * price * 365 / 1 year\n"
                         "costs[2027..]: USD/year = 60 thousand USD/year + cups * 1.2 USD * 365 / 1 year\n"
                         "margin = revenue - costs\nprofit = total(margin[2027..2029])\n", "shop.ush")
    result = model.sensitivity("profit")
    text = str(result)
    assert "(output in million USD)" in text
    cups = next(line for line in text.splitlines() if line.startswith("cups"))
    assert cups.split()[-3:] == ["0.5865", "1.0464", "0.4599"]
    units = {result.shown("profit", v)[1] for s in result.swings for v in (s.output_low, s.output_high)}
    assert units == {"million USD"}
