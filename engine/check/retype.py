"""Checking again after an edit of one equation, for the editor (issue 28, fast re-checks).

A check is a function of the statements, and after a keystroke all but one are what they were.
`retyped` runs, for the edited equation alone, what the passes would compute for it, in a copy of
each scenario's last Scope (check(keep=...)), and makes the new checked models from the old ones
with that one quantity replaced. It answers only where that is what a full check gives, and
otherwise returns None (the caller checks in full):

  - one statement differs, an equation of a formula, at the same lines: every other statement is
    the very object it was (engine/incremental_parse.py reuses unchanged statements), so their
    spans and everything the checker built from them stand;
  - the model has no dimensions (an edit could change the items written out);
  - the equation reads the same quantities at the same lags (the same dependency graph, so the
    same plan), is in no loop through other quantities (its own earlier periods are fine) and no
    circular one, and reads no input that counts periods;
  - its quantity's type (unit, shape) and the periods it defines come out as before, so nothing
    that reads it types or covers differently; whether a series is a level or an amount follows
    from what it reads, so a sub-annual model's roll-up rules are verified again in full.
An error in the edited equation is the whole answer: what reads it is broken with it, and a full
check says nothing of those either. tests/test_retype.py compares with full checks, edit by edit.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from .. import actuals, ir
from .. import syntax as ast
from ..diagnostics import Diagnostic, ModelError, Reporter, Span
from ..dimensions import expand, uses_items
from . import periods, rollups
from .formulas import type_step
from .pieces import formula_pieces
from .plan import edges_of
from .scope import Scope

class Rechecked:
    """The new checked models and the scopes the next edit starts from; or the edit's errors."""

    def __init__(self, checked: dict, scopes: dict, errors: list[Diagnostic] | None = None):
        self.checked, self.scopes, self.errors = checked, scopes, errors


def retyped(scopes: dict[str, Scope], checked: dict[str, ir.CheckedModel], module: ast.Module,
            text: str) -> Rechecked | None:
    """scopes, checked: what the last full (or re-) check of every scenario left."""
    base = scopes.get("base")
    if base is None or set(scopes) != set(checked):
        return None
    found = _one_edit(base.module, module, text)
    if found is None:
        return None
    edit, expanded = found
    new_scopes, new_checked = {}, {}
    for scenario, scope in scopes.items():
        after = _scope_after(scope, edit, expanded, text) if edit else _moved_to(scope, expanded, text)
        if after is None:
            return None
        if isinstance(after, list):  # the edited equation's errors
            return Rechecked({}, {}, after) if scenario == "base" else None
        new_scopes[scenario] = after
        new_checked[scenario] = _checked_after(checked[scenario], scope, after, edit)
    return Rechecked(new_checked, new_scopes)


def _one_edit(old: ast.Module, new: ast.Module, text: str):
    """((old equation, new equation) or () if nothing changed, the new module written out item by
    item) if one equation is the one difference; else None. Unchanged statements are the same
    objects (the incremental parser's); written out item by item, equal ones."""
    expanded = _written_out(old, new, text)
    if expanded is None or len(old.statements) != len(expanded.statements):
        return None
    changed = [(a, b) for a, b in zip(old.statements, expanded.statements) if a is not b and not _same(a, b)]
    if not changed:
        return (), expanded
    if len(changed) > 1:
        return None
    a, b = changed[0]
    if not (type(a) is type(b) is ast.Equation) or a.name != b.name or a.index != b.index:
        return None
    if (a.span.line, a.span.end_line) != (b.span.line, b.span.end_line) or a.items or b.items:
        return None
    if a.clauses.circular is not None or b.clauses.circular is not None:
        return None
    if old.dimensions is ir.NO_DIMENSIONS and uses_items((b,)) or actuals.reads_forecast((b,)):
        return None  # item syntax in a model without dimensions (the expander's error), or forecast()
    return (a, b), expanded


def _written_out(old: ast.Module, new: ast.Module, text: str) -> ast.Module | None:
    """The new module as the checker sees it (engine/validate.py: actuals, then item by item),
    without the two walks of the whole text where the old one needed neither: a plain model
    stays plain unless the edited equation brings items or forecast() (_one_edit checks)."""
    plain = old.dimensions is ir.NO_DIMENSIONS and not any(
        getattr(stmt, "actual", None) is not None or stmt.name.startswith(f"{actuals.FORECAST}(")
        for stmt in old.statements if isinstance(stmt, ast.Equation))
    if plain:
        return replace(new, dimensions=ir.NO_DIMENSIONS)
    try:
        expanded = expand(actuals.expand(new, text), text)
    except ModelError:
        return None
    return expanded if expanded.dimensions == old.dimensions else None


def _moved_to(scope: Scope, expanded: ast.Module, text: str) -> Scope:
    """The scope for a text whose statements are all the same (a comment changed)."""
    out = copy.copy(scope)
    out.module = expanded
    out.sources, out.lines = {expanded.file: text}, None
    return out


def _scope_after(s: Scope, edit, expanded: ast.Module, text: str):
    """The scenario's scope with the edited equation typed again; a list of errors; or None."""
    a, b = edit
    name = a.name
    equations = s.formulas.get(name, [])
    if not any(e is a for e in equations):
        return _moved_to(s, expanded, text) if any(e is a for e in s.replaced.get(name, [])) else None
    step = next((step for step in s.plan if name in step.names), None)
    if step is None or step.names != (name,) or step.order is not None or name in s.circular or name in s.broken:
        return None
    t = _moved_to(s, expanded, text)
    t.report = Reporter(once_per_span=s.report.once_per_span, warnings=list(s.report.warnings))
    t.formulas = {**s.formulas, name: [b if e is a else e for e in equations]}
    before = edges_of(s, name)
    if _lags(before) != _lags(edges_of(t, name)) or any(e.target in s.counts for e in before):
        return None
    t.quantities, t.broken, t.pending, t.counts = dict(s.quantities), set(s.broken), {}, dict(s.counts)
    t.unit_of_model = dict(s.unit_of_model)  # written when a scenario's equation keeps the base unit
    t.actuals = dict(s.actuals)  # the pieces of a quantity with actuals say where they end
    del t.quantities[name]
    t.pieces = {**s.pieces, name: formula_pieces(t, name, t.formulas[name])}
    if not t.report.diagnostics:
        type_step(t, step)
    if t.report.diagnostics:
        return t.report.diagnostics
    return _verified(s, t, name)


def _verified(s: Scope, t: Scope, name: str):
    """The retyped quantity's periods read, and the roll-up rules; None where what reads it could
    now check differently."""
    old, new = s.quantities[name], t.quantities.get(name)
    if new is None or new.type != old.type or not _same_defined(old.defined, new.defined):
        return None
    for eq in new.equations:
        periods.coverage(t, eq.expr, eq.start, eq.stop, name)
    if t.counts != s.counts or t.report.warnings != s.report.warnings:  # the old warnings stand as they were
        return None
    if t.timeline.per_year > 1:
        rollups.verify(t)
    return t.report.diagnostics or t


def _checked_after(old: ir.CheckedModel, s: Scope, t: Scope, edit) -> ir.CheckedModel:
    """The old checked model with the retyped quantity in its place, and the new text."""
    sources = MappingProxyType({t.file: t.sources[t.file]})
    name = edit[0].name if edit else None
    if name is None or t.quantities.get(name) is s.quantities.get(name):
        return replace(old, sources_text=sources)
    frozen = t.quantities[name].freeze()
    quantities = {n: frozen if n == name else q for n, q in old.quantities.items()}
    return replace(old, quantities=MappingProxyType(quantities), sources_text=sources)


def _same(a, b) -> bool:
    """Equal syntax, and at the same places: `==` on syntax nodes ignores spans (a statement that
    moved is the same statement), but the checked model holds the spans of its statements."""
    if a != b:
        return False
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is Span:
            if x != y:
                return False
        elif type(x) is tuple:
            stack.extend(zip(x, y))
        elif hasattr(x, "__dict__"):
            stack.extend((value, y.__dict__[key]) for key, value in x.__dict__.items())
    return True


def _lags(edges) -> list:
    return sorted((e.target, e.kind, e.offset) for e in edges)


def _same_defined(a, b) -> bool:
    return (a is None) == (b is None) and (a is None or np.array_equal(a, b))
