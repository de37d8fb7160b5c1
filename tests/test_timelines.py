"""Monthly and quarterly timelines: period literals, coarser labels covering their periods, rates
in another time unit than the period, the calendar functions, roll-ups to quarters and years
(command line and the workbook's Annual and Quarterly sheets, recalculated by LibreOffice), and
every command on every granularity. Values are checked against hand computation."""

import datetime as dt
import json

import numpy as np
import openpyxl
import pytest

from unitsheet import engine
from conftest import ROOT, run_cli
from unitsheet.engine import rollup
from unitsheet.engine.diagnostics import ModelError
from unitsheet.exports.layout import row_style
from unitsheet.exports.xlsx import export_workbook
from test_export import _need_libreoffice
from workbook import close, libreoffice_recalculate

MONTH = 1 / 12  # of a year, as pint defines a month

# The issue's examples, line for line, on a timeline that ends where the example's burn table
# ends (2026-12), with the inputs the fragments read declared above them.
ISSUE_EXAMPLE = """model "issue examples"
timeline 2025-01..2026-12 monthly
input growth = 3 %
input churned: USD/month = {2025: 10 thousand, 2026: 12 thousand}
input receipts: USD/month = {2025..2026: 1 billion}
input cash_after_round = 40 billion USD
input price: USD/month = {2025: 20, 2026-01..2026-06: 22, 2026-07..: 24}   # a year key fills its 12 months
input burn: USD/year = {2025: 8 billion, 2026: 17 billion}                  # a yearly rate on a monthly timeline
mrr[2025-01] = 1 million USD/month
mrr[2025-02..] = mrr[t-1] * (1 + growth) - churned[t]
same_month_last_year[2026-01..] = mrr[t-12]
revenue_2026 = total(mrr[2026])                  # a year on a monthly timeline: its 12 periods (USD)
revenue_h1 = total(mrr[2026-01..2026-06])
cash[2026-02] = cash_after_round                 # an anchor at a month
cash[2026-03..] = cash[t-1] + (receipts[t] - burn[t]) * period_length()
construction = in_period(2025-01..2026-06)       # a FAST flag: true in those periods
q = quarter()                                    # 1..4; also month() 1..12 and year()
m = month()
y = year()
"""


def _mrr_by_hand():
    mrr = [1e6]
    churned = [10e3] * 12 + [12e3] * 12
    for i in range(1, 24):
        mrr.append(mrr[-1] * (1 + 0.03) - churned[i])
    return np.array(mrr)


def test_the_issues_examples_run_as_written_and_give_the_hand_values():
    r = engine.loads(ISSUE_EXAMPLE, "issue.ush").run()
    assert r.model.timeline.labels()[:3] == ["2025-01", "2025-02", "2025-03"] and len(r.model.timeline) == 24
    assert list(r.values["price"]) == [20.0] * 12 + [22.0] * 6 + [24.0] * 6
    assert np.allclose(r.values["burn"], [8e9] * 12 + [17e9] * 12)  # still USD/year, per month
    mrr = _mrr_by_hand()
    assert np.allclose(r.values["mrr"], mrr, rtol=1e-13)
    assert np.isnan(r.values["same_month_last_year"][:12]).all()
    assert np.allclose(r.values["same_month_last_year"][12:], mrr[:12], rtol=1e-13)  # t-12: twelve months back
    # total() integrates: each month's rate times one month, in USD
    assert r.value("revenue_2026") == pytest.approx(mrr[12:].sum(), rel=1e-13)
    assert r.value("revenue_h1") == pytest.approx(mrr[12:18].sum(), rel=1e-13)
    cash = [40e9]
    for i in range(14, 24):  # 2026-03 .. 2026-12: receipts 1 bn a month, burn 17 bn a year = 17/12 bn a month
        cash.append(cash[-1] + (1e9 - 17e9 * MONTH))
    assert np.isnan(r.values["cash"][:13]).all()
    assert np.allclose(r.values["cash"][13:], cash, rtol=1e-13)
    assert list(r.values["construction"]) == [True] * 18 + [False] * 6
    assert list(r.values["q"]) == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4] * 2
    assert list(r.values["m"]) == list(range(1, 13)) * 2
    assert list(r.values["y"]) == [2025] * 12 + [2026] * 12


def test_a_covenant_checked_every_quarter_on_a_quarterly_timeline():
    text = """model "q"
timeline 2026Q1..2027Q4 quarterly
input debt_service: USD/quarter = {2026: 10 million, 2027: 12 million}
input cash_flow: USD/year = {2026..2027: 60 million}
dscr = cash_flow / debt_service
    rollup min
check "covenant every quarter" for t in 2026Q1..2027Q4: dscr[t] >= 1.3
"""
    r = engine.loads(text, "q.ush").run()
    # 60 million a year is 15 million a quarter: 1.5 in 2026, 1.25 in 2027
    assert np.allclose(r.values["dscr"], [1.5] * 4 + [1.25] * 4, rtol=1e-14)
    (check,) = r.checks
    assert not check["passed"] and "2027Q1" in check["message"]


def test_a_quarter_is_three_months_not_pints_quarter_hundredweight():
    r = engine.loads("""model "q"
timeline 2026-01..2026-12 monthly
input sales: USD/quarter = 3 million
per_month: USD/month = sales
each[2026-01..] = sales
in_year = total(each[2026])
""", "q.ush").run()
    assert r.value("per_month") == pytest.approx(1e6, rel=1e-14)
    assert r.value("in_year") == pytest.approx(12e6, rel=1e-14)
    assert r.unit("sales") == "USD / quarter"
    with pytest.raises(ModelError, match="single value, not a series"):  # was a silent 1 million
        engine.loads('model "q"\ntimeline 2026-01..2026-12 monthly\ninput sales: USD/quarter = 3 million\n'
                     'in_year = total(sales[2026])\n', "q.ush").run()


def test_year_and_quarter_keys_cover_their_periods_and_checks_take_coarse_ranges():
    r = engine.loads("""model "keys"
timeline 2026-01..2027-12 monthly
input a: USD/month = {2026: 1, 2027Q1: 2, 2027Q2..2027Q3: 3, 2027-10..: 4}
s = total(a[2027Q2]) / 1 month
check "positive" for t in 2026..2027: a[t] > 0 USD/month
""", "k.ush").run()
    assert list(r.values["a"]) == [1] * 12 + [2] * 3 + [3] * 6 + [4] * 3
    assert r.value("s") == 9
    assert r.checks[0]["passed"]
    assert r.value("a", "2027-05") == 3 and r.value("a", "2027-12") == 4
    with pytest.raises(ModelError, match="12 periods"):
        r.value("a", 2026)


@pytest.mark.parametrize("frequency, span, per_period", [("monthly", "2026-01..2027-12", 1 / 12),
                                                         ("quarterly", "2026Q1..2027Q4", 1 / 4),
                                                         ("yearly", "2026..2027", 1.0)])
def test_rates_integrate_with_the_real_period_length(frequency, span, per_period):
    """A rate per year on any timeline: total, running_total and npv multiply each period's rate
    by the period's length (a twelfth of a year for a month); npv's 12 %/year compounds per
    period (1 % a month, as NPV(12%/12, ...))."""
    r = engine.loads(f"""model "rates"
timeline {span} {frequency}
input flow: USD/year = {{2026: 120 million, 2027: 240 million}}
whole = total(flow)
so_far = running_total(flow)
value = npv(12 %/year, flow)
""", "r.ush").run()
    n = len(r.model.timeline)
    flow = np.array([120e6] * (n // 2) + [240e6] * (n // 2))
    assert r.value("whole") == pytest.approx(360e6, rel=1e-13)  # 120 + 240 million over the two years
    assert np.allclose(r.values["so_far"], np.cumsum(flow * per_period), rtol=1e-13)
    discount = (1 + 0.12 * per_period) ** -np.arange(1, n + 1)
    assert r.value("value") == pytest.approx((flow * per_period * discount).sum(), rel=1e-13)


def test_cagr_is_per_year_and_growth_per_period():
    r = engine.loads("""model "g"
timeline 2026-01..2028-01 monthly
x[2026-01] = 100 USD/month
x[2026-02..] = x[t-1] * 1.01
yearly = cagr(x[2026-01..2028-01])
monthly[2026-02..] = growth(x)
    rollup average
annualised[2026-02..] = (1 + monthly[t])^12 - 1
    rollup last
""", "g.ush").run()
    assert r.value("yearly") == pytest.approx(1.01 ** 12 - 1, rel=1e-12)  # 24 months = 2 years
    assert np.allclose(r.values["monthly"][1:], 0.01, rtol=1e-12)
    assert np.allclose(r.values["annualised"][1:], 1.01 ** 12 - 1, rtol=1e-12)


ROLLUPS = """model "roll"
timeline 2026-01..2027-12 monthly
input flow: USD/month = {2026: 1, 2027: 2}
input capacity: GW = {2026-01..2026-11: 1, 2026-12..: 3}
    rollup last
balance[2026-01] = 0 USD
balance[2026-02..] = balance[t-1] + flow[t] * period_length()
shown_per_year = flow
    display USD/year
amount = flow * period_length()
    rollup sum
first_amount = amount
    rollup first
least = flow
    rollup min
most = flow
    rollup max
flag = in_period(2026-06..2026-07)
any_flag = flag
    rollup max
"""


def test_flows_average_their_rate_and_everything_else_takes_the_last_period():
    results = engine.loads(ROLLUPS, "roll.ush").run()
    by_year = rollup.roll_up(results, "year")
    v = by_year.values
    assert by_year.model.timeline.labels() == ["2026", "2027"]
    assert list(v["flow"]) == [1.0, 2.0]  # the average rate, still USD/month
    assert list(v["shown_per_year"]) == [1.0, 2.0]
    assert list(v["capacity"]) == [3.0, 3.0]  # a capacity (GW): December's, not an average
    assert list(v["balance"]) == [11.0, 35.0]  # the balance at the year's end (USD)
    assert list(v["amount"]) == [12.0, 24.0]  # rollup sum: a year's amount
    assert list(v["first_amount"]) == [1.0, 2.0]
    assert list(v["least"]) == [1.0, 2.0] and list(v["most"]) == [1.0, 2.0]
    # true/false: its value where the months agree, none where they differ (June-July 2026 only)
    assert np.isnan(v["flag"][0]) and v["flag"][1] == 0 and list(v["any_flag"]) == [True, False]
    by_quarter = rollup.roll_up(results, "quarter")
    assert by_quarter.model.timeline.labels()[:2] == ["2026Q1", "2026Q2"]
    assert list(by_quarter.values["amount"][:4]) == [3.0, 3.0, 3.0, 3.0]
    assert list(by_quarter.values["balance"][:2]) == [2.0, 5.0]


def test_twelve_months_at_one_usd_a_month_show_as_twelve_usd_a_year(capsys):
    path = ROOT / "tests" / "_roll.ush"
    try:
        path.write_text(ROLLUPS)
        code, out, err = run_cli(["run", path, "--by", "year", "--only", "flow", "shown_per_year"], capsys)
        assert code == 0, err
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isalpha()}
        assert rows["flow"] == ["USD/year", "12.00", "24.00"]  # by year, a flow shows the year's amount
        assert rows["shown_per_year"] == ["USD/year", "12.00", "24.00"]
        code, out, _ = run_cli(["run", path, "--by", "quarter", "--format", "json"], capsys)
        data = json.loads(out)
        assert data["timeline"][:2] == ["2026Q1", "2026Q2"] and len(data["timeline"]) == 8
        assert data["rollup"]["by"] == "quarter"
        assert data["rollup"]["rules"]["flow"] == "average" and data["rollup"]["rules"]["balance"] == "last"
        assert data["rollup"]["rules"]["amount"] == "sum"
        assert data["quantities"]["amount"]["values"][:2] == [3.0, 3.0]
        code, out, _ = run_cli(["run", path, "--by", "year", "--format", "csv"], capsys)
        assert out.splitlines()[0] == "quantity,unit,value,2026,2027"
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("timeline, by, message", [
    ("2026..2027 yearly", "quarter", "already yearly"), ("2026Q1..2026Q4 quarterly", "month", "")])
def test_a_roll_up_to_finer_periods_is_a_usage_error(timeline, by, message, tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(f'model "m"\ntimeline {timeline}\ninput a: USD = 1\nb[{timeline.split("..")[0]}..] = a\n'
                    "    rollup last\n")
    code, out, err = run_cli(["run", path, "--by", by], capsys)
    assert code == 2 and out == "" and message in err


@pytest.mark.parametrize("timeline, by", [("2026..2027 yearly", "year"), ("2026Q1..2026Q4 quarterly", "quarter")])
def test_a_roll_up_to_the_timelines_own_periods_prints_the_model(timeline, by, tmp_path, capsys):
    """`--by year` of a yearly model exited 2; it is the model as it is."""
    path = tmp_path / "m.ush"
    path.write_text(f'model "m"\ntimeline {timeline}\ninput a: USD = 1\nb[{timeline.split("..")[0]}..] = a\n'
                    "    rollup last\n")
    code, out, err = run_cli(["run", path, "--by", by], capsys)
    plain = run_cli(["run", path], capsys)[1]
    assert code == 0 and err == "" and f"shows it as it is" in out
    assert out.splitlines()[:6] == plain.splitlines()[:6]


def test_set_takes_a_month_a_quarter_or_a_whole_year(capsys, tmp_path):
    model = engine.loads(ISSUE_EXAMPLE, "issue.ush")
    one = model.run(overrides={"price[2026-03]": "30 USD/month"}).values["price"]
    assert one[14] == 30 and one[13] == 22 and one[15] == 22
    quarter = model.run(overrides={"price[2026Q3]": "30 USD/month"}).values["price"]
    assert list(quarter[18:21]) == [30.0] * 3 and quarter[21] == 24
    year = model.run(overrides={"price[2025]": "30 USD/month"}).values["price"]
    assert list(year[:12]) == [30.0] * 12 and year[12] == 22
    with pytest.raises(ModelError, match="2026-13"):
        model.run(overrides={"price[2026-13]": "1 USD/month"})
    with pytest.raises(ModelError, match="outside the timeline"):
        model.run(overrides={"price[2030-01]": "1 USD/month"})


@pytest.mark.parametrize("path", ["saas_monthly", "project_quarterly"])
def test_every_command_works_on_a_sub_annual_model(path, tmp_path, capsys):
    model = ROOT / "models" / f"{path}.ush"
    for args in (["run", model], ["run", model, "--by", "year"], ["check", model], ["check", model, "--explore", "20"],
                 ["explain", model, "cash" if path == "saas_monthly" else "debt"],
                 ["simulate", model, "-n", "500"] if path == "project_quarterly" else ["run", model, "--sources"],
                 ["plot", model, "cash" if path == "saas_monthly" else "debt", "-o", tmp_path / "p.png"],
                 ["export", model, "-o", tmp_path / "m.xlsx"], ["fmt", "--check", model]):
        code, out, err = run_cli(args, capsys)
        assert code == 0, (args, err)
        assert "Traceback" not in err
    code, out, _ = run_cli(["explain", model, "cash" if path == "saas_monthly" else "debt"], capsys)
    assert ("2026-02" in out) if path == "saas_monthly" else ("2026Q2" in out)


def test_the_dask_backend_gives_the_numpy_summaries_on_a_quarterly_model():
    pytest.importorskip("dask.distributed")
    from unitsheet.engine.uncertainty import simulate
    from test_montecarlo import summaries

    model = engine.load(ROOT / "models" / "project_quarterly.ush")
    local = simulate(model, 400, seed=3, chunk=100)
    remote = simulate(model, 400, seed=3, chunk=100, backend="dask")
    assert summaries(remote) == summaries(local)
    assert summaries(local)["timeline"][:2] == ["2026Q1", "2026Q2"]


def test_plot_draws_on_a_date_axis(tmp_path, monkeypatch):
    from unitsheet.engine.plot import plot

    captured = {}
    from unitsheet.engine import plot as plotting  # plot() builds a Figure without pyplot, then writes it
    written = plotting.write_png
    monkeypatch.setattr(plotting, "write_png", lambda fig, *rest: (captured.setdefault("fig", fig), written(fig, *rest)))
    plot(engine.load(ROOT / "models" / "saas_monthly.ush"), ["mrr"], ["base"], tmp_path / "p.png")
    axis = captured["fig"].axes[0]
    line = axis.get_lines()[0]
    assert np.issubdtype(np.asarray(line.get_xdata()).dtype, np.datetime64)
    assert np.asarray(line.get_xdata())[0] == np.datetime64("2025-01-31")
    assert len(axis.get_xticks()) <= 15


def _header(ws, row=4, first=5, count=3):
    return [(ws.cell(row, first + i).value, ws.cell(row, first + i).number_format) for i in range(count)]


def test_workbook_headers_are_dates_at_each_periods_end_with_a_year_row(tmp_path):
    book = tmp_path / "m.xlsx"
    export_workbook(engine.load(ROOT / "models" / "saas_monthly.ush"), book)
    wb = openpyxl.load_workbook(book)
    calc = wb["Calculations"]
    assert _header(calc) == [(dt.datetime(2025, 1, 31), "mmm yyyy"), (dt.datetime(2025, 2, 28), "mmm yyyy"),
                             (dt.datetime(2025, 3, 31), "mmm yyyy")]
    assert calc.cell(5, 1).value == "Year" and [calc.cell(5, 5 + i).value for i in (0, 11, 12)] == [2025, 2025, 2026]
    assert wb.sheetnames[:5] == ["Cover", "Inputs", "Calculations", "Annual", "Quarterly"]
    assert _header(wb["Annual"]) == [(dt.datetime(2025, 12, 31), "yyyy"), (dt.datetime(2026, 12, 31), "yyyy"),
                                     (dt.datetime(2027, 12, 31), "yyyy")]
    quarterly = tmp_path / "q.xlsx"
    export_workbook(engine.load(ROOT / "models" / "project_quarterly.ush"), quarterly)
    wb = openpyxl.load_workbook(quarterly)
    assert _header(wb["Calculations"]) == [(dt.datetime(2026, 3, 31), '"Q1 "yyyy'),
                                           (dt.datetime(2026, 6, 30), '"Q2 "yyyy'),
                                           (dt.datetime(2026, 9, 30), '"Q3 "yyyy')]
    assert "Quarterly" not in wb.sheetnames and "Annual" in wb.sheetnames
    formulas = [c.value for row in wb["Calculations"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(f.startswith("=AND(E$4>=DATE(2026,3,31),E$4<=DATE(2027,12,31))") for f in formulas), \
        "in_period is a live comparison of the header dates"


@pytest.mark.parametrize("path", ["saas_monthly", "project_quarterly"])
def test_libreoffice_recalculates_the_roll_up_sheets_to_the_engines_roll_up(path, tmp_path):
    """The Annual (and Quarterly) sheets' live formulas, recalculated by LibreOffice, equal
    `run --by year` (`--by quarter`) for every scenario, in the unit their rows state."""
    _need_libreoffice()
    model = engine.load(ROOT / "models" / f"{path}.ush")
    base = model.run("base")
    compared = 0
    for scenario in model.scenarios:
        book = tmp_path / f"{scenario}.xlsx"
        export_workbook(model, book, scenario=scenario)
        wb = openpyxl.load_workbook(libreoffice_recalculate(book, tmp_path / scenario), data_only=True)
        results = model.run(scenario)
        for by, sheet in (("year", "Annual"), ("quarter", "Quarterly")):
            if sheet not in wb.sheetnames:
                continue
            rolled = rollup.roll_up(results, by)
            rolled_base = rollup.roll_up(base, by)  # a flow's row is per year (per quarter) there
            rows = {r[0].value: r for r in wb[sheet].iter_rows(min_row=6) if r[0].value}
            assert set(rows) == {n for n, q in results.model.quantities.items() if q.series}
            for name, row in rows.items():
                q, shown = base.model.quantities[name], rolled_base.model.quantities[name]
                style = row_style(q, base.values[name], base.model.units) if shown.display_unit == q.display_unit \
                    else row_style(shown, rolled_base.values[name], base.model.units)
                assert row[1].value == style.unit
                assert row[2].value == rollup.rule(q, base.model.units)
                for k, value in enumerate(rolled.values[name]):
                    want = None if np.isnan(value) else (bool(value) if q.unit is None else style.to_cell(value))
                    got = None if row[4 + k].value == "" else row[4 + k].value  # a blank-looking ""
                    assert close(got, want, rel=1e-12), (scenario, sheet, name, k, got, want)
                    compared += 1
    assert compared > 100


def test_is_flow_reads_a_time_unit_below_the_line():
    units = engine.loads('model "u"\ntimeline 2026..2027 yearly\n', "u.ush").checked().units
    flows = ["USD/year", "USD/month", "GW/year", "USD/quarter", "percent/year", "USD/GW/year"]
    stocks = ["USD", "GW", "USD/GW", "dimensionless", "year", "MW*year"]
    assert all(units.is_flow(units.parse(u)) for u in flows)
    assert not any(units.is_flow(units.parse(u)) for u in stocks)


PERCENT_PER_TIME = """model "percent per time"
timeline 2026Q1..2027Q4 quarterly
input debt = 1 million USD
input interest_rate = 8 %/year
input monthly_fee: %/month = 0.5
input tax = 35 %
interest[t] = debt * interest_rate
interest_in_quarter = debt * interest_rate * period_length()
    rollup sum
fees = debt * monthly_fee
all_in_rate = interest_rate + monthly_fee
after_tax = interest * (1 - tax)
value = npv(interest_rate, interest)
"""


def test_percent_per_time_cells_hold_the_fraction_as_plain_percent_cells_do(tmp_path):
    """A %/year input is stored as a plain % input is (8 %/year: 0.08, a percent format), so that
    typing 10% into it means 10 %/year: LibreOffice's recalculation then equals `run --set
    interest_rate=10 %/year`. Formula rows in %/year are fractions with a percent format too."""
    from test_analyst_workbook import _Wrapped
    from test_export import engine_cells
    from workbook import name_cells

    _need_libreoffice()
    model = engine.loads(PERCENT_PER_TIME, "p.ush")
    book = tmp_path / "p.xlsx"
    export_workbook(model, book)
    wb = openpyxl.load_workbook(book)
    inputs = wb["Inputs"]
    cells = {}
    for name, fraction in (("interest_rate", 0.08), ("monthly_fee", 0.005), ("tax", 0.35)):
        row = int(name_cells(wb, name)[0][1][1:])
        base = inputs[f"E{row}"]  # the base scenario's column
        assert base.value == pytest.approx(fraction, rel=1e-15) and "%" in base.number_format, name
        assert "%" in inputs[f"C{row}"].number_format  # the live value
        cells[name] = base
    assert inputs[f"B{cells['interest_rate'].row}"].value == "%/year"
    assert inputs[f"B{cells['monthly_fee'].row}"].value == "%/month"
    sheet, cell = name_cells(wb, "all_in_rate")[0]
    assert wb[sheet][f"B{wb[sheet][cell].row}"].value == "%/year" and "%" in wb[sheet][cell].number_format
    cells["interest_rate"].value = 0.10  # what a spreadsheet stores when an analyst types 10%
    typed = tmp_path / "typed.xlsx"
    wb.save(typed)
    recalculated = openpyxl.load_workbook(libreoffice_recalculate(typed, tmp_path), data_only=True)
    expected = model.run(overrides={"interest_rate": "10 %/year"})
    assert expected.value("interest", "2026Q1") == pytest.approx(100_000)
    compared = 0
    for sheet, cell, value in engine_cells(_Wrapped(model, expected), "typed", recalculated):
        assert close(recalculated[sheet][cell].value, value, rel=1e-9), (sheet, cell, value)
        compared += 1
    assert compared > 30


def _errors(text: str) -> list:
    with pytest.raises(ModelError) as caught:
        engine.loads(text, "m.ush").checked()
    return caught.value.diagnostics


MONTHLY_MRR = """model "m"
timeline 2026-01..2027-12 monthly
input mrr: USD/month = {2026: 10, 2027: 20}
input burn: USD/year = {2026..2027: 120}
input days_outstanding = 45 day
"""


@pytest.mark.parametrize("timeline", ["2026-01..2027-12 monthly", "2026Q1..2027Q4 quarterly", "2026..2027 yearly"])
def test_rollup_sum_on_a_flow_is_refused_at_the_clause(timeline):
    """Twelve monthly rates added up are no number at all (and were shown as USD/month): the
    clause is refused where it stands, with the default and the per-period amount as the way out."""
    errors = _errors(f'model "m"\ntimeline {timeline}\ninput mrr: USD/month = {{2026..2027: 10}}\n'
                     "revenue = mrr * 0.9\n    rollup sum\n")
    assert len(errors) == 1
    e = errors[0]
    assert e.kind == "bad-rollup" and (e.span.line, e.span.col) == (5, 5)
    assert "`revenue` is a flow (USD/month)" in e.message and "rates" in e.message
    assert "average rate" in e.hint and "`revenue * period_length()`" in e.hint and "`rollup sum`" in e.hint
    ok = engine.loads(f'model "m"\ntimeline {timeline}\ninput mrr: USD/month = {{2026..2027: 10}}\n'
                      "revenue = mrr * 0.9\n    rollup average\n", "m.ush")
    ok.checked()  # the other rules on a flow stand


@pytest.mark.parametrize("formula, written", [
    ("mrr * 1 month", "* 1 month"), ("1 month * mrr", "* 1 month"),
    ("mrr / (1 / 1 month)", "/ (1 / 1 month)"), ("burn * 1 year / 12", None),
    ("(mrr - burn) * 1 month", "* 1 month")])
def test_a_flow_times_a_written_time_is_an_amount_per_period_that_needs_its_rule(formula, written):
    """`rev = mrr * 1 month` is each month's revenue in USD: by the unit's rule (`last`) a year
    would show December alone, so the clause is required, exactly as for `* period_length()`."""
    errors = _errors(MONTHLY_MRR + f"rev = {formula}\n")
    assert [e.kind for e in errors] == ["missing-rollup"]
    assert errors[0].span.line == 6 and "amount per period" in errors[0].message
    assert "`rollup sum`" in errors[0].hint
    assert (f"drop `{written}`" in errors[0].hint) if written else "drop" not in errors[0].hint  # only what it has
    results = engine.loads(MONTHLY_MRR + f"rev = {formula}\n    rollup sum\n", "m.ush").run()
    by_year = rollup.roll_up(results, "year")
    assert by_year.values["rev"][0] == pytest.approx(results.values["rev"][:12].sum())
    # an amount built on it is one too (its sum is right, its last month is not)
    assert "missing-rollup" in [e.kind for e in _errors(MONTHLY_MRR + f"rev = {formula}\n    rollup sum\n"
                                                        "both = rev + rev\n")]


@pytest.mark.parametrize("formula", ["mrr * days_outstanding", "mrr * 30 day", "mrr * 1 year", "mrr * 1 quarter"])
def test_a_flow_times_another_time_is_a_level_or_an_amount_and_the_author_says_which(formula):
    """Receivables as days of revenue (a level), a run-rate (a level), or a month's amount? A time
    that is not the period's length cannot tell: both readings are offered, and a stated rule is
    taken as it is."""
    errors = _errors(MONTHLY_MRR + f"x = {formula}\n")
    assert [e.kind for e in errors] == ["missing-rollup"] and errors[0].span.line == 6
    assert "`rollup last`" in errors[0].hint and "`rollup sum`" in errors[0].hint
    for rule in ("last", "sum"):
        engine.loads(MONTHLY_MRR + f"x = {formula}\n    rollup {rule}\n", "m.ush").checked()


@pytest.mark.parametrize("formula", [
    "mrr * 1 month / 1 year",  # back to a flow (USD/year): it rolls up by its rate
    "mrr * 2",  # a flow
    "mrr[2026-12] * 1 year"])  # a single value: nothing rolls up
def test_what_is_not_an_amount_per_period_needs_no_clause(formula):
    engine.loads(MONTHLY_MRR + f"x = {formula}\n", "m.ush").checked()
    balance = MONTHLY_MRR + "cash[2026-01] = 0 USD\ncash[2026-02..] = cash[t-1] + mrr[t] * 1 month\n"
    engine.loads(balance, "m.ush").checked()  # carries itself forward: its last month is right
    yearly = MONTHLY_MRR.replace("2026-01..2027-12 monthly", "2026..2027 yearly")
    engine.loads(yearly + "rev = mrr * 1 month\n", "m.ush").checked()  # nothing rolls up on a yearly timeline


@pytest.mark.parametrize("timeline, advice", [("2026-01..2026-12 monthly", "`* period_length()`, one month"),
                                              ("2026Q1..2026Q4 quarterly", "`* period_length()`, one quarter"),
                                              ("2026..2027 yearly", "`* 1 year`")])
def test_the_rate_hint_multiplies_by_the_periods_own_length(timeline, advice):
    """cash[t-1] + mrr on months: `* 1 year` would add twelve months of MRR each month."""
    first = timeline.split("..")[0]
    errors = _errors(f'model "m"\ntimeline {timeline}\ninput mrr: USD/month = 10\ncash[{first}] = 0 USD\n'
                     "cash[t] = cash[t-1] + mrr\n")
    hints = [e.hint for e in errors if e.kind == "unit-mismatch"]
    assert hints and advice in hints[0], hints
    if "yearly" not in timeline:
        assert "1 year" not in hints[0]


@pytest.mark.parametrize("call, hint", [
    ("npv(10 %/year, cf * 2)", "npv(10 %/year, x[2026Q1..2027Q4])"),
    ("npv(10 %/year, one[2026])", "npv(10 %/year, one_each[2026Q1..2027Q4])")])
def test_the_npv_hint_keeps_the_rate(call, hint):
    errors = _errors('model "m"\ntimeline 2026Q1..2027Q4 quarterly\ninput cf: USD/quarter = {2026..2027: 10}\n'
                     f"input one = 5 USD/quarter\nvalue = {call}\n")
    assert [e.kind for e in errors] == ["shape"] and hint in errors[0].hint, errors[0].hint
