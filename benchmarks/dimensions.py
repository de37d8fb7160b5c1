"""Named dimensions at scale: a model written once for all items, against numpy by hand.

    python -m benchmarks.dimensions            # 200 formulas x 20 regions x 10 products x 40 years (1.6 M cells)
    python -m benchmarks.dimensions --quick    # the same formulas over 5 regions x 4 products: under a minute
    python -m benchmarks.dimensions --regions 10 --products 5 --samples 1000 --no-export

The model (`dimension_model`): a 40-year timeline, `dimension region` and `dimension product`,
inputs by region, by product and by both (one value for all items, a value per item, per-period
tables for a few items), then FORMULAS formulas by region and product that read 1-3 earlier ones
through products, sums, ratios, max, inline `sum(x over product)` shares and recurrences
(`x[t-1] * (1 + growth - churn) + ...`, `x[t-1] * 0.5 + a[t-1] * ...`), and a reduction every
16 formulas (`sum(x over product)`, `sum(x over region)`, `sum(x over region, product)`,
`average(x over region)`, `max(x over product)`) that later formulas read again (broadcast).

The same computation is written by hand (`numpy_model`) on (regions, products, periods) arrays,
an input or reduction without a dimension having 1 there (numpy broadcasting is the engine's
union of dimensions): one numpy call per operation for all items and periods, a loop over the
periods only for the recurrences. The runner refuses to time anything unless the engine's values
equal it (np.allclose, rtol 1e-12, atol 0).

Measured: parse, check (`Model.checked()`: writing the model out item by item, then the checker;
the expansion alone too), plan (`Evaluator`), evaluation (median of several runs after a warm-up,
`Evaluator.run` as benchmarks/__main__.py times it, and `Model.run` with its checks and result
dict), the numpy limit, Monte Carlo (a child process: `simulate` on the model with ranges, its
wall time and peak RSS; a pilot first, and if the samples asked for would take more than
--mc-budget seconds it runs 1,000 instead and says so) and the workbook export (cells/s).
The last line printed is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import median_time

ROOT = Path(__file__).resolve().parent.parent
FIRST_YEAR = 2001
KINDS = ("grow", "damp", "blend", "max", "add", "share", "capacity")
WEIGHTS = (20, 15, 15, 10, 15, 10, 15)
REDUCTIONS = ("sum_p", "sum_rp", "sum_p", "sum_r", "sum_p", "avg_r", "sum_rp", "max_p", "sum_p", "sum_r",
              "sum_rp", "sum_p")  # one after every REDUCE_EVERY formulas, in this order (cycled)
REDUCE_EVERY = 16
DAMPING = 0.5


# ------------------------------------------------------------------------------ the model

@dataclass(frozen=True)
class Formula:
    name: str
    kind: str  # one of KINDS (by region and product) or REDUCTIONS
    refs: tuple[str, ...]  # earlier formulas: refs[0] is by region and product


@dataclass
class Spec:
    regions: int
    products: int
    periods: int
    formulas: list[Formula]
    inputs: dict[str, np.ndarray]  # name -> (regions or 1, products or 1, periods or 1)
    text: str  # the deterministic model
    uncertain_text: str  # the same with ranges (Monte Carlo); base values are the deterministic ones'

    @property
    def region_items(self) -> list[str]:
        return [f"r{i + 1}" for i in range(self.regions)]

    @property
    def product_items(self) -> list[str]:
        return [f"p{j + 1}" for j in range(self.products)]


def formulas(n: int, seed: int = 11) -> list[Formula]:
    """n formulas by region and product, and a reduction after every REDUCE_EVERY of them."""
    rng = random.Random(seed)
    out = [Formula("f0", "base", ())]
    by_both, every = ["f0"], ["f0"]
    reductions = 0
    for i in range(1, n):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        a, b, c = rng.choice(by_both), rng.choice(every), rng.choice(every)
        out.append(Formula(f"f{i}", kind, (a, b, c)))
        by_both.append(f"f{i}")
        every.append(f"f{i}")
        if i % REDUCE_EVERY == 0:
            kind = REDUCTIONS[reductions % len(REDUCTIONS)]
            name = f"s{reductions}"
            out.append(Formula(name, kind, (rng.choice(by_both),)))
            every.append(name)
            reductions += 1
    return out


def _split(periods: int) -> tuple[str, str]:
    """`2001..2020`, `2021..`: the two halves of the timeline, for per-period tables."""
    half = FIRST_YEAR + periods // 2
    return f"{FIRST_YEAR}..{half - 1}", f"{half}.."


def dimension_model(regions: int = 20, products: int = 10, n: int = 200, periods: int = 40, seed: int = 11) -> Spec:
    rng = random.Random(seed + 1)
    R = [f"r{i + 1}" for i in range(regions)]
    P = [f"p{j + 1}" for j in range(products)]
    first_half, second_half = _split(periods)
    h = periods // 2
    last = FIRST_YEAR + periods - 1
    inputs: dict[str, np.ndarray] = {}
    det: list[str] = []
    unc: list[str] = []

    def both(line_det: str, line_unc: str | None = None):
        det.append(line_det)
        unc.append(line_det if line_unc is None else line_unc)

    def two_halves(lo: float, hi: float) -> np.ndarray:
        return np.array([lo] * h + [hi] * (periods - h))

    both(f'model "dimensions {regions} x {products} x {n} x {periods}"')
    both(f"timeline {FIRST_YEAR}..{last} yearly")
    both("")
    both("dimension region = {" + ", ".join(R) + "}")
    both("dimension product = {" + ", ".join(P) + "}")
    both("")
    # no dimension: one value
    both("input tax = 0.25", "input tax = 0.2 .. 0.3")
    inputs["tax"] = np.full((1, 1, 1), 0.25)
    # by region: a value per item (a range per item in the uncertain model)
    growth = [rng.randint(10, 50) / 1000 for _ in R]
    both("input growth by region = {" + ", ".join(f"{r}: {g}" for r, g in zip(R, growth)) + "}",
         "input growth by region = {" + ", ".join(f"{r}: {g - 0.01:.3f} .. {g + 0.01:.3f}" for r, g in zip(R, growth)) + "}")
    inputs["growth"] = np.array(growth).reshape(regions, 1, 1)
    # by region, per-period tables for the first three items, one value for the rest
    tabled = {r: (rng.randint(10, 20) / 10, rng.randint(15, 25) / 10) for r in R[:3]}
    both("input capacity by region = {" + ", ".join(f"{r}: {{{first_half}: {lo}, {second_half}: {hi}}}"
                                                     for r, (lo, hi) in tabled.items()) + ", default: 1.8}")
    inputs["capacity"] = np.array([two_halves(*tabled[r]) if r in tabled else np.full(periods, 1.8)
                                   for r in R]).reshape(regions, 1, periods)
    # by product: one value for all items
    both("input churn by product = 0.01")
    inputs["churn"] = np.full((1, products, 1), 0.01)
    margin = [rng.randint(20, 40) / 100 for _ in P]
    both("input margin by product = {" + ", ".join(f"{p}: {m}" for p, m in zip(P, margin)) + "}")
    inputs["margin"] = np.array(margin).reshape(1, products, 1)
    mixed = {p: (rng.randint(40, 60) / 100, rng.randint(50, 70) / 100) for p in P[:2]}
    both("input mix by product = {" + ", ".join(f"{p}: {{{first_half}: {lo}, {second_half}: {hi}}}"
                                                for p, (lo, hi) in mixed.items()) + ", default: 0.55}")
    inputs["mix"] = np.array([two_halves(*mixed[p]) if p in mixed else np.full(periods, 0.55)
                              for p in P]).reshape(1, products, periods)
    # by region and product: a nested table of every item; volume has per-period tables for two
    price = [[rng.randint(100, 900) / 100 for _ in P] for _ in R]
    both("input price by region, product: USD = {\n" + ",\n".join(
        f"    {r}: {{" + ", ".join(f"{p}: {v}" for p, v in zip(P, row)) + "}" for r, row in zip(R, price)) + ",\n}")
    inputs["price"] = np.array(price).reshape(regions, products, 1)
    volume = np.empty((regions, products, periods))
    lines = []
    for i, r in enumerate(R):
        entries = []
        for j, p in enumerate(P):
            if (i, j) in ((0, 0), (1, min(1, products - 1))):
                lo, hi = rng.randint(80, 120) / 10, rng.randint(100, 140) / 10
                entries.append(f"{p}: {{{first_half}: {lo}, {second_half}: {hi}}}")
                volume[i, j] = two_halves(lo, hi)
            else:
                v = rng.randint(50, 150) / 10
                entries.append(f"{p}: {v}")
                volume[i, j] = v
        lines.append(f"    {r}: {{" + ", ".join(entries) + "}")
    both("input volume by region, product = {\n" + ",\n".join(lines) + ",\n}")
    inputs["volume"] = volume
    both("")

    spec = formulas(n, seed)
    F, S = str(FIRST_YEAR), f"{FIRST_YEAR + 1}.."
    for f in spec:
        x = f.name
        if f.kind == "base":
            both(f"{x} = price * volume * capacity")
            continue
        a, b, c = (f.refs + (None, None))[:3]
        if f.kind == "grow":
            both(f"{x}[{F}] = {a} * margin")
            both(f"{x}[{S}] = {x}[t-1] * (1 + growth - churn) + {b}[t] * tax")
        elif f.kind == "damp":
            both(f"{x}[{F}] = {a}")
            both(f"{x}[{S}] = {x}[t-1] * {DAMPING} + {a}[t-1] * margin + {b}[t] * mix[t]")
        elif f.kind == "blend":
            both(f"{x} = {a} * {b} / ({b} + {c})")
        elif f.kind == "max":
            both(f"{x} = max({a}, {b}) * margin")
        elif f.kind == "add":
            both(f"{x} = {a} + {b} + {c} * tax")
        elif f.kind == "share":
            both(f"{x} = {a} / sum({a} over product) * {b}")
        elif f.kind == "capacity":
            both(f"{x} = price * capacity * mix + {a} * tax")
        elif f.kind == "sum_p":
            both(f"{x} = sum({a} over product)")
        elif f.kind == "sum_r":
            both(f"{x} = sum({a} over region)")
        elif f.kind == "sum_rp":
            both(f"{x} = sum({a} over region, product)")
        elif f.kind == "avg_r":
            both(f"{x} = average({a} over region)")
        elif f.kind == "max_p":
            both(f"{x} = max({a} over product)")
        else:
            raise AssertionError(f.kind)
    return Spec(regions, products, periods, spec, inputs, "\n".join(det) + "\n", "\n".join(unc) + "\n")


# ------------------------------------------------------------------------------ the limit, by hand

def numpy_model(spec: Spec) -> dict[str, np.ndarray]:
    """Every formula on (regions | 1, products | 1, periods) arrays: one numpy call per operation
    over all items and periods; the recurrences loop over the periods (on all items at once)."""
    v = dict(spec.inputs)
    T = spec.periods
    full = (spec.regions, spec.products, T)
    tax, growth, churn, margin = v["tax"], v["growth"], v["churn"], v["margin"]
    capacity, mix, price = v["capacity"], v["mix"], v["price"]
    grow_coefficient = 1 + growth - churn  # (regions, products, 1)
    price_capacity_mix = price * capacity * mix
    for f in spec.formulas:
        kind = f.kind
        if kind == "base":
            v[f.name] = price * v["volume"] * capacity
            continue
        a = v[f.refs[0]]
        if kind == "grow":
            term = v[f.refs[1]] * tax
            x = np.empty(full)
            x[..., 0] = (a[..., 0] * margin[..., 0])
            A = np.broadcast_to(grow_coefficient[..., 0], full[:2])
            B = np.broadcast_to(term, full)
            for t in range(1, T):
                x[..., t] = x[..., t - 1] * A + B[..., t]
        elif kind == "damp":
            term = np.broadcast_to(a[..., :-1] * margin + v[f.refs[1]][..., 1:] * mix[..., 1:], (full[0], full[1], T - 1))
            x = np.empty(full)
            x[..., 0] = a[..., 0]
            for t in range(1, T):
                x[..., t] = x[..., t - 1] * DAMPING + term[..., t - 1]
        elif kind == "blend":
            b, c = v[f.refs[1]], v[f.refs[2]]
            x = a * b / (b + c)
        elif kind == "max":
            x = np.maximum(a, v[f.refs[1]]) * margin
        elif kind == "add":
            x = a + v[f.refs[1]] + v[f.refs[2]] * tax
        elif kind == "share":
            x = a / a.sum(axis=1, keepdims=True) * v[f.refs[1]]
        elif kind == "capacity":
            x = price_capacity_mix + a * tax
        elif kind == "sum_p":
            x = a.sum(axis=1, keepdims=True)
        elif kind == "sum_r":
            x = a.sum(axis=0, keepdims=True)
        elif kind == "sum_rp":
            x = a.sum(axis=(0, 1), keepdims=True)
        elif kind == "avg_r":
            x = a.sum(axis=0, keepdims=True) / spec.regions
        elif kind == "max_p":
            x = a.max(axis=1, keepdims=True)
        else:
            raise AssertionError(kind)
        v[f.name] = x
    return v


def engine_array(env: dict, spec: Spec, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A quantity's item rows from the engine's values, as (regions | 1, products | 1, periods)."""
    R = spec.region_items if shape[0] > 1 else [None]
    P = spec.product_items if shape[1] > 1 else [None]
    rows = []
    for r in R:
        for p in P:
            items = [i for i in (r, p) if i is not None]
            rows.append(env[f"{name}[{', '.join(items)}]" if items else name])
    return np.array(rows).reshape(len(R), len(P), -1)


def compare(env: dict, spec: Spec, expected: dict) -> float:
    """The largest relative difference between the engine and numpy over every formula's cells;
    SystemExit unless np.allclose(rtol=1e-12, atol=0) holds for all."""
    worst = 0.0
    for f in spec.formulas:
        want = np.broadcast_to(expected[f.name], expected[f.name].shape[:2] + (spec.periods,))
        got = engine_array(env, spec, f.name, want.shape)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-12, atol=0):
            raise SystemExit(f"{f.name} ({f.kind}): the engine and numpy disagree: max relative difference "
                             f"{np.max(np.abs(got - want) / np.abs(want)) if got.shape == want.shape else got.shape}")
        worst = max(worst, float(np.max(np.abs(got - want) / np.abs(want))))
    return worst


# ------------------------------------------------------------------------------ Monte Carlo (child process)

def mc_case(regions: int, products: int, n: int, periods: int, samples: int) -> dict:
    from unitsheet import engine
    from unitsheet.engine.montecarlo import chunk_size, simulate

    spec = dimension_model(regions, products, n, periods)
    model = engine.loads(spec.uncertain_text, "dimensions_uncertain.ush")
    evaluator = model.evaluator()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    keep = [f.name for f in spec.formulas if f.kind == "sum_rp"][:1]  # one series without items
    t0 = time.perf_counter()
    sim = simulate(model, samples, seed=1, keep=keep)
    wall = time.perf_counter() - t0
    checked = model.checked()
    formula_rows = sum(q.kind == "formula" for q in checked.quantities.values())
    cells = samples * evaluator.n * formula_rows
    return {"samples": samples, "periods": evaluator.n, "formula_rows": formula_rows,
            "chunk": chunk_size(evaluator), "eval_s": sim.eval_seconds, "wall_s": wall,
            "cells_per_s_eval": cells / sim.eval_seconds, "percentiles": sim.percentile_note(),
            "max_rss_mb_before": rss_before / 1024,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "full_samples_would_be_mb": samples * evaluator.n * len(evaluator.row_of) * 8 / 2**20}


def run_mc(args, samples: int, timeout: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.dimensions", "--mc-case", str(samples), "--regions",
               str(args.regions), "--products", str(args.products), "--formulas", str(args.formulas),
               "--periods", str(args.periods)]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"samples": samples, "error": f"did not finish in {timeout:.0f} s"}
    if done.returncode:
        return {"samples": samples, "error": (done.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ the runner

def measure(args, log) -> dict:
    from unitsheet import engine
    from unitsheet.engine.check import check
    from unitsheet.engine.dimensions import expand
    from unitsheet.engine.evaluate import Evaluator
    from unitsheet.engine.gcpause import collector_paused
    from unitsheet.engine.model import Model, input_values
    from unitsheet.engine.parser import parse

    few, many = (1, 5) if args.quick else (3, 11)
    spec = dimension_model(args.regions, args.products, args.formulas, args.periods)
    text = spec.text
    out: dict = {"regions": args.regions, "products": args.products, "formulas": len(spec.formulas),
                 "formulas_by_region_product": args.formulas, "periods": args.periods,
                 "statements": sum(1 for line in text.splitlines() if line and not line.startswith(" "))}
    log(f"{args.regions} regions x {args.products} products x {args.formulas} formulas x {args.periods} periods: compile")
    with collector_paused():  # as engine.loads and Model.checked run them (engine/gcpause.py)
        out["parse_s"] = median_time(lambda: parse(text, "dimensions.ush"), few)
        module = parse(text, "dimensions.ush")
        out["expand_s"] = median_time(lambda: expand(module, text), few)
        expanded = expand(module, text)
        out["check_base_s"] = median_time(lambda: check(expanded, "base", text), few)
    # what the brief names: engine.loads(text).checked(), the parse excluded (a fresh Model each time)
    out["check_s"] = median_time(lambda: Model(text, "dimensions.ush", module).checked(), few)
    t0 = time.perf_counter()
    model = engine.loads(text, "dimensions.ush")
    checked = model.checked()
    out["loads_and_checked_s"] = time.perf_counter() - t0
    with collector_paused():
        out["plan_s"] = median_time(lambda: Evaluator(checked), few)
    evaluator = model.evaluator()
    out["rows"] = len(checked.quantities)
    out["formula_rows"] = sum(q.kind == "formula" for q in checked.quantities.values())
    out["formula_cells"] = out["formula_rows"] * args.periods
    out["plan_entries"] = len(evaluator.order)
    out["plan_entry_kinds"] = {k: sum(1 for kind, _ in evaluator.order if kind == k)
                               for k in sorted({kind for kind, _ in evaluator.order})}

    log("evaluate, and numpy by hand")
    inputs = input_values(checked, {})
    env = evaluator.run(inputs)  # the warm-up
    expected = numpy_model(spec)
    out["engine_vs_numpy_max_rel"] = compare(env, spec, expected)
    out["eval_s"] = median_time(lambda: evaluator.run(inputs), many)
    out["model_run_s"] = median_time(lambda: model.run(), many)
    numpy_model(spec)
    out["numpy_s"] = median_time(lambda: numpy_model(spec), many)
    out["eval_over_limit"] = out["eval_s"] / out["numpy_s"]
    out["formula_cells_per_s_eval"] = out["formula_cells"] / out["eval_s"]
    out["max_rss_mb_main"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if args.samples:
        pilot = min(args.pilot, args.samples)
        log(f"Monte Carlo: pilot of {pilot:,} samples (child process)")
        out["mc_pilot"] = run_mc(args, pilot, args.mc_timeout)
        samples = args.samples
        if "error" not in out["mc_pilot"] and samples > pilot:
            projected = out["mc_pilot"]["wall_s"] * samples / pilot
            out["mc_projected_s"] = projected
            if projected > args.mc_budget and samples > 1000:
                out["mc_note"] = (f"{samples:,} samples projected at {projected:.0f} s (> {args.mc_budget:.0f} s): "
                                  f"measured at 1,000")
                samples = 1000
        if "error" in out["mc_pilot"] or samples == pilot:
            out["mc"] = out["mc_pilot"]
        else:
            log(f"Monte Carlo: {samples:,} samples (child process)")
            out["mc"] = run_mc(args, samples, args.mc_timeout)
            if "mc_note" in out and "error" not in out["mc"]:
                # the pilot includes the fixed costs (the base run, the final percentiles): project from the
                # marginal cost per sample between the pilot and this run instead
                per_sample = (out["mc"]["wall_s"] - out["mc_pilot"]["wall_s"]) / (samples - pilot)
                out["mc_projected_s"] = out["mc_pilot"]["wall_s"] + per_sample * (args.samples - pilot)
                out["mc_note"] = (f"{args.samples:,} samples would take about {out['mc_projected_s']:.0f} s "
                                  f"(from the {pilot:,}- and {samples:,}-sample runs): measured at {samples:,}")

    if not args.no_export:
        from unitsheet.exports.xlsx import export_workbook

        log("export")
        with tempfile.TemporaryDirectory(prefix="unitsheet-dims-") as tmp:
            exported = engine.loads(text, str(Path(tmp) / "dimensions.ush"))
            exported.evaluator()
            t0 = time.perf_counter()
            summary = export_workbook(exported, Path(tmp) / "dimensions.xlsx")
            out["export_s"] = time.perf_counter() - t0
            out["export_formula_cells"] = summary["formula_cells"]
            out["export_cells_per_s"] = summary["formula_cells"] / out["export_s"]
            out["export_mb"] = (Path(tmp) / "dimensions.xlsx").stat().st_size / 2**20
    return out


def table(r: dict) -> str:
    def s(v):
        return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.3g}")

    mc = r.get("mc") or {}
    lines = ["| measure | value |", "|---|---|",
             (f"| model | {r['regions']} regions x {r['products']} products x {r['formulas_by_region_product']} "
              f"formulas by both (+{r['formulas'] - r['formulas_by_region_product']} reductions) x {r['periods']} years |"),
             f"| quantities written out (rows) / formula cells | {r['rows']:,} / {r['formula_cells']:,} |",
             f"| parse s | {s(r['parse_s'])} |",
             f"| check s (`Model.checked()`: expansion + checker) | {s(r['check_s'])} |",
             f"| ... of which expansion item by item s | {s(r['expand_s'])} |",
             f"| plan s (`Evaluator`) | {s(r['plan_s'])} |",
             f"| evaluate ms (`Evaluator.run`, median) | {s(r['eval_s'] * 1000)} |",
             f"| `Model.run` ms (median) | {s(r['model_run_s'] * 1000)} |",
             f"| numpy by hand ms (limit) | {s(r['numpy_s'] * 1000)} |",
             f"| evaluation / limit | {r['eval_over_limit']:.2f}x |",
             f"| engine vs numpy, max relative difference | {r['engine_vs_numpy_max_rel']:.1e} |"]
    if mc:
        if "error" in mc:
            lines.append(f"| Monte Carlo {mc['samples']:,} samples | failed: {mc['error']} |")
        else:
            lines += [f"| Monte Carlo samples (chunk) | {mc['samples']:,} ({mc['chunk']:,}) |",
                      f"| Monte Carlo wall s / evaluation s | {s(mc['wall_s'])} / {s(mc['eval_s'])} |",
                      f"| Monte Carlo max RSS MB (before simulate) | {s(mc['max_rss_mb'])} ({s(mc['max_rss_mb_before'])}) |",
                      f"| Monte Carlo percentiles | {mc['percentiles']} |"]
        if r.get("mc_note"):
            lines.append(f"| Monte Carlo note | {r['mc_note']} |")
    if "export_s" in r:
        lines += [f"| export s (XlsxWriter, values stored) | {s(r['export_s'])} |",
                  f"| export formula cells / per second | {r['export_formula_cells']:,} / {s(r['export_cells_per_s'])} |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.dimensions", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 regions x 4 products, 1,000 samples: under a minute")
    ap.add_argument("--regions", type=int)
    ap.add_argument("--products", type=int)
    ap.add_argument("--formulas", type=int, default=200, help="formulas by region and product (reductions added)")
    ap.add_argument("--periods", type=int, default=40)
    ap.add_argument("--samples", type=int, help="Monte Carlo samples (0: none); default 10,000 (--quick: 1,000)")
    ap.add_argument("--pilot", type=int, default=100, help="Monte Carlo samples of the pilot run")
    ap.add_argument("--mc-budget", type=float, default=180,
                    help="seconds: above this projection the Monte Carlo runs 1,000 samples")
    ap.add_argument("--mc-timeout", type=float, default=1800)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--mc-case", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.regions = args.regions or (5 if args.quick else 20)
    args.products = args.products or (4 if args.quick else 10)
    if args.samples is None:
        args.samples = 1000 if args.quick else 10_000
    if args.mc_case:
        print(json.dumps(mc_case(args.regions, args.products, args.formulas, args.periods, args.mc_case)))
        return 0

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    r = measure(args, log)
    r["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
    r["python"], r["numpy"] = platform.python_version(), np.__version__
    print(table(r))
    print()
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
