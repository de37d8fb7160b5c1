"""`unitsheet diff --textconv FILE`: the model as git's diff driver shows it (`*.ush diff=unitsheet`,
`diff.unitsheet.textconv`): its canonical text (`fmt`), each quantity followed by a comment line of
its base values (one per item of a dimensioned quantity) and each check by whether it passes, so
`git diff` shows the numbers a change moved next to the lines it changed.

A series' equal neighbouring periods are one run (`2025-01..2025-12: 13`), so a change to one year
changes one short line. A version that does not parse or compile is shown as it is, under a
comment with its first error: git needs the text either way.
"""

from __future__ import annotations

import numpy as np

from . import report
from . import syntax as ast
from .diagnostics import ModelError
from .formatter import format_module
from .parser import parse

MARK = "#= "  # what starts an annotation line


def annotated(text: str, file: str) -> str:
    from .model import loads

    try:
        model = loads(text, file)
        canonical = format_module(model.module)
        if canonical != text:
            model = loads(canonical, file)  # the spans of the canonical text, where the notes go
        results = model.run("base")
    except ModelError as err:
        first = err.diagnostics[0].message if err.diagnostics else "invalid model"
        try:
            shown = format_module(parse(text, file))
        except ModelError:
            shown = text
        return f"# unitsheet: this version has errors ({first}); no values\n" + shown
    return _with_values(canonical, model.module, results)


def _with_values(canonical: str, module: ast.Module, results) -> str:
    lines = canonical.split("\n")
    after: dict[int, list[str]] = {}  # line -> the annotations below it
    last = {}
    for stmt in module.statements:
        if isinstance(stmt, (ast.Input, ast.Equation)):
            last[stmt.name] = stmt.span.end_line
    for name, line in last.items():
        after.setdefault(line, []).extend(_quantity(results, name))
    checks = {c["name"]: c for c in results.checks}
    for stmt in module.statements:
        if isinstance(stmt, ast.Check) and stmt.name in checks:
            outcome = "passes" if checks[stmt.name]["passed"] else "FAILS"
            after.setdefault(stmt.span.end_line, []).append(MARK + outcome)
    out = []
    for number, line in enumerate(lines, start=1):
        out.append(line)
        out += after.get(number, [])
    return "\n".join(out)


def _quantity(results, name: str) -> list[str]:
    model = results.model
    rows = model.dimensions.names(name)
    shown = report.display_values(results, rows)
    out = []
    for row in rows:
        q = model.quantities[row]
        unit, factor = report.display(q, shown[row], model.units) if q.unit is not None else ("", 1.0)
        values = np.asarray(results.values[row], dtype=float) * factor
        where = row[len(name):] + " " if row != name else ""
        text = _runs(values, model.timeline, q) if q.series else _one(values[0], q)
        out.append(f"{MARK}{where}{text}" + (f"  [{unit}]" if unit else ""))
    return out


def _runs(values: np.ndarray, timeline, q) -> str:
    """Runs of equal neighbouring values: `2025-01..2025-12: 13; 2026-01: 30`."""
    labels, shown = timeline.labels(), [_one(v, q) for v in values]
    parts, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or shown[i] != shown[start]:  # as shown: float noise does not split a run
            span = labels[start] if i - 1 == start else f"{labels[start]}..{labels[i - 1]}"
            parts.append(f"{span}: {shown[start]}")
            start = i
    return "; ".join(parts)


def _one(value: float, q) -> str:
    if np.isnan(value):
        return "-"
    if q.unit is None:
        return "true" if value else "false"
    return f"{value:.6g}"
