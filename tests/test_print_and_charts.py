"""The workbook on paper (issues 18 and 19): the charts' x axes read as dates and each chart prints
on a page of its own; Calculations and the other sheets with periods print a year of months per
page across at a readable size, with the labels and the period header on every page. Read back
from the PDF LibreOffice prints of the OpenAI model's workbook (one conversion for the module)."""

import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from unitsheet import engine
from conftest import ROOT
from unitsheet.exports.xlsx import export_workbook
from test_export import _need_libreoffice
from workbook import soffice

OPENAI = ROOT / "models" / "openai_capex.ush"
MONTH_YEAR = r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (20\d\d)\b"
SERIAL = r"\b[34]\d{4}\b"  # a date's serial number: 45688 is 2025-01-31
READABLE = 7.0  # points: the least height of a printed word (4-5 pt text is what issue 19 reported)


@dataclass
class Page:
    sheet: str  # the page header's right part names the sheet
    text: str  # the words in reading order, one space apart
    heights: list[float]  # each word's height in points


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("print") / "openai.xlsx"
    export_workbook(engine.load(OPENAI), path)
    return path


@pytest.fixture(scope="module")
def pages(book) -> list[Page]:
    _need_libreoffice()
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (make libreoffice installs poppler-utils)")
        pytest.skip("pdftotext is not installed here; `make libreoffice` installs it")
    profile = book.parent / "lo-profile-pdf"
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile.resolve()}",
                    "--convert-to", "pdf", "--outdir", str(book.parent), str(book)], check=True,
                   capture_output=True, timeout=300)
    pdf = book.with_suffix(".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    out = []
    for page in bbox.split("<page ")[1:]:
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)
        top = min(float(y) for y, _, _ in words)
        header = [w for y, _, w in words if float(y) - top < 1]  # title (left) ... sheet (right)
        out.append(Page(header[-1], " ".join(w for _, _, w in words),
                        [float(y1) - float(y0) for y0, y1, _ in words]))
    return out


def _charts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        names = sorted((n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
                       key=lambda n: int(re.search(r"\d+", n).group()))
        return [z.read(n).decode() for n in names]


@pytest.mark.parametrize("model, date_format", [("openai_capex", "mmm yyyy"), ("project_quarterly", "mmm yyyy"),
                                                ("datacenter_project", "yyyy")])
def test_chart_x_axes_are_date_axes_with_the_headers_date_format(model, date_format, tmp_path):
    path = tmp_path / f"{model}.xlsx"
    export_workbook(engine.load(ROOT / "models" / f"{model}.ush"), path)
    charts = _charts(path)
    assert charts
    for chart in charts:
        assert "<c:catAx>" not in chart, "a date axis, not a category axis"
        axes = re.findall(r"<c:dateAx>.*?</c:dateAx>", chart)
        assert axes
        for axis in axes:
            assert f'<c:numFmt formatCode="{date_format}" sourceLinked="0"/>' in axis, axis[:300]


def test_calculations_pages_break_at_years_with_the_labels_repeated(book):
    calc = openpyxl.load_workbook(book)["Calculations"]
    first = 5  # column E: January 2025; a year of months per page across
    assert [b.id for b in calc.col_breaks.brk] == [first - 1 + 12 * k for k in range(1, 9)]
    assert calc.page_setup.orientation == "landscape" and calc.page_setup.scale >= 64
    assert not (calc.sheet_properties.pageSetUpPr and calc.sheet_properties.pageSetUpPr.fitToPage), \
        "fitting to a page would override the breaks"
    assert calc.print_title_cols == "$A:$B" and calc.print_title_rows == "$4:$4"


def test_chart_axis_labels_print_as_dates(pages):
    charts = [p for p in pages if p.sheet == "Charts"]
    assert charts
    for page in charts:
        assert len(set(re.findall(MONTH_YEAR, page.text))) >= 5, page.text
        assert not re.findall(SERIAL, page.text), page.text


def test_each_chart_prints_on_a_page_of_its_own(book, pages):
    titles = [re.search(r"<a:t>([^<]*)</a:t>", c).group(1) for c in _charts(book)]
    charts = [p for p in pages if p.sheet == "Charts"]
    assert len(charts) == len(titles), [p.text[:80] for p in charts]
    for page, title in zip(charts, titles):
        assert title in page.text and re.search(MONTH_YEAR, page.text) and "period" in page.text.split(), \
            (title, page.text)


@pytest.mark.parametrize("sheet", ["Inputs", "Calculations", "Annual", "Quarterly", "Checks"])
def test_sheets_with_periods_print_at_a_readable_size(sheet, pages):
    printed = [p for p in pages if p.sheet == sheet]
    assert printed
    smallest = min(h for p in printed for h in p.heights)
    assert smallest >= READABLE, f"{sheet}: words {smallest:.1f} pt high"


def test_calculations_print_a_year_per_page_across_with_the_labels(pages):
    calc = [p for p in pages if p.sheet == "Calculations"]
    years = [set(re.findall(MONTH_YEAR, p.text)) for p in calc]
    assert all(len(y) == 1 for y in years), years  # a page's months are one year's
    assert set().union(*years) == {str(y) for y in range(2025, 2034)}
    assert all("Quantity" in p.text.split() for p in calc), "the header row on every page"
    assert sum("cash_balance" in p.text.split() for p in calc) > 1, "the labels on every page across"
