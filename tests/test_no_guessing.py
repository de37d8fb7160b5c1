"""No silent wrong numbers (issue 11): every place where a value enters the engine (scenario
values, --set, tables, ranges, distributions) checks its unit as the model's own values are
checked; every scenario is checked with the model; errors a scenario causes name it."""

import json

import numpy as np
import pytest

from unitsheet import engine
from conftest import run_cli
from unitsheet.engine.diagnostics import ModelError

HEADER = 'model "t"\ntimeline 2025..2027 yearly\n'


def load(body: str):
    return engine.loads(HEADER + body, "t.ush")


def errors(body: str, scenario: str = "base") -> list:
    with pytest.raises(ModelError) as info:
        load(body).run(scenario)
    return info.value.diagnostics


# ------------------------------------------------------------------ item 2: scenario values


def test_a_bare_number_for_a_percent_input_in_a_scenario_is_refused_at_the_scenario_line():
    found = errors("input tax_rate = 21 %\ntax = 100 USD * tax_rate\nscenario bull { tax_rate = 21 }\n")
    assert [d.kind for d in found] == ["missing-unit"]
    d = found[0]
    assert d.scenario == "bull" and d.span.line == 5
    assert "tax_rate" in d.message and "%" in d.message
    assert "21 %" in d.hint


def test_a_scenario_value_is_converted_to_the_inputs_unit():
    model = load("input cap = 2 GW\ninput rate = 5 %\nspend = cap * 1 billion USD/GW\n"
                 "scenario small { cap = 1500 MW\n rate = 0.07 }\n".replace("rate = 0.07", "rate = 7 %"))
    small = model.run("small")
    assert small.value("cap") == pytest.approx(1.5) and small.unit("cap") == "gigawatt"
    assert small.value("spend") == pytest.approx(1.5e9)
    assert small.value("rate") == pytest.approx(7.0) and small.unit("rate") == "percent"


def test_a_declared_unit_reads_bare_numbers_in_scenarios_too():
    model = load("input rate: % = 21\ntax = 100 USD * rate\nscenario bull { rate = 25 }\n")
    assert model.run("bull").value("tax") == pytest.approx(25.0)


def test_a_plain_number_input_takes_a_plain_number_and_a_percent_converts():
    model = load("input view = 2\ninput share = 0.4\nscenario s { view = 3\n share = 50 % }\n")
    assert model.run("s").value("view") == 3
    assert model.run("s").value("share") == pytest.approx(0.5)


def test_a_scenario_value_of_another_dimension_is_refused():
    found = errors("input capex_per_gw = 50 billion USD/GW\nscenario bull { capex_per_gw = 10 billion GW }\n")
    assert found[0].kind == "unit-mismatch" and found[0].scenario == "bull" and found[0].span.line == 4


@pytest.mark.parametrize("body, kind", [
    ("input flag = true\nscenario s { flag = 1 }\n", "type"),
    ("input budget = 5 USD\nscenario s { budget = true }\n", "type"),
])
def test_booleans_and_numbers_do_not_mix_in_scenarios(body, kind):
    assert errors(body)[0].kind == kind


@pytest.mark.parametrize("body", [
    "input burn = {2025: 8 billion USD/year, 2026: 17 billion}\n",   # the second entry has no unit
    "input cost = 50 billion USD/GW .. 60 billion\n",                # the high end has no unit
    "input share = 40 % .. 50\n",
    "input cost = 5 USD .. 8 USD\n    base 6\n",
    "input churn = normal(5 %, 1)\n",
    "input flag = {2025: true, 2026: 3}\n",
])
def test_a_bare_number_beside_values_with_units_is_refused(body):
    found = errors(body)
    assert found[0].kind in ("missing-unit", "type"), found


def test_tables_ranges_and_distributions_with_units_everywhere_or_declared_still_work():
    r = load("input burn: USD/year = {2025: 8 billion, 2026: 17 billion}\n"
             "input cost = 50 billion USD/GW .. 60 billion USD/GW\ninput share = 0.4 .. 0.5\n"
             "input churn = normal(5 %, 1 %)\ninput x: USD = 5 .. 8\n    base 6\n").run()
    assert r.values["burn"][1] == pytest.approx(17e9) and r.value("x") == 6


def test_a_scenario_formula_keeps_the_models_unit():
    model = load("input cap = 2 GW\nsize: GW = cap\nscenario s { size = 1500 MW }\n")
    assert model.run("s").value("size") == pytest.approx(1.5)
    found = errors("input cap = 2 GW\ncost: USD = cap * 1 USD/GW\nscenario s { cost = cap * 2 }\n")
    assert found[0].kind == "declared-unit" and found[0].span.line == 5 and found[0].scenario == "s"
    undeclared = errors("input cap = 2 GW\ncost = cap * 1 USD/GW\nscenario s { cost = cap * 2 }\n")
    assert undeclared[0].kind == "declared-unit" and "computes it in USD" in undeclared[0].message


def test_a_scenario_cannot_change_a_quantitys_shape():
    found = errors("input a: USD = {2025..2027: 1}\nx = 2 USD\nscenario s { x = a }\n")
    assert found[0].kind == "bad-scenario" and found[0].scenario == "s"


# ------------------------------------------------------------------ item 3: --set


SET_MODEL = HEADER + ("input capex_per_gw = 50 billion USD/GW\ninput interest_rate = 7 %\ninput capacity = 1 GW\n"
                      "input lease: USD/year = {2025..2027: 3}\ninput count = 4\n"
                      "build_cost = capex_per_gw * capacity\ninterest = build_cost * interest_rate\n")


@pytest.mark.parametrize("setting, shown", [("capex_per_gw=12", "12 billion USD/GW"),
                                            ("interest_rate=0.08", "0.08 %"),
                                            ("capacity=1000", "1000 GW")])
def test_set_with_a_bare_number_is_refused_with_the_unit_to_write(setting, shown, tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(SET_MODEL)
    code, out, err = run_cli(["run", path, "--set", setting], capsys)
    assert code == 2 and out == ""
    assert "has no unit" in err and shown in err, err


def test_set_takes_a_bare_number_for_plain_and_declared_inputs_and_converts_units(tmp_path, capsys):
    model = engine.loads(SET_MODEL, "m.ush")
    r = model.run(overrides={"count": "5", "lease[2026]": "4", "capacity": "1500 MW", "interest_rate": "8 %"})
    assert r.value("count") == 5 and r.values["lease"][1] == 4
    assert r.value("capacity") == pytest.approx(1.5)
    assert r.value("interest") == pytest.approx(75e9 * 0.08)


def test_set_refuses_true_for_a_number_and_a_number_for_true_false():
    model = engine.loads(SET_MODEL + "input flag = true\n", "m.ush")
    for overrides in ({"capacity": "true"}, {"flag": "1"}, {"capacity": True}):
        with pytest.raises(ModelError):
            model.run(overrides=overrides)


def test_set_of_an_unknown_name_lists_the_inputs_and_says_how_many_more(tmp_path, capsys):
    body = HEADER + "".join(f"input in{i} = {i}\n" for i in range(20))
    path = tmp_path / "m.ush"
    path.write_text(body)
    code, _, err = run_cli(["run", path, "--set", "zzz=1"], capsys)
    assert code == 2 and "and 8 more" in err and "explain" in err


# ------------------------------------------------------------------ item 4: errors a scenario causes


def test_an_error_a_scenario_causes_in_a_base_formula_is_reported_at_the_scenario():
    found = errors("input x = 1\na = b + 1\nb = x\nscenario s { b = a * 2 }\n")
    d = found[0]
    assert d.kind == "cycle" and d.scenario == "s"
    assert d.span.line == 6, "reported at the scenario's own line"
    assert any(lab.span.line == 4 for lab in d.labels), "the formula that breaks is labelled"
    assert any("the formula that breaks" in n for n in d.notes)


def test_a_scenario_that_drops_an_initial_value_names_the_real_cause():
    found = errors("cash[2025] = 1 USD\ncash[2026..] = cash[t-1] * 2\nscenario s { cash[2026..] = cash[t-1] * 3 }\n")
    d = found[0]
    assert d.kind == "scenario-drops-equation" and d.scenario == "s"
    assert "cash[2025]" in d.message and "cash[2025] = 1 USD" in d.hint
    assert "USD = ..." not in (d.hint or ""), "no guessed unit"


def test_a_runtime_error_only_a_scenario_causes_names_it():
    model = load("input d = 2\nq = 1 / d\nscenario zero { d = 0 }\n")
    with pytest.raises(ModelError) as info:
        model.run("zero")
    assert info.value.diagnostics[0].kind == "runtime" and info.value.diagnostics[0].scenario == "zero"


def test_scenario_errors_render_with_the_scenario_name_in_text_and_json(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input tax_rate = 21 %\nscenario bull { tax_rate = 21 }\n")
    code, _, err = run_cli(["check", path], capsys)
    assert code == 2 and "error: in scenario `bull`:" in err
    code, _, err = run_cli(["check", path, "--format", "json"], capsys)
    assert json.loads(err)["errors"][0]["scenario"] == "bull"


# ------------------------------------------------------------------ item 5: every scenario is checked


@pytest.mark.parametrize("command", [["run"], ["run", "--scenario", "base"], ["check"], ["explain", "x"],
                                     ["export", "-o", "OUT.xlsx"], ["simulate", "-n", "10"]])
def test_a_broken_scenario_makes_every_command_exit_2(command, tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input capacity = 2 GW\nx = capacity * 2\nscenario bull {\n    cpacity = 3 GW\n}\n")
    args = [a.replace("OUT.xlsx", str(tmp_path / "o.xlsx")) for a in command]
    code, out, err = run_cli([args[0], path] + args[1:], capsys)
    assert code == 2 and "cpacity" in err
    assert not (tmp_path / "o.xlsx").exists()


def test_base_errors_are_not_repeated_for_every_scenario():
    found = errors("x = y\nscenario a { }\nscenario b { }\n")
    assert len(found) == 1 and found[0].scenario is None


# ------------------------------------------------------------------ item 9: long sums


def test_a_long_flat_sum_is_not_nesting_and_adds_left_to_right():
    n = 700
    values = [0.1 * (i + 1) ** 1.5 for i in range(n)]
    body = "".join(f"input v{i} = {v!r}\n" for i, v in enumerate(values))
    body += "big = " + " + ".join(f"v{i}" for i in range(n)) + "\n"
    body += "mixed = v0 - v1 + v2 - (v3 + v4) + v5\n"
    r = load(body).run()
    expected = 0.0
    for v in values:
        expected += v  # Excel and the engine add left to right: the same float, bit for bit
    assert r.value("big") == expected
    assert r.value("mixed") == values[0] - values[1] + values[2] - (values[3] + values[4]) + values[5]


def test_a_sum_of_twenty_thousand_terms_parses_checks_and_formats(tmp_path):
    from unitsheet.engine.formatter import format_module

    body = "input v = 1\nbig = " + " + ".join("v" for _ in range(20_000)) + "\n"
    model = load(body)
    assert model.run().value("big") == 20_000
    again = engine.loads(format_module(model.module), "t.ush")
    assert again.module == model.module


def test_brackets_nested_too_deep_are_still_refused():
    body = "x = " + "(" * 250 + "1" + ")" * 250 + "\n"
    assert errors(body)[0].kind == "limit"


def test_recurrences_written_with_the_lag_in_any_position_of_a_sum_are_affine_and_exact(monkeypatch):
    from unitsheet.engine import evaluate as evaluate

    body = ("input a = 0.3\ninput b = 1.7\n"
            "x[2025] = 1\nx[2026..] = a + b + x[t-1] * 0.9 - a\n"
            "y[2025] = 1\ny[2026..] = a - y[t-1] * 0.5 + b\n")
    fast = load(body).run()
    monkeypatch.setattr(evaluate, "AFFINE_RECURRENCES", False)
    slow = load(body).run()
    for name in ("x", "y"):
        assert np.array_equal(fast.values[name], slow.values[name])
    assert fast.values["x"][1] == 0.3 + 1.7 + 1 * 0.9 - 0.3


# ------------------------------------------------------------------ item 7: reductions are one value


def test_a_reduction_over_the_whole_timeline_is_a_single_value():
    r = load("input a: USD/year = {2025: 1, 2026: 2, 2027: 4}\ninput r = 10 %\ninput rates: % = {2025..2027: 5}\n"
             "input paid: USD = {2025: 1, 2026: 2, 2027: 4}\n"
             "tot = total(a)\ns = sum(paid)\nn = npv(r, a)\navg = average(a)\nlo = min(a)\nc = cagr(a)\n"
             "by_year = npv(rates, a)\n").run()
    for name in ("tot", "s", "n", "avg", "lo", "c"):
        assert not r.model.quantities[name].series, name
    assert r.value("tot") == 7 and r.unit("tot") == "USD"
    assert r.model.quantities["by_year"].series, "npv with a rate per period is a series"


def test_a_reduction_prints_once_in_the_table_and_csv(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input a: USD/year = {2025: 1, 2026: 2, 2027: 4}\ntot = total(a)\n")
    code, out, _ = run_cli(["run", path, "--format", "csv"], capsys)
    assert "tot,USD,7.0,,," in out


# ------------------------------------------------------------------ item 8: --only with csv


def test_only_selects_rows_in_csv_too(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input a: USD/year = {2025: 1, 2026: 2, 2027: 4}\ninput b = 2 USD\nflag = b > 1 USD\n")
    code, out, _ = run_cli(["run", path, "--format", "csv", "--only", "b", "flag"], capsys)
    assert code == 0
    assert out.splitlines() == ["quantity,unit,value,2025,2026,2027", "b,USD,2.0,,,", "flag,bool,true,,,"]


# ------------------------------------------------------------------ item 10: export errors have a place


def test_a_formula_too_long_for_excel_names_the_quantity_and_its_line(tmp_path, capsys):
    body = "".join(f"input v{i} = {i} USD\n" for i in range(700))
    # in reverse order: 700 consecutive rows added in order would be SUM(first:last)
    body += "big = " + " + ".join(f"v{i}" for i in reversed(range(700))) + "\n"
    path = tmp_path / "m.ush"
    path.write_text(HEADER + body)
    code, out, err = run_cli(["export", path, "-o", tmp_path / "m.xlsx"], capsys)
    assert code == 2 and not (tmp_path / "m.xlsx").exists()
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:703:1: error: cannot export `big` to Excel") and "8,192" in first
    assert max(len(line) for line in err.splitlines()) < 200, "a long source line is shown as a window"
    assert [p.name for p in tmp_path.iterdir()] == ["m.ush"], "no temporary file left behind"


def test_an_export_error_only_one_scenario_causes_names_it(tmp_path, capsys):
    body = ("input v = 1 USD\nbig = v\nscenario long { big = " + " + ".join("v" for _ in range(1000)) + " }\n")
    path = tmp_path / "m.ush"
    path.write_text(HEADER + body)
    code, _, err = run_cli(["export", path, "-o", tmp_path / "m.xlsx"], capsys)
    assert code == 2 and "in scenario `long`: cannot export `big`" in err and ":5:" in err.splitlines()[0]


def test_a_division_by_zero_only_one_scenario_causes_fails_the_export_naming_it(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input d = 2\nq = 1 / d\nscenario zero { d = 0 }\n")
    code, _, err = run_cli(["export", path, "-o", tmp_path / "m.xlsx"], capsys)
    assert code == 2 and "in scenario `zero`: division by zero in `q`" in err


# ------------------------------------------------------------------ item 11: smaller


def test_float_noise_prints_as_zero_and_years_without_separators(tmp_path, capsys):
    from unitsheet.engine import report

    r = load("input a: USD = {2025: 100 billion, 2026: 30 billion, 2027: 7 billion}\n"
             "noise = a * 0.1 * 3 - a * 0.3\nbig = a + noise\ninput cod_year = 2027\n").run()
    q = r.model.quantities["big"]
    shown, factor = report.display(q, r.values["big"], r.model.units)
    noisy = np.array([100e9, 1.67e-15 * 1e9 * 0 + 1.67e-6, 7e9])
    assert report.cells(noisy, q, r.model.units, factor) == ["100.00", "0.00", "7.00"]  # one set of decimals per row
    year = r.model.quantities["cod_year"]
    assert report.cells(r.values["cod_year"], year, r.model.units) == ["2027"]
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input cod_year = 2027\nafter = cod_year + 1\n")
    _, out, _ = run_cli(["explain", path, "after"], capsys)
    assert "cod_year = 2027" in out and "2,027" not in out and "2028" in out


def test_explain_without_a_name_lists_every_quantity(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "".join(f"input in{i} = {i}\n" for i in range(20)) + "x = in1 + in2\n")
    code, out, _ = run_cli(["explain", path], capsys)
    assert code == 0 and all(f"in{i} " in out for i in range(20)) and "x " in out


def test_plot_draws_every_line_distinct_and_says_which_axis(tmp_path, monkeypatch):
    from unitsheet.engine.plot import plot

    captured = {}
    from unitsheet.engine import plot as plotting  # plot() builds a Figure without pyplot, then writes it
    written = plotting.write_png
    monkeypatch.setattr(plotting, "write_png", lambda fig, *rest: (captured.setdefault("fig", fig), written(fig, *rest)))
    model = load("input rev: USD/year = {2025..2027: 5 billion}\ninput cap: GW = {2025..2027: 3}\n"
                 "_y = rev * 2\nscenario up { rev = {2025..2027: 6 billion USD/year} }\n")
    plot(model, ["rev", "cap", "_y"], ["base", "up"], tmp_path / "p.png", "$5 to $6 bn")
    fig = captured["fig"]
    lines = [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) == 3]
    styles = {(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines}
    assert len(lines) == 6 and len(styles) == 6
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("_y (base)") for t in legend)
    assert any("right axis" in t for t in legend) and any("left axis" in t for t in legend)
    assert fig.axes[0].get_title() == "$5 to $6 bn"


# ------------------------------------------------------------------ issue 12, 7-8: names Excel would confuse


@pytest.mark.parametrize("body, needle", [
    ("input x = 1\nscenario Bear { x = 2 }\nscenario bear { x = 3 }\n", "differ only in case"),
    ("input x = 1\nscenario Base { x = 2 }\n", "differ only in case"),
    ("input Revenue = 1 USD\nrevenue = Revenue * 2\n", "differ only in case"),
    ('input x = 1\ncheck "positive": x > 0\ncheck "positive": x < 5\n', "two checks are named"),
])
def test_names_a_spreadsheet_would_confuse_are_refused_when_compiling(body, needle):
    found = errors(body)
    assert found[0].kind == "duplicate-definition" and needle in found[0].message


def test_a_plain_ratio_displayed_in_percent_keeps_its_decimals():
    from unitsheet.engine import report

    r = load("input a = 0.46\nb = a * 1\n    display %\n").run()
    q = r.model.quantities["b"]
    shown, factor = report.display(q, r.values["b"], r.model.units)
    assert shown == "%" and report.cells(r.values["b"], q, r.model.units, factor) == ["46.00"]
