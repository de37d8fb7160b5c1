"""The HTML page and a notebook's tables (issue 29): `run --format html` (exports/html.py
model_page) and Results._repr_html_, against the text table `run` prints (engine/report.py).

    python -m benchmarks.html_page           # the OpenAI model, synthetic 1,000 and 10,000 quantities
    python -m benchmarks.html_page --quick   # the OpenAI model and a 200-quantity one (a smoke test)

For each model: one Model.run (untimed), then the median of REPEATS calls of each renderer, and
the page's size. Every page is checked first: one row per quantity, one chart per numeric series.
The last line is JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.synthetic import synthetic_model
from unitsheet import engine
from unitsheet.engine import report
from unitsheet.exports.html import model_page

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3


def _median(call) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(label: str, model) -> dict:
    results = model.run()
    page = model_page(results)
    charts = sum(1 for q in results.model.quantities.values()
                 if q.series and q.unit is not None and not report.shows_period(q))
    assert page.count("<svg") - page.count("<figure") == charts, (page.count("<svg"), charts)  # figures: chart statements
    return {"model": label, "quantities": len(results.model.quantities),
            "page_s": _median(lambda: model_page(results)), "page_mb": len(page.encode()) / 1e6,
            "notebook_s": _median(results._repr_html_), "text_table_s": _median(lambda: report.table(results))}


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    models = [("OpenAI", engine.load(ROOT / "models" / "openai_capex.ush"))]
    for n in ([200] if quick else [1000, 10_000]):
        models.append((f"synthetic {n:,}", engine.loads(synthetic_model(n, periods=40), f"synthetic_{n}.ush")))
    rows = [measure(label, model) for label, model in models]
    print("| model | quantities | page s | page MB | notebook s | text table s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['quantities']:,} | {r['page_s']:.3g} | {r['page_mb']:.3g} | "
              f"{r['notebook_s']:.3g} | {r['text_table_s']:.3g} |")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
