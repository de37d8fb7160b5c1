"""`unitsheet diff`'s cost (issue 29 item 1): the OpenAI model with input and formula edits, and
synthetic models of 1,000 and 10,000 quantities with one input edit and one formula edit.

For each case: the whole comparison (`Model.diff`, both versions compiled first and not counted),
and the attribution's two routes side by side: the input edits as rows of one evaluation of OLD
(what `diff` does) against the same edits as hybrid texts, each compiled and run (what it would do
otherwise); the two routes' effects are compared first (rel 1e-9).

    python -m benchmarks.diff [--quick]
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from unitsheet import engine
from unitsheet.engine.diff_numbers import Edits, compare

from .synthetic import synthetic_model

ROOT = Path(__file__).resolve().parent.parent


def openai_case() -> tuple[str, str, str]:
    old = (ROOT / "models" / "openai_capex.ush").read_text()
    new = old
    for name, was, now in (("round_headline", "110 billion USD", "115 billion USD"),
                           ("valuation_round_2026", "730 billion USD", "760 billion USD"),
                           ("run_rate_jul_2025", "12 billion USD/year", "13 billion USD/year"),
                           ("amazon_new_spend", None, None), ("talks_nvidia", None, None)):
        if was is None:
            match = re.search(rf"^input {name} = (\d+(?:\.\d+)?)", new, re.M)
            new = new.replace(match.group(0), f"input {name} = {float(match.group(1)) * 1.1!r}", 1)
        else:
            new = new.replace(f"input {name} = {was}", f"input {name} = {now}", 1)
    new = new.replace("free_cash_flow = -cash_burn", "free_cash_flow = -cash_burn * 1.1")
    new = new.replace("revenue[2031-01..] = revenue[t-12] * (1 + revenue_growth_after_2030)",
                      "revenue[2031-01..] = revenue[t-12] * (1.01 + revenue_growth_after_2030)")
    return "OpenAI (5 inputs, 2 formulas)", old, new


def synthetic_case(n: int) -> tuple[str, str, str]:
    old = synthetic_model(n)
    new = old.replace("input price = 3 USD/MW", "input price = 3.3 USD/MW", 1)
    last = [line for line in old.split("\n") if line.startswith(f"q{n - 1}")][0]
    head, rhs = last.split(" = ", 1)
    new = new.replace(last, f"{head} = ({rhs}) * 1.01", 1)
    return f"synthetic {n:,} (1 input, 1 formula)", old, new


def measure(label: str, old_text: str, new_text: str, repeats: int) -> dict:
    old, new = engine.loads(old_text, "old.ush"), engine.loads(new_text, "new.ush")
    old.checked(), new.checked()
    result = compare(old, new)
    edits = Edits(old, new, result.changes)
    before = old.run("base")
    rows = [m.old_name for m in result.scenarios[0].moves]
    by_rows = edits._by_rows("base", before, rows)
    for k in by_rows:  # the routes agree before anything is timed
        by_text = edits._by_text(k, edits.edits[k], "base", before, rows)
        for row in rows:
            assert np.allclose(by_rows[k].values[row], by_text.values[row], rtol=1e-9, atol=1e-6, equal_nan=True)
    whole = _median(lambda: compare(old, new), repeats)
    as_rows = _median(lambda: Edits(old, new, result.changes)._by_rows("base", before, rows), repeats)

    def as_texts():
        fresh = Edits(old, new, result.changes)
        for k in by_rows:
            fresh._by_text(k, fresh.edits[k], "base", before, rows)
    texts = _median(as_texts, max(1, repeats // 3))
    return {"case": label, "edits": len(edits.edits), "input_edits": len(by_rows), "scenarios": len(result.scenarios),
            "rows_moved_base": len(rows), "diff_s": whole, "inputs_as_rows_s": as_rows, "inputs_as_texts_s": texts}


def _median(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    cases = [openai_case(), synthetic_case(200 if quick else 1000)] + ([] if quick else [synthetic_case(10_000)])
    results = [measure(*case, repeats=1 if quick or "10,000" in case[0] else 3) for case in cases]
    print("| case | edits (inputs) | scenarios | rows moved (base) | diff s | input edits as rows s | as texts s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['edits']} ({r['input_edits']}) | {r['scenarios']} | {r['rows_moved_base']} | "
              f"{r['diff_s']:.3f} | {r['inputs_as_rows_s']:.4f} | {r['inputs_as_texts_s']:.3f} |")
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
