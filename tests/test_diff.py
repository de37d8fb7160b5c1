"""`unitsheet diff` (issue 29 item 1): what changed in the text, which numbers moved, and the
attribution of each move to the edits, against hand-computed values; every kind of structural
change; renames; checks flipping; exit codes; the attribution adding up on random edits of the
OpenAI model (a Hypothesis property)."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import diff as structure
from unitsheet.engine.diff_numbers import Edits, compare
from conftest import ROOT, run_cli

SHOP = """model "shop"
timeline 2025..2027 yearly

input price: USD = {2025: 10, 2026..2027: 12}
    source "price list" 2025-01-02 "ten dollars"
input volume = 100
revenue = price * volume
profit = revenue - 500 USD
margin = profit / revenue
    display %

check "profitable": profit > 0 USD
chart "Revenue": revenue

scenario low "cheap" {
    price = {2025..2027: 4}
}
"""


def diff_of(old: str, new: str, **options):
    return engine.loads(old, "old.ush").diff(engine.loads(new, "new.ush"), **options)


def moves(result, scenario="base") -> dict:
    return {m.name: m for s in result.scenarios if s.scenario == scenario for m in s.moves}


def part(move, label: str, i: int = 0):
    return next(p.change[i] for p in move.parts if p.edit == label)


# ------------------------------------------------------------------------- numbers, by hand


def test_two_input_edits_hand_computed_moves_and_attribution():
    new = SHOP.replace("input volume = 100", "input volume = 120").replace("{2025: 10,", "{2025: 11,")
    result = diff_of(SHOP, new)
    revenue = moves(result)["revenue"]
    # 2025: 10 x 100 = 1000 -> 11 x 120 = 1320; price alone 1100 (+100), volume alone 1200 (+200)
    assert revenue.periods == [2025, 2026, 2027] and revenue.unit == "USD"
    assert revenue.old == [1000, 1200, 1200] and revenue.new == [1320, 1440, 1440]
    assert revenue.change == [320, 240, 240]
    assert revenue.relative == pytest.approx([0.32, 0.2, 0.2])
    assert part(revenue, "input price") == pytest.approx(100) and part(revenue, "input volume") == pytest.approx(200)
    assert revenue.interaction[0] == pytest.approx(20)  # (11 - 10) x (120 - 100)
    assert part(revenue, "input price", 1) == 0 and revenue.interaction[1] == pytest.approx(0, abs=1e-9)
    # margin in %, as run shows it: 500/1000 = 50 % -> 820/1320
    margin = moves(result)["margin"]
    assert margin.unit == "%" and margin.old[0] == pytest.approx(50) and margin.new[0] == pytest.approx(82000 / 1320)
    # the scenario sets price itself: only volume moves its numbers there (4 x 100 -> 4 x 120)
    low = moves(result, "low")
    assert set(low) == {"volume", "revenue", "profit", "margin"}
    assert low["revenue"].change == [80, 80, 80] and part(low["revenue"], "input price") == 0


def test_largest_relative_move_first_and_the_threshold():
    new = SHOP.replace("input volume = 100", "input volume = 101")
    result = diff_of(SHOP, new)
    assert [m.name for m in result.scenarios[0].moves][0] == "profit"  # 500 -> 510: +2 %, the largest
    sizes = [m.size for m in result.scenarios[0].moves]
    assert sizes == sorted(sizes, reverse=True)
    # base: profit 500 -> 510 (+2 %); low: profit -100 -> -96 (4 %), margin -25 % -> -96/404 (4.95 %)
    quiet = diff_of(SHOP, new, threshold=0.03)
    assert not moves(quiet) and set(moves(quiet, "low")) == {"profit", "margin"}
    assert diff_of(SHOP, new, threshold=0.05).moved is False


def test_a_formula_edit_is_measured_on_the_old_text_with_it_alone():
    new = SHOP.replace("profit = revenue - 500 USD", "profit = revenue - 400 USD").replace(
        "input volume = 100", "input volume = 110")
    result = diff_of(SHOP, new)
    profit = moves(result)["profit"]
    # 2025: 1000 - 500 = 500 -> 1100 - 400 = 700; the formula alone +100, volume alone +100, no interaction
    assert profit.change[0] == 200
    assert part(profit, "formula profit") == pytest.approx(100) and part(profit, "input volume") == pytest.approx(100)
    assert profit.interaction[0] == pytest.approx(0, abs=1e-9)


def test_an_edit_that_cannot_stand_alone_is_held_by_the_interaction():
    new = SHOP.replace("input volume = 100", "input volume = 100\ninput fee = 50 USD").replace(
        "profit = revenue - 500 USD", "profit = revenue - 500 USD - fee")
    profit = moves(diff_of(SHOP, new))["profit"]
    alone = next(p for p in profit.parts if p.edit == "formula profit")
    assert alone.change == [None, None, None] and alone.why == "does not compile alone"
    assert part(profit, "input fee (added)") == 0  # nothing in OLD reads it
    assert profit.interaction == [-50, -50, -50]


def test_checks_that_flip_and_exit_codes(tmp_path, capsys):
    old, new, same = tmp_path / "old.ush", tmp_path / "new.ush", tmp_path / "same.ush"
    old.write_text(SHOP)
    new.write_text(SHOP.replace("input volume = 100", "input volume = 40"))  # 2025: 400 - 500 < 0
    same.write_text("# a comment and another layout change nothing\n" + SHOP.replace("price * volume", "price*volume"))
    code, out, err = run_cli(["diff", old, new], capsys)
    assert code == 1 and err == ""
    assert "check now FAILS: profitable: fails" in out
    result = diff_of(SHOP, new.read_text())
    flips = result.scenarios[0].flips
    assert [(f.check, f.old_passed, f.new_passed) for f in flips] == [("profitable", True, False)]
    back = diff_of(new.read_text(), SHOP).scenarios[0].flips
    assert [(f.check, f.old_passed, f.new_passed) for f in back] == [("profitable", False, True)]
    code, out, _ = run_cli(["diff", old, same], capsys)
    assert code == 0 and "the model text did not change" in out and "no number moved" in out


def test_a_side_that_does_not_compile_shows_its_errors_and_exits_2(tmp_path, capsys):
    old, new = tmp_path / "old.ush", tmp_path / "new.ush"
    old.write_text(SHOP)
    new.write_text(SHOP.replace("profit = revenue - 500 USD", "profit = revenue - 500 GW"))
    code, out, err = run_cli(["diff", old, new], capsys)
    assert code == 2
    assert f"{new}: this version does not compile; its errors:" in err
    assert re.search(rf"{re.escape(str(new))}:8:\d+: error: ", err) and "1 error found" in err
    assert "not compared" in out and "Traceback" not in err
    code, out, err = run_cli(["diff", new, old, "--format", "json"], capsys)
    assert code == 2 and json.loads(err)["errors"][0]["file"] == str(new)
    assert json.loads(out) == {"path": str(old), "status": "errors", "side": "old", "diff": None}
    new.write_text("model \"x\"\ntimeline 2025..2026 yearly\ninput a = = 1\n")  # a syntax error
    code, _, err = run_cli(["diff", old, new], capsys)
    assert code == 2 and re.search(rf"{re.escape(str(new))}:3:11: error: ", err) and "expected + or -" in err


def test_the_diffs_own_usage_errors(tmp_path, capsys):
    model = tmp_path / "m.ush"
    model.write_text(SHOP)
    code, out, err = run_cli(["diff", model], capsys)
    assert (code, out) == (2, "")
    assert err == ("unitsheet: error: diff compares OLD.ush NEW.ush; or --git REV [REV] [PATH ...]; or --textconv "
                   "FILE; or git's seven (or nine) arguments of an external diff (got 1 file)\n")
    code, _, err = run_cli(["diff", model, model, "--textconv", model], capsys)
    assert (code, err) == (2, "unitsheet: error: --textconv FILE prints one model: no other file, no --git\n")
    code, _, err = run_cli(["diff", "--textconv", model, "--threshold", "1%"], capsys)
    assert (code, err) == (2, "unitsheet: error: --textconv prints the model's text with its base values: --threshold "
                              "has no meaning there\n")
    code, _, err = run_cli(["diff", model, model, "--threshold", "-1"], capsys)
    assert code == 2 and err.endswith("unitsheet: error: argument --threshold: -1: the threshold is 0 or more "
                                      "(0.001 or 0.1%)\n")
    code, _, err = run_cli(["diff", model, model, "--scenario", "high"], capsys)
    assert code == 2 and "no scenario named `high` in either version" in err and "hint: scenarios in both: base, low" in err


def test_threshold_in_percent_and_output_file(tmp_path, capsys):
    old, new, out_file = tmp_path / "old.ush", tmp_path / "new.ush", tmp_path / "diff.json"
    old.write_text(SHOP)
    new.write_text(SHOP.replace("input volume = 100", "input volume = 101"))
    code, out, _ = run_cli(["diff", old, new, "--threshold", "50%", "--format", "json", "-o", out_file], capsys)
    assert (code, out) == (0, "")
    data = json.loads(out_file.read_text())
    assert data["threshold"] == 0.5 and data["moved"] is False
    assert [c["label"] for c in data["changes"]] == ["input volume"]


# ------------------------------------------------------------------------- the text's changes


def labels(old: str, new: str) -> list[str]:
    return [c.label for c in structure.changes(engine.loads(old, "a").module, engine.loads(new, "b").module)]


def test_every_kind_of_structural_change():
    new = (SHOP.replace('model "shop"', 'model "shop 2"')
               .replace('input volume = 100', 'input volume = 100\n    note "units sold"\ninput tax = 10 %')
               .replace('margin = profit / revenue\n    display %\n', '')
               .replace('chart "Revenue": revenue', 'chart "Revenue": revenue, profit\nchart "Profit": profit')
               .replace('check "profitable": profit > 0 USD', 'check "profitable" for t in 2026..2027: profit > 0 USD')
               .replace('price = {2025..2027: 4}', 'price = {2025..2027: 5}')
           + 'scenario high { price = {2025..2027: 20} }\ndimension region = {na, eu}\n')
    changes = {c.label: c for c in structure.changes(engine.loads(SHOP, "a").module, engine.loads(new, "b").module)}
    assert list(changes) == ['model ', 'input volume', 'input tax (added)', 'check profitable', 'chart Revenue',
                             'chart Profit (added)', 'scenario low', 'scenario high (added)',
                             'dimension region (added)', 'formula margin (removed)']
    assert changes["input volume"].details == ['+ note "units sold"']
    price = SHOP.replace("{2025: 10,", "{2025: 9,")
    assert structure.changes(engine.loads(SHOP, "a").module, engine.loads(price, "b").module)[0].details == [
        "value: {2025: 10, 2026..2027: 12} -> {2025: 9, 2026..2027: 12}",
        '= source "price list" 2025-01-02 "ten dollars"']  # the source the new value still cites
    assert changes["check profitable"].details == ["for: every period -> 2026..2027"]
    assert changes["scenario low"].details == ["price: {2025..2027: 4} -> {2025..2027: 5}"]
    assert changes["chart Revenue"].details == ['chart "Revenue": revenue -> chart "Revenue": revenue, profit']
    assert changes["formula margin (removed)"].old_text == "margin = profit / revenue\n    display %"
    assert changes["model "].details == ['model "shop" -> model "shop 2"']


def test_formulas_compared_per_equation_and_dimension_items():
    old = 'model "m"\ntimeline 2025..2027 yearly\ndimension region = {na, eu}\ninput p by region = {na: 1, eu: 2}\n' \
          'x[2025] = 1\nx[2026..] = x[t-1] * 2\n'
    new = old.replace("{na, eu}", "{na, eu, apac}").replace("{na: 1, eu: 2}", "{na: 1, eu: 2, apac: 3}") \
        .replace("x[t-1] * 2", "x[t-1] * 3")
    changes = {c.label: c for c in structure.changes(engine.loads(old, "a").module, engine.loads(new, "b").module)}
    assert changes["dimension region"].details == ["+ item apac"]
    assert changes["formula x"].details == ["x[2026..]: x[t-1] * 2 -> x[t-1] * 3"]
    assert changes["input p"].details == ["value: {na: 1, eu: 2} -> {na: 1, eu: 2, apac: 3}"]
    result = diff_of(old, new)
    assert moves(result)["x"].old == [2, 4] and moves(result)["x"].new == [3, 9]  # 2026, 2027
    assert moves(result)["x"].periods == [2026, 2027]


def test_a_rename_is_recognised_by_the_same_formula_and_the_same_uses():
    renamed = SHOP.replace("profit = revenue - 500 USD", "earnings = revenue - 500 USD").replace(
        "margin = profit / revenue", "margin = earnings / revenue").replace("profit > 0 USD", "earnings > 0 USD")
    assert labels(SHOP, renamed) == ["formula profit -> earnings (renamed)", "formula margin", "check profitable"]
    result = diff_of(SHOP, renamed)
    assert result.moved is False  # a rename moves no number; earnings is compared with profit
    # the formula differs too: not a rename, a removal and an addition
    other = renamed.replace("earnings = revenue - 500 USD", "earnings = revenue - 400 USD")
    assert "formula profit (removed)" in labels(SHOP, other) and "formula earnings (added)" in labels(SHOP, other)
    # the same formula, but not the same uses (the check still reads profit): not a rename
    half = SHOP.replace("margin = profit / revenue", "margin = earnings / revenue") + "earnings = revenue - 500 USD\n"
    assert "formula earnings (added)" in labels(SHOP, half) and "formula margin" in labels(SHOP, half)


def test_two_candidates_for_one_rename_are_no_rename():
    old = 'model "m"\ntimeline 2025..2026 yearly\ninput a = 1\nb = a * 2\n'
    new = 'model "m"\ntimeline 2025..2026 yearly\ninput a = 1\nc = a * 2\nd = a * 2\n'
    assert labels(old, new) == ["formula c (added)", "formula d (added)", "formula b (removed)"]
    assert labels(old, new.replace("d = a * 2\n", "")) == ["formula b -> c (renamed)"]


def test_renamed_checks_charts_and_scenarios_keep_their_results():
    new = SHOP.replace('check "profitable"', 'check "in profit"').replace('chart "Revenue"', 'chart "Sales"') \
        .replace("scenario low", "scenario cheap").replace("input volume = 100", "input volume = 40")
    assert labels(SHOP, new) == ["input volume", "check profitable -> in profit (renamed)",
                                 "chart Revenue -> Sales (renamed)", "scenario low -> cheap (renamed)"]
    result = diff_of(SHOP, new)
    assert [(f.check, f.new_passed) for f in result.scenarios[0].flips] == [("in profit", False)]
    assert result.only_old == ["low"] and result.only_new == ["cheap"]  # compared by name only


# ------------------------------------------------------------------------- the OpenAI model

OPENAI = (ROOT / "models" / "openai_capex.ush").read_text()
# inputs written `input NAME = NUMBER [scale] UNIT` on one line, a unit after the number (no switch or year)
INPUT_LINES = [m for m in re.finditer(r"^input (\w+) = (\d+(?:\.\d+)?)( ?(?:thousand|million|billion|trillion)? ?"
                                      r"[A-Za-z%][\w/%]*)$", OPENAI, re.M)]
# one-line formulas of a single value or a whole series, numbers with a unit
FORMULA_LINES = [m for m in re.finditer(r"^(\w+) = ([^\n(]+)$", OPENAI, re.M)]


def _numeric_formulas() -> list:
    checked = engine.loads(OPENAI, "m").checked()
    return [m for m in FORMULA_LINES if checked.quantities.get(m.group(1)) is not None
            and checked.quantities[m.group(1)].unit is not None]


NUMERIC_FORMULAS = _numeric_formulas()


@st.composite
def openai_edits(draw):
    inputs = draw(st.lists(st.sampled_from(INPUT_LINES), max_size=4, unique_by=lambda m: m.group(1)))
    formulas = draw(st.lists(st.sampled_from(NUMERIC_FORMULAS), max_size=3, unique_by=lambda m: m.group(1)))
    edits = {}
    for m in inputs:
        factor = draw(st.sampled_from([0.5, 0.9, 1.1, 1.25, 2.0]))
        edits[m.group(0)] = f"input {m.group(1)} = {float(m.group(2)) * factor!r}{m.group(3)}"
    for m in formulas:
        factor = draw(st.sampled_from([0.8, 1.05, 1.5]))
        edits[m.group(0)] = f"{m.group(1)} = ({m.group(2)}) * {factor!r}"
    renamed = draw(st.none() | st.sampled_from([m.group(1) for m in NUMERIC_FORMULAS]))
    return edits, renamed


def renaming(text: str, name: str) -> str:
    """`name` spelled `name_v2` everywhere but inside strings (notes, sources, check names)."""
    def line(text: str) -> str:
        parts = text.split('"')
        return '"'.join(re.sub(rf"\b{name}\b", f"{name}_v2", p) if i % 2 == 0 else p for i, p in enumerate(parts))
    return "\n".join(line(x) for x in text.split("\n"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(openai_edits())
def test_the_parts_add_up_to_the_move_on_random_edits_of_the_openai_model(drawn):
    edits, renamed = drawn
    new = OPENAI
    for line, replacement in edits.items():
        new = new.replace(line, replacement, 1)
    if renamed:
        new = renaming(new, renamed)
    old_model, new_model = engine.loads(OPENAI, "old.ush"), engine.loads(new, "new.ush")
    try:
        result = compare(old_model, new_model)
    except Exception as err:  # an edit may make the model fail (a check of a ratio's sign is fine; errors are not)
        from unitsheet.engine.diff_numbers import SideError

        assert isinstance(err, SideError) and err.side == "new", err
        return
    assert result.moved == any(s.moves or s.flips for s in result.scenarios)
    if renamed and not any(line.startswith(renamed + " =") for line in edits):  # its formula as it was
        assert f"formula {renamed} -> {renamed}_v2 (renamed)" in [c.label for c in result.changes]
        assert edits or not result.moved  # a rename alone moves no number
    else:
        assert len([c for c in result.changes if c.numeric]) <= len(edits)  # 0 % x 2 is no change
    for scenario in result.scenarios:
        for move in scenario.moves:
            assert move.parts, move.name
            for i, change in enumerate(move.change):
                if change is None:
                    continue
                known = [p.change[i] for p in move.parts if p.change[i] is not None]
                total = math.fsum(known + [move.interaction[i]])
                scale = max([abs(change)] + [abs(k) for k in known])
                assert math.isclose(total, change, rel_tol=1e-12, abs_tol=1e-12 * scale), (move.name, i)


def test_input_edits_as_rows_equal_the_hybrid_texts():
    """The one-evaluation variants (an input's value as a row) against the independent route:
    OLD's text with the one edit made, compiled and run."""
    new = OPENAI.replace("input round_headline = 110 billion USD", "input round_headline = 125 billion USD").replace(
        "input valuation_round_2026 = 730 billion USD", "input valuation_round_2026 = 800 billion USD").replace(
        "input run_rate_jul_2025 = 12 billion USD/year", "input run_rate_jul_2025 = 13 billion USD/year")
    old_model, new_model = engine.loads(OPENAI, "old.ush"), engine.loads(new, "new.ush")
    result = compare(old_model, new_model)
    edits = Edits(old_model, new_model, result.changes)
    for scenario in ("base", "bear"):
        before = old_model.run(scenario)
        rows = [m.old_name for s in result.scenarios if s.scenario == scenario for m in s.moves]
        assert rows
        by_rows = edits._by_rows(scenario, before, rows)
        assert set(by_rows) == {0, 1, 2}
        for k, edit in enumerate(edits.edits):
            by_text = edits._by_text(k, edit, scenario, before, rows)
            for row in rows:
                a, b = by_rows[k].values[row].reshape(-1), by_text.values[row].reshape(-1)
                assert a == pytest.approx(b, rel=1e-12, abs=1e-6, nan_ok=True), (edit.label, row)


def test_json_is_the_result_as_data():
    new = SHOP.replace("input volume = 100", "input volume = 120")
    data = diff_of(SHOP, new).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"old", "new", "threshold", "moved", "changes", "scenarios", "scenarios_only_in_old",
                         "scenarios_only_in_new"}
    profit = next(m for m in data["scenarios"][0]["moves"] if m["name"] == "profit")
    assert profit["old"] == [500, 700, 700] and profit["new"] == [700, 940, 940]
    assert profit["attribution"] == {"parts": [{"edit": "input volume", "change": [200, 240, 240], "why": None}],
                                     "interaction": [0.0, 0.0, 0.0]}


def test_units_and_timelines_that_change():
    old = 'model "m"\ntimeline 2025..2027 yearly\ninput a = 5 USD\ninput d = 1000 m\ninput g = 2\nx = g * 2\n'
    new = old.replace("5 USD", "5 GW").replace("1000 m", "1 km").replace("2025..2027", "2024..2028")
    result = diff_of(old, new)
    base = result.scenarios[0]
    assert base.not_compared == ["a: its unit changed from USD to GW"]
    assert base.moves == []  # 1000 m is 1 km; x is a single value
    series = 'model "m"\ntimeline 2025..2027 yearly\ninput g = 2\nx = g * year()\n'
    longer = diff_of(series, series.replace("2025..2027", "2024..2028").replace("input g = 2", "input g = 3"))
    x = moves(longer)["x"]
    assert x.periods == [2025, 2026, 2027] and x.old == [4050, 4052, 4054] and x.new == [6075, 6078, 6081]
    labels = [p.edit for p in x.parts]
    assert labels == ["timeline ", "input g"]
    assert x.parts[0].change == [None] * 3 and x.parts[0].why == "changes the timeline"
    assert x.parts[1].change == [2025, 2026, 2027] and x.interaction == [0, 0, 0]


def test_a_renamed_dimensioned_quantity_is_compared_item_by_item():
    old = 'model "m"\ntimeline 2025..2026 yearly\ndimension region = {na, eu}\ninput p by region = {na: 1, eu: 2}\n' \
          'q = p * 2\ncheck "positive": sum(q over region) > 0\n'
    new = old.replace("q = p * 2", "doubled = p * 2").replace("sum(q over", "sum(doubled over").replace(
        "{na: 1, eu: 2}", "{na: 1, eu: 5}")
    result = diff_of(old, new)
    assert [c.label for c in result.changes] == ["input p", "formula q -> doubled (renamed)", "check positive"]
    rows = moves(result)
    assert set(rows) == {"p[eu]", "doubled[eu]"}
    assert rows["doubled[eu]"].old_name == "q[eu]" and rows["doubled[eu]"].old == [4] and rows["doubled[eu]"].new == [10]


def test_the_readme_example_is_what_the_command_prints(tmp_path, capsys, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Reviewing a change", 1)[1].split("```\n", 2)[1]
    shown = [line for line in block.split("\n")[1:] if line.strip() not in ("", "...")]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.ush").write_text(SHOP)
    (tmp_path / "new.ush").write_text(SHOP.replace("input volume = 100", "input volume = 120").replace(
        "{2025: 10,", "{2025: 11,"))
    code, out, _ = run_cli(["diff", "old.ush", "new.ush"], capsys)
    lines = [line for line in out.split("\n") if line.strip()]
    assert code == 1 and lines[:len(shown)] == shown


def test_the_input_edits_are_rows_of_one_evaluation(monkeypatch):
    from conftest import count_evaluations

    new = SHOP.replace("input volume = 100", "input volume = 120").replace("{2025: 10,", "{2025: 11,") \
        .replace("profit = revenue - 500 USD", "profit = revenue - 400 USD")
    old_model, new_model = engine.loads(SHOP, "old.ush"), engine.loads(new, "new.ush")
    calls = count_evaluations(monkeypatch, old_model, "base")
    result = compare(old_model, new_model, ["base"])
    assert calls == [(), (3,)]  # OLD once, then itself and the two input edits as rows of one evaluation
    assert part(moves(result)["profit"], "formula profit") == pytest.approx(100)  # the formula: its own text


def test_timelines_without_a_common_period_are_said_not_compared():
    yearly = 'model "m"\ntimeline 2025..2026 yearly\ninput g = 2\nx = g * year()\n    rollup last\n'
    monthly = yearly.replace("2025..2026 yearly", "2025-01..2026-12 monthly")
    base = diff_of(yearly, monthly).scenarios[0]
    assert base.moves == [] and base.not_compared == ["every series: the two timelines have no period in common"]


def test_each_hybrid_is_old_with_one_edit_and_parses_as_a_whole_parse_would():
    edited = {"profit = revenue - 500 USD": "profit = revenue - 400 USD",
              "margin = profit / revenue": "margin = profit / revenue * 1"}
    new = SHOP
    for was, now in edited.items():
        new = new.replace(was, now)
    old_model, new_model = engine.loads(SHOP, "old.ush"), engine.loads(new, "new.ush")
    result = compare(old_model, new_model)
    edits = Edits(old_model, new_model, result.changes)
    before = old_model.run()
    for k, edit in enumerate(edits.edits):
        edits._by_text(k, edit, "base", before, ["profit"])
    assert [h.text for h in edits._hybrids.values()] == [SHOP.replace(was, now) for was, now in edited.items()]
    from unitsheet.engine.parser import parse

    for hybrid in edits._hybrids.values():
        whole = parse(hybrid.text, hybrid.file)
        assert hybrid.module == whole and [s.span for s in hybrid.module.statements] == [s.span for s in whole.statements]


def test_edits_that_read_a_renamed_quantity_stand_alone_on_old_with_the_renames_made():
    new = SHOP.replace("profit = revenue - 500 USD", "earnings = revenue - 500 USD").replace(
        "margin = profit / revenue", "margin = earnings / revenue * 2").replace("profit > 0 USD", "earnings > 0 USD")
    result = diff_of(SHOP, new)
    assert [c.label for c in result.changes] == ["formula profit -> earnings (renamed)", "formula margin",
                                                 "check profitable"]
    margin = moves(result)["margin"]
    # margin = 2 x 500/1000: the formula alone (on OLD, profit spelled earnings) moves it all
    assert margin.old[0] == pytest.approx(50) and margin.new[0] == pytest.approx(100)
    assert part(margin, "formula margin") == pytest.approx(50)
    assert part(margin, "formula profit -> earnings (renamed)") == 0 and margin.interaction[0] == pytest.approx(0)
    assert all(p.why is None for p in margin.parts)


def test_the_python_api_refuses_what_is_not_a_version_a_list_or_a_threshold():
    model = engine.loads(SHOP, "shop.ush")
    for call, message in ((lambda: model.diff("new.ush"), "diff compares with another version, a Model: not 'new.ush'"),
                          (lambda: model.diff(model, scenarios="low"), "scenarios is a list of names, not the text 'low'"),
                          (lambda: model.diff(model, threshold=-0.1), "the threshold is a share of the old value, "
                                                                     "0 or more: not -0.1")):
        with pytest.raises(engine.ModelError) as err:
            call()
        assert err.value.diagnostics[0].message == message
    assert model.diff(model, scenarios=["low"]).moved is False


def test_a_check_that_flips_with_no_number_moving(tmp_path, capsys):
    old, new = tmp_path / "old.ush", tmp_path / "new.ush"
    old.write_text(SHOP)
    new.write_text(SHOP.replace("profit > 0 USD", "profit > 600 USD"))  # 2025: 500
    code, out, _ = run_cli(["diff", old, new, "--scenario", "base"], capsys)
    assert code == 1
    assert "[base] no row moved:\n  check now FAILS: profitable: fails" in out


def test_a_rename_and_the_statements_it_only_respells_are_not_compiled(monkeypatch):
    new = SHOP.replace("profit = revenue - 500 USD", "earnings = revenue - 500 USD").replace(
        "margin = profit / revenue", "margin = earnings / revenue").replace("input volume = 100", "input volume = 90") \
        .replace("profit > 0 USD", "earnings > 0 USD")
    old_model, new_model = engine.loads(SHOP, "old.ush"), engine.loads(new, "new.ush")
    result = compare(old_model, new_model)
    assert [c.label for c in result.changes] == ["input volume", "formula profit -> earnings (renamed)",
                                                 "formula margin", "check profitable"]
    edits = Edits(old_model, new_model, result.changes)
    assert [edits._only_renames(e) for e in edits.edits] == [False, True, True]
    earnings = moves(result)["earnings"]  # 1000 - 500 -> 900 - 500, all the volume's
    assert earnings.old_name == "profit" and earnings.change == [-100, -120, -120]
    assert [p.change for p in earnings.parts] == [[-100, -120, -120], [0, 0, 0], [0, 0, 0]]


# ------------------------------------------------------------------- actuals and data statements

ACTUALS = """model "cups"
timeline 2026-01..2026-06 monthly
data till = csv "till.csv" by month(month)
input cups_actual: count = till.cups
    rollup sum
input growth = 4 %
cups[2026-01] = 3000 count
cups[2026-02..] = cups[t-1] * (1 + growth)
    rollup sum
actual cups = cups_actual until last
"""


def test_actual_and_data_statements_are_edits_of_their_own(tmp_path):
    """An `actual` statement's change and a `data` statement's are changes of their own kind
    (they were unknown to the diff: a KeyError), and the attribution still adds up to the move."""
    (tmp_path / "till.csv").write_text("month,cups\n2026-01,3100\n2026-02,3350\n2026-03,3600\n")
    (tmp_path / "till2.csv").write_text("month,cups\n2026-01,3100\n2026-02,3350\n")
    old = tmp_path / "old.ush"
    old.write_text(ACTUALS)
    new = tmp_path / "new.ush"
    new.write_text(ACTUALS.replace("until last", "until 2026-02").replace('"till.csv"', '"till2.csv"')
                   .replace("growth = 4 %", "growth = 5 %"))
    result = engine.load(old).diff(engine.load(new))
    kinds = {(c.kind, c.name) for c in result.changes}
    assert {("actual", "cups"), ("data", "till"), ("input", "growth")} <= kinds
    cups = moves(result)["cups"]
    # 2026-03: the actual 3600 -> 3350 x 1.05 = 3517.5
    assert cups.change[cups.periods.index("2026-03")] == pytest.approx(3517.5 - 3600)
    assert not cups.parts  # it reads data: no attribution (test_a_model_that_reads_data_is_not_attributed...)
    literal = ACTUALS.replace('data till = csv "till.csv" by month(month)\n', "").replace(
        "= till.cups", "= {2026-01: 3100, 2026-02: 3350, 2026-03: 3600}")
    result = diff_of(literal, literal.replace("until last", "until 2026-02").replace("growth = 4 %", "growth = 5 %"))
    cups = moves(result)["cups"]
    assert cups.change[cups.periods.index("2026-03")] == pytest.approx(3517.5 - 3600)
    assert {p.edit for p in cups.parts} == {"actual cups", "input growth"}
    for i, total in enumerate(cups.change):
        parts = sum(p.change[i] or 0 for p in cups.parts) + (cups.interaction[i] or 0)
        assert parts == pytest.approx(total, rel=1e-12, abs=1e-9)


def test_an_input_edit_with_the_timeline_moved_is_not_lined_up_by_position():
    """An independent review's finding: a timeline shifted by one month with the same length put
    NEW's 2026-03 price into OLD's 2026-02 row, crediting `price` with +11 where it moved +1. Now such
    an edit is measured on OLD's text, which refuses it (the timeline changed): the interaction
    holds the move, and no part claims a wrong number."""
    old = ('model "o"\ntimeline 2026-01..2026-04 monthly\n'
           "input price: USD = {2026-01: 10, 2026-02: 20, 2026-03: 30, 2026-04: 40}\n    rollup last\n"
           "input qty = 5 count/month\nrevenue = price * qty\n")
    new = (old.replace("2026-01..2026-04", "2026-02..2026-05")
           .replace("{2026-01: 10, 2026-02: 20, 2026-03: 30, 2026-04: 40}", "{2026-02: 21, 2026-03: 31, 2026-04: 41, 2026-05: 51}")
           .replace("5 count/month", "6 count/month"))
    price = moves(diff_of(old, new))["price"]
    assert price.change[0] == pytest.approx(1)  # 2026-02: 20 -> 21
    claimed = [p for p in price.parts if p.edit == "input price" and p.change[0] is not None]
    assert not claimed or claimed[0].change[0] == pytest.approx(1)


def test_a_model_that_reads_data_is_not_attributed_to_its_text_edits(tmp_path):
    """A changed data file moves numbers no edit of the text says: the one-edit shortcut credited
    the whole move to the formula edit. A model that reads data gets no attribution."""
    for version, q2 in (("v1", 20), ("v2", 25)):
        (tmp_path / version).mkdir()
        (tmp_path / version / "q.csv").write_text(f"year,rev\n2025,10\n2026,{q2}\n")
        formula = "total = rev * 2" if version == "v1" else "total = rev * 3"
        (tmp_path / version / "m.ush").write_text('model "m"\ntimeline 2025..2026 yearly\n'
                                                  'data q = csv "q.csv" by year\ninput rev: USD = q.rev\n'
                                                  f"{formula}\n")
    result = engine.load(tmp_path / "v1" / "m.ush").diff(engine.load(tmp_path / "v2" / "m.ush"))
    moved = moves(result)
    assert moved["rev"].change == [5] and moved["total"].change == [10, 35]  # the periods that moved
    assert all(not m.parts for m in moved.values())


def test_a_database_url_given_without_its_table_is_never_repeated(capsys):
    code, out, err = run_cli(["run", ROOT / "models" / "saas_regions.ush", "--data",
                              "postgresql://user:secret@host/db?sslmode=require"], capsys)
    assert code == 2 and "secret" not in out + err and "TABLE=URL" in err
