"""Evidence for issue 27 item 3's decision: the workbook's data table holds the engine's values,
labelled as such, not a live Excel data table ({=TABLE(...)}).

Measured with LibreOffice 7.4.7.2 (Debian's libreoffice-calc-nogui, what `make libreoffice`
installed here), openpyxl 3.1.5 and XlsxWriter 3.3.1. XlsxWriter cannot write a data table, so one
is patched into the sheet's XML after it is written (`add_data_tables` below): `<f t="dataTable"
ref=".." dt2D=".." dtr=".." r1=".." r2=".."/>` on the table's top-left result cell, every other
result cell a plain cached number, as Excel stores it. LibreOffice imports that as
MULTIPLE.OPERATIONS and

* recalculates it correctly, also after an input changes, but only when it is told to recalculate
  xlsx files on load (a user profile with /org.openoffice.Office.Calc/Formula/Load OOXMLRecalcMode =
  0, what exports/recalc.py writes for the suite's own checks);
* with LibreOffice's default settings (a fresh profile) it does not: every cell of the table comes
  up empty, although the file caches a number in each, and the ordinary formula cells keep their
  cached values. A user opening such a workbook in LibreOffice sees a blank table (the test accepts
  blank, 0 or the stale cached value: any of them is a wrong number).

So a live table could be right only in Excel (not tested here; Excel also requires a data table's
input cells to be on the table's own sheet, so the table would have to sit on the inputs sheet) and
is wrong by default in LibreOffice; the engine's values, labelled, read the same in both. The XML
patch lives here, not in exports/: the exporter does not use it. Each test can fail: the values are
computed by hand, and the cached values in the file are deliberately wrong (WRONG) so that only a
recalculation can produce the right ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.formula import DataTableFormula

from test_export import _need_libreoffice
from workbook import libreoffice_recalculate, soffice

WRONG = -999  # the cached value written for every formula and table cell: never the right one
RATES = [1, 2, 3, 4]          # the two-way table's column inputs (B1)
CAPEX_ROW = [10, 20, 30]      # the two-way table's row inputs (B2)
CAPEX_COLUMN = [10, 20, 30, 40]  # the one-way table's column inputs (B2)
SHEET = "Model"


# ---- the XML patch (test-only) ------------------------------------------------------------------

def _sheet_part(zf: zipfile.ZipFile, sheet_name: str) -> str:
    """'xl/worksheets/sheetN.xml' of the sheet called sheet_name, through workbook.xml and its rels."""
    book = zf.read("xl/workbook.xml").decode()
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    for tag in re.findall(r"<sheet [^>]*/>", book):
        if re.search(r'name="([^"]*)"', tag).group(1) == sheet_name:
            rid = re.search(r'r:id="([^"]*)"', tag).group(1)
            rel = re.search(r'<Relationship [^>]*Id="%s"[^>]*/>' % rid, rels).group(0)
            target = re.search(r'Target="([^"]*)"', rel).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise KeyError(sheet_name)


def _edit_sheet(path: Path, sheet_name: str, edit) -> None:
    """Rewrite the sheet's XML inside the xlsx at path with edit(xml) -> xml."""
    with zipfile.ZipFile(path) as zin:
        part = _sheet_part(zin, sheet_name)
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, edit(data.decode("utf-8")).encode("utf-8") if info.filename == part else data)
    os.replace(tmp, path)


def _cell(xml: str, ref: str) -> re.Match:
    """<c r="D7" s="1"><v>0</v></c> or <c r="D7"/>: group 1 its attributes, group 2 its content."""
    m = re.search(r'<c r="%s"((?: [a-z]+="[^"]*")*)(?:/>|>(.*?)</c>)' % ref, xml)
    if not m:
        raise ValueError(f"cell {ref} is not in the sheet; write a number there first")
    return m


def add_data_tables(path: Path, sheet_name: str, tables: list[dict]) -> None:
    """Make blocks of already-written cells Excel data tables:
         one-way, inputs in a column: {"ref": "D7:E10", "col_input": "B2"} (inputs left of ref, formulas above)
         one-way, inputs in a row:    {"ref": "D13:G13", "row_input": "B1"} (inputs above, formulas left)
         two-way: {"ref": "H7:J10", "row_input": "B2", "col_input": "B1"} (formula in the corner above-left)
    The top-left cell gets <f t="dataTable" .../> and keeps its cached <v>; the others stay plain numbers."""
    def edit(xml: str) -> str:
        for t in tables:
            first = t["ref"].split(":")[0]
            if "row_input" in t and "col_input" in t:
                attrs = f'dt2D="1" dtr="1" r1="{t["row_input"]}" r2="{t["col_input"]}"'
            elif "row_input" in t:
                attrs = f'dt2D="0" dtr="1" r1="{t["row_input"]}"'
            else:
                attrs = f'dt2D="0" dtr="0" r1="{t["col_input"]}"'
            m = _cell(xml, first)
            cell_attrs = re.sub(r' t="[^"]*"', "", m.group(1))  # the cached value is a number
            v = re.search(r"<v>.*?</v>", m.group(2) or "")
            f = f'<f t="dataTable" ref="{t["ref"]}" {attrs}/>' + (v.group(0) if v else "<v>0</v>")
            xml = xml[:m.start()] + f'<c r="{first}"{cell_attrs}>{f}</c>' + xml[m.end():]
        return xml
    _edit_sheet(path, sheet_name, edit)


def set_number(path: Path, sheet_name: str, ref: str, value: float) -> None:
    """Change a number cell's value in the file, as a user editing the input would."""
    def edit(xml: str) -> str:
        m = _cell(xml, ref)
        assert m.group(2) and m.group(2).startswith("<v>"), (ref, m.group(0))
        return xml[:m.start()] + f'<c r="{ref}"{m.group(1)}><v>{value}</v></c>' + xml[m.end():]
    _edit_sheet(path, sheet_name, edit)


# ---- the workbook --------------------------------------------------------------------------------

def build(path: Path, rate: float = 2, capex: float = 50) -> Path:
    """B1 rate, B2 capex, B4 = B1*100-B2. A one-way table of B4 and B4*2 over capex (C7:C10 -> D7:E10)
    and a two-way table of B4 over rate (G7:G10) x capex (H6:J6) -> H7:J10. Every formula and table
    cell caches WRONG."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    ws.write("A1", "rate"), ws.write("B1", rate)
    ws.write("A2", "capex"), ws.write("B2", capex)
    ws.write("A4", "out"), ws.write_formula("B4", "=B1*100-B2", None, WRONG)
    ws.write_formula("D6", "=B4", None, WRONG)
    ws.write_formula("E6", "=B4*2", None, WRONG)
    for i, c in enumerate(CAPEX_COLUMN):
        ws.write(6 + i, 2, c)
        ws.write(6 + i, 3, WRONG), ws.write(6 + i, 4, WRONG)
    ws.write_formula("G6", "=B4", None, WRONG)
    for j, c in enumerate(CAPEX_ROW):
        ws.write(5, 7 + j, c)
    for i, r in enumerate(RATES):
        ws.write(6 + i, 6, r)
        for j in range(len(CAPEX_ROW)):
            ws.write(6 + i, 7 + j, WRONG)
    wb.close()
    add_data_tables(path, SHEET, [{"ref": "D7:E10", "col_input": "B2"},
                                  {"ref": "H7:J10", "row_input": "B2", "col_input": "B1"}])
    return path


def values(path: Path, ref: str) -> list[list]:
    ws = openpyxl.load_workbook(path, data_only=True)[SHEET]
    return [[c.value for c in row] for row in ws[ref]]


def one_way(rate: float) -> list[list[float]]:
    """D7:E10 by hand: B4 and B4*2 with B2 set to each capex of the column."""
    return [[rate * 100 - c, 2 * (rate * 100 - c)] for c in CAPEX_COLUMN]


def two_way() -> list[list[float]]:
    """H7:J10 by hand: B4 with B1 set to the row's rate and B2 to the column's capex (B1's own value
    does not enter: the table substitutes it)."""
    return [[r * 100 - c for c in CAPEX_ROW] for r in RATES]


# ---- LibreOffice ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lo_dir(tmp_path_factory):
    """One folder per module: exports/recalc.py's recalculate-on-load profile is created in it by the
    first conversion and reused; so is the default profile (a fresh, empty one)."""
    return tmp_path_factory.mktemp("lo-datatable")


def convert_with_default_settings(path: Path, lo_dir: Path) -> Path:
    """What a user with LibreOffice's default settings gets: open and save as xlsx with a profile
    that sets nothing."""
    profile, outdir = lo_dir / "lo-profile-default", lo_dir / "lo-out-default"
    profile.mkdir(exist_ok=True), outdir.mkdir(exist_ok=True)
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile.resolve()}",
                    "--convert-to", "xlsx", "--outdir", str(outdir), str(path)],
                   check=True, capture_output=True, timeout=600)
    out = outdir / path.name
    if not out.exists():
        raise RuntimeError(f"LibreOffice wrote nothing for {path}")
    assert not (profile / "user" / "registrymodifications.xcu").exists() or \
        "OOXMLRecalcMode" not in (profile / "user" / "registrymodifications.xcu").read_text()
    return out


def test_libreoffice_recalculating_on_load_computes_both_data_tables_and_follows_an_input(tmp_path, lo_dir):
    _need_libreoffice()
    path = build(tmp_path / "dt-recalc-rate2.xlsx", rate=2, capex=50)
    out = libreoffice_recalculate(path, lo_dir)
    assert values(out, "B4:B4") == [[150]]
    assert values(out, "D6:E6") == [[150, 300]]
    assert values(out, "D7:E10") == one_way(2) == [[190, 380], [180, 360], [170, 340], [160, 320]]
    assert values(out, "H7:J10") == two_way() == [[90, 80, 70], [190, 180, 170], [290, 280, 270], [390, 380, 370]]
    # the input changes in the file: the one-way table (which keeps B1) moves by 100 per row,
    # the two-way table (which substitutes B1) does not
    changed = tmp_path / "dt-recalc-rate3.xlsx"
    changed.write_bytes(path.read_bytes())
    set_number(changed, SHEET, "B1", 3)
    out = libreoffice_recalculate(changed, lo_dir)
    assert values(out, "B4:B4") == [[250]]
    assert values(out, "D7:E10") == one_way(3) == [[290, 580], [280, 560], [270, 540], [260, 520]]
    assert values(out, "H7:J10") == two_way()


def test_libreoffice_with_its_default_settings_shows_no_right_number_in_the_tables(tmp_path, lo_dir):
    """The measured reason for the decision: the same file, opened with a default profile, shows
    the tables empty (7.4.7.2); the test accepts empty, 0 or the stale cached value, never the right one."""
    _need_libreoffice()
    out = convert_with_default_settings(build(tmp_path / "dt-default.xlsx"), lo_dir)
    assert values(out, "B4:B4") == [[WRONG]]  # nothing is recalculated: the cached value stays
    for ref, right in (("D7:E10", one_way(2)), ("H7:J10", two_way())):
        shown = values(out, ref)
        for got_row, right_row in zip(shown, right, strict=True):
            for got, want in zip(got_row, right_row, strict=True):
                assert got != want and got in (None, 0, WRONG), (ref, shown)


def test_openpyxl_reads_the_top_left_cell_as_a_data_table_formula(tmp_path):
    path = build(tmp_path / "dt-openpyxl.xlsx")
    ws = openpyxl.load_workbook(path)[SHEET]
    one, two = ws["D7"].value, ws["H7"].value
    assert isinstance(one, DataTableFormula) and isinstance(two, DataTableFormula), (one, two)
    assert (one.ref, one.dt2D, one.dtr, one.r1) == ("D7:E10", "0", "0", "B2"), dict(one)
    assert (two.ref, two.dt2D, two.dtr, two.r1, two.r2) == ("H7:J10", "1", "1", "B2", "B1"), dict(two)
    assert ws["E7"].value == ws["J10"].value == WRONG  # the other cells: plain cached numbers
    assert ws["B4"].value == "=B1*100-B2"
    cached = openpyxl.load_workbook(path, data_only=True)[SHEET]
    assert cached["D7"].value == cached["H7"].value == WRONG  # the top-left cell keeps its cached value
