"""What a spreadsheet refuses or computes differently: Excel's documented limits, and LibreOffice's
where it is stricter (measured on LibreOffice 7.4). The writer checks every formula and the
layout against them before writing; tests/test_workbook_limits.py reads back every workbook the
test suite writes and checks them again.
"""

from __future__ import annotations

import re

MAX_FORMULA_LENGTH = 8192  # characters, without the leading "="
MAX_NESTING = 64  # functions inside functions
MAX_ARGUMENTS = 255  # of one function (LibreOffice gives #N/A for MAX of 300)
MAX_CHOOSE_VALUES = 30  # LibreOffice 7.4 gives #VALUE! from 31 (Excel: 254)
MAX_COLUMNS = 16_384  # A..XFD
MAX_ROWS = 1_048_576
MAX_NUMBER_FORMAT = 255  # characters of a number format code
MAX_CELL_TEXT = 32_767
MAX_NAME = 255  # characters of a defined name
MAX_SHEET_NAME = 31

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[A-Za-z_][A-Za-z0-9_.]*\(|[(),]")


def formula_problems(formula: str) -> list[str]:
    """What Excel or LibreOffice would refuse in one formula (text with or without its `=`)."""
    text = formula[1:] if formula.startswith("=") else formula
    problems = []
    if len(text) > MAX_FORMULA_LENGTH:
        problems.append(f"its formula would be {len(text):,} characters long; Excel allows {MAX_FORMULA_LENGTH:,}")
    stack: list[list] = []  # [function name or None for a bracket, argument count]
    deepest = 0
    for token in _TOKEN.findall(text):
        if token[0] in "'\"":
            continue
        if token.endswith("(") and token != "(":
            stack.append([token[:-1].upper(), 1])
            deepest = max(deepest, sum(1 for name, _ in stack if name))
        elif token == "(":
            stack.append([None, 1])
        elif token == "," and stack:
            stack[-1][1] += 1
        elif token == ")" and stack:
            name, count = stack.pop()
            if name == "CHOOSE" and count - 1 > MAX_CHOOSE_VALUES:
                problems.append(f"CHOOSE among {count - 1} values; LibreOffice allows {MAX_CHOOSE_VALUES}")
            elif name and count > MAX_ARGUMENTS:
                problems.append(f"{name} of {count} arguments; Excel allows {MAX_ARGUMENTS}")
    if deepest > MAX_NESTING:
        problems.append(f"functions nested {deepest} deep; Excel allows {MAX_NESTING}")
    return problems


def nested_in_groups(function: str, args: list[str]) -> str:
    """FUNCTION(a1, ..., an) for an associative function (MIN, MAX) with any number of arguments:
    groups of at most MAX_ARGUMENTS, nested."""
    while len(args) > MAX_ARGUMENTS:
        args = [f"{function}({','.join(args[i:i + MAX_ARGUMENTS])})" for i in range(0, len(args), MAX_ARGUMENTS)]
    return f"{function}({','.join(args)})"
