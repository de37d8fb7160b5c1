"""Compile time (parse + check + plan) against model size; prints the log-log slope.

    python -m benchmarks.compile_scaling 1000 10000 100000
"""

from __future__ import annotations

import json
import math
import sys
import time

from benchmarks.synthetic import synthetic_model
from unitsheet.engine.check import check
from unitsheet.engine.evaluate import Evaluator
from unitsheet.engine.gcpause import collector_paused
from unitsheet.engine.parser import parse


def measure(n: int) -> dict:
    with collector_paused():  # as the pipeline compiles (engine/model.py)
        return _measure(n)


def _measure(n: int) -> dict:
    text = synthetic_model(n)
    t0 = time.perf_counter()
    module = parse(text, f"synthetic_{n}.ush")
    t1 = time.perf_counter()
    checked = check(module, "base", text)
    t2 = time.perf_counter()
    Evaluator(checked)
    t3 = time.perf_counter()
    return {"n": n, "bytes": len(text), "parse_s": t1 - t0, "check_s": t2 - t1, "plan_s": t3 - t2,
            "compile_s": t3 - t0}


def main(sizes: list[int]) -> None:
    rows = [measure(n) for n in sizes]
    for row in rows:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    first, last = rows[0], rows[-1]
    slope = math.log(last["compile_s"] / first["compile_s"]) / math.log(last["n"] / first["n"])
    print(json.dumps({"exponent": round(slope, 3), "from": first["n"], "to": last["n"]}))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
