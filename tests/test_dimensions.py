"""Named dimensions (region x product): the issue's examples against hand-computed values, every
command on item rows, scenarios per item, the workbook's blocks recalculated by LibreOffice, and
a model by region on a monthly timeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from unitsheet import engine
from unitsheet.engine.cli import main
from unitsheet.exports.xlsx import excel_name, export_workbook, model_name
from test_export import _need_libreoffice
from tests.workbook import close, formulas_recalculate, name_cells

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ROOT / "models" / "saas_regions.ush"

USERS = {("na", "chat"): 1.2e6, ("na", "api"): 0.10e6, ("eu", "chat"): 0.8e6, ("eu", "api"): 0.05e6,
         ("apac", "chat"): 0.5e6, ("apac", "api"): 0.02e6}
PRICE = {"na": 20.0, "eu": 18.0, "apac": 12.0}
GROWTH = {"na": 0.03, "eu": 0.0225, "apac": 0.055}  # the ranges' midpoints


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def results():
    return engine.load(REGIONS).run()


def test_the_issue_examples_equal_hand_computed_values(results):
    v = results.values
    for (r, p), users in USERS.items():
        assert v[f"revenue[{r}, {p}]"][0] == pytest.approx(users * PRICE[r])
    by_region = {r: sum(USERS[r, p] * PRICE[r] for p in ("chat", "api")) for r in PRICE}
    for r, x in by_region.items():
        assert v[f"revenue_by_region[{r}]"][0] == pytest.approx(x)
    total = sum(by_region.values())
    assert v["revenue_total"][0] == pytest.approx(total)
    assert v["eu_share"][0] == pytest.approx(by_region["eu"] / total)
    assert v["na_chat"][0] == pytest.approx(1.2e6)
    # subscribers[2026..] = subscribers[t-1] * (1 + growth - churn): per region, per product, over time
    for (r, p), users in USERS.items():
        expected = [users * (1 + GROWTH[r] - 0.01) ** k for k in range(4)]
        assert v[f"subscribers[{r}, {p}]"] == pytest.approx(expected, rel=1e-12)
    # one item's own equation overrides the general one, for all periods or for some
    assert [v[f"local_price[{r}]"][0] for r in PRICE] == pytest.approx([20, 18, 10])
    assert v["promo[eu]"] == pytest.approx([18, 16.2, 16.2, 16.2])
    assert v["promo[na]"] == pytest.approx([20] * 4)
    mrr_eu_2027 = sum(USERS["eu", p] * (1 + GROWTH["eu"] - 0.01) ** 2 for p in ("chat", "api")) * 18
    assert v["eu_mrr_2027"][0] == pytest.approx(mrr_eu_2027)
    assert v["capex_total"] == pytest.approx([1.7e9, 2.7e9, 2.7e9, 2.7e9])
    assert v["average_price"][0] == pytest.approx((20 + 18 + 10) / 3)
    assert results.passed


def test_rows_that_differ_only_in_their_item_read_their_own_inputs():
    model = engine.loads("""timeline 2025..2026 yearly
dimension region = {na, eu}
input price by region: USD = {na: 2, eu: 3}
input q by region = {na: {2025: 10, 2026: 20}, eu: {2025: 100, 2026: 200}}
sales = price * q
lagged[2025] = sales
lagged[2026] = sales[t-1] + price
""")
    v = model.run().values
    assert list(v["sales[na]"]) == [20, 40] and list(v["sales[eu]"]) == [300, 600]
    assert list(v["lagged[eu]"]) == [300, 303] and list(v["lagged[na]"]) == [20, 22]


def test_a_unit_is_checked_once_for_every_item(capsys, tmp_path):
    path = tmp_path / "m.ush"
    path.write_text("timeline 2025..2026 yearly\ndimension region = {na, eu, apac}\n"
                    "input price by region: USD/month = 1\ninput cost by region: USD = 2\nx = price + cost\n")
    code, _, err = run_cli(["check", path], capsys)
    assert code == 2 and err.count("cannot add USD/month and USD") == 1 and "m.ush:5:5" in err


def test_a_runtime_error_names_the_item_and_the_period(capsys, tmp_path):
    path = tmp_path / "m.ush"
    path.write_text("timeline 2025..2028 yearly\ndimension region = {na, eu}\ndimension product = {chat, api}\n"
                    "input cost by region, product = {na: 1 USD, eu: {chat: 1 USD, api: {2025..2026: 1 USD, 2027..: 0 USD}}}\n"
                    "margin = 5 USD / cost\n")
    code, _, err = run_cli(["run", path], capsys)
    assert code == 2 and "division by zero in `margin[eu, api]` for 2027" in err, err


def test_json_nests_items_in_dimension_order_then_periods(capsys):
    code, out, _ = run_cli(["run", REGIONS, "--format", "json", "--only", "subscribers", "growth", "revenue_total"],
                           capsys)
    data = json.loads(out)["quantities"]
    assert list(data) == ["subscribers", "growth", "revenue_total"]  # as --only lists them
    sub = data["subscribers"]
    assert sub["dims"] == ["region", "product"]
    assert sub["items"] == {"region": ["na", "eu", "apac"], "product": ["chat", "api"]}
    assert len(sub["values"]) == 3 and len(sub["values"][1]) == 2 and len(sub["values"][1][1]) == 4
    assert sub["values"][1][1][0] == pytest.approx(0.05e6)  # eu, api, 2025
    assert data["growth"]["range"][2] == pytest.approx([3, 8]) and data["growth"]["value"][0] == pytest.approx(3)
    assert "dims" not in data["revenue_total"]


def test_run_only_a_quantity_shows_all_its_items_and_an_item_alone(capsys):
    code, out, _ = run_cli(["run", REGIONS, "--only", "mrr_by_region", "users[eu,api]"], capsys)
    names = [line[:line.index("]") + 1] for line in out.splitlines() if line.startswith(("mrr_by", "users"))]
    assert names == ["mrr_by_region[na]", "mrr_by_region[eu]", "mrr_by_region[apac]", "users[eu, api]"]
    code, out, _ = run_cli(["run", REGIONS, "--format", "csv", "--only", "price"], capsys)
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["price[na]", "price[eu]", "price[apac]"]
    code, _, err = run_cli(["run", REGIONS, "--only", "mrr_by_regio"], capsys)
    assert code == 2 and "mrr_by_region" in err


def test_set_one_item_a_whole_quantity_or_an_item_and_period(capsys):
    model = engine.load(REGIONS)
    v = model.run(overrides={"price[eu]": "17 USD/month"}).values
    assert v["revenue[eu, chat]"][0] == pytest.approx(0.8e6 * 17) and v["revenue[na, chat]"][0] == pytest.approx(24e6)
    v = model.run(overrides={"churn": "2 %"}).values
    assert all(v[f"churn[{r}]"][0] == pytest.approx(2) for r in PRICE)
    v = model.run(overrides={"capex[eu, 2027]": "1 billion USD/year"}).values
    assert list(v["capex[eu]"]) == pytest.approx([0.5e9, 0.5e9, 1e9, 0.5e9])
    code, _, err = run_cli(["run", REGIONS, "--set", "price[mars]=1 USD/month"], capsys)
    assert code == 2 and "`mars` is not an item of `price` (by region)" in err


def test_scenarios_replace_one_item_or_the_whole_table():
    model = engine.load(REGIONS)
    cut = model.run("eu_price_cut").values
    assert cut["price[eu]"][0] == 15 and cut["price[na]"][0] == 20
    push = model.run("apac_push").values
    assert push["local_price[apac]"][0] == pytest.approx(15) and push["local_price[eu]"][0] == 18
    assert [push[f"churn[{r}]"][0] for r in PRICE] == pytest.approx([1, 2, 1.5])
    assert list(push["capex[apac]"]) == pytest.approx([0.2e9, 0.4e9, 0.4e9, 0.4e9])


def test_explain_plot_simulate_and_explore_understand_items(capsys, tmp_path):
    code, out, _ = run_cli(["explain", REGIONS, "promo"], capsys)
    assert code == 0 and "promo: by region (3 items)" in out and "promo[eu, 2026..2028] = price[eu] * 0.9" in out
    code, out, _ = run_cli(["plot", REGIONS, "mrr_by_region", "-o", tmp_path / "p.png"], capsys)
    assert code == 0 and (tmp_path / "p.png").stat().st_size > 0
    code, out, _ = run_cli(["simulate", REGIONS, "--samples", "500", "--format", "json"], capsys)
    data = json.loads(out)
    assert {"growth[na]", "growth[eu]", "growth[apac]", "mrr[eu, api]"} <= set(data["quantities"])
    code, out, _ = run_cli(["check", REGIONS, "--explore", "40", "--format", "json"], capsys)
    found = json.loads(out)
    text = json.dumps(found)
    assert "every region grows [eu]" in text and "growth[eu]" in text  # eu's growth can fall to its churn


def test_fmt_keeps_dimensions_and_items(capsys):
    code, _, _ = run_cli(["fmt", "--check", REGIONS], capsys)
    assert code == 0


def test_excel_names_of_items_cannot_collide():
    assert excel_name("revenue[na, chat]") == "revenue.na.chat"
    assert excel_name("c1[na]") == "_c1.na"  # a quantity Excel would read as a cell keeps its prefix
    assert model_name(excel_name("revenue[na, chat]")) == "revenue[na, chat]"
    assert model_name(excel_name("c1[na]")) == "c1[na]"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("dims") / "regions.xlsx"
    export_workbook(engine.load(REGIONS), path)
    return path


def test_a_block_is_named_its_rows_share_one_unit_and_sums_read_the_block(workbook):
    wb = openpyxl.load_workbook(workbook)
    calc = wb["Calculations"]
    rows = {calc.cell(r, 1).value: r for r in range(1, calc.max_row + 1) if calc.cell(r, 1).value}
    mrr_rows = [rows[f"mrr[{r}, {p}]"] for r in PRICE for p in ("chat", "api")]
    assert mrr_rows == list(range(mrr_rows[0], mrr_rows[0] + 6))  # adjacent, in dimension order
    assert wb.defined_names["mrr"].attr_text == f"Calculations!$E${mrr_rows[0]}:$H${mrr_rows[-1]}"
    assert wb.defined_names["mrr.eu.api"].attr_text == f"Calculations!$E${mrr_rows[3]}:$H${mrr_rows[3]}"
    assert len({calc.cell(r, 2).value for r in mrr_rows}) == 1  # one unit and scale: no conversions inside
    first = rows["revenue[na, chat]"]
    assert calc.cell(rows["revenue_total"], 3).value == f"=SUM($C${first}:$C${first + 5})"


def test_libreoffice_and_formulas_recalculate_every_item_to_the_engine(workbook, tmp_path):
    from unitsheet.exports.recalc import libreoffice_recalculate

    _need_libreoffice()  # skips on a machine without it; with CI set, fails

    model = engine.load(REGIONS)
    results = model.run()
    recalculated = libreoffice_recalculate(workbook, tmp_path)
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    computed = formulas_recalculate(workbook)
    checked = 0
    for name, q in results.model.quantities.items():
        if name not in results.model.dimensions.rows:
            continue
        from tests.test_export import shown_factor

        factor = shown_factor(model, name)
        values = results.values[name] if q.series else results.values[name][:1]
        for (sheet, cell), value in zip(name_cells(wb, excel_name(name)), values):
            assert close(wb[sheet][cell].value, float(value) * factor), (name, cell)
            got = computed.get(f"{sheet.upper()}!{cell}", None)
            if got is not None:
                assert close(got, float(value) * factor), (name, cell)
            checked += 1
    assert checked > 100


MONTHLY = """model "Regions by month"
timeline 2025-01..2026-12 monthly
dimension region = {na, eu}
input mrr0 by region: USD/month = {na: 1 million, eu: 0.5 million}
input growth by region = {na: 2 %, eu: 1 %}
mrr[2025-01] = mrr0
mrr[2025-02..] = mrr[t-1] * (1 + growth)
mrr_total = sum(mrr over region)
revenue_2026 = total(mrr_total[2026])
check "eu smaller" for t in 2025-01..2026-12: mrr[eu, t] < mrr[na, t]
"""


def test_a_model_by_region_on_a_monthly_timeline_rolls_up_per_item(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(MONTHLY)
    v = engine.load(path).run().values
    na = 1e6 * 1.02 ** np.arange(24)
    eu = 0.5e6 * 1.01 ** np.arange(24)
    assert v["mrr[na]"] == pytest.approx(na, rel=1e-12)
    assert v["revenue_2026"][0] == pytest.approx((na[12:] + eu[12:]).sum() * 1.0, rel=1e-12)  # USD/month x 1 month
    code, out, _ = run_cli(["run", path, "--by", "year", "--format", "json"], capsys)
    data = json.loads(out)["quantities"]["mrr"]
    assert data["dims"] == ["region"]
    assert data["values"][1][0] == pytest.approx(eu[:12].mean(), rel=1e-12)  # a flow: the year's average rate


def test_the_readme_dimensions_example_runs_as_written():
    import re

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```unitsheet\n(dimension region.*?\n)```", readme, re.S).group(1)
    v = engine.loads("timeline 2025..2026 yearly\n" + block).run("eu_cut").values
    assert v["revenue_total"][0] == pytest.approx(1.2e6 * 20 + 0.8e6 * 15 + 0.5e6 * 12)
    assert v["local_price[apac]"][0] == pytest.approx(10)


def test_the_docs_dimensions_example_runs_as_written():
    import re

    docs = (ROOT / "docs" / "language.md").read_text()
    block = re.search(r"## Dimensions.*?```unitsheet\n(.*?\n)```", docs, re.S).group(1)
    results = engine.loads("timeline 2025..2028 yearly\n" + block).run("eu_price_cut")
    assert results.values["fee[apac]"][0] == 4 and results.values["promo[eu]"][1] == pytest.approx(15 * 0.9)
    assert results.values["eu_capex_2027"][0] == pytest.approx(0.5e9)
    assert [c["name"] for c in results.checks] == ["capex holds up [na]", "capex holds up [eu]", "capex holds up [apac]"]


ISSUE_EXAMPLE = """timeline 2025..2028 yearly
dimension region = {na, eu, apac}
dimension product = {chat, api}

input price by region: USD/month = {na: 20, eu: 18, apac: 12}
input users by region, product = {
    na:   {chat: 1.2 million, api: 0.10 million},
    eu:   {chat: 0.8 million, api: 0.05 million},
    apac: {chat: 0.5 million, api: 0.02 million},
}
input churn by region = 1 %                             # the same value for every item
input growth by region = {na: 2 % .. 4 %, eu: 1 % .. 3 %, apac: 3 % .. 8 %}   # a range per item
input capex by region: USD/year = {na: {2025: 1 billion, 2026..: 2 billion}, eu: 0.5 billion, apac: 0.2 billion}

revenue = users * price                     # by region, product: dimensions follow the operands
revenue_by_region = sum(revenue over product)
revenue_total = sum(revenue over region, product)
eu_share = revenue_by_region[eu] / revenue_total       # an item selects one slice
na_chat = users[na, chat]
subscribers[2025] = users
subscribers[2026..] = subscribers[t-1] * (1 + growth - churn)   # by region, product, over time
local_price = price                          # by region
local_price[apac] = price[na] * 0.5          # one item's own equation overrides the general one
promo = price
promo[eu, 2026..] = price[eu] * 0.9          # one item over some periods
mrr = subscribers * local_price
mrr_by_region = sum(mrr over product)
eu_mrr_2027 = mrr_by_region[eu, 2027]        # an item and a period
capex_total = sum(capex over region)
check "every region grows": mrr_by_region[2027] > mrr_by_region[2025]

scenario eu_price_cut { price[eu] = 15 USD/month }
"""


def test_the_issue_text_runs_as_written_through_every_command(tmp_path, capsys):
    path = tmp_path / "issue.ush"
    path.write_text(ISSUE_EXAMPLE)
    for argv in (["run", path], ["run", path, "--format", "json"], ["run", path, "--scenario", "eu_price_cut"],
                 ["check", path], ["explain", path, "subscribers"], ["fmt", path],
                 ["export", path, "-o", tmp_path / "issue.xlsx"]):
        code, out, err = run_cli(argv, capsys)
        assert code == 0, (argv, err)
    v = engine.load(path).run("eu_price_cut").values
    assert v["revenue[eu, chat]"][0] == pytest.approx(0.8e6 * 15)
