"""check --explore against the number of uncertain inputs: where the time goes, and how it grows.

    python -m benchmarks.explore                      # 100, 500, 1,000, 2,000, 4,000 inputs, 100 examples
    python -m benchmarks.explore --inputs 200 2000 --examples 500

The model is one ranged input per item of a dimension and a check on their sum that fails when
the inputs are high on average (it fails at the all-high corner; the shrink then walks half the
inputs back to the base and one to the boundary): the shape of the issue's report (2,000 ranged
items crashed Hypothesis; 1,000 took 296 s). Each size runs in a child process, so its peak memory
(max RSS) is its own. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def model_text(n: int) -> str:
    items = ", ".join(f"i{k}" for k in range(n))
    return (f'model "explore {n}"\ntimeline 2025..2027 yearly\ndimension item = {{{items}}}\n'
            f"input x by item = 0 .. 2\n    base 1\ntotal = sum(x over item)\n"
            f'check "not too big": total <= {n} * 1.5\n')


def case(n: int, examples: int) -> dict:
    from unitsheet import engine
    from unitsheet.engine import explore as search

    model = engine.loads(model_text(n), f"explore_{n}.ush")
    model.evaluator()  # compiled before the clock starts
    stages: dict[str, float] = {}
    shrink = search.shrink

    def timed_shrink(*args):
        t = time.perf_counter()
        try:
            return shrink(*args)
        finally:
            stages["shrink_s"] = stages.get("shrink_s", 0.0) + time.perf_counter() - t
    search.shrink = timed_shrink
    t0 = time.perf_counter()
    result = search.explore(model, examples, seed=0)
    wall = time.perf_counter() - t0
    [finding] = result.findings
    return {"inputs": n, "examples": result.searched["base"]["examples"], "corners": result.searched["base"]["corners"],
            "wall_s": wall, "search_s": wall - stages["shrink_s"], "shrink_s": stages["shrink_s"],
            "moved": sum(v != 1 for v in finding.inputs.values()),
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def markdown(rows: list[dict]) -> str:
    lines = ["| uncertain inputs | examples run | corners | search s | shrink s | wall s | inputs moved | max RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['inputs']:,} | {r['examples']:,} | {r['corners']:,} | {r['search_s']:.2f} | "
                     f"{r['shrink_s']:.2f} | {r['wall_s']:.2f} | {r['moved']:,} | {r['max_rss_mb']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.explore", description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, nargs="+", default=[100, 500, 1000, 2000, 4000])
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--case", type=int, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(case(args.case, args.examples)))
        return 0
    rows = []
    for n in args.inputs:
        done = subprocess.run([sys.executable, "-m", "benchmarks.explore", "--case", str(n),
                               "--examples", str(args.examples)], check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{n} inputs: {rows[-1]['wall_s']:.2f} s", file=sys.stderr, flush=True)
    print(markdown(rows))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
