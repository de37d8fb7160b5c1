"""The text of an emitted formula (exports/formulas.py), as the writer finishes it.

A series formula is emitted once, as a template whose period-relative column references are
marked `\x00k\x00` (k = offset from the current period); `render(template, column)` fills in the
column letters. So every cell of an equation has the same shape by construction, and a 400,000
cell workbook costs one IR walk per equation rather than per cell.

`classic` says whether a formula calls only functions Excel reads without XlsxWriter's `_xlfn.`
preparation, so that the writer can take its shortcut.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..engine import builtins


_FUNCTION = re.compile(r"([A-Z][A-Z0-9.]*)\(")
# The registry's Excel forms (engine/builtins.py) and what the writer itself uses: formulas that call
# only these are written without XlsxWriter's `_xlfn.` preparation (exports/xlsx.py _Worksheet).
CLASSIC_FUNCTIONS = frozenset(builtins.excel_functions() | {
    "SUM", "AND", "OR", "NOT", "TRUE", "FALSE", "CHOOSE", "MATCH", "INDEX", "IFERROR", "COUNTIF", "ABS", "DATE"})


def classic(formula: str) -> bool:
    """Does the formula call only CLASSIC_FUNCTIONS (no `_xlfn.` prefix or dynamic array needed)?"""
    return all(f in CLASSIC_FUNCTIONS for f in _FUNCTION.findall(formula))


def relative_column(offset: int) -> str:
    """The marker a Layout puts where a period-relative column letter goes."""
    return f"\x00{offset}\x00"


def render(template: str, column: int, letters: list[str]) -> str:
    """Fill the period-relative markers of a template for the period in timeline column `column`."""
    if "\x00" not in template:
        return template
    texts, offsets = _split_template(template)
    parts = list(texts)
    parts[1::2] = [letters[column + k] for k in offsets]
    return "".join(parts)


@lru_cache(maxsize=4096)
def _split_template(template: str) -> tuple[list[str], list[int]]:
    """A template's text pieces (markers as placeholders) and its column offsets, parsed once."""
    parts = template.split("\x00")
    return parts, [int(k) for k in parts[1::2]]
