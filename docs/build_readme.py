"""Regenerate the README's model section and its charts from models/openai_capex.ush.

    python docs/build_readme.py        (or: make readme)

The text between the `model-section` markers in README.md is replaced; nothing is typed by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine import report, rollup  # noqa: E402
from engine.plot import plot  # noqa: E402

MODEL = ROOT / "models" / "openai_capex.ush"
SERIES = ["revenue", "cash_burn", "free_cash_flow", "funding_receipts", "cash_balance", "compute_commitments",
          "enterprise_revenue"]
FIGURES = ["burn_through_2029", "funding_gap", "round_total", "round_unconditional", "valuation_step_up",
           "amazon_flowback_ratio", "commitment_capacity_gw", "stargate_capacity_gw"]
BEGIN, END = "<!-- model-section:begin -->", "<!-- model-section:end -->"


def _value(results, name, i=None):
    q = results.model.quantities[name]
    shown, factor = report.display(q, results.values[name], results.model.units)
    v = results.values[name][0 if i is None else i]
    return report.cells([v], q, results.model.units, factor)[0], shown


def section() -> str:
    model = engine.load(MODEL)
    runs = {s: model.run(s) for s in model.scenarios}
    base = rollup.roll_up(runs["base"], "year")  # the monthly model as `unitsheet run --by year` shows it
    periods = base.model.timeline.periods
    lines = ["### Base case, year by year (`unitsheet run models/openai_capex.ush --by year`)", "",
             "| quantity | unit | " + " | ".join(map(str, periods)) + " |",
             "|---|---|" + "---:|" * len(periods)]
    for name in SERIES:
        cells = [_value(base, name, i)[0] for i in range(len(periods))]
        lines.append(f"| `{name}` | {_value(base, name, 0)[1]} | " + " | ".join(cells) + " |")
    lines += ["", "### Headline figures by scenario", "",
              "| figure | unit | " + " | ".join(model.scenarios) + " |", "|---|---|" + "---:|" * len(model.scenarios)]
    for name in FIGURES:
        cells = [_value(runs[s], name)[0] for s in model.scenarios]
        lines.append(f"| `{name}` | {_value(base, name)[1] or 'ratio'} | " + " | ".join(cells) + " |")
    checks = {s: sum(c["passed"] for c in r.checks) for s, r in runs.items()}
    total = len(base.checks)
    lines += ["", "Checks: " + ", ".join(f"{s} {n}/{total}" for s, n in checks.items()) + " pass.", "",
              "![Cash balance by scenario](docs/img/cash_balance.png)", "",
              "![Revenue against cash burn](docs/img/revenue_vs_burn.png)"]
    plot(model, ["cash_balance"], model.scenarios, ROOT / "docs/img/cash_balance.png", "Cash balance by scenario")
    plot(model, ["revenue", "cash_burn"], ["base"], ROOT / "docs/img/revenue_vs_burn.png",
         "Revenue against cash burn (base)")
    return "\n".join(lines)


def main():
    readme = ROOT / "README.md"
    text = readme.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit("README.md has no model-section markers")
    readme.write_text(pattern.sub(lambda _: f"{BEGIN}\n{section()}\n{END}", text))
    print("README.md model section regenerated")
    from engine import builtins, limits

    for name, module in (("function", builtins), ("limits", limits)):
        changed = write_between(ROOT / "docs" / "language.md", module.DOC_BEGIN, module.DOC_END, module.docs_table())
        print(f"docs/language.md {name} table " + ("regenerated" if changed else "already current"))


def write_between(path: Path, begin: str, end: str, body: str) -> bool:
    """Rewrite the text between two markers of a file; True if it changed."""
    text = path.read_text(encoding="utf-8")
    head, found, rest = text.partition(begin)
    if not found or end not in rest:
        raise SystemExit(f"{path} has no {begin} ... {end} markers")
    new = f"{head}{begin}\n{body}\n{end}{rest.partition(end)[2]}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    main()
