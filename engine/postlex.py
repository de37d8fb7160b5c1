"""Lark's post-lexer for the language: newlines inside brackets do not end a statement."""

from __future__ import annotations

from lark import Token

from . import limits
from .syntax_errors import NestedTooDeep

MAX_NESTING = limits.NESTING.value


class NewlinesInBrackets:
    """Lark post-lexer: newlines inside ( ), [ ] and table braces do not end a statement.
    The braces of a scenario block do keep them: there they separate statements."""

    always_accept = ("_NL",)

    open_brackets: list[Token] = []  # of the current parse: what a syntax error may be inside

    def process(self, stream):
        stack: list[bool] = []  # True: newlines are ignored at this depth
        opened = NewlinesInBrackets.open_brackets = []
        recent: list[Token] = []
        for tok in stream:
            kind = tok.type
            if kind in ("LPAR", "LSQB"):
                stack.append(True)
                opened.append(tok)
            elif kind == "LBRACE":
                stack.append(not _opens_scenario_block(recent))
                opened.append(tok)
            elif kind in ("RPAR", "RSQB", "RBRACE") and stack:
                stack.pop()
                opened.pop()
            if len(stack) > MAX_NESTING:
                raise NestedTooDeep(tok)
            if kind == "_NL" and stack and stack[-1]:
                continue
            recent = (recent + [tok])[-3:]
            yield tok


def _opens_scenario_block(recent: list[Token]) -> bool:
    kinds = [t.type for t in recent]
    return kinds[-2:] == ["SCENARIO", "NAME"] or kinds[-3:] == ["SCENARIO", "NAME", "STRING"]
