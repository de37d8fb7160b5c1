"""What changed between two versions of a model, statement by statement (`unitsheet diff`).

Both versions are parsed; their statements are keyed by what they define (a quantity, whose
input statement or equations are one entry; a dimension, a scenario, a check, a chart, ...) and
compared as syntax trees (spans take no part in equality, so moving a statement or reformatting
it is no change). A quantity that disappears while one with the same formula and the same uses
appears is a rename, as are a check, a chart, a scenario or a dimension that reappear unchanged
under another name; where two candidates would fit, nothing is called a rename (never a guess).

Each changed entry is also an *edit*: applied alone to the old text (`apply`), it gives the
hybrid model engine/diff_numbers.py measures its effect with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace

from . import syntax as ast
from .diagnostics import source_lines
from .formatter import clause_text, expr, format_module, head

# the statements whose change cannot move a number (attribution leaves them out)
NO_NUMBERS = {"check", "chart", "correlation", "model"}


@dataclass
class Change:
    """One entry of the model text that was added, removed, changed or renamed."""

    kind: str  # input | formula | quantity (an input became a formula or back) | dimension | scenario | check
    #            | chart | correlation | unit | timeline | daycount | model
    action: str  # added | removed | changed | renamed
    name: str  # as NEW names it (OLD's, for a removal)
    old_name: str | None = None  # renamed: what OLD called it
    details: list[str] = field(default_factory=list)  # one line each: "value: 55 ... -> 58 ...", "+ source ..."
    old_text: str | None = None  # its statements in canonical form (engine/formatter.py)
    new_text: str | None = None
    old_lines: list[tuple[int, int]] = field(default_factory=list, repr=False)  # (first, last) line of each
    new_lines: list[tuple[int, int]] = field(default_factory=list, repr=False)  # statement, 1-based
    old_statements: tuple = field(default=(), repr=False, compare=False)  # the syntax trees themselves
    new_statements: tuple = field(default=(), repr=False, compare=False)

    @property
    def label(self) -> str:
        """How the attribution names this edit: `input cost_per_gw`, `formula revenue`, `renamed a -> b`."""
        if self.action == "renamed":
            return f"{self.kind} {self.old_name} -> {self.name} (renamed)"
        return f"{self.kind} {self.name}" + ("" if self.action == "changed" else f" ({self.action})")

    @property
    def numeric(self) -> bool:
        return self.kind not in NO_NUMBERS

    def to_dict(self) -> dict:
        return {"kind": self.kind, "action": self.action, "name": self.name, "old_name": self.old_name,
                "label": self.label, "details": list(self.details), "old": self.old_text, "new": self.new_text,
                "old_lines": [list(r) for r in self.old_lines], "new_lines": [list(r) for r in self.new_lines]}


def key(stmt) -> tuple[str, str]:
    """What a statement defines: (kind, name). A quantity's input or equations share one key."""
    if isinstance(stmt, (ast.Input, ast.Equation)):
        return "quantity", stmt.name
    if isinstance(stmt, ast.Chart):
        return "chart", stmt.title
    if isinstance(stmt, ast.Correlate):
        return "correlation", ", ".join(expr(n) for n in stmt.names)
    if isinstance(stmt, (ast.Dimension, ast.Scenario, ast.Check, ast.UnitDef, ast.Actual, ast.Data)):
        return {ast.Dimension: "dimension", ast.Scenario: "scenario", ast.Check: "check", ast.UnitDef: "unit",
                ast.Actual: "actual", ast.Data: "data"}[type(stmt)], stmt.name
    return {ast.ModelHeader: "model", ast.Timeline: "timeline", ast.DayCount: "daycount"}[type(stmt)], ""


def keyed(module: ast.Module) -> dict[tuple[str, str], list]:
    out: dict[tuple[str, str], list] = {}
    for stmt in module.statements:
        out.setdefault(key(stmt), []).append(stmt)
    return out


def _same(a: list, b: list) -> bool:
    """The same statements, whatever their order (a quantity's equations are keyed by their head)."""
    if a == b:
        return True
    if len(a) != len(b) or not all(isinstance(s, (ast.Input, ast.Equation)) for s in a + b):
        return False
    return {head(s): s for s in a} == {head(s): s for s in b} and len({head(s) for s in a}) == len(a)


def changes(old: ast.Module, new: ast.Module) -> list[Change]:
    """Every change from OLD to NEW, in the order NEW has them (removals where OLD had them)."""
    before, after = keyed(old), keyed(new)
    removed = [k for k in before if k not in after]
    added = [k for k in after if k not in before]
    out = []
    for k in after:
        if k in before and not _same(before[k], after[k]):
            out.append(_change(k, "changed", before[k], after[k]))
    renames = _renames(old, new, removed, added, before, after)
    for (kind, old_name), (_, new_name) in renames.items():
        c = _change((kind, new_name), "renamed", before[(kind, old_name)], after[(kind, new_name)])
        c.old_name = old_name
        out.append(c)
    gone = set(renames) | set(renames.values())
    out += [_change(k, "added", [], after[k]) for k in added if k not in gone]
    out.sort(key=lambda c: c.new_lines[0][0])  # NEW's order, then what it no longer has in OLD's
    return out + [_change(k, "removed", before[k], []) for k in removed if k not in gone]


def _change(k: tuple[str, str], action: str, old: list, new: list) -> Change:
    kind = k[0]
    if kind == "quantity":
        inputs = {isinstance(s, ast.Input) for s in old + new}
        kind = "quantity" if len(inputs) == 2 else "input" if inputs == {True} else "formula"
    c = Change(kind, action, k[1], old_text=_text(old), new_text=_text(new),
               old_lines=[_lines(s) for s in old], new_lines=[_lines(s) for s in new],
               old_statements=tuple(old), new_statements=tuple(new))
    if action == "changed":
        c.details = details(old, new)
    return c  # a rename: nothing but the name differs


def _lines(stmt) -> tuple[int, int]:
    return stmt.span.line, stmt.span.end_line


def _text(stmts: list) -> str | None:
    if not stmts:
        return None
    return format_module(ast.Module(stmts[0].span.file, tuple(stmts))).rstrip("\n")


# ------------------------------------------------------------------------- details


def details(old: list, new: list) -> list[str]:
    """What differs, one line each: an input's value, each equation (by its head), a clause."""
    a, b = old[0], new[0]
    if isinstance(a, ast.Input) and isinstance(b, ast.Input):
        out = []
        if a.unit != b.unit:
            out.append(f"unit: {a.unit.text if a.unit else '-'} -> {b.unit.text if b.unit else '-'}")
        if a.value != b.value:
            out.append(f"value: {expr(a.value)} -> {expr(b.value)}")
        if a.dims != b.dims:
            out.append(f"by: {', '.join(d.name for d in a.dims) or '-'} -> {', '.join(d.name for d in b.dims) or '-'}")
        changed = _clauses(a.clauses, b.clauses)
        if a.value != b.value:  # what the new value stands on, where its sources did not change
            out += [f"= {clause_text(c)}" for c in b.clauses.sources if c in a.clauses.sources]
        return out + changed
    if isinstance(a, (ast.Input, ast.Equation)) and isinstance(b, (ast.Input, ast.Equation)):
        return _equations(old, new)
    if isinstance(a, ast.Scenario):
        return _equations(list(a.equations), list(b.equations)) + (
            [f"description: {a.description!r} -> {b.description!r}"] if a.description != b.description else [])
    if isinstance(a, ast.Dimension):
        was, now = [i.name for i in a.items], [i.name for i in b.items]
        out = [f"+ item {i}" for i in now if i not in was] + [f"- item {i}" for i in was if i not in now]
        return out or [f"items reordered: {', '.join(was)} -> {', '.join(now)}"]
    if isinstance(a, ast.Check):
        out = [f"for: {_periods(a)} -> {_periods(b)}"] if a.periods != b.periods else []
        return out + ([f"{expr(a.expr)} -> {expr(b.expr)}"] if a.expr != b.expr else [])
    return [f"{_text(old)} -> {_text(new)}"] if _text(old) != _text(new) else []


def _periods(check: ast.Check) -> str:
    return f"{check.periods[0]}..{check.periods[1]}" if check.periods else "every period"


def _equations(old: list, new: list) -> list[str]:
    """Equations paired by their head (`revenue[2028..2030]`); an input against a formula whole."""
    was = {head(s): s for s in old}
    now = {head(s): s for s in new}
    out = []
    for h, s in now.items():
        if h not in was:
            out.append(f"+ {h} = {_rhs(s)}")
        elif was[h] != s:
            if was[h].value != s.value or was[h].unit != s.unit:
                out.append(f"{h}: {_rhs(was[h])} -> {_rhs(s)}")
            out += [f"{h}: {line}" for line in _clauses(was[h].clauses, s.clauses)]
    return out + [f"- {h} = {_rhs(s)}" for h, s in was.items() if h not in now]


def _rhs(stmt) -> str:
    return (f"[{stmt.unit.text}] " if stmt.unit else "") + expr(stmt.value)


def _clauses(a: ast.Clauses, b: ast.Clauses) -> list[str]:
    was, now = [clause_text(c) for c in a.items], [clause_text(c) for c in b.items]
    return [f"- {c}" for c in was if c not in now] + [f"+ {c}" for c in now if c not in was]


# ------------------------------------------------------------------------- renames


def _renames(old, new, removed, added, before, after) -> dict:
    """{(kind, old name): (kind, new name)}: each removed entry with exactly one added entry of its
    kind that is the same under the new name (and, for a quantity, has the same uses), and no
    other removed entry fitting that added one."""
    quantities = any(k[0] == "quantity" for k in removed) and any(k[0] == "quantity" for k in added)
    used = (uses(old), uses(new)) if quantities else ({}, {})  # indexed once: a refactor renames many
    fits: dict = {}
    for r in removed:
        fits[r] = [a for a in added if a[0] == r[0] and len(before[r]) == len(after[a])
                   and _renamed_equal(r, a, before[r], after[a], used)]
    taken = [a for options in fits.values() for a in options]
    return {r: options[0] for r, options in fits.items() if len(options) == 1 and taken.count(options[0]) == 1}


def _renamed_equal(r, a, was: list, now: list, used: tuple[dict, dict]) -> bool:
    if r[0] == "chart":
        return [s.names for s in was] == [s.names for s in now]
    if r[0] == "correlation":
        return False  # named by its inputs: a renamed input's correlation changes with it
    if r[0] != "quantity":
        return [replace(s, name=a[1]) for s in was] == now
    if not _same([rename(s, r[1], a[1]) for s in was], now):
        return False
    return {_map(k, r[1], a[1]) for k in used[0].get(r[1], ())} == used[1].get(a[1], set())


def _map(k, old: str, new: str):
    return (k[0], new) if k == ("quantity", old) else k


def renamed(statements, renames: dict[str, str]) -> list:
    """The statements with each quantity renamed (no new name is another's old one)."""
    out = list(statements)
    for was, now in renames.items():
        out = [rename(stmt, was, now) for stmt in out]
    return out


def same(a: list, b: list) -> bool:
    return _same(list(a), list(b))


def rename(node, old: str, new: str):
    """The node with every reference to quantity `old` (and its own name) spelled `new`."""
    if isinstance(node, tuple):
        return tuple(rename(n, old, new) for n in node)
    if not is_dataclass(node) or isinstance(node, ast.Span):
        return node
    changed = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if f.name == "name" and value == old and isinstance(node, (ast.Name, ast.Indexed, ast.Input, ast.Equation)):
            changed[f.name] = new
        elif isinstance(value, (tuple,)) or (is_dataclass(value) and not isinstance(value, ast.Span)):
            changed[f.name] = rename(value, old, new)
    return replace(node, **changed) if changed else node


def reads(node) -> set[str]:
    """The names an expression or statement reads."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif is_dataclass(n) and not isinstance(n, ast.Span):
            if isinstance(n, (ast.Name, ast.Indexed)):
                out.add(n.name)
            stack.extend(getattr(n, f.name) for f in fields(n) if f.name not in ("name", "span", "name_span"))
    return out


def uses(module: ast.Module) -> dict[str, set]:
    """name -> the keys of the statements (a scenario whole) that read it, its own excepted."""
    out: dict[str, set] = {}
    for stmt in module.statements:
        k = key(stmt)
        for name in reads(stmt):
            if k != ("quantity", name):
                out.setdefault(name, set()).add(k)
    return out


# ------------------------------------------------------------------------- hybrids


def with_renames(text: str, module: ast.Module, renames: dict[str, str]) -> str:
    """OLD's text with each renamed quantity spelled as NEW spells it, where it is defined and
    where it is read (the editor's rename finds them: engine/editor_index.py), on the same lines:
    the base the hybrids are made on, so that an edit reading a new name stands alone."""
    from .editor_index import build

    found = [o for o in build(module, text).occurrences if o.symbol[0] == "quantity" and o.symbol[1] in renames]
    spots = sorted(((o.span.line, o.span.col, o.span.end_col, renames[o.symbol[1]]) for o in found), reverse=True)
    lines = source_lines(text)
    for line, col, end, new in spots:
        lines[line - 1] = lines[line - 1][:col - 1] + new + lines[line - 1][end - 1:]
    return "\n".join(lines) + "\n"


def apply(old_text: str, change: Change, new_text: str) -> str:
    """OLD's text with this one change made: its statements in OLD removed, NEW's put where
    the first of them was (at the end for an addition)."""
    old_lines, new_lines = source_lines(old_text), source_lines(new_text)
    block = [line for first, last in change.new_lines for line in new_lines[first - 1:last]]
    dropped = {i for first, last in change.old_lines for i in range(first - 1, last)}
    at = change.old_lines[0][0] - 1 if change.old_lines else len(old_lines)
    out = []
    for i, line in enumerate(old_lines + [None]):
        if i == at:
            out += block
        if line is not None and i not in dropped:
            out.append(line)
    return "\n".join(out) + "\n"
