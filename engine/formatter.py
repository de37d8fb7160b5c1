"""Syntax tree -> canonical text (`unitsheet fmt`). parse(format(parse(x))) == parse(x).

Comments are kept: a comment on its own line stays before the statement that follows it, a
comment at the end of a line moves to the end of its statement's first line.
"""

from __future__ import annotations

from . import syntax as ast

# Binding strength, loosest first; mirrors grammar/unitsheet.lark.
PREC = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "unary": 7, "^": 8, "atom": 9}
INDENT = "    "
TABLE_WIDTH = 120


def format_module(module: ast.Module) -> str:
    own = sorted((line, text) for line, text, own_line in module.comments if own_line)
    trailing: dict[int, list[str]] = {}
    for line, text, own_line in module.comments:
        if not own_line:
            trailing.setdefault(line, []).append(text)
    out: list[str] = []
    cursor = 0  # index into own-line comments
    prev_end = None
    for stmt in module.statements:
        start = stmt.span.line if stmt.span else 0
        end = stmt.span.end_line if stmt.span else 0
        lead = []
        while cursor < len(own) and own[cursor][0] < start:
            lead.append(own[cursor])
            cursor += 1
        first_line = lead[0][0] if lead else start
        if prev_end is not None and first_line > prev_end + 1:
            out.append("")
        for i, (line, text) in enumerate(lead):
            if i and line > lead[i - 1][0] + 1:
                out.append("")
            out.append(text)
        if lead and start > lead[-1][0] + 1:
            out.append("")
        inner = []
        while cursor < len(own) and own[cursor][0] <= end:
            inner.append(own[cursor])
            cursor += 1
        notes = [t for line in range(start, end + 1) for t in trailing.get(line, [])]
        out.extend(_statement(stmt, notes, inner))
        prev_end = end
    for _, text in own[cursor:]:
        out.append(text)
    return "\n".join(out).rstrip("\n") + "\n"


def _statement(stmt, trailing: list[str], inner_comments) -> list[str]:
    if isinstance(stmt, ast.Scenario):
        return _scenario(stmt, trailing, inner_comments)
    lines = _plain_statement(stmt)
    for text in [t for _, t in inner_comments]:
        lines.insert(1, INDENT + text) if len(lines) > 1 else lines.append(text)
    if trailing:
        lines[0] += "  " + "  ".join(trailing)
    return lines


def _plain_statement(stmt) -> list[str]:
    if isinstance(stmt, ast.ModelHeader):
        return [f"model {_string(stmt.title)}"]
    if isinstance(stmt, ast.Timeline):
        return [f"timeline {stmt.start}..{stmt.end} {stmt.frequency}"]
    if isinstance(stmt, ast.UnitDef):
        return [f"unit {stmt.name}" + (f" = {_quantity(stmt.definition)}" if stmt.definition else "")]
    if isinstance(stmt, ast.Input):
        head = f"input {stmt.name}" + (f": {stmt.unit.text}" if stmt.unit else "") + " = "
        return _with_value(head, stmt.value) + _clauses(stmt.clauses)
    if isinstance(stmt, ast.Equation):
        return _equation(stmt)
    if isinstance(stmt, ast.Check):
        periods = f" for t in {stmt.periods[0]}..{stmt.periods[1]}" if stmt.periods else ""
        return [f"check {_string(stmt.name)}{periods}: {expr(stmt.expr)}"]
    raise AssertionError(type(stmt).__name__)


def _equation(stmt: ast.Equation) -> list[str]:
    head = stmt.name + (f"[{_index(stmt.index)}]" if stmt.index is not None else "")
    head += (f": {stmt.unit.text}" if stmt.unit else "") + " = "
    return _with_value(head, stmt.value) + _clauses(stmt.clauses)


def _with_value(head: str, value) -> list[str]:
    if isinstance(value, ast.Table):
        entries = [f"{_index(p)}: {expr(v)}" for p, v in value.entries]
        one_line = head + "{" + ", ".join(entries) + "}"
        if len(one_line) <= TABLE_WIDTH:
            return [one_line]
        return [head + "{"] + [INDENT + e + "," for e in entries] + ["}"]
    if isinstance(value, ast.Range):
        return [head + f"{expr(value.low)} .. {expr(value.high)}"]
    return [head + expr(value)]


def _clauses(clauses: ast.Clauses) -> list[str]:
    out = []
    for c in clauses.items:
        if isinstance(c, ast.Base):
            out.append(f"{INDENT}base {expr(c.value)}")
        elif isinstance(c, ast.Display):
            out.append(f"{INDENT}display " + (f"{c.scale} " if c.scale else "") + c.unit.text)
        elif isinstance(c, ast.Note):
            out.append(f"{INDENT}note {_string(c.text)}")
        else:
            parts = [_string(c.file)] + ([c.date] if c.date else []) + ([_string(c.quote)] if c.quote is not None else [])
            out.append(f"{INDENT}source " + " ".join(parts))
    return out


def _scenario(stmt: ast.Scenario, trailing, inner_comments) -> list[str]:
    head = f"scenario {stmt.name}" + (f" {_string(stmt.description)}" if stmt.description else "") + " {"
    if trailing:
        head += "  " + "  ".join(trailing)
    lines = [head]
    comments = list(inner_comments)
    for eq in stmt.equations:
        while comments and eq.span and comments[0][0] < eq.span.line:
            lines.append(INDENT + comments.pop(0)[1])
        lines.extend(INDENT + line for line in _equation(eq))
    lines.extend(INDENT + text for _, text in comments)
    lines.append("}")
    return lines


def _index(index) -> str:
    if isinstance(index, ast.Current):
        return "t"
    if isinstance(index, ast.Relative):
        return f"t{index.offset:+d}"
    if isinstance(index, ast.Fixed):
        return str(index.period)
    return f"{index.start}.." + ("" if index.end is None else str(index.end))


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        return f"{node.name}[{_index(node.index)}]"
    if isinstance(node, ast.Call):
        return f"{node.func}(" + ", ".join(expr(a) for a in node.args) + ")"
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
    raise AssertionError(type(node).__name__)
