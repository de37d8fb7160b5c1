"""Actuals and forecast (issue 30 item 3, engine/actuals.py): `actual revenue = revenue_actual until
2026-03` makes revenue the actuals up to that period and its formula after, the formula's earlier
periods (revenue[t-1]) reading the actuals; forecast(revenue) is the formula alone. Values against
hand-computed numbers; every command shows which periods are actuals; the workbook shades them and
LibreOffice recomputes the engine's values."""

import json

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from conftest import run_cli
from unitsheet import engine
from unitsheet.engine.formatter import format_module
from unitsheet.engine.parser import parse
from unitsheet.exports.xlsx import excel_name, export_workbook, model_name
from test_export import _need_libreoffice, engine_cells
from workbook import close, libreoffice_recalculate, name_cells

MODEL = '''model "actuals"
timeline 2026-01..2026-06 monthly
input revenue_actual: USD/month = {2026-01: 100, 2026-02: 120, 2026-03: 90}
    source "ledger.csv" 2026-04-02 "closed months"
input start = 80 USD/month
revenue[2026-01] = start
revenue[2026-02..] = revenue[t-1] * 1.1
actual revenue = revenue_actual until 2026-03
balance[2026-01] = revenue * 1 month
balance[2026-02..] = balance[t-1] + revenue * 1 month
variance = revenue - forecast(revenue)
check "within 20 % of plan": abs(revenue - forecast(revenue)) <= 20% * revenue
scenario faster {
    revenue[2026-01] = start
    revenue[2026-02..] = revenue[t-1] * 1.2
}
'''

# by hand: the actuals, then 10 % a month on the last actual (90 -> 99 -> 108.9 -> 119.79)
REVENUE = [100, 120, 90, 99, 108.9, 119.79]
PLAN = [80, 88, 96.8, 106.48, 117.128, 128.8408]  # 80 grown 10 % a month from the start
BALANCE = [100, 220, 310, 409, 517.9, 637.69]  # the running sum of a month of each


def model(text=MODEL):
    return engine.loads(text, "actuals.ush")


def test_actuals_then_the_formula_reading_them():
    r = model().run()
    assert np.allclose(r.values["revenue"], REVENUE)
    assert np.allclose(r.values["balance"], BALANCE), "a balance whose first months are actuals"
    assert np.allclose(r.values["forecast(revenue)"], PLAN)
    assert np.allclose(r.values["variance"], np.array(REVENUE) - np.array(PLAN))
    assert r.model.quantities["revenue"].actual.until == 2


def test_a_variance_check_fails_where_actuals_leave_the_plan():
    """|120 - 88| = 32 > 20 % of 120 = 24 in 2026-02 only (2026-01: 20 <= 20 holds)."""
    [check] = model().run().checks
    assert not check["passed"] and "2026-02" in check["message"]
    assert "2026-01" not in check["message"] and "2026-03" not in check["message"]


def test_a_scenario_replacing_the_formula_keeps_the_actuals():
    r = model().run("faster")
    assert np.allclose(r.values["revenue"], [100, 120, 90, 108, 129.6, 155.52])
    assert np.allclose(r.values["forecast(revenue)"], [80 * 1.2 ** k for k in range(6)])


def test_until_last_is_the_last_period_every_item_has():
    text = '''timeline 2026-01..2026-06 monthly
dimension region = {na, eu}
input revenue_actual by region: USD/month = {na: {2026-01..2026-03: 100}, eu: {2026-01..2026-02: 50}}
input start by region: USD/month = {na: 90, eu: 40}
revenue[2026-01] = start
revenue[2026-02..] = revenue[t-1] * 2
actual revenue = revenue_actual until last
'''
    r = model(text).run()
    assert list(r.values["revenue[na]"]) == [100, 100, 200, 400, 800, 1600], "eu has no 2026-03: both end at 2026-02"
    assert list(r.values["revenue[eu]"]) == [50, 50, 100, 200, 400, 800]
    assert r.to_dict()["quantities"]["revenue"]["actual_until"] == "2026-02"


def test_set_moves_the_last_actual_period():
    m = model()
    r = m.run(overrides={"revenue.actual_until": "2026-01"})
    assert np.allclose(r.values["revenue"], [100, 110, 121, 133.1, 146.41, 161.051])
    assert np.allclose(m.run(overrides={"revenue.actual_until": "last"}).values["revenue"], REVENUE)
    with pytest.raises(engine.ModelError) as info:
        m.run(overrides={"revenue.actual_until": "2026-05"})  # revenue_actual stops at 2026-03
    d = info.value.diagnostics[0]
    assert "no value for 2026-04" in d.message and d.span.line == 8
    assert any("--set revenue.actual_until=2026-05" in n for n in d.notes)
    with pytest.raises(engine.ModelError, match="no `actual` statement"):
        m.run(overrides={"balance.actual_until": "2026-01"})


def test_set_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "actuals.ush"
    path.write_text(MODEL)
    code, out, _ = run_cli(["run", str(path), "--set", "revenue.actual_until=2026-02", "--format", "json"], capsys)
    data = json.loads(out)["quantities"]["revenue"]
    assert data["actual_until"] == "2026-02" and data["actuals"] == "revenue_actual"
    assert np.allclose(data["values"], [100, 120, 132, 145.2, 159.72, 175.692])
    code, out, err = run_cli(["check", str(path), "--set", "revenue.actual_until=2026-13"], capsys)
    assert code == 2 and "is not a period" in err


def test_the_table_json_and_explain_say_which_periods_are_actuals(tmp_path, capsys):
    path = tmp_path / "actuals.ush"
    path.write_text(MODEL)
    _, out, _ = run_cli(["run", str(path)], capsys)
    row = next(line for line in out.splitlines() if line.startswith("revenue "))
    assert row.split()[2:] == ["100.00*", "120.00*", "90.00*", "99.00", "108.90", "119.79"]
    assert "* actuals: revenue from revenue_actual to 2026-03" in out
    assert not any(line.startswith("forecast(revenue)") and "*" in line for line in out.splitlines())
    _, out, _ = run_cli(["run", str(path), "--format", "json"], capsys)
    quantities = json.loads(out)["quantities"]
    assert quantities["revenue"]["actual_until"] == "2026-03" and "actual_until" not in quantities["balance"]
    _, out, _ = run_cli(["explain", str(path), "revenue"], capsys)
    assert "actuals: 2026-01 to 2026-03 from revenue_actual; the formula from 2026-04" in out
    assert 'source: ledger.csv 2026-04-02 "closed months"' in out
    assert [line.endswith("(actual)") for line in out.split("values:")[1].strip().splitlines()] == [True] * 3 + [False] * 3
    _, out, _ = run_cli(["explain", str(path)], capsys)
    assert "(series, actual to 2026-03)" in next(line for line in out.splitlines() if line.startswith("revenue "))
    _, out, _ = run_cli(["run", str(path), "--by", "quarter"], capsys)
    row = next(line for line in out.splitlines() if line.startswith("revenue "))
    assert row.split()[-2].endswith("*") and not row.split()[-1].endswith("*"), "2026Q1 is wholly actual, Q2 not"


def test_fmt_round_trips_the_actual_statement():
    text = MODEL.replace("until 2026-03", "until last")
    module = parse(text, "a.ush")
    assert format_module(module) == text
    assert parse(format_module(module), "a.ush") == module


def test_forecast_rows_have_a_defined_name_no_model_name_has():
    for name in ("forecast(revenue)", "forecast(revenue)[na, chat]", "forecast(c1)"):
        assert model_name(excel_name(name)) == name and excel_name(name).startswith("_forecast.")


@settings(max_examples=20, deadline=None)
@given(until=st.integers(0, 5), actuals=st.lists(st.integers(1, 10_000), min_size=6, max_size=6))
def test_any_last_period_splits_actuals_and_formula(until, actuals):
    """Up to `until` the actuals, after it the formula on the previous value; the forecast never
    depends on the actuals."""
    table = ", ".join(f"2026-{k + 1:02d}: {v}" for k, v in enumerate(actuals))
    text = MODEL.replace("{2026-01: 100, 2026-02: 120, 2026-03: 90}", "{" + table + "}")
    text = text.replace("until 2026-03", f"until 2026-{until + 1:02d}")
    r = model(text).run()
    revenue = r.values["revenue"]
    assert list(revenue[:until + 1]) == actuals[:until + 1]
    for k in range(until + 1, 6):
        assert revenue[k] == pytest.approx(revenue[k - 1] * 1.1, rel=1e-15)
    assert np.allclose(r.values["forecast(revenue)"], PLAN)
    assert np.allclose(r.values["balance"], np.cumsum(revenue))


def test_the_workbook_shades_actuals_cites_their_source_and_libreoffice_agrees(tmp_path):
    m = model()
    path = tmp_path / "actuals.xlsx"
    export_workbook(m, path)
    wb = openpyxl.load_workbook(path)
    cells = name_cells(wb, "revenue")
    ws = wb[cells[0][0]]
    for k, (_, cell) in enumerate(cells):
        c = ws[cell]
        shaded = c.fill.fill_type is not None and c.fill.fgColor.rgb.endswith("E2EFDA")
        assert shaded == (k <= 2), cell
        assert (c.comment is not None) == (k <= 2)
        if k <= 2:
            assert c.value.startswith("=Inputs!"), "an actual cell links to the actuals' input cell"
            assert 'ledger.csv 2026-04-02 "closed months"' in c.comment.text
        else:
            assert "Inputs!" not in c.value
    _need_libreoffice()
    recalculated = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)
    checked = 0
    for sheet, cell, value in engine_cells(m, "base", recalculated):
        got = recalculated[sheet][cell].value
        assert (got is None and value is None) or close(got, value, rel=1e-12), (sheet, cell, got, value)
        checked += 1
    assert checked >= 6 * 5


def test_the_docs_example_runs_as_written():
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    section = text[text.index("## Actuals and forecast"):text.index("## Dimensions")]
    [block] = re.findall(r"```unitsheet\n(.*?\n)```", section, re.S)
    r = engine.loads(block, "doc.ush").run()
    assert np.allclose(r.values["revenue"], REVENUE) and np.allclose(r.values["balance"], BALANCE)
    assert not r.passed, "2026-02 is 32 off a plan of 88: more than 20 % of 120"


def test_the_saas_model_runs_on_from_its_actual_months():
    """What the README says of models/saas_monthly.ush: six actual months, 2025-07 grown from the
    last one (6,390 * 0.98 + 400 = 6,662.2), the plan from 5,000 (6,712.4 in 2025-07)."""
    from conftest import ROOT

    m = engine.load(ROOT / "models" / "saas_monthly.ush")
    r = m.run()
    seats = r.values["seats"]
    assert list(seats[:6]) == [5000, 5290, 5610, 5850, 6170, 6390]
    assert seats[6] == pytest.approx(6390 * 0.98 + 400, rel=1e-15)
    plan = [5000.0]
    for _ in range(6):
        plan.append(plan[-1] * 0.98 + 400)
    assert np.allclose(r.values["forecast(seats)"][:7], plan) and round(plan[6]) == 6712
    assert r.to_dict()["quantities"]["seats"]["actual_until"] == "2025-06"
    assert m.run(overrides={"seats.actual_until": "2025-04"}).values["seats"][4] == pytest.approx(5850 * 0.98 + 400)
    assert all(c["passed"] for s in m.scenarios for c in m.run(s).checks)


def test_the_editor_knows_the_statement():
    from unitsheet.engine import editor_actions
    from unitsheet.engine.editor import Document

    doc = Document(MODEL, "actuals.ush")
    assert doc.checked_diagnostics == []
    assert "actual" in [c.label for c in editor_actions.completions(doc, 1, 1)]
    hover = doc.hover(8, 9)  # `revenue` in the actual statement: its equations, the actuals among them
    assert hover is not None and "revenue[2026-01..2026-03] = revenue_actual" in hover.text
    refs = [o.span.line for o in doc.index.occurrences if o.symbol == ("quantity", "revenue")]
    assert 8 in refs
    line = MODEL.splitlines()[11]
    hover = doc.hover(12, line.index("forecast") + 2)
    assert hover is not None and "`forecast(x)`" in hover.text


def test_a_formula_as_the_actuals_as_the_unit_error_hints():
    """Amounts per month for a rate: the hint's conversion over the actual months works."""
    text = '''timeline 2026-01..2026-06 monthly
input revenue_amount: USD = {2026-01: 100, 2026-02: 120, 2026-03: 90}
    rollup sum
input price = 10 USD/month
revenue = price * 2
actual revenue = revenue_amount until 2026-03
'''
    with pytest.raises(engine.ModelError) as info:
        model(text).run()
    [d] = info.value.diagnostics
    fix = "revenue_amount_rate[2026-01..2026-03] = revenue_amount / period_length()"
    assert d.kind == "unit-mismatch" and fix in d.hint
    fixed = text.replace("revenue = price", fix + "\nrevenue = price").replace("= revenue_amount until",
                                                                               "= revenue_amount_rate until")
    assert list(model(fixed).run().values["revenue"]) == [100, 120, 90, 20, 20, 20]


def test_an_error_in_a_formula_with_a_forecast_is_said_once():
    text = '''timeline 2026-01..2026-06 monthly
input price = 10 USD
input revenue_actual: USD/month = {2026-01: 1}
revenue = price + 1 USD/month
actual revenue = revenue_actual until 2026-01
check "x": abs(revenue - forecast(revenue)) <= 1 USD/month
'''
    with pytest.raises(engine.ModelError) as info:
        model(text).run()
    assert [d.span.line for d in info.value.diagnostics] == [4]


def test_a_simulation_draws_nothing_in_the_actual_months():
    """The actual months are facts: every sample has them; the spread starts after them."""
    text = MODEL.replace("input start = 80 USD/month", "input start = 80 USD/month\ninput g = 5 % .. 15 %").replace(
        "revenue[t-1] * 1.1\nactual", "revenue[t-1] * (1 + g)\nactual")
    sim = model(text).simulate(400, seed=1)
    s = sim.summary("revenue")
    assert s["p5"][:3] == s["p95"][:3] == [100, 120, 90]
    assert s["p5"][3] < 99 < s["p95"][3] and s["p5"][3] >= 90 * 1.05 and s["p95"][3] <= 90 * 1.15


def test_an_equation_inside_the_actuals_is_unused_and_said_so_unless_the_forecast_reads_it():
    text = "\n".join(line for line in MODEL.splitlines() if "forecast" not in line) + "\n"
    base, scenario = model(text).warnings()  # the model's revenue[2026-01] = start, and the scenario's
    assert base.kind == scenario.kind == "unused-equation" and "to 2026-03" in base.message
    assert (base.span.line, base.scenario, scenario.scenario) == (6, None, "faster")
    assert model().warnings() == [], "forecast(revenue) reads revenue[2026-01] = start"


def test_set_of_the_last_actual_period_keeps_the_data_folders(tmp_path, capsys):
    """An independent review's finding: --set NAME.actual_until made the model again without its
    --data-dir, so actuals read from a folder beside the model's were refused."""
    (tmp_path / "dd").mkdir()
    (tmp_path / "dd" / "act.csv").write_text("month,revenue\n2026-01,100\n2026-02,110\n2026-03,120\n")
    (tmp_path / "mm").mkdir()
    model = tmp_path / "mm" / "m.ush"
    model.write_text('model "m"\ntimeline 2026-01..2026-06 monthly\ndata act = csv "../dd/act.csv" by month\n'
                     "input revenue_actual: USD/month = act.revenue\nrevenue[2026-01] = 90 USD/month\n"
                     "revenue[2026-02..] = revenue[t-1] * 1.1\nactual revenue = revenue_actual until last\n")
    code, out, err = run_cli(["run", model, "--data-dir", tmp_path / "dd", "--set", "revenue.actual_until=2026-02",
                              "--format", "json"], capsys)
    assert code == 0, err
    values = json.loads(out)["quantities"]["revenue"]["values"]
    assert values[:3] == pytest.approx([100, 110, 121])  # 2026-03 from the formula once the actuals end at 2026-02
