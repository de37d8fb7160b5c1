"""Checked IR -> Excel formula text. The second backend beside engine/evaluate.py: it walks the
same nodes, so each engine operation has exactly one Excel counterpart here.

Cell addresses come from a `Layout` (exports/xlsx.py decides where things live). Numbers other
than 0 and 1 are never written inline: `constant(value, label)` returns the address of a cell in
the Constants block, so every conversion factor and literal is visible and editable.

A series formula is emitted once, as a template whose period-relative column references are
marked `\x00k\x00` (k = offset from the current period); `render(template, column)` fills in the
column letters. So every cell of an equation has the same shape by construction, and a 400,000
cell workbook costs one IR walk per equation rather than per cell.
"""

from __future__ import annotations

from functools import lru_cache

from typing import Protocol

from engine import ir

from . import limits


class Unsupported(Exception):
    """Something the workbook cannot express; the message says what and where."""


class Layout(Protocol):
    def cell(self, name: str, column: int | None, absolute_column: bool = False) -> str: ...
    def relative_cell(self, name: str, offset: int) -> str: ...
    def row_range(self, name: str, first: int, last: int) -> str: ...
    def running_range(self, name: str) -> str: ...
    def period_header(self) -> str: ...
    def constant(self, value: float, label: str) -> str: ...


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


# Excel's precedence, tightest last (negation binds tighter than ^ in Excel, unlike the model).
_PREC = {"compare": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4, "neg": 5, "atom": 6}
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


class Emitter:
    def __init__(self, layout: Layout, units):
        self.layout = layout
        self.units = units

    def formula(self, node, period: int | None = None) -> str:
        """`=...` for the node, as a template when it reads periods relative to the current one.
        The writer checks the final formula (with any scenario CHOOSE) against the limits."""
        text, _ = self._emit(node, period)
        return "=" + text

    # Each _emit returns (text, precedence of its top operator).
    def _emit(self, node, p):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unsupported(f"no Excel form for {type(node).__name__}")
        return method(node, p)

    def _wrap(self, node, p, minimum: int) -> str:
        text, prec = self._emit(node, p)
        return f"({text})" if prec < minimum else text

    def _number(self, value: float, label: str) -> str:
        if value == 0.0:
            return "0"
        if value == 1.0:
            return "1"
        return self.layout.constant(value, label)

    # ------------------------------------------------------------------ leaves
    def _Const(self, node: ir.Const, p):
        if node.type.boolean:
            return ("TRUE()" if node.value else "FALSE()"), _PREC["atom"]
        unit = self.units.short(node.type.unit) if node.type.unit is not None else ""
        return self._number(node.value, f"{_fmt(node.value)} {unit}".strip()), _PREC["atom"]

    def _Ref(self, node: ir.Ref, p):
        if node.type.series:
            return self.layout.relative_cell(node.name, node.offset), _PREC["atom"]
        return self.layout.cell(node.name, None), _PREC["atom"]

    def _At(self, node: ir.At, p):
        return self.layout.cell(node.name, node.period, absolute_column=True), _PREC["atom"]

    def _Period(self, node: ir.Period, p):
        return self.layout.period_header(), _PREC["atom"]

    def _Reduce(self, node: ir.Reduce, p):
        cells = self.layout.row_range(node.name, node.start, node.stop)
        f = node.func
        if f == "cagr":
            first = self.layout.cell(node.name, node.start, absolute_column=True)
            last = self.layout.cell(node.name, node.stop, absolute_column=True)
            years = self._number(float(node.stop - node.start), "periods in the cagr")
            return f"({last}/{first})^(1/{years})-1", _PREC["+"]
        if f == "npv":
            rate = self._wrap(node.rate, p, 0)
            text = f"NPV({rate},{cells})"
        else:
            text = {"total": "SUM", "sum": "SUM", "average": "AVERAGE", "min": "MIN", "max": "MAX"}[f] + f"({cells})"
        if node.step != 1.0:
            return f"{text}*{self._number(node.step, 'period length')}", _PREC["*"]
        return text, _PREC["atom"]

    def _Running(self, node: ir.Running, p):
        text = f"SUM({self.layout.running_range(node.name)})"
        if node.step != 1.0:
            return f"{text}*{self._number(node.step, 'period length')}", _PREC["*"]
        return text, _PREC["atom"]

    # ------------------------------------------------------------------ operators
    def _Convert(self, node: ir.Convert, p):
        label = f"{self.units.short(node.from_unit)} -> {self.units.short(node.type.unit) or 'plain number'}"
        factor = self._number(node.factor, label)
        inner = self._wrap(node.operand, p, _PREC["*"])
        if factor == "1":
            return self._emit(node.operand, p)
        return f"{inner}*{factor}", _PREC["*"]

    def _Unary(self, node: ir.Unary, p):
        return "-" + self._wrap(node.operand, p, _PREC["atom"]), _PREC["neg"]

    def _Not(self, node: ir.Not, p):
        return f"NOT({self._wrap(node.operand, p, 0)})", _PREC["atom"]

    def _Binary(self, node: ir.Binary, p):
        op = node.op
        if op in ("and", "or"):
            return f"{op.upper()}({self._wrap(node.left, p, 0)},{self._wrap(node.right, p, 0)})", _PREC["atom"]
        if op == "^":
            # Excel's ^ is left-associative and below negation: parenthesise anything compound.
            return f"{self._wrap(node.left, p, _PREC['atom'])}^{self._wrap(node.right, p, _PREC['atom'])}", _PREC["^"]
        prec = _PREC[op]
        left = self._wrap(node.left, p, prec)
        right = self._wrap(node.right, p, prec + 1)
        return f"{left}{op}{right}", prec

    def _Sum(self, node: ir.Sum, p):
        parts = [self._wrap(node.first, p, _PREC["+"])]
        parts += [op + self._wrap(x, p, _PREC["+"] + 1) for op, x in node.rest]
        return "".join(parts), _PREC["+"]

    def _Compare(self, node: ir.Compare, p):
        left = self._wrap(node.left, p, _PREC["+"])
        right = self._wrap(node.right, p, _PREC["+"])
        return f"{left}{_COMPARE[node.op]}{right}", _PREC["compare"]

    def _Approx(self, node: ir.Approx, p):
        left = self._wrap(node.left, p, _PREC["+"])
        right = self._wrap(node.right, p, _PREC["+"] + 1)
        tol = self._wrap(node.tolerance, p, _PREC["*"])
        if node.relative:
            return f"ABS({left}-{right})<={tol}*ABS({self._wrap(node.right, p, 0)})", _PREC["compare"]
        return f"ABS({left}-{right})<={tol}", _PREC["compare"]

    def _Func(self, node: ir.Func, p):
        args = [self._wrap(a, p, 0) for a in node.args]
        name = {"if": "IF", "min": "MIN", "max": "MAX", "abs": "ABS", "round": "ROUND", "choose": "CHOOSE",
                "exp": "EXP", "ln": "LN"}[node.name]
        if name in ("MIN", "MAX"):  # any number of arguments: groups of at most 255, nested
            return limits.nested_in_groups(name, args), _PREC["atom"]
        if name == "CHOOSE" and len(args) - 1 > limits.MAX_CHOOSE_VALUES:
            raise Unsupported(f"choose() among {len(args) - 1} options; a spreadsheet's CHOOSE takes at most "
                              f"{limits.MAX_CHOOSE_VALUES} (LibreOffice)")
        return f"{name}({','.join(args)})", _PREC["atom"]


def _fmt(value: float) -> str:
    """60000000000 -> '60 billion': labels in the Constants block read like the model."""
    for power, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= power:
            return f"{value / power:.15g} {word}"
    return f"{value:.15g}"
