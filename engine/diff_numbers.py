"""What a change does to the numbers (`unitsheet diff`): in every scenario both versions have,
each row whose values moved, each check that flipped, and each move's attribution.

The attribution applies each edit alone to OLD (engine/diff.py's Change, in NEW's order) and
measures what it moves; the interaction is what is left (the move less the sum of the edits'
effects), so the parts add up to the move. An edit that only changes an input's value is a row
of one evaluation of OLD (every such edit at once, as engine/sensitivity.py does); any other is
OLD's text with that one change made, compiled. An edit that cannot stand alone (it reads a
quantity another edit adds) has no effect of its own: the interaction holds it, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import diff as structure
from . import ir, report
from . import syntax as ast
from .diagnostics import Diagnostic, ModelError
from .diff_report import Diff, Flip, Move, Part, ScenarioDiff
from .overrides import input_values


QUANTITY_KINDS = ("input", "formula", "quantity")  # engine/diff.py's kinds of Change that define a quantity


class SideError(Exception):
    """One version does not compile or evaluate: its errors, and which side ("old" or "new")."""

    def __init__(self, side: str, error: ModelError):
        super().__init__(side)
        self.side, self.error = side, error


def compare(old, new, scenarios: list[str] | None = None, threshold: float = 0.0) -> Diff:
    """The Diff of two engine.model.Model versions. threshold: a period moved when
    |new - old| > threshold x |old| (0: any difference)."""
    for side, model in (("old", old), ("new", new)):
        _side(side, model.checked)
    if not (isinstance(threshold, (int, float)) and threshold >= 0 and math.isfinite(threshold)):
        raise ModelError([Diagnostic("usage", f"the threshold is a share of the old value, 0 or more: "
                                              f"not {threshold!r}",
                                     None, hint="e.g. --threshold 0.001 (0.1 %)")])
    changes = structure.changes(old.module, new.module)
    both = [s for s in new.scenarios if s in old.scenarios]
    wanted = _scenarios(scenarios, old, new, both)
    out = Diff(old.file, new.file, changes, [], float(threshold),
               [s for s in old.scenarios if s not in both], [s for s in new.scenarios if s not in both])
    edits = Edits(old, new, changes)
    for scenario in wanted:
        out.scenarios.append(_scenario(old, new, scenario, threshold, edits, changes))
    return out


def _side(side: str, call, *args):
    try:
        return call(*args)
    except ModelError as err:
        raise SideError(side, err) from None


def _scenarios(asked, old, new, both) -> list[str]:
    if not asked:
        return both
    for s in asked:
        if s not in both:
            where = "either version" if s not in old.scenarios and s not in new.scenarios else \
                "NEW" if s not in new.scenarios else "OLD"
            raise ModelError([Diagnostic("unknown-scenario", f"no scenario named `{s}` in {where}", None,
                                         hint="scenarios in both: " + ", ".join(both))])
    return list(dict.fromkeys(asked))


# ------------------------------------------------------------------------- one scenario


def _scenario(old, new, scenario: str, threshold: float, edits: "Edits", changes) -> ScenarioDiff:
    before, after = _side("old", old.run, scenario), _side("new", new.run, scenario)
    out = ScenarioDiff(scenario)
    renamed = {c.name: c.old_name for c in changes if c.action == "renamed" and c.kind in QUANTITY_KINDS}
    shown = report.display_values(after)
    if not set(before.model.timeline.periods) & set(after.model.timeline.periods):
        out.not_compared.append("every series: the two timelines have no period in common")
    rows, where = [], {}  # where: a moved row's OLD periods and the factor from OLD's unit to the shown one
    for name, q in after.model.quantities.items():
        was = _old_row(name, after.model.dimensions, renamed)
        p = before.model.quantities.get(was)
        if p is None:
            continue
        why = _incomparable(p, q, before.model, after.model)
        if why:
            out.not_compared.append(f"{name}: {why}")
            continue
        factor = 1.0 if p.unit is None else _unit_factor(p, q, before.model, after.model)
        unit, display = ("bool", 1.0) if q.unit is None else report.display(q, shown[name], after.model.units)
        old_at, new_at, labels = _aligned(before, after, was, name)
        o = np.asarray(before.values[was], dtype=float)[old_at] * factor * display
        n = np.asarray(after.values[name], dtype=float)[new_at] * display
        moved = _moved(o, n, threshold)
        if moved.any():
            rows.append(Move(name, was, unit, [labels[i] for i in np.flatnonzero(moved)],
                             _listed(o[moved]), _listed(n[moved])))
            where[name] = (old_at[moved], factor * display)
    out.moves = sorted(rows, key=lambda m: (-m.size, m.name))
    if out.moves:
        edits.attribute(scenario, before, out.moves, where)
    out.flips = _flips(before.checks, after.checks, {c.name: c.old_name for c in changes
                                                     if c.kind == "check" and c.action == "renamed"})
    return out


def _old_row(name: str, dims: ir.Dimensions, renamed: dict) -> str:
    if name in dims.rows:
        quantity, items = dims.rows[name]
        return ir.item_name(renamed.get(quantity, quantity), items)
    return renamed.get(name, name)


def _incomparable(p: ir.Quantity, q: ir.Quantity, a: ir.CheckedModel, b: ir.CheckedModel) -> str | None:
    if p.series != q.series:
        return f"was {'a series' if p.series else 'a single value'}, is {'a series' if q.series else 'a single value'}"
    if (p.unit is None) != (q.unit is None):
        return "was true/false" if p.unit is None else "is now true/false"
    if p.unit is not None and _unit_factor(p, q, a, b) is None:
        return f"its unit changed from {p.unit_text or a.units.short(p.unit)} to {q.unit_text or b.units.short(q.unit)}"
    return None


def _unit_factor(p, q, a, b) -> float | None:
    """OLD's unit -> NEW's, read in NEW's unit system (each model has its own); None: no conversion."""
    old_text, new_text = a.units.text(p.unit), b.units.text(q.unit)
    if old_text == new_text:
        return 1.0
    try:
        return float(b.units.factor(b.units.parse(old_text), q.unit))
    except Exception:  # the old unit is not one of NEW's, or not of the same dimension: not compared
        return None


def _aligned(before, after, was: str, name: str):
    """(OLD's period indices, NEW's, the labels) of the periods both timelines have; a single value's one."""
    if not after.model.quantities[name].series:
        return np.array([0]), np.array([0]), [None]
    a, b = list(before.model.timeline.periods), list(after.model.timeline.periods)
    where = {label: i for i, label in enumerate(a)}
    common = [label for label in b if label in where]
    return (np.array([where[x] for x in common], dtype=int), np.array([k for k, x in enumerate(b) if x in where], dtype=int),
            common)


def _moved(o: np.ndarray, n: np.ndarray, threshold: float) -> np.ndarray:
    blank_o, blank_n = np.isnan(o), np.isnan(n)
    with np.errstate(all="ignore"):
        far = np.abs(n - o) > threshold * np.abs(o)
        far |= (n != o) & (threshold == 0)
    return (blank_o != blank_n) | (~blank_o & ~blank_n & far)


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values]


def _flips(before: list[dict], after: list[dict], renamed: dict) -> list[Flip]:
    was = {c["name"]: c["passed"] for c in before}
    return [Flip(c["name"], was[renamed.get(c["name"], c["name"])], c["passed"], c.get("message", ""))
            for c in after if renamed.get(c["name"], c["name"]) in was
            and was[renamed.get(c["name"], c["name"])] != c["passed"]]


# ------------------------------------------------------------------------- attribution


@dataclass
class _Effect:
    values: dict | None  # OLD row -> its values in OLD's periods with this edit alone (None: see why)
    why: str | None = None


class Edits:
    """The edits that can move a number, each measured alone against OLD, in one scenario at a time."""

    def __init__(self, old, new, changes):
        self.old, self.new = old, new
        self.edits = [c for c in changes if c.numeric]
        self._hybrids: dict[int, object] = {}  # edit index -> OLD with it alone, compiled (None: it does not)
        self._parser = None  # the last hybrid's (engine/incremental_parse.py)
        self.renames = {c.old_name: c.name for c in changes if c.action == "renamed" and c.kind in QUANTITY_KINDS}
        self._base: str | None = None  # what the hybrids are made on: OLD's text, its renames made

    def attribute(self, scenario: str, before, moves: list[Move], where: dict) -> None:
        if not self.edits or _reads_data(self.old) or _reads_data(self.new):
            return  # a data file may have changed too, and no edit of the text would say so: no attribution
        if len(self.edits) == 1:  # the move is that edit's: nothing else can move a number
            for m in moves:
                m.parts = [Part(self.edits[0].label, list(m.change))]
                m.interaction = [None if c is None else 0.0 for c in m.change]
            return
        rows = [m.old_name for m in moves]
        effects = self._by_rows(scenario, before, rows)
        for k, edit in enumerate(self.edits):
            if k in effects:
                continue
            if self._only_renames(edit):  # the hybrid would be OLD itself: nothing to compile
                effects[k] = _Effect({row: np.zeros_like(before.values[row], dtype=float) for row in rows})
            else:
                effects[k] = self._by_text(k, edit, scenario, before, rows)
        for m in moves:
            _split(m, [(edit.label, effects[k]) for k, edit in enumerate(self.edits)], *where[m.name])

    def _by_rows(self, scenario: str, before, rows: list[str]) -> dict[int, _Effect]:
        """The edits of an input's value alone: one row each of one evaluation of OLD."""
        checked = before.model
        plain = {k: values for k, edit in enumerate(self.edits)
                 if (values := _new_input_rows(edit, self.old, self.new, scenario)) is not None}
        if not plain:
            return {}
        base = input_values(checked, {})
        m = 1 + len(plain)
        inputs = {name: np.repeat(v[None, :], m, axis=0) for name, v in base.items()}
        for j, values in enumerate(plain.values(), start=1):
            for row, value in values.items():
                inputs[row][j] = value
        env = self.old.evaluator(scenario).run(inputs, prefix=(m,), verify=False, needed=set(rows))
        at = {row: np.broadcast_to(env[row], (m,) + env[row].shape[-1:]) for row in rows}
        return {k: _Effect({row: at[row][j] - at[row][0] for row in rows})
                for j, k in enumerate(plain, start=1)}

    def _parse(self, text: str):
        """A hybrid's syntax tree: parsed statement by statement from the last hybrid's, so only
        the first hybrid parses every statement and each next one only those two edits touch."""
        from .incremental_parse import IncrementalParser

        self._parser = self._parser.fork() if self._parser is not None else IncrementalParser(self.old.file)
        return self._parser.parse(text)

    def _base_text(self) -> str:
        """OLD's text with NEW's quantity renames made (no number moves), so that an edit that reads
        a renamed quantity compiles alone; OLD's own text where that text does not parse back to
        OLD with the renames (never a guess), or where one new name is another's old one."""
        if self._base is None:
            self._base = self.old.text
            if self.renames and not set(self.renames) & set(self.renames.values()):
                text = structure.with_renames(self.old.text, self.old.module, self.renames)
                expected = structure.renamed(self.old.module.statements, self.renames)
                try:
                    self._base = text if self._parse(text).statements == tuple(expected) else self._base
                except ModelError:
                    pass
        return self._base

    def _only_renames(self, edit) -> bool:
        """The edit is a rename, or a statement that changed only by reading a renamed quantity."""
        if self._base_text() is self.old.text:
            return False
        return structure.same(structure.renamed(edit.old_statements, self.renames), edit.new_statements)

    def _row(self, row: str) -> str:
        """An OLD row as the hybrids name it (renamed)."""
        if self._base is self.old.text or not self.renames:
            return row
        dims = self.old.checked().dimensions
        quantity, items = dims.rows.get(row, (row, ()))
        return ir.item_name(self.renames.get(quantity, quantity), items)

    def _by_text(self, k: int, edit, scenario: str, old, rows: list[str]) -> _Effect:
        if k not in self._hybrids:
            text = structure.apply(self._base_text(), edit, self.new.text)
            try:  # type(old): this module is engine/model.py's, it does not import it back
                hybrid = type(self.old)(text, self.old.file, self._parse(text))
                hybrid.checked()
                self._hybrids[k] = hybrid
            except ModelError:
                self._hybrids[k] = None
        hybrid = self._hybrids[k]
        if hybrid is None:
            return _Effect(None, "does not compile alone")
        if scenario not in hybrid.scenarios:
            return _Effect(None, "the scenario is not in OLD with it alone")
        try:
            results = hybrid.run(scenario)
        except ModelError:
            return _Effect(None, "cannot be evaluated alone")
        out = {}
        for row in rows:
            there = self._row(row)
            q, p = results.model.quantities.get(there), old.model.quantities[row]
            if q is None or q.series != p.series or results.unit(there) != old.unit(row):
                return _Effect(None, f"changes `{row}` itself")
            if q.series and list(results.model.timeline.periods) != list(old.model.timeline.periods):
                return _Effect(None, "changes the timeline")
            out[row] = np.asarray(results.values[there], dtype=float) - np.asarray(old.values[row], dtype=float)
        return _Effect(out)


def _reads_data(model) -> bool:
    return any(isinstance(stmt, ast.Data) for stmt in model.module.statements)


def _new_input_rows(edit, old, new, scenario: str) -> dict | None:
    """{row: NEW's value} for an edit that only changes an input's values (same unit, shape and
    rows), the rows the scenario itself replaces in OLD left out; None for any other edit."""
    if edit.kind != "input" or edit.action != "changed" or len(edit.old_lines) != 1 or len(edit.new_lines) != 1:
        return None
    a, b = old.checked(), new.checked()
    if list(a.timeline.periods) != list(b.timeline.periods):
        return None  # NEW's values are of other periods: by position they would land on OLD's wrong ones
    rows = a.dimensions.names(edit.name)
    if rows != b.dimensions.names(edit.name) or not all(_same_input(row, a, b) for row in rows):
        return None
    replaced = _replaced(old, scenario, edit.name)
    if replaced is None:
        return None
    return {row: b.quantities[row].value for row in rows if row not in replaced}


def _same_input(row: str, a: ir.CheckedModel, b: ir.CheckedModel) -> bool:
    """The row is an input in both, of one unit and shape: NEW's value can stand in OLD's row."""
    p, q = a.quantities.get(row), b.quantities.get(row)
    if p is None or q is None or p.kind != "input" or q.kind != "input":
        return False
    if p.series != q.series or p.declared != q.declared or (p.unit is None) != (q.unit is None):
        return False
    return p.value.shape == q.value.shape and (p.unit is None or a.units.text(p.unit) == b.units.text(q.unit))


def _replaced(old, scenario: str, name: str) -> set | None:
    """The rows of input `name` the scenario's block in OLD replaces; None where it gives periods."""
    from . import syntax as ast

    out = set()
    rows = old.checked().dimensions.names(name)
    for stmt in old.module.statements:
        if isinstance(stmt, ast.Scenario) and stmt.name == scenario:
            for eq in stmt.equations:
                if eq.name == name:
                    if eq.index is not None:
                        return None
                    out |= {ir.item_name(name, [i.name for i in eq.items])} if eq.items else set(rows)
    return out


def _split(m: Move, effects: list[tuple[str, _Effect]], at: np.ndarray, factor: float) -> None:
    """The move's parts, in its display unit at its moved periods, and the interaction left over."""
    change = m.change
    m.parts = []
    for label, effect in effects:
        if effect.values is None:
            m.parts.append(Part(label, [None] * len(change), effect.why))
            continue
        values = np.asarray(effect.values[m.old_name], dtype=float).reshape(-1)[at] * factor
        alone = [None if c is None or not math.isfinite(v) else float(v) for c, v in zip(change, values)]
        blank = any(a is None and c is not None for a, c in zip(alone, change))
        m.parts.append(Part(label, alone, "gives no value alone in some periods" if blank else None))
    m.interaction = []
    for i, c in enumerate(change):
        known = [p.change[i] for p in m.parts if p.change[i] is not None]
        m.interaction.append(None if c is None or not math.isfinite(c) else c - math.fsum(known))
