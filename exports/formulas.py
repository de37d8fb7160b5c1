"""Checked IR -> Excel formula text. The second backend beside engine/evaluate.py: it walks the
same nodes, so each engine operation has exactly one Excel counterpart here.

Cell addresses come from a `Layout` (exports/xlsx.py decides where things live). Every cell holds
its quantity in the unit its row states (the display unit: 55 in a `billion USD/GW` row, 0.07 in
a percent row, as Excel stores 7 %), so that what an analyst types there means what it says. The
engine computes in each quantity's own unit; the emitter therefore tracks, for every piece of a
formula, the factor k with `engine value = value of the text x k`, and folds the conversions into
one factor per formula (most often 1: `=E5*C7`, no `*0.01`, no `*1000000000*0.000000001`).
What is left, and every literal other than 0 and 1, is a labelled cell of the Constants sheet, so
every number a formula uses is visible and editable.

A series formula is emitted once, as a template whose period-relative column references the
Layout marks (exports/formula_text.py fills them in for each cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from ..engine import builtins, ir

from . import limits


class Unsupported(Exception):
    """Something the workbook cannot express; the message says what and where."""


class Layout(Protocol):
    """Where things are; `sheet` is the sheet of the formula being written (no prefix for it)."""

    def cell(self, name: str, column: int | None, sheet: str, absolute_column: bool = True) -> str: ...
    def relative_cell(self, name: str, offset: int, sheet: str) -> str: ...
    def row_range(self, name: str, first: int, last: int, sheet: str) -> str: ...
    def running_range(self, name: str, sheet: str) -> str: ...
    def period_header(self, sheet: str) -> str: ...
    def header_range(self, first: int, last: int, sheet: str) -> str: ...
    def constant(self, value: float, label: str, owner: str) -> str: ...
    def cell_factor(self, name: str) -> float: ...  # a cell holds the engine's value times this


# Excel's precedence, tightest last (negation binds tighter than ^ in Excel, unlike the model).
_PREC = {"compare": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4, "neg": 5, "atom": 6}
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


@dataclass(frozen=True)
class Piece:
    """A formula fragment: its text, the precedence of its top operator, k (the factor from the
    text's value to the engine's value) and the unit the text's value is in, as the workbook's
    rows state units (for the labels of unit factors)."""

    text: str
    prec: int
    k: float = 1.0
    unit: str = ""
    literal: float | None = None  # a number of the model (in the engine's unit): written at any scale

    @property
    def one(self) -> bool:
        return self.literal == 1.0 and self.k == 1.0


def _same(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-12)


def _snap(x: float) -> float:
    """A factor made of scales and unit ratios (1e9 * 1e-6, 1e9 / 12 / 1e9) is the simple number
    it stands for (1000, 1/12) exactly, not with the last bits of its products."""
    if not (x > 0 and math.isfinite(x)):
        return x
    power = math.floor(math.log10(x))
    if abs(power) > 300:
        return x
    mantissa = Fraction(x) / Fraction(10) ** power
    simple = mantissa.limit_denominator(1000)
    if _same(float(simple), float(mantissa)):
        return float(simple * Fraction(10) ** power)
    return x


class Emitter:
    def __init__(self, layout: Layout, units):
        self.layout = layout
        self.units = units

    def formula(self, node, sheet: str, owner: str, cell_factor: float | None = 1.0, shown_in: str = "") -> str:
        """`=...` for the node as the owner's cell shows it: the engine's value times cell_factor
        (in the unit `shown_in`; None for true/false), as a template when it reads relative
        periods. The writer checks the final formula (with any scenario CHOOSE) against the limits."""
        self.sheet, self.owner = sheet, owner
        self.pending: list[tuple[float, str, str]] = []
        found = _blank_call(node)
        piece = self._found(found) if found is not None else self._emit(node)
        if cell_factor is not None:
            piece = self._at(piece, 1.0 / cell_factor, node, shown_in)
        if found is not None:  # no period found: a blank cell, never 0 (the factor is applied inside)
            piece = Piece(f'IFERROR({piece.text},"")', _PREC["atom"], piece.k, piece.unit)
        return "=" + self._constants(piece.text)

    def _found(self, node: ir.Reduce) -> Piece:
        """first_period: the end date of the first period whose flag holds, from the header row;
        periods_before: how many periods come before it. MATCH's #N/A (none) becomes a blank."""
        cells = self.layout.row_range(node.name, node.start, node.stop, self.sheet)
        if node.func == "first_period":
            dates = self.layout.header_range(node.start, node.stop, self.sheet)
            return Piece(f"INDEX({dates},MATCH(TRUE(),{cells},0))", _PREC["atom"])
        return Piece(f"(MATCH(TRUE(),{cells},0)-1)", _PREC["atom"], 1.0, self.units.short(node.type.unit))

    def _constants(self, text: str) -> str:
        """Put each number the final formula uses in the Constants sheet (only those: a literal
        rewritten at another scale leaves its first form unused)."""
        if "\x01" not in text:
            return text
        parts = text.split("\x01")
        for i in range(1, len(parts), 2):
            value, label, kind = self.pending[int(parts[i])]
            parts[i] = self.layout.constant(value, label, self.owner, kind)
        return "".join(parts)

    def _emit(self, node) -> Piece:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unsupported(f"no Excel form for {type(node).__name__}")
        return method(node)

    # ------------------------------------------------------------------ helpers
    def _number(self, value: float, label: str, kind: str = "number") -> str:
        if value == 0.0:
            return "0"
        if value == 1.0:
            return "1"
        self.pending.append((value, label, kind))
        return f"\x01{len(self.pending) - 1}\x01"  # a Constants cell, if the final formula keeps it

    def _engine_unit(self, node) -> str:
        return (self.units.short(node.type.unit) if node.type.unit is not None else "") or "plain number"

    def _at(self, piece: Piece, k: float, node, unit: str = "") -> Piece:
        """piece expressed with factor k, in `unit` (to add it to, compare it with or store it as
        something shown at that scale): a literal is written at that scale, anything else is
        multiplied by one unit factor, a Constants cell labelled with what it converts."""
        k = _snap(k)
        if _same(piece.k, k):
            return Piece(piece.text, piece.prec, k, unit or piece.unit, piece.literal)
        if piece.literal is not None:
            value = piece.literal / k
            return Piece(self._number(_snap(value) if value else 0.0, self._literal_label(node, value, unit)),
                         _PREC["atom"], k, unit, piece.literal)
        factor = _snap(piece.k / k)
        label = f"{piece.unit or self._engine_unit(node)} -> {unit or self._engine_unit(node)}"
        wrapped = piece.text if piece.prec >= _PREC["*"] else f"({piece.text})"
        return Piece(f"{wrapped}*{self._number(factor, label, 'unit')}", _PREC["*"], k, unit)

    def _literal_label(self, node, value: float, unit: str) -> str:
        return f"{_fmt(value)} {unit}".strip() if unit else f"{_fmt(value)} {self._engine_unit(node)}"

    def _common(self, pieces: list[Piece], nodes: list) -> tuple[list[Piece], float]:
        """The pieces brought to one factor: the one most of the non-literal ones already have."""
        ks = [p.k for p in pieces if p.literal is None] or [1.0]
        k = max(ks, key=lambda x: (sum(_same(x, y) for y in ks), -ks.index(x)))
        unit = next((p.unit for p in pieces if p.literal is None and _same(p.k, k)), "")
        return [self._at(p, k, n, unit) for p, n in zip(pieces, nodes)], k

    def _plain(self, node) -> Piece:
        """The node's own value (k = 1): for functions whose result depends on the scale."""
        return self._at(self._emit(node), 1.0, node, self._engine_unit(node))

    @staticmethod
    def _wrap(piece: Piece, minimum: int) -> str:
        return f"({piece.text})" if piece.prec < minimum else piece.text

    # ------------------------------------------------------------------ leaves
    def _Const(self, node: ir.Const) -> Piece:
        if node.type.boolean:
            return Piece("TRUE()" if node.value else "FALSE()", _PREC["atom"])
        unit = self.units.short(node.type.unit) if node.type.unit is not None else ""
        text = self._number(node.value, f"{_fmt(node.value)} {unit}".strip())
        return Piece(text, _PREC["atom"], 1.0, unit, node.value)

    def _cell_k(self, name: str) -> float:
        f = self.layout.cell_factor(name)
        return 1.0 / f if f else 1.0

    def _Ref(self, node: ir.Ref) -> Piece:
        k = 1.0 if node.type.boolean else self._cell_k(node.name)
        unit = self.layout.styles[node.name].unit
        if node.type.series:
            return Piece(self.layout.relative_cell(node.name, node.offset, self.sheet), _PREC["atom"], k, unit)
        return Piece(self.layout.cell(node.name, None, self.sheet), _PREC["atom"], k, unit)

    def _Shift(self, node: ir.Shift) -> Piece:
        """x[t-lag]: INDEX into x's cells before this period, COLUMNS of them + 1 - lag; x[t+lead]:
        INDEX into the cells after it, lead. The current cell is in neither range (a recurrence
        reads no circular reference); the lag is ROUNDed as the engine rounds it (within 1e-9: a
        lag in years on months is 23.999999999999996 once multiplied) where INDEX would truncate.
        INDEX, not OFFSET: not volatile, and `formulas` cannot compute OFFSET."""
        cells = self.layout.beside_range(node.name, self.sheet, node.sign)
        by = f"ROUND({self._plain(node.by).text},0)"
        text = f"INDEX({cells},COLUMNS({cells})+1-{by})" if node.sign < 0 else f"INDEX({cells},{by})"
        k = 1.0 if node.type.boolean else self._cell_k(node.name)
        return Piece(text, _PREC["atom"], k, self.layout.styles[node.name].unit)

    def _At(self, node: ir.At) -> Piece:
        k = 1.0 if node.type.boolean else self._cell_k(node.name)
        return Piece(self.layout.cell(node.name, node.period, self.sheet), _PREC["atom"], k,
                     self.layout.styles[node.name].unit)

    def _Period(self, node: ir.Period) -> Piece:
        """A calendar function, read from the period's header cell (a date: the period's last day)."""
        builtin = builtins.OVER_PERIODS.get({"within": "in_period", "length": "period_length"}.get(node.what, node.what))
        if builtin is None or builtin.kind != "calendar":
            raise Unsupported(f"no Excel form for the period's {node.what}")
        header = self.layout.period_header(self.sheet)
        if node.what == "within":
            first, last = (self.layout.period_date(i) for i in (node.first, node.last))
            return Piece(builtin.excel.format(period=header, first=first, last=last), _PREC["atom"])
        if node.what == "length":  # one period, in the timeline's own unit (the row says month)
            return Piece("1", _PREC["atom"], 1.0, self.units.short(node.type.unit), 1.0)
        return Piece(builtin.excel.format(period=header, end=self.layout.timeline.fiscal_end or 12), _PREC["atom"])

    def _Reduce(self, node: ir.Reduce) -> Piece:
        cells = self.layout.row_range(node.name, node.start, node.stop, self.sheet)
        k = self._cell_k(node.name)
        f = node.func
        if f == "cagr":  # a ratio of two cells of one row: their unit cancels
            first = self.layout.cell(node.name, node.start, self.sheet)
            last = self.layout.cell(node.name, node.stop, self.sheet)
            years = self._number(float(node.stop - node.start) * node.step, "years in the cagr", "unit")
            return Piece(builtins.OVER_PERIODS[f].excel.format(first=first, last=last, periods=years), _PREC["+"])
        unit = self.layout.styles[node.name].unit
        lead = [self._plain(a).text for a in node.args]  # npv's rate: a plain number
        if f not in builtins.OVER_PERIODS:
            raise Unsupported(f"no Excel form for the function {f}()")
        excel = builtins.OVER_PERIODS[f].excel
        if "{series}" in excel:  # irr, xirr, xnpv: the series (and the header's dates) where Excel wants them
            dates = self.layout.header_range(node.start, node.stop, self.sheet)
            lead = self._daycount_rate(f, lead)
            text = self._daycount_result(f, excel.format(*lead, series=cells, dates=dates))
            if f == "xnpv":  # an amount, as npv's
                return Piece(text, _PREC["atom"], k * node.step, _times_period(unit, node.step))
            return Piece(text, _PREC["atom"])  # a rate: the cells' scale cancels
        return Piece(f"{excel}({','.join(lead + [cells])})", _PREC["atom"], k * node.step,
                     _times_period(unit, node.step))

    def _daycount_rate(self, f: str, lead: list[str]) -> list[str]:
        """XNPV counts years of 365 days; under another day count (365.25) its rate is the one
        that discounts a 365-day year as the model's rate discounts its year: (1+r)^(365/days)-1."""
        days = self.units.year_days
        if f != "xnpv" or days == 365:
            return lead
        power = self._number(365 / days, f"365 / {days:g} days (the model's day count)", "unit")
        return [f"POWER(1+{lead[0]},{power})-1"] + lead[1:]

    def _daycount_result(self, f: str, text: str) -> str:
        """XIRR's rate is per 365-day year; per the model's year it is (1+XIRR)^(days/365)-1."""
        days = self.units.year_days
        if f != "xirr" or days == 365:
            return text
        power = self._number(days / 365, f"{days:g} / 365 days (the model's day count)", "unit")
        return f"(POWER(1+{text},{power})-1)"

    def _Vintage(self, node: ir.Vintage) -> Piece:
        """The total of the depreciation's vintage triangle (exports/sheets/vintages.py) in the
        current period's column: its cells are in the capex row's unit."""
        return Piece(self.layout.vintage_total(node, self.owner, self.sheet), _PREC["atom"],
                     self._cell_k(node.name), self.layout.styles[node.name].unit)

    def _Running(self, node: ir.Running) -> Piece:
        k = self._cell_k(node.name)
        unit = _times_period(self.layout.styles[node.name].unit, node.step)
        return Piece(f"SUM({self.layout.running_range(node.name, self.sheet)})", _PREC["atom"], k * node.step, unit)

    # ------------------------------------------------------------------ operators
    def _Convert(self, node: ir.Convert) -> Piece:
        inner = self._emit(node.operand)
        if inner.literal is not None:
            return Piece(inner.text, inner.prec, inner.k * node.factor, inner.unit, inner.literal * node.factor)
        return Piece(inner.text, inner.prec, inner.k * node.factor, inner.unit)

    def _Unary(self, node: ir.Unary) -> Piece:
        inner = self._emit(node.operand)
        return Piece("-" + self._wrap(inner, _PREC["atom"]), _PREC["neg"], inner.k, inner.unit)

    def _Not(self, node: ir.Not) -> Piece:
        return Piece(f"NOT({self._emit(node.operand).text})", _PREC["atom"])

    def _Binary(self, node: ir.Binary) -> Piece:
        op = node.op
        if op in ("and", "or"):
            return Piece(f"{op.upper()}({self._emit(node.left).text},{self._emit(node.right).text})", _PREC["atom"])
        if op == "^":
            return self._power(node)
        left, right = self._emit(node.left), self._emit(node.right)
        k = left.k * right.k if op == "*" else left.k / right.k
        unit = _combine(left.unit, op, right.unit)
        if right.one:  # x*1, x/1
            return Piece(left.text, left.prec, k, unit)
        if left.one and op == "*":
            return Piece(right.text, right.prec, k, unit)
        prec = _PREC[op]
        return Piece(f"{self._wrap(left, prec)}{op}{self._wrap(right, prec + 1)}", prec, k, unit)

    def _power(self, node: ir.Binary) -> Piece:
        # Excel's ^ is left-associative and below negation: parenthesise anything compound.
        base, exponent = self._emit(node.left), self._plain(node.right)
        if not _same(base.k, 1.0) and isinstance(node.right, ir.Const):  # (t*k)^n = t^n * k^n
            k = base.k ** node.right.value
        else:
            base, k = (self._plain(node.left) if not _same(base.k, 1.0) else base), 1.0
        text = f"{self._wrap(base, _PREC['atom'])}^{self._wrap(exponent, _PREC['atom'])}"
        unit = f"({base.unit})^{_fmt(node.right.value)}" if base.unit and isinstance(node.right, ir.Const) else ""
        return Piece(text, _PREC["^"], k, unit)

    def _Sum(self, node: ir.Sum) -> Piece:
        nodes = [node.first] + [x for _, x in node.rest]
        pieces, k = self._common([self._emit(x) for x in nodes], nodes)
        block = self._block_sum(node, nodes, pieces, k)
        if block is not None:
            return block
        parts = [self._wrap(pieces[0], _PREC["+"])]
        parts += [op + self._wrap(piece, _PREC["+"] + 1) for (op, _), piece in zip(node.rest, pieces[1:])]
        return Piece("".join(parts), _PREC["+"], k, pieces[0].unit)

    def _block_sum(self, node: ir.Sum, nodes, pieces, k) -> Piece | None:
        """a + b + c over the consecutive rows of a block (a dimensioned quantity's items, as
        `sum(x over D)` writes it out) -> SUM(first:last), which reads as what it is."""
        if any(op != "+" for op, _ in node.rest):
            return None
        cells = self._block_range(nodes, pieces)
        return None if cells is None else Piece(f"SUM({cells})", _PREC["atom"], k, pieces[0].unit)

    def _block_range(self, nodes, pieces) -> str | None:
        """`first:last` where the nodes read the consecutive rows of one block at one period, each
        at its own cell's scale (sum, min, max over a dimension); None otherwise."""
        if len(nodes) < 3:
            return None
        if not all(isinstance(n, ir.Ref) and n.offset == 0 or isinstance(n, ir.At) for n in nodes):
            return None
        if len({(type(n), getattr(n, "period", None), n.type.series) for n in nodes}) != 1:
            return None
        places = [self.layout.places[n.name] for n in nodes]
        if len({(p.sheet, p.column) for p in places}) != 1 or \
                [p.row for p in places] != list(range(places[0].row, places[0].row + len(places))):
            return None
        if not all(_same(p.k, self._cell_k(n.name)) and p.literal is None for p, n in zip(pieces, nodes)):
            return None  # a term converted to another scale: keep the written-out sum
        first, last = pieces[0].text, pieces[-1].text
        prefix = first[:first.index("!") + 1] if "!" in first else ""
        if prefix and last.startswith(prefix):
            last = last[len(prefix):]
        return f"{first}:{last}"

    def _Compare(self, node: ir.Compare) -> Piece:
        (left, right), _ = self._common([self._emit(node.left), self._emit(node.right)], [node.left, node.right])
        return Piece(f"{self._wrap(left, _PREC['+'])}{_COMPARE[node.op]}{self._wrap(right, _PREC['+'])}",
                     _PREC["compare"])

    def _Approx(self, node: ir.Approx) -> Piece:
        nodes = [node.left, node.right] + ([] if node.relative else [node.tolerance])
        pieces, _ = self._common([self._emit(x) for x in nodes], nodes)
        left, right = pieces[0], pieces[1]
        tol = self._plain(node.tolerance) if node.relative else pieces[2]
        l_text, r_text = self._wrap(left, _PREC["+"]), self._wrap(right, _PREC["+"] + 1)
        if node.relative:
            return Piece(f"ABS({l_text}-{r_text})<={self._wrap(tol, _PREC['*'])}*ABS({right.text})", _PREC["compare"])
        return Piece(f"ABS({l_text}-{r_text})<={self._wrap(tol, _PREC['*'])}", _PREC["compare"])

    def _Func(self, node: ir.Func) -> Piece:
        """The registry's Excel form; display scales pass through as its scale rule says."""
        builtin = builtins.ELEMENTWISE.get(node.name)
        if builtin is None:
            raise Unsupported(f"no Excel form for the function {node.name}()")
        lead = 1 if builtin.unit_rule in ("condition", "index") else 0  # if's condition, choose's index
        head = [self._emit(a) if builtin.unit_rule == "condition" else self._plain(a) for a in node.args[:lead]]
        nodes = list(node.args[lead:])
        rule = builtin.scale
        if rule == "engine":
            pieces, k = [self._plain(a) for a in nodes], 1.0
        elif rule in ("keep", "root", "free") or node.type.boolean:
            pieces = [self._emit(a) for a in nodes]
            k = {"keep": pieces[0].k, "root": pieces[0].k ** 0.5, "free": 1.0}.get(rule, 1.0)
        else:  # common
            pieces, k = self._common([self._emit(a) for a in nodes], nodes)
        texts = [p.text for p in head + pieces]
        cells = self._block_range(nodes, pieces) if builtin.excel in ("MIN", "MAX") else None
        if cells is not None:  # min or max over a dimension's block: MAX(first:last), however many items
            return Piece(f"{builtin.excel}({cells})", _PREC["atom"], k, pieces[0].unit)
        if builtin.variadic:
            if builtin.excel == "CHOOSE" and len(texts) - 1 > limits.MAX_CHOOSE_VALUES:
                raise Unsupported(f"choose() among {len(texts) - 1} options; a spreadsheet's CHOOSE takes at "
                                  f"most {limits.MAX_CHOOSE_VALUES} (LibreOffice)")
            text = limits.nested_in_groups(builtin.excel, texts) if builtin.excel in ("MIN", "MAX") else \
                f"{builtin.excel}({','.join(texts)})"
        else:
            text = builtin.excel.format(*texts)
        unit = pieces[0].unit if pieces and rule in ("common", "keep") else ""
        return Piece(text, _PREC["neg"] if text.startswith("-") else _PREC["atom"], k, unit)


def _blank_call(node) -> ir.Reduce | None:
    """The first_period() or periods_before() a formula is made of (engine/ir.py blank_function)."""
    while isinstance(node, ir.Convert):
        node = node.operand
    return node if isinstance(node, ir.Reduce) and node.func in builtins.BLANK else None


def _combine(a: str, op: str, b: str) -> str:
    """The unit text of a product or quotient of two pieces (for labels only)."""
    if not b:
        return a
    if not a:
        return f"1/{b}" if op == "/" else b
    wrap = (lambda u: f"({u})" if "/" in u or "*" in u else u)  # noqa: E731
    return f"{a}{op}{wrap(b)}" if op == "/" else f"{a}*{b}"


def _times_period(unit: str, step: float) -> str:
    """The unit of a total: the cells' unit times the period (billion USD/year * year)."""
    return f"{unit}*period" if unit and step != 1.0 else unit



def _fmt(value: float) -> str:
    """60000000000 -> '60 billion': labels in the Constants block read like the model."""
    for power, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= power:
            return f"{value / power:.15g} {word}"
    return f"{value:.15g}"
