"""The benchmark runner: unitsheet against the real alternatives, side by side, in one run.

    python -m benchmarks --quick              # N = 1,000 only, under a minute; last line: JSON
    python -m benchmarks                      # N = 100, 1,000, 10,000; formulas and pycel up to 1,000
    python -m benchmarks --sizes 100 1000 --spreadsheets-up-to 100 --readme

For each N (synthetic model of N quantities x 40 years, benchmarks/synthetic.py) it measures,
as medians of repeated runs: parse, check, plan (compile); evaluation; export (XlsxWriter, with
stored values); the whole `unitsheet run` process (cold, and with the parse cache warm); the
exported workbook recalculated by LibreOffice headless (whole process, and the recalculation
alone: always-recalc minus never-recalc); `formulas` and `pycel` (in a child process, with a
timeout); and the hand-written limits: plain Python floats and numpy. The engine's values are
compared with the Python loop's first: a benchmark of wrong numbers would be worthless.

Times are never asserted: CI runs `--quick` only to prove the runner works.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import median_time
from benchmarks.synthetic import numpy_rows, python_loop, rows, synthetic_model
from unitsheet.engine.check import check
from unitsheet.engine.evaluate import Evaluator
from unitsheet.engine.gcpause import collector_paused
from unitsheet.engine.model import input_values, loads
from unitsheet.engine.parser import parse
from unitsheet.exports.recalc import libreoffice_recalculate, soffice


def _process_time(args: list[str], env: dict, repeats: int) -> float:
    def once():
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return median_time(once, repeats)


def measure(n: int, workdir: Path, quick: bool, spreadsheets_up_to: int, timeout: float, log,
            frequency: str = "yearly", periods: int = 40) -> dict:
    few = 1 if quick or n * periods >= 400_000 else 3
    many = 5 if n * periods >= 400_000 else 21
    text = synthetic_model(n, periods, frequency=frequency)
    model_path = workdir / f"synthetic_{n}_{frequency}.ush"
    model_path.write_text(text)
    out: dict = {"n": n, "periods": periods, "frequency": frequency, "formula_cells": None}

    log(f"N={n}: compile")
    with collector_paused():  # as the pipeline runs it (engine/gcpause.py)
        out["parse_s"] = median_time(lambda: parse(text, model_path.name), few)
        module = parse(text, model_path.name)
        out["check_s"] = median_time(lambda: check(module, "base", text), few)
        checked = check(module, "base", text)
        out["plan_s"] = median_time(lambda: Evaluator(checked), few)
        evaluator = Evaluator(checked)
    out["compile_s"] = out["parse_s"] + out["check_s"] + out["plan_s"]

    log(f"N={n}: evaluate, and the hand-written limits")
    inputs = input_values(checked, {})
    env = evaluator.run(inputs)
    spec = rows(n)
    expected = np.array(python_loop(spec, periods))
    got = np.array([env[f"q{i}"] for i in range(n)])
    out["engine_vs_python_loop_max_rel"] = float(np.max(np.abs(got - expected) / np.abs(expected)))
    if not out["engine_vs_python_loop_max_rel"] <= 1e-12:
        raise SystemExit(f"N={n}: the engine and the Python loop disagree ({out['engine_vs_python_loop_max_rel']})")
    out["eval_s"] = median_time(lambda: evaluator.run(inputs), many)
    out["python_loop_s"] = median_time(lambda: python_loop(spec, periods), many)
    out["numpy_s"] = median_time(lambda: numpy_rows(spec, periods), many)

    book = workdir / f"synthetic_{n}_{frequency}.xlsx"
    if n <= 10_000:
        log(f"N={n}: export")
        from unitsheet.exports.xlsx import export_workbook

        model = loads(text, str(model_path))
        model.evaluator()
        t0 = time.perf_counter()
        summary = export_workbook(model, book)
        out["export_s"] = time.perf_counter() - t0
        out["formula_cells"] = summary["formula_cells"]
        out["export_cells_per_s"] = summary["formula_cells"] / out["export_s"]

    log(f"N={n}: unitsheet run, whole process")
    command = [sys.executable, "-m", "unitsheet", "run", str(model_path)]
    cold = dict(os.environ, UNITSHEET_CACHE_DIR="")
    warm = dict(os.environ, UNITSHEET_CACHE_DIR=str(workdir / "parse-cache"))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=warm)  # fills the cache
    out["run_process_s"] = _process_time(command, cold, few)
    out["run_process_warm_s"] = _process_time(command, warm, few)

    out["libreoffice_s"] = out["libreoffice_recalc_s"] = None
    if soffice() and book.exists():
        log(f"N={n}: LibreOffice")
        lo = workdir / f"lo-{n}-{frequency}"
        pairs = 1 if quick else (5 if n <= 1000 else 2)  # alternated, so drift hits both modes alike
        always, never = [], []
        for _ in range(pairs):
            always.append(median_time(lambda: libreoffice_recalculate(book, lo, True, timeout), 1))
            never.append(median_time(lambda: libreoffice_recalculate(book, lo, False, timeout), 1))
        out["libreoffice_s"] = statistics.median(always)
        out["libreoffice_never_s"] = statistics.median(never)
        # Whole-process noise is a few tenths of a second: below that the difference says "too small to see".
        out["libreoffice_recalc_s"] = statistics.median(a - b for a, b in zip(always, never))

    for tool in ("formulas", "pycel"):
        out[f"{tool}_s"] = out[f"{tool}_load_s"] = None
        if quick or n * periods > spreadsheets_up_to * 40 or not book.exists():
            out[f"{tool}_note"] = "not run (quick mode)" if quick else f"not run above N={spreadsheets_up_to} x 40"
            continue
        log(f"N={n}: {tool} (timeout {timeout:.0f} s)")
        try:
            done = subprocess.run([sys.executable, "-m", "benchmarks.spreadsheets", tool, str(book)],
                                  check=True, capture_output=True, text=True, timeout=timeout)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"{tool}_s"], out[f"{tool}_load_s"] = result["compute_s"], result["load_s"]
            if "recompute_s" in result:
                out[f"{tool}_recompute_s"] = result["recompute_s"]
        except subprocess.TimeoutExpired:
            out[f"{tool}_note"] = f"did not finish in {timeout:.0f} s"
        except subprocess.CalledProcessError as err:
            out[f"{tool}_note"] = "failed: " + (err.stderr.strip().splitlines() or ["?"])[-1][:200]
    return out


def ratios(r: dict) -> dict:
    def ratio(a, b):
        return None if r.get(a) is None or r.get(b) is None or not r[b] else round(r[a] / r[b], 3)
    limit = min(r["numpy_s"], r["python_loop_s"])
    return {
        "n": r["n"], "periods": r["periods"], "frequency": r["frequency"],
        "eval_over_limit": round(r["eval_s"] / limit, 3),
        "libreoffice_recalc_over_eval": ratio("libreoffice_recalc_s", "eval_s"),
        "libreoffice_process_over_run_process": ratio("libreoffice_s", "run_process_s"),
        "libreoffice_process_over_run_process_warm": ratio("libreoffice_s", "run_process_warm_s"),
        "formulas_over_eval": ratio("formulas_s", "eval_s"),
        "pycel_over_eval": ratio("pycel_s", "eval_s"),
    }


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    for package in ("numpy", "lark", "pint", "XlsxWriter", "formulas", "pycel"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    if soffice():
        done = subprocess.run([soffice(), "--version"], capture_output=True, text=True)
        out["libreoffice"] = " ".join(done.stdout.split()[:2])
    return out


def _fmt(v, digits=3) -> str:
    if v is None:
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


ROWS = [("parse", "parse_s"), ("check", "check_s"), ("plan", "plan_s"), ("evaluate", "eval_s"),
        ("Python float loop (limit)", "python_loop_s"), ("numpy row by row (limit)", "numpy_s"),
        ("export (XlsxWriter, values stored)", "export_s"), ("export, formula cells per second", "export_cells_per_s"),
        ("`unitsheet run`, whole process, cold", "run_process_s"),
        ("`unitsheet run`, whole process, parse cache warm", "run_process_warm_s"),
        ("LibreOffice, whole process (load, recalculate, save)", "libreoffice_s"),
        ("LibreOffice, same without recalculating (stored values)", "libreoffice_never_s"),
        ("LibreOffice, recalculation alone (difference of the two)", "libreoffice_recalc_s"),
        ("`formulas`: load", "formulas_load_s"), ("`formulas`: compute", "formulas_s"),
        ("`pycel`: load", "pycel_load_s"), ("`pycel`: compute", "pycel_s"),
        ("`pycel`: recompute after one input", "pycel_recompute_s")]


def _column(r: dict) -> str:
    if r.get("frequency", "yearly") == "yearly":
        return f"N = {r['n']:,}"
    return f"N = {r['n']:,}, {r['periods']} months"


def markdown(results: list[dict]) -> str:
    head = "| seconds (median) | " + " | ".join(_column(r) for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    for label, key in ROWS:
        lines.append(f"| {label} | " + " | ".join(_fmt(r.get(key)) for r in results) + " |")
    lines.append("| formula cells in the workbook | " + " | ".join(_fmt(r.get("formula_cells")) for r in results) + " |")
    return "\n".join(lines)


def write_readme(results: list[dict], path: Path) -> None:
    start, end = "<!-- benchmark table: start -->", "<!-- benchmark table: end -->"
    text = path.read_text()
    block = (f"{start}\nMeasured {time.strftime('%Y-%m-%d')} on {versions()['machine']} "
             f"({json.dumps(versions())}).\n\n{markdown(results)}\n\nRatios: "
             f"`{json.dumps([ratios(r) for r in results])}`\n{end}")
    text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 1,000 only, no formulas/pycel: under a minute")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--spreadsheets-up-to", type=int, default=1000, help="largest N given to formulas and pycel")
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed to each spreadsheet evaluator")
    ap.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    ap.add_argument("--monthly", type=int, default=1000, metavar="N",
                    help="also N quantities x 120 months (0: not; not with --quick)")
    args = ap.parse_args(argv)
    sizes = [1000] if args.quick else args.sizes

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="unitsheet-bench-") as tmp:
        results = [measure(n, Path(tmp), args.quick, args.spreadsheets_up_to, args.timeout, log) for n in sizes]
        if args.monthly and not args.quick:  # quick: proves the runner works, in CI's time
            results.append(measure(args.monthly, Path(tmp), args.quick, args.spreadsheets_up_to, args.timeout, log,
                                   frequency="monthly", periods=120))
    print(markdown(results))
    print()
    print(json.dumps({"ratios": [ratios(r) for r in results], "versions": versions()}))
    if args.readme:
        write_readme(results, Path(__file__).parent / "README.md")
    r = next((r for r in results if r["n"] == 1000 and r["frequency"] == "yearly"), results[0])
    keys = ["n", "parse_s", "check_s", "eval_s", "export_s", "run_process_s", "numpy_s", "python_loop_s",
            "libreoffice_s", "formulas_s"]
    print(json.dumps({k: r.get(k) for k in keys} | {"run_process_warm_s": r.get("run_process_warm_s"),
                                                   "formulas_note": r.get("formulas_note")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
