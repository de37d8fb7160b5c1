"""Syntax tree -> canonical text (`unitsheet fmt`): parse(format(m)) == m, formatting twice
changes nothing, and every comment stays with the code it annotates.

Layout. One statement per line; its clauses below it, indented, in the author's order; the
equations of a scenario indented inside its braces. A table, a `+`/`-` chain, a call or a
dimension's items stay on one line when that line fits in WIDTH columns and no comment sits inside
it. Otherwise it is broken inside its brackets (the only place the grammar allows a newline), one
part per line, one level deeper: a table one entry per line, each with a comma (a dimension one
item per line, the same way); a call one argument per line, commas between (the grammar allows
none after the last); a chain in parentheses, one operand per line, the operator leading the line.
Parts break the same way. Other operators never break.

    x = (                                 input revenue: USD/year = {
        cash_after_round                      2025: 13 billion,  # actual
        + receipts[t] * 1 year                2026: 30 billion,
        - burn[t] * 1 year  # net flow    }
    )

Comments. Each output line is anchored at the source line of what it holds (statement, clause,
entry, operand, argument, closing bracket). A comment ending source line L ends the last output
line anchored at or before L; a comment alone on line L goes, with the indentation of the line
it precedes, before the first output line anchored after L. Comments keep their order: one that
cannot end its line (the line has one already, or its code was joined onto a line above an
earlier comment) goes alone after it. Between statements at most one blank line is kept.

The tree does not hold a chain's own parentheses: a comment ending a line that only a
parenthesis can be on locates it; an own-line comment between a chain's last operand and an
unlocated `)` is put after the `)`. Parentheses the tree does not need vanish (`((a + b) + c)`),
and comments inside an operator that never breaks (`a *  # c` / `b`) join its line.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import NamedTuple

from . import syntax as ast
from .parser_data import data_text

# Binding strength, loosest first; mirrors grammar/unitsheet.lark.
PREC = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "unary": 7, "^": 8, "atom": 9}
INDENT = "    "
WIDTH = 100
BREAKABLE = (ast.Sum, ast.Call, ast.Table)


class Line(NamedTuple):
    level: int  # indentation depth
    text: str
    anchor: float  # the source line of what it holds
    loose: bool = False  # a chain's closing parenthesis not located: after `anchor`, by the next line


class Part(NamedTuple):
    """An expression to lay out, with the text around it."""

    node: object
    prefix: str = ""
    suffix: str = ""
    text: str | None = None  # its one-line text, when that needs parentheses
    anchor: float | None = None  # the source line of its first output line (default: where it starts)
    end: int | None = None  # the line of its closing bracket (None: not known)
    located: bool = False  # a chain's `)` found alone on a line, by its comment: it stays there


class Notes(NamedTuple):
    """Where a statement's comments are."""

    every: list[int]  # the lines of its comments, sorted
    trailing: list[int]  # those after code

    def within(self, low: float, high: float) -> bool:
        i = bisect_left(self.every, low)
        return i < len(self.every) and self.every[i] < high

    def ending(self, low: float, high: float) -> int | None:
        """The first line strictly between low and high that ends with a comment."""
        i = bisect_right(self.trailing, low)
        return self.trailing[i] if i < len(self.trailing) and self.trailing[i] < high else None


def format_module(module: ast.Module) -> str:
    comments = sorted(module.comments)  # (line, text, own_line); at most one per line
    out: list[str] = []
    cursor = 0
    prev_end = None
    for stmt in module.statements:
        start, end = stmt.span.line, stmt.span.end_line
        lead = []
        while cursor < len(comments) and comments[cursor][0] < start:
            lead.append(comments[cursor])
            cursor += 1
        first_line = lead[0][0] if lead else start
        if prev_end is not None and first_line > prev_end + 1:
            out.append("")
        for i, (line, text, _) in enumerate(lead):
            if i and line > lead[i - 1][0] + 1:
                out.append("")
            out.append(text)
        if lead and start > lead[-1][0] + 1:
            out.append("")
        inner = []
        while cursor < len(comments) and comments[cursor][0] <= end:
            inner.append(comments[cursor])
            cursor += 1
        notes = Notes([c[0] for c in inner], [c[0] for c in inner if not c[2]])
        out.extend(_place(_statement(stmt, notes), inner))
        prev_end = end
    out.extend(text for _, text, _ in comments[cursor:])
    return "\n".join(out).rstrip("\n") + "\n"


def _place(lines: list[Line], comments) -> list[str]:
    """The statement's text with its comments put back next to the lines they annotate."""
    anchors = [min(line.anchor, lines[k + 1].anchor) if line.loose and k + 1 < len(lines) else line.anchor
               for k, line in enumerate(lines)]
    anchors = list(accumulate(anchors, max))
    # Output positions: 2i holds the own-line comments before line i, 2i + 1 the end of line i.
    # Positions only grow, so comments keep their order; a comment that cannot end its line
    # (its code was joined onto a line above, or that line has one already) goes on its own line.
    slots: list[list[str]] = [[] for _ in range(2 * len(lines) + 1)]
    pos = 0
    for line, text, own_line in comments:
        i = bisect_right(anchors, line)
        want = 2 * i if own_line else 2 * max(i - 1, 0) + 1
        if own_line or want <= pos:
            pos = max(pos, want)
            pos += pos % 2
        else:
            pos = want
        pos = min(pos, 2 * len(lines))
        slots[pos].append(text)
    out = []
    for i, line in enumerate(lines):
        closing = line.text.startswith((")", "}"))  # a comment before a closing bracket is inside
        out.extend(INDENT * (line.level + closing) + text for text in slots[2 * i])
        out.append(INDENT * line.level + line.text + "".join("  " + text for text in slots[2 * i + 1]))
    out.extend(slots[-1])
    return out


def _statement(stmt, notes: Notes, level: int = 0) -> list[Line]:
    if isinstance(stmt, ast.Scenario):
        head = f"scenario {stmt.name}" + (f" {_string(stmt.description)}" if stmt.description else "") + " {"
        lines = [Line(level, head, stmt.span.line)]
        for eq in stmt.equations:
            lines += _statement(eq, notes, level + 1)
        return lines + [Line(level, "}", stmt.span.end_line)]
    if isinstance(stmt, (ast.Input, ast.Equation, ast.Check)):
        clauses = stmt.clauses.items if not isinstance(stmt, ast.Check) else ()
        value = stmt.expr if isinstance(stmt, ast.Check) else stmt.value
        if clauses:
            part = _located(Part(value, _head(stmt), anchor=stmt.span.line), clauses[0].span.line, notes)
        else:  # the statement ends with its value's closing bracket
            part = Part(value, _head(stmt), anchor=stmt.span.line, end=stmt.span.end_line)
        lines = _expr_lines(part, level, notes)
        for clause in clauses:
            lines += _clause(clause, level + 1, notes)
        return lines
    if isinstance(stmt, ast.Dimension):
        return _dimension(stmt, notes, level)
    if isinstance(stmt, ast.Correlate):
        return _correlate(stmt, level) + [line for c in stmt.clauses.items for line in _clause(c, level + 1, notes)]
    return [Line(level, _simple_statement(stmt), stmt.span.line)]


def _correlate(stmt: ast.Correlate, level: int) -> list[Line]:
    """A pair's number on its line; a matrix one row per line, its columns aligned (a matrix
    reads as rows), but for two inputs, whose matrix fits on the line."""
    head = "correlate " + ", ".join(name.name for name in stmt.names) + " = "
    if not stmt.matrix:
        return [Line(level, head + stmt.rows[0][0].text, stmt.span.line)]
    texts = [[c.text for c in row] for row in stmt.rows]
    if len(texts) <= 2:
        return [Line(level, head + "{" + "; ".join(", ".join(row) for row in texts) + "}", stmt.span.line)]
    signed = any(text.startswith("-") for row in texts for text in row)
    cells = [[(" " if signed and not t.startswith("-") else "") + t for t in row] for row in texts]
    widths = [max(len(row[k]) for row in cells if k < len(row)) for k in range(max(map(len, cells)))]
    lines = [Line(level, head + "{", stmt.span.line)]
    for i, (row, coefficients) in enumerate(zip(cells, stmt.rows)):
        text = " ".join((cell + ",").ljust(widths[k] + 1) if k < len(row) - 1 else cell for k, cell in enumerate(row))
        lines.append(Line(level + 1, text + (";" if i < len(cells) - 1 else ""), coefficients[0].span.line))
    return lines + [Line(level, "}", stmt.span.end_line if not stmt.clauses.items else stmt.rows[-1][-1].span.line)]


def _dimension(stmt: ast.Dimension, notes: Notes, level: int) -> list[Line]:
    """On one line when it fits and holds no comment; else broken as a table is, one item per
    line with its comma (newlines inside its braces are ignored, as inside a table's)."""
    head = f"dimension {stmt.name} = {{"
    flat = head + ", ".join(item.name for item in stmt.items) + "}"
    if len(INDENT * level + flat) <= WIDTH and not notes.within(stmt.span.line, stmt.span.end_line):
        return [Line(level, flat, stmt.span.line)]
    items = [Line(level + 1, item.name + ",", item.span.line) for item in stmt.items]
    return [Line(level, head, stmt.span.line), *items, Line(level, "}", stmt.span.end_line)]


def _head(stmt) -> str:
    """The statement's text up to its value."""
    if isinstance(stmt, ast.Check):
        periods = f" for t in {stmt.periods[0]}..{stmt.periods[1]}" if stmt.periods else ""
        return f"check {_string(stmt.name)}{periods}: "
    if isinstance(stmt, ast.Input):
        keyword, index = "input ", (" by " + ", ".join(d.name for d in stmt.dims) if stmt.dims else "")
    else:
        keyword, index = "", _selector(stmt.items, stmt.index)
    return keyword + stmt.name + index + (f": {stmt.unit.text}" if stmt.unit else "") + " = "


def head(stmt) -> str:
    """What a statement defines, as written: `input price by region`, `revenue[2028..]`,
    `check "name"` (engine/diff.py names the equations it compares by it)."""
    text = _head(stmt)
    if isinstance(stmt, ast.Check):
        return text.removesuffix(": ")
    return text.removesuffix(" = ").split(": ", 1)[0]  # the unit is not what it defines


def _selector(items, index) -> str:
    """[eu, 2026..]: the items, then the period; nothing when there are neither."""
    parts = [item.name for item in items] + ([_index(index)] if index is not None else [])
    return f"[{', '.join(parts)}]" if parts else ""


def _simple_statement(stmt) -> str:
    if isinstance(stmt, ast.ModelHeader):
        return f"model {_string(stmt.title)}"
    if isinstance(stmt, ast.Timeline):
        return f"timeline {stmt.start}..{stmt.end} {stmt.frequency}" + (f" ending {stmt.ending}" if stmt.ending else "")
    if isinstance(stmt, ast.DayCount):
        return f"daycount {stmt.convention}"
    if isinstance(stmt, ast.UnitDef):
        return f"unit {stmt.name}" + (f" = {_quantity(stmt.definition)}" if stmt.definition else "")
    if isinstance(stmt, ast.Actual):
        return f"actual {stmt.name} = {stmt.actuals.name} until {stmt.until or 'last'}"
    if isinstance(stmt, ast.Chart):
        return f"chart {_string(stmt.title)}: " + ", ".join(name.name for name in stmt.names)
    if isinstance(stmt, ast.Data):
        return data_text(stmt, _string)
    raise AssertionError(type(stmt).__name__)


def clause_text(clause) -> str:
    """One clause as `fmt` writes it, on one line: `source "file" 2026-02-28 "quote"`, `base 4`."""
    return " ".join(line.text.strip() for line in _clause(clause, 0, Notes([], [])))


def _clause(clause, level: int, notes: Notes) -> list[Line]:
    if isinstance(clause, ast.Base):
        # The clause ends with its value (a `)` when it runs over several lines).
        part = Part(clause.value, "base ", anchor=clause.span.line, end=clause.span.end_line)
        return _expr_lines(part, level, notes)
    if isinstance(clause, ast.Display):
        text = "display " + (f"{clause.scale} " if clause.scale else "") + clause.unit.text
    elif isinstance(clause, ast.Note):
        text = f"note {_string(clause.text)}"
    elif isinstance(clause, ast.Rollup):
        text = f"rollup {clause.rule}"
    elif isinstance(clause, ast.Circular):
        text = "circular"
    else:
        parts = [_string(clause.file)] + ([clause.date] if clause.date else [])
        text = "source " + " ".join(parts + ([_string(clause.quote)] if clause.quote is not None else []))
    return [Line(level, text, clause.span.line)]


def _expr_lines(part: Part, level: int, notes: Notes) -> list[Line]:
    """The part on one line, or broken (see the module docstring)."""
    node, anchor = part.node, _start(part.node) if part.anchor is None else part.anchor
    flat = part.prefix + (expr(node) if part.text is None else part.text) + part.suffix
    if not isinstance(node, BREAKABLE) or (len(INDENT * level + flat) <= WIDTH
                                           and not _must_break(part._replace(anchor=anchor), notes)):
        return [Line(level, flat, anchor)]
    opening, parts, closing = _parts(node, anchor, notes)
    lines = [Line(level, part.prefix + opening, anchor)]
    for child in parts:
        lines += _expr_lines(child, level + 1, notes)
    if part.end is None:  # anything after the last part's line is taken to follow the `)`
        return lines + [Line(level, closing + part.suffix, lines[-1].anchor + 0.5, loose=True)]
    return lines + [Line(level, closing + part.suffix, part.end)]


def _parts(node, anchor: float, notes: Notes) -> tuple[str, list[Part], str]:
    """A broken node: its opening, its parts, its closing."""
    if isinstance(node, ast.Sum):
        parts = [Part(node.first, text=_wrap(node.first, PREC["+"]))]
        parts += [Part(x, op + " ", text=_wrap(x, PREC["+"] + 1)) for op, x in node.rest]
        opening, closing = "(", ")"
    elif isinstance(node, ast.Call):
        over = " over " + ", ".join(d.name for d in node.over) if node.over else ""
        parts = [Part(a, suffix="," if i < len(node.args) - 1 else over) for i, a in enumerate(node.args)]
        opening, closing = f"{node.func}(", ")"
    else:
        parts = [Part(v, f"{_index(p)}: ", ",", anchor=p.span.line) for p, v in node.entries]
        opening, closing = "{", "}"
    starts = [_start(p.node) if p.anchor is None else p.anchor for p in parts]
    previous = anchor
    for k, part in enumerate(parts):
        if isinstance(part.node, ast.Sum) and not isinstance(node, ast.Table):
            # A comment ending a line between the previous part and the chain: its `(` is there.
            part = part._replace(anchor=notes.ending(previous, starts[k]) or starts[k])
        if isinstance(node, ast.Sum) and k == len(parts) - 1:
            part = part._replace(end=node.span.end_line)  # the chain ends with its last operand's `)`
        else:
            part = _located(part, starts[k + 1] if k + 1 < len(parts) else node.span.end_line, notes)
        parts[k] = part
        previous = part.node.span.end_line if part.end is None else part.end
    return opening, parts, closing


def _start(node) -> int:
    """A chain starts at its first operand: its span may start at a parenthesis that merged into it."""
    return node.first.span.line if isinstance(node, ast.Sum) else node.span.line


def _located(part: Part, following: int, notes: Notes) -> Part:
    """The part with the line of its closing bracket. A chain's parentheses are not in its span:
    a comment ending a line after the chain, before `following`, is on its `)` (nothing else can
    be there); without one that line is not known."""
    if not isinstance(part.node, ast.Sum):
        return part._replace(end=part.node.span.end_line)
    end = notes.ending(part.node.span.end_line, following)
    return part._replace(end=end, located=end is not None)


def _must_break(part: Part, notes: Notes) -> bool:
    """Whether a comment sits on an inner line of the part (from its first line to the line
    before its closing bracket, or on a located `)`): only a broken layout keeps it there."""
    node = part.node
    if not isinstance(node, BREAKABLE):
        return False
    if part.end is not None:
        return notes.within(part.anchor, part.end + part.located)
    # A chain whose closing parenthesis is not located: up to its last operand, then that operand.
    last = node.rest[-1][1]
    return (notes.within(part.anchor, _start(last))
            or _must_break(Part(last, anchor=_start(last), end=node.span.end_line), notes))


def _index(index) -> str:
    if isinstance(index, ast.Item):  # a table's key
        return index.name
    if isinstance(index, ast.Current):
        return "t"
    if isinstance(index, ast.Relative):
        return f"t{index.offset:+d}"
    if isinstance(index, ast.Shift):
        return f"t{'+' if index.sign > 0 else '-'}{index.by.name}"
    if isinstance(index, ast.Fixed):
        return str(index.period)
    return f"{index.start}.." + ("" if index.end is None else str(index.end))


def _string(text: str) -> str:
    """A string as the author would write it: a quote is escaped, a backslash only where it
    would otherwise start an escape (before a quote or a backslash, or at the end), so
    `C:\\data\\q1.txt` prints as written and still parses back to the same text."""
    out = []
    for i, ch in enumerate(text):
        if ch == '"':
            out.append('\\"')
        elif ch == "\\" and (i + 1 == len(text) or text[i + 1] in '"\\'):
            out.append("\\\\")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def number(value: float) -> str:
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _quantity(q: ast.Quantity) -> str:
    if q.unit == "%":
        return " ".join([number(q.number)] + ([q.scale] if q.scale else [])) + "%"
    return " ".join([number(q.number)] + ([q.scale] if q.scale else []) + ([q.unit] if q.unit else []))


def _prec(node) -> int:
    if isinstance(node, ast.Logical):
        return PREC[node.op]
    if isinstance(node, ast.Not):
        return PREC["not"]
    if isinstance(node, (ast.Compare, ast.Approx)):
        return PREC["compare"]
    if isinstance(node, ast.Binary):
        return PREC[node.op]
    if isinstance(node, ast.Sum):
        return PREC["+"]
    if isinstance(node, ast.Unary):
        return PREC["unary"]
    return PREC["atom"]


def _wrap(node, minimum: int) -> str:
    text = expr(node)
    return f"({text})" if _prec(node) < minimum else text


def expr(node) -> str:
    """Canonical text of an expression, with the parentheses its structure needs and no others."""
    if isinstance(node, ast.Quantity):
        return _quantity(node)
    if isinstance(node, ast.Boolean):
        return "true" if node.value else "false"
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Indexed):
        return node.name + _selector(node.items, node.index)
    if isinstance(node, ast.Call):
        over = " over " + ", ".join(d.name for d in node.over) if node.over else ""
        return f"{node.func}(" + ", ".join(expr(a) for a in node.args) + over + ")"
    if isinstance(node, ast.Unary):
        return node.op + _wrap(node.operand, PREC["unary"])
    if isinstance(node, ast.Binary):
        p = PREC[node.op]
        if node.op == "^":
            base = _wrap(node.left, PREC["atom"])
            if isinstance(node.left, ast.Quantity) and node.left.unit:
                base = f"({base})"  # 2 USD^2 would read as the unit USD^2
            return f"{base}^{_wrap(node.right, PREC['unary'])}"
        return f"{_wrap(node.left, p)} {node.op} {_wrap(node.right, p + 1)}"
    if isinstance(node, ast.Sum):
        return _wrap(node.first, PREC["+"]) + "".join(f" {op} {_wrap(x, PREC['+'] + 1)}" for op, x in node.rest)
    if isinstance(node, ast.Compare):
        return f"{_wrap(node.left, PREC['+'])} {node.op} {_wrap(node.right, PREC['+'])}"
    if isinstance(node, ast.Approx):
        return (f"{_wrap(node.left, PREC['+'])} ~= {_wrap(node.right, PREC['+'])} "
                f"within {_wrap(node.tolerance, PREC['+'])}")
    if isinstance(node, ast.Logical):
        p = PREC[node.op]
        return f"{_wrap(node.left, p)} {node.op} {_wrap(node.right, p + 1)}"
    if isinstance(node, ast.Not):
        return "not " + _wrap(node.operand, PREC["not"])
    if isinstance(node, ast.Table):
        return "{" + ", ".join(f"{_index(p)}: {expr(v)}" for p, v in node.entries) + "}"
    if isinstance(node, ast.Range):
        return f"{expr(node.low)} .. {expr(node.high)}"
    if isinstance(node, ast.Split):
        return expr(node.value) + (" spread even" if node.period is None else f" in {node.period}")
    if isinstance(node, ast.PeriodRange):  # in_period(2025-01..2026-06)
        return _index(node)
    if isinstance(node, ast.DataRead):
        return f"{node.table}.{node.column}" + (" spread even" if node.spread else "")
    raise AssertionError(type(node).__name__)
