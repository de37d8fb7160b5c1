"""The safety net before the core is reshaped (issue 14): four single-point bugs the suite did
not catch, each now caught by a test whose answer a wrong rule changes:
  - ROUND with numpy's half-to-even instead of Excel's half away from zero;
  - total / npv / running_total dividing by the period-length factor instead of multiplying;
  - grouping rows whose formulas differ only in a lag (a[t-1] vs a[t]), a constant or a unit factor;
  - a self-reference (`x = x + 1`) not reported as a cycle (tests/errors/self_reference_*.ush).
"""

import numpy as np
import openpyxl
import pytest

from unitsheet import engine
from unitsheet.exports.xlsx import export_workbook
from test_export import _need_libreoffice, engine_cells
from workbook import close, libreoffice_recalculate

ROUNDING = '''model "ties"
timeline 2025..2031 yearly
input x = {2025: 2.5, 2026: -2.5, 2027: 0.5, 2028: 1.5, 2029: -0.5, 2030: 12.5, 2031: 0.25}
whole = round(x)
tenths = round(x, 1)
hundreds = round(x * 100, -2)
'''


def test_round_takes_halves_away_from_zero_as_excel_does():
    r = engine.loads(ROUNDING, "ties.ush").run()
    assert list(r.values["whole"]) == [3, -3, 1, 2, -1, 13, 0]
    assert list(r.values["tenths"]) == [2.5, -2.5, 0.5, 1.5, -0.5, 12.5, 0.3]
    assert list(r.values["hundreds"]) == [300, -300, 100, 200, -100, 1300, 0]


def test_round_at_ties_equals_libreoffices_round(tmp_path):
    _need_libreoffice()
    model = engine.loads(ROUNDING, "ties.ush")
    book = tmp_path / "ties.xlsx"
    export_workbook(model, book)
    wb = openpyxl.load_workbook(libreoffice_recalculate(book, tmp_path), data_only=True)
    for sheet, cell, value in engine_cells(model, "base", wb):
        assert wb[sheet][cell].value == value, (sheet, cell, wb[sheet][cell].value, value)


PER_MONTH = '''model "per month on a yearly timeline"
timeline 2025..2027 yearly
input rent: USD/month = {2025: 100, 2026: 110, 2027: 121}
input rate = 10 %
paid = total(rent)
paid_to_date = running_total(rent)
value = npv(rate, rent)
paid_2026 = total(rent[2026..2027])
'''


def test_total_npv_and_running_total_multiply_by_the_period_length():
    r = engine.loads(PER_MONTH, "m.ush").run()
    per_year = [1200.0, 1320.0, 1452.0]  # a year is 12 months
    assert r.value("paid") == pytest.approx(sum(per_year)) and r.unit("paid") == "USD"
    assert list(r.values["paid_to_date"]) == pytest.approx(list(np.cumsum(per_year)))
    assert r.value("value") == pytest.approx(sum(v / 1.1 ** (k + 1) for k, v in enumerate(per_year)))
    assert r.value("paid_2026") == pytest.approx(1320 + 1452)


def test_period_length_integration_equals_libreoffice(tmp_path):
    _need_libreoffice()
    model = engine.loads(PER_MONTH, "m.ush")
    book = tmp_path / "m.xlsx"
    export_workbook(model, book)
    wb = openpyxl.load_workbook(libreoffice_recalculate(book, tmp_path), data_only=True)
    for sheet, cell, value in engine_cells(model, "base", wb):
        assert close(wb[sheet][cell].value, value, rel=1e-12), (sheet, cell)


SHAPES = '''model "rows that differ only in a lag, a constant or a unit factor"
timeline 2025..2028 yearly
input a: USD = {2025: 1, 2026: 2, 2027: 4, 2028: 8}
input mw: MW = {2025..2028: 1500}
input gw: GW = {2025..2028: 1.5}
input price: USD/GW = {2025..2028: 10}
now[2026..] = a[t] * 2
before[2026..] = a[t-1] * 2
after[2025..2027] = a[t+1] * 2
three[2026..] = a[t] * 3
cost_mw = mw * price
cost_gw = gw * price
'''


@pytest.mark.parametrize("grouped", [True, False])
def test_rows_that_differ_only_in_a_lag_a_constant_or_a_unit_factor_keep_their_own_values(grouped, monkeypatch):
    from unitsheet.engine import evaluate as evaluate

    monkeypatch.setattr(evaluate, "BATCHING", grouped)
    r = engine.loads(SHAPES, "s.ush").run()
    assert list(r.values["now"][1:]) == [4, 8, 16]
    assert list(r.values["before"][1:]) == [2, 4, 8]
    assert list(r.values["after"][:3]) == [4, 8, 16]
    assert list(r.values["three"][1:]) == [6, 12, 24]
    assert list(r.values["cost_mw"]) == pytest.approx([15.0] * 4)
    assert list(r.values["cost_gw"]) == pytest.approx([15.0] * 4)


def test_rows_differing_only_in_a_lag_are_not_one_group():
    from unitsheet.engine import batching

    checked = engine.loads(SHAPES, "s.ush").checked()
    shape = {n: batching.shape(checked.quantities[n].equations[0].expr) for n in ("now", "before", "after")}
    assert len(set(shape.values())) == 3
