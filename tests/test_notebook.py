"""Models in notebooks (engine/notebook.py): HTML tables, frames with units in the column index and
single values apart, value() refusing a series without a period, plot() as a Figure, and
docs/example.ipynb executed in a real kernel (nbclient) with its outputs checked."""

from __future__ import annotations

import math
import os
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import report
from unitsheet.engine.diagnostics import ModelError

pd = pytest.importorskip("pandas")

SMALL = '''model "Small"
timeline 2025..2027 yearly
dimension region = {na, eu}

input price by region: USD = {na: 2, eu: 3}
input units = {2025: 10, 2026: 20, 2027: 40}
    source "https://example.com/units.csv" 2025-01-01 "units sold"
sales = price * units * 1 million
total = sum(sales[2027] over region)
check "sales grow": sales[na, 2027] > sales[na, 2025]
check "too much": total < 100 million USD
'''
# Hand-computed: sales[na] = 2 * (10, 20, 40) million USD, sales[eu] = 3 * ...; total = 5 * 40 million.
SALES = {"sales[na]": [20e6, 40e6, 80e6], "sales[eu]": [30e6, 60e6, 120e6]}


@pytest.fixture(scope="module")
def small():
    return engine.loads(SMALL, "small.ush").run()


def test_to_frame_has_a_row_per_period_and_the_units_in_its_columns(small):
    frame = small.to_frame()
    assert list(frame.index) == ["2025", "2026", "2027"] and frame.index.name == "period"
    assert frame.columns.names == ["quantity", "unit"]
    assert list(frame.columns) == [("units", "dimensionless"), ("sales[na]", "USD"), ("sales[eu]", "USD")]
    for name, values in SALES.items():
        assert list(frame[name]["USD"]) == values
    # a column's sum is the sum over periods: no single value sits in the first period's row
    assert frame[("sales[na]", "USD")].sum() == 140e6 and "total" not in frame.columns.get_level_values(0)


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.ush")), ids=lambda p: p.stem)
def test_the_two_frames_hold_every_quantity_once_with_the_engines_values(path):
    results = engine.load(path).run()
    frame, singles = results.to_frame(), results.singles()
    columns = list(frame.columns.get_level_values("quantity"))
    assert sorted(columns + list(singles.index)) == sorted(results.model.quantities)
    for name, unit in frame.columns:
        assert unit == results.unit(name)
        np.testing.assert_array_equal(frame[(name, unit)].to_numpy(), results.values[name])
    for name, row in singles.iterrows():
        assert row["unit"] == results.unit(name)
        assert row["value"] == results.value(name) or (math.isnan(row["value"]) and math.isnan(results.value(name)))


@pytest.fixture(scope="module")
def openai():
    return engine.load(ROOT / "models" / "openai_capex.ush").run("bear")


@given(data=st.data())
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_the_frame_the_value_and_the_values_agree_at_any_period(openai, data):
    frame = openai.to_frame()
    name, unit = data.draw(st.sampled_from(list(frame.columns)))
    label = data.draw(st.sampled_from(list(frame.index)))
    index = list(frame.index).index(label)
    expected = openai.values[name][index]
    got = [frame.loc[label, (name, unit)], openai.value(name, label)]
    assert all(g == expected or (math.isnan(g) and math.isnan(expected)) for g in got)


def test_single_values_have_a_frame_of_their_own(small):
    singles = small.singles()
    assert list(singles.columns) == ["value", "unit"] and singles.index.name == "quantity"
    assert singles.loc["total"].tolist() == [200e6, "USD"]
    assert singles.loc["price[eu]"].tolist() == [3.0, "USD"]
    assert not set(singles.index) & set(small.to_frame().columns.get_level_values(0))


def test_value_refuses_a_series_without_a_period_and_names_them(small):
    with pytest.raises(ModelError) as info:
        small.value("sales[na]")
    d = info.value.diagnostics[0]
    assert d.kind == "usage" and "series of 3 years (2025 to 2027)" in d.message and '"2027"' in d.hint
    assert small.value("sales[na]", 2026) == 40e6 and small.value("sales[eu]", "2027") == 120e6
    assert small.value("total") == 200e6
    with pytest.raises(ModelError, match="a single value: it has no periods"):
        small.value("total", 2025)
    with pytest.raises(ModelError, match="not a period"):
        small.value("units", "next year")
    monthly = engine.load(ROOT / "models" / "saas_monthly.ush").run()
    series = next(n for n, q in monthly.model.quantities.items() if q.series)
    with pytest.raises(ModelError, match=r"is 12 periods of this timeline; name one of them"):
        monthly.value(series, 2026)


class _Rows(HTMLParser):
    """Each table row: (its class, its data-name, its cells' text, its table's class), and the checks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.checks, self.cell, self.tags, self.table, self.attributes = [], [], None, [], None, set()

    def handle_starttag(self, name, attrs):
        attrs = dict(attrs)
        self.tags.append(name)
        self.attributes.update(attrs)
        if name == "table":
            self.table = attrs.get("class")
        elif name == "tr":
            self.rows.append((attrs.get("class") or "", attrs.get("data-name"), [], self.table))
        elif name in ("td", "th") and self.rows:
            self.cell = []
        elif name == "li":
            self.checks.append((attrs.get("data-name"), attrs.get("class")))

    def handle_endtag(self, name):
        if name in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1][2].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _rows(html: str) -> _Rows:
    parser = _Rows()
    parser.feed(html)
    return parser


def test_results_show_as_tables_with_units_items_nested_and_the_failing_check_red(small):
    page = _rows(small._repr_html_())
    assert "script" not in page.tags
    assert repr(small) == "<Results of 'Small', scenario 'base': 6 quantities, checks 1/2 pass>"  # text/plain, short
    assert page.checks == [("sales grow", "check ok"), ("too much", "check fail")]
    named = [(cls, name) for cls, name, _, _ in page.rows if name]
    at = named.index(("group", "sales"))
    assert named[at + 1:at + 3] == [("item", "sales[na]"), ("item", "sales[eu]")]  # the items under their quantity
    cells = {name: cells for _, name, cells, _ in page.rows if name}
    assert cells["sales[na]"][:2] == ["[na]", "million USD"]
    assert [float(c) for c in cells["sales[na]"][3:]] == [20.0, 40.0, 80.0]
    assert cells["total"] == ["total", "million USD", "200.0"]


def test_a_model_shows_its_base_case_inputs_and_sources_or_its_errors():
    model = engine.loads(SMALL, "small.ush")
    page = model._repr_html_()
    assert 'href="https://example.com/units.csv"' in page and "Inputs and sources" in page
    broken = engine.loads('model "<script>x</script>"\ntimeline 2025..2026 yearly\ny = z\n', "b.ush")._repr_html_()
    assert "unknown name `z`" in broken and "<script>" not in broken


def test_a_notebook_table_stops_at_its_row_limit():
    items = ", ".join(f"i{k}" for k in range(250))
    results = engine.loads(f"timeline 2025..2026 yearly\ndimension d = {{{items}}}\ninput x by d = 1\n").run()
    page = _rows(results._repr_html_())
    assert len([row for row in page.rows if row[0] in ("item", "group")]) == 200  # the heading row counts
    assert "51 more rows" in results._repr_html_()


def test_plot_returns_the_figure_plot_draws(small):
    bear = engine.loads(SMALL, "small.ush").run(overrides={"price[na]": "1 USD"})
    fig = small.plot("sales", against={"less": bear})
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["sales[na] (base)", "sales[eu] (base)", "sales[na] (less)", "sales[eu] (less)"]
    ydata = [list(line.get_ydata()) for line in fig.axes[0].get_lines()[:4]]
    assert ydata == [[20, 40, 80], [30, 60, 120], [10, 20, 40], [30, 60, 120]]  # million USD, hand-computed
    assert fig._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ModelError, match="already labels"):
        small.plot("sales", against={"base": bear})
    with pytest.raises(ModelError, match="no quantity named"):
        small.plot("sails")


# ---------------------------------------------------------------------- the example notebook


def _html_cells(html: str) -> dict[str, list[str]]:
    """The series' and single values' rows (the inputs' table names its rows too)."""
    return {name: cells for _, name, cells, table in _rows(html).rows if name and table in ("series", "singles")}


def _needed(module: str):
    """A dev dependency (pyproject.toml): skipped without it outside CI, a failure under CI."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed; CI (`CI` is set) must run the example notebook", pytrace=False)
        pytest.skip(f"{module} is not installed: pip install -e '.[dev]' (with `CI` set this fails instead)")


def test_the_example_notebook_runs_and_shows_the_engines_numbers(monkeypatch):
    nbformat, nbclient = _needed("nbformat"), _needed("nbclient")
    _needed("ipykernel")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    notebook = nbformat.read(ROOT / "docs" / "example.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "kept without outputs"
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    outputs = [c.outputs for c in notebook.cells if c.cell_type == "code"]
    model = engine.load(ROOT / "models" / "openai_capex.ush")
    bear = model.run("bear", overrides={"cost_per_gw": "58 billion USD/GW"})
    _same_numbers(_html_cells(outputs[0][0]["data"]["text/html"]), model.run())
    _same_numbers(_html_cells(outputs[1][0]["data"]["text/html"]), bear)
    assert float(outputs[2][0]["data"]["text/plain"]) == bear.value("cash_balance", "2029-12")
    assert "series of 108 months (2025-01 to 2033-12)" in outputs[3][0]["text"]
    frame = outputs[4][0]["data"]["text/html"]
    assert "cash_balance" in frame and "USD / year" in frame and "2033-12" in frame
    singles = outputs[5][0]["data"]["text/plain"]
    assert f"{bear.value('round_total'):.6e}" in singles
    assert outputs[6][0]["data"]["image/png"]  # the figure, as a PNG


def _same_numbers(cells: dict[str, list[str]], results) -> None:
    """Every numeric row the notebook's table shows is the engine's, in its display unit."""
    shown_on = report.display_values(results)
    compared = 0
    for name, row in cells.items():
        q = results.model.quantities.get(name)
        if q is None or q.unit is None or report.shows_period(q):
            continue
        unit, factor = report.display(q, shown_on[name], results.model.units)
        assert row[1] == unit, name
        texts = row[3:] if q.series else row[2:]
        for text, value in zip(texts, np.atleast_1d(results.values[name])):
            if not math.isfinite(value):
                continue
            places = len(text.split(".")[1]) if "." in text else 0
            assert abs(float(text.replace(",", "")) - value * factor) <= 0.5 * 10 ** -places + 1e-9 * abs(value * factor)
            compared += 1
    assert compared > 200


def test_a_models_text_is_text_in_the_notebook_tables_too():
    hostile = ('model "<script>alert(1)</script>"\ntimeline 2025..2026 yearly\ninput x: USD = 1 USD\n'
               '    note "<img src=x onerror=alert(2)>"\n    source "javascript:alert(3)" "\\"onload=alert(4)"\n'
               'check "<b onclick=alert(5)>": x > 2 USD\n')
    model = engine.loads(hostile, "h.ush")
    for html in (model._repr_html_(), model.run()._repr_html_()):
        page = _rows(html)
        assert not {"script", "img", "b", "a"} & set(page.tags)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and not [a for a in page.attributes if a.startswith("on")]
    assert [name for name, _ in _rows(model.run()._repr_html_()).checks] == ["<b onclick=alert(5)>"]
