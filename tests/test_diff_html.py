"""`unitsheet diff OLD NEW --format html` (issue 29 item 2): one self-contained page of a Diff
(exports/html_diff.py), checked as parsed text (nothing fetched, the models' text inert, the
engine's numbers in the cells, the attribution adding up) and in a real headless Chromium
(tests/browser.py): it loads without console errors, the DOM holds the numbers the text format
prints, the attribution's cells add up, the screenshot is a page with both flips' colours."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import pytest
from browser import chromium, console_errors, open_page, screenshot_colours
from conftest import ROOT, run_cli

from hypothesis import HealthCheck, given, settings
from test_diff import OPENAI, openai_edits, renaming

from unitsheet import engine
from unitsheet.engine.diff_numbers import SideError, compare
from unitsheet.exports.html_diff import diff_page

OLD = """model "shop"
timeline 2025..2027 yearly

input price: USD = {2025: 10, 2026..2027: 12}
    source "price list" 2025-01-02 "ten dollars"
input volume = 100
revenue = price * volume
profit = revenue - 500 USD
margin = profit / revenue
    display %

check "profitable": profit > 0 USD
check "big": revenue > 1300 USD
check "margin ok": margin > 20 %
chart "Revenue": revenue

scenario low "cheap" {
    price = {2025..2027: 4}
}
"""

# Hostile text wherever NEW's author writes text: the title, a source's file and quote, a note, a
# check's name (a rename of "big", which flips FAIL -> ok); "margin ok" flips ok -> FAIL.
TITLE = "Evil <script>document.title='pwned'</script> \\\"onload=alert(1) x=\\\""  # as written: `model "..."`
CHECK = '<b onmouseover=alert(3)>big</b> "onload='
NOTE = "</td></tr></table><script>document.title='pwned'</script>"
NEW = (OLD.replace('model "shop"', 'model "Evil <script>document.title=\'pwned\'</script> \\"onload=alert(1) x=\\""')
       .replace("{2025: 10,", "{2025: 11,").replace("input volume = 100", "input volume = 120")
       .replace('    source "price list" 2025-01-02 "ten dollars"\n',
                '    source "price list" 2025-01-02 "ten dollars"\n'
                '    source "javascript:alert(1)" 2025-01-01 "<script>alert(\'q\')</script>"\n'
                '    source "https://example.com/a?b=1&c=\\"><script>alert(2)</script>" "quote \\"onload=x"\n')
       .replace("profit = revenue - 500 USD", f'profit = revenue - 1100 USD\n    note "{NOTE}"')
       .replace('check "big"', 'check "<b onmouseover=alert(3)>big</b> \\"onload="'))


class _Page(HTMLParser):
    """Start tags with their attributes; the text; and every numeric cell's data-value by the
    table (its class) and row (its data-name) it is in, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.values = [], [], []
        self._table = self._row = None

    def handle_starttag(self, name, attrs):
        attrs = dict(attrs)
        self.tags.append((name, attrs))
        if name == "table":
            self._table = attrs.get("class")
        elif name == "tr":
            self._row = (self._table, attrs.get("class"), attrs.get("data-name"))
        elif name == "span" and "data-value" in attrs:
            value = attrs["data-value"]
            self.values.append((*self._row, None if value == "" else float(value)))

    def handle_data(self, data):
        self.text.append(data)


def _write(tmp_path, old=OLD, new=NEW):
    (tmp_path / "old.ush").write_text(old, encoding="utf-8")
    (tmp_path / "new.ush").write_text(new, encoding="utf-8")
    return tmp_path / "old.ush", tmp_path / "new.ush"


def _diff(tmp_path, capsys, old=OLD, new=NEW):
    """(exit code, the page written by -o, its Diff, the text format's output)."""
    old_path, new_path = _write(tmp_path, old, new)
    out = tmp_path / "diff.html"
    code, printed, err = run_cli(["diff", old_path, new_path, "--format", "html", "-o", out], capsys)
    assert (printed, err) == ("", "")
    _, text, _ = run_cli(["diff", old_path, new_path], capsys)
    result = engine.load(old_path).diff(engine.load(new_path))
    return code, out, result, text


def test_the_page_is_one_file_whose_model_text_is_text(tmp_path, capsys):
    code, out, _, _ = _diff(tmp_path, capsys)
    assert code == 1  # numbers moved, as the text format exits
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    names = [name for name, _ in page.tags]
    assert not set(names) & {"script", "img", "b", "link", "iframe", "object", "embed"}
    assert [(n, k) for n, attrs in page.tags for k in attrs if k.startswith("on")] == []
    assert all("src" not in attrs for _, attrs in page.tags)
    policy = next(a["content"] for _, a in page.tags if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src" not in policy
    shown = "".join(page.text)
    for written in (TITLE, CHECK, NOTE, "javascript:alert(1)", "<script>alert('q')</script>", 'quote "onload=x'):
        assert written in shown, written
    links = [attrs["href"] for name, attrs in page.tags if name == "a"]
    assert links == ['https://example.com/a?b=1&c="><script>alert(2)</script>']  # http(s) only
    assert "price list" in shown and shown.count("(added)") == 2  # the kept source is not marked
    # the structure: the text's changes, then a section per scenario with its moves and attributions
    classes = [attrs.get("class") for name, attrs in page.tags if name == "table"]
    assert classes[:3] == ["inputs", "formulas", "others"] and classes.count("moves") == 2
    assert [a["data-name"] for n, a in page.tags if n == "section" and a.get("class") == "scenario"] == ["base", "low"]
    flips = [(a["class"], a["data-name"]) for n, a in page.tags if n == "li" and "check" in a.get("class", "")]
    assert flips == [("check ok", CHECK), ("check fail", "margin ok")]  # ok -> FAIL red, FAIL -> ok green
    assert "ok → FAIL" in shown and "FAIL → ok" in shown
    # a chart per moved series, old dashed under new
    charts = [a["data-name"] for n, a in page.tags if n == "figure" and a.get("class") == "moved"]
    assert charts[:3] == ["margin", "profit", "revenue"]  # not volume (one value) nor price (one period moved)
    assert "price" not in charts and "volume" not in charts


def test_the_cells_hold_the_diffs_numbers_and_the_attribution_adds_up(tmp_path, capsys):
    """Every numeric cell's exact value is the Diff's JSON value, in the text's order; per moved
    period the parts and the interaction add up to the total (hand-computed for revenue 2025:
    price +100, volume +200, interaction +20; the new profit formula takes nothing from revenue)."""
    _, out, result, _ = _diff(tmp_path, capsys)
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    data = result.to_dict()
    moved = [(s["scenario"], m) for s in data["scenarios"] for m in s["moves"]]
    cells = [v for table, _, _, v in page.values if table == "moves"]
    expected = []
    for s in result.scenarios:
        for m in s.moves:
            for i in m.largest():
                expected += [m.old[i], m.new[i], m.change[i], m.relative[i]]
    assert cells == expected and len(cells) == 4 * sum(len(m["periods"]) for _, m in moved)  # no yes/no row here
    revenue = next(m for s in result.scenarios if s.scenario == "base" for m in s.moves if m.name == "revenue")
    assert (revenue.old[0], revenue.new[0]) == (1000, 1320)
    by_row = _attribution(page)
    assert by_row[("base", "revenue")]["input price"][0] == pytest.approx(100)
    assert by_row[("base", "revenue")]["input volume"][0] == pytest.approx(200)
    assert by_row[("base", "revenue")]["interaction"][0] == pytest.approx(20)
    for key, rows in by_row.items():
        total = rows.pop("total")
        for i, whole in enumerate(total):
            parts = [r[i] for r in rows.values()]
            if whole is None or None in parts:
                continue
            assert math.fsum(parts) == pytest.approx(whole, rel=1e-12, abs=1e-12 * max(map(abs, parts))), key


def _attribution(page) -> dict:
    """(scenario, row) -> {edit or interaction or total: its cells' exact values}, read from the
    page in order (each section's attribution tables follow its moves)."""
    out, scenario, table = {}, None, None
    for name, attrs in page.tags:
        if name == "section" and attrs.get("class") == "scenario":
            scenario, table = attrs["data-name"], None
        elif name == "div" and attrs.get("class") == "why":
            table = out.setdefault((scenario, attrs["data-name"]), {})
        elif name == "tr" and table is not None and attrs.get("class") in ("part", "interaction", "total"):
            row = table.setdefault(attrs.get("data-name") or "others", [])
        elif name == "span" and "data-value" in attrs and table is not None:
            row.append(None if attrs["data-value"] == "" else float(attrs["data-value"]))
    return out


def test_a_renamed_formula_is_one_row_and_moves_nothing(tmp_path, capsys):
    """profit -> earnings (the check renamed along): the rename one row with both texts, margin's
    equation old and new; exit 0 and the page says no number moved."""
    new = (OLD.replace("profit = revenue - 500 USD", "earnings = revenue - 500 USD")
           .replace("margin = profit / revenue", "margin = earnings / revenue")
           .replace('"profitable": profit', '"profitable": earnings'))
    code, out, result, _ = _diff(tmp_path, capsys, new=new)
    assert code == 0 and not result.moved
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    shown = "".join(page.text)
    assert "no number moved" in shown and "numbers moved" not in shown.replace("no number moved", "")
    rows = re.findall(r'<tr data-name="(\w+)">(.*?)</tr>', out.read_text(encoding="utf-8"))
    cells = {name: re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for name, row in rows}
    assert cells["earnings"][:3] == ["earnings (was profit)", "renamed", ""]
    assert "<pre>profit = revenue - 500 USD</pre>" in cells["earnings"][3]
    assert cells["margin"] == ["margin", "changed", "margin", "profit / revenue", "earnings / revenue"]


def test_a_yes_no_row_shows_its_words_and_no_chart(tmp_path, capsys):
    old = OLD.replace("input volume = 100", "input volume = 100\ninput open = true")
    code, out, result, text = _diff(tmp_path, capsys, old=old, new=old.replace("open = true", "open = false"))
    assert code == 1 and "true -> false" in text
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="item" data-name="open">(.*?)</tr>', html)
    assert len(rows) == 2  # base and low
    row = rows[0]
    assert re.findall(r"<t[hd][^>]*>(?:<span[^>]*>)?([^<]*)", row) == ["value", "true", "false", "", ""]
    assert '<figure class="moved"' not in html


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(openai_edits())
def test_the_page_shows_every_number_of_random_edits_of_the_openai_model(drawn):
    """Whatever the edits (tests/test_diff.py's strategy): every moved period's cells and every
    attribution row's are the JSON's values exactly, and each table's rows add up to its total."""
    edits, renamed = drawn
    new = OPENAI
    for line, replacement in edits.items():
        new = new.replace(line, replacement, 1)
    new = renaming(new, renamed) if renamed else new
    try:
        result = compare(engine.loads(OPENAI, "old.ush"), engine.loads(new, "new.ush"), ["base"])
    except SideError:
        return  # an edit that breaks the new model (tests/test_diff.py covers it)
    page = _Page()
    page.feed(diff_page(result))
    (data,) = result.to_dict()["scenarios"]
    expected = [v for m in data["moves"] for i in _largest(m)  # a yes/no row: no change nor relative shown
                for v in (m["old"][i], m["new"][i]) + ((m["change"][i], m["relative"][i]) if m["display_unit"] != "bool"
                                                      else ())]
    assert [v for table, _, _, v in page.values if table == "moves"] == expected
    tables = _attribution(page)
    for m in data["moves"]:
        rows = dict(tables[("base", m["name"])])
        assert rows.pop("total") == m["change"] and rows.pop("interaction") == m["attribution"]["interaction"]
        others = rows.pop("others", None)
        shown = {p["edit"]: p["change"] for p in m["attribution"]["parts"] if any(v != 0 for v in p["change"])}
        assert rows == shown and (others is None or set(others) == {0.0})
        for i, total in enumerate(m["change"]):
            known = [v[i] for v in shown.values() if v[i] is not None] + [m["attribution"]["interaction"][i]]
            if total is not None and None not in known:
                scale = max(map(abs, known + [total]))
                assert math.isclose(math.fsum(known), total, rel_tol=1e-12, abs_tol=1e-12 * scale), (m["name"], i)


def _largest(m: dict) -> list[int]:
    """A move's periods by their relative move, largest first (as Move.largest, from the JSON)."""
    rel = m["relative"]
    return sorted(range(len(m["periods"])), key=lambda i: (-(math.inf if rel[i] is None else abs(rel[i])), i))


def test_exit_codes_and_what_is_written(tmp_path, capsys):
    old, new = _write(tmp_path)
    page = tmp_path / "same.html"
    code, out, err = run_cli(["diff", old, old, "--format", "html", "-o", page], capsys)
    assert code == 0 and "no number moved" in page.read_text(encoding="utf-8")
    code, out, err = run_cli(["diff", old, new, "--format", "html"], capsys)  # no -o: stdout
    assert code == 1 and out.startswith("<!DOCTYPE html>") and out == diff_page(engine.load(old).diff(engine.load(new)))
    broken = tmp_path / "broken.ush"
    broken.write_text(OLD.replace("profit = revenue - 500 USD", "profit = revenue - 500 USD/year"), encoding="utf-8")
    target = tmp_path / "broken.html"
    code, out, err = run_cli(["diff", old, broken, "--format", "html", "-o", target], capsys)
    assert code == 2 and out == "" and not target.exists()  # a side that does not compile: no page
    assert "does not compile" in err and "error:" in err and "USD/year" in err
    code, _, err = run_cli(["diff", "--textconv", old, "--format", "html"], capsys)
    assert code == 2 and "--format html" in err


def test_diff_git_html_draws_one_page_and_refuses_several(tmp_path, capsys, monkeypatch):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in ("GIT_EXTERNAL_DIFF", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(key, raising=False)

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], check=True, capture_output=True)

    git("init", "-q")
    for name in ("a.ush", "b.ush"):
        (tmp_path / name).write_text(OLD, encoding="utf-8")
    git("add", ".")
    git("commit", "-qm", "v1")
    for name in ("a.ush", "b.ush"):
        (tmp_path / name).write_text(OLD.replace("input volume = 100", "input volume = 120"), encoding="utf-8")
    code, out, err = run_cli(["diff", "--git", "HEAD", "--format", "html"], capsys)
    assert code == 2 and out == "" and "--format html" in err and "2 models" in err
    code, out, err = run_cli(["diff", "--git", "HEAD", "a.ush", "--format", "html"], capsys)
    assert code == 1 and out.startswith("<!DOCTYPE html>") and "HEAD:a.ush" in out


# ---------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _dom_moves(driver) -> list[list[str]]:
    script = """return Array.from(document.querySelectorAll('section.scenario[data-name=base] table.moves tbody tr'))
        .map(tr => [tr.className, tr.dataset.name, Array.from(tr.children).map(c => c.innerText.trim())]);"""
    return driver.execute_script(script)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile diff's page (as the command writes it: test_exit_codes_and_what_is_written),
    its Diff and its text; loaded once in the browser for the tests below (see _at)."""
    folder = tmp_path_factory.mktemp("hostile")
    old, new = _write(folder)
    result = engine.load(old).diff(engine.load(new))
    out = folder / "diff.html"
    out.write_text(diff_page(result), encoding="utf-8")
    return out, result, str(result)


def _at(browser, out) -> list[dict]:
    """Show `out` (loading it only when another page is shown): the console log of its loading."""
    if browser.current_url != out.resolve().as_uri():
        _at.log = open_page(browser, out)
    return _at.log


def test_the_page_in_chromium_holds_the_text_formats_numbers(browser, hostile):
    """Loads without console errors (a script the policy blocked would be one), runs nothing of
    the hostile text, and each moved period's cells read from the DOM make the text format's line
    (the text shows each row's three largest moves: those)."""
    out, result, text = hostile
    log = _at(browser, out)
    assert console_errors(log) == [], log
    found = browser.execute_script("""return [document.scripts.length, document.title,
        Array.from(document.querySelectorAll('*')).flatMap(e => e.getAttributeNames()).filter(a => a.startsWith('on')),
        document.querySelectorAll('img, b').length]""")
    assert found[0] == 0 and found[2:] == [[], 0] and "pwned" not in found[1]
    body = browser.find_element("tag name", "body").text
    assert TITLE in body and CHECK in body and NOTE in body
    rows = _dom_moves(browser)
    base = next(s for s in result.scenarios if s.scenario == "base")
    assert [name for cls, name, _ in rows if cls == "group"] == [m.name for m in base.moves]
    cells = {(name, c[0]): c for cls, name, c in rows if cls == "item"}
    assert len(cells) == sum(len(m.periods) for m in base.moves)
    for m in base.moves:
        unit = f" {m.unit}" if m.unit else ""
        for i in m.largest()[:3]:
            period, old, new, change, relative = cells[(m.name, "value" if m.periods[i] is None else str(m.periods[i]))]
            at = "" if period == "value" else f"{period}: "
            assert f"      {at}{old} -> {new}{unit}   {change}{unit} ({relative})\n" in text, (m.name, period)
    # the charts were laid out: old (dashed) and new lines of each moved series
    drawn = browser.execute_script("""return Array.from(document.querySelectorAll('figure.moved polyline')).filter(
        p => p.getBBox().width > 0).map(p => p.getAttribute('stroke-dasharray'))""")
    assert drawn.count("3 2") == drawn.count(None) > 0


def test_the_attribution_cells_add_up_in_the_dom(browser, hostile):
    """Per attribution table and period, the text of the parts and the
    interaction add up to the total's, to the digits shown (exact values: the test above)."""
    _at(browser, hostile[0])
    tables = browser.execute_script("""return Array.from(document.querySelectorAll('table.attribution')).map(t =>
        Array.from(t.querySelectorAll('tbody tr')).map(tr => [tr.className,
            Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim())]))""")
    assert len(tables) > 5
    for rows in tables:
        total = next(cells for cls, cells in rows if cls == "total")
        for i, whole in enumerate(total):
            parts = [cells[i] for cls, cells in rows if cls != "total"]
            if "?" in parts + [whole]:
                continue
            numbers = [float(p.replace(",", "")) for p in parts]
            slack = 1e-5 * (sum(map(abs, numbers)) + abs(float(whole.replace(",", ""))))  # 6 significant digits each
            assert abs(math.fsum(numbers) - float(whole.replace(",", ""))) <= slack, (rows, i)


def test_the_screenshot_shows_both_flips_colours(browser, hostile):
    _at(browser, hostile[0])
    browser.execute_script("document.querySelector('ul.flips').scrollIntoView()")
    colours, inked = screenshot_colours(browser)
    assert colours > 50 and inked > 0.02, (colours, inked)
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    badges = browser.execute_script("""return Array.from(document.querySelectorAll(
        'section[data-name=base] ul.flips li')).map(li => { const r = li.querySelector('.badge').getBoundingClientRect();
        return [li.className, r.left, r.top, r.right, r.bottom]; })""")
    scale = image.width / browser.execute_script("return window.innerWidth")
    seen = {}
    for cls, *box in badges:  # each badge's own pixels: its background's colour
        crop = image.crop(tuple(round(v * scale) for v in box))
        seen[cls] = max(crop.getcolors(maxcolors=crop.width * crop.height))[1]
    assert seen == {"check fail": (0xcf, 0x22, 0x2e), "check ok": (0x1a, 0x7f, 0x37)}  # ok -> FAIL red, FAIL -> ok green


def test_a_diff_of_the_openai_model_loads_and_matches_its_json(tmp_path, capsys, browser):
    """A larger page: an input of the OpenAI model edited; every moved cell's exact value read
    from the DOM is the JSON's."""
    old = (ROOT / "models" / "openai_capex.ush").read_text(encoding="utf-8")
    new = old.replace("input run_rate_jul_2025 = 12 billion USD/year", "input run_rate_jul_2025 = 13 billion USD/year")
    assert new != old
    old_path, new_path = _write(tmp_path, old, new)
    out = tmp_path / "openai.html"
    code, _, _ = run_cli(["diff", old_path, new_path, "--format", "html", "-o", out, "--scenario", "base"], capsys)
    _, printed, _ = run_cli(["diff", old_path, new_path, "--format", "json", "--scenario", "base"], capsys)
    data = json.loads(printed)
    assert code == 1 and data["moved"]
    log = open_page(browser, out)
    assert console_errors(log) == [], log
    dom = browser.execute_script("""return Array.from(document.querySelectorAll('table.moves tr.item')).map(tr =>
        [tr.dataset.name, Array.from(tr.querySelectorAll('span[data-value]')).map(s => s.dataset.value)])""")
    by_name = {}
    for name, values in dom:
        by_name.setdefault(name, []).append([None if v == "" else float(v) for v in values])
    assert set(by_name) == {m["name"] for m in data["scenarios"][0]["moves"]}
    for m in data["scenarios"][0]["moves"]:  # each period's four cells, in whatever order the page ranks them
        assert sorted(map(tuple, by_name[m["name"]]), key=repr) == sorted(
            zip(m["old"], m["new"], m["change"], m["relative"]), key=repr), m["name"]
    assert re.search(r"run_rate_jul_2025", browser.find_element("tag name", "body").text)
