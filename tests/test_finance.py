"""Excel's financial functions: hand values from Excel's documentation, the workbook's own
functions recalculated by LibreOffice and `formulas`, the unit rules and the runtime errors."""

import math

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import finance
from unitsheet.engine.diagnostics import ModelError
from unitsheet.exports.xlsx import export_workbook

from conftest import run_cli
from test_export import _need_libreoffice, engine_cells, libreoffice_equals_the_engine
from workbook import close, formula_cells, formulas_recalculate, libreoffice_recalculate

# (expression, Excel's documented result): the examples of Microsoft's function pages
DOCUMENTED = [
    ("pmt(0.08 / 12, 10, 10000)", -1037.0320893591606),
    ("pmt(0.06 / 12, 18 * 12, 0, 50000)", -129.08116086799523),
    ("ipmt(0.1 / 12, 1, 3 * 12, 8000)", -66.66666666666667),
    ("ipmt(0.1, 3, 3, 8000)", -292.44712990936654),
    ("ppmt(0.1 / 12, 1, 2 * 12, 2000)", -75.62318600836667),
    ("ppmt(0.08, 10, 10, 200000)", -27598.05346242135),
    ("pv(0.08 / 12, 12 * 20, 500, 0, 0)", -59777.14585118777),
    ("fv(0.06 / 12, 10, -200, -500, 1)", 2581.4033740601185),
    ("fv(0.12 / 12, 12, -1000)", 12682.503013196976),
    ("nper(0.12 / 12, -100, -1000, 10000, 1)", 59.67386567429457),
    ("nper(0.12 / 12, -100, -1000)", -9.578594039813161),
    ("rate(4 * 12, -200, 8000)", 0.007701472488201),
    ("sln(30000, 7500, 10)", 2250.0),
    ("db(1000000, 100000, 6, 1, 7)", 186083.33333333334),
    ("db(1000000, 100000, 6, 2, 7)", 259639.41666666666),
    ("db(1000000, 100000, 6, 3, 7)", 176814.44275),
    ("db(1000000, 100000, 6, 7, 7)", 15845.098473848071),
    ("ddb(2400, 300, 10 * 365, 1)", 1.3150684931506849),
    ("ddb(2400, 300, 10 * 12, 1, 2)", 40.0),
    ("ddb(2400, 300, 10, 1, 2)", 480.0),
    ("ddb(2400, 300, 10, 2, 1.5)", 306.0),
    ("ddb(2400, 300, 10, 10)", 22.122547200000007),
]


@pytest.mark.parametrize("expression, expected", DOCUMENTED, ids=[e for e, _ in DOCUMENTED])
def test_each_function_gives_excels_documented_value(expression, expected):
    model = engine.loads(f'model "m"\ntimeline 2026..2027 yearly\nx = {expression}\n')
    assert math.isclose(model.run().value("x"), expected, rel_tol=1e-12), expression


FLOWS = "{2026: -70000, 2027: 12000, 2028: 15000, 2029: 18000, 2030: 21000, 2031: 26000}"


def test_irr_xirr_and_xnpv_give_excels_documented_values():
    model = engine.loads(f'model "m"\ntimeline 2026..2031 yearly\ninput cf = {FLOWS}\n'
                         'five = irr(cf[2026..2031])\nfour = irr(cf[2026..2030])\n'
                         'three = irr(cf[2026..2028], -10 %)\n')
    results = model.run()
    assert math.isclose(results.value("five"), 0.08663094803653162, rel_tol=1e-12)
    assert math.isclose(results.value("four"), -0.021244848273410, rel_tol=1e-10)
    assert math.isclose(results.value("three"), -0.44350694133474, rel_tol=1e-10)
    # XNPV and XIRR on Excel's example dates (not period ends), through the kernels
    days = np.array([0, 60, 303, 411, 456], dtype=float)  # 2008-01-01, 03-01, 10-30, 2009-02-15, 04-01
    values = np.array([-10000, 2750, 4250, 3250, 2750], dtype=float)
    assert math.isclose(finance.xnpv(values, 1.0, 0.09, days)[0], 2086.6476020315, rel_tol=1e-12)
    assert math.isclose(finance.xirr(values, 1.0, 0.1, days)[0], 0.373362535, rel_tol=1e-8)


def test_the_sign_convention_is_excels_money_in_positive_money_out_negative():
    model = engine.loads('model "m"\ntimeline 2026..2035 yearly\ninput loan = 100 million USD\n'
                         'payment = pmt(5 %, 10, loan)\nsavings = fv(5 %, 10, -1 million USD)\n'
                         'owed = pv(5 %, 10, -10 million USD)\n')
    results = model.run()
    assert results.value("payment") < 0 < results.value("savings")
    assert results.value("owed") > 0
    assert results.unit("payment") == "USD"
    # the payments, paid for nper periods, are worth the loan today
    assert math.isclose(finance.pv(0.05, 10, results.value("payment"), 0, 0), 100e6, rel_tol=1e-12)


def test_interest_and_principal_add_up_to_the_payment_and_repay_the_loan():
    model = engine.loads('model "m"\ntimeline 2026..2035 yearly\ninput loan = 100 million USD\n'
                         'payment = pmt(6 %, 10, loan)\ninterest[t] = ipmt(6 %, year() - 2025, 10, loan)\n'
                         'principal[t] = ppmt(6 %, year() - 2025, 10, loan)\n'
                         'balance[2026] = loan + principal\nbalance[2027..] = balance[t-1] + principal\n'
                         'check "split": payment ~= interest + principal within 1e-6\n')
    results = model.run()
    assert results.passed
    assert abs(results.values["balance"][-1]) < 1e-6 * 100e6
    # the first year's interest is the rate on the whole loan (a hand value)
    assert math.isclose(results.values["interest"][0], -6e6, rel_tol=1e-12)


def test_a_rate_per_month_and_a_term_in_years_on_a_monthly_timeline():
    """A time as nper is converted to periods (5 year = 60 months); %/month is per period."""
    model = engine.loads('model "m"\ntimeline 2026-01..2026-12 monthly\ninput loan = 1 million USD\n'
                         'a = pmt(0.5 %/month, 5 year, loan)\nc = pmt(6 %/year * 1 month, 60, loan)\n')
    results = model.run()
    expected = -19332.801529427918  # PMT(0.005, 60, 1000000), in exact fractions: 1e6 r / (1 - (1 + r)^-60)
    assert results.value("a") == pytest.approx(expected, rel=1e-12)
    assert results.value("c") == pytest.approx(expected, rel=1e-12)


WORKBOOK_MODEL = '''model "every financial function"
timeline 2025..2034 yearly

input rate = 6 %
input loan = 100 million USD
input life = 10
input cost = 50 million USD
input salvage = 5 million USD
input flows = {2025: -100 million USD, 2026..2030: 15 million USD, 2031..: 22 million USD}

payment = pmt(rate, life, loan)
payment_due = pmt(rate, life, loan, 10 million USD, 1)
interest[t] = ipmt(rate, year() - 2024, life, loan)
principal[t] = ppmt(rate, year() - 2024, life, loan, 0 USD, 1)
present = pv(rate, life, 10 million USD)
future = fv(rate, life, -1 million USD, -loan)
periods = nper(rate, -15 million USD, loan)
implied = rate(life, -15 million USD, loan, 0 USD, 0, 5 %)
straight = sln(cost, salvage, life)
declining[t] = db(cost, salvage, life, year() - 2024, 7)
double[t] = ddb(cost, salvage, life, year() - 2024, 1.5)
project_irr = irr(flows[2025..2034])
early_irr = irr(flows[2025..2030], -5 %)
project_xirr = xirr(flows[2025..2034], 5 %)
project_xnpv = xnpv(8 %, flows[2025..2034])
'''

MONTHLY_MODEL = '''model "financial functions on months"
timeline 2026-01..2027-12 monthly

input annual_rate = 7.2 %/year
input loan = 2 million USD
input term = 5 year
input flows = {2026-01: -1 million USD, 2026-02..: 60 thousand USD}
    rollup sum

monthly_rate[t] = annual_rate * period_length()
    rollup sum
payment[t] = pmt(monthly_rate, term, loan)
    rollup sum
interest[t] = ipmt(monthly_rate, month(), term, loan)
    rollup sum
due_payment = pmt(0.6 %/month, 60, loan, 0 USD, 1)
balance_left = fv(0.6 %/month, 24, -40 thousand USD, loan)
months_to_repay = nper(0.6 %/month, -40 thousand USD, loan)
implied = rate(60, -40 thousand USD, loan)
monthly_irr = irr(flows[2026-01..2027-12], 1 %)
annual_xirr = xirr(flows[2026-01..2027-12])
value = xnpv(9 %/year, flows[2026-01..2027-12])
'''


@pytest.fixture(scope="module", params=["yearly", "monthly"])
def finance_workbook(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("finance")
    source = folder / f"{request.param}.ush"
    source.write_text(WORKBOOK_MODEL if request.param == "yearly" else MONTHLY_MODEL)
    model = engine.load(source)
    path = folder / f"{request.param}.xlsx"
    export_workbook(model, path)
    return model, path


def test_the_workbook_uses_excels_own_functions(finance_workbook):
    _, path = finance_workbook
    wb = openpyxl.load_workbook(path)
    text = " ".join(str(c.value) for row in wb["Calculations"].iter_rows() for c in row if c.value)
    for f in ("PMT(", "IPMT(", "PV(", "FV(", "NPER(", "RATE(", "IRR(", "XIRR(", "XNPV("):
        assert f in text, f


def test_libreoffice_recalculates_every_function_to_the_engines_value(finance_workbook, tmp_path):
    model, path = finance_workbook
    assert libreoffice_equals_the_engine(model, path, tmp_path) > 40


def test_formulas_recalculates_every_function_to_the_engines_value(finance_workbook):
    model, path = finance_workbook
    computed = formulas_recalculate(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    for sheet, cell, value in engine_cells(model, "base", wb):
        got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
        assert close(got, value, rel=1e-9), (sheet, cell, got, value)
    assert formula_cells(path)


@pytest.mark.parametrize("flows, why", [
    ("{2026: 10 USD, 2027..: 3 USD}", "irr() of cash flows that are all positive or zero"),
    ("{2026: -100 USD, 2027: 10 USD, 2028: 10 USD}", "irr() found no rate"),
])
def test_an_irr_that_does_not_exist_is_a_runtime_error_naming_the_quantity(flows, why, tmp_path, capsys):
    source = tmp_path / "m.ush"
    source.write_text(f'model "m"\ntimeline 2026..2028 yearly\ninput cf = {flows}\n'
                      'project_irr = irr(cf[2026..2028])\n')
    code, out, err = run_cli(["run", str(source)], capsys)
    assert code == 2 and out == ""
    assert why in err and "project_irr" in err and "m.ush:4:15" in err, err
    assert "Traceback" not in err
    code, _, err = run_cli(["export", str(source), "-o", str(tmp_path / "m.xlsx")], capsys)
    assert code == 2 and not (tmp_path / "m.xlsx").exists(), "no workbook with #NUM! in it"


def test_a_payment_number_outside_the_term_is_a_runtime_error_with_the_period(tmp_path, capsys):
    source = tmp_path / "m.ush"
    source.write_text('model "m"\ntimeline 2026..2030 yearly\ninput loan = 100 USD\n'
                      'interest[t] = ipmt(5 %, year() - 2025, 3, loan)\n')
    code, _, err = run_cli(["run", str(source)], capsys)
    assert code == 2
    assert "ipmt() of a payment number outside 1 to nper" in err and "2029" in err, err


@settings(max_examples=60, deadline=None)
@given(outlay=st.floats(1.0, 1e9), inflows=st.lists(st.floats(0.0, 1e9), min_size=2, max_size=30),
       scale=st.floats(0.05, 3.0))
def test_irr_makes_the_npv_zero_where_it_exists(outlay, inflows, scale):
    """Conventional cash flows (one outlay, then inflows) have exactly one IRR above -100 % when
    the inflows are not all zero; npv at it is 0 (both conventions: Excel's NPV discounts the
    first flow once, which only scales the sum)."""
    flows = np.array([-outlay] + [x * scale for x in inflows])
    if not (flows[1:] > 0).any() or flows[1:].sum() < 1e-9 * outlay:
        return
    r = finance.irr(flows, 1.0, 0.1)[0]
    if np.isnan(r):  # Newton from 10 % may fail (as in Excel): then no rate is claimed; check from a better guess
        r = finance.irr(flows, 1.0, flows[1:].sum() / outlay - 1.0)[0]
        if np.isnan(r):
            return
    assert r > -1.0
    discounted = flows / (1.0 + r) ** np.arange(len(flows))
    assert abs(discounted.sum()) <= 1e-9 * np.abs(discounted).sum()


def test_an_irr_that_differs_in_one_cash_flow_differs():
    """Rows that differ only in one period's flow give different rates (the range is read whole)."""
    a = finance.irr(np.array([-100.0, 30, 30, 30, 30]), 1.0, 0.1)[0]
    b = finance.irr(np.array([-100.0, 30, 30, 30, 31]), 1.0, 0.1)[0]
    assert a != b and 0.07 < a < b < 0.09


def test_monte_carlo_samples_get_one_irr_each():
    model = engine.loads('model "m"\ntimeline 2026..2030 yearly\ninput outlay = 80 .. 120\n'
                         'cf[2026] = -outlay\ncf[2027..] = 30\nproject_irr = irr(cf[2026..2030])\n')
    evaluator = model.evaluator()
    from unitsheet.engine.overrides import input_values

    inputs = input_values(model.checked(), {})
    inputs["outlay"] = np.array([[80.0], [100.0], [120.0]])
    env = evaluator.run({k: np.broadcast_to(v, (3,) + np.shape(v)[-1:]) if k != "outlay" else v
                         for k, v in inputs.items()}, prefix=(3,))
    rates = env["project_irr"].reshape(-1)
    for outlay, r in zip((80.0, 100.0, 120.0), rates):
        assert math.isclose(r, finance.irr(np.array([-outlay, 30, 30, 30, 30]), 1.0, 0.1)[0], rel_tol=1e-12)
    assert rates[0] > rates[1] > rates[2]


def test_the_checker_refuses_a_rate_it_would_have_to_guess():
    with pytest.raises(ModelError, match="per period"):
        engine.loads('model "m"\ntimeline 2026-01..2026-12 monthly\ninput r = 6 %\nx = pmt(r, 12, 100)\n').checked()
    with pytest.raises(ModelError, match="convert it explicitly"):
        engine.loads('model "m"\ntimeline 2026-01..2026-12 monthly\nx = pmt(6 %/year, 12, 100)\n').checked()
    # on a yearly timeline a plain rate and a rate per year are both per period
    model = engine.loads('model "m"\ntimeline 2026..2027 yearly\na = pmt(6 %, 12, 100)\nb = pmt(6 %/year, 12, 100)\n')
    assert model.run().value("a") == model.run().value("b")


# ---------------------------------------------------------------------- a fixed period read inside a loop

COD_MODEL = '''model "debt at the commercial operation date"
timeline 2025..2034 yearly

input draw = {2025: 40 million USD, 2026: 60 million USD, 2027: 50 million USD, 2028..: 0 USD}
input rate = 6 %
input tenor = 7

debt[2025] = draw
debt[2026..2027] = debt[t-1] + draw
debt[2028..] = debt[t-1] - principal
debt_at_cod = debt[2027]
principal[t] = if(year() >= 2028, -ppmt(rate, year() - 2027, tenor, debt_at_cod), 0 USD)
peak_debt = max(debt[2025..2034])
check "repaid": debt[2034] ~= 0 USD within 1 USD
'''


def test_a_fixed_period_read_inside_a_recurrence_is_ordered_by_period():
    """debt_at_cod reads debt[2027]; debt reads principal from 2028, which reads debt_at_cod: a
    loop of quantities, not of periods (2027 is computed before 2028 needs it)."""
    results = engine.loads(COD_MODEL).run()
    assert results.value("debt_at_cod") == pytest.approx(150e6, rel=1e-15)
    # principal is the annuity's principal part: its payments repay 150 million in 7 years
    payment = finance.pmt(0.06, 7, 150e6, 0, 0)
    interest = 0.06 * 150e6
    assert results.value("principal", 2028) == pytest.approx(-payment - interest, rel=1e-12)
    assert abs(results.value("debt", 2034)) < 1e-6
    assert results.value("peak_debt") == pytest.approx(150e6, rel=1e-15)
    assert results.passed
    assert results.model.quantities["debt_at_cod"].type.series is False


def test_the_loop_follows_a_changed_input_and_the_workbook_agrees(tmp_path):
    source = tmp_path / "cod.ush"
    source.write_text(COD_MODEL)
    model = engine.load(source)
    changed = model.run(overrides={"draw[2027]": "80 million USD"})
    assert changed.value("debt_at_cod") == pytest.approx(180e6, rel=1e-15)
    path = tmp_path / "cod.xlsx"
    export_workbook(model, path)
    computed = formulas_recalculate(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    for sheet, cell, value in engine_cells(model, "base", wb):
        got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
        assert close(got, value, rel=1e-9) or abs(got - value) < 1e-6, (sheet, cell, got, value)


def test_libreoffice_computes_the_loop_through_periods_as_the_engine(tmp_path):
    _need_libreoffice()
    source = tmp_path / "cod.ush"
    source.write_text(COD_MODEL)
    model = engine.load(source)
    path = tmp_path / "cod.xlsx"
    export_workbook(model, path)
    wb = openpyxl.load_workbook(libreoffice_recalculate(path, tmp_path), data_only=True)
    for sheet, cell, value in engine_cells(model, "base", wb):
        got = wb[sheet][cell].value
        assert close(got, value, rel=1e-9) or abs(got - value) < 1e-6, (sheet, cell, got, value)


def test_a_real_cycle_of_periods_names_the_quantities_the_periods_and_the_places():
    text = COD_MODEL.replace("debt_at_cod = debt[2027]", "debt_at_cod = debt[2029]")
    with pytest.raises(ModelError) as err:
        engine.loads(text).checked()
    (d,) = err.value.diagnostics
    assert d.message == "circular definition through periods: debt_at_cod -> debt[2029] -> principal[2029] -> debt_at_cod"
    assert [(label.span.line, label.text) for label in d.labels] == [
        (11, "debt_at_cod reads debt[2029]"), (10, "debt[2029] reads principal[2029]"),
        (12, "principal[2029] reads debt_at_cod")]


def test_the_readme_finance_example_runs_and_the_lender_earns_its_rate():
    """Interest capitalised at 6 % during construction, then an annuity at 6 %: the lender's IRR
    is 6 % whatever the schedule (a hand result)."""
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```unitsheet\n(input loan = 100 million USD\n.*?)```", readme, re.S).group(1)
    results = engine.loads('model "m"\ntimeline 2025..2037 yearly\n' + block).run()
    assert results.value("lender_irr") == pytest.approx(0.06, rel=1e-9)
    assert results.value("debt_at_cod") == pytest.approx(100e6 * 1.06 ** 2, rel=1e-12)
    assert abs(results.value("debt", 2037)) < 1e-6


def test_a_failure_inside_a_loop_through_periods_is_reported_where_it_starts():
    """principal's ppmt has no payment 8 of 7 in 2035; debt, which reads it, is not the culprit."""
    text = COD_MODEL.replace("timeline 2025..2034 yearly", "timeline 2025..2035 yearly")
    with pytest.raises(ModelError) as err:
        engine.loads(text).run()
    (d,) = err.value.diagnostics
    assert d.message.startswith("ppmt() of a payment number outside 1 to nper")
    assert d.message.endswith("in `principal` for 2035")


def test_a_range_in_a_check_hints_at_checking_each_period():
    with pytest.raises(ModelError) as err:
        engine.loads('model "m"\ntimeline 2026..2030 yearly\ninput x = 2\ny[t] = x\n'
                     'check "each": y[2027..2029] >= 1\n').checked()
    (d,) = err.value.diagnostics
    assert 'check "..." for t in 2027..2029: y[t]' in d.hint


def test_a_loop_member_that_reads_a_series_only_through_another_formula_is_a_series():
    """principal reads the time only through `flag` and `k`, formulas outside the loop: it was
    ordered as a single value while planning (they were not typed yet) and came out NaN."""
    text = """model "repro"
timeline 2026..2030 yearly
debt[2026] = 100 USD
debt[2027..] = debt[t-1] - principal * 1 year
debt_at_start = debt[2026]
flag = year() >= 2027
k = year() - 2026
principal: USD/year = if(flag, -ppmt(7 %, k, 4, debt_at_start) / 1 year, 0 USD/year)
"""
    results = engine.loads(text).run()
    want = [-finance.ppmt(0.07, k, 4, 100.0, 0.0, 0.0) for k in range(1, 5)]
    assert np.allclose(results.values["principal"][1:], want, rtol=1e-12)
    assert abs(results.values["debt"][-1]) < 1e-9
