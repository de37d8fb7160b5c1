"""(issue 27 item 7) The Python API does what the command line does: Model.check, .simulate,
.explain, .export, .solve, .sensitivity, .table give what the commands print, and each result
renders in a notebook."""

from __future__ import annotations

import openpyxl

from unitsheet import engine
from conftest import ROOT, run_cli

MODEL = ROOT / "models" / "openai_capex.ush"


def test_each_method_gives_what_its_command_prints(tmp_path, capsys):
    model = engine.load(MODEL)
    code, out, _ = run_cli(["check", str(MODEL), "--explore", "10"], capsys)
    report = model.check(explore=10)
    assert str(report) + "\n" == out and code == (0 if report.passed else 1) and len(report.findings) == 3
    code, out, _ = run_cli(["simulate", str(MODEL), "-n", "300", "--seed", "5"], capsys)
    # the same table: only the evaluation time in its first line differs
    assert code == 0 and out.split(" ms)", 1)[1] == str(model.simulate(300, seed=5)).split(" ms)", 1)[1]
    code, out, _ = run_cli(["explain", str(MODEL), "cash_balance"], capsys)
    assert model.explain("cash_balance") == out
    path = tmp_path / "book.xlsx"
    summary = model.export(path, scenario="bear")
    assert summary["selected"] == "bear" and openpyxl.load_workbook(path)["Cover"]["B4"].value == "bear"


def test_every_result_renders_in_a_notebook():
    model = engine.load(ROOT / "models" / "datacenter_project.ush")
    results = [model.check(), model.simulate(200), model.solve("equity_irr = 12 %", "lease_rate"),
               model.sensitivity("project_npv"),
               model.table("project_npv", ["lease_rate=1.0 million USD/MW/month..1.2 million USD/MW/month:3"])]
    for result in results:
        html = result._repr_html_()
        assert html.startswith("<pre>") and str(result).splitlines()[0].replace("&", "&amp;")[:20] in html
