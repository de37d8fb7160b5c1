"""The registry of functions (engine/builtins.py): every entry reaches the checker, both
evaluators, the emitter and the docs; the functions added through it (mod, sqrt, floor, ceiling,
trunc, sign, log10) compute what LibreOffice's own functions compute on the exported workbook."""

import numpy as np
import openpyxl
import pytest

from unitsheet import engine
from conftest import ROOT
from unitsheet.engine import builtins
from unitsheet.engine.check.calls import RULES
from unitsheet.exports.xlsx import CLASSIC_FUNCTIONS, export_workbook
from test_export import _need_libreoffice, engine_cells
from workbook import close, formulas_recalculate, libreoffice_recalculate


@pytest.mark.parametrize("entry", builtins.ENTRIES, ids=lambda b: f"{b.kind}-{b.name}")
def test_every_entry_has_a_kernel_an_excel_form_a_unit_rule_and_a_doc_row(entry):
    docs = (ROOT / "docs" / "language.md").read_text()
    assert f"| `{entry.signature}` | {entry.meaning} | {entry.units} |" in docs
    if entry.kind == "series":  # rewritten by the checker into nodes every backend has
        assert entry.name in ("growth", "forecast")  # forecast: engine/actuals.py, before the checker
        return
    if entry.kind == "calendar":  # ir.Period: the Timeline computes it; the Excel form reads the header
        assert entry.excel and entry.unit_rule in ("plain", "length", "flag")
        assert entry.name in ("year", "quarter", "month", "fiscal_year", "fiscal_quarter", "period_length", "in_period")
        return
    assert callable(entry.kernel) and entry.excel
    if entry.kind == "elementwise":
        assert entry.unit_rule in RULES, entry.unit_rule
    else:
        assert entry.unit_rule in ("integrate", "keep", "ratio", "finance", "vintage", "first", "before")
    assert entry.scale in ("common", "keep", "root", "free", "engine")


def test_the_docs_table_is_generated_from_the_registry():
    docs = (ROOT / "docs" / "language.md").read_text()
    inside = docs.split(builtins.DOC_BEGIN)[1].split(builtins.DOC_END)[0].strip()
    assert inside == builtins.docs_table(), "run `make readme` to regenerate the table"


def test_the_exporter_treats_every_registry_form_as_classic():
    assert builtins.excel_functions() <= CLASSIC_FUNCTIONS


NEW_FUNCTIONS = '''model "functions through the registry"
timeline 2025..2032 yearly
input x = {2025: -7, 2026: 7, 2027: -2.5, 2028: 2.5, 2029: 0, 2030: 10.75, 2031: -0.25, 2032: 1000}
input d = {2025: 2, 2026: -2, 2027: 2, 2028: 0.75, 2029: 3, 2030: -3, 2031: 0.5, 2032: 7}
input area: m^2 = {2025..2032: 16}
input money: USD = {2025: 2500000000.5, 2026: -2500000000.5, 2027..2032: 7e9}
remainder = mod(x, d)
root = sqrt(abs(x))
side = sqrt(area)
down = floor(x)
up = ceiling(x)
cut = trunc(x)
sign_of = sign(x)
sign_of_money = sign(money)
decades = log10(abs(x) + 1)
money_floor = floor(money)
money_ceiling = ceiling(money)
money_mod = mod(money, 3 billion USD)
'''


def test_new_functions_against_hand_values():
    r = engine.loads(NEW_FUNCTIONS, "f.ush").run()
    assert list(r.values["remainder"][:2]) == [1, -1], "mod has the sign of the divisor, as Excel's MOD"
    assert list(r.values["down"][2:4]) == [-3, 2] and list(r.values["up"][2:4]) == [-2, 3]
    assert list(r.values["cut"][2:4]) == [-2, 2]
    assert list(r.values["sign_of"][:5]) == [-1, 1, -1, 1, 0]
    assert r.unit("side") == "meter" and r.values["side"][0] == 4
    assert r.unit("sign_of_money") == "dimensionless"
    assert r.values["money_floor"][0] == 2500000000 and r.values["money_ceiling"][1] == -2500000000
    assert r.values["decades"][-1] == pytest.approx(np.log10(1001))


def test_new_functions_equal_libreoffices_own_and_formulas(tmp_path):
    """floor/ceiling/mod of money shown in billions work on the engine's value, not the cell's."""
    _need_libreoffice()
    model = engine.loads(NEW_FUNCTIONS, "f.ush")
    book = tmp_path / "f.xlsx"
    export_workbook(model, book)
    written = openpyxl.load_workbook(book)
    used = {f for ws in written.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) for f in ("MOD(", "SQRT(", "INT(", "TRUNC(", "SIGN(", "LOG10(") if f in c.value}
    assert used == {"MOD(", "SQRT(", "INT(", "TRUNC(", "SIGN(", "LOG10("}
    wb = openpyxl.load_workbook(libreoffice_recalculate(book, tmp_path), data_only=True)
    computed = formulas_recalculate(book)
    for sheet, cell, value in engine_cells(model, "base", wb):
        assert close(wb[sheet][cell].value, value, rel=1e-12), ("libreoffice", sheet, cell, wb[sheet][cell].value, value)
        got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
        assert close(got, value, rel=1e-12), ("formulas", sheet, cell, got, value)


@pytest.mark.parametrize("body, needle", [
    ("input a = 2 USD\nx = sqrt(a)\n", "has no square root"),
    ("input a = 2 USD\nx = log10(a)\n", "takes a plain number"),
    ("input a = 2 USD\nx = mod(a, 2)\n", "cannot take the mod of"),
    ("input a = 2\nx = mod(a)\n", "mod() takes 2 arguments, not 1"),
    ("input a = 2\nx = floor(a, 2)\n", "floor() takes 1 argument, not 2"),
    ("input a = 2\nx = florr(a)\n", "did you mean `floor`?"),
])
def test_bad_calls_of_new_functions_are_located_errors(body, needle):
    with pytest.raises(engine.ModelError) as info:
        engine.loads('model "m"\ntimeline 2025..2026 yearly\n' + body, "m.ush").run()
    d = info.value.diagnostics[0]
    assert needle in d.message + (d.hint or "") and d.span.line == 4
