"""Data statements against real files (issue 30 items 1, 2 and 4): CSV, xlsx written with openpyxl,
Parquet written with pyarrow, SQLite made here; each value checked against the numbers written
into the file (the oracle), and a data input used as a literal one is used downstream."""

import datetime
import json
import math
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from unitsheet import load, loads
from unitsheet.engine import limits
from unitsheet.engine.diagnostics import ModelError

HEAD = "timeline 2026-01..2026-06 monthly\ndimension region = {na, eu}\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def model(folder: Path, body: str, name: str = "m.ush") -> Path:
    return write(folder, name, HEAD + body)


def errors(call) -> list:
    with pytest.raises(ModelError) as info:
        call()
    return info.value.diagnostics


CSV = "period,region,revenue (thousand USD/month),churn\n" \
      "2026-01,na,100,2\n2026-01,eu,80,3\n2026-02,na,110,2.5\n2026-02,eu,85,3\n"


def test_csv_values_units_and_source(tmp_path):
    write(tmp_path, "actuals.csv", CSV)
    path = model(tmp_path, 'data ledger = csv "actuals.csv" by month(period), region\n'
                           "input revenue by region: USD/month = ledger.revenue\n"
                           "input churn by region: % = ledger.churn\n    rollup last\n"
                           "total_feb = revenue[na, 2026-02] + revenue[eu, 2026-02]\n")
    results = load(path).run()
    assert list(results.values["revenue[na]"][:2]) == [100_000, 110_000]  # thousand USD/month in the header
    assert np.isnan(results.values["revenue[na]"][2:]).all()  # no actuals after February: no value
    assert results.value("total_feb") == 195_000
    assert results.values["churn[eu]"][1] == pytest.approx(3)  # a column of percents is percents
    assert results.unit("churn[eu]") == "percent"
    source = results.model.quantities["revenue[na]"].sources[0]
    assert source.file == "actuals.csv" and "ledger.revenue" in source.quote and "2026-01..2026-02" in source.quote


def test_a_column_named_twice_is_refused(tmp_path):
    write(tmp_path, "a.csv", "period,x,x (USD/month)\n2026-01,1,2\n")
    path = write(tmp_path, "m.ush", 'timeline 2026-01..2026-03 monthly\ndata d = csv "a.csv" by month(period)\n'
                                    "input x: USD/month = d.x\n")
    assert "two columns named `x`" in errors(lambda: load(path).checked())[0].message


def test_changed_csv_is_read_again_though_the_parse_is_cached(tmp_path):
    write(tmp_path, "a.csv", "period,x\n2026-01,1\n")
    path = write(tmp_path, "m.ush", 'timeline 2026-01..2026-03 monthly\ndata d = csv "a.csv" by month(period)\n'
                                    "input x: USD/month = d.x\n")
    assert load(path).run().values["x"][0] == 1
    from unitsheet.engine import cache

    assert cache.load(path.read_text(), str(path)) is not None  # the tree is cached (conftest's folder)
    write(tmp_path, "a.csv", "period,x\n2026-01,7\n")
    assert load(path).run().values["x"][0] == 7  # the syntax tree came from the cache, the data did not


def test_scenario_and_set_override_a_data_input(tmp_path, capsys):
    write(tmp_path, "actuals.csv", CSV)
    path = model(tmp_path, 'data ledger = csv "actuals.csv" by month(period), region\n'
                           "input revenue by region: USD/month = ledger.revenue\n"
                           "scenario flat { revenue = {na: {2026-01..2026-02: 1}, eu: {2026-01..2026-02: 2}} }\n")
    m = load(path)
    assert list(m.run("flat").values["revenue[eu]"][:2]) == [2, 2]
    assert m.run(overrides={"revenue[na, 2026-01]": "5 USD/month"}).values["revenue[na]"][0] == 5
    code, out, _ = run_cli(["run", path, "--set", "revenue[eu, 2026-02]=9 USD/month", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["quantities"]["revenue"]["values"][1][1] == 9


def test_a_coarse_key_follows_the_literal_rule(tmp_path):
    write(tmp_path, "y.csv", "year,capex,price\n2026,1200,12\n")
    body = ('data plan = csv "y.csv" by year\n'
            "input capex: USD = plan.capex spread even\n    rollup sum\n"
            "input price: USD/month = plan.price\n")  # a rate repeats in each month
    results = loads("timeline 2026-01..2026-12 monthly\n" + body, str(tmp_path / "m.ush")).run()
    assert list(results.values["capex"]) == [100] * 12
    assert list(results.values["price"]) == [12] * 12
    found = errors(lambda: loads("timeline 2026-01..2026-12 monthly\n" + body.replace(" spread even", ""),
                                 str(tmp_path / "m.ush")).checked())
    assert found[0].kind == "bad-data" and "say where each amount falls" in found[0].message


def test_excel_sheet_range_dates_and_percent_cells(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Actuals")
    sheet.append(["ignored above the range"])
    sheet.append(["month", "region", "revenue", "margin"])
    for month, region, revenue, margin in [(1, "na", 100, 0.25), (1, "eu", 80, 0.125), (2, "na", 110, 0.5),
                                           (2, "eu", 90, 0.75)]:
        sheet.append([datetime.datetime(2026, month, 28), region, revenue, margin])
        sheet.cell(sheet.max_row, 4).number_format = "0.0%"
    book.save(tmp_path / "a.xlsx")
    path = model(tmp_path, 'data book = excel "a.xlsx" sheet "Actuals" range "A2:D6" by month, region\n'
                           "input revenue by region: USD/month = book.revenue\n"
                           "input margin by region: % = book.margin\n    rollup last\n")
    results = load(path).run()
    assert list(results.values["revenue[eu]"][:2]) == [80, 90]
    assert list(results.values["margin[eu]"][:2]) == [12.5, 75]  # 12.5 % shown is 12.5 %, not 0.125 %
    found = errors(lambda: model(tmp_path, 'data book = excel "a.xlsx" by month, region\n'
                                 "input revenue by region: USD/month = book.revenue\n", "n.ush") and
                   load(tmp_path / "n.ush").checked())
    assert "2 sheets: which one?" in found[0].message


def test_parquet_with_dates_and_items(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"day": [datetime.date(2026, 1, 31), datetime.date(2026, 1, 31), datetime.date(2026, 2, 28),
                              datetime.date(2026, 2, 28)],
                      "region": ["na", "eu", "na", "eu"], "revenue": [1.5, 2.5, 3.5, 4.5]})
    pq.write_table(table, tmp_path / "a.parquet")
    path = model(tmp_path, 'data p = parquet "a.parquet" by month(day), region\n'
                           "input revenue by region: USD/month = p.revenue\n")
    results = load(path).run()
    assert list(results.values["revenue[na]"][:2]) == [1.5, 3.5]
    assert list(results.values["revenue[eu]"][:2]) == [2.5, 4.5]


def _sqlite(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE ledger (period TEXT, region TEXT, revenue REAL)")
        db.executemany("INSERT INTO ledger VALUES (?, ?, ?)",
                       [("2026-01", "na", 10), ("2026-01", "eu", 20), ("2026-02", "na", 30), ("2026-02", "eu", 40)])
    return f"sqlite:///{path}"


SQL_MODEL = ('data ledger = sql "SELECT period, region, revenue FROM ledger WHERE region IN (\'na\', \'eu\')" '
             "by month(period), region\ninput revenue by region: USD/month = ledger.revenue\n")


def test_sqlite_through_the_api_the_environment_and_every_command(tmp_path, capsys, monkeypatch):
    url = _sqlite(tmp_path / "ledger.db")
    path = model(tmp_path, SQL_MODEL + "check \"positive\": revenue[na, 2026-01] > 0 USD/month\n"
                           "jan = revenue[na, 2026-01] + revenue[eu, 2026-01]\n")
    assert list(load(path, data={"ledger": url}).run().values["revenue[eu]"][:2]) == [20, 40]
    table = model(tmp_path, 'data t = sql table "ledger" by month(period), region\n'
                            "input revenue by region: USD/month = t.revenue\n", "t.ush")
    monkeypatch.setenv("UNITSHEET_DATA_T", url)
    assert list(load(table).run().values["revenue[na]"][:2]) == [10, 30]
    source = load(table).run().model.quantities["revenue[na]"].sources[0]
    assert "sqlite database ledger.db" in source.file and "SELECT * FROM ledger" in source.quote
    for command in (["run"], ["check"], ["explain", path, "revenue"], ["simulate", "-n", "5"],
                    ["export", "-o", tmp_path / "m.xlsx"], ["sensitivity", path, "jan", "--inputs", "revenue[na]"]):
        args = [command[0], path, *command[1:]] if len(command) == 1 or command[1] != path else command
        code, out, err = run_cli([*args, "--data", f"ledger={url}"], capsys)
        assert code == 0, (args, err)
    code, _, err = run_cli(["run", path], capsys)
    assert code == 2 and "no address is bound" in err


def test_the_workbook_cites_the_query(tmp_path, capsys):
    import openpyxl

    url = _sqlite(tmp_path / "ledger.db")
    path = model(tmp_path, SQL_MODEL)
    assert run_cli(["export", path, "-o", tmp_path / "m.xlsx", "--data", f"ledger={url}"], capsys)[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "m.xlsx")["Inputs"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "SELECT period" in c.value]
    assert cells and cells[0].comment is not None and "ledger.revenue" in cells[0].comment.text
    assert "ledger.db" in cells[0].value and str(tmp_path) not in cells[0].value  # the database, not the address


def test_a_query_cannot_write(tmp_path):
    url = _sqlite(tmp_path / "ledger.db")
    path = model(tmp_path, 'data ledger = sql "DELETE FROM ledger RETURNING period, region, revenue" '
                           "by month(period), region\ninput revenue by region: USD/month = ledger.revenue\n")
    found = errors(lambda: load(path, data={"ledger": url}).checked())
    assert "failed" in found[0].message
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        assert db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 4


def test_a_binding_for_a_file_or_an_unknown_table_is_refused(tmp_path):
    write(tmp_path, "actuals.csv", CSV)
    path = model(tmp_path, 'data ledger = csv "actuals.csv" by month(period), region\n'
                           "input revenue by region: USD/month = ledger.revenue\n")
    assert "binds a database" in errors(lambda: load(path, data={"ledger": "sqlite://"}).checked())[0].message
    assert "no data table `ledgr`" in errors(lambda: load(path, data={"ledgr": "sqlite://"}).checked())[0].message
    plain = write(tmp_path, "plain.ush", "timeline 2026..2027 yearly\ninput a = 1\n")
    assert "declares no data table" in errors(lambda: load(plain, data={"ledger": "sqlite://"}).checked())[0].hint


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    (tmp_path / "a.parquet").write_bytes(b"PAR1")
    path = model(tmp_path, 'data p = parquet "a.parquet" by month\ninput x: USD/month = p.x\n')
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    found = errors(lambda: load(path).checked())
    assert found[0].message == "reading Parquet needs pyarrow" and "unitsheet[parquet]" in found[0].hint


def test_paths_stay_in_the_model_folder_unless_allowed(tmp_path):
    inside, outside = tmp_path / "model", tmp_path / "elsewhere"
    inside.mkdir(), outside.mkdir()
    write(outside, "a.csv", "period,x\n2026-01,4\n")
    (inside / "link.csv").symlink_to(outside / "a.csv")
    for target in ("../elsewhere/a.csv", str(outside / "a.csv"), "link.csv"):
        path = write(inside, "m.ush", f'timeline 2026-01..2026-03 monthly\ndata d = csv "{target}" by month(period)\n'
                                      "input x: USD/month = d.x\n")
        assert "model reads the files in its own folder only" in errors(lambda: load(path).checked())[0].message
        assert load(path, data_dirs=[outside]).run().values["x"][0] == 4
    os.mkfifo(inside / "fifo.csv")
    path = write(inside, "m.ush", 'timeline 2026-01..2026-03 monthly\ndata d = csv "fifo.csv" by month(period)\n'
                                  "input x: USD/month = d.x\n")
    assert "not a regular file" in errors(lambda: load(path).checked())[0].message


def test_size_and_row_limits(tmp_path, monkeypatch):
    write(tmp_path, "a.csv", "period,x\n2026-01,1\n2026-02,2\n2026-03,3\n")
    path = write(tmp_path, "m.ush", 'timeline 2026-01..2026-03 monthly\ndata d = csv "a.csv" by month(period)\n'
                                    "input x: USD/month = d.x\n")
    monkeypatch.setattr(limits, "DATA_ROWS", limits.Limit(2, "rows", "test"))
    assert "more than 2 rows" in errors(lambda: load(path).checked())[0].message
    monkeypatch.setattr(limits, "DATA_BYTES", limits.Limit(10, "bytes", "test"))
    assert "more than the 10 a data file may have" in errors(lambda: load(path).checked())[0].message


def test_fmt_keeps_data_statements(tmp_path, capsys):
    text = (HEAD + 'data ledger = excel "a.xlsx" sheet "S" range "A1:C9" by month(period), region\n'
            'data t = sql table "public.ledger" by month\n'
            "input capex: USD = t.capex spread even\n    rollup sum\n")
    path = write(tmp_path, "m.ush", text)
    code, out, _ = run_cli(["fmt", path], capsys)
    assert code == 0 and out == text


@settings(max_examples=25)
@given(st.lists(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=2), min_size=1, max_size=6))
def test_any_table_of_numbers_reads_back_exactly(rows):
    """The CSV's numbers (written with repr, read as the engine reads them) are the values."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        lines = ["period,region,v"] + [f"2026-{k + 1:02d},{region},{value!r}"
                                       for k, pair in enumerate(rows) for region, value in zip(("na", "eu"), pair)]
        write(Path(folder), "a.csv", "\n".join(lines) + "\n")
        path = model(Path(folder), 'data d = csv "a.csv" by month(period), region\n'
                                   "input v by region: USD/month = d.v\n")
        values = load(path).run().values
        for k, (na, eu) in enumerate(rows):
            assert values["v[na]"][k] == na and values["v[eu]"][k] == eu
        assert all(math.isnan(x) for x in values["v[na]"][len(rows):])


def test_errors_name_the_row_in_json_and_the_editor_shows_them(tmp_path, capsys):
    """A bad row is an error located at the data statement, in JSON too; the editor's diagnostics
    go through the same loading path (engine/editor.py builds a Model)."""
    from unitsheet.engine.editor import Document

    write(tmp_path, "a.csv", "period,region,revenue\n2026-01,na,100\n2026-01,eu,n/a\n")
    path = model(tmp_path, 'data ledger = csv "a.csv" by month(period), region\n'
                           "input revenue by region: USD/month = ledger.revenue\n")
    code, _, err = run_cli(["check", path, "--format", "json"], capsys)
    first = json.loads(err)["errors"][0]
    assert code == 2 and first["kind"] == "bad-data" and first["line"] == 3
    assert first["message"] == "`a.csv` row 3: `n/a` is text in a number column" and first["hint"]
    found = Document(path.read_text(), str(path)).diagnostics
    assert [d.message for d in found] == [first["message"]]


def test_quarters_fiscal_years_and_a_key_finer_than_the_timeline(tmp_path):
    write(tmp_path, "q.csv", "q,v\n2026Q1,1\n2026Q2,2\n")
    path = write(tmp_path, "q.ush", 'timeline 2026Q1..2026Q4 quarterly\ndata d = csv "q.csv" by quarter(q)\n'
                                    "input v: USD/quarter = d.v\n")
    assert list(load(path).run().values["v"][:2]) == [1, 2]
    write(tmp_path, "fy.csv", "fy,v\nFY2026,10\nFY2027,20\n")  # fiscal years ending June, on months
    path = write(tmp_path, "fy.ush", "timeline 2025-07..2027-06 monthly ending June\n"
                                     'data d = csv "fy.csv" by year(fy)\ninput v: USD/month = d.v\n')
    values = load(path).run().values["v"]
    assert list(values[:12]) == [10] * 12 and list(values[12:]) == [20] * 12  # a rate repeats in its months
    write(tmp_path, "cal.csv", "fy,v\n2026,10\n")
    path = write(tmp_path, "cal.ush", "timeline 2025-07..2027-06 monthly ending June\n"
                                      'data d = csv "cal.csv" by year(fy)\ninput v: USD/month = d.v\n')
    assert "ambiguous" in errors(lambda: load(path).checked())[0].message  # the fiscal or the calendar 2026?
    write(tmp_path, "m.csv", "m,v\n2026-01,1\n")
    path = write(tmp_path, "m.ush", 'timeline 2026Q1..2026Q4 quarterly\ndata d = csv "m.csv" by month(m)\n'
                                    "input v: USD/quarter = d.v\n")
    assert "a month is finer than this quarterly timeline" in errors(lambda: load(path).checked())[0].message


def test_a_blank_key_cell_in_a_sheet_names_its_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["month", "v"])
    book.active.append(["2026-01", 1])
    book.active.append([None, 2])  # the first cell of the row is empty
    book.save(tmp_path / "a.xlsx")
    path = write(tmp_path, "m.ush", 'timeline 2026-01..2026-03 monthly\ndata d = excel "a.xlsx" by month\n'
                                    "input v: USD/month = d.v\n")
    found = errors(lambda: load(path).checked())
    assert found[0].message == "sheet `Sheet` of `a.xlsx` row 3: column `month` is blank"
