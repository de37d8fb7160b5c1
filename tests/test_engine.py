"""Semantics of the language, checked on small models whose answers are known by hand."""

import json

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine.diagnostics import ModelError

HEADER = 'model "t"\ntimeline 2025..2029 yearly\n'


@functools.lru_cache(maxsize=1)
def _openai(path: str):
    return engine.load(path)


def _openai_model(root):
    return _openai(str(root / "models/openai_capex.ush"))


def run(body: str, **kw):
    return engine.loads(HEADER + body, "t.ush").run(**kw)


def errors(body: str) -> list:
    with pytest.raises(ModelError) as info:
        run(body)
    return info.value.diagnostics


def test_recurrence_with_initial_value():
    r = run("input opening = 10 USD\ninput flow: USD/year = {2025..2029: 2}\n"
            "cash[2025] = opening\ncash[2026..] = cash[t-1] + flow[t] * 1 year\n")
    assert list(r.values["cash"]) == [10, 12, 14, 16, 18]
    assert r.unit("cash") == "USD"


def test_general_equation_fills_the_periods_the_specific_ones_leave():
    r = run("x[2027] = 100\nx[t] = 1\n")
    assert list(r.values["x"]) == [1, 1, 100, 1, 1]


def test_mutual_recurrence_through_lags_is_evaluated_period_by_period():
    r = run("a[2025] = 1\na[2026..] = b[t-1] + 1\nb = a * 2\n")
    # a: 1, 3, 7, 15, 31 ; b = 2a
    assert list(r.values["a"]) == [1, 3, 7, 15, 31]
    assert list(r.values["b"]) == [2, 6, 14, 30, 62]


def test_scalar_broadcasts_over_series_and_shape_is_inferred():
    r = run("input rate = 10 %\ninput rev: USD/year = {2025..2029: 100}\nfee = rev * rate\nflat = rate * 2\n")
    assert r.model.quantities["fee"].series and not r.model.quantities["flat"].series
    assert np.allclose(r.values["fee"], 10.0)
    assert r.value("flat") == pytest.approx(20.0)  # percent kept: 20 %
    assert r.unit("flat") == "percent"


def test_total_integrates_a_flow_and_sum_does_not():
    r = run("input burn: USD/year = {2025: 1, 2026: 2, 2027: 3, 2028: 4, 2029: 5}\n"
            "input paid: USD = {2025: 1, 2026: 2, 2027: 3, 2028: 4, 2029: 5}\n"
            "t1 = total(burn[2025..2027])\ns1 = sum(paid[2026..])\navg = average(burn)\n"
            "lo = min(burn[2025..2029])\nhi = max(burn)\n")
    assert r.value("t1") == 6 and r.unit("t1") == "USD"
    assert r.value("s1") == 14 and r.unit("s1") == "USD"
    assert r.value("avg") == 3 and r.value("lo") == 1 and r.value("hi") == 5
    assert r.unit("avg") == "USD / year"  # an average of rates is a rate
    with pytest.raises(ModelError, match=r"sum\(\) would add up its years' rates"):
        run("input burn: USD/year = {2025..2029: 1}\ns1 = sum(burn[2026..])\n")


def test_running_totals_growth_and_year():
    r = run("input flow: USD/year = {2025..2029: 2}\ninput paid: USD = {2025..2029: 2}\nrt = running_total(flow)\n"
            "rs = running_sum(paid)\ng[2026..] = growth(rt)\ny = year()\n")
    assert list(r.values["rt"]) == [2, 4, 6, 8, 10] and r.unit("rt") == "USD"
    assert list(r.values["rs"]) == [2, 4, 6, 8, 10] and r.unit("rs") == "USD"
    assert r.values["g"][1] == pytest.approx(1.0)
    assert np.isnan(r.values["g"][0])
    assert list(r.values["y"]) == [2025, 2026, 2027, 2028, 2029]


def test_npv_matches_excel_convention_and_cagr():
    r = run("input cf: USD/year = {2025..2029: 100}\ninput r = 10 %\nv = npv(r, cf[2025..2027])\n"
            "input level: USD = {2025: 100, 2026: 110, 2027: 121, 2028: 133.1, 2029: 146.41}\n"
            "c = cagr(level[2025..2029])\n")
    assert r.value("v") == pytest.approx(sum(100 / 1.1 ** k for k in (1, 2, 3)))
    assert r.unit("v") == "USD"
    assert r.value("c") == pytest.approx(0.10)


def test_unit_conversions_are_explicit_factors():
    r = run("input cap = 1500 MW\ninput cost = 50 billion USD/GW\nspend = cap * cost\ng: GW = cap\n")
    assert r.unit("spend") == "USD" and r.value("spend") == pytest.approx(75e9)
    assert r.value("g") == pytest.approx(1.5)


def test_if_comparisons_booleans_and_choose():
    r = run("input flag = true\ninput view = 2\ninput x: USD = {2025..2029: 5}\n"
            "pick = choose(view, 1 USD, 2 USD, 3 USD)\nbig = x > 4 USD and not (x > 6 USD)\n"
            "y = if(flag or false, x, 0 USD)\nr = round(2.5) + round(-2.5) + abs(-1)\n")
    assert r.value("pick") == 2
    assert r.values["big"].all()
    assert list(r.values["y"]) == [5] * 5
    assert r.value("r") == 1.0  # 3 + -3 + 1: halves away from zero, as Excel's ROUND


def test_checks_pass_fail_and_explain_the_failure():
    r = run("input x: USD = {2025: 5, 2026: 5, 2027: -1, 2028: 5, 2029: 5}\n"
            'check "positive": x > 0 USD\n'
            'check "later" for t in 2028..2029: x[t] > 0 USD\n'
            'check "approx": 103 USD ~= 100 USD within 2%\n'
            'check "absolute": 103 USD ~= 100 USD within 5 USD\n')
    by_name = {c["name"]: c for c in r.checks}
    assert not by_name["positive"]["passed"] and "2027" in by_name["positive"]["message"]
    assert by_name["later"]["passed"]
    assert not by_name["approx"]["passed"] and by_name["absolute"]["passed"]
    assert not r.passed


def test_scenarios_replace_inputs_and_formulas():
    m = engine.loads(HEADER + "input price = 10 USD\nrevenue = price * 3\n"
                     "scenario high { price = 20 USD }\nscenario formula { revenue = price * 4 }\n", "t.ush")
    assert m.scenarios == ["base", "high", "formula"]
    assert m.run().value("revenue") == 30
    assert m.run("high").value("revenue") == 60
    assert m.run("formula").value("revenue") == 40


def test_overrides_are_parsed_with_units_and_converted():
    m = engine.loads(HEADER + "input cost = 50 billion USD/GW\ninput rev: USD/year = {2025..2029: 1}\n"
                     "x = cost * 1 GW\n", "t.ush")
    assert m.run(overrides={"cost": "55 million USD/MW"}).value("x") == pytest.approx(55e9)
    assert m.run(overrides={"rev[2027]": "3 USD/year"}).values["rev"][2] == 3
    with pytest.raises(ModelError, match="cannot set `cost`"):
        m.run(overrides={"cost": "5 GW"})
    with pytest.raises(ModelError, match="it is a formula"):
        m.run(overrides={"x": "1 USD"})
    with pytest.raises(ModelError):
        m.run(overrides={"cost": "__import__('os').system('echo hacked')"})


def test_unknown_scenario_is_an_error_with_suggestion():
    m = engine.loads(HEADER + "input a = 1 USD\nscenario bear { a = 2 USD }\n", "t.ush")
    with pytest.raises(ModelError) as info:
        m.run("baer")
    assert "did you mean `bear`" in info.value.diagnostics[0].hint


def test_input_range_base_is_midpoint_or_stated():
    r = run("input a = 50 USD .. 60 USD\ninput b = 50 USD .. 60 USD\n    base 52 USD\n")
    assert r.value("a") == 55 and r.value("b") == 52
    assert r.model.quantities["a"].low == 50 and r.model.quantities["a"].high == 60


def test_scale_words_are_exact():
    r = run("input a = 1.4 trillion USD\ninput b = 55 billion USD/GW\n")
    assert r.value("a") == 1.4e12 and r.value("b") == 55e9


def test_user_defined_units_and_dimensions():
    r = run("unit token\nunit kilotoken = 1000 token\ninput price = 2 USD/kilotoken\ninput volume = 5000 token\n"
            "spend = price * volume\n")
    assert r.unit("spend") == "USD" and r.value("spend") == pytest.approx(10)


def test_lead_references_and_fixed_periods():
    r = run("input x: USD = {2025: 1, 2026: 2, 2027: 3, 2028: 4, 2029: 5}\nnxt[..2028] = x[t+1]\n"
            .replace("[..2028]", "[2025..2028]") + "last = x[2029]\n")
    assert list(r.values["nxt"][:4]) == [2, 3, 4, 5] and r.value("last") == 5


@pytest.mark.parametrize("body,kind", [
    ("a = b\nb = a\n", "cycle"),
    ("x[2025] = 1\nx[2026..] = x[t+1]\n", "lag-before-timeline"),  # x[2029] would read 2030
    ("a[2025..2028] = b[t+1]\na[2029] = 1\nb[2025] = 0\nb[2026..] = a[t-1]\n", "cycle"),  # a[2025] -> b[2026] -> a[2025]
    ("x = 1\nx = 2\n", "duplicate-definition"),
    ("input a = 1 USD\nb = a[2025]\n", "shape"),
    ("input a: USD = {2025..2029: 1}\nb: USD = sum(a[2025..2029]) + a[2030]\n", "bad-period"),
    ("t = 1\n", "bad-name"),
    ("input a = 2 USD\nb = a ^ a\n", "bad-exponent"),
    ("x = if(1, 2, 3)\n", "type"),
    ("x = min(1 USD, 2 GW)\n", "unit-mismatch"),
    ('check "not bool": 1 + 2\n', "type"),
    ("x = 1e400\n", "limit"),
])
def test_compile_errors(body, kind):
    assert kind in {d.kind for d in errors(body)}


def test_no_python_evaluation_reaches_model_text():
    payload = "__import__('os').system('touch /tmp/unitsheet_pwned')"
    for body in (f"x = {payload}\n", f"input a = {payload}\n", f'model "{payload}"\n', f"x = 1 {payload}\n",
                 f"unit {payload}\n", f"input a: {payload} = 1\n"):
        with pytest.raises(ModelError):
            engine.loads(HEADER + body, "t.ush").run()
    import os
    assert not os.path.exists("/tmp/unitsheet_pwned")


def test_json_contract(capsys, root):
    from unitsheet.engine.cli import main

    assert main(["run", str(root / "models/openai_capex.ush"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "OpenAI capex and financing" and data["scenario"] == "base"
    assert data["timeline"][:3] == ["2025-01", "2025-02", "2025-03"] and data["timeline"][-1] == "2033-12"
    assert len(data["timeline"]) == 108
    rev = data["quantities"]["revenue"]
    assert rev["unit"] == "USD / year" and rev["kind"] == "series" and rev["values"][0] == 13e9
    cash = data["quantities"]["cash_balance"]
    assert cash["values"][0] is None and cash["values"][13] == 40e9 and cash["unit"] == "USD"  # 2026-02
    assert main(["run", str(root / "models/openai_capex.ush"), "--format", "json", "--by", "year"]) == 0
    yearly = json.loads(capsys.readouterr().out)
    assert yearly["timeline"] == list(range(2025, 2034))  # years stay numbers, as before months
    assert yearly["quantities"]["revenue"]["values"][:3] == [13e9, 30e9, 60e9]
    assert yearly["rollup"]["rules"]["revenue"] == "average" and yearly["rollup"]["rules"]["cash_balance"] == "last"
    assert data["quantities"]["stargate_capacity_gw"]["unit"] == "gigawatt"
    assert data["quantities"]["amazon_flowback_ratio"]["unit"] == "dimensionless"
    assert all(set(c) == {"name", "passed", "message"} for c in data["checks"])
    import pint
    registry = pint.UnitRegistry()
    registry.define("USD = [currency]")
    for q in data["quantities"].values():
        if q["unit"] != "bool":
            registry.parse_units(q["unit"])  # the contract: pint-parsable


def test_cli_exit_codes(capsys, tmp_path):
    from unitsheet.engine.cli import main

    good = tmp_path / "good.ush"
    good.write_text(HEADER + 'input a = 1 USD\ncheck "ok": a > 0 USD\n')
    failing = tmp_path / "failing.ush"
    failing.write_text(HEADER + 'input a = 1 USD\ncheck "nope": a > 5 USD\n')
    bad = tmp_path / "bad.ush"
    bad.write_text(HEADER + "x = = 1\n")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(failing)]) == 1
    assert main(["check", str(bad)]) == 2
    assert main(["run", str(tmp_path / "missing.ush")]) == 2
    assert main(["run", str(good), "--set", "nonsense"]) == 2
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_invalid_utf8_is_reported(tmp_path):
    path = tmp_path / "bin.ush"
    path.write_bytes(b'model "x"\n\xff\xfe\n')
    with pytest.raises(ModelError, match="not valid UTF-8"):
        engine.load(path)


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    with pytest.raises(ModelError, match="nested deeper"):
        engine.loads(HEADER + "x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n", "t.ush")
    with pytest.raises(ModelError, match="nested deeper"):
        engine.loads(HEADER + "x = " + "-" * 5_000 + "1\n", "t.ush")


def test_fmt_cli_check_and_write(tmp_path, capsys):
    from unitsheet.engine.cli import main

    path = tmp_path / "m.ush"
    path.write_text(HEADER + "x=1+2   # three\n")
    assert main(["fmt", str(path), "--check"]) == 1
    assert main(["fmt", str(path), "--write"]) == 0
    assert path.read_text().endswith("x = 1 + 2  # three\n")
    assert main(["fmt", str(path), "--check"]) == 0


def test_explain_lists_formula_inputs_and_sources(capsys, root):
    from unitsheet.engine.cli import main

    assert main(["explain", str(root / "models/openai_capex.ush"), "cash_balance"]) == 0
    out = capsys.readouterr().out
    assert "cash_balance[2026-03..2033-12] = cash_balance[t-1]" in out
    assert "cash_after_round" in out and "004_ed9f67eefeb93bc3.txt" in out


def test_explain_shows_an_assumption_note_where_an_input_has_no_source(tmp_path, capsys):
    from unitsheet.engine.cli import main

    path = tmp_path / "m.ush"
    path.write_text(HEADER + 'input churn = 2 %\n    note "ASSUMPTION: monthly logo churn"\n'
                             'input price = 5 USD\nloss = churn * price\n')
    assert main(["explain", str(path), "loss"]) == 0
    out = capsys.readouterr().out
    assert "churn = 2.00 %   [ASSUMPTION: monthly logo churn]" in out
    assert "price = 5.00 USD   [no source]" in out


def test_to_frame():
    pytest.importorskip("pandas")
    r = run("input a: USD = {2025..2029: 1}\nb = a * 2\nc = 5 USD\n")
    frame = r.to_frame()  # a row per period, (quantity, unit) columns; single values apart (tests/test_notebook.py)
    assert frame.loc["2027", ("b", "USD")] == 2 and "c" not in frame.columns.get_level_values("quantity")
    assert r.singles().loc["c"].tolist() == [5.0, "USD"]


def test_every_command_is_documented(root):
    from unitsheet.engine.cli import build_parser

    readme = (root / "README.md").read_text()
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        assert f"unitsheet {name} " in readme, f"`unitsheet {name}` is not in the README"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in readme, f"`unitsheet {name} {flag}` is not in the README"


@pytest.mark.parametrize("literal,message", [("1e400", "too large"), ("1e-400", "too small"),
                                             ("1e-400 USD", "too small")])
def test_magnitudes_that_floats_cannot_hold_are_errors(literal, message):
    for body in (f"x = {literal}\n", f"input x = {literal}\n"):
        with pytest.raises(ModelError, match=message):
            run(body)


def test_commands_write_exactly_where_asked(tmp_path, root, monkeypatch):
    from unitsheet.engine.cli import main

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    target = tmp_path / "elsewhere" / "book.xlsx"
    target.parent.mkdir()
    assert main(["export", str(root / "models/openai_capex.ush"), "-o", str(target)]) == 0
    assert main(["plot", str(root / "models/openai_capex.ush"), "revenue", "-o", str(target.with_suffix(".png"))]) == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.png", "book.xlsx"]
    assert list(work.iterdir()) == [], "nothing written in the working directory"
    assert main(["export", str(root / "models/openai_capex.ush"), "-o", str(tmp_path / "missing" / "b.xlsx")]) == 2


def test_recurrence_with_hoisted_terms_matches_a_hand_computation():
    r = run("input g: % = {2025..2029: 10}\ninput k = 2 USD\nother = k * 3 + k\n"
            "x[2025] = 1 USD\nx[2026..] = x[t-1] * (1 + g[t]) + max(other, 5 USD) / 2\n")
    expected = [1.0]
    for _ in range(4):
        expected.append(expected[-1] * 1.1 + 4.0)
    assert np.allclose(r.values["x"], expected, rtol=1e-15)


def test_runtime_error_inside_a_recurrence_names_the_first_bad_period():
    with pytest.raises(ModelError) as info:
        run("input d: USD = {2025: 1, 2026: 1, 2027: 0, 2028: 1, 2029: 1}\n"
            "a[2025] = 1\na[2026..] = b[t-1] + 1\nb = a / d * 1 USD\n")
    diag = info.value.diagnostics[0]
    assert diag.kind == "runtime" and "`b` for 2027" in diag.message and "division by zero" in diag.message


RECURRENCE_FORMS = """
input g: % = {2025..2029: 10}
input k = 2 USD
a[2025] = 1 USD
a[2026..] = a[t-1] * 0.5 + k - g[t] * k
b[2025] = 2 USD
b[2026..] = k - b[t-1] * 0.5
c[2025] = 3 USD
c[2026..] = k + c[t-1]
d[2025] = 4 USD
d[2026..] = k - d[t-1] + a[t] - b[t-1]
e[2025] = -0 USD
e[2026..] = e[t-1] * 0.5 + a[t] - a[t]
f[2025] = 5 USD
f[2026..] = f[t-1] * g[t] + a[t] + b[t] + c[t]
h[2025] = 6 USD
h[2026..] = 0.5 * h[t-1] - k
"""


@pytest.mark.parametrize("source", ["synthetic", "openai", "forms"])
def test_fast_paths_are_bit_for_bit_the_general_path(source, root, monkeypatch):
    """Affine recurrences (x[t] = x[t-1] * A + B - C ...) run as float or column loops, and
    same-shape rows run as one group: neither may change a single bit (the workbook computes
    each formula as written). Compared: one row at a time without the affine loop, one row at
    a time with it, and grouped; each deterministic and on a samples axis."""
    from unitsheet.engine import evaluate as evaluate
    from benchmarks.synthetic import synthetic_model
    from unitsheet.engine import batching
    from unitsheet.engine.model import input_values

    text = {"synthetic": lambda: synthetic_model(300),
            "openai": lambda: (root / "models/openai_capex.ush").read_text() +
            "\nz[2025] = 1 USD\nz[2026..] = 3 USD - z[t-1] * 0.5\n    rollup last\n",
            "forms": lambda: 'model "forms"\ntimeline 2025..2029 yearly\n' + RECURRENCE_FORMS}[source]()
    checked = engine.loads(text, "m.ush").checked()
    inputs = input_values(checked, {})
    results = {}
    for affine, grouped, row_loop_limit in [(False, False, 16), (True, False, 16), (True, True, 16),
                                            (True, True, 0), (True, True, 10**6)]:
        monkeypatch.setattr(evaluate, "AFFINE_RECURRENCES", affine)
        monkeypatch.setattr(evaluate, "BATCHING", grouped)
        monkeypatch.setattr(batching, "ROW_LOOP_LIMIT", row_loop_limit)
        evaluator = evaluate.Evaluator(checked)
        kinds = {type(entry).__name__ for entry in evaluator.order}
        if grouped:
            assert "RecurrentGroups" in kinds
        elif affine:
            assert "Affine" in kinds
        key = (affine, grouped, row_loop_limit)
        results[key] = evaluator.run(inputs)
        samples = evaluator.run({k: np.broadcast_to(v, (3,) + v.shape) for k, v in inputs.items()}, prefix=(3,))
        for name in checked.quantities:
            assert np.array_equal(samples[name][1], np.broadcast_to(results[key][name], samples[name][1].shape),
                                  equal_nan=True), name
    reference = results[(False, False, 16)]
    for key, env in results.items():
        for name in checked.quantities:
            assert np.array_equal(env[name], reference[name], equal_nan=True), (key, name)
            assert (np.signbit(env[name]) == np.signbit(reference[name])).all(), (key, name)


def test_readme_tour_model_runs_and_its_error_example_is_exact(root, tmp_path, capsys):
    """The README's tour is executable documentation: the model checks, and the mistake it shows
    (dropping `* 1 year`) renders exactly as printed there."""
    import re

    from unitsheet.engine.cli import main

    readme = (root / "README.md").read_text()
    model = re.search(r'(model "Data-center build-out".*?\ncheck [^\n]*\n)', readme, re.S).group(1)
    path = tmp_path / "model.ush"
    path.write_text(model)
    assert main(["check", str(path)]) == 0
    broken = model.replace("- burn[t] * 1 year                     #", "- burn[t]                     #")
    path.write_text(broken)
    capsys.readouterr()
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.replace(str(path), "model.ush")
    shown = re.search(r"```\n(model\.ush:12:16: error:.*?)\n```", readme, re.S).group(1)
    for line in shown.splitlines():
        assert line.split("#")[0].rstrip() in err, line


@settings(max_examples=40)
@given(data=st.data())
def test_rerun_since_earlier_results_equals_a_full_run_and_skips_what_did_not_change(data, root):
    """run(since=earlier) evaluates only what depends on changed inputs, and gives exactly the
    values of a full run: for any subset of the OpenAI model's inputs moved anywhere in their ranges."""
    model = _openai_model(root)
    checked = model.checked()
    base = model.run()
    ranged = sorted(n for n, q in checked.quantities.items() if q.kind == "input" and q.low is not None)
    chosen = data.draw(st.lists(st.sampled_from(ranged), unique=True, max_size=4))
    overrides = {n: data.draw(st.floats(checked.quantities[n].low, checked.quantities[n].high)) for n in chosen}
    evaluator = model.evaluator()
    try:
        full = model.run_values("base", overrides)
    except ModelError:
        return
    entries = len(evaluator.order)
    again = model.run_values("base", overrides, since=base)
    for name in checked.quantities:
        assert np.array_equal(again.values[name], full.values[name], equal_nan=True), name
    assert again.checks == full.checks
    changed = [n for n in chosen if float(checked.quantities[n].value[0]) != overrides[n]]
    assert (evaluator.last_run_entries < entries) or len(changed) > 0
    if not changed:
        assert evaluator.last_run_entries == 0


def test_rerun_since_touches_only_the_dependents():
    model = engine.loads('model "m"\ntimeline 2025..2027 yearly\ninput a = 1 USD\ninput b = 2 USD\n'
                         'x = a * 2\ny = b * 2\nz = y + 1 USD\nw = x + z\n')
    base = model.run()
    evaluator = model.evaluator()
    again = model.run(overrides={"a": "5 USD"}, since=base)
    assert evaluator.last_run_entries == 2  # x and w; not y, z
    assert again.value("w") == 15.0 and base.value("w") == 7.0, "earlier results are left alone"


def test_the_command_as_a_process_exits_with_its_code_and_flushes_its_output(root, tmp_path):
    """`python -m engine` ends with os._exit (engine/cli.py, console): output must still arrive
    whole, and the exit code must be the command's."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "unitsheet", "run", str(root / "models/openai_capex.ush"),
                           "--format", "json"], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0 and json.loads(done.stdout)["quantities"]
    bad = tmp_path / "bad.ush"
    bad.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 1 USD + 1 GW\n')
    done = subprocess.run([sys.executable, "-m", "unitsheet", "check", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2 and "bad.ush:3:" in done.stderr
