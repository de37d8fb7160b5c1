"""A parse that fails, as Diagnostics: Lark's exceptions (the first syntax error, then those on
other lines), a bracket never closed, brackets nested too deep. Only a tree that parsed is cached
(engine/cache.py keys it on parser.py's code, not this module's), so what decides whether text
parses, and into what tree, stays in parser.py."""

from __future__ import annotations

from typing import Callable

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from . import limits
from .diagnostics import Diagnostic, Label, Span, source_lines

MAX_NESTING = limits.NESTING.value  # the post-lexer's (engine/postlex.py)


class NestedTooDeep(Exception):
    """Raised by the post-lexer at the bracket that opens one level too many."""

    def __init__(self, token: Token):
        self.token = token


def too_deep(token: Token, file: str) -> Diagnostic:
    span = Span(file, token.line, token.column, token.end_line, token.end_column)
    return Diagnostic("limit", f"brackets nested deeper than {MAX_NESTING} levels", span,
                      hint="split the expression into named steps")


FRIENDLY = {
    "_NL": "end of line", "$END": "end of file", "NAME": "a name", "NUMBER": "a number",
    "UNIT": "a unit", "STRING": "a quoted string", "DATE": "a date (YYYY-MM-DD)", "SCALE": "a scale word",
    "COMP_OP": "a comparison", "ADD_OP": "+ or -", "MUL_OP": "* or /", "EQUAL": "=", "COLON": ":",
    "COMMA": ",", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{", "RBRACE": "}",
    "CIRCUMFLEX": "^", "FREQUENCY": "yearly, quarterly or monthly", "T": "t",
    "PERIOD": "a period (2027, 2027Q3, 2027-03, FY2027)",
}

MAX_SYNTAX_ERRORS = 20


def syntax_diagnostics(first: UnexpectedInput, text: str, file: str, parse_again: Callable[[str], object],
                       open_brackets: Callable[[], list[Token]]) -> list[Diagnostic]:
    """The first syntax error, then more: blank the offending line and parse again, so that
    independent mistakes on other lines are reported in one go (line numbers are kept).
    A bracket left open ends the search: what follows it only cascades. `parse_again` parses
    text as the parser does; `open_brackets` are those the last parse left open."""
    found: list[Diagnostic] = []
    lines = text.split("\n")
    err: UnexpectedInput | None = first
    while err is not None and len(found) < MAX_SYNTAX_ERRORS:
        diagnostic = _syntax_diagnostic(err, text, file)
        line = diagnostic.span.line if diagnostic.span else 0
        unclosed = [t for t in open_brackets() if t.line < line]
        if unclosed:
            found.append(_unclosed(unclosed[-1], line, file))
            break
        if any(d.span and d.span.line == line for d in found):
            break
        found.append(diagnostic)
        if diagnostic.message == "unexpected end of file" or not 1 <= line <= len(lines):
            break
        lines[line - 1] = ""
        err = None
        try:
            parse_again("\n".join(lines))
        except NestedTooDeep:
            break
        except UnexpectedInput as again:
            err = again
    return found


def _unclosed(tok: Token, line: int, file: str) -> Diagnostic:
    span = Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
    closing = {"(": ")", "[": "]", "{": "}"}[str(tok)]
    return Diagnostic("syntax-error", f"`{tok}` is never closed", span, (Label(span, "opened here"),),
                      f"add `{closing}` where the expression ends (the parser read on to line {line} looking for it)")


def _syntax_diagnostic(err: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, col = max(err.line, 1), max(err.column, 1)
    hint = None
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        message = f"unexpected character {char!r}"
        width = 1
        if char == "$":
            hint = "write currencies as units after the number: 13 billion USD"
    else:
        token = getattr(err, "token", None)
        expected = sorted(getattr(err, "expected", None) or getattr(err, "accepts", None) or [])
        if isinstance(err, UnexpectedEOF) or token is None or token.type == "$END":
            message = "unexpected end of file"
            lines = source_lines(text) or [""]
            line, col, width = len(lines), len(lines[-1]) + 1, 1
        else:
            shown = "end of line" if token.type == "_NL" else repr(str(token))
            message = f"unexpected {shown}"
            width = max(1, len(str(token)) if token.type != "_NL" else 1)
            hint = _hint_for(token, expected)
        names = [FRIENDLY.get(e, e.strip('"').lower()) for e in expected if not e.startswith("__")]
        if names and hint is None:
            uniq = list(dict.fromkeys(names))
            hint = "expected " + ", ".join(uniq[:8]) + (" ..." if len(uniq) > 8 else "")
    span = Span(file, line, col, line, col + width)
    return Diagnostic("syntax-error", message, span, (Label(span, ""),), hint)


def _hint_for(token: Token, expected: list[str]) -> str | None:
    if token.type == "UNIT" and "MUL_OP" in expected:
        return f"`{token}` follows a value; a unit goes right after a number (2 USD), a name needs an operator (2 * x)"
    if token.type in ("NUMBER", "NAME", "UNIT") and "MUL_OP" in expected:
        return "two values in a row: is an operator (+ - * /) missing?"
    if token.type == "EQUAL" and "COMP_OP" in expected:
        return "compare with == ; `=` defines a quantity"
    return None
