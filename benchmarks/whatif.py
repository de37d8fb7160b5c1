"""What-if commands against the loops they replace: a tornado, a 21 x 21 data table, a goal seek.

    python -m benchmarks.whatif            # both models, every measurement (a few minutes)
    python -m benchmarks.whatif --quick    # a 5 x 5 table, 1 process per loop, 1-3 repeats; last line: JSON

On models/datacenter_project.ush and models/openai_capex.ush, each command (`Model.sensitivity`,
`Model.table`, `Model.solve`: one vectorised evaluation, its variants rows of the samples axis;
solve's Brent steps one row each) is timed against:

- one `Model.run` of the same model and scenario (targets: sensitivity and table within 3x of
  it, solve within 10x);
- the same answers from a loop of separate `Model.run(overrides=...)` calls, each input given as
  `--set` gives it (a literal in the input's own unit, `repr` precision: the same float);
- the same loop as separate `unitsheet run --set ... --format json` processes: SAMPLE of them,
  spread over the loop, are timed and their mean is extrapolated linearly to the loop's count
  (the output says so), against the command's own process (`unitsheet sensitivity ...`).

Target for both loops: the command at least 20x faster. The goal seek's loop is the command's
own algorithm over Model.run: the bracket scanned at engine.solve.SCAN points, every sign change
refined by brentq with the same tolerances (every root). A bare brentq over the bracket (one root,
no scan: what a hand-written goal seek does) is timed too, for reference.

Nothing is timed until every loop's answers, and the sampled processes' values, equal the
command's to rel 1e-9. In-process times are medians with the model compiled first (parse, check
and plan are not what-if costs). Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from unitsheet import engine
from benchmarks import median_time
from unitsheet.engine.check.literals import parse_literal
from unitsheet.engine.samples import uncertain_inputs
from unitsheet.engine.solve import SCAN, output_at, parse_target

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = 5  # processes timed per loop (full mode)
REL = 1e-9
BRENT = dict(xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=200)  # engine/solve.py's
TARGETS = {"sensitivity": 3.0, "table": 3.0, "solve": 10.0}  # x one Model.run, at most
FASTER = 20.0  # the loops over the command, at least


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    output: str  # the tornado's and the table's output: "name" or "name[period]"
    inputs: tuple[str, ...]  # the tornado's inputs; () = every ranged input (the command's default)
    vary: tuple[tuple[str, str, str], ...]  # the table's two axes: (input, low, high)
    target: str  # the goal seek, in `scenario`
    solve_vary: str
    between: str
    scenario: str = "base"


CASES = [
    # One input of this model has a range (cost_per_gw): its tornado names the plain inputs too,
    # each at its base -+ 10 % (the command's --inputs), so that it has more than 3 rows.
    Case("datacenter", "models/datacenter_project.ush", "project_npv",
         ("cost_per_gw", "lease_rate", "lease_escalation", "power_price", "pue", "it_load_factor",
          "fixed_opex_rate", "opex_inflation", "it_share", "gearing", "debt_rate", "tax_rate", "discount_rate"),
         (("lease_rate", "1000 thousand USD/MW/month", "1500 thousand USD/MW/month"),
          ("cost_per_gw", "50 billion USD/GW", "60 billion USD/GW")),
         "equity_irr = 12 %", "lease_rate", "900 thousand USD/MW/month..1500 thousand USD/MW/month"),
    Case("OpenAI", "models/openai_capex.ush", "cash_balance[2033-12]", (),
         (("round_received_at_close", "0 billion USD", "40 billion USD"),
          ("cash_after_round", "38 billion USD", "40 billion USD")),
         "cash_balance[2033-12] = 0 USD", "round_received_at_close", "0 billion USD..40 billion USD", "bear"),
]


@dataclass(frozen=True)
class Options:
    quick: bool
    cells: int  # per table axis
    repeats: int  # of the command and of Model.run
    loop_repeats: int
    sample: int  # processes timed per loop
    process_repeats: int  # of the command's process and of one run's


def literal(checked, name: str, value: float) -> str:
    """`value` (own unit) as --set writes it: repr reads back to the same float."""
    return f"{value!r} {checked.units.short(checked.quantities[name].unit)}".strip()


class Loop:
    """Separate Model.run calls, each with overrides as --set gives them; every run remembered."""

    def __init__(self, model, scenario: str, name: str, period: int | None):
        self.model, self.scenario, self.name, self.period = model, scenario, name, period
        self.checked = model.checked(scenario)
        self.jobs: list[tuple[dict, float]] = []

    def __call__(self, values: dict[str, float]) -> float:
        sets = {k: literal(self.checked, k, v) for k, v in values.items()}
        results = self.model.run(self.scenario, overrides=sets)
        y = float(np.asarray(results.values[self.name]).reshape(-1)[self.period or 0])
        self.jobs.append((sets, y))
        return y


def agree(what: str, want, got) -> None:
    want, got = np.asarray(want, dtype=float), np.asarray(got, dtype=float)
    if want.shape != got.shape or not np.allclose(got, want, rtol=REL, atol=0):
        raise SystemExit(f"{what}: the loop's answers differ from the command's (rel {REL:g}): {want} vs {got}")


# ---------------------------------------------------------------------- the three commands and their loops


def tornado_loop(model, case: Case) -> tuple[list[float], Loop]:
    """The base, then each input alone at its low and high end (as engine/sensitivity.py's ends)."""
    checked = model.checked()
    loop = Loop(model, "base", *output_at(checked, case.output))
    names = case.inputs or [q.name for q in uncertain_inputs(checked) if q.low is not None]
    out = [loop({})]
    for n in names:
        q = checked.quantities[n]
        base = float(q.value[0])
        low, high = (float(q.low), float(q.high)) if q.low is not None else (base * 0.9, base * 1.1)
        out += [loop({n: low}), loop({n: high})]
    return out, loop


def tornado_answers(result, case: Case, checked) -> list[float]:
    names = case.inputs or [q.name for q in uncertain_inputs(checked) if q.low is not None]
    by = {s.input: s for s in result.swings}
    return [result.base] + [v for n in names for v in (by[n].output_low, by[n].output_high)]


def axes(case: Case, checked, cells: int) -> list[np.ndarray]:
    out = []
    for name, low, high in case.vary:
        q = checked.quantities[name]
        out.append(np.linspace(parse_literal(low, q, checked.units), parse_literal(high, q, checked.units), cells))
    return out


def table_loop(model, case: Case, cells: int) -> tuple[list[float], Loop]:
    checked = model.checked()
    loop = Loop(model, "base", *output_at(checked, case.output))
    (a, _, _), (b, _, _) = case.vary
    xs, ys = axes(case, checked, cells)
    return [loop({a: float(x), b: float(y)}) for x in xs for y in ys], loop


def solve_loop(model, case: Case, scan: bool) -> tuple[list[float], Loop]:
    """Every root in the bracket (scan=True: the command's algorithm), or brentq's one root."""
    checked = model.checked(case.scenario)
    goal = parse_target(checked, case.target)
    loop = Loop(model, case.scenario, goal.name, goal.period)
    q = checked.quantities[case.solve_vary]
    low, high = (parse_literal(t.strip(), q, checked.units) for t in case.between.split(".."))

    def residual(x):
        return loop({case.solve_vary: float(x)}) - goal.value

    if not scan:
        return [float(brentq(residual, low, high, **BRENT))], loop
    xs = np.linspace(low, high, SCAN)
    ys = np.array([residual(x) for x in xs])
    roots = [float(x) for x, y in zip(xs, ys) if y == 0]
    roots += [float(brentq(residual, xs[i], xs[i + 1], **BRENT))
              for i in np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0)]
    base = float(q.value[0])
    return sorted(roots, key=lambda x: (abs(x - base), x)), loop


def commands(case: Case, cells: int) -> dict[str, list[str]]:
    """Each command's arguments after `unitsheet` (the README's command lines)."""
    inputs = ["--inputs", *case.inputs] if case.inputs else []
    vary = [a for name, low, high in case.vary for a in ("--vary", f"{name}={low}..{high}:{cells}")]
    return {"sensitivity": ["sensitivity", case.path, case.output, *inputs],
            "table": ["table", case.path, case.output, *vary],
            "solve": ["solve", case.path, "--target", case.target, "--vary", case.solve_vary,
                      "--between", case.between, "--scenario", case.scenario]}


# ---------------------------------------------------------------------- processes


def python_m(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "unitsheet", *args], cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0, done


def process(args: list[str]) -> None:
    """`unitsheet ARGS --format json` once (exit 0, or 1 for a failed check)."""
    _, done = python_m([*args, "--format", "json"])
    if done.returncode not in (0, 1):
        raise SystemExit(f"unitsheet {' '.join(args)}: exit {done.returncode}\n{done.stderr}")


def paired(f, g, repeats: int) -> tuple[float, float]:
    """Median seconds of f() and of g(), called alternately: a shared machine's load falls on both."""
    times: tuple[list, list] = ([], [])
    for _ in range(repeats):
        for fn, into in zip((f, g), times):
            t0 = time.perf_counter()
            fn()
            into.append(time.perf_counter() - t0)
    return statistics.median(times[0]), statistics.median(times[1])


def process_loop(case: Case, loop: Loop, sample: int) -> dict:
    """`unitsheet run --set ...` for `sample` of the loop's runs, spread over it; each value checked
    against the in-process run's; the mean time extrapolated to all of them."""
    jobs = loop.jobs
    picks = sorted({round(i * (len(jobs) - 1) / max(sample - 1, 1)) for i in range(min(sample, len(jobs)))})
    times = []
    for k in picks:
        sets, want = jobs[k]
        args = ["run", case.path, "--scenario", loop.scenario, "--only", loop.name, "--format", "json"]
        seconds, done = python_m(args + [a for name, value in sets.items() for a in ("--set", f"{name}={value}")])
        if done.returncode not in (0, 1):
            raise SystemExit(f"unitsheet {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        q = json.loads(done.stdout)["quantities"][loop.name]
        got = q["value"] if "value" in q else q["values"][loop.period]
        agree(f"{case.label}: unitsheet run {sets}", [want], [got])
        times.append(seconds)
    mean = statistics.fmean(times)
    return {"processes": len(jobs), "processes_timed": len(picks), "process_mean_s": mean,
            "process_loop_s": mean * len(jobs)}


# ---------------------------------------------------------------------- measuring


def measure(model, case: Case, what: str, command, answers, loop, opts: Options) -> dict:
    """command(): the vectorised call; answers(result): its answers, flat; loop(): (answers, Loop)."""
    scenario = case.scenario if what == "solve" else "base"
    t0 = time.perf_counter()
    got, ran = loop()
    first = time.perf_counter() - t0
    agree(f"{case.label} {what}", answers(command()), got)
    out = {"model": case.label, "command": what, "scenario": scenario, "runs": len(ran.jobs),
           "cli": "unitsheet " + " ".join(_quoted(a) for a in commands(case, opts.cells)[what])}
    out.update(process_loop(case, ran, opts.sample))
    run_s, command_s = paired(lambda: model.run(scenario), command, opts.repeats)
    out["run_ms"], out["command_ms"] = run_s * 1000, command_s * 1000
    out["loop_ms"] = statistics.median([first] + [median_time(loop, 1) for _ in range(opts.loop_repeats - 1)]) * 1000
    run = ["run", case.path, "--scenario", scenario, "--only", ran.name]
    out["run_process_s"], out["command_process_s"] = paired(
        lambda: process(run), lambda: process(commands(case, opts.cells)[what]), opts.process_repeats)
    out["command_over_run"] = out["command_ms"] / out["run_ms"]
    out["loop_over_command"] = out["loop_ms"] / out["command_ms"]
    out["process_loop_over_command_process"] = out["process_loop_s"] / out["command_process_s"]
    out["target_over_run"] = TARGETS[what]
    out["meets_over_run"] = out["command_over_run"] <= TARGETS[what]
    out["meets_loop"] = out["loop_over_command"] >= FASTER
    out["meets_process_loop"] = out["process_loop_over_command_process"] >= FASTER
    return out


def _quoted(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in " []") else arg


def measure_case(case: Case, opts: Options, log) -> list[dict]:
    model = engine.load(ROOT / case.path)
    for scenario in dict.fromkeys(["base", case.scenario]):
        model.run(scenario)  # checked and compiled before any clock starts
    checked = model.checked()
    vary = [f"{name}={low}..{high}:{opts.cells}" for name, low, high in case.vary]
    rows = []
    log(f"{case.label}: sensitivity")
    rows.append(measure(model, case, "sensitivity", lambda: model.sensitivity(case.output, list(case.inputs) or None),
                        lambda r: tornado_answers(r, case, checked), lambda: tornado_loop(model, case), opts))
    log(f"{case.label}: table")
    rows.append(measure(model, case, "table", lambda: model.table(case.output, vary),
                        lambda r: r.values.reshape(-1), lambda: table_loop(model, case, opts.cells), opts))
    log(f"{case.label}: solve")

    def solution():
        return model.solve(case.target, case.solve_vary, case.between, case.scenario)

    rows.append(measure(model, case, "solve", solution, lambda r: [x.value for x in r.roots],
                        lambda: solve_loop(model, case, scan=True), opts))
    brent, loop = solve_loop(model, case, scan=False)
    agree(f"{case.label} solve (brentq alone)", [solution().roots[0].value], brent)
    rows[-1].update(brent_runs=len(loop.jobs), brent_ms=median_time(lambda: solve_loop(model, case, False),
                                                                    opts.loop_repeats) * 1000)
    rows[-1]["brent_over_command"] = rows[-1]["brent_ms"] / rows[-1]["command_ms"]
    rows[-1]["brent_process_loop_s"] = rows[-1]["process_mean_s"] * len(loop.jobs)
    return rows


# ---------------------------------------------------------------------- reporting


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def markdown(rows: list[dict], sample: int) -> str:
    lines = ["| model | command | Model.run ms | command ms | command / run (target) | met | runs in the loop | "
             "loop of Model.run ms | loop / command (≥ 20×) | met | loop of processes s* | command's process s (one `run`'s) | "
             "processes / command's process (≥ 20×) | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['model']} ({r['scenario']}) | {r['command']} | {r['run_ms']:.2f} | {r['command_ms']:.2f} | "
            f"{r['command_over_run']:.2f}× (≤ {r['target_over_run']:g}×) | {_ok(r['meets_over_run'])} | {r['runs']:,} | "
            f"{r['loop_ms']:,.0f} | {r['loop_over_command']:.0f}× | {_ok(r['meets_loop'])} | "
            f"{r['process_loop_s']:,.1f} | {r['command_process_s']:.2f} ({r['run_process_s']:.2f}) | "
            f"{r['process_loop_over_command_process']:.0f}× | {_ok(r['meets_process_loop'])} |")
    lines.append("")
    lines.append(f"\\* {sample} of each loop's `unitsheet run --set ...` processes timed (spread over the loop, "
                 "each value checked), their mean times the loop's count: an extrapolation, not a measured loop.")
    for r in rows:
        if "brent_ms" in r:
            lines.append(f"- {r['model']} solve, bare brentq over Model.run (one root, no scan): {r['brent_runs']} runs, "
                         f"{r['brent_ms']:.0f} ms = {r['brent_over_command']:.1f}× the command; "
                         f"as processes about {r['brent_process_loop_s']:.1f} s (extrapolated).")
    lines.append("")
    lines.append("Command lines:")
    lines += [f"- `{r['cli']}`" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.whatif", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 5 x 5 table, one process per loop, few repeats")
    args = ap.parse_args(argv)
    opts = (Options(True, 5, 3, 1, 1, 1) if args.quick else Options(False, 21, 21, 3, SAMPLE, 3))

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows = [r for case in CASES for r in measure_case(case, opts, log)]
    print(markdown(rows, opts.sample))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
