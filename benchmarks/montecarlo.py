"""Monte Carlo throughput: samples x periods x quantities per second, and the memory it takes.

    python -m benchmarks.montecarlo            # OpenAI model and the 1,000-quantity synthetic, 10,000 samples
    python -m benchmarks.montecarlo --dask     # also on a local 2-worker Dask cluster
    python -m benchmarks.montecarlo --rss 10000 1000000 10000000   # peak memory against the sample count

Each case runs in a child process, so its peak memory (max RSS) is its own. Only the check
probabilities and one quantity's samples are kept: the chunks bound the memory of evaluation.
--rss runs the command itself, `unitsheet simulate models/openai_capex.ush -n N` (table output
to /dev/null), and reads the child's max RSS from os.wait4; --max-gb caps its address space, so
that a run that would not fit fails (MemoryError) instead of pushing the machine into swap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def case(which: str, samples: int, backend: str) -> dict:
    from unitsheet import engine
    from benchmarks.synthetic import synthetic_model
    from unitsheet.engine.uncertainty import chunk_size, simulate

    if which == "openai":
        model = engine.load(ROOT / "models/openai_capex.ush")
        keep = ["cash_balance"]
    else:
        model = engine.loads(synthetic_model(1000, uncertain=True), "synthetic_1000.ush")
        keep = ["q999"]
    evaluator = model.evaluator()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    sim = simulate(model, samples, seed=1, keep=keep, backend=backend)
    wall = time.perf_counter() - t0
    formulas = sum(q.kind == "formula" for q in model.checked().quantities.values())
    cells = samples * evaluator.n * formulas
    return {"model": which, "backend": backend, "samples": samples, "periods": evaluator.n, "formulas": formulas,
            "chunk": chunk_size(evaluator), "eval_s": sim.eval_seconds, "wall_s": wall,
            "cells_per_s_eval": cells / sim.eval_seconds, "cells_per_s_wall": cells / wall,
            "max_rss_mb_before": rss_before / 1024, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "full_samples_would_be_mb": samples * evaluator.n * len(evaluator.row_of) * 8 / 2**20}


def rss(samples: int, max_gb: float | None = None) -> dict:
    """Wall time and peak RSS of `unitsheet simulate models/openai_capex.ush -n samples`."""
    def cap():
        if max_gb:
            limit = int(max_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-m", "unitsheet", "simulate", "models/openai_capex.ush", "-n", str(samples)]
    t0 = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=cap)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here
    return {"samples": samples, "wall_s": wall, "max_rss_mb": usage.ru_maxrss / 1024, "exit": child.returncode,
            "max_gb": max_gb}


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.montecarlo")
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--dask", action="store_true", help="also run each case on a local Dask cluster")
    ap.add_argument("--rss", type=int, nargs="+", metavar="N",
                    help="instead: peak RSS of `unitsheet simulate models/openai_capex.ush -n N` for each N")
    ap.add_argument("--max-gb", type=float, help="with --rss: cap each run's address space (GB)")
    ap.add_argument("--case", nargs=3, metavar=("MODEL", "SAMPLES", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss:
        rows = []
        for n in args.rss:
            rows.append(rss(n, args.max_gb))
            print(json.dumps(rows[-1]), flush=True)
        print("| samples | wall s | max RSS MB | exit |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r['samples']:,} | {r['wall_s']:.3g} | {r['max_rss_mb']:,.0f} | {r['exit']} |")
        return 0
    if args.case:
        print(json.dumps(case(args.case[0], int(args.case[1]), args.case[2])))
        return 0
    rows = []
    for which in ("openai", "synthetic"):
        for backend in ("numpy", "dask") if args.dask else ("numpy",):
            done = subprocess.run([sys.executable, "-m", "benchmarks.montecarlo", "--case", which, str(args.samples),
                                   backend], capture_output=True, text=True, check=True, cwd=ROOT)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]))
    print("| model | backend | samples | periods x formulas | chunk | evaluation s | wall s | cells/s (eval) | max RSS MB | all samples would be MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['backend']} | {r['samples']:,} | {r['periods']} x {r['formulas']:,} | {r['chunk']:,} | "
              f"{r['eval_s']:.3g} | {r['wall_s']:.3g} | {r['cells_per_s_eval']:.3g} | {r['max_rss_mb']:.0f} | "
              f"{r['full_samples_would_be_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
