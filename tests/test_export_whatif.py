"""export --solve, --sensitivity and --table (issue 27 items 1-3, the workbook): the solved value in
the input's cell with a note and a live row that holds while the target does (LibreOffice
recalculates it), and the Sensitivity and Data table sheets holding the engine's values."""

import openpyxl
import pytest

from unitsheet import engine
from conftest import run_cli
from unitsheet.exports.recalc import libreoffice_recalculate
from test_export import _need_libreoffice as need_libreoffice

MODEL = "models/datacenter_project.ush"
SOLVE = ["--scenario", "bear", "--solve", "equity_irr = 12 %", "--solve-for", "lease_rate"]


def solved_row(ws):
    return next(row for row in ws.iter_rows() if row[0].value and str(row[0].value).startswith("solved:"))


@pytest.fixture(scope="module")
def solved_book(tmp_path_factory, root):
    path = tmp_path_factory.mktemp("solve") / "dc.xlsx"
    from unitsheet.engine.cli import main

    assert main(["export", str(root / MODEL), "-o", str(path), *SOLVE]) == 0
    return path


def test_the_solved_value_is_in_the_inputs_cell_with_a_note(solved_book, root):
    model = engine.load(root / MODEL)
    solution = model.solve("equity_irr = 12 %", "lease_rate", scenario="bear")
    ws = openpyxl.load_workbook(solved_book)["Inputs"]
    row = next(r for r in ws.iter_rows() if r[0].value == "lease_rate")
    header = [c.value for c in next(r for r in ws.iter_rows() if r[0].value == "Input")]
    cell = row[header.index("bear")]
    assert cell.value == pytest.approx(solution.roots[0].value / 1000, rel=1e-12)  # shown in thousand USD/MW/month
    assert "Solved by unitsheet: lease_rate = 1,209.539" in cell.comment.text and "equity_irr = 12 %" in cell.comment.text
    other = row[header.index("base")]
    assert other.value == pytest.approx(1150)  # only the solved scenario changes


def test_the_solved_row_holds_live_and_fails_when_the_input_moves(solved_book, tmp_path):
    need_libreoffice()  # a skip here, a failure in CI
    stored = solved_row(openpyxl.load_workbook(solved_book, data_only=True)["Checks"])
    assert stored[1].value == 1  # the engine's TRUE, stored as the model's checks store theirs
    recalculated = libreoffice_recalculate(solved_book, tmp_path / "a")
    assert solved_row(openpyxl.load_workbook(recalculated, data_only=True)["Checks"])[1].value == 1
    book = openpyxl.load_workbook(solved_book)
    ws = book["Inputs"]
    header = [c.value for c in next(r for r in ws.iter_rows() if r[0].value == "Input")]
    row = next(r for r in ws.iter_rows() if r[0].value == "lease_rate")
    row[header.index("bear")].value = 1100  # the scenario's own value again: the target no longer holds
    moved = tmp_path / "moved.xlsx"
    book.save(moved)
    recalculated = libreoffice_recalculate(moved, tmp_path / "b")
    assert solved_row(openpyxl.load_workbook(recalculated, data_only=True)["Checks"])[1].value == 0


def test_the_sensitivity_and_data_table_sheets_hold_the_engines_values(tmp_path, capsys, root):
    path = tmp_path / "dc.xlsx"
    table_vary = ["lease_rate=1000 thousand USD/MW/month..1300 thousand USD/MW/month:4",
                  "cost_per_gw=50 billion USD/GW..60 billion USD/GW:3"]
    args = ["export", root / MODEL, "-o", path, "--sensitivity", "project_npv", "--table", "project_npv"]
    for v in table_vary:
        args += ["--table-vary", v]
    assert run_cli(args, capsys)[0] == 0
    model = engine.load(root / MODEL)
    tornado = model.sensitivity("project_npv")
    book = openpyxl.load_workbook(path)
    rows = [r for r in book["Sensitivity"].iter_rows(values_only=True)]
    first = next(i for i, r in enumerate(rows) if r[0] == "Input") + 1
    for swing, row in zip(tornado.swings, rows[first:]):
        assert row[0] == swing.input
        assert row[5] == pytest.approx(swing.output_low / 1e9, rel=1e-12)  # billion USD, as the row says
        assert row[6] == pytest.approx(swing.output_high / 1e9, rel=1e-12)
    assert "Values computed by unitsheet, not live formulas" in rows[1][0]
    assert len(book["Sensitivity"]._charts) == 1
    table = model.table("project_npv", table_vary)
    grid = [r for r in book["Data table"].iter_rows(values_only=True)]
    top = next(i for i, r in enumerate(grid) if r[0] and str(r[0]).endswith("down"))
    assert list(grid[top][1:4]) == pytest.approx([50, 55, 60])
    for k, expected in enumerate(table.values):
        assert list(grid[top + 1 + k][1:4]) == pytest.approx(list(expected / 1e9), rel=1e-12)


@pytest.mark.parametrize("extra, message", [
    (["--solve", "equity_irr = 12 %"], "--solve goes with --solve-for"),
    (["--table", "project_npv"], "--table goes with --table-vary"),
    (["--between", "1 USD/MW/month..2 USD/MW/month"], "--between goes with --solve"),
    (["--sensitivity-inputs", "lease_rate"], "--sensitivity-inputs goes with --sensitivity"),
    (["--solve", "equity_irr = 12 %", "--solve-for", "lease_rate", "--simulate", "100"], "--simulate with --solve"),
    (["--solve", "equity_irr = 12 %", "--solve-for", "lease_rate", "--between", "1 USD/MW/month..2 USD/MW/month"],
     "inside the bracket"),
])
def test_what_export_cannot_do_is_a_usage_error_and_writes_nothing(extra, message, tmp_path, capsys, root):
    path = tmp_path / "dc.xlsx"
    code, out, err = run_cli(["export", root / MODEL, "-o", path, *extra], capsys)
    assert code == 2 and message in err and not path.exists()


def test_the_other_what_if_sheets_of_a_solving_export_hold_the_solved_value(tmp_path, capsys, root):
    """With --solve, the tornado is drawn around the value the workbook holds (it was drawn around
    the unsolved one: NPV 11.07 bn at 'base' beside a workbook whose NPV is 0)."""
    path = tmp_path / "dc.xlsx"
    args = ["export", root / MODEL, "-o", path, "--solve", "project_npv = 0 USD", "--solve-for", "lease_rate",
            "--sensitivity", "project_npv"]
    assert run_cli(args, capsys)[0] == 0
    rows = list(openpyxl.load_workbook(path)["Sensitivity"].iter_rows(values_only=True))
    assert rows[2][0] == "project_npv at every input's base" and abs(rows[2][5]) < 1e-6


def test_the_python_api_refuses_what_the_command_line_refuses(tmp_path):
    from unitsheet.exports.xlsx import WhatIf

    model = engine.loads('model "m"\ntimeline 2025..2027 yearly\ninput v: USD = {2025..2027: 5}\ny = v * 2\n', "m.ush")
    solution = model.solve("y[2026] = 12 USD", "v[2026]")
    with pytest.raises(engine.ModelError, match="one period of a series"):
        model.export(tmp_path / "m.xlsx", whatif=WhatIf(solution=solution))
    assert not (tmp_path / "m.xlsx").exists()
