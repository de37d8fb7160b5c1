"""Re-parsing after an edit (issue 28, fast re-checks): engine/incremental_parse.py, statement by
statement, against a whole parse (engine/parser.py).

    python -m benchmarks.editing           # the OpenAI model and the 10,000-quantity synthetic model
    python -m benchmarks.editing --quick   # the OpenAI model and a 200-quantity one (a smoke test)

For each model: a whole parse and the first parse statement by statement (every statement
parsed), then the median time of IncrementalParser.parse on an edited text, after a parse of the
original (untimed) each time, so each timed call sees a one-line edit:
  - statement changed: ` * 1` appended to a one-line formula in the middle of the file;
  - line inserted above: a comment line above that formula (every statement below moves: its
    spans are shifted, not parsed again);
  - syntax error typed: ` *` appended to that formula (the ModelError a whole parse raises,
    every diagnostic, found from that statement).
Every result is checked against parse() before anything is timed. The last line is JSON.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

from benchmarks.synthetic import synthetic_model
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.incremental_parse import IncrementalParser, split_statements
from unitsheet.engine.parser import parse

ROOT = Path(__file__).resolve().parent.parent
FORMULA = re.compile(r"[A-Za-z_]\w*(\[[^\]\n]*\])? = [^{#\n]*[\w)\]]\n")


def edits(text: str) -> dict[str, str]:
    """The three edited texts, at the one-line formula nearest the middle of the file."""
    chunks = split_statements(text)
    formulas = [(line, chunk) for line, chunk in chunks if FORMULA.fullmatch(chunk)]
    line, chunk = formulas[len(formulas) // 2]
    lines = text.split("\n")
    at = line - 1

    def changed(new_lines: list[str]) -> str:
        return "\n".join(lines[:at] + new_lines + lines[at + 1:])

    return {"statement changed": changed([lines[at] + " * 1"]),
            "line inserted above": changed(["# a new comment line", lines[at]]),
            "syntax error typed": changed([lines[at] + " *"])}


def outcome(parse_text, text: str):
    try:
        return parse_text(text)
    except ModelError as err:
        return err.diagnostics


def edit_ms(text: str, edited: str, repeats: int) -> tuple[float, dict]:
    parser = IncrementalParser("m.ush")
    parser.parse(text)
    assert outcome(parser.parse, edited) == outcome(lambda t: parse(t, "m.ush"), edited)
    times = []
    for _ in range(repeats):
        parser.parse(text)
        t0 = time.perf_counter()
        outcome(parser.parse, edited)
        times.append(time.perf_counter() - t0)
    counts = parser.counts
    return statistics.median(times) * 1000, {"parsed": counts.parsed, "moved": counts.moved, "whole": counts.whole}


def measure(label: str, text: str, cold_repeats: int, repeats: int) -> dict:
    whole, chunked = [], []
    for _ in range(cold_repeats):  # alternately
        t0 = time.perf_counter()
        expected = parse(text, "m.ush")
        t1 = time.perf_counter()
        module = IncrementalParser("m.ush").parse(text)
        t2 = time.perf_counter()
        whole.append(t1 - t0)
        chunked.append(t2 - t1)
    assert module == expected and module.comments == expected.comments
    row = {"model": label, "statements": len(expected.statements), "lines": text.count("\n") + 1,
           "whole_parse_s": statistics.median(whole), "first_parse_by_statement_s": statistics.median(chunked)}
    for name, edited in edits(text).items():
        row[name], row[name + " counts"] = edit_ms(text, edited, repeats)
    return row


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 200 if quick else 10_000
    cases = [("OpenAI", (ROOT / "models/openai_capex.ush").read_text(encoding="utf-8"), 5, 21),
             (f"synthetic {n:,}", synthetic_model(n), 1 if quick else 3, 11)]
    parse("x = 1", "warm.ush")  # Lark's grammar loaded before anything is timed
    rows = [measure(*case) for case in cases]
    print("| model | statements | whole parse s | first parse, statement by statement s | statement changed ms "
          "| line inserted above ms | syntax error typed ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['statements']:,} | {r['whole_parse_s']:.3g} "
              f"| {r['first_parse_by_statement_s']:.3g} | {r['statement changed']:.3g} "
              f"| {r['line inserted above']:.3g} | {r['syntax error typed']:.3g} |")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
