"""Depreciation by vintage: depreciation(capex, life[, first]) — hand values, the convention
(from the next period; half-year; from the same period), a life from an input, a scenario or
--set, its errors, and the workbook's live vintage triangle recalculated by LibreOffice and
`formulas`, also after an analyst changes the life."""

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import builtins
from unitsheet.engine.diagnostics import ModelError
from unitsheet.exports.xlsx import export_workbook

from conftest import run_cli
from test_export import libreoffice_equals_the_engine
from workbook import close, formulas_recalculate, name_cells

MODEL = """model "Vintages"
timeline 2025..2034 yearly
input capex: USD/year = {2025: 100, 2026: 50, 2027..2034: 0}
input dep_life = 4 year
dep = depreciation(capex, dep_life)
dep_half = depreciation(capex, 4, 0.5)
dep_same = depreciation(capex, dep_life, 100 %)
scenario short "a shorter life" { dep_life = 2 year }
check "fully depreciated" : total(dep[2025..2034]) ~= total(capex[2025..2034]) within 1e-9
"""


def test_each_period_s_capex_is_charged_over_the_life_from_the_next_period():
    r = engine.loads(MODEL).run()
    assert list(r.values["dep"]) == [0, 25, 37.5, 37.5, 37.5, 12.5, 0, 0, 0, 0]
    # half-year: half a charge in the capex's own period, half in the period `life` later
    assert list(r.values["dep_half"]) == [12.5, 31.25, 37.5, 37.5, 25, 6.25, 0, 0, 0, 0]
    assert list(r.values["dep_same"]) == [25, 37.5, 37.5, 37.5, 12.5, 0, 0, 0, 0, 0]
    assert r.passed


def test_the_life_follows_a_scenario_and_set():
    model = engine.loads(MODEL)
    assert list(model.run("short").values["dep"][:5]) == [0, 50, 75, 25, 0]
    assert list(model.run(overrides={"dep_life": "3 year"}).values["dep"][:6]) == \
        pytest.approx([0, 100 / 3, 50, 50, 50 / 3, 0], rel=1e-15)


def test_a_set_life_that_is_not_whole_is_an_error_naming_it_before_anything_runs(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    code, _, err = run_cli(["run", path, "--set", "dep_life=2.5 year"], capsys)
    assert code == 2
    assert "`dep_life` = 2.5 years is not a whole number of years" in err
    assert "--set dep_life to a whole number of years from 1 to 10" in err
    assert "m.ush:5:7" in err


def test_a_life_in_years_on_a_monthly_timeline_is_counted_in_months():
    text = """model "monthly"
timeline 2025-01..2027-12 monthly
input capex: USD/month = {2025-01: 240, 2025-02..2027-12: 0}
input life = 2 year
dep = depreciation(capex, life)
"""
    r = engine.loads(text).run()
    assert list(r.values["dep"][:26]) == [0] + [10.0] * 24 + [0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=30), st.integers(1, 30),
       st.sampled_from([0.0, 0.5, 1.0, 0.25]))
def test_the_kernel_equals_a_sum_over_vintages_and_charges_each_capex_once(capex, life, first):
    x = np.array(capex)
    n, life = len(x), min(life, len(x))
    got = builtins.vintage_depreciation(x.copy(), life, first)
    want = np.zeros(n)
    for v in range(n):  # one vintage at a time, as the workbook's triangle does
        for t in range(v, min(n, v + life + 1)):
            share = first if t == v else (1.0 if t < v + life else 1.0 - first)
            want[t] += x[v] * share / life
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(x).sum())
    # capex whose whole life lies inside the timeline is charged exactly once in total
    inside = n - life
    if inside > 0:
        y = np.zeros(n)
        y[:inside] = x[:inside]
        assert builtins.vintage_depreciation(y, life, first).sum() == pytest.approx(y.sum(), rel=1e-9,
                                                                                    abs=1e-9 * np.abs(y).sum())


def test_a_lag_of_the_life_gives_a_different_answer_than_one_period_less():
    """Rows that differ only in the life differ: 3 and 4 periods give different charges."""
    model = engine.loads(MODEL)
    assert not np.allclose(model.run(overrides={"dep_life": "3 year"}).values["dep"], model.run().values["dep"])


@pytest.fixture(scope="module")
def vintage_workbook(tmp_path_factory):
    model = engine.loads(MODEL)
    path = tmp_path_factory.mktemp("vintages") / "vintages.xlsx"
    export_workbook(model, path)
    return model, path


def test_the_workbook_has_a_live_vintage_triangle_the_quantity_reads(vintage_workbook):
    _, path = vintage_workbook
    wb = openpyxl.load_workbook(path)
    ws = wb["Vintages"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "dep = depreciation(capex, 4)" in texts
    assert any(t.startswith("=IF(") and "AND(" in t for t in texts)
    assert any(t.startswith("=Inputs!") for t in texts)  # the life cell reads the input
    sheet, cell = name_cells(wb, "dep")[3]
    assert wb[sheet][cell].value.startswith("=Vintages!")


def test_libreoffice_recalculates_the_triangles_to_the_engines_values(vintage_workbook, tmp_path):
    model, path = vintage_workbook
    assert libreoffice_equals_the_engine(model, path, tmp_path) >= 40


def test_an_analyst_changing_the_life_in_the_workbook_gets_the_engines_values_for_it(vintage_workbook):
    """`formulas` recalculates the workbook with the life input cell set to 3: the depreciation rows
    equal the engine's with --set dep_life=3 year."""
    model, path = vintage_workbook
    wb = openpyxl.load_workbook(path)
    (life_sheet, life_cell), = name_cells(wb, "dep_life")
    computed = formulas_recalculate(path, inputs={f"{life_sheet}!{life_cell}": 3.0})
    three = model.run(overrides={"dep_life": "3 year"})
    for name in ("dep", "dep_same"):
        for (sheet, cell), want in zip(name_cells(wb, name), three.values[name]):
            assert close(computed[f"{sheet.upper()}!{cell}"], want, rel=1e-9), (name, cell)
    assert not close(computed[f"{sheet.upper()}!{cell}"], model.run().values["dep_same"][-1] + 1, rel=1e-9)


@pytest.mark.parametrize("life,message", [
    ("0", "a depreciation life is 0 years: it must be at least one period"),
    ("2.5 year", "a depreciation life is 2.5 years: it must be a whole number of years"),
    ("11", "a depreciation life is 11 years: it is longer than the timeline (10 years)"),
    ("3 year .. 5 year", "`dep_life` is a range: a depreciation life cannot vary between samples"),
    ("4 USD", "a depreciation life is a number of periods or a time, not USD"),
])
def test_a_bad_life_is_a_located_error(life, message):
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL.replace("input dep_life = 4 year", f"input dep_life = {life}"), "m.ush").checked()
    d = err.value.diagnostics[0]
    assert message in d.message and d.span.line == 5 and d.hint


def test_a_scenario_s_bad_life_is_its_error():
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL.replace("dep_life = 2 year }", "dep_life = 2.5 year }")).checked()
    d = err.value.diagnostics[0]
    assert d.scenario == "short" and "2.5 years" in d.message


def test_first_must_be_a_share():
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL.replace("depreciation(capex, 4, 0.5)", "depreciation(capex, 4, 2)")).checked()
    assert "a number from 0 to 1" in err.value.diagnostics[0].message


def test_the_life_cells_accept_only_whole_periods_within_the_timeline(vintage_workbook):
    """Each scenario's cell of dep_life has a data validation: whole years from 1 to 10 (INDEX and
    the triangle would silently use 2.5; the engine refuses it)."""
    import re
    import zipfile

    _, path = vintage_workbook
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    rules = re.findall(r'<dataValidation type="custom"[^>]*errorTitle="dep_life: whole years"[^>]*>'
                       r'\s*<formula1>([^<]*)</formula1>', xml)
    assert len(rules) == 2 and all(r.endswith("&lt;=10)") for r in rules)
