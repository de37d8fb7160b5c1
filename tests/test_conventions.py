"""Issue 24: the conventions analysts mean. Comparisons as a spreadsheet makes them (item 6)."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
import xlsxwriter

from unitsheet.engine import loads, spreadsheet_math
from tests.test_export import _need_libreoffice
from tests.workbook import libreoffice_recalculate

OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


def _pairs() -> list[tuple[str, float, str, float]]:
    """Pairs around every edge of the rule (2^-48 of each magnitude, signs, zeros, whole numbers),
    each number written as a formula of small integers and powers of 2, so that LibreOffice and
    numpy hold exactly the same double (LibreOffice's decimal parser and its 15-digit output
    would blur the boundary): (formula of a, a, formula of b in terms of A, b)."""
    rng = np.random.default_rng(7)
    out = [("0.1+0.2", 0.1 + 0.2, "0.3", 0.3), ("1+2^-47", 1 + 2 ** -47, "1", 1.0), ("1+2^-49", 1 + 2 ** -49, "1", 1.0),
           ("0", 0.0, "0", 0.0), ("0", 0.0, "2^-1000", 2.0 ** -1000), ("2^50", 2.0 ** 50, "2^50+1", 2.0 ** 50 + 1),
           ("2^50+0.5", 2.0 ** 50 + 0.5, "2^50+1", 2.0 ** 50 + 1), ("2^53", 2.0 ** 53, "2^53+2", 2.0 ** 53 + 2),
           ("-1", -1.0, "1", 1.0), ("-3*2^-20", -3 * 2.0 ** -20, "0", 0.0)]
    cases = [(int(rng.integers(1, 2 ** 20)) * int(rng.choice([-1, 1])), int(rng.integers(-60, 60)),
              int(rng.integers(-40, 40))) for _ in range(150)]
    cases += [(m, 0, k) for m in (1, 3, -5, 2 ** 19 - 1) for k in range(-36, 37, 4)]
    for m, e, k in cases:
        a = m * 2.0 ** e
        b = a * (1 + k * 2.0 ** -53)
        out.append((f"{m}*2^{e}", a, f"A{{row}}*(1+{k}*2^-53)", b))
    return out


def test_the_rule_is_libreoffices_on_random_and_boundary_values(tmp_path):
    """Comparisons, + and - of engine/spreadsheet_math.py give what LibreOffice gives, cell by cell."""
    _need_libreoffice()
    pairs = _pairs()
    path = tmp_path / "compare.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    for r, (fa, _, fb, _) in enumerate(pairs, start=1):
        sheet.write_formula(f"A{r}", f"={fa}")
        sheet.write_formula(f"B{r}", "=" + fb.replace("{row}", str(r)))
        for c, op in enumerate(OPS.values()):
            sheet.write_formula(r - 1, 2 + c, f"=A{r}{op}B{r}")
        sheet.write_formula(r - 1, 8, f"=A{r}-B{r}")
        sheet.write_formula(r - 1, 9, f"=A{r}+B{r}")
        sheet.write_formula(r - 1, 10, f"=-A{r}+B{r}")
    book.close()
    ws = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)["S"]
    a = np.array([p[1] for p in pairs])
    b = np.array([p[3] for p in pairs])
    rows = range(1, len(pairs) + 1)
    for c, op in enumerate(OPS):
        engine = spreadsheet_math.compare(op, a, b)
        office = [bool(ws.cell(r, 3 + c).value) for r in rows]
        wrong = [(pairs[i][0], pairs[i][2], op, office[i]) for i in range(len(pairs)) if engine[i] != office[i]]
        assert not wrong, wrong[:5]
    for column, engine in ((9, spreadsheet_math.approx_sub(a, b)), (10, spreadsheet_math.approx_add(a, b)),
                           (11, spreadsheet_math.approx_add(-a, b))):
        office = np.array([ws.cell(r, column).value for r in rows], dtype=float)  # 15 digits: zero or not
        assert np.array_equal(engine == 0, office == 0), [pairs[i] for i in np.nonzero((engine == 0) != (office == 0))[0]]
        assert np.allclose(engine, office, rtol=1e-14, atol=0)
    assert (spreadsheet_math.approx_sub(a, b) == 0).sum() > 20 and (a != b).sum() > 100  # the edge was explored
    floats = [spreadsheet_math.approx_sub_float(x, y) for _, x, _, y in pairs]
    assert np.array_equal(np.array(floats), spreadsheet_math.approx_sub(a, b))


GEARING = """timeline 2025..2026 yearly
input cap = 150 million USD .. 160 million USD
input capex = 190 million USD .. 210 million USD
gearing = min(cap, 75 % * capex) / capex
check "gearing within the cap": gearing <= 75 %
"""


def test_a_check_on_a_knife_edge_holds_in_every_sample_as_in_the_workbook():
    """gearing = min(cap, 75 % * capex) / capex is 0.7500000000000001 in some samples: a spreadsheet
    says 75 % <= 75 %, and so does the engine (it failed in 196 of 2,000 samples)."""
    model = loads(GEARING)
    from unitsheet.engine.montecarlo import simulate

    simulation = simulate(model, samples=2000, seed=1, keep=["gearing"])
    assert (simulation.values["gearing"] != 0.75).sum() > 100  # the knife edge is really there
    assert simulation.check_probability["gearing within the cap"] == 1.0


def test_a_failing_check_shows_both_sides_with_the_digits_that_differ():
    model = loads("""timeline 2025..2026 yearly
x = 0.1 + 0.2
y = 0.3 + 1e-14
check "strict": x < 0.3
check "apart": x >= y
""")
    checks = {c["name"]: c["message"] for c in model.run().checks}
    assert checks["strict"] == ("fails: 0.30000000000000004 < 0.3 is false "
                                "(equal to 15 digits, as a spreadsheet compares)")
    assert checks["apart"] == "fails: 0.3 >= 0.30000000000001 is false"


def test_a_cancelling_subtraction_is_zero_as_in_the_spreadsheet():
    """A balance gap of -1.2e-7 USD on 1e9 USD balances is rounding: 0 in LibreOffice, so 0 here."""
    model = loads("""timeline 2025..2027 yearly
input assets = 1234567890.1234567 USD
input liabilities = 1000000000.0000001 USD
equity = assets - liabilities
gap[t] = assets - liabilities - equity
stock[2025] = 0.1 USD
stock[2026..] = stock[t-1] + 0.2 USD - 0.3 USD
check "balanced": gap == 0 USD
""")
    results = model.run()
    assert results.passed
    assert results.values["gap"].tolist() == [0.0, 0.0, 0.0]
    assert results.values["stock"][1] == 0.0  # 0.1 + 0.2 - 0.3 (5.55e-17 in plain floats)


# ------------------------------------------------------------------ helpers

def _errors(text: str):
    from unitsheet.engine.diagnostics import ModelError

    with pytest.raises(ModelError) as info:
        loads(text, "m.ush").checked()
    return info.value.diagnostics


def _hint_code(hint: str) -> list[str]:
    """The code a hint shows, between backticks."""
    import re

    return re.findall(r"`([^`]+)`", hint)


# ------------------------------------------------------------------ item 1: coarse keys

ACQUISITION = """timeline 2025Q1..2026Q4 quarterly
input acquisition: USD = {2025: 0, 2026: 150 million}
"""


def test_an_amount_keyed_by_a_coarser_period_is_refused_with_both_readings():
    """It put 150 million in each quarter of 2026 (600 million in all, shown as 150 by year)."""
    (error,) = _errors(ACQUISITION)
    assert error.kind == "missing-rollup" and (error.span.line, error.span.col) == (2, 36)
    assert "level held in each quarter" in error.message and "an amount that falls in 2026" in error.message
    level, amount = "rollup last", "rollup sum"
    assert level in error.hint and amount in error.hint
    # each reading the hint offers, written as it says, runs and means what it says
    shown = _hint_code(error.hint)
    spread = next(c for c in shown if c.endswith("spread even"))
    falls = next(c for c in shown if " in 2026Q4" in c)
    as_level = loads(ACQUISITION + "    rollup last\n").run().values["acquisition"]
    assert list(as_level[4:]) == [150e6] * 4
    for written, expected in ((spread, [37.5e6] * 4), (falls, [0, 0, 0, 150e6])):
        text = ACQUISITION.replace("2026: 150 million", written) + "    rollup sum\n"
        values = loads(text).run().values["acquisition"]
        assert list(values[:4]) == [0] * 4 and np.allclose(values[4:], expected, rtol=0, atol=0)


def test_a_split_amount_counts_once_in_sums_and_roll_ups():
    from unitsheet.engine import rollup

    model = loads(ACQUISITION.replace("150 million}", "150 million spread even}") + "    rollup sum\n"
                  "paid = sum(acquisition[2025Q1..2026Q4])\n")
    results = model.run()
    assert results.value("paid") == 150e6  # was 600 million
    assert list(rollup.roll_up(results, "year").values["acquisition"]) == [0, 150e6]


def test_a_range_of_years_spreads_each_year_over_its_own_quarters():
    values = loads("timeline 2025Q1..2027Q4 quarterly\ninput fees: USD = {2025: 0, 2026..2027: 40 spread even}\n"
                   "    rollup sum\n").run().values["fees"]
    assert list(values) == [0] * 4 + [10] * 8


@pytest.mark.parametrize("key, split, message", [
    ("2026", "in 2025Q2", "2025Q2 is not one of the periods of 2026"),
    ("2026..2026", "in 2027Q1", "outside the timeline"),
    ("2026Q1", "spread even", "written in quarters, each of which takes the value"),
    ("2025..2026", "in 2026Q2", "covers 2 years, and `in` puts the amount in one quarter")])
def test_a_split_that_cannot_be_done_is_located(key, split, message):
    (error,) = _errors(f"timeline 2025Q1..2026Q4 quarterly\ninput x: USD = {{{key}: 8 {split}}}\n    rollup sum\n")
    assert message in error.message and error.span.line == 2


def test_a_split_on_a_level_is_refused():
    (error,) = _errors("timeline 2025Q1..2026Q4 quarterly\ninput h = {2025..2026: 8 spread even}\n    rollup last\n")
    assert "only an amount per period" in error.message


def test_set_of_a_coarse_key_follows_the_tables_rule(tmp_path, capsys):
    """--set acquisition[2026]=... repeated the amount in each quarter; the API takes the same text."""
    from conftest import run_cli

    text = ACQUISITION.replace("150 million}", "150 million spread even}") + "    rollup sum\n"
    model = loads(text)
    from unitsheet.engine.diagnostics import ModelError

    with pytest.raises(ModelError, match="say where the value falls") as info:
        model.run(overrides={"acquisition[2026]": "100 million USD"})
    assert "spread even" in info.value.diagnostics[0].hint
    spread = model.run(overrides={"acquisition[2026]": "100 million USD spread even"}).values["acquisition"]
    assert list(spread[4:]) == [25e6] * 4
    one = model.run(overrides={"acquisition[2026]": "100 million USD in 2026Q3"}).values["acquisition"]
    assert list(one[4:]) == [0, 0, 100e6, 0]
    assert list(model.run(overrides={"acquisition[2026Q2]": "7 million USD"}).values["acquisition"][4:]) == \
        [37.5e6, 7e6, 37.5e6, 37.5e6]  # one quarter: no split needed
    path = tmp_path / "m.ush"
    path.write_text(text)
    code, _, err = run_cli(["run", path, "--set", "acquisition[2026]=100 million USD"], capsys)
    assert code == 2 and 'acquisition[2026]=100 million USD spread even' in err
    level = loads("timeline 2025Q1..2026Q4 quarterly\ninput price: USD = {2025..2026: 10}\n    rollup last\n")
    assert list(level.run(overrides={"price[2026]": "12 USD"}).values["price"][4:]) == [12] * 4


def test_inputs_state_their_rule_and_scenarios_keep_it():
    text = ("timeline 2025Q1..2026Q4 quarterly\ninput capex: USD = {2025: 40 spread even, 2026: 0}\n    rollup sum\n"
            'scenario later { capex = {2025: 0, 2026: 40 spread even} }\n')
    from unitsheet.engine import rollup

    model = loads(text)
    assert list(rollup.roll_up(model.run("later"), "year").values["capex"]) == [0, 40]
    assert model.checked("later").quantities["capex"].rollup == "sum"


# ------------------------------------------------------------------ item 2: sums of flows

@pytest.mark.parametrize("call, fixed", [("sum(revenue[2025Q1..2025Q4])", "total(revenue[2025Q1..2025Q4])"),
                                         ("running_sum(revenue)", "running_total(revenue)")])
def test_a_sum_of_a_flow_is_refused_and_the_hint_integrates_it(call, fixed):
    """Four quarters at 400 million USD/year added up were 1,600 million USD/year."""
    head = "timeline 2025Q1..2025Q4 quarterly\ninput revenue: USD/year = {2025: 400 million}\n"
    clause = "    rollup last\n" if "running" in call else ""
    (error,) = _errors(head + f"x = {call}\n{clause}")
    assert error.kind == "unit-mismatch" and "sum of rates is no number" in error.message
    assert _hint_code(error.hint) == [fixed]
    results = loads(head + f"x = {fixed}\n{clause}").run()
    assert results.values["x"].reshape(-1)[-1] == pytest.approx(400e6)  # the year's revenue, in USD
    assert results.unit("x") == "USD"


def test_average_min_and_max_of_a_rate_stay_rates():
    r = loads("timeline 2025Q1..2025Q4 quarterly\ninput revenue: USD/year = {2025Q1..2025Q2: 400, 2025Q3..: 800}\n"
              "a = average(revenue[2025])\nlo = min(revenue[2025])\nhi = max(revenue[2025])\n").run()
    assert (r.value("a"), r.value("lo"), r.value("hi")) == (600, 400, 800) and r.unit("a") == "USD / year"


def test_a_sum_over_a_dimension_of_a_flow_adds_items_not_periods():
    r = loads("timeline 2025..2026 yearly\ndimension region = {na, eu}\n"
              "input revenue by region: USD/year = {na: 1, eu: 2}\ntotal_revenue = sum(revenue over region)\n").run()
    assert r.value("total_revenue") == 3 and r.unit("total_revenue") == "USD / year"


# ------------------------------------------------------------------ item 3: levels and amounts

REVOLVER = """timeline 2026Q1..2027Q4 quarterly
input min_cash = 20 million USD
input opening_cash = 50 million USD
input operating_flow: USD/year = {2026: -120 million, 2027: 60 million}
cash_before[2026Q1] = opening_cash
cash_before[2026Q2..] = cash[t-1] + operating_flow[t] * period_length()
draw = max(min_cash - cash_before, 0 USD)
cash = cash_before + draw
"""


def test_a_revolver_draw_is_refused_until_it_says_what_it_is():
    """It rolled up to the year's last quarter (a year's draws of 118 million showed as 5.5)."""
    (error,) = _errors(REVOLVER)
    assert error.kind == "missing-rollup" and error.span.line == 7 and "`draw`" in error.message
    assert "it subtracts from a level" in error.message and error.span.col == 12  # min_cash - cash_before
    assert "rollup last" in error.hint and "rollup sum" in error.hint
    from unitsheet.engine import rollup

    results = loads(REVOLVER.replace("0 USD)\n", "0 USD)\n    rollup sum\n")).run()
    draws = results.values["draw"]
    assert draws[:4].sum() > 0 and draws[3] < draws[:4].sum()  # the year's draws, not its last quarter's
    by_year = rollup.roll_up(results, "year")
    assert by_year.values["draw"][0] == pytest.approx(draws[:4].sum(), rel=1e-15)
    assert by_year.values["cash"][0] == results.values["cash"][3]  # a balance: the year's end


def test_a_declared_level_is_a_fact_for_every_quantity_that_reads_it():
    """liabilities = debt + tax_payable was flagged an amount (tax_payable multiplies by
    period_length()) and the hint proposed `rollup sum`, which would add balances."""
    model = loads("""timeline 2026-01..2026-12 monthly
input tax_rate: %/year = 21
input borrowed: USD/month = {2026: 1 million}
debt[2026-01] = 0 USD
debt[2026-02..] = debt[t-1] + borrowed[t] * period_length()
tax_payable = debt * tax_rate * period_length()
    rollup last
liabilities = debt + tax_payable
""")
    assert model.checked().quantities["liabilities"].rollup is None
    from unitsheet.engine import rollup

    results = model.run()
    assert rollup.roll_up(results, "year").values["liabilities"][0] == results.values["liabilities"][-1]


@pytest.mark.parametrize("formula, reason", [
    ("mrr * 1 month", "multiplies the flow `mrr` by `1 month`"),
    ("payment_each[t] * 2", "reads `payment_each`, an amount per period"),
])
def test_a_proven_amount_asks_for_rollup_sum_and_never_offers_last(formula, reason):
    (error,) = _errors("timeline 2026-01..2026-12 monthly\ninput mrr: USD/month = {2026: 10}\n"
                       "payment_each[t] = pmt(0.5 %/month, 12, 100 USD)\n    rollup sum\n"
                       f"x = {formula}\n")
    assert reason in error.message and "`rollup sum`" in error.hint and "rollup last" not in error.hint


@pytest.mark.parametrize("formula, piece", [
    ("debt_level + mrr * period_length()", "adds a level and an amount per period"),
    ("revenue_rate / mrr", "a ratio of two rates"),
    ("12 USD", "single values and constants"),
    ("mrr * 1 year", "multiplies a flow by 12 months, not by one month"),
])
def test_what_cannot_be_proven_is_refused_with_the_piece_that_makes_it_so(formula, piece):
    (error,) = _errors("timeline 2026-01..2026-12 monthly\ninput mrr: USD/month = {2026: 10}\n"
                       "input revenue_rate: USD/year = {2026: 120}\ninput debt_level: USD = {2026: 5}\n"
                       f"    rollup last\nx[t] = {formula}\n")
    assert error.kind == "missing-rollup" and piece in error.message and error.span.line == 6


# ------------------------------------------------------------------ item 4: the day count

WORKING_CAPITAL = """timeline 2026..2027 yearly
input revenue: USD/year = {2026..2027: 365 million}
input cogs: USD/year = {2026..2027: 730 million}
input dso = 60 day
input dpo = 45 day
input dio = 30 day
input capacity = 1 MW
receivables = revenue * dso
payables = cogs * dpo
inventory = cogs * dio
energy: MWh = capacity * 1 year
hours_in_a_year = 1 year / 1 hour
"""


def test_a_year_is_365_days_by_default():
    """DSO = receivables / revenue x 365: 60 days of 365 million a year are 60 million, not 59.96;
    1 MW for a year is 8,760 MWh (the energy industry's), not 8,766."""
    r = loads(WORKING_CAPITAL).run()
    assert r.values["receivables"][0] == pytest.approx(60e6, rel=1e-15)
    assert r.values["payables"][0] == pytest.approx(90e6, rel=1e-15)
    assert r.values["inventory"][0] == pytest.approx(60e6, rel=1e-15)
    assert r.value("energy") == pytest.approx(8760, rel=1e-15) and r.unit("energy") == "megawatt_hour"
    assert r.value("hours_in_a_year") == pytest.approx(8760, rel=1e-15)
    julian = loads("daycount 365.25\n" + WORKING_CAPITAL).run()
    assert julian.values["receivables"][0] == pytest.approx(365e6 * 60 / 365.25, rel=1e-15)
    assert julian.value("hours_in_a_year") == pytest.approx(8766, rel=1e-15)


def test_the_table_shows_megawatt_hours_as_mwh(capsys, tmp_path):
    from conftest import run_cli

    path = tmp_path / "m.ush"
    path.write_text(WORKING_CAPITAL)
    code, out, _ = run_cli(["run", path, "--only", "energy"], capsys)
    assert code == 0 and "energy  MWh   8,760" in out


XNPV = """timeline 2027-11..2028-04 monthly
{daycount}
input flows: USD = {{2027-11: -10000, 2027-12: 2750, 2028-01: 4250, 2028-02: 3250, 2028-03: 2750, 2028-04: 1000}}
    rollup sum
value = xnpv(9 %, flows[2027-11..2028-04])
rate = xirr(flows[2027-11..2028-04])
"""


def _xnpv(rate: float, flows, days, year: float) -> float:
    return sum(v / (1 + rate) ** (d / year) for v, d in zip(flows, days))


@pytest.mark.parametrize("daycount, year", [("", 365), ("daycount 365.25", 365.25)])
def test_xnpv_and_xirr_count_days_over_the_model_s_year(daycount, year, tmp_path):
    """Excel's XNPV: Σ v / (1 + r)^(days since the first date / 365), over the periods' end dates
    (February 2028 has 29 days); under `daycount 365.25` over 365.25, and the workbook converts
    Excel's rate to it, so LibreOffice recalculates the engine's values."""
    import datetime as dt
    from scipy.optimize import brentq

    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import libreoffice_equals_the_engine

    model = loads(XNPV.format(daycount=daycount))
    r = model.run()
    ends = [dt.date(2027, 11, 30), dt.date(2027, 12, 31), dt.date(2028, 1, 31), dt.date(2028, 2, 29),
            dt.date(2028, 3, 31), dt.date(2028, 4, 30)]
    days = [(d - ends[0]).days for d in ends]
    flows = [-10000, 2750, 4250, 3250, 2750, 1000]
    assert r.value("value") == pytest.approx(_xnpv(0.09, flows, days, year), rel=1e-12)
    root = brentq(lambda x: _xnpv(x, flows, days, year), 0.01, 100, xtol=1e-14)
    assert r.value("rate") == pytest.approx(root, rel=1e-9)
    path = tmp_path / "x.xlsx"
    export_workbook(model, path)
    assert libreoffice_equals_the_engine(model, path, tmp_path) >= 8


def test_the_cover_states_the_day_count(tmp_path):
    from unitsheet.exports.xlsx import export_workbook

    for daycount, words in (("", "a year is 365 days (8,760 hours)"), ("daycount 365.25\n", "365.25 days")):
        path = tmp_path / f"c{len(daycount)}.xlsx"
        export_workbook(loads(daycount + WORKING_CAPITAL), path)
        cover = openpyxl.load_workbook(path)["Cover"]
        assert cover["A8"].value == "Day count" and words in cover["B8"].value


# ------------------------------------------------------------------ item 5: flows by dimensionality

POWER = """timeline 2025..2027 yearly
input capacity = 100 MW
input tariff = 50 USD/MWh
revenue[t] = capacity * 25 % * tariff
value = npv(8 %, revenue[2025..2027])
whole = total(revenue[2025..2027])
"""


def test_a_flow_hidden_in_a_compound_unit_is_a_flow_everywhere():
    """npv gave 3,221 "MW*USD/megawatt_hour"; capacity x tariff is money per time."""
    r = loads(POWER).run()
    yearly = 100 * 0.25 * 50 * 8760  # USD a year, a 365-day year
    assert r.unit("revenue") == "USD / hour" and r.values["revenue"][0] == pytest.approx(1250)
    assert r.unit("value") == "USD"
    assert r.value("value") == pytest.approx(sum(yearly / 1.08 ** k for k in (1, 2, 3)), rel=1e-12)
    assert r.value("value") == pytest.approx(28.22e6, rel=1e-4)
    assert r.value("whole") == pytest.approx(3 * yearly, rel=1e-12)
    shown = loads(POWER.replace("* tariff\n", "* tariff\n    display million USD/year\n")).run()
    from unitsheet.engine import report

    text, factor = report.display(shown.model.quantities["revenue"], shown.values["revenue"], shown.model.units)
    assert text == "million USD/year" and shown.values["revenue"][0] * factor == pytest.approx(yearly / 1e6)


def test_one_rule_decides_what_a_flow_is():
    units = loads("timeline 2025..2026 yearly\n").checked().units
    flows = ["USD/year", "MW*USD/MWh", "GWh/year", "USD/GW/year", "percent/year", "MW/MWh*USD"]
    levels = ["USD", "GW", "MW*year", "USD/GW", "MWh", "dimensionless", "year"]
    assert all(units.is_flow(units.parse(u)) for u in flows)
    assert not any(units.is_flow(units.parse(u)) for u in levels)
    assert units.short(units.simplify(units.parse("MW*USD/MWh"))[1]) == "USD/hour"


# ------------------------------------------------------------------ item 7: the scale the author wrote

REVOLVER_RATE = """timeline 2026..2027 yearly
input revolver_open = 0 million USD
input revolver_rate = 1.725 %
input facility = 500 million USD
interest = revolver_open * revolver_rate
"""


def test_a_zero_input_keeps_the_scale_written_in_the_workbook(tmp_path):
    """`0 million USD` got a USD row among million USD rows: typing 20 there meant 20 USD (the
    interest came out 3.45e-07 instead of 0.345 million)."""
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import _need_libreoffice
    from tests.workbook import name_cells

    model = loads(REVOLVER_RATE)
    r = model.run()
    from unitsheet.engine import report

    assert report.display(r.model.quantities["revolver_open"], r.values["revolver_open"], r.model.units)[0] == \
        "million USD"
    path = tmp_path / "r.xlsx"
    export_workbook(model, path)
    wb = openpyxl.load_workbook(path)
    (sheet, cell), = name_cells(wb, "revolver_open")
    row = cell[1:]
    ws = wb[sheet]
    assert any(c.value == "million USD" for c in ws[int(row)])  # the row states its scale
    header = next(r for r in ws.iter_rows() if r[0].value == "Input")
    base_column = next(c.column_letter for c in header if c.value == "base")
    ws[f"{base_column}{row}"] = 20  # an analyst types 20 in the base scenario's cell
    wb.save(path)
    _need_libreoffice()
    recalculated = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)
    (isheet, icell), = name_cells(recalculated, "interest")
    want = model.run(overrides={"revolver_open": "20 million USD"}).value("interest")
    shown = recalculated[isheet][icell].value
    assert want == pytest.approx(345_000) and shown == pytest.approx(want, rel=1e-12)  # its row is in USD


# ------------------------------------------------------------------ item 8c: roll-ups people read

QUARTERS = """timeline 2026Q1..2026Q4 quarterly
input revenue: USD/quarter = {2026Q1..2026Q2: 100 million, 2026Q3..: 200 million}
input costs: USD/quarter = {2026: 120 million}
gross_profit = revenue - costs
margin = gross_profit / revenue
    rollup ratio
    display %
"""


def test_by_year_shows_a_flow_per_year_and_a_ratio_of_the_years_parts(tmp_path, capsys):
    from conftest import run_cli

    path = tmp_path / "q.ush"
    path.write_text(QUARTERS)
    code, out, _ = run_cli(["run", path, "--by", "year"], capsys)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isalpha()}
    assert code == 0 and rows["revenue"] == ["million", "USD/year", "600.0"]  # the year's revenue
    assert rows["margin"] == ["%", "20.00"]  # 120 / 600, not the last quarter's 40 %
    from unitsheet.engine import rollup

    results = loads(QUARTERS).run()
    assert results.values["margin"][3] == pytest.approx(0.4)
    assert rollup.roll_up(results, "year").values["margin"][0] == pytest.approx(0.2, rel=1e-15)


def test_the_annual_sheet_computes_the_ratio_of_its_parts_live(tmp_path):
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import _need_libreoffice

    _need_libreoffice()
    model = loads(QUARTERS)
    path = tmp_path / "q.xlsx"
    export_workbook(model, path)
    ws = openpyxl.load_workbook(path)["Annual"]
    row = next(r for r in ws.iter_rows() if r[0].value == "margin")
    assert row[2].value == "ratio" and row[4].value.count("/") == 1
    recalculated = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)["Annual"]
    row = next(r for r in recalculated.iter_rows() if r[0].value == "margin")
    assert row[4].value == pytest.approx(0.2, rel=1e-12)


# ------------------------------------------------------------------ the docs, as written

def _docs_blocks() -> list[str]:
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    section = text[text.index("## Conventions"):text.index("## Quantities and units")]
    return re.findall(r"```unitsheet\n(.*?\n)```", section, re.S)


def test_the_conventions_in_the_docs_run_as_written():
    from unitsheet.engine import rollup

    days, keys, ratio, first, comparisons, scales = _docs_blocks()
    r = loads(days).run()
    assert r.values["receivables"][0] == pytest.approx(60e6) and r.value("energy") == 1.0  # 1 MW.year: 8,760 MWh shown
    keyed = loads(keys).run()
    assert keyed.value("paid") == 150e6 and list(keyed.values["fees"][4:]) == [10e6] * 4
    assert list(rollup.roll_up(keyed, "year").values["headcount"]) == [40, 55]
    margins = rollup.roll_up(loads(ratio).run(), "year")
    assert margins.values["margin"][0] == pytest.approx(840 / 1800, rel=1e-15)
    runway = loads(first).run()
    assert runway.value("runway") == 11 and runway.to_dict()["quantities"]["first_short"]["value"] == "2026-12"
    assert not runway.passed  # 11 months is less than a year
    compared = loads(comparisons).run()
    assert compared.passed and compared.value("gap") == 0.0
    from unitsheet.engine import report

    funding = loads(scales)
    assert funding.warnings() == []
    q = funding.checked().quantities["revolver_open"]
    assert report.display(q, q.value, funding.checked().units)[0] == "million USD"


# ------------------------------------------------------------------ item 8: fiscal years

FISCAL_MONTHS = """model "fiscal"
timeline 2024-07..2026-06 monthly ending June
input revenue: USD/month = {FY2025: 10, FY2026: 12}
input headcount = {FY2025: 40, FY2026Q1..FY2026Q2: 50, FY2026Q3..FY2026Q4: 60}
    rollup last
fy[t] = fiscal_year()
    rollup last
fq[t] = fiscal_quarter()
    rollup last
calendar_month[t] = month()
    rollup last
h1 = in_period(2025-01..2025-06)
    rollup max
"""


def test_a_fiscal_year_ending_june_runs_from_july():
    from unitsheet.engine import rollup

    r = loads(FISCAL_MONTHS).run()
    tl = r.model.timeline
    assert tl.labels()[:2] == ["2024-07", "2024-08"] and tl.label(11) == "2025-06"
    assert list(r.values["revenue"]) == [10] * 12 + [12] * 12
    assert list(r.values["fy"][[0, 5, 6, 11, 12]]) == [2025, 2025, 2025, 2025, 2026]
    assert list(r.values["fq"][:12]) == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert list(r.values["calendar_month"][:3]) == [7, 8, 9]
    assert list(r.values["headcount"][12:]) == [50] * 6 + [60] * 6
    by_year = rollup.roll_up(r, "year")
    assert by_year.model.timeline.labels() == ["FY2025", "FY2026"]
    assert list(by_year.values["revenue"]) == [10, 12] and list(by_year.values["headcount"]) == [40, 60]
    by_quarter = rollup.roll_up(r, "quarter")
    assert by_quarter.model.timeline.labels()[:2] == ["FY2025Q1", "FY2025Q2"]
    assert by_quarter.model.timeline.end_date(0).isoformat() == "2024-09-30"


def test_fiscal_years_and_quarters_not_on_calendar_quarters():
    r = loads('model "m"\ntimeline FY2025Q1..FY2025Q4 quarterly ending May\ninput x: USD/quarter = {FY2025: 4}\n'
              "q[t] = fiscal_quarter()\n    rollup last\n").run()
    tl = r.model.timeline
    assert tl.labels() == ["FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4"]
    assert [tl.end_date(i).isoformat() for i in range(4)] == ["2024-08-31", "2024-11-30", "2025-02-28", "2025-05-31"]
    assert tl.header_format(0) == '"FY2025 Q1"'
    yearly = loads('model "y"\ntimeline FY2025..FY2027 yearly ending June\ninput r: USD/year = {FY2025..FY2027: 1}\n')
    results = yearly.run()
    assert results.to_dict()["timeline"] == ["FY2025", "FY2026", "FY2027"]
    assert results.model.timeline.end_date(0).isoformat() == "2025-06-30"
    assert results.model.timeline.header_format(0) == '"FY"yyyy'


@pytest.mark.parametrize("text, message", [
    ("input x: USD/month = {2025: 1}", "2025 is ambiguous on a timeline of fiscal years ending June: the fiscal "
                                       "year FY2025 (2024-07..2025-06) or the calendar year 2025 (2025-01..2025-12)?"),
    ("input x: USD/month = {2025Q1: 1}", "the fiscal quarter FY2025Q1 (2024-07..2024-09) or the calendar quarter "
                                         "2025Q1 (2025-01..2025-03)?"),
    ("y[t] = year()\n    rollup last", "year() is ambiguous on a timeline of fiscal years ending June"),
    ("y[t] = quarter()\n    rollup last", "quarter() is ambiguous"),
])
def test_a_calendar_year_on_a_fiscal_timeline_is_refused_with_both_readings(text, message):
    (error,) = _errors('model "m"\ntimeline 2024-07..2026-06 monthly ending June\n' + text + "\n")
    assert message in error.message + " " + (error.hint or "")


@pytest.mark.parametrize("text, message", [
    ("timeline FY2025..FY2026 yearly\n", "FY2025 is a fiscal year, but this timeline's years are calendar years"),
    ("timeline 2025..2026 yearly\ny[t] = fiscal_year()\n", "fiscal_year() needs fiscal years"),
    ("timeline FY2025..FY2026 yearly ending Juin\n", "`Juin` is not a month"),
])
def test_fiscal_labels_need_a_fiscal_timeline(text, message):
    (error,) = _errors('model "m"\n' + text)
    assert message in error.message


def test_the_workbook_of_a_fiscal_model_recalculates_to_the_engine(tmp_path):
    """Header dates at each month's end, fiscal_year()/fiscal_quarter() as live formulas on them,
    the Annual sheet by fiscal year: LibreOffice recalculates the engine's values."""
    from unitsheet.engine import rollup
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import libreoffice_equals_the_engine

    model = loads(FISCAL_MONTHS)
    path = tmp_path / "fiscal.xlsx"
    export_workbook(model, path)
    assert libreoffice_equals_the_engine(model, path, tmp_path) >= 100
    annual = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path / "again"), data_only=True)["Annual"]
    headers = next(r for r in annual.iter_rows() if r[0].value == "Quantity")
    assert [c.value.date().isoformat() for c in headers[4:6]] == ["2025-06-30", "2026-06-30"]
    row = next(r for r in annual.iter_rows() if r[0].value == "revenue")
    rolled = rollup.roll_up(model.run(), "year").values["revenue"]  # the average rate, USD/month
    assert row[1].value == "USD/year" and [c.value for c in row[4:6]] == [12 * v for v in rolled] == [120, 144]


def test_fmt_keeps_the_year_end():
    from unitsheet.engine.formatter import format_module
    from unitsheet.engine.parser import parse

    text = 'model "m"\ntimeline FY2025Q1..FY2026Q4 quarterly ending March\ninput x: USD/quarter = {FY2025: 1, FY2026Q1..: 2}\n'
    assert format_module(parse(text, "m.ush")) == text


# ------------------------------------------------------------------ item 8: a first period, and no value

RUNWAY = """model "runway"
timeline 2026-01..2027-12 monthly
input cash_start = 10 million USD
input burn: USD/month = {2026..2027: 1 million}
cash[2026-01] = cash_start
cash[2026-02..] = cash[t-1] - burn[t] * period_length()
short = cash < 0 USD
    rollup max
first_short = first_period(short[2026-01..2027-12])
runway = periods_before(short[2026-01..2027-12])
runway_or_never = value_or(runway, 99 year)
never_short = is_blank(runway)
scenario frugal { burn = {2026..2027: 0.1 million USD/month} }
"""


def test_the_month_cash_first_goes_negative_and_the_runway(tmp_path, capsys):
    """No sentinel (99 month) and no 0: a blank where cash never goes negative."""
    import json

    from conftest import run_cli

    model = loads(RUNWAY)
    base, frugal = model.run(), model.run("frugal")
    assert base.value("runway") == 11 and base.unit("runway") == "month"  # 10 million at 1 million a month
    assert base.to_dict()["quantities"]["first_short"]["value"] == "2026-12"
    assert np.isnan(frugal.value("runway")) and np.isnan(frugal.value("first_short"))
    assert frugal.value("runway_or_never") == 99 * 12 and frugal.value("never_short") == 1
    data = frugal.to_dict()["quantities"]
    assert data["first_short"]["value"] is None and data["runway"]["value"] is None
    path = tmp_path / "r.ush"
    path.write_text(RUNWAY)
    code, out, _ = run_cli(["run", path, "--scenario", "frugal", "--only", "first_short", "runway"], capsys)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isalpha()}
    assert code == 0 and rows["first_short"] == ["period"] and rows["runway"] == ["month"]  # blank values
    code, out, _ = run_cli(["run", path, "--format", "csv", "--only", "first_short"], capsys)
    assert out.splitlines()[1].startswith("first_short,period,2026-12")
    assert json.loads(run_cli(["run", path, "--format", "json"], capsys)[1])["quantities"]["runway"]["value"] == 11


@pytest.mark.parametrize("formula, message", [
    ("late = runway > 6 month", "`runway` has no value where periods_before() finds no period"),
    ("when = first_short", "a period is shown, not computed with"),
    ("double = 2 * periods_before(short[2026-01..2027-12])", "a single value of its own"),
    ("rev = first_period(cash[2026-01..2027-12])", "`cash` is a number"),
])
def test_a_blank_is_read_only_through_value_or_or_is_blank(formula, message):
    errors = _errors(RUNWAY + formula + "\n")
    assert errors and message in errors[0].message


def test_libreoffice_finds_the_same_period_and_the_same_blank(tmp_path):
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import libreoffice_equals_the_engine

    model = loads(RUNWAY)
    for scenario in ("base", "frugal"):
        path = tmp_path / f"{scenario}.xlsx"
        export_workbook(model, path, scenario=scenario)
        (tmp_path / scenario).mkdir()
        assert libreoffice_equals_the_engine(model, path, tmp_path / scenario, scenario) >= 50
    ws = openpyxl.load_workbook(path)["Calculations"]
    row = next(r for r in ws.iter_rows() if r[0].value == "first_short")
    assert row[2].number_format == "mmm yyyy" and row[2].value.startswith("=IFERROR(INDEX(")


def test_monte_carlo_counts_a_blank_as_no_failure():
    from unitsheet.engine.montecarlo import simulate

    text = RUNWAY.replace("input cash_start = 10 million USD", "input cash_start = 5 million USD .. 40 million USD")
    simulation = simulate(loads(text), samples=200, seed=3, keep=["runway"])
    runway = simulation.values["runway"][:, 0]
    assert np.isnan(runway).any() and not np.isnan(runway).all() and simulation.dropped == 0


def test_a_zero_without_a_scale_among_scaled_inputs_is_said():
    """Rows of one section never mix scales silently: a warning with the word to write."""
    model = loads('model "m"\ntimeline 2026..2027 yearly\n# ---- Funding ----\ninput facility = 500 million USD\n'
                  "input revolver_open = 0 USD\ninput term_loan = 200 million USD\n")
    (warning,) = model.warnings()
    assert warning.kind == "mixed-scale" and warning.span.line == 5 and "0 million USD" in warning.hint
    quiet = loads('model "m"\ntimeline 2026..2027 yearly\n# ---- Funding ----\ninput facility = 500 million USD\n'
                  "input revolver_open = 0 million USD\n")
    assert quiet.warnings() == []


def test_libreoffice_sums_a_split_amount_once_on_the_annual_sheet(tmp_path):
    """The acquisition keyed by 2026 showed 150 million on the Annual sheet while its quarters held
    600; spread, its quarters hold 37.5 each and the year 150, recalculated by LibreOffice."""
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import _need_libreoffice

    _need_libreoffice()
    model = loads(ACQUISITION.replace("150 million}", "150 million spread even}") + "    rollup sum\n")
    path = tmp_path / "a.xlsx"
    export_workbook(model, path)
    annual = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)["Annual"]
    row = next(r for r in annual.iter_rows() if r[0].value == "acquisition")
    assert row[1].value == "million USD" and row[2].value == "sum" and [c.value for c in row[4:6]] == [0, 150]


@pytest.mark.parametrize("rows", [1, 20])  # the float loop, and the numpy loop over a group
def test_recurrences_cancel_as_the_general_path_does(rows, monkeypatch):
    """The affine fast path runs on plain floats and reruns with a spreadsheet's + and - only where
    an addition cancelled: the same numbers, bit for bit, as the period-by-period evaluation."""
    from unitsheet.engine import evaluate

    lines = ["timeline 2025..2030 yearly", "input g = 0.3 USD"]
    for k in range(rows):
        lines += [f"s{k}[2025] = 0.1 USD", f"s{k}[2026..] = s{k}[t-1] * 1 + 0.2 USD - g + {k} USD * 1e-17"]
    text = "\n".join(lines) + "\n"
    fast = loads(text).run().values
    monkeypatch.setattr(evaluate, "AFFINE_RECURRENCES", False)
    monkeypatch.setattr(evaluate, "BATCHING", False)
    slow = loads(text).run().values
    for k in range(rows):
        assert np.array_equal(fast[f"s{k}"], slow[f"s{k}"]), k
    assert fast["s0"][1] == 0.0  # 0.1 + 0.2 - 0.3: 0, not 5.55e-17


def test_a_scenario_keeps_the_models_roll_up_rule_and_its_ratio_parts_in_the_workbook(tmp_path):
    """The workbook's Annual ratio read the base model's parts in every scenario; a scenario's own
    clause was honoured by run and refused by export; a flat scenario value was an error."""
    from unitsheet.engine import rollup
    from unitsheet.exports.xlsx import export_workbook
    from tests.test_export import _need_libreoffice

    text = QUARTERS + "input costs_b: USD/quarter = {2026: 30 million}\nscenario alt { margin = gross_profit / costs_b }\n"
    model = loads(text)
    want = rollup.roll_up(model.run("alt"), "year").values["margin"][0]
    assert want == pytest.approx(120 / 120) and want != rollup.roll_up(model.run(), "year").values["margin"][0]
    _need_libreoffice()
    path = tmp_path / "alt.xlsx"
    export_workbook(model, path, scenario="alt")
    annual = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)["Annual"]
    row = next(r for r in annual.iter_rows() if r[0].value == "margin")
    assert row[4].value == pytest.approx(want, rel=1e-12)
    errors = _errors(QUARTERS + "scenario alt {\n    margin = gross_profit / revenue\n        rollup last\n}\n")
    assert "a scenario keeps that rule" in errors[0].message
    flat = loads("timeline 2025Q1..2026Q4 quarterly\ninput hc = {2025: 40, 2026: 55}\n    rollup last\n"
                 "scenario flat { hc = {2025..2026: 60} }\n")
    assert list(flat.run("flat").values["hc"]) == [60] * 8 and flat.checked("flat").quantities["hc"].rollup == "last"


def test_review_findings_on_the_conventions(tmp_path, capsys):
    """An independent review's findings: each is refused or said, not guessed."""
    from conftest import run_cli

    path = tmp_path / "stub.ush"
    path.write_text("timeline 2024-09..2026-03 monthly ending June\ninput revenue: USD/month = {2024-09..2026-03: 20}\n")
    code, out, _ = run_cli(["run", path, "--by", "year"], capsys)
    assert code == 0 and "(FY2026 has 9 of its 12 months" in out and "total(x[2025-07..2026-03])" in out
    assert "`FY2025` cannot be an item" in _errors("timeline 2025..2027 yearly\ndimension plan = {FY2025, FY2026}\n")[0].message
    assert "is a period: it is shown, not computed with" in _errors(RUNWAY + "x = value_or(first_short, 0)\n")[0].message
    (hint,) = [e.hint for e in _errors("timeline 2025Q1..2026Q4 quarterly\ninput acq: USD = {2025..2026: 40 in 2026Q2}\n"
                                       "    rollup sum\n")]
    assert hint == "write a key for each year: 2025: 0, 2026: 40 in 2026Q2"
    (error,) = _errors("timeline 2026Q1..2026Q4 quarterly\ninput cfads: USD = {2026: 40 spread even}\n    rollup sum\n"
                       "input service: USD = {2026: 20 spread even}\n    rollup sum\ndscr = cfads / service\n")
    assert "`rollup ratio`" in error.hint
    for formula in ("sales[2026-01] = 100 USD\nsales[2026-02..] = sales[t-1] * (1 + g)",
                    "payroll = headcount * salary", "change[2026-02..] = headcount - headcount[t-1]"):
        errors = _errors("timeline 2026-01..2026-12 monthly\ninput g = 10 %\ninput salary = 5000 USD\n"
                         "input headcount = {2026: 10}\n    rollup last\n" + formula + "\n")
        assert [e.kind for e in errors] == ["missing-rollup"], formula


def test_set_takes_a_range_and_spreads_each_year_of_it():
    model = loads("timeline 2025Q1..2026Q4 quarterly\ninput fee: USD = {2025..2026: 0}\n    rollup sum\n")
    spread = model.run(overrides={"fee[2025..2026]": "40 USD spread even"}).values["fee"]
    assert list(spread) == [10] * 8  # each year's 40 over its quarters, as a table key does
    quarters = model.run(overrides={"fee[2025Q3..2026Q2]": "7 USD"}).values["fee"]
    assert list(quarters) == [0, 0, 7, 7, 7, 7, 0, 0]  # the timeline's own periods: each takes it


def test_the_hint_for_a_total_of_an_expression_over_ranges_is_code_that_checks():
    """`total(revenue[2027..2029] - costs[2027..2029])`: the hint's series read the ranges at
    [t] (it wrote `x[t] = revenue[2027..2029] - ...`, which does not check); found writing a
    model as a new user."""
    import re

    head = ('model "h"\ntimeline 2027..2029 yearly\ninput price = 4 USD\n'
            "revenue[2027..]: USD/year = 300 * price * 365 / 1 year\ncosts[2027..]: USD/year = 60 thousand USD/year\n")
    from unitsheet.engine import ModelError

    with pytest.raises(ModelError) as err:
        loads(head + "profit = total(revenue[2027..2029] - costs[2027..2029])\n", "h.ush").checked()
    hint = err.value.diagnostics[0].hint
    series, call = re.search(r"\((x\[t\] = .*)\), then write (total\(.*\))$", hint).groups()
    model = loads(head + series + "\nprofit = " + call + "\n", "h.ush")
    assert model.run().values["profit"][0] == pytest.approx(3 * (300 * 4 * 365 - 60_000))
