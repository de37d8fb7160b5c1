"""The model's sections, read from its banner comments, for the workbook's section rows.

A banner is a block of comment lines on their own that holds a rule (a line of -, =, *, ~ or _)
and a title:

    # ------------------------------------------------------------------------------------------
    # Revenue
    # ------------------------------------------------------------------------------------------

or one line with the title between rules: `# ---- Revenue ----`. Each statement belongs to the
last banner above it.
"""

from __future__ import annotations

import re

from . import syntax as ast

_RULE = re.compile(r"^#\s*[-=*~_#]{4,}\s*$")
_TITLED_RULE = re.compile(r"^#\s*[-=*~_]{3,}\s*(?P<title>[^-=*~_].*?)\s*[-=*~_]{3,}\s*$")


def banners(module: ast.Module) -> list[tuple[int, str]]:
    """(line, title) of every banner, in file order."""
    own = [(line, text.rstrip()) for line, text, own_line in module.comments if own_line]
    found, block = [], []
    for line, text in own + [(None, "")]:
        if block and (line is None or line != block[-1][0] + 1):
            title = _title(block)
            if title:
                found.append((block[0][0], title))
            block = []
        if line is not None:
            block.append((line, text))
    return found


def _title(block: list[tuple[int, str]]) -> str | None:
    for _, text in block:
        m = _TITLED_RULE.match(text)
        if m:
            return m.group("title")
    if not any(_RULE.match(text) for _, text in block):
        return None
    words = [text.lstrip("#").strip() for _, text in block if not _RULE.match(text)]
    words = [w for w in words if w]
    return words[0] if words else None


def section_of(module: ast.Module) -> dict[str, str]:
    """Each quantity's section title (quantities before the first banner have none)."""
    marks = banners(module)
    out: dict[str, str] = {}
    k, current = 0, None
    for stmt in module.statements:
        line = stmt.span.line if stmt.span else 0
        while k < len(marks) and marks[k][0] < line:
            current = marks[k][1]
            k += 1
        if isinstance(stmt, (ast.Input, ast.Equation)) and current and stmt.name not in out:
            out[stmt.name] = current
    return out
