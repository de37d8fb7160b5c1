"""`unitsheet run MODEL --format html`: one self-contained page (exports/html.py), checked as
text (nothing fetched, the model's text inert) and in a real headless Chromium (tests/browser.py):
it loads without console errors, its cells hold the engine's numbers, its screenshot is a page."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pytest
from browser import chromium, console_errors, open_page, screenshot_colours
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import report
from unitsheet.engine.cli import main
from unitsheet.exports.html import model_page
from unitsheet.exports.html_blocks import is_link, source_link
from unitsheet.exports.html_charts import sparkline

MODELS = sorted((ROOT / "models").glob("*.ush"))

# Everything a model's author may write where the grammar takes text: the title, a note, a
# source's file and quote, a check's name, a scenario's description.
HOSTILE = r'''model "Evil <script>document.title='pwned'</script> \"onload=alert(1) x=\" & co"
timeline 2025..2027 yearly

input price: USD = 10 USD
    note "<img src=x onerror=\"document.title='pwned'\"> note"
    source "javascript:alert(1)" 2025-01-01 "<script>alert('q')</script>"
    source "https://example.com/a?b=1&c=\"><script>alert(2)</script>" "quote \"onload=x"
    source "http://example.org/report.pdf"
input qty = {2025: 1, 2026: 2, 2027: 3}
revenue = price * qty
    note "</td></tr></table><script>document.title='pwned'</script>"
check "<b onmouseover=alert(3)>bold</b> \"onload=": revenue[2027] > 100 USD
check "fine": revenue[2025] > 0 USD
scenario dear "<script>document.title='pwned'</script>" {
    price = 12 USD
}
'''

# Hand-computed: what the page must show, in the display units run shows.
NUMBERS = '''model "Numbers"
timeline 2025..2027 yearly

input capex: USD/year = {2025: 1.5 billion, 2026: 2 billion, 2027: 2.25 billion}
input seats = {2025: 1200, 2026: 1500, 2027: 1800}
input fee: USD/year = 1000
revenue = seats * fee
margin = 12.5 %
total_capex = total(capex[2025..2027])
'''
EXPECTED = {  # row -> (unit cell, values)
    "capex": ("billion USD/year", [1.5, 2.0, 2.25]),
    "seats": ("", [1200, 1500, 1800]),
    "revenue": ("million USD/year", [1.2, 1.5, 1.8]),
    "fee": ("USD/year", [1000]),
    "margin": ("%", [12.5]),
    "total_capex": ("billion USD", [5.75]),
}


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, name, attrs):
        self.tags.append((name, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parsed(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    return parser


def _page(tmp_path, text: str, scenario: str = "base", name: str = "m.ush"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / (path.stem + ".html")
    code = main(["run", str(path), "--format", "html", "-o", str(out), "--scenario", scenario])
    assert out.exists(), code
    return out, code


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_each_model_page_is_one_file_that_fetches_nothing(path):
    results = engine.load(path).run()
    page = _parsed(model_page(results))
    names = {name for name, _ in page.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    assert all("src" not in attrs for _, attrs in page.tags)
    assert all(attrs["href"].startswith(("http://", "https://")) for name, attrs in page.tags if name == "a")
    policy = next(attrs["content"] for name, attrs in page.tags if attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src" not in policy
    charts = sum(name == "svg" for name, _ in page.tags) - sum(name == "figure" for name, _ in page.tags)
    numeric_series = [n for n, q in results.model.quantities.items()
                      if q.series and q.unit is not None and not report.shows_period(q)]
    assert charts == len(numeric_series)


def test_the_models_text_comes_out_as_text(tmp_path):
    out, code = _page(tmp_path, HOSTILE, "dear")
    assert code == 1  # a check fails: the exit code run gives
    text = out.read_text(encoding="utf-8")
    page = _parsed(text)
    assert [name for name, _ in page.tags if name in ("script", "img", "b")] == []
    assert [(name, k) for name, attrs in page.tags for k in attrs if k.startswith("on")] == []
    shown = "".join(page.text)
    for written in ("<script>document.title='pwned'</script>", '"onload=alert(1) x="', "javascript:alert(1)",
                    '<b onmouseover=alert(3)>bold</b> "onload=', '<img src=x onerror="document.title=\'pwned\'"> note'):
        assert written in shown, written
    links = [attrs["href"] for name, attrs in page.tags if name == "a"]
    assert links == ['https://example.com/a?b=1&c="><script>alert(2)</script>', "http://example.org/report.pdf"]


def test_only_http_addresses_become_links():
    assert [is_link(t) for t in ("https://a.org/x", "HTTP://a.org", "javascript:alert(1)", "file:///etc/passwd",
                                 "data:text/html,x", "https://", "004_ed9f67eefeb93bc3.txt", "//a.org/x")] == [
        True, True, False, False, False, False, False, False]
    assert "<a " not in source_link("JavaScript:alert(1)") and "<a " in source_link(" https://a.org/x ")


def _polylines(svg: str) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in m.split()] for m in re.findall(r'points="([^"]*)"', svg)]


@given(st.lists(st.floats(-1e12, 1e12), min_size=2, max_size=60))
def test_a_sparkline_keeps_the_order_of_the_values(values):
    """Higher values are drawn higher (a smaller y), inside the box, left to right."""
    svg = sparkline(values, width=120, height=24)
    (points,) = _polylines(svg)
    assert len(points) == len(values)
    assert all(0 <= x <= 120 and 0 <= y <= 24 for x, y in points)
    assert all(a[0] < b[0] for a, b in zip(points, points[1:]))
    span = max(values) - min(values)
    for (_, ya), (_, yb), va, vb in zip(points, points[1:], values, values[1:]):
        if va <= vb:
            assert ya >= yb
        if va < vb and (vb - va) > 0.01 * span:  # apart by more than the drawing's 0.01 px steps
            assert ya > yb


def test_a_sparkline_leaves_gaps_and_says_when_it_has_nothing():
    assert [len(p) for p in _polylines(sparkline([1, 2, math.nan, 3, 4, 5]))] == [2, 3]
    assert "no values" in sparkline([math.nan, None]) and "<polyline" not in sparkline([math.nan])
    flat = _polylines(sparkline([5, 5, 5]))[0]
    assert len({y for _, y in flat}) == 1 and "<line" not in sparkline([5, 5, 5])  # no zero line it does not cross
    assert "<line" in sparkline([-1, 1])
    assert "&lt;script&gt;" in sparkline([1, 2], "<script>") and "<script>" not in sparkline([1, 2], "<script>")


def test_lines_of_one_chart_share_a_scale():
    from unitsheet.exports.html_charts import chart

    svg = chart([[0, 1, 2], [0, 4, 8]], width=100, height=50, dashed=[False, True])
    first, second = _polylines(svg)
    # y = 47 - 44 * v / 8 (3 px of padding, one scale for both): 8 at the top, 4 at 25, 2 at 36
    assert (second[2][1], second[1][1], first[2][1], first[0][1]) == (3.0, 25.0, 36.0, 47.0)
    assert svg.count('stroke-dasharray') == 1


def test_the_models_charts_are_drawn_by_display_unit_with_their_extremes(tmp_path):
    """`chart "...": capex, revenue`: billion USD/year and million USD/year are two scales, so two
    figures, each with its highest and lowest values (hand-computed) and first and last periods."""
    out, _ = _page(tmp_path, NUMBERS + 'chart "Capex <and> revenue": capex, revenue\n')
    html = out.read_text(encoding="utf-8")
    figures = re.findall(r'<figure data-name="Capex &lt;and&gt; revenue">(.*?)</figure>', html, re.S)
    assert len(figures) == 2
    texts = [re.findall(r"<text[^>]*>([^<]*)</text>", f) for f in figures]
    assert texts == [["2.25", "1.5", "2025", "2027"], ["1.8", "1.2", "2025", "2027"]]
    assert "billion USD/year" in figures[0] and "million USD/year" in figures[1]


def test_run_html_writes_the_page_or_prints_it(tmp_path, capsys):
    model = ROOT / "models" / "saas_regions.ush"
    out = tmp_path / "page.html"
    assert main(["run", str(model), "--format", "html", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == model_page(engine.load(model).run())
    capsys.readouterr()
    assert main(["run", str(model), "--format", "html", "--only", "capex"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("<!DOCTYPE html>") and 'data-name="capex[eu]"' in printed and "mrr" not in printed
    assert main(["run", str(model), "-o", str(tmp_path / "x.html")]) == 2
    assert "--format html" in capsys.readouterr().err and not (tmp_path / "x.html").exists()
    assert main(["run", str(model), "--format", "html", "-o", str(model)]) == 2  # never over the model


# ---------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _rows(driver, table: str) -> dict[str, list[str]]:
    """data-name -> the cells' text, read from the DOM as the browser laid it out."""
    script = f"""return Array.from(document.querySelectorAll('table.{table} tbody tr:not(.group)')).map(
        tr => [tr.dataset.name, Array.from(tr.children).map(c => c.innerText.trim())]);"""
    return {name: cells for name, cells in driver.execute_script(script)}


def test_the_page_holds_the_hand_computed_numbers(tmp_path, browser):
    out, _ = _page(tmp_path, NUMBERS)
    assert console_errors(open_page(browser, out)) == []
    rows = _rows(browser, "series") | _rows(browser, "singles")
    for name, (unit, values) in EXPECTED.items():
        cells = rows[name]
        assert cells[1] == unit, name
        shown = cells[3:] if name in _rows(browser, "series") else cells[2:]
        assert [_number(c) for c in shown] == pytest.approx(values, rel=1e-12), name


def test_the_page_holds_the_engines_numbers_in_display_units(tmp_path, browser):
    """Every cell of the OpenAI model's bear case, read from the DOM, is Model.run's value in
    its display unit, to the decimals shown."""
    model = engine.load(ROOT / "models" / "openai_capex.ush")
    results = model.run("bear")
    out = tmp_path / "openai.html"
    out.write_text(model_page(results), encoding="utf-8")
    assert console_errors(open_page(browser, out)) == []
    rows = _rows(browser, "series") | _rows(browser, "singles")
    shown_on = report.display_values(results)
    compared = 0
    for name, q in results.model.quantities.items():
        if q.unit is None or report.shows_period(q):
            continue
        unit, factor = report.display(q, shown_on[name], results.model.units)
        cells = rows[name]
        assert cells[1] == unit, name
        texts = cells[3:] if q.series else cells[2:]
        values = results.values[name] if q.series else results.values[name][:1]
        assert len(texts) == len(values), name
        for text, value in zip(texts, values):
            if not math.isfinite(value):
                assert text == "", name
                continue
            places = len(text.split(".")[1]) if "." in text else 0
            assert abs(_number(text) - value * factor) <= 0.5 * 10 ** -places * (1 + 1e-9) + 1e-9 * abs(value * factor), (
                name, text, value * factor)
            compared += 1
    assert compared > 1000


def test_the_hostile_page_runs_nothing_in_the_browser(tmp_path, browser):
    out, _ = _page(tmp_path, HOSTILE, "dear")
    log = open_page(browser, out)
    assert console_errors(log) == [], log  # a script the policy blocked would be an error here
    assert browser.title.startswith("Evil <script>document.title='pwned'</script>")
    found = browser.execute_script("""return [document.scripts.length,
        Array.from(document.querySelectorAll('*')).flatMap(e => e.getAttributeNames()).filter(a => a.startsWith('on')),
        document.querySelectorAll('img, b').length]""")
    assert found == [0, [], 0]
    assert "<script>document.title='pwned'</script>" in browser.find_element("tag name", "body").text


def test_the_screenshot_is_a_page_with_red_and_green(tmp_path, browser):
    out, _ = _page(tmp_path, HOSTILE)  # one check fails, one passes
    open_page(browser, out)
    colours, inked = screenshot_colours(browser)
    assert colours > 50 and inked > 0.02, (colours, inked)
    from PIL import Image
    import io

    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    seen = {rgb for _, rgb in image.getcolors(maxcolors=image.width * image.height)}
    assert (0xcf, 0x22, 0x2e) in seen and (0x1a, 0x7f, 0x37) in seen  # the FAIL and ok badges


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_each_model_page_loads_cleanly_and_draws(tmp_path, browser, path):
    out = tmp_path / "page.html"
    out.write_text(model_page(engine.load(path).run()), encoding="utf-8")
    log = open_page(browser, out)
    assert console_errors(log) == [], log
    drawn = browser.execute_script("""return Array.from(document.querySelectorAll('svg polyline')).filter(
        p => p.getBBox().width > 0).length""")
    assert drawn > 0  # the browser laid out the charts' lines
    colours, inked = screenshot_colours(browser)
    assert colours > 50 and inked > 0.02, (colours, inked)


def test_axis_labels_fit_beside_the_frame_and_are_never_scientific():
    """A chart's highest and lowest values, in the row's display unit: 12.6k, not 1.26e+04 (which
    the 46 pixels left of the frame cut to '.26e+04', as a new user's diff page showed)."""
    from unitsheet.exports.html_charts import tick

    cases = {2.25: "2.25", 5490: "5,490", 9999.6: "10k", 12596.6: "12.6k", 159_000: "159k", 999_999: "1M",
             -3.2e6: "-3.2M", 4.5e10: "45bn", 0.00012: "0.00012", 0: "0"}
    assert {v: tick(v) for v in cases} == cases
    assert all(len(t) <= 7 and "e+" not in t for t in cases.values())
