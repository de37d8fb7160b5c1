"""x[t-lag]: a series read a number of periods back (or ahead, x[t+lead]) that an input gives, so
a scenario or --set can move it. Oracles: the same model with the lag written as a literal
(x[t-2], the long-proven path), hand values, LibreOffice and `formulas` on the exported
workbook (INDEX into the row), and the checker's and the engine's errors for every bad lag."""

import re
import zipfile

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.formatter import format_module
from unitsheet.engine.montecarlo import simulate
from unitsheet.engine.parser import parse
from unitsheet.exports.xlsx import export_workbook

from conftest import run_cli
from test_export import formulas_equals_the_engine, libreoffice_equals_the_engine
from workbook import close, formulas_recalculate, name_cells

MODEL = """model "Bookings to revenue"
timeline 2025..2032 yearly
input delay = 2 year
input bookings: USD/year = {2025: 10, 2026: 20, 2027: 30, 2028: 40, 2029: 50, 2030: 60, 2031: 70, 2032: 80}
revenue[2027..] = bookings[t-delay]
revenue[2025..2026] = 0 USD/year
cash[2025] = 1 USD
cash[2026..] = cash[t-1] + revenue[t] * 1 year
scenario slow "Bookings turn into revenue a year later" {
    delay = 3 year
    revenue[2025..2027] = 0 USD/year
    revenue[2028..] = bookings[t-delay]
}
check "revenue never exceeds bookings" for t in 2027..2032: revenue[t] <= bookings[t]
"""


def test_hand_values_and_a_scenario_that_moves_the_lag():
    model = engine.loads(MODEL)
    base, slow = model.run(), model.run("slow")
    assert list(base.values["revenue"]) == [0, 0, 10, 20, 30, 40, 50, 60]
    assert list(slow.values["revenue"]) == [0, 0, 0, 10, 20, 30, 40, 50]
    assert list(base.values["cash"]) == [1, 1, 11, 31, 61, 101, 151, 211]
    assert base.passed and slow.passed


def test_set_moves_the_lag_and_rows_that_differ_only_in_the_lag_differ():
    model = engine.loads(MODEL)
    one = model.run(overrides={"delay": "1 year"})
    assert list(one.values["revenue"]) == [0, 0, 20, 30, 40, 50, 60, 70]
    assert not np.array_equal(one.values["revenue"], model.run().values["revenue"])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["yearly", "quarterly", "monthly"]), st.integers(1, 7), st.integers(0, 6),
       st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=8, max_size=8), st.booleans(), st.booleans())
def test_a_lag_from_an_input_equals_the_same_lag_written_as_a_number(frequency, k, extra, values, recurrence,
                                                                     with_unit):
    """The oracle is the literal lag x[t-k]: the same values, bit for bit, for a plain read and for
    a recurrence that reads itself k periods back, on every timeline (8 periods), the lag a plain
    number or a time (converted, hence computed once before a recurrence's period loop)."""
    first, last = {"yearly": ("2025", "2032"), "quarterly": ("2025Q1", "2026Q4"),
                   "monthly": ("2025-01", "2025-08")}[frequency]
    head = f'model "m"\ntimeline {first}..{last} {frequency}\n'
    tl = engine.loads(head).checked().timeline
    start = min(k + extra, 7)  # the first period whose read x[t-k] is on the timeline, or later
    table = ", ".join(f"{tl.label(i)}: {v!r}" for i, v in enumerate(values))
    body = "y[{s}..] = y[t-LAG] * 0.5 + x[t]" if recurrence else "y[{s}..] = x[t-LAG] * 2"
    unit = {"yearly": " year", "quarterly": " quarter", "monthly": " month"}[frequency] if with_unit else ""
    text = (head + f"input lag = {k}{unit}\ninput x: USD = {{{table}}}\n    rollup last\n"
            f"y[{tl.label(0)}..{tl.label(start - 1)}] = 3 USD\n" + body.format(s=tl.label(start)) +
            "\n    rollup last\n")
    by_input = engine.loads(text.replace("LAG", "lag")).run().values["y"]
    literal = engine.loads(text.replace("LAG", str(k))).run().values["y"]
    assert np.array_equal(by_input, literal)


def test_a_time_lag_is_counted_in_the_timeline_s_periods():
    text = """model "monthly"
timeline 2025-01..2026-12 monthly
input delay = 1 quarter
input x: USD = {2025-01..2026-12: 1}
    rollup sum
x_sum = running_sum(x)
y[2025-04..] = x_sum[t-delay]
z[2025-04..] = x_sum[t-3]
"""
    r = engine.loads(text).run()
    assert np.array_equal(r.values["y"][3:], r.values["z"][3:])
    assert r.values["y"][3] == 1.0  # 2025-04 reads 2025-01


def test_a_lead_reads_ahead_and_its_end_is_checked():
    text = """model "lead"
timeline 2025..2030 yearly
input ahead = 1
input capex: USD = {2025..2030: 5}
prepay[2025..2029] = capex[t+ahead]
"""
    r = engine.loads(text).run()
    assert list(r.values["prepay"][:5]) == [5, 5, 5, 5, 5]
    with pytest.raises(ModelError) as err:
        engine.loads(text.replace("input ahead = 1", "input ahead = 2")).checked()
    d = err.value.diagnostics[0]
    assert "after the timeline ends" in d.message and "ahead = 2 years" in d.message
    assert "at most 1 years" in d.hint


def test_a_shift_inside_a_recurrence_of_two_quantities():
    """b reads a at the same period and a reads b `lag` periods back: a recurrence across two
    quantities, equal to the literal lag."""
    text = """model "two"
timeline 2025..2034 yearly
input lag = 2
a[2025..2026] = 1
a[2027..] = b[t-LAG] + 1
b = a * 2
"""
    by_input = engine.loads(text.replace("LAG", "lag")).run()
    literal = engine.loads(text.replace("LAG", "2")).run()
    assert np.array_equal(by_input.values["a"], literal.values["a"])
    assert list(by_input.values["a"][:5]) == [1, 1, 3, 3, 7]


def test_monte_carlo_samples_read_the_shifted_values_of_their_own_sample():
    text = MODEL.replace("input bookings: USD/year = {2025: 10, 2026: 20, 2027: 30, 2028: 40, 2029: 50, "
                         "2030: 60, 2031: 70, 2032: 80}",
                         "input growth = 5 % .. 15 %\nbookings[2025] = 10 USD/year\n"
                         "bookings[2026..] = bookings[t-1] * (1 + growth)")
    sim = simulate(engine.loads(text), samples=64, seed=3, keep=["revenue", "bookings"])
    revenue, bookings = np.asarray(sim.values["revenue"]), np.asarray(sim.values["bookings"])
    assert revenue.shape[0] == 64 and np.ptp(bookings[:, -1]) > 0  # the samples differ
    assert np.array_equal(revenue[:, 2:], bookings[:, :-2])


def test_fmt_keeps_the_lag_and_explain_shows_the_formula(tmp_path, capsys):
    formatted = format_module(parse(MODEL, "m.ush"))
    assert "bookings[t-delay]" in formatted
    assert engine.loads(formatted).run().values["revenue"][2] == 10
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    code, out, _ = run_cli(["explain", path, "revenue"], capsys)
    assert code == 0 and "bookings[t-delay]" in out and "delay" in out


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("delay,message", [
    ("0", "the lag `delay` of bookings[t-delay] is 0 years: it must be at least one period"),
    ("2.5 year", "the lag `delay` of bookings[t-delay] is 2.5 years: it must be a whole number of years"),
    ("8", "`bookings[t-delay]` (delay = 8 years) reaches 2019 when t = 2027, before the timeline starts"),
    ("1 year .. 2 year", "`delay` is a range: the lag `delay` of bookings[t-delay] cannot vary between samples"),
    ("2 USD", "the lag `delay` of bookings[t-delay] is a number of periods or a time, not USD"),
    ("{2025..2032: 1}", "must be an input, not a series"),
    ("true", "is a number of periods, not true/false"),
])
def test_a_bad_lag_is_a_located_error(delay, message):
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL.replace("input delay = 2 year", f"input delay = {delay}"), "m.ush").checked()
    d = err.value.diagnostics[0]
    assert message in d.message and d.span.line == 5 and d.hint


def test_an_unknown_lag_name_suggests_the_input():
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL.replace("bookings[t-delay]\nrevenue[2025", "bookings[t-dealy]\nrevenue[2025"),
                     "m.ush").checked()
    d = err.value.diagnostics[0]
    assert "unknown name `dealy`" in d.message and "delay" in d.hint


def test_a_lag_on_the_left_and_a_shifted_true_false_series_are_refused():
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL + "extra[t-delay] = 1\n").checked()
    assert "not a lag" in err.value.diagnostics[0].message
    with pytest.raises(ModelError) as err:
        engine.loads(MODEL + "flag = bookings > 20 USD/year\nlate[2027..] = flag[t-delay]\n").checked()
    assert "only numbers can be read a lag from an input away" in err.value.diagnostics[0].message


@pytest.mark.parametrize("value,message", [
    ("3 year", "`delay` = 3 years is more than bookings[t-delay] can take: it would read before the timeline"),
    ("1.5 year", "`delay` = 1.5 years is not a whole number of years"),
    ("0 year", "`delay` = 0 years is less than one period"),
])
def test_a_set_lag_the_model_cannot_take_is_an_error_naming_it_before_anything_runs(tmp_path, capsys, value,
                                                                                      message):
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    code, out, err = run_cli(["run", path, "--set", f"delay={value}"], capsys)
    assert code == 2 and out == ""
    assert message in err and "m.ush:5:19" in err and "^^^" in err
    assert "--set delay to a whole number of years from 1 to 2" in err
    assert "Traceback" not in err


def test_a_set_lag_read_only_by_a_check_is_refused_too(tmp_path, capsys):
    """`not (x[t-delay] < 0)` would hold for a read with no value: the lag is refused before it runs."""
    path = tmp_path / "m.ush"
    path.write_text(MODEL + 'check "never negative" for t in 2029..2032: not (bookings[t-delay] < 0 USD/year)\n')
    code, _, err = run_cli(["run", path, "--set", "delay=5 year"], capsys)
    assert code == 2 and "`delay` = 5 years is more than" in err
    code, _, _ = run_cli(["run", path, "--set", "delay=1 year"], capsys)
    assert code == 0


def test_a_lag_in_a_loop_through_a_fixed_period_is_ordered_by_the_lags_the_formula_can_take():
    """a[2030] reads b[t-lag] with lag 1 or 2 (a starts in 2027): never b[2025], which reads a[2030]
    through cod — no cycle, and the values equal the literal lag's."""
    text = """model "fc"
timeline 2025..2032 yearly
input lag = LAG
a[2025..2026] = 0
a[2027..] = b[t-lag] + 1
cod = a[2030]
b[2025] = cod
b[2026..] = 1
"""
    for k in (1, 2):
        by_input = engine.loads(text.replace("LAG", str(k))).run().values["a"]
        literal = engine.loads(text.replace("LAG", "0").replace("b[t-lag]", f"b[t-{k}]")).run().values["a"]
        assert np.array_equal(by_input, literal)


def test_a_set_lag_that_reads_where_the_series_has_no_value_says_so(tmp_path, capsys):
    text = """model "gap"
timeline 2025..2032 yearly
input delay = 1
capacity[2027..] = 10 GW
online[2028..] = capacity[t-delay]
online[2025..2027] = 0 GW
"""
    path = tmp_path / "m.ush"
    path.write_text(text)
    code, _, err = run_cli(["run", path, "--set", "delay=2"], capsys)
    assert code == 2
    assert "`delay` = 2 years is more than capacity[t-delay] can take" in err


# ---------------------------------------------------------------------- the workbook


@pytest.fixture(scope="module")
def shift_workbook(tmp_path_factory):
    model = engine.loads(MODEL)
    path = tmp_path_factory.mktemp("shift") / "shift.xlsx"
    export_workbook(model, path)
    return model, path


def test_the_workbook_reads_the_lag_cell_with_index(shift_workbook):
    _, path = shift_workbook
    wb = openpyxl.load_workbook(path)
    (lag_sheet, lag_cell), = name_cells(wb, "delay")
    sheet, cell = name_cells(wb, "revenue")[4]
    text = wb[sheet][cell].value
    assert "INDEX(" in text and "COLUMNS(" in text and f"{lag_sheet}!${lag_cell[0]}${lag_cell[1:]}" in text


def test_each_scenario_s_lag_cell_accepts_only_the_lags_its_formulas_allow(shift_workbook):
    """A data validation per scenario cell: whole years from 1 to 2 in base (revenue from 2027
    reads 2025 at most two years back), 1 to 3 in `slow`; a blank is refused too."""
    _, path = shift_workbook
    with zipfile.ZipFile(path) as z:
        xml = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/") and
                   b'type="custom"' in z.read(n))
    rules = re.findall(r'<dataValidation type="custom"([^>]*)>\s*<formula1>([^<]*)</formula1>', xml)
    assert len(rules) == 2
    assert [f.rsplit("&lt;=", 1)[1].rstrip(")") for _, f in rules] == ["2", "3"]
    assert all("allowBlank" not in attrs for attrs, _ in rules)


def test_limits_of_the_counting_inputs():
    checked = engine.loads(MODEL).checked()
    limit = checked.counts["delay"]
    assert (limit.most, limit.per_unit, limit.uses) == (2, 1.0, "bookings[t-delay]")
    monthly = engine.loads("""model "m"
timeline 2025-01..2026-12 monthly
input delay = 1 year
input x: USD = {2025-01..2026-12: 1}
    rollup last
y[2026-01..] = x[t-delay]
""").checked()
    assert monthly.counts["delay"].most == 12 and monthly.counts["delay"].per_unit == 12


@pytest.mark.parametrize("scenario", ["base", "slow"])
def test_formulas_recalculates_the_engines_values(shift_workbook, scenario):
    model, path = shift_workbook
    assert formulas_equals_the_engine(model, path, scenario) >= 25


def test_libreoffice_recalculates_the_engines_values(shift_workbook, tmp_path):
    model, path = shift_workbook
    assert libreoffice_equals_the_engine(model, path, tmp_path) >= 25


def test_an_analyst_changing_the_lag_in_the_workbook_gets_the_engines_values_for_it(shift_workbook):
    model, path = shift_workbook
    wb = openpyxl.load_workbook(path)
    (sheet, cell), = name_cells(wb, "delay")
    base_cell = f"{sheet}!E{cell[1:]}"  # the base scenario's column, which the live cell follows
    computed = formulas_recalculate(path, inputs={base_cell: 1.0})
    one = model.run(overrides={"delay": "1 year"})
    for name in ("revenue", "cash"):
        for (s, c), want in zip(name_cells(wb, name), one.values[name]):
            assert close(computed[f"{s.upper()}!{c}"], want, rel=1e-9), (name, c)


DIMENSIONS = """model "By region"
timeline 2025..2031 yearly
dimension region = {na, eu}
input delay by region = {na: 1 year, eu: 3 year}
input bookings: USD/year = {2025: 10, 2026: 20, 2027: 30, 2028: 40, 2029: 50, 2030: 60, 2031: 70}
revenue[2028..] = bookings[t-delay]
revenue[2025..2027] = 0 USD/year
"""


def test_a_lag_by_region_gives_each_item_its_own_lag(tmp_path):
    model = engine.loads(DIMENSIONS)
    r = model.run()
    assert list(r.values["revenue[na]"][3:]) == [30, 40, 50, 60]
    assert list(r.values["revenue[eu]"][3:]) == [10, 20, 30, 40]
    path = tmp_path / "regions.xlsx"
    export_workbook(model, path)
    assert formulas_equals_the_engine(model, path) > 0


@pytest.mark.parametrize("document,start", [("README.md", "input delay = 2 year"),
                                            ("docs/language.md", "input delay = 2 year")])
def test_the_documented_lag_example_runs_as_written(document, start):
    from conftest import ROOT

    text = (ROOT / document).read_text(encoding="utf-8")
    block = re.search(r"```unitsheet\n(" + re.escape(start) + r".*?\n)```", text, re.S).group(1)
    head = ('model "m"\ntimeline 2025..2030 yearly\n'
            "input bookings: USD/year = {2025: 1, 2026: 2, 2027: 3, 2028: 4, 2029: 5, 2030: 6}\n")
    model = engine.loads(head + block)
    assert list(model.run().values["revenue"]) == [0, 0, 1, 2, 3, 4]
    assert list(model.run(overrides={"delay": "1 year"}).values["revenue"][2:]) == [2, 3, 4, 5]


RECURRENT = """model "Recurrent"
timeline 2025-01..2026-12 monthly
input lag = 1 quarter
input g = 10 %
x[2025-01..2025-03] = 1 USD
x[2025-04..] = x[t-lag] * (1 + g) + x[t-1]
lead_x[2025-01..2026-09] = x[t+lag]
lead_x[2026-10..] = 0 USD
scenario longer "two quarters" {
    lag = 6 month
    x[2025-01..2025-06] = 1 USD
    x[2025-07..] = x[t-lag] * (1 + g) + x[t-1]
    lead_x[2025-01..2026-06] = x[t+lag]
    lead_x[2026-07..] = 0 USD
}
"""


@pytest.mark.parametrize("scenario", ["base", "longer"])
def test_a_recurrence_through_a_lag_is_no_circular_reference_and_recalculates(tmp_path, scenario):
    """x reads itself `lag` back: the INDEX range stops at the previous column (the cell itself is
    not in it), and the lag in quarters or months is ROUNDed into months as the engine rounds it;
    `formulas` (which drops circular references) computes every cell to the engine's value."""
    model = engine.loads(RECURRENT)
    path = tmp_path / "recurrent.xlsx"
    export_workbook(model, path)
    wb = openpyxl.load_workbook(path)
    sheet, cell = name_cells(wb, "x")[5]
    text = wb[sheet][cell].value
    column = re.match(r"[A-Z]+", cell).group(0)
    assert "ROUND(" in text and f"{column}${cell[len(column):]}" not in text.split("INDEX(", 1)[1]
    assert formulas_equals_the_engine(model, path, scenario) >= 48


def test_a_lag_typed_a_hair_off_a_whole_number_reads_as_the_engine_reads_it(shift_workbook):
    """The engine takes 2.0000000001 periods as 2 (within 1e-9, as the validation does); INDEX
    would truncate 0.9999999999 to 0, so the workbook ROUNDs the lag."""
    model, path = shift_workbook
    wb = openpyxl.load_workbook(path)
    (sheet, cell), = name_cells(wb, "delay")
    computed = formulas_recalculate(path, inputs={f"{sheet}!E{cell[1:]}": 2.0000000001})
    want = model.run(overrides={"delay": "2.0000000001 year"}).values["revenue"]
    assert list(want) == [0, 0, 10, 20, 30, 40, 50, 60]
    for (s, c), value in zip(name_cells(wb, "revenue"), want):
        assert close(computed[f"{s.upper()}!{c}"], value, rel=1e-9), c
