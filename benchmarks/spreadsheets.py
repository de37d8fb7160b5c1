"""The Python workbook evaluators the engine is compared with, each run in its own process
(they can take minutes and gigabytes; the runner gives them a timeout):

    python -m benchmarks.spreadsheets formulas book.xlsx   -> {"load_s", "compute_s", "cells"}
    python -m benchmarks.spreadsheets pycel book.xlsx      -> {"load_s", "compute_s", "recompute_s", "cells"}

`compute_s` evaluates every formula cell of the Calculations sheet; pycel's `recompute_s`
evaluates them again after one input changed (pycel recomputes only what depends on it).
"""

from __future__ import annotations

import json
import sys
import time

import openpyxl

CALCULATIONS = "Calculations"


def formula_cells(path: str, sheet: str = CALCULATIONS) -> list[str]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    out = []
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                out.append(cell.coordinate)
    return out


def run_formulas(path: str) -> dict:
    import formulas

    t0 = time.perf_counter()
    model = formulas.ExcelModel().loads(path).finish()
    t1 = time.perf_counter()
    solution = model.calculate()
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "compute_s": t2 - t1, "cells": len(solution)}


def run_pycel(path: str) -> dict:
    from pycel import ExcelCompiler

    cells = [f"{CALCULATIONS}!{c}" for c in formula_cells(path)]
    t0 = time.perf_counter()
    excel = ExcelCompiler(filename=path)
    t1 = time.perf_counter()
    for cell in cells:
        excel.evaluate(cell)
    t2 = time.perf_counter()
    first_input = _first_input_cell(path)
    excel.set_value(first_input, (excel.evaluate(first_input) or 0) * 1.01)
    for cell in cells:
        excel.evaluate(cell)
    t3 = time.perf_counter()
    return {"load_s": t1 - t0, "compute_s": t2 - t1, "recompute_s": t3 - t2, "cells": len(cells)}


def _first_input_cell(path: str) -> str:
    """The live (formula-free) value cell of the first numeric input on the Inputs sheet."""
    ws = openpyxl.load_workbook(path, read_only=True)["Inputs"]
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                return f"Inputs!{cell.coordinate}"
    raise ValueError("no numeric input cell")


if __name__ == "__main__":
    which, book = sys.argv[1], sys.argv[2]
    result = {"formulas": run_formulas, "pycel": run_pycel}[which](book)
    print(json.dumps(result))
