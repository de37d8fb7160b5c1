"""What an editor offers beyond diagnostics and hover, from one Document (engine/editor.py):
completion, inlay hints with inferred units, the outline by section comments, and the fixes a
hint describes mechanically (add `* 1 year`, add `rollup last`, declare a loop `circular`).
Positions are 1-based lines and columns, as in Span; edits are (span to replace, new text)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import builtins, outline
from . import syntax as ast
from .diagnostics import Diagnostic, Span
from .editor import Document
from .editor_index import nodes

CLAUSES = ("source", "note", "display", "base", "rollup", "circular")
STATEMENTS = ("model", "timeline", "daycount", "unit", "dimension", "input", "data", "scenario", "check", "chart",
              "correlate", "actual")


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # quantity | item | period | unit | function | keyword | dimension
    detail: str = ""
    insert: str | None = None


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple  # of (Span, text): a Span of zero width inserts
    diagnostic: Diagnostic


# ------------------------------------------------------------------------------ completion


def completions(doc: Document, line: int, col: int) -> list[Completion]:
    text = doc.lines[line - 1][:col - 1] if 0 < line <= len(doc.lines) else ""
    if text.strip() == "" and text:  # an indented line: a clause of the statement above
        return [Completion(k, "keyword", "clause") for k in CLAUSES]
    if text.strip() == "":
        return [Completion(k, "keyword", "statement") for k in STATEMENTS]
    doc = doc.known or doc  # the names, items and units of the last version that checked
    inside = _open_bracket(text)
    if inside is not None:
        return _items_and_periods(doc, inside)
    if re.search(r"[0-9]\s+(thousand\s+|million\s+|billion\s+|trillion\s+)?[A-Za-z_%/]*$", text) or \
            re.search(r":\s*[A-Za-z_%/]*$", text):
        return [Completion(u, "unit", "a unit this model uses") for u in _units(doc)]
    out = [Completion(name, "quantity", _unit_of(doc, name)) for name in doc.index.names("quantity")]
    out += [Completion(b.name, "function", b.signature, insert=b.name + "(") for b in builtins.ENTRIES]
    return out + [Completion(name, "dimension", "dimension") for name in doc.index.names("dimension")]


def _open_bracket(text: str) -> str | None:
    """The name before the innermost unclosed `[` of the line, if the cursor is inside one."""
    depth, start = 0, None
    for k in range(len(text) - 1, -1, -1):
        if text[k] == "]":
            depth += 1
        elif text[k] == "[":
            if depth == 0:
                start = k
                break
            depth -= 1
    if start is None:
        return None
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", text[:start])
    return m.group(1) if m else ""


def _items_and_periods(doc: Document, name: str) -> list[Completion]:
    out = [Completion("t", "keyword", "the current period"), Completion("t-1", "keyword", "the period before")]
    if doc.model is not None:
        checked = doc.model.checked()
        for d in checked.dimensions.of.get(name, ()):
            out += [Completion(item, "item", f"an item of {d}") for item in checked.dimensions.items[d]]
        out += [Completion(str(label), "period", "a period of the timeline") for label in checked.timeline.labels()]
    return out


def _units(doc: Document) -> list[str]:
    found = []
    for stmt in doc.module.statements if doc.module else ():
        if isinstance(stmt, ast.UnitDef):
            found.append(stmt.name)
        for node in nodes(stmt):
            if isinstance(node, ast.Quantity) and node.unit:
                found.append(node.unit)
            elif isinstance(node, ast.UnitText):
                found.append(node.text)
    return sorted(set(found))


def _unit_of(doc: Document, name: str) -> str:
    if doc.model is None:
        return doc.index.kinds.get(name, "")
    q = doc.model.checked().quantities.get(name)
    return f"{q.kind}, {q.unit_text}" if q is not None else doc.index.kinds.get(name, "")


# ------------------------------------------------------------------------------ inlay hints, outline


def inlay_hints(doc: Document, values: bool = False) -> list[tuple[Span, str, bool]]:
    """(where, label, is a value): `: USD/year` after the name of each formula that does not state
    its unit; with `values`, ` = 35.8 billion USD` after each single-valued formula (the base
    scenario's value, which runs the model once per version: the editor's option `valueHints`)."""
    if doc.model is None:
        return []
    checked, seen, out = doc.model.checked(), set(), []
    for stmt in doc.module.statements:
        if isinstance(stmt, ast.Equation) and stmt.name not in seen:
            seen.add(stmt.name)
            q = checked.quantities.get(stmt.name) or checked.quantities.get(
                next(iter(checked.dimensions.names(stmt.name)), ""))
            if q is not None and q.unit is not None and stmt.unit is None:
                out.append((stmt.name_span, f": {q.unit_text or '1'}", False))
            value = doc.single_value(stmt.name) if values and stmt.name in checked.quantities else None
            if value is not None:
                out.append((stmt.value.span, f" = {value}", True))
    return out


def symbols(doc: Document) -> list[tuple[str, str, Span, list]]:
    """The outline: (title, kind, span, children), statements under the section comment above them."""
    if doc.module is None:
        return []
    banners = outline.banners(doc.module)
    sections: list = []
    current = None
    for stmt in doc.module.statements:
        title = next((t for line, t in reversed(banners) if line < stmt.span.line), None)
        entry = _symbol(stmt)
        if entry is None:
            continue
        if title is None:
            sections.append(entry)
            continue
        if current is None or current[0] != title:
            line = next(line for line, t in banners if t == title)
            current = (title, "section", Span(doc.file, line, 1, line, 1), [])
            sections.append(current)
        current[3].append(entry)
        current = (current[0], current[1], current[2].cover(entry[2]), current[3])
        sections[-1] = current
    return sections


def _symbol(stmt):
    if isinstance(stmt, (ast.Input, ast.Equation)):
        return (stmt.name, "input" if isinstance(stmt, ast.Input) else "formula", stmt.span, [])
    if isinstance(stmt, ast.Dimension):
        return (stmt.name, "dimension", stmt.span, [])
    if isinstance(stmt, ast.Scenario):
        return (stmt.name, "scenario", stmt.span, [(eq.name, "formula", eq.span, []) for eq in stmt.equations])
    if isinstance(stmt, ast.Check):
        return (stmt.name, "check", stmt.span, [])
    if isinstance(stmt, ast.Chart):
        return (stmt.title, "chart", stmt.span, [])
    return None


# ------------------------------------------------------------------------------ fixes


def fixes(doc: Document, diagnostic: Diagnostic) -> list[Fix]:
    hint = diagnostic.hint or ""
    out = []
    period = re.search(r"`\* 1 (year|quarter|month)`", hint)
    if period and diagnostic.labels:
        rate = next((lb for lb in diagnostic.labels if "/" in lb.text), diagnostic.labels[-1])
        end = Span(rate.span.file, rate.span.end_line, rate.span.end_col, rate.span.end_line, rate.span.end_col)
        out.append(Fix(f"multiply by a period: add `* 1 {period.group(1)}`", ((end, f" * 1 {period.group(1)}"),),
                       diagnostic))
    for rule in dict.fromkeys(re.findall(r"`rollup (\w+)`", hint)):
        stmt = _statement_at(doc, diagnostic.span)
        if stmt is not None:
            out.append(Fix(f"add `rollup {rule}` under `{stmt.name}`", (_under(stmt, f"rollup {rule}"),), diagnostic))
    if "`circular`" in hint and ("mark" in hint or "under each" in hint):
        stmts = {id(s): s for s in (_statement_at(doc, lb.span) for lb in diagnostic.labels) if s is not None}
        edits = tuple(_under(s, "circular") for s in stmts.values() if s.clauses.circular is None)
        if edits:
            out.append(Fix("declare the loop `circular`", edits, diagnostic))
    return out


def _statement_at(doc: Document, span: Span | None):
    if span is None or doc.module is None:
        return None
    for stmt in doc.module.statements:
        if isinstance(stmt, (ast.Input, ast.Equation)) and stmt.span.line <= span.line <= stmt.span.end_line:
            return stmt
    return None


def _under(stmt, clause: str) -> tuple[Span, str]:
    """An edit inserting `clause` on a line of its own after the statement (and its clauses)."""
    line = stmt.span.end_line + 1
    return Span(stmt.span.file, line, 1, line, 1), f"    {clause}\n"
