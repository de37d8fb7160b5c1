"""The workbook computes what the engine computes: stored values, `formulas`, LibreOffice."""

import datetime as dt
import os
import zipfile

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine.diagnostics import ModelError
from unitsheet.exports.xlsx import excel_name, export_workbook, looks_like_cell, model_name

from conftest import ROOT
from test_properties import EXPRESSIONS, INPUTS, format_expr
from workbook import (close, formula_cells, formulas_recalculate, libreoffice_recalculate, name_cells,
                      plant_wrong_value, soffice)

MODELS = sorted((ROOT / "models").glob("*.ush"))
CASES = [(m, s) for m in MODELS for s in engine.load(m).scenarios]
# Models with a declared circular loop: `formulas` silently drops circular references (and all
# after them), so only LibreOffice, iterating, can recalculate their workbooks.
CIRCULAR = {m for m in MODELS if any(step.loops for step in engine.load(m).checked().plan)}


def _formulas_can_recalculate(model_path):
    if model_path in CIRCULAR:
        pytest.skip("a circular model: `formulas` drops circular references; the LibreOffice tests cover it")
VERIFIED: dict[str, int] = {}  # evaluator -> cells compared, reported at the end of the session


def _ids(case):
    return f"{case[0].stem}-{case[1]}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbooks")
    out = {}
    for path, scenario in CASES:
        target = folder / f"{path.stem}-{scenario}.xlsx"
        export_workbook(engine.load(path), target, scenario=scenario)
        out[(path, scenario)] = target
    return out


def shown_factor(model, name: str) -> float:
    """What the command line multiplies the engine's value by to print it (its display unit,
    chosen on the base case), and Excel's convention for percentages (7 % is stored as 0.07)."""
    from unitsheet.engine import report

    base = model.run("base")
    q = base.model.quantities[name]
    dims = base.model.dimensions
    values = report.block_values(base, dims.names(dims.rows[name][0])) if name in dims.rows else base.values[name]
    _, factor = report.display(q, values, base.model.units)
    unit = q.display_unit if q.display_unit is not None else q.unit
    from unitsheet.exports.layout import is_percent  # % and %/year rows hold the fraction (8 %/year: 0.08)

    return factor * 0.01 if is_percent(unit, base.model.units) else factor


def engine_cells(model_path, scenario: str, wb) -> list[tuple[str, str, object]]:
    """(sheet, cell, engine value as the command line shows it) for every quantity, found through
    its defined name: the number in a cell is the quantity in the unit its row states."""
    model = engine.load(model_path) if not hasattr(model_path, "run") else model_path
    results = model.run(scenario)
    out = []
    for name, q in results.model.quantities.items():
        cells = name_cells(wb, excel_name(name))
        values = results.values[name] if q.series else results.values[name][:1]
        assert len(cells) == len(values), name
        factor = 1.0 if q.unit is None else shown_factor(model, name)
        for (sheet, cell), value in zip(cells, values):
            v = float(value)
            out.append((sheet, cell, None if np.isnan(v) else (bool(v) if q.unit is None else v * factor)))
    return out


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_stored_values_equal_the_engine_exactly(case, exported):
    wb = openpyxl.load_workbook(exported[case], data_only=True)
    for sheet, cell, value in engine_cells(*case, wb):
        stored = wb[sheet][cell].value
        assert close(stored, value, rel=1e-15), (sheet, cell, stored, value)


# Each model's base book: the other scenarios' values are the selector test's (formulas, on the
# base book switched) and LibreOffice's (every scenario's book, every formula against its value).
@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "base"], ids=_ids)
def test_formulas_recalculation_equals_the_engine(case, exported):
    _formulas_can_recalculate(case[0])
    path = exported[case]
    computed = formulas_recalculate(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    for sheet, cell, value in engine_cells(*case, wb):
        got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
        assert close(got, value), (sheet, cell, got, value)
    cells = formula_cells(path)
    tolerated = knife_edge_cells(engine.load(case[0]), case[1], wb)
    for sheet, cell in cells:  # every formula, checks and cover included, agrees with its stored value
        if (sheet, cell) not in tolerated:
            assert close(computed[f"{sheet.upper()}!{cell}"], wb[sheet][cell].value), (sheet, cell)
    VERIFIED["formulas"] = VERIFIED.get("formulas", 0) + len(cells)


def knife_edge_cells(model, scenario: str, wb) -> set[tuple[str, str]]:
    """The check cells whose comparison holds with equality to ~1e-12 in the engine (and the Cover
    cells that combine them). Cells are in display units, so the workbook's last bits differ from
    the engine's: there `formulas`, which compares exactly, may see 99.99999999999999 >= 100 as
    false, where Excel and LibreOffice (15 significant digits) and the engine agree it holds."""
    from unitsheet.engine import ir
    from unitsheet.engine.evaluate import _compile

    evaluator, env = model.evaluator(scenario), model.run(scenario).env
    edges = set()
    for check in model.checked(scenario).checks:
        node = check.expr
        if isinstance(node, ir.Compare) and not node.left.type.boolean:
            a, b = (check.start, check.stop + 1) if check.start is not None else (0, 1)
            left = np.asarray(_compile(node.left, evaluator)(env, a, b), dtype=float)
            right = np.asarray(_compile(node.right, evaluator)(env, a, b), dtype=float)
            if (np.abs(left - right) <= 1e-12 * np.maximum(np.abs(left), np.abs(right))).any():
                edges.add(check.name)
    if not edges:
        return set()
    ws = wb["Checks"]
    cells = {("Cover", "B6"), ("Cover", "B7")}
    for row in ws.iter_rows(min_row=5):
        if row[0].value in edges:
            cells |= {("Checks", c.coordinate) for c in row[1:]}
    return cells


def _need_libreoffice():
    if soffice() is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed (make libreoffice); CI must verify workbooks with it")
        pytest.skip("LibreOffice is not installed here; `make libreoffice` installs it")


def formulas_equals_the_engine(model, path, scenario: str = "base", inputs: dict | None = None) -> int:
    """`formulas` recalculates the workbook at `path`, its Cover's selector set to `scenario` and
    the cells of `inputs` ({"Sheet!A1": value}) set: every quantity's cells equal the engine's
    (rel 1e-9). The Cover is left out for another scenario (its selector cell is the input).
    Returns how many cells were compared."""
    inputs = dict(inputs or {}, **({"Cover!B4": scenario} if scenario != "base" else {}))
    computed = formulas_recalculate(path, inputs=inputs or None)
    wb = openpyxl.load_workbook(path)
    compared = 0
    for sheet, cell, value in engine_cells(model, scenario, wb):
        if value is not None and (scenario == "base" or sheet != "Cover"):
            assert close(computed[f"{sheet.upper()}!{cell}"], value, rel=1e-9), (scenario, sheet, cell)
            compared += 1
    return compared


def libreoffice_equals_the_engine(model, path, tmp_path, scenario: str = "base") -> int:
    """Recalculate a copy of the workbook at `path` with LibreOffice and compare every quantity's
    cells with the engine (rel 1e-9); returns how many cells were compared."""
    _need_libreoffice()
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    wb = openpyxl.load_workbook(libreoffice_recalculate(copy, tmp_path), data_only=True)
    compared = 0
    for sheet, cell, value in engine_cells(model, scenario, wb):
        if value is not None:
            assert close(wb[sheet][cell].value, value, rel=1e-9), (sheet, cell, wb[sheet][cell].value, value)
            compared += 1
    return compared


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_libreoffice_recalculation_equals_the_engine(case, exported, tmp_path):
    _need_libreoffice()
    path = tmp_path / exported[case].name
    path.write_bytes(exported[case].read_bytes())
    planted = plant_wrong_value(path, 3, 12345.678)  # sheet 3 = Calculations
    out = libreoffice_recalculate(path, tmp_path)
    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb["Calculations"][planted].value != 12345.678, "LibreOffice must recalculate, not keep stored values"
    for sheet, cell, value in engine_cells(*case, wb):
        assert close(wb[sheet][cell].value, value, rel=1e-12), (sheet, cell, wb[sheet][cell].value, value)
    original = openpyxl.load_workbook(exported[case], data_only=True)
    cells = formula_cells(exported[case])
    for sheet, cell in cells:
        assert close(wb[sheet][cell].value, original[sheet][cell].value, rel=1e-12), (sheet, cell)
    VERIFIED["libreoffice"] = VERIFIED.get("libreoffice", 0) + len(cells)


@pytest.mark.parametrize("model_path", MODELS, ids=lambda p: p.stem)
def test_switching_the_selector_reproduces_each_scenario(model_path, exported):
    _formulas_can_recalculate(model_path)
    base_book = exported[(model_path, "base")]
    wb = openpyxl.load_workbook(base_book, data_only=True)
    for scenario in engine.load(model_path).scenarios[1:]:
        computed = formulas_recalculate(base_book, inputs={"Cover!B4": scenario})
        for sheet, cell, value in engine_cells(model_path, scenario, wb):
            got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
            assert close(got, value), (scenario, sheet, cell, got, value)


def test_layout_is_what_finance_teams_expect(exported):
    path = exported[(ROOT / "models" / "openai_capex.ush", "base")]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cover", "Inputs", "Calculations", "Annual", "Quarterly", "Checks", "Constants",
                             "Charts"]
    calc = wb["Calculations"]
    assert [calc.cell(4, c).value for c in range(1, 4)] == ["Quantity", "Unit", "Value"]
    # real dates (each period's last day), shown as the month, with the year below
    assert [calc.cell(4, c).value.date() for c in (5, 6, 16, 112)] == [
        dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 12, 31), dt.date(2033, 12, 31)]
    assert {calc.cell(4, c).number_format for c in range(5, 113)} == {"mmm yyyy"}
    assert [calc.cell(5, c).value for c in (5, 16, 17)] == [2025, 2025, 2026]
    annual = wb["Annual"]
    assert [annual.cell(4, c).value.date() for c in range(5, 14)] == [dt.date(y, 12, 31) for y in range(2025, 2034)]
    assert {annual.cell(4, c).number_format for c in range(5, 14)} == {"yyyy"}
    assert calc.freeze_panes == "E6"  # the header and the year row stay in view
    inputs = wb["Inputs"]
    assert [inputs.cell(5, c).value for c in range(1, 8)] == ["Input", "Unit", "Live value", "Source", "base",
                                                              "bear", "bull"]
    cost = name_cells(wb, "cost_per_gw")[0]
    assert cost == ("Inputs", cost[1]) and cost[1].startswith("C")
    row = int(cost[1][1:])
    assert inputs[f"E{row}"].font.color.rgb == "FF0000FF", "input values are blue"
    assert inputs[f"C{row}"].value == f"=INDEX($E{row}:$G{row},1,scenario_index)"
    assert inputs[f"D{row}"].value.startswith("003_b59bb55a070cc80a.txt")
    assert inputs[f"D{row}"].comment is not None and "50 to $60 billion" in inputs[f"D{row}"].comment.text
    names = set(wb.defined_names.keys())
    assert {"scenario", "scenario_index", "all_checks_ok"} <= names
    checked = engine.load(ROOT / "models" / "openai_capex.ush").checked()
    assert {excel_name(n) for n in checked.quantities} <= names  # item rows too: round_immediate.amazon
    assert {"round_immediate", "round_immediate.amazon"} <= names  # a block and one of its rows
    assert wb.defined_names["scenario"].attr_text == "Cover!$B$4"
    assert wb["Cover"]["B4"].value == "base"
    assert wb["Cover"].data_validations.dataValidation[0].formula1 == "scenario_names"
    assert wb["Cover"]["B6"].value.startswith("=AND(Checks!")
    sheet, cell = name_cells(wb, "cash_balance")[14]  # 2026-03
    row = int(cell[1:] if cell[1].isdigit() else cell[2:])
    assert wb[sheet][f"B{row}"].value == "billion USD" and wb[sheet][cell].number_format == "#,##0.00"
    sheet, cell = name_cells(wb, "stargate_capacity_gw")[0]
    assert wb[sheet][f"B{cell[1:]}"].value == "GW"
    # same formula shape across a row: the recurrence reads the previous column (same sheet: no sheet name)
    sheet, cell = name_cells(wb, "cash_balance")[15]
    prev = name_cells(wb, "cash_balance")[14][1]
    column, digits = prev.rstrip("0123456789"), prev[len(prev.rstrip("0123456789")):]
    assert f"{column}${digits}" in wb[sheet][cell].value and "Calculations!" not in wb[sheet][cell].value
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist()), "native charts"
    assert "fullCalcOnLoad" in zipfile.ZipFile(path).read("xl/workbook.xml").decode()


def test_every_calculated_cell_is_a_formula(exported):
    path = exported[(ROOT / "models" / "openai_capex.ush", "base")]
    wb = openpyxl.load_workbook(path)
    calc = wb["Calculations"]
    for row in calc.iter_rows(min_row=6, min_col=3):  # below the header and the year row
        for c in row:
            assert c.value is None or (isinstance(c.value, str) and c.value.startswith("=")), c.coordinate


HOSTILE = '''model "=HYPERLINK(\\"http://evil\\",\\"click\\")"
timeline 2025..2027 yearly
input CAP2025 = 5 USD
    note "@SUM(A1:A9)"
    source "+cmd|' /C calc'!A0" "-2+3"
input R1C1 = 2 USD
input scenario = 1 USD
x = CAP2025 + R1C1 + scenario
check "=1+1": x > 0 USD
'''


def test_hostile_content_stays_text_and_names_are_mangled(tmp_path):
    path = tmp_path / "hostile.xlsx"
    export_workbook(engine.loads(HOSTILE, "hostile.ush"), path)
    wb = openpyxl.load_workbook(path)
    assert wb["Cover"]["A1"].value == '=HYPERLINK("http://evil","click")' and wb["Cover"]["A1"].data_type == "s"
    found = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "s"}
    comments = {c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment}
    assert "=1+1" in found and "@SUM(A1:A9)" in comments  # a note is a comment on the input's name
    assert any(str(v).startswith("+cmd|") for v in found)
    names = set(wb.defined_names.keys())
    assert {"_CAP2025", "_R1C1", "_scenario", "x"} <= names and "CAP2025" not in names
    computed = formulas_recalculate(path)
    sheet, cell = name_cells(wb, "x")[0]
    assert close(computed[f"{sheet.upper()}!{cell}"], 8.0)


@pytest.mark.parametrize("name,cell", [("CAP2025", True), ("XFD1", True), ("XFE1", True), ("q0", True), ("R1C1", True),
                                       ("rc", True), ("R2", True), ("revenue", False), ("A1B", False),
                                       ("true", True), ("cash_2025", False)])
def test_cell_like_names(name, cell):
    assert looks_like_cell(name) == cell
    assert model_name(excel_name(name)) == name


def test_export_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"previous contents")
    from unitsheet.exports import xlsx

    def boom(self):
        raise RuntimeError("disk full")
    monkeypatch.setattr(xlsx.charts, "write", lambda book: boom(book))
    with pytest.raises(RuntimeError):
        export_workbook(engine.load(ROOT / "models" / "openai_capex.ush"), target)
    assert target.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"], "no temporary file left behind"


def test_too_long_formula_is_reported_not_written(tmp_path):
    body = "max(" + ", ".join(["a"] * 800) + ")"  # wide, not deep: 800 references of 12 characters
    text = f'model "long"\ntimeline 2025..2026 yearly\ninput a = 1 USD\ny = {body}\n'
    with pytest.raises(ModelError, match="Excel allows 8,192"):
        export_workbook(engine.loads(text, "long.ush"), tmp_path / "long.xlsx")
    assert not list(tmp_path.iterdir())


def test_cli_export(tmp_path, capsys):
    from unitsheet.engine.cli import main

    out = tmp_path / "o.xlsx"
    assert main(["export", str(ROOT / "models" / "openai_capex.ush"), "-o", str(out), "--scenario", "bear"]) == 0
    assert openpyxl.load_workbook(out)["Cover"]["B4"].value == "bear"
    assert main(["export", str(ROOT / "models" / "openai_capex.ush"), "-o", str(out), "--scenario", "nope"]) == 2


# ---------------------------------------------------------------- random models through formulas

SERIES_LEAVES = ["revenue[t]", "revenue[t-1]", "cash", "capacity", "share"]


RANDOM_TIMELINES = {"yearly": ("2025..2028", ["2025", "2026", "2027", "2028"]),
                    "quarterly": ("2025Q1..2025Q4", ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]),
                    "monthly": ("2025-01..2025-04", ["2025-01", "2025-02", "2025-03", "2025-04"])}


@settings(max_examples=int(os.environ.get("RANDOM_WORKBOOKS", "20")), suppress_health_check=list(HealthCheck), deadline=None)
@given(expression=EXPRESSIONS, revenue=st.lists(st.integers(1, 900), min_size=4, max_size=4),
       lag_leaf=st.integers(0, 2), frequency=st.sampled_from(sorted(RANDOM_TIMELINES)), by_region=st.booleans())
def test_random_models_recalculated_by_formulas_equal_the_engine(expression, revenue, lag_leaf, frequency,
                                                                 by_region, tmp_path_factory):
    """Random models on yearly, quarterly and monthly timelines: revenue is a rate per year, so
    on months and quarters every use of it is a rate in another time unit than the period. With
    by_region, revenue varies by a dimension (its items differ), so every formula reading it is a
    block of item rows, and a sum over the dimension reads the block."""
    span, labels = RANDOM_TIMELINES[frequency]
    lines = ['model "random"', f"timeline {span} {frequency}"]
    for name, unit in INPUTS.items():
        if name != "revenue":
            lines.append(f"input {name} = {len(name) * 3.7!r} {unit if unit != '1' else ''}".rstrip())
    table = "{" + ", ".join(f"{p}: {v}" for p, v in zip(labels, revenue)) + "}"
    if by_region:
        other = "{" + ", ".join(f"{p}: {v * 3 + 1}" for p, v in zip(labels, revenue)) + "}"
        lines.append("dimension region = {na, eu, apac}")
        lines.append(f"input revenue by region: USD/year = {{na: {table}, eu: {other}, default: {table}}}")
    else:
        lines.append("input revenue: USD/year = " + table)
    text = format_expr(expression).replace("revenue", "revenue[t-1]" if lag_leaf == 1 else "revenue[t]")
    lines.append(f"r[{labels[1]}..] = {text}")
    lines.append(f"acc[{labels[0]}] = 0 USD")
    lines.append(f"acc[{labels[1]}..] = acc[t-1] + revenue[t] * period_length()")
    if by_region:
        lines.append("acc_total = sum(acc over region)")
        lines.append("r_total = sum(r over region)" if "revenue" in text else "r_total = r")
    source = "\n".join(lines) + "\n"
    try:
        model = engine.loads(source, "random.ush")
        model.run()
    except ModelError:
        assume(False)
    path = tmp_path_factory.mktemp("random") / "random.xlsx"
    export_workbook(model, path)
    computed = formulas_recalculate(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    cells = list(engine_cells_for(model, wb))
    # Two IEEE evaluators may differ in the last bit of pow(); after a cancellation (a - b with
    # a ~ b) that bit is all that is left, so allow 1e-9 of the model's largest magnitude too.
    scale = max((abs(v) for _, _, v in cells if v is not None and np.isfinite(v)), default=1.0)
    for sheet, cell, value in cells:
        got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
        assert close(got, value, rel=1e-9) or abs(float(got) - value) <= 1e-9 * scale, (source, sheet, cell, got, value)


def test_a_plain_number_in_millions_is_scaled_in_its_formula_too(tmp_path):
    """A dimensionless row shown in `million` (50 thousand * 100 = 5 million) holds 5, and its
    formula divides by the million too: CI found the cell computing 5,000,000 under `million`."""
    text = 'model "m"\ntimeline 2025..2027 yearly\nr[2026..] = 50 thousand * 100\ncount = 3 * 2\n'
    model = engine.loads(text, "m.ush")
    path = tmp_path / "m.xlsx"
    export_workbook(model, path)
    computed = formulas_recalculate(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    cells = list(engine_cells_for(model, wb))
    assert {wb[s][f"B{c[1:]}"].value for s, c, _ in cells} == {"million", "number"}
    for sheet, cell, value in cells:
        if value is not None:
            assert close(computed[f"{sheet.upper()}!{cell}"], value) and close(wb[sheet][cell].value, value)
    assert sorted(v for *_, v in cells if v is not None) == [5.0, 5.0, 6.0]


def engine_cells_for(model, wb):
    for sheet, cell, value in engine_cells(model, "base", wb):
        yield sheet, cell, (None if value is None else float(value))


def test_zz_report_verified_cell_counts(capsys):
    with capsys.disabled():
        print(f"\nworkbook cells verified: {VERIFIED}")


def test_fast_formula_preparation_matches_xlsxwriter(exported):
    """The exporter's shortcut past XlsxWriter's formula preparation changes nothing it writes."""
    import xlsxwriter.worksheet
    from unitsheet.exports.xlsx import _Worksheet

    plain, fast = xlsxwriter.worksheet.Worksheet(), _Worksheet()
    path = exported[(ROOT / "models" / "openai_capex.ush", "base")]
    wb = openpyxl.load_workbook(path)
    formulas_seen = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas_seen
    for f in formulas_seen + ["=FILTER(A1:A3,B1:B3)", "=SUM(A1:A2)+XLOOKUP(1,A1:A2,B1:B2)"]:
        assert fast._prepare_formula(f) == plain._prepare_formula(f), f


def test_scenarios_that_replace_formulas_switch_live_in_the_workbook(tmp_path):
    """A scenario that replaces equations becomes CHOOSE(scenario_index, base, variant, ...) per cell."""
    source = ROOT / "tests" / "scenario_formulas.ush"
    model = engine.load(source)
    path = tmp_path / "scenarios.xlsx"
    export_workbook(model, path)
    wb = openpyxl.load_workbook(path)
    sheet, cell = name_cells(wb, "path")[1]
    assert wb[sheet][cell].value.startswith("=CHOOSE(scenario_index,")
    for scenario in model.scenarios:
        computed = formulas_recalculate(path, inputs={"Cover!B4": scenario})
        for sheet, cell, value in engine_cells(source, scenario, wb):
            got = computed.get(f"{sheet.upper()}!{cell}", wb[sheet][cell].value)
            assert close(got, value), (scenario, sheet, cell, got, value)


@pytest.mark.parametrize("source", ["openai", "synthetic"])
def test_classic_formula_shortcut_writes_the_same_sheets_as_xlsxwriter(source, tmp_path, monkeypatch):
    """write_classic_formula and the formula-cell XML writer (the exporter's ways past XlsxWriter's
    per-cell regex passes and type dispatch) and XlsxWriter's own write_formula and _write_cell
    produce byte-identical worksheets (with comparisons, so with escaped < and >)."""
    import zipfile

    import xlsxwriter.worksheet
    from unitsheet.exports.xlsx import _Worksheet

    from benchmarks.synthetic import synthetic_model

    model = (engine.load(ROOT / "models" / "openai_capex.ush") if source == "openai"
             else engine.loads(synthetic_model(60), "synthetic.ush"))  # if(a > b, ...): escaped formulas
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    export_workbook(model, fast)
    monkeypatch.setattr(_Worksheet, "write_classic_formula",
                        lambda self, r, c, f, fmt, v: xlsxwriter.worksheet.Worksheet.write_formula(self, r, c, f, fmt, v))
    monkeypatch.setattr(_Worksheet, "_prepare_formula", xlsxwriter.worksheet.Worksheet._prepare_formula)
    monkeypatch.setattr(_Worksheet, "_write_cell", xlsxwriter.worksheet.Worksheet._write_cell)
    export_workbook(model, plain)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        sheets = [n for n in a.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) >= 5
        for name in sheets:
            assert a.read(name) == b.read(name), name
