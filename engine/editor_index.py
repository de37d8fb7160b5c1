"""Where each name of a model is defined and used, read from its syntax tree: the editor's
go-to-definition, references, rename and hover find the name under the cursor here.

Symbols are quantities (inputs and formulas), dimensions, their items, and scenarios. An
occurrence is the span of the name itself (`revenue` in `revenue[t-1]`, not the brackets); the
first definition of a quantity is its first `input` or equation, the others (one per period range,
an item's own equation, a scenario's override) are definitions too, so rename changes them all.
Comments are text, never symbols."""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from . import syntax as ast
from .diagnostics import Span, source_lines

KINDS = ("quantity", "dimension", "item", "scenario")


@dataclass(frozen=True)
class Occurrence:
    span: Span  # the name's own characters
    symbol: tuple[str, str]  # (kind, name)
    definition: bool


@dataclass
class Index:
    occurrences: list[Occurrence] = field(default_factory=list)  # in source order
    kinds: dict[str, str] = field(default_factory=dict)  # quantity -> "input" | "formula"
    # what the next version may reuse: the names known, and each statement's occurrences by the
    # statement object (the incremental parser hands an unchanged statement back as itself)
    known: dict = field(default_factory=dict, repr=False)
    of_statement: dict = field(default_factory=dict, repr=False)  # id(stmt) -> (stmt, [Occurrence])

    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence under a 1-based line and column (the character after the cursor, or
        the one before it at the end of a name)."""
        k = bisect.bisect_left(self.occurrences, (line, 0), key=lambda o: (o.span.line, o.span.col))
        for o in self.occurrences[k:]:
            s = o.span
            if s.line != line:
                break
            if s.col <= col <= s.end_col:
                return o
        return None

    def of(self, symbol: tuple[str, str]) -> list[Occurrence]:
        return [o for o in self.occurrences if o.symbol == symbol]

    def definition(self, symbol: tuple[str, str]) -> Occurrence | None:
        return next((o for o in self.occurrences if o.symbol == symbol and o.definition), None)

    def names(self, kind: str) -> list[str]:
        return list(dict.fromkeys(name for k, name in (o.symbol for o in self.occurrences) if k == kind))


def build(module: ast.Module, text: str, previous: Index | None = None) -> Index:
    """The index of a module; `previous`, the index of the version before, lends the occurrences
    of every statement that did not change while the names the model knows did not either."""
    index = Index()
    lines = source_lines(text)
    quantities = {s.name for s in module.statements if isinstance(s, (ast.Input, ast.Equation))}
    dimensions = {s.name: [i.name for i in s.items] for s in module.statements if isinstance(s, ast.Dimension)}
    items = {i for names in dimensions.values() for i in names}
    for stmt in module.statements:
        if isinstance(stmt, ast.Input):
            index.kinds[stmt.name] = "input"
        elif isinstance(stmt, ast.Equation):
            index.kinds.setdefault(stmt.name, "formula")
    known = {"quantity": quantities, "dimension": set(dimensions), "item": items}
    reusable = previous.of_statement if previous is not None and previous.known == known else {}
    index.known = known
    for stmt in module.statements:
        kept = reusable.get(id(stmt))
        if kept is not None and kept[0] is stmt:
            found = kept[1]
        else:
            mine = Index()
            _statement(mine, stmt, known, lines)
            found = sorted(mine.occurrences, key=lambda o: (o.span.line, o.span.col))
        index.of_statement[id(stmt)] = (stmt, found)
        index.occurrences.extend(found)  # statements are in source order: so are their occurrences
    return index


def _statement(index: Index, stmt, known: dict, lines: list[str]) -> None:
    add = index.occurrences.append
    if isinstance(stmt, (ast.Input, ast.Equation)):
        add(Occurrence(stmt.name_span, ("quantity", stmt.name), True))
    elif isinstance(stmt, ast.Dimension):
        add(Occurrence(stmt.name_span, ("dimension", stmt.name), True))
        for item in stmt.items:
            add(Occurrence(item.span, ("item", item.name), True))
        return
    elif isinstance(stmt, ast.Scenario):
        span = _word_after(lines, stmt.span, "scenario", stmt.name)
        if span is not None:
            add(Occurrence(span, ("scenario", stmt.name), True))
        for eq in stmt.equations:
            _statement(index, eq, known, lines)
        return
    elif isinstance(stmt, ast.Actual):  # names the quantity it gives actuals to (and reads its actuals below)
        if stmt.name in known["quantity"]:
            add(Occurrence(stmt.name_span, ("quantity", stmt.name), False))
    elif isinstance(stmt, ast.Correlate):
        for name in stmt.names:
            base = name.name.partition("[")[0]
            if base in known["quantity"]:
                add(Occurrence(_prefix(name.span, base), ("quantity", base), False))
        return
    for node in nodes(stmt):
        _reference(index, node, known)


def _reference(index: Index, node, known: dict) -> None:
    add = index.occurrences.append
    if isinstance(node, ast.Name) and node.span.line > 0:
        for kind in ("quantity", "dimension"):
            if node.name in known[kind]:
                add(Occurrence(node.span, (kind, node.name), False))
    elif isinstance(node, ast.Indexed) and node.name in known["quantity"]:
        add(Occurrence(_prefix(node.span, node.name), ("quantity", node.name), False))
    elif isinstance(node, ast.Item) and node.name in known["item"]:
        add(Occurrence(node.span, ("item", node.name), False))


_CHILDREN: dict[type, tuple[str, ...]] = {}  # a node type -> the fields that may hold nodes


def _children(kind: type) -> tuple[str, ...]:
    if kind not in _CHILDREN:  # dataclasses.fields() on every node was a third of a 10,000-line index
        _CHILDREN[kind] = tuple(f.name for f in dataclasses.fields(kind) if f.name not in ("span", "name_span"))
    return _CHILDREN[kind]


def nodes(root):
    """Every node below a statement (the statement's own clauses too), without recursion."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
            continue
        if not dataclasses.is_dataclass(node) or isinstance(node, (Span, ast.PeriodLabel)):
            continue
        yield node
        stack.extend(getattr(node, name) for name in _children(type(node)))


def _prefix(span: Span, name: str) -> Span:
    return Span(span.file, span.line, span.col, span.line, span.col + len(name))


def _word_after(lines: list[str], span: Span, keyword: str, word: str) -> Span | None:
    """Where `word` is written after `keyword` on the statement's first line."""
    if not 0 < span.line <= len(lines):
        return None
    text = lines[span.line - 1]
    start = text.find(keyword, span.col - 1)
    at = text.find(word, start + len(keyword)) if start >= 0 else -1
    return Span(span.file, span.line, at + 1, span.line, at + 1 + len(word)) if at >= 0 else None
