"""Workbooks that Excel would refuse or LibreOffice would compute differently (issue 12, 5-9):
laid out or rewritten to fit, or refused with the quantity and its line. The last test reads
back every workbook the test suite wrote and checks the documented limits on all of them."""

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from unitsheet import engine
from unitsheet.engine.diagnostics import ModelError
from unitsheet.exports import limits
from unitsheet.exports.xlsx import export_workbook
from test_export import _need_libreoffice, engine_cells
from workbook import close, libreoffice_recalculate, name_cells

HEADER = 'model "limits"\ntimeline 2025..2027 yearly\n'


def _write(tmp_path, text: str, name: str = "m") -> Path:
    path = tmp_path / f"{name}.ush"
    path.write_text(HEADER + text)
    return path


def _libreoffice_equals_engine(model_path: Path, scenario: str, tmp_path: Path):
    book = tmp_path / f"{model_path.stem}-{scenario}.xlsx"
    export_workbook(engine.load(model_path), book, scenario=scenario)
    out = libreoffice_recalculate(book, tmp_path / scenario)
    wb = openpyxl.load_workbook(out, data_only=True)
    for sheet, cell, value in engine_cells(model_path, scenario, wb):
        assert close(wb[sheet][cell].value, value, rel=1e-12), (scenario, sheet, cell, wb[sheet][cell].value, value)


SCENARIOS = 300


def _many_scenarios_model() -> str:
    text = "input price = 10 USD\ninput volume: USD = {2025..2027: 5}\nrevenue = price * 3 + volume\n"
    text += "margin = revenue * 0.5\n"
    for k in range(1, SCENARIOS + 1):
        formula = f"    margin = revenue * {0.1 + (k % 3) / 10}\n" if k % 2 else ""
        text += f"scenario s{k} {{\n    price = {10 + k} USD\n    volume = {{2025..2027: {k} USD}}\n{formula}}}\n"
    return text


def test_three_hundred_scenarios_select_the_right_values_in_libreoffice(tmp_path):
    """CHOOSE(scenario_index, 301 values) is #VALUE! in LibreOffice (and past Excel's 254): inputs
    are picked with INDEX/MATCH, formulas with CHOOSE over their distinct variants."""
    _need_libreoffice()
    path = _write(tmp_path, _many_scenarios_model())
    for scenario in ("s1", "s150", "s299", "s300"):
        _libreoffice_equals_engine(path, scenario, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "m-s300.xlsx")
    calc_row = int(name_cells(wb, "margin")[0][1][1:])
    formula = wb["Calculations"][f"E{calc_row}"].value
    assert formula.startswith("=CHOOSE(INDEX(Scenarios!") and formula.count(",") <= 6, formula


def test_an_input_changed_by_thirty_one_scenarios_recalculates_in_libreoffice(tmp_path):
    _need_libreoffice()
    text = "input x = 1 USD\ny = x * 2\n" + "".join(f"scenario s{k} {{ x = {k + 1} USD }}\n" for k in range(31))
    path = _write(tmp_path, text)
    for scenario in ("s0", "s30"):
        _libreoffice_equals_engine(path, scenario, tmp_path)


def test_max_of_three_hundred_arguments_is_split_for_libreoffice(tmp_path):
    _need_libreoffice()
    names = [f"v{i}" for i in range(300)]
    text = "".join(f"input {n} = {i} USD\n" for i, n in enumerate(names)) + f"top = max({', '.join(names)})\n"
    text += f"low = min({', '.join(reversed(names))})\n"
    path = _write(tmp_path, text)
    _libreoffice_equals_engine(path, "base", tmp_path)


@pytest.mark.parametrize("text, needle", [
    ("input x = 2\ny = choose(x, " + ", ".join(f"{i} USD" for i in range(31)) + ")\n", "choose() among 31"),
    ("input x = 2\ny = " + "abs(" * 70 + "x" + ")" * 70 + "\n", "nested 70 deep"),
    ("input x = 2\ny = " + " + ".join(["x * 1.5"] * 300) + "\nscenario a { y = " + " + ".join(["x * 2.5"] * 300)
     + " }\nscenario b { y = " + " + ".join(["x * 3.5"] * 300) + " }\n", "characters long"),
])
def test_formulas_a_spreadsheet_would_refuse_are_errors_at_their_line(text, needle, tmp_path):
    path = _write(tmp_path, text)
    with pytest.raises(ModelError) as info:
        export_workbook(engine.load(path), tmp_path / "m.xlsx")
    d = info.value.diagnostics[0]
    assert d.kind == "export-unsupported" and needle in d.message and "`y`" in d.message
    assert d.span is not None and d.span.line == 4
    assert not (tmp_path / "m.xlsx").exists()


def test_a_long_unit_name_keeps_number_formats_within_255_characters(tmp_path):
    unit = "widget" + "x" * 250
    path = _write(tmp_path, f"unit {unit}\ninput stock = 5 {unit}\nmore = stock * 2\n")
    export_workbook(engine.load(path), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert len(cell.number_format) <= limits.MAX_NUMBER_FORMAT


def test_layouts_past_the_sheet_size_are_refused(tmp_path, monkeypatch):
    path = _write(tmp_path, "input x = 1\n" + "".join(f"scenario s{k} {{ x = {k} }}\n" for k in range(40)))
    monkeypatch.setattr(limits, "MAX_COLUMNS", 40)  # 16,400 scenarios would take minutes to check
    with pytest.raises(ModelError, match="scenarios .a column each. do not fit"):
        export_workbook(engine.load(path), tmp_path / "m.xlsx")
    monkeypatch.setattr(limits, "MAX_COLUMNS", 16_384)
    monkeypatch.setattr(limits, "MAX_ROWS", 10)
    with pytest.raises(ModelError, match="rows"):
        export_workbook(engine.load(_write(tmp_path, "".join(f"x{i} = {i}\n" for i in range(20)), "rows")),
                        tmp_path / "rows.xlsx")


def test_the_limits_checker_sees_each_kind_of_problem():
    assert limits.formula_problems("=" + "A" * 8193)
    assert limits.formula_problems("=CHOOSE(1," + ",".join(["1"] * 31) + ")")
    assert not limits.formula_problems("=CHOOSE(1," + ",".join(["1"] * 30) + ")")
    assert limits.formula_problems("=MAX(" + ",".join(["A1"] * 256) + ")")
    assert not limits.formula_problems("=MAX(" + ",".join(["A1"] * 255) + ")")
    assert limits.formula_problems("=" + "ABS(" * 65 + "1" + ")" * 65)
    assert not limits.formula_problems("=" + "ABS(" * 64 + "1" + ")" * 64)
    assert not limits.formula_problems("='Sheet (1)'!A1+(((1)))")
    assert limits.nested_in_groups("MAX", ["1"] * 600).count("MAX(") == 4


# ------------------------------------------------------------------ every workbook the suite wrote

_CELL = re.compile(r'<c r="([A-Z]+)([0-9]+)"')
_FORMULA = re.compile(r"<f>([^<]*)</f>")
_FORMAT = re.compile(r'formatCode="([^"]*)"')
_NAME = re.compile(r'<definedName name="([^"]+)"')
_SHEET = re.compile(r'<sheet name="([^"]+)"')


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def workbook_problems(path: Path) -> list[str]:
    """Excel's documented limits, read from the file itself."""
    import html

    problems = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for name in names:
            if not (name.startswith("xl/worksheets/sheet") and name.endswith(".xml")):
                continue
            xml = z.read(name).decode("utf-8")
            for letters, row in _CELL.findall(xml):
                if _column_number(letters) > limits.MAX_COLUMNS or int(row) > limits.MAX_ROWS:
                    problems.append(f"{name}: cell {letters}{row} is outside the sheet")
            for formula in _FORMULA.findall(xml):
                for problem in limits.formula_problems(html.unescape(formula)):
                    problems.append(f"{name}: {problem}: {formula[:80]}")
        styles = z.read("xl/styles.xml").decode("utf-8")
        problems += [f"number format of {len(f)} characters" for f in _FORMAT.findall(styles)
                     if len(html.unescape(f)) > limits.MAX_NUMBER_FORMAT]
        book = z.read("xl/workbook.xml").decode("utf-8")
        defined = [html.unescape(n) for n in _NAME.findall(book)]
        folded = [n.lower() for n in defined if not n.startswith("_xlnm.")]
        if len(set(folded)) != len(folded):
            problems.append("two defined names differ only in case")
        from unitsheet.exports.xlsx import looks_like_cell

        problems += [f"defined name {n!r}" for n in defined
                     if len(n) > limits.MAX_NAME or looks_like_cell(n) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", n)]
        problems += [f"sheet name {s!r}" for s in _SHEET.findall(book)
                     if len(s) > limits.MAX_SHEET_NAME or re.search(r"[\[\]:*?/\\]", s)]
    return problems


def written_by_us(path: Path) -> bool:
    """XlsxWriter's files (the exporter's), not LibreOffice's recalculated copies."""
    try:
        with zipfile.ZipFile(path) as z:
            return b"LibreOffice" not in z.read("docProps/app.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


@pytest.mark.last
def test_every_workbook_the_suite_wrote_keeps_the_spreadsheet_limits(tmp_path_factory, request):
    books = [p for p in Path(tmp_path_factory.getbasetemp()).rglob("*.xlsx") if written_by_us(p)]
    if len(request.session.items) < 50:
        pytest.skip("run with the whole suite: it audits the workbooks the other tests wrote")
    assert len(books) >= 20, f"only {len(books)} workbooks found"
    problems = {str(p): found for p in books if (found := workbook_problems(p))}
    assert not problems, problems
