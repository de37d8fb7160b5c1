"""Issue 21: `fmt` left a 230-character `dimension` line unbroken; `plot` put December 2027 on
the 2028 tick (a date locator labels instants, the points sit at period ends) and drew 111 lines
under an overflowing legend for a quantity with 111 items."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from unitsheet import engine
from conftest import run_cli
from unitsheet.engine.formatter import WIDTH, format_module
from unitsheet.engine.parser import parse
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.plot import plot

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 10  # the count docs/cli.md states (engine/plot.py's MAX_LINES)
MAX_TICKS = 12

# ------------------------------------------------------------------ fmt: a long dimension


def faithful(text: str) -> str:
    """fmt's output: the same syntax tree, idempotent, every comment kept in order."""
    module = parse(text, "fmt.ush")
    formatted = format_module(module)
    again = parse(formatted, "fmt.ush")
    assert again == module
    assert format_module(again) == formatted
    assert [c[1] for c in again.comments] == [c[1] for c in module.comments]
    return formatted


ITEMS = [f"business_region_number_{i:02d}" for i in range(40)]


def test_a_dimension_longer_than_the_width_is_broken_one_item_per_line():
    line = "dimension region = {" + ", ".join(ITEMS) + "}  # forty regions"
    assert len(line) > 230
    text = f'model "m"\n# the regions\n{line}\ninput price by region: USD/month = 5\n'
    out = faithful(text)
    assert max(len(x) for x in out.splitlines()) <= WIDTH
    expected = ['model "m"', "# the regions", "dimension region = {"] + [f"    {item}," for item in ITEMS]
    assert out.splitlines() == expected + ["}  # forty regions", "input price by region: USD/month = 5"]
    assert [i.name for i in parse(out, "fmt.ush").statements[1].items] == ITEMS
    engine.loads(out + "timeline 2025..2026 yearly\n", "m.ush").run()  # still a model that runs


def test_a_comment_inside_a_dimension_stays_on_its_item():
    text = textwrap.dedent("""\
        dimension region = {na,
          eu,   # including the UK
          apac}
        dimension product = {
            chat,
            api
        }
        """)
    assert faithful(text) == textwrap.dedent("""\
        dimension region = {
            na,
            eu,  # including the UK
            apac,
        }
        dimension product = {chat, api}
        """)


# ------------------------------------------------------------------ plot: periods, not instants


@pytest.fixture
def figure(monkeypatch):
    """The figure plot() builds, kept as it is written."""
    captured = {}
    from unitsheet.engine import plot as plotting  # plot() builds a Figure without pyplot, then writes it
    written = plotting.write_png
    monkeypatch.setattr(plotting, "write_png", lambda fig, *rest: (captured.setdefault("fig", fig), written(fig, *rest)))
    return captured


def ticks_and_points(fig):
    import matplotlib.dates as mdates

    axis = fig.axes[0]
    points = mdates.date2num(np.asarray(axis.get_lines()[0].get_xdata()))
    ticks = {label.get_text(): x for x, label in zip(axis.get_xticks(), axis.get_xticklabels())}
    return points, ticks


@pytest.mark.parametrize("timeline, rest, period, index", [
    ("2025-01..2029-12 monthly", "2025-02", "2027-12", 35),  # 60 months: more than a label each
    ("2026Q1..2033Q4 quarterly", "2026Q2", "2027Q4", 7),
    ("2024-07..2030-06 monthly ending June", "2024-08", "2027-06", 35),  # fiscal years end in June
])
def test_each_tick_names_the_period_of_the_point_it_is_on(figure, tmp_path, timeline, rest, period, index):
    first = timeline.split("..")[0]
    text = (f'model "s"\ntimeline {timeline}\ninput a: USD = 5\nb[{first}] = a\n    rollup last\n'
            f"b[{rest}..] = b[t-1] + a\n")
    model = engine.loads(text, "s.ush")
    plot(model, ["b"], ["base"], tmp_path / "p.png")
    points, ticks = ticks_and_points(figure["fig"])
    labels = model.checked().timeline.labels()
    assert labels[index] == period
    assert set(ticks) <= set(labels), "tick labels are period names"
    assert ticks[period] == points[index], f"the {period} point sits on the tick {period}"
    assert all(x in points for x in ticks.values()), "every tick is on a point: none at an instant between"
    assert 2 <= len(ticks) <= MAX_TICKS


# ------------------------------------------------------------------ plot: at most MAX_LINES lines


def many(count: int) -> str:
    items = ", ".join(f"r{i:03d}" for i in range(count))
    return (f'model "many"\ntimeline 2025..2030 yearly\ndimension region = {{{items}}}\n'
            "input base: USD/year = {2025..2030: 5 million}\ninput weight by region = 1\n"
            "sales = base * weight\nscenario up { base = {2025..2030: 6 million USD/year} }\n")


def test_a_quantity_with_more_items_than_lines_is_refused_at_its_declaration(tmp_path, capsys):
    path = tmp_path / "many.ush"
    path.write_text(many(111))
    code, _, err = run_cli(["plot", path, "sales", "-o", tmp_path / "p.png"], capsys)
    assert code == 2 and not (tmp_path / "p.png").exists()
    assert f"{path}:6:1: error: 111 lines to draw, more than plot draws at once ({MAX_LINES})" in err
    assert "6 | sales = base * weight\n  | ^^^^^\n  | by region: 111 items" in err
    assert "hint: name the items to draw (`plot many.ush 'sales[r000]' 'sales[r001]' ...`)" in err
    assert "`sales_total = sum(sales over region)`" in err and "Traceback" not in err


@pytest.mark.parametrize("items, scenarios, drawn", [
    (MAX_LINES, ["base"], True),
    (MAX_LINES + 1, ["base"], False),
    (MAX_LINES // 2, ["base", "up"], True),
    (MAX_LINES // 2 + 1, ["base", "up"], False),
])
def test_both_sides_of_the_line_count(figure, tmp_path, items, scenarios, drawn):
    model = engine.loads(many(items), "many.ush")
    names = model.checked().dimensions.names("sales")
    if not drawn:
        with pytest.raises(ModelError) as caught:
            plot(model, names, scenarios, tmp_path / "p.png")
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.kind == "plot" and f"({MAX_LINES})" in diagnostic.message
        assert diagnostic.span.line == 6 and diagnostic.hint
        assert ("each in 2 scenarios" in diagnostic.message) == (len(scenarios) == 2)
        return
    plot(model, names, scenarios, tmp_path / "p.png")
    axis = figure["fig"].axes[0]
    assert len(axis.get_lines()) - 1 == items * len(scenarios)  # and the zero line
    assert len(axis.get_legend().get_texts()) == items * len(scenarios)
    assert axis.get_title() == "many: sales by region", "the title names the quantity, not each item"


def test_the_stated_count_is_the_one_plot_enforces_and_the_docs_give():
    from unitsheet.engine import plot as plotting

    assert (plotting.MAX_LINES, plotting.MAX_TICKS) == (MAX_LINES, MAX_TICKS)
    assert f"At most {MAX_LINES} lines in a chart" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
