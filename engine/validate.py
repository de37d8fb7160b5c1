"""A model is checked as a whole: the base model and every scenario. An invalid scenario makes
the model invalid, whatever scenario is run, so `run` never computes the base case of a model
with a typo in a scenario block.

Errors are reported once: what the base model already reports is not repeated per scenario.
An error a scenario causes in the base model's own lines (a value that breaks a formula far
below it) is moved to the scenario's lines, names the scenario, and keeps the formula that
breaks as a label and a note.
"""

from __future__ import annotations

from dataclasses import replace

from . import actuals, ir
from . import syntax as ast
from .check import check
from .dimensions import expand
from .diagnostics import Diagnostic, Label, ModelError, source_lines


def scenario_statements(module: ast.Module) -> dict[str, ast.Scenario]:
    """The scenario blocks by name, first definition first (duplicates are the checker's error)."""
    found: dict[str, ast.Scenario] = {}
    for stmt in module.statements:
        if isinstance(stmt, ast.Scenario) and stmt.name != "base":
            found.setdefault(stmt.name, stmt)
    return found


def check_all(module: ast.Module, text: str | None, keep: dict | None = None) -> dict[str, ir.CheckedModel]:
    """{scenario: checked model} for "base" and every scenario; raises ModelError with every
    error of every scenario. keep: given each scenario's final Scope (engine/check/retype.py)."""
    sources = {module.file: text} if text is not None else {}
    module = expand(actuals.expand(module, text), text)  # actuals, then item by item: once for every scenario
    checked: dict[str, ir.CheckedModel] = {}
    found: list[Diagnostic] = []
    try:
        checked["base"] = check(module, "base", text, keep=keep)
    except ModelError as err:
        found.extend(err.diagnostics)
    base_failed = bool(found)
    reported = {_key(d) for d in found}
    for name, block in scenario_statements(module).items():
        try:
            checked[name] = check(module, name, text, checked.get("base"), keep)
            _same_kinds(checked["base"], checked[name], block) if "base" in checked else None
        except ModelError as err:
            for d in err.diagnostics:
                if _key(d) in reported:
                    continue
                inside = d.span is not None and block.span is not None and block.span.contains(d.span)
                if base_failed and not inside:
                    continue  # may be the base model's own error, seen differently: fix the base first
                moved = replace(d, scenario=name) if inside or d.span is None else _moved(d, name, block, module, text)
                if _key(moved) not in reported:
                    reported.add(_key(moved))
                    found.append(moved)
    if found:
        raise ModelError(found, sources)
    return checked


def _same_kinds(base: ir.CheckedModel, other: ir.CheckedModel, block: ast.Scenario) -> None:
    """A scenario may change how a quantity is computed, not what it is: its shape (a single
    value or a series) and true/false-ness stay the model's (the workbook has one row for it)."""
    problems = []
    for eq in block.equations:
        a, b = base.quantities.get(eq.name), other.quantities.get(eq.name)
        if a is None or b is None:
            continue
        if a.series != b.series:
            what = lambda q: "a series" if q.series else "a single value"  # noqa: E731
            problems.append(Diagnostic("bad-scenario", f"`{eq.name}` is {what(a)} in the model, but this scenario "
                                       f"makes it {what(b)}", eq.span, (Label(eq.span),),
                                       hint="a scenario may change how a quantity is computed, not its shape",
                                       scenario=block.name))
        elif (a.unit is None) != (b.unit is None):
            kind = lambda q: "true/false" if q.unit is None else "a number"  # noqa: E731
            problems.append(Diagnostic("bad-scenario", f"`{eq.name}` is {kind(a)} in the model, but this scenario "
                                       f"makes it {kind(b)}", eq.span, (Label(eq.span),), scenario=block.name))
    if problems:
        raise ModelError(problems)


def _key(d: Diagnostic):
    return (d.kind, d.message, d.span, d.scenario)


def _moved(d: Diagnostic, name: str, block: ast.Scenario, module: ast.Module, text: str | None) -> Diagnostic:
    """The error at the scenario lines that cause it, the broken formula kept as a label and a note."""
    causes = _causes(d, block, module) or list(block.equations)
    labels = [Label(eq.span, f"scenario `{name}` sets `{eq.name}`") for eq in causes if eq.span is not None]
    where = ""
    if text is not None and d.span is not None:
        lines = source_lines(text)
        line = lines[d.span.line - 1].strip() if d.span.line <= len(lines) else ""
        where = f"{d.span.file}:{d.span.line}: {line}"
    notes = ((f"the formula that breaks: {where}",) if where else ()) + d.notes
    span = causes[0].span if causes and causes[0].span is not None else d.span
    return replace(d, span=span, labels=tuple(labels) + d.labels, notes=notes, scenario=name)


def _causes(d: Diagnostic, block: ast.Scenario, module: ast.Module) -> list[ast.Equation]:
    """The scenario's statements that the statement holding the error depends on."""
    if d.span is None:
        return []
    owner = next((s for s in module.statements if isinstance(s, (ast.Input, ast.Equation, ast.Check))
                  and s.span is not None and s.span.contains(d.span)), None)
    if owner is None:
        return []
    definitions: dict[str, list] = {}
    for stmt in module.statements:
        if isinstance(stmt, (ast.Input, ast.Equation)):
            definitions.setdefault(stmt.name, []).append(stmt)
    scenario_sets: dict[str, list] = {}
    for eq in block.equations:
        scenario_sets.setdefault(eq.name, []).append(eq)
    definitions.update(scenario_sets)  # the scenario's view of the model
    seen: set[str] = set()
    stack = [getattr(owner, "name", None)] if not isinstance(owner, ast.Check) else []
    stack += _names_read(owner)
    while stack:
        n = stack.pop()
        if n is None or n in seen or n not in definitions:
            continue
        seen.add(n)
        for stmt in definitions[n]:
            stack.extend(_names_read(stmt))
    return [eq for eq in block.equations if eq.name in seen]


def _names_read(stmt) -> list[str]:
    out, stack = [], [stmt.expr if isinstance(stmt, ast.Check) else stmt.value]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Indexed)):
            out.append(node.name)
        stack.extend(ast.children(node))
    return out
