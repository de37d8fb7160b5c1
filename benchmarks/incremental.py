"""Incremental reruns: change one input, recompute only what depends on it.

    python -m benchmarks.incremental

For each case: how many formulas a full run and a rerun with `since=` evaluate, and their median
times (the rerun also pays for parsing the override and copying the value matrix).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from unitsheet import engine
from benchmarks import median_time
from benchmarks.synthetic import synthetic_model

ROOT = Path(__file__).resolve().parent.parent
CASES = [("OpenAI", lambda: engine.load(ROOT / "models/openai_capex.ush"), "cost_per_gw", "58 billion USD/GW"),
         ("OpenAI", lambda: engine.load(ROOT / "models/openai_capex.ush"), "commitment_view", "2"),
         ("synthetic 10,000", lambda: engine.loads(synthetic_model(10_000), "s.ush"), "price", "4 USD/MW")]


def main() -> int:
    print("| model | input changed | formulas | recomputed | full run ms | rerun ms |")
    print("|---|---|---|---|---|---|")
    for label, load, name, value in CASES:
        model = load()
        base = model.run()
        evaluator = model.evaluator()
        full = model.run(overrides={name: value})
        formulas = evaluator.last_run_quantities
        again = model.run(overrides={name: value}, since=base)
        recomputed = evaluator.last_run_quantities
        assert all(np.array_equal(full.values[k], again.values[k], equal_nan=True) for k in full.values)
        t_full = median_time(lambda: model.run(overrides={name: value}), 21) * 1000
        t_since = median_time(lambda: model.run(overrides={name: value}, since=base), 21) * 1000
        print(f"| {label} | `{name}` = {value} | {formulas:,} | {recomputed:,} | {t_full:.2f} | {t_since:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
