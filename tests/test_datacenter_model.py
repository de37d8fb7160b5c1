"""models/datacenter_project.ush: every project-finance construct in one model (pmt/ppmt from
COD, debt_at_cod read inside the debt's loop, interest on the average balance declared circular,
depreciation by vintage, tax losses, DSCR covenant, IRR/NPV); its checks pass in every scenario
and the README's headline table is the engine's. (tests/test_export.py recalculates its workbook
with LibreOffice in every scenario.)"""

import re

import pytest

from unitsheet import engine
from conftest import ROOT

MODEL = ROOT / "models" / "datacenter_project.ush"


@pytest.fixture(scope="module")
def model():
    return engine.load(MODEL)


def test_checks_pass_in_every_scenario(model):
    assert model.scenarios == ["base", "bear", "bull"]
    for scenario in model.scenarios:
        results = model.run(scenario)
        assert results.passed, [c for c in results.checks if not c["passed"]]
        assert len(results.checks) >= 15


def test_it_uses_the_constructs_it_was_written_for(model):
    text = MODEL.read_text()
    for construct in ("pmt(", "ppmt(", "irr(", "npv(", "depreciation(", "debt[2027]", "\n    circular\n"):
        assert construct in text, construct
    checked = model.checked()
    loops = [loop for step in checked.plan for loop in step.loops]
    assert {"debt", "interest", "idc"} <= set(loops[0].names)
    assert "003_b59bb55a070cc80a.txt" in text


def test_the_readme_table_is_the_engines(model):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A project-finance model"):readme.index("## Development")]
    rows = {m.group(1): m.group(2).split("|") for m in re.finditer(r"^\| ([a-zA-Z][^|]*?) \|(.*)\|$", section, re.M)}
    names = {"equity IRR": ("equity_irr", 100), "project IRR": ("project_irr", 100),
             "project NPV at 8 %": ("project_npv", 1e-9), "minimum DSCR (2028–2045)": ("min_dscr", 1),
             "LLCR at COD": ("llcr", 1), "debt at COD": ("debt_at_cod", 1e-9)}
    for label, (name, scale) in names.items():
        for scenario, cell in zip(model.scenarios, rows[label]):
            shown = float(re.sub(r"[^0-9.\-−]", "", cell).replace("−", "-"))
            assert model.run(scenario).value(name) * scale == pytest.approx(shown, abs=0.006), (label, scenario)
