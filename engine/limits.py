"""Every size the engine refuses past, declared once with the reason for it. The modules that
enforce a limit read it from here; docs/language.md's "Limits" table is generated from LIMITS
(`make readme`), and a test checks the table is current. A spreadsheet's own limits (formula
length, nesting, rows) are in exports/limits.py: they refuse a workbook, not a model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    value: int
    what: str  # what is counted
    why: str  # why the limit is where it is


NESTING = Limit(200, "brackets and operators nested in one expression",
                "deeper trees would exhaust Python's recursion while the model is checked")
NAME_LENGTH = Limit(200, "characters of a name", "a name is a row label and a defined name in the workbook")
STATEMENTS = Limit(1_000_000, "statements in a model file", "read before anything else is checked")
PERIODS = Limit(10_000, "periods of the timeline", "833 years of months; a longer horizon is a coarser timeline")
ROWS = Limit(200_000, "quantities once dimensions are written out item by item",
             "about 3 kB each while the model is checked: 600 MB")
CELLS = Limit(20_000_000, "quantities x periods",
              "the value matrix of one run is 160 MB of float64; a simulation evaluates it in chunks of samples")
SAMPLES = Limit(10 ** 9, "samples of one simulation",
                "hours on one machine; a percentile's sampling error is then below 1e-4 standard deviations")
DATA_BYTES = Limit(2 * 10 ** 9, "bytes of one data file a model reads",
                   "a larger table belongs in a database the model queries (`sql`), which filters it first")
DATA_ROWS = Limit(20_000_000, "rows of one data table",
                  "every row is one value of the model (a period of an item), and a model holds at most 20,000,000")

LIMITS = (NESTING, NAME_LENGTH, STATEMENTS, PERIODS, ROWS, CELLS, SAMPLES, DATA_BYTES, DATA_ROWS)

DOC_BEGIN, DOC_END = "<!-- limits:begin -->", "<!-- limits:end -->"


def docs_table() -> str:
    rows = ["| at most | of | why |", "|---|---|---|"]
    rows += [f"| {limit.value:,} | {limit.what} | {limit.why} |" for limit in LIMITS]
    return "\n".join(rows)
