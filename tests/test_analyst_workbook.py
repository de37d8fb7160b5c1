"""The workbook an analyst edits (issue 13): every number is the quantity in the unit its row
states, so typing a value there means what it says (checked against `run --set` through
LibreOffice); nothing renders as ###; formulas read like a person wrote them; the sheets print;
failing checks stand out; the model's sections and notes survive."""

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from unitsheet import engine
from conftest import ROOT
from unitsheet.engine import report
from unitsheet.exports.xlsx import excel_name, export_workbook
from test_export import _need_libreoffice, engine_cells
from workbook import close, libreoffice_recalculate, name_cells

OPENAI = ROOT / "models" / "openai_capex.ush"

PERCENT_MODEL = '''model "Percent-heavy"
timeline 2025..2028 yearly

# ---- Financing ----
input debt = 800 million USD
input interest_rate = 7 %
    note "all-in rate on the facility"
input tax_rate = 21 %
input margin: % = 35
input growth: % = {2025: 5, 2026..2028: 8}
input share = 0.4

# ---- Results ----
revenue[2025] = 1 billion USD/year
revenue[2026..] = revenue[t-1] * (1 + growth[t])
profit = revenue * margin
interest = debt * interest_rate / 1 year
tax = (profit - interest) * tax_rate
coverage = (profit - interest) / interest
    display %
shared = profit * share
check "coverage stays above 150 %" for t in 2025..2028: coverage[t] > 150 %
'''


def _typed(value: float, style) -> float:
    """A new value for an input, as an analyst types it into a row in `style.unit`: 10 % more
    (rounded as the row shows it); whole numbers (switches, years) as they are."""
    if float(value).is_integer() and style.unit in ("number", ""):
        return value
    shown = value * 1.1
    return float(f"{shown:.6g}")


def _set_text(typed_cell_value: float, style) -> str:
    """What `--set` is given for the same value: the number as shown, with the row's unit."""
    if style.percent:  # % or %/year: the cell holds the fraction
        return f"{typed_cell_value * 100!r} {style.unit}"
    return f"{typed_cell_value!r} {style.unit}" if style.unit not in ("number", "") else repr(typed_cell_value)


def _type_every_input(model, book_path: Path, out_path: Path) -> dict[str, str]:
    """Write a new value into every numeric input cell of the base scenario, as a user would;
    returns the matching --set overrides."""
    from unitsheet.exports.layout import FIRST_PERIOD_COL, row_style

    checked = model.checked()
    base = model.run()
    wb = openpyxl.load_workbook(book_path)
    ws = wb["Inputs"]
    overrides = {}
    for name, q in checked.quantities.items():
        if q.kind != "input" or q.unit is None:
            continue
        style = row_style(q, base.values[name], checked.units)
        place = name_cells(wb, excel_name(name))
        if not q.series:
            row = int(place[0][1][1:])
            cell = ws.cell(row, FIRST_PERIOD_COL + 1)  # the base scenario's column (E)
            new = _typed(cell.value, style)
            cell.value = new
            overrides[name] = _set_text(new, style)
        else:
            live_row = int(place[0][1][1:])
            base_row = live_row + 1  # the first row under the live one is the base scenario's
            for i, period in enumerate(checked.timeline.periods):
                cell = ws.cell(base_row, FIRST_PERIOD_COL + 1 + i)
                if cell.value is None:
                    continue
                new = _typed(cell.value, style)
                cell.value = new
                overrides[f"{name}[{period}]"] = _set_text(new, style)
    wb.save(out_path)
    return overrides


@pytest.mark.parametrize("source", ["openai", "percent"])
def test_typing_a_value_in_its_displayed_unit_gives_the_engines_result(source, tmp_path):
    """The percent trap: a user who types 8% into a percent cell, or 55 into a 'billion USD/GW'
    cell, gets what `unitsheet run --set` computes for that value."""
    _need_libreoffice()
    model = engine.load(OPENAI) if source == "openai" else engine.loads(PERCENT_MODEL, "percent.ush")
    book = tmp_path / "book.xlsx"
    export_workbook(model, book)
    typed = tmp_path / "typed.xlsx"
    overrides = _type_every_input(model, book, typed)
    assert overrides, "inputs were typed"
    recalculated = openpyxl.load_workbook(libreoffice_recalculate(typed, tmp_path), data_only=True)
    expected = model.run(overrides=overrides)
    compared = 0
    for sheet, cell, value in engine_cells(_Wrapped(model, expected), "typed", recalculated):
        got = recalculated[sheet][cell].value
        assert close(got, value, rel=1e-9), (sheet, cell, got, value)
        compared += 1
    assert compared > 20


class _Wrapped:
    """A model whose run("typed") is the run with the typed overrides (display units from base)."""

    def __init__(self, model, typed_results):
        self.model, self.typed = model, typed_results

    def run(self, scenario="base"):
        return self.typed if scenario == "typed" else self.model.run(scenario)


def _pdf_text(book: Path, tmp_path: Path) -> str:
    import os
    import shutil

    from unitsheet.exports.recalc import soffice

    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (make libreoffice installs poppler-utils)")
        pytest.skip("pdftotext is not installed here; `make libreoffice` installs it")

    out = tmp_path / "pdf"
    out.mkdir(exist_ok=True)
    profile = tmp_path / "lo-profile-pdf"
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile.resolve()}",
                    "--convert-to", "pdf", "--outdir", str(out), str(book)], check=True, capture_output=True,
                   timeout=300)
    pdf = out / (book.stem + ".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.parametrize("source", ["openai", "percent", "saas_monthly", "project_quarterly"])
def test_no_cell_renders_as_hashes_in_libreoffices_pdf(source, tmp_path):
    _need_libreoffice()
    if source == "percent":
        model = engine.loads(PERCENT_MODEL, "percent.ush")
    else:
        model = engine.load(OPENAI if source == "openai" else OPENAI.parent / f"{source}.ush")
    book = tmp_path / f"{source}.xlsx"
    export_workbook(model, book)
    text = _pdf_text(book, tmp_path)
    assert "Calculations" in text and "cash" in text.lower() or source == "percent"
    assert "###" not in text


def _formulas(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]


def test_formulas_read_like_a_person_wrote_them(tmp_path):
    book = tmp_path / "oa.xlsx"
    export_workbook(engine.load(OPENAI), book)
    calc = _formulas(book, "Calculations")
    assert calc
    for f in calc:
        assert "Calculations!" not in f, f
        assert not re.search(r"[*/]1(?![0-9.])", f), f
        assert not re.search(r"\*0(?![0-9.])|\b0\*", f), f
        for args in re.findall(r"CHOOSE\(scenario_index,(.*)\)$", f):
            branches = args.split(",")
            assert len(set(branches)) > 1, f
    longest = max(calc, key=len)
    assert len(longest) <= 160, longest  # today: commitments_nested, 147 characters
    # the percent trap: no 0.01 factor anywhere, the unit factors that remain are labelled
    constants = openpyxl.load_workbook(book)["Constants"]
    values = [r[2] for r in constants.iter_rows(min_row=4, values_only=True)]
    assert 0.01 not in values
    labels = [r[1] for r in constants.iter_rows(min_row=4, values_only=True)]
    assert all(label.startswith(("unit factor: ", "number in the model: ")) for label in labels)
    assert all(r[3] for r in constants.iter_rows(min_row=4, values_only=True)), "where each is used"


def test_percent_inputs_are_stored_as_excel_stores_them(tmp_path):
    book = tmp_path / "p.xlsx"
    export_workbook(engine.loads(PERCENT_MODEL, "percent.ush"), book)
    wb = openpyxl.load_workbook(book)
    sheet, cell = name_cells(wb, "interest_rate")[0]
    row = int(cell[1:])
    assert wb["Inputs"][f"E{row}"].value == pytest.approx(0.07) and "%" in wb["Inputs"][f"E{row}"].number_format
    sheet, cell = name_cells(wb, "interest")[0]
    assert "Constants" not in wb[sheet][cell].value, wb[sheet][cell].value  # = debt * rate, no 0.01


DISPLAY_MODEL = '''model "SaaS"
timeline 2025..2027 yearly
input burn: USD/year = {2025..2027: 12 million}
    display USD/month
input cash = 20 million USD
runway = cash / burn
    display month
input revenue: USD/year = {2025: 8 million, 2026: 10 million, 2027: 12 million}
gross_margin = (revenue - burn * 0.3) / revenue
    display %
monthly_revenue = revenue
    display thousand USD/month
'''


def _cli_table(model) -> dict[str, tuple[str, list[str]]]:
    """{quantity: (unit, cells as printed)} from `unitsheet run`'s table."""
    results = model.run()
    text = report.table(results)
    rows = {}
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("---"):
            widths = [len(part) for part in line.split("  ")]
            for row in lines[k + 1:]:
                if not row.strip():
                    break
                cells, pos = [], 0
                for w in widths:
                    cells.append(row[pos:pos + w].strip())
                    pos += w + 2
                rows[cells[0]] = (cells[1], cells[2:])
    return rows


@pytest.mark.parametrize("source", ["openai", "display"])
def test_the_workbook_shows_the_numbers_the_command_line_prints(source, tmp_path):
    model = engine.load(OPENAI) if source == "openai" else engine.loads(DISPLAY_MODEL, "saas.ush")
    book = tmp_path / "book.xlsx"
    export_workbook(model, book)
    wb = openpyxl.load_workbook(book, data_only=True)
    compared = 0
    table = _cli_table(model)
    if source == "display":
        assert table["burn"][0] == "million USD/month" and table["runway"] == ("month", ["20.00"] * 3)
        assert table["gross_margin"][0] == "%" and table["monthly_revenue"][0] == "thousand USD/month"
    for name, (unit, printed) in table.items():
        cells = name_cells(wb, excel_name(name))
        sheet = cells[0][0]
        row = int(re.sub(r"[A-Z]+", "", cells[0][1]))
        shown_unit = wb[sheet][f"B{row}"].value
        assert shown_unit == (unit or "number") or (unit == "" and shown_unit in ("number", "true/false")), name
        for (sheet, cell), text in zip(cells, printed):
            value = wb[sheet][cell].value
            if text in ("", "yes", "no"):
                continue
            value = value + 0.0
            if "%" in wb[sheet][cell].number_format:
                value *= 100
            decimals = len(text.split(".")[1]) if "." in text else 0
            assert f"{value:,.{decimals}f}" == text or (text.replace(",", "") == f"{value:.0f}"), (name, cell, value, text)
            compared += 1
    assert compared > (150 if source == "openai" else 10)


def test_print_setup_checks_sections_notes_and_charts_are_in_the_file(tmp_path):
    book = tmp_path / "oa.xlsx"
    export_workbook(engine.load(OPENAI), book)
    wb = openpyxl.load_workbook(book)
    for name in ("Inputs", "Calculations", "Checks", "Constants"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        setup = ws.page_setup  # one page wide (1 is the file format's default, so not written), any height
        if name == "Constants":
            assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
        else:  # a year of months per page across, readable (tests/test_print_and_charts.py)
            assert ws.col_breaks.count and setup.scale >= 64
        assert "OpenAI capex and financing" in ws.oddHeader.left.text and "&P" in ws.oddFooter.right.text
    calc = wb["Calculations"]
    assert calc.print_title_rows == "$4:$4" and calc.print_title_cols == "$A:$B"
    # failing checks stand out
    rules = [r for rng in wb["Checks"].conditional_formatting for r in rng.rules]
    assert {r.formula[0] for r in rules} == {"AND(ISLOGICAL(B5),NOT(B5))", "AND(ISLOGICAL(B5),B5)"}
    assert [r for rng in wb["Cover"].conditional_formatting for r in rng.rules]
    assert wb["Cover"]["A7"].value == "Checks that fail" and wb["Cover"]["B7"].value.startswith("=COUNTIF(")
    # the model's sections, in order, and notes as comments
    titles = [c.value for c in calc["A"] if c.font and c.font.b and c.value and c.fill.fgColor.rgb == "FFF2F2F2"]
    assert titles[:3] == ["Revenue", "Cash burn and cash",
                          "The February 2026 round: who pays, what is conditional, what flows back"]
    revenue_row = int(name_cells(wb, "revenue")[0][1][1:])
    assert calc[f"A{revenue_row - 1}"].value == "Revenue"
    assert calc[f"A{revenue_row}"].comment is not None and "calendar revenue" in calc[f"A{revenue_row}"].comment.text
    # charts in display units
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert any("billion USD" in c for c in charts)
    assert not any(re.search(r"<c:v>-?[0-9]{7,}", c) for c in charts), "axis numbers are in display units"


def test_charts_draw_the_series_the_model_names(tmp_path, capsys):
    from conftest import run_cli

    book = tmp_path / "oa.xlsx"
    export_workbook(engine.load(OPENAI), book)
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if re.match(r"xl/charts/chart\d+\.xml", n)]
    titles = [re.search(r"<a:t>([^<]*)</a:t>", c).group(1) for c in charts]
    assert titles == ["Cash balance after the February 2026 round", "Revenue against cash burn",
                      "Revenue run-rate, 2025", "Money received from the round",
                      "Compute commitments per year (reading A04)"]
    assert "implied_cash_costs" not in "".join(charts), "helper rows are not drawn"
    code, out, _ = run_cli(["plot", OPENAI, "--chart", "Revenue against cash burn", "-o", tmp_path / "c.png"], capsys)
    assert code == 0 and (tmp_path / "c.png").exists()


@pytest.mark.parametrize("line, needle", [
    ('chart "x": nope', "unknown name `nope`"),
    ('chart "x": price', "a single value"),
    ('chart "x": flag', "true/false"),
    ('chart "x": cash, cap, rate', "mixes 3 kinds of unit"),
])
def test_bad_charts_are_located_errors(line, needle):
    text = ('model "m"\ntimeline 2025..2027 yearly\ninput price = 2 USD\ninput cash: USD = {2025..2027: 1}\n'
            'input cap: GW = {2025..2027: 1}\ninput rate: % = {2025..2027: 1}\nflag = cash > 0 USD\n' + line + "\n")
    with pytest.raises(engine.ModelError) as info:
        engine.loads(text, "m.ush").run()
    d = info.value.diagnostics[0]
    assert needle in d.message and d.span.line == 8
