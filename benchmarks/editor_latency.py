"""The editor's diagnostics after a one-line edit (issue 28, fast re-checks): what `unitsheet lsp`
computes between a keystroke and its two publishes (engine/lsp.py), in-process, without the
protocol's few hundred microseconds.

    python -m benchmarks.editor_latency           # the OpenAI model and the 10,000-quantity synthetic one
    python -m benchmarks.editor_latency --quick   # the OpenAI model and a 200-quantity one (a smoke test)

Each timed version is a Document (engine/editor.py) of the text with one formula edited (` * 1`
appended to the one-line formula nearest the middle, as benchmarks/editing.py edits) or of the
edit undone, alternately, each built by the open file's IncrementalParser from the Document of the
version before (whose name index it reuses for every statement that did not change, and whose
check it keeps: an edit of one equation is retyped alone, engine/check/retype.py):
  - checked: parse (statement by statement) and the checker, every scenario: the first publish;
  - all: then every scenario run (evaluation errors, failing checks): the second publish.
The last line is JSON."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.editing import edits
from benchmarks.synthetic import synthetic_model
from unitsheet.engine.editor import Document
from unitsheet.engine.gcpause import collector_paused
from unitsheet.engine.incremental_parse import IncrementalParser

ROOT = Path(__file__).resolve().parent.parent


def latency(label: str, text: str, repeats: int) -> dict:
    edited = edits(text)["statement changed"]
    parser = IncrementalParser("m.ush")
    doc = Document(text, "m.ush", parser=lambda t, _: parser.parse(t))  # the version open before the edit
    checked, everything, retyped = [], [], 0
    for k in range(repeats):  # the edit, its undo, the edit...: each version made from the one before
        t0 = time.perf_counter()
        with collector_paused():  # as engine/lsp.py makes them
            doc = Document(edited if k % 2 == 0 else text, "m.ush", parser=lambda t, _: parser.parse(t),
                           previous=doc)
        t1 = time.perf_counter()
        assert doc.model is not None and not [d for d in doc.diagnostics if d.severity == "error"]
        t2 = time.perf_counter()
        checked.append(t1 - t0)
        everything.append(t2 - t0)
        retyped += doc.model.rechecked
    return {"model": label, "checked_ms": statistics.median(checked) * 1000,
            "all_ms": statistics.median(everything) * 1000, "repeats": repeats, "retyped": retyped}


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 200 if quick else 10_000
    Document("x = 1\n", "warm.ush")  # Lark's grammar and pint's registry loaded first
    rows = [latency("OpenAI", (ROOT / "models/openai_capex.ush").read_text(encoding="utf-8"), 3 if quick else 11),
            latency(f"synthetic {n:,}", synthetic_model(n), 1 if quick else 3)]
    print("| model | checker's diagnostics (first publish) ms | with every scenario run (second) ms | retyped |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['checked_ms']:,.0f} | {r['all_ms']:,.0f} | {r['retyped']} of {r['repeats']} |")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
