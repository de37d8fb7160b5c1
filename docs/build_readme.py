"""Regenerate the README's model sections and their charts from the models.

    python docs/build_readme.py        (or: make readme)

The text between the `model-section` markers in README.md (models/openai_capex.ush) and between
the `datacenter-section` markers (models/datacenter_project.ush) is replaced; nothing is typed by
hand. Every number is printed at a fixed precision, so the text is the same on every run;
tests/test_readme_models.py checks that README.md is current and runs the commands it shows.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unitsheet import engine  # noqa: E402
from unitsheet.engine import report, rollup  # noqa: E402
from unitsheet.engine.diagnostics import ModelError, render_all  # noqa: E402
from unitsheet.engine.plot import plot  # noqa: E402

MODEL = ROOT / "models" / "openai_capex.ush"
PROJECT = ROOT / "models" / "datacenter_project.ush"
SERIES = ["revenue", "cash_burn", "free_cash_flow", "funding_receipts", "cash_balance", "compute_commitments",
          "enterprise_revenue"]
FIGURES = ["burn_through_2029", "funding_gap", "round_total", "round_unconditional", "valuation_step_up",
           "amazon_flowback_ratio", "commitment_capacity_gw", "stargate_capacity_gw"]
BEGIN, END = "<!-- model-section:begin -->", "<!-- model-section:end -->"
PROJECT_BEGIN, PROJECT_END = "<!-- datacenter-section:begin -->", "<!-- datacenter-section:end -->"

# The goal seeks and the tornado the sections show, each with the command that reproduces it.
GAP_TARGET, GAP_VARY, GAP_SCENARIO = "funding_gap = 0 USD", "revenue_2030_ambition", "bear"
IRR_TARGET, IRR_VARY = "equity_irr = 12 %", "lease_rate"
TORNADO_OUTPUT = "project_npv"
# Every operating, cost and financing input of the project, each alone at its range's ends or at
# its base -+ 10 %. Left out: the structure (capacity, the lease and debt tenors, the capex phasing,
# the covenants, which no cash flow reads) and the depreciation lives: a life must be the same in
# every row of one vectorised evaluation (engine/compiler.py, whole_periods), so a tornado cannot
# move one (`run --set "it_life=5 year"` can).
TORNADO_INPUTS = ["cost_per_gw", "lease_rate", "lease_escalation", "power_price", "pue", "it_load_factor",
                  "fixed_opex_rate", "opex_inflation", "it_share", "tax_rate", "discount_rate", "debt_rate", "gearing"]
TORNADO_ROWS = 5  # the rows printed as text; the chart has them all
TORNADO_PNG = "docs/img/datacenter_tornado.png"


def _value(results, name, i=None):
    q = results.model.quantities[name]
    shown, factor = report.display(q, results.values[name], results.model.units)
    v = results.values[name][0 if i is None else i]
    return report.cells([v], q, results.model.units, factor)[0], shown


def _fixed(value: float, digits: int = 2) -> str:
    """A number at a fixed precision, with a true minus sign."""
    return f"{value:,.{digits}f}".replace("-", "\u2212")


def _shown(checked, name: str, value: float) -> tuple[float, str]:
    """A value of `name` in its display unit: (number, unit)."""
    unit, factor = report.display(checked.quantities[name], np.array([value]), checked.units)
    return value * factor, unit


def section(charts: bool = True) -> str:
    """The OpenAI model's section; `charts`: also redraw its charts (the tests compare the text only)."""
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
    lines += ["", *revenue_to_close_the_gap(model)]
    lines += ["", *correlated_simulation(model)]
    if charts:
        plot(model, ["cash_balance"], model.scenarios, ROOT / "docs/img/cash_balance.png", "Cash balance by scenario")
        plot(model, ["revenue", "cash_burn"], ["base"], ROOT / "docs/img/revenue_vs_burn.png",
             "Revenue against cash burn (base)")
    return "\n".join(lines)


def gap_command() -> str:
    return (f'unitsheet solve models/openai_capex.ush --target "{GAP_TARGET}" --vary {GAP_VARY} '
            f"--scenario {GAP_SCENARIO}")


def revenue_to_close_the_gap(model) -> list[str]:
    """The 2030 revenue ambition at which the bear case's funding gap is zero (a goal seek), or what
    the solve reports instead and why."""
    lines = [f"### The 2030 revenue ambition that closes the {GAP_SCENARIO} case's funding gap", "",
             "```sh", gap_command(), "```", ""]
    try:
        solution = model.solve(GAP_TARGET, GAP_VARY, scenario=GAP_SCENARIO)
    except ModelError as err:
        checked = model.checked(GAP_SCENARIO)
        goal = GAP_TARGET.partition("=")[0].strip()
        if f"`{goal}` does not depend on `{GAP_VARY}`" not in str(err):
            raise SystemExit(f"`{gap_command()}` now reports something else: say why in the README\n{err}")
        moved = sorted(_readers(checked, GAP_VARY))
        lines += ["It reports no value, and exits 2:", "", "```", render_all(err), "```", "",
                  "No revenue closes the gap in this model: the cash balance moves by the round's receipts less "
                  "the press's net cash burn (`cash_burn` is the burn figures the articles give, not revenue "
                  f"less costs), and `{GAP_VARY}` moves only " + ", ".join(f"`{n}`" for n in moved)
                  + ", none of which the cash balance reads."]
        return lines
    checked, goal = solution.checked, solution.target.name
    lines += [f"| root | `{GAP_VARY}` | `{goal}` there |", "|---:|---:|---:|"]
    for k, root in enumerate(solution.roots, 1):
        (x, unit), (y, yunit) = _shown(checked, GAP_VARY, root.value), _shown(checked, goal, root.achieved)
        lines.append(f"| {k} | {_fixed(x)} {unit} | {_fixed(y)} {yunit} |")
    return lines


def _readers(checked, name: str) -> set[str]:
    """Every quantity that reads `name`, directly or through others."""
    seen, stack = set(), [name]
    while stack:
        read = stack.pop()
        for q, reads in checked.dependencies.items():
            if read in reads and q not in seen:
                seen.add(q)
                stack.append(q)
    return seen


SIMULATION_COMMAND = "unitsheet simulate models/openai_capex.ush -n 10000 --seed 0 --percentiles 5,50,95"
CORRELATED = ("cost_per_gw", "commitments_through_2030")
CAPACITY = "capacity_through_2030_gw"


def correlated_simulation(model) -> list[str]:
    """A Monte Carlo of the OpenAI model with its stated rank correlation between the build cost
    per GW and the commitments reading, against the same samples drawn independently: the
    percentiles of the capacity the commitments buy, and the samples' own rank correlation."""
    from scipy import stats

    from unitsheet.engine.uncertainty import simulate

    statement = next(c for c in model.checked().correlations if set(c.names) == set(CORRELATED))
    text = MODEL.read_text(encoding="utf-8")
    independent = engine.loads(re.sub(r"(?m)^correlate .*\n(    note .*\n)?", "", text), str(MODEL))
    rows = []
    for label, m in (("as stated", model), ("independent", independent)):
        sim = simulate(m, 10_000, seed=0, keep=list(CORRELATED), percentiles=(5, 50, 95))
        rho = stats.spearmanr(sim.values[CORRELATED[0]][:, 0], sim.values[CORRELATED[1]][:, 0]).statistic
        p = {k: v[0] for k, v in sim.summary(CAPACITY).items()}
        rows.append(f"| {label} | {rho:.3f} | {p['p5']:.1f} | {p['p50']:.1f} | {p['p95']:.1f} |")
    rho = statement.ranks[0][1]
    return [f"### A Monte Carlo with correlated inputs", "",
            f"The model states `correlate {', '.join(statement.names)} = {rho:g}` ({statement.note}).",
            f"The capacity the commitments through 2030 buy (`{CAPACITY} = commitments_through_2030 / cost_per_gw`, GW) is",
            "narrower than with the two readings drawn independently:", "",
            "```sh", SIMULATION_COMMAND, "```", "",
            f"| inputs drawn | rank correlation of the samples | {CAPACITY} p5 | p50 | p95 |",
            "|---|---:|---:|---:|---:|", *rows]


def solve_command(scenario: str) -> str:
    return (f'unitsheet solve models/datacenter_project.ush --target "{IRR_TARGET}" --vary {IRR_VARY} '
            f"--scenario {scenario}")


def tornado_command() -> str:
    return (f"unitsheet sensitivity models/datacenter_project.ush {TORNADO_OUTPUT} --inputs "
            + " ".join(TORNADO_INPUTS) + f" -o {TORNADO_PNG}")


def project_section(charts: bool = True) -> str:
    """The project-finance model's goal seek (the lease rate for a 12 % equity IRR in each scenario)
    and its tornado of project NPV; `charts`: also redraw the tornado (written as `-o` writes it)."""
    from unitsheet.engine.sensitivity import tornado

    model = engine.load(PROJECT)
    solutions = [model.solve(IRR_TARGET, IRR_VARY, scenario=s) for s in model.scenarios]
    target = solutions[0].target.name
    _, unit = _shown(solutions[0].checked, IRR_VARY, solutions[0].base)
    lines = [f"### The lease rate for a {IRR_TARGET.partition('=')[2].strip()} equity IRR", "",
             f"| scenario | `{IRR_VARY}` in the scenario ({unit}) | `{IRR_VARY}` for `{IRR_TARGET}` ({unit}) "
             f"| `{target}` there |", "|---|---:|---:|---:|"]
    for s in solutions:
        if len(s.roots) != 1:
            raise SystemExit(f"[{s.scenario}] {IRR_TARGET}: {len(s.roots)} roots; the README shows one a scenario")
        root = s.roots[0]
        (base, _), (x, _) = _shown(s.checked, IRR_VARY, s.base), _shown(s.checked, IRR_VARY, root.value)
        y, yunit = _shown(s.checked, target, root.achieved)
        lines.append(f"| {s.scenario} | {_fixed(base)} | {_fixed(x)} | {_fixed(y)} {yunit} |")
    lines += ["", f"One row (`{solutions[1].scenario}`), from the command line:", "", "```sh",
              solve_command(solutions[1].scenario), "```"]

    result = model.sensitivity(TORNADO_OUTPUT, TORNADO_INPUTS)
    checked = result.checked
    base, ounit = _shown(checked, TORNADO_OUTPUT, result.base)
    lines += ["", f"### What moves project NPV ({result.scenario})", "",
              f"`{TORNADO_OUTPUT}` is {_fixed(base)} {ounit} with every input at its base; each input alone at "
              f"the ends of its range, or at its base -+ 10 %, the {TORNADO_ROWS} largest swings of "
              f"{len(result.swings)} ({ounit}):", "",
              "| input | moved | low .. high | at low | at high | swing |", "|---|---|---|---:|---:|---:|"]
    for s in result.swings[:TORNADO_ROWS]:
        (lo, unit), (hi, _) = _shown(checked, s.input, s.low), _shown(checked, s.input, s.high)
        olo, ohi, size = (_shown(checked, TORNADO_OUTPUT, v)[0] for v in (s.output_low, s.output_high, s.swing))
        lines.append(f"| `{s.input}` | {s.how} | {lo:,.4g} .. {hi:,.4g} {unit}".rstrip() + " | "
                     f"{_fixed(olo)} | {_fixed(ohi)} | {_fixed(size)} |")
    lines += ["", "```sh", tornado_command(), "```", "",
              f"![Tornado of project NPV]({TORNADO_PNG})"]
    if charts:
        tornado(result, ROOT / TORNADO_PNG, model.file)
    return "\n".join(lines)


def sections(charts: bool = True) -> dict[tuple[str, str], str]:
    """Each generated part of README.md by its (begin, end) markers."""
    return {(BEGIN, END): section(charts), (PROJECT_BEGIN, PROJECT_END): project_section(charts)}


def main():
    readme = ROOT / "README.md"
    text = readme.read_text()
    for (begin, end), body in sections().items():
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no {begin} ... {end} markers")
        text = pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)
    readme.write_text(text)
    print("README.md model sections regenerated")
    from unitsheet.engine import builtins, limits

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
