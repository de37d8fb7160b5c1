"""The parsed model: frozen dataclasses, one per construct, every node with a span.

Spans do not take part in equality, so `parse(fmt(x)) == parse(x)` compares meaning only.
Nothing here knows about units or values; the checker gives the tree its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span
from .syntax_data import Data, DataKey, DataRead, _span  # noqa: F401  (the data statement's nodes)


# ------------------------------------------------------------------ periods in selectors


@dataclass(frozen=True)
class Current:  # x[t]
    span: Span = _span()


@dataclass(frozen=True)
class Relative:  # x[t-1], x[t+2]
    offset: int
    span: Span = _span()


@dataclass(frozen=True)
class Shift:  # x[t-lag], x[t+lead]: periods back (sign -1) or ahead (+1), as many as an input says
    sign: int
    by: "Name"
    span: Span = _span()


@dataclass(frozen=True)
class PeriodLabel:
    """A period as written: 2027 (a year), 2027Q3 (a quarter), 2027-03 (a month). The checker
    reads it against the timeline (engine/ir.py Timeline.span_of)."""

    year: int
    kind: str = "year"  # "year" | "quarter" | "month"
    number: int = 0  # the quarter (1..4) or the month (1..12); 0 for a year
    fiscal: bool = False  # FY2027, FY2027Q3: a fiscal year or quarter (the timeline says where years end)

    def __str__(self) -> str:
        return label_text(self.year, self.kind, self.number, self.fiscal)


def label_text(year: int, kind: str, number: int, fiscal: bool = False) -> str:
    """How the language writes a period: 2027, 2027Q3, 2027-03; FY2027, FY2027Q3."""
    prefix = "FY" if fiscal and kind != "month" else ""
    if kind == "quarter":
        return f"{prefix}{year}Q{number}"
    if kind == "month":
        return f"{year}-{number:02d}"
    return f"{prefix}{year}"


@dataclass(frozen=True)
class Fixed:  # x[2027], x[2027Q3], x[2027-03]
    period: PeriodLabel
    span: Span = _span()


@dataclass(frozen=True)
class PeriodRange:  # x[2025..2029]; end None means "to the end of the timeline" (x[2027..])
    start: PeriodLabel
    end: PeriodLabel | None
    span: Span = _span()


Index = Current | Relative | Shift | Fixed | PeriodRange


# ------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Quantity:  # 13 billion USD/year
    number: float
    scale: str | None
    unit: str | None
    span: Span = _span()


@dataclass(frozen=True)
class Boolean:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class Name:  # revenue (the current period for a series) or a unit name such as year
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Item:  # eu in price[eu]: an item of a named dimension (only a name inside brackets)
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Indexed:  # revenue[t-1], price[eu], users[na, chat], mrr[eu, 2027]
    name: str
    index: Index | None  # None: items only
    span: Span = _span()
    items: tuple = ()  # of Item, in the order written


@dataclass(frozen=True)
class Call:  # max(a, b), total(burn[2025..2029]), sum(revenue over region, product)
    func: str
    args: tuple
    span: Span = _span()
    over: tuple = ()  # of Name: the dimensions `sum(x over D)` removes


@dataclass(frozen=True)
class Unary:  # -x, +x
    op: str
    operand: object
    span: Span = _span()


@dataclass(frozen=True)
class Binary:  # * / ^
    op: str
    left: object
    right: object
    span: Span = _span()


@dataclass(frozen=True)
class Sum:  # a + b - c: one node for a whole chain of + and -, computed left to right
    first: object
    rest: tuple  # of (op, operand), op "+" or "-"
    span: Span = _span()

    @property
    def operands(self) -> list:
        return [self.first] + [operand for _, operand in self.rest]


@dataclass(frozen=True)
class Compare:  # < <= > >= == !=
    op: str
    left: object
    right: object
    span: Span = _span()


@dataclass(frozen=True)
class Approx:  # a ~= b within 2%
    left: object
    right: object
    tolerance: object
    span: Span = _span()


@dataclass(frozen=True)
class Logical:  # and / or
    op: str
    left: object
    right: object
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: object
    span: Span = _span()


@dataclass(frozen=True)
class Table:  # {2025: 13 billion, 2026..2027: 30 billion};  {na: 20, eu: {2025: 1, 2026..: 2}}
    entries: tuple  # of (Fixed | PeriodRange | Item, expression | Table | Range)
    span: Span = _span()


@dataclass(frozen=True)
class Split:
    """An amount keyed by a coarser period, said where it falls: `150 million spread even` (an
    equal share in each of its periods) or `150 million in 2026Q2` (all in one, 0 in the others)."""

    value: object
    period: "PeriodLabel | None"  # None: spread even
    span: Span = _span()


@dataclass(frozen=True)
class Range:  # 50 billion USD/GW .. 60 billion USD/GW
    low: object
    high: object
    span: Span = _span()


# ------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class UnitText:  # a declared or display unit, as written (spaces removed)
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Source:
    file: str
    date: str | None
    quote: str | None
    span: Span = _span()


@dataclass(frozen=True)
class Display:
    scale: str | None
    unit: UnitText
    span: Span = _span()


@dataclass(frozen=True)
class Note:
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Rollup:  # rollup sum: how the quantity rolls up from months or quarters to years
    rule: str
    span: Span = _span()


@dataclass(frozen=True)
class Circular:  # circular: the quantity is in a loop within one period, on purpose
    span: Span = _span()


@dataclass(frozen=True)
class Base:  # base 55 billion USD/GW: a range's base value
    value: object
    span: Span = _span()


@dataclass(frozen=True)
class Clauses:
    """The clauses under a statement, in the author's order (`fmt` keeps it)."""

    items: tuple = ()  # of Source | Note | Display | Base | Rollup | Circular

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(c for c in self.items if isinstance(c, Source))

    @property
    def note(self) -> str | None:
        return next((c.text for c in self.items if isinstance(c, Note)), None)

    @property
    def display(self) -> Display | None:
        return next((c for c in self.items if isinstance(c, Display)), None)

    @property
    def rollup(self) -> Rollup | None:
        return next((c for c in self.items if isinstance(c, Rollup)), None)

    @property
    def circular(self) -> Circular | None:
        return next((c for c in self.items if isinstance(c, Circular)), None)

    @property
    def base(self):
        return next((c.value for c in self.items if isinstance(c, Base)), None)


@dataclass(frozen=True)
class ModelHeader:
    title: str
    span: Span = _span()


@dataclass(frozen=True)
class Timeline:  # timeline 2025-01..2033-12 monthly;  timeline FY2025..FY2030 yearly ending June
    start: PeriodLabel
    end: PeriodLabel
    frequency: str
    span: Span = _span()
    ending: str | None = None  # the month fiscal years end in, as written; None: calendar years


@dataclass(frozen=True)
class DayCount:  # daycount 365.25: how many days a year has, for every conversion and xnpv/xirr
    convention: str
    span: Span = _span()


@dataclass(frozen=True)
class UnitDef:  # unit token  /  unit kilotoken = 1000 token
    name: str
    definition: Quantity | None
    span: Span = _span()


@dataclass(frozen=True)
class Dimension:  # dimension region = {na, eu, apac}
    name: str
    items: tuple  # of Item
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Input:
    name: str
    unit: UnitText | None
    value: object  # a literal, a Table or a Range
    clauses: Clauses
    span: Span = _span()
    name_span: Span = _span()
    dims: tuple = ()  # of Name: `input price by region, product = ...`


@dataclass(frozen=True)
class Equation:
    name: str
    index: Index | None  # None: `name = ...` (shape inferred)
    unit: UnitText | None
    value: object
    clauses: Clauses
    span: Span = _span()
    name_span: Span = _span()
    items: tuple = ()  # of Item: `price[eu] = ...`, `promo[eu, 2026..] = ...` (one item's own equation)
    # Set by engine/dimensions.py on an item's copy of the general equation where the item has its
    # own equations too: it only defines the periods those leave.
    fallback: bool = field(default=False, compare=False)
    # Set by engine/actuals.py on the equation an `actual` statement is written out as: its
    # periods win over the quantity's other equations (engine/check/pieces.py).
    actual: "Actual | None" = field(default=None, compare=False)


@dataclass(frozen=True)
class Actual:
    """actual revenue = revenue_actual until 2026-10: `name` takes the values of `actuals` up to
    and including `until` (None: `until last`, the last period the actuals have) and its own
    formula after (engine/actuals.py writes it out as equations before the checker)."""

    name: str
    actuals: "Name"
    until: PeriodLabel | None
    span: Span = _span()
    name_span: Span = _span()
    until_span: Span = _span()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str | None
    equations: tuple[Equation, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Check:
    name: str
    periods: tuple[PeriodLabel, PeriodLabel] | None  # for t in A..B
    expr: object
    span: Span = _span()


@dataclass(frozen=True)
class Chart:  # chart "Cash": cash_balance, funding_gap
    title: str
    names: tuple  # of Name
    span: Span = _span()


@dataclass(frozen=True)
class Coefficient:  # -0.5 in `correlate a, b = -0.5`, as written
    value: float
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Correlate:  # correlate a, b = -0.5   correlate a, b, c = {1, 0.3, 0.1; 0.3, 1, 0.2; 0.1, 0.2, 1}
    names: tuple  # of Name, an item named as the language selects it: price[na]
    rows: tuple  # of tuples of Coefficient; a pair's one number: ((Coefficient,),)
    clauses: Clauses
    span: Span = _span()

    @property
    def matrix(self) -> bool:
        """Written as a matrix (else one number for two inputs)."""
        return len(self.rows) > 1 or len(self.rows[0]) > 1


@dataclass(frozen=True)
class Module:
    file: str
    statements: tuple
    comments: tuple = field(default=(), compare=False, repr=False)  # (line, text, own_line)
    # engine/dimensions.py's Dimensions once the module is written out item by item, else None
    dimensions: object = field(default=None, compare=False, repr=False)


def children(node) -> list:
    """The nodes directly below a statement or an expression."""
    if isinstance(node, (Unary, Not)):
        return [node.operand]
    if isinstance(node, (Binary, Compare, Logical)):
        return [node.left, node.right]
    if isinstance(node, Sum):
        return node.operands
    if isinstance(node, Approx):
        return [node.left, node.right, node.tolerance]
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, (Input, Equation)):
        return [node.value]
    if isinstance(node, Scenario):
        return list(node.equations)
    if isinstance(node, Check):
        return [node.expr]
    if isinstance(node, Actual):
        return [node.actuals]
    if isinstance(node, Table):
        return [v for _, v in node.entries]
    if isinstance(node, Range):
        return [node.low, node.high]
    if isinstance(node, Split):
        return [node.value]
    if isinstance(node, Indexed) and isinstance(node.index, Shift):
        return [node.index.by]  # the input that says how far: read like any name
    return []
