"""The checked model: names resolved, units verified, conversions explicit.

This is the one representation both backends read: the numpy evaluator (evaluate.py) and the
Excel formula emitter (exports/). Every number in it is a plain float in the unit recorded on
its node; every unit change is an explicit Convert node with its factor, so a backend never
needs pint.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from collections.abc import Mapping
from typing import Any

import numpy as np

from .diagnostics import Span
from .reads import Read
from .timeline import FREQUENCIES, LABELS_PER_YEAR, MONTHS, Timeline, parse_label  # noqa: F401 (ir's names)


TIME = "time"


@dataclass(frozen=True)
class Shape:
    """The axes a value varies over, in order: () for a single value, (time,) for a series. A
    named dimension (region, product) will be one more axis; the evaluator's rows and the
    workbook's cells are laid out from the shape."""

    axes: tuple[str, ...] = ()

    @property
    def over_time(self) -> bool:
        return TIME in self.axes

    def width(self, periods: int) -> int:
        """Cells along the time axis: every period, or one for a value that does not vary."""
        return periods if self.over_time else 1


SCALAR = Shape(())
SERIES = Shape((TIME,))


def join(shapes) -> Shape:
    """The shape of a value computed from values of these shapes: the union of their axes."""
    # Called for every operand the checker types; the common cases (equal shapes, a single value
    # beside a series) return an existing Shape without building a new one.
    result = SCALAR
    for shape in shapes:
        if shape is result or shape.axes == result.axes or not shape.axes:
            continue
        if not result.axes:
            result = shape
            continue
        result = Shape(result.axes + tuple(a for a in shape.axes if a not in result.axes))
    return result


@dataclass(frozen=True)
class Type:
    unit: Any  # a pint Unit; None for booleans
    shape: Shape

    @property
    def boolean(self) -> bool:
        return self.unit is None

    @property
    def series(self) -> bool:
        """Varies over time."""
        return self.shape.over_time


# ------------------------------------------------------------------------- expressions
# Every node has `type` and `span`. Periods are indices into the timeline (0-based).
# Each field says its role (metadata), from which the evaluators derive what two same-shape
# formulas share (engine/batching.py shape()): "child" / "children" / "chain" are sub-nodes,
# "struct" must be equal for two rows to compute alike, "param" may differ per row (a name, a
# constant, a factor). ir.children() and ir.NODES are the one list of node types every
# backend must cover (a test checks it).


def _role(role: str, **kw):
    return field(metadata={"role": role}, **kw)


_SPAN = dict(default=None, compare=False)


@dataclass(frozen=True)
class Const:
    value: float = _role("param")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Ref:
    """A quantity at the current period shifted by `offset` (series), or a scalar (offset 0)."""

    name: str = _role("param")
    offset: int = _role("struct")
    type: Type = _role("series")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "offset", self.offset, self.offset, span=self.span)


@dataclass(frozen=True)
class Shift:
    """A series at the current period shifted back (sign -1) or ahead (+1) by `by` periods: a
    plain whole number read from an input (x[t-lag]), so it may change with a scenario or --set."""

    name: str = _role("param")
    sign: int = _role("struct")
    by: Any = _role("child")
    type: Type = _role("series")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "shifted", sign=self.sign, count=self.by, span=self.span)


@dataclass(frozen=True)
class At:
    """A series at one fixed period."""

    name: str = _role("param")
    period: int = _role("struct")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "fixed", self.period, self.period, span=self.span)


@dataclass(frozen=True)
class Reduce:
    """A reduction of engine/builtins.py (total, sum, average, min, max, npv, cagr, irr, ...) of the
    series `name` over periods start..stop (inclusive). `step` is the period length in the result's
    unit factor (total and npv integrate); `args` are its other arguments, in order (npv's rate,
    irr's guess), each a plain number."""

    func: str = _role("struct")
    name: str = _role("param")
    start: int = _role("struct")
    stop: int = _role("struct")
    step: float = _role("param")
    args: tuple = _role("children")  # plain-number arguments besides the series (npv's rate), often none
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "range", self.start, self.stop, span=self.span)


@dataclass(frozen=True)
class Running:
    """running_total (integrates, times `step`) or running_sum of a series up to the current period."""

    func: str = _role("struct")
    name: str = _role("param")
    step: float = _role("param")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "to_date", span=self.span)


@dataclass(frozen=True)
class Vintage:
    """depreciation(name, life, first): each period's value of the series `name` charged over
    `life` periods (a plain whole number, a literal or an input), `first` of one charge in its own
    period (builtins.vintage_depreciation). The workbook writes the vintage triangle."""

    func: str = _role("struct")
    name: str = _role("param")
    life: Any = _role("child")
    first: float = _role("struct")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return Read(self.name, "to_date", count=self.life, span=self.span)


@dataclass(frozen=True)
class Period:
    """A fact about the current period (engine/builtins.py calendar functions): its calendar
    year, quarter or month (numbers), its length (1 period, in the timeline's step unit), or
    whether it lies in periods first..last (in_period, a FAST flag: true/false)."""

    what: str = _role("struct")  # year | quarter | month | length | within
    first: int = _role("struct")  # within: the periods it is true in (inclusive); else 0
    last: int = _role("struct")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Unary:
    op: str = _role("struct")  # "-"
    operand: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Binary:
    op: str = _role("struct")  # * / ^ and or
    left: Any = _role("child")
    right: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Sum:
    """first op1 x1 op2 x2 ...: a chain of + and -, computed left to right (as Excel does),
    every operand already converted to the first one's unit."""

    first: Any = _role("child")
    rest: tuple = _role("chain")  # of (op, node), op "+" or "-"
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Compare:
    op: str = _role("struct")  # < <= > >= == !=
    left: Any = _role("child")
    right: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Not:
    operand: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Func:
    """An element-wise function of engine/builtins.py (if, min, max, abs, round, sqrt, ...)."""

    name: str = _role("struct")
    args: tuple = _role("children")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Convert:
    """operand * factor: an explicit unit conversion (MW -> GW, percent -> fraction)."""

    operand: Any = _role("child")
    factor: float = _role("param")
    from_unit: Any = _role("unit")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


@dataclass(frozen=True)
class Approx:
    """|left - right| <= tolerance (absolute) or <= tolerance * |right| (relative)."""

    left: Any = _role("child")
    right: Any = _role("child")
    tolerance: Any = _role("child")
    relative: bool = _role("struct")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    def read(self) -> Read | None:
        return None  # reads no quantity itself (its children may)


NODES = (Const, Ref, Shift, At, Period, Reduce, Running, Vintage, Unary, Binary, Sum, Compare, Not, Func, Convert, Approx)
_ROLES = {cls: tuple((f.name, f.metadata.get("role")) for f in fields(cls)) for cls in NODES}


def reads(node) -> Read | None:
    """What the node itself reads (engine/reads.py), None if it reads no quantity."""
    return node.read()


def roles(cls) -> tuple[tuple[str, str | None], ...]:
    """(field, role) of a node type, in field order."""
    return _ROLES[cls]


# Only the fields that hold sub-nodes: children() is called for every node of every pass.
_CHILD_FIELDS = {cls: tuple((name, role) for name, role in _ROLES[cls] if role in ("child", "children", "chain"))
                 for cls in NODES}


def children(node) -> tuple:
    """The sub-nodes of a node, in field order (derived from the roles)."""
    found = _CHILD_FIELDS.get(type(node))
    if not found:
        return ()
    out = []
    for name, role in found:
        value = getattr(node, name)
        if role == "child":
            out.append(value)
        elif role == "children":
            out.extend(value)
        else:  # a chain: (operator, node) pairs
            out.extend(x for _, x in value)
    return tuple(out)


def walk(node):
    """Every node of an expression, itself first."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def blank_function(q) -> str | None:
    """The function (first_period, periods_before) a formula is made of, where it may give no
    value; None for any other quantity. Such a formula is one call (the checker says so)."""
    from .builtins import BLANK

    for eq in getattr(q, "equations", ()):
        node = eq.expr
        while isinstance(node, Convert):
            node = node.operand
        if isinstance(node, Reduce) and node.func in BLANK:
            return node.func
    return None


def count_input(node) -> str | None:
    """The input a count of periods reads (Vintage.life, Shift.by: through conversions), or None
    for a literal."""
    while isinstance(node, Convert):
        node = node.operand
    return node.name if isinstance(node, Ref) else None


# ------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class SourceRef:
    file: str
    date: str | None
    quote: str | None

    def to_dict(self) -> dict:
        return {"file": self.file, "date": self.date, "quote": self.quote}


@dataclass(frozen=True)
class Equation:
    """`name[start..stop] = expr` for a series (inclusive period indices); start=stop=None for a scalar."""

    start: int | None
    stop: int | None
    expr: Any
    span: Span | None = field(default=None, compare=False)
    text: str = ""  # the source text of the right-hand side, for explain


@dataclass(frozen=True)
class InputValues:
    """An input's values, kept apart from what the input is (read-only arrays)."""

    value: np.ndarray  # in the input's unit (a single value: shape (1,))
    low: float | None = None  # uncertain inputs: the bounds that --explore searches
    high: float | None = None
    distribution: tuple | None = None  # ("uniform", lo, hi), ("triangular", lo, mode, hi),
    # ("normal", mean, sd, lo, hi), ("lognormal", median, sigma, lo, hi); lo/hi may be None


@dataclass(frozen=True)
class Quantity:
    """A checked quantity: frozen (the checker builds it as engine/check/scope.py's Draft)."""

    name: str
    kind: str  # "input" | "formula"
    type: Type
    unit_text: str  # as the model spelled it, or a compact form of the inferred unit
    equations: tuple[Equation, ...]
    span: Span | None
    note: str | None = None
    sources: tuple[SourceRef, ...] = ()
    display_scale: str | None = None  # thousand/million/billion/trillion, None = choose
    display_unit: Any = None  # a pint unit to show the values in, None = the quantity's unit
    display_factor: float = 1.0  # magnitude in unit * display_factor = magnitude in display_unit
    defined: np.ndarray | None = None  # bool per period: where a series has a value (read-only)
    declared: bool = False  # inputs: the unit is declared (`input x: USD = ...`): bare numbers are read in it
    inputs: InputValues | None = None  # an input's values
    rollup: str | None = None  # the `rollup` clause: how a sub-annual series rolls up (engine/rollup.py)

    @property
    def series(self) -> bool:
        return self.type.series

    @property
    def unit(self):
        return self.type.unit

    @property
    def value(self) -> np.ndarray | None:
        return self.inputs.value if self.inputs is not None else None

    @property
    def low(self) -> float | None:
        return self.inputs.low if self.inputs is not None else None

    @property
    def high(self) -> float | None:
        return self.inputs.high if self.inputs is not None else None

    @property
    def distribution(self) -> tuple | None:
        return self.inputs.distribution if self.inputs is not None else None


def read_only(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    out = np.array(array)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Check:
    name: str
    expr: Any
    start: int | None  # the period indices it is asserted over; None for a scalar check
    stop: int | None
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Chart:
    """chart "title": a, b: series the workbook (and plot) draw together."""

    title: str
    names: tuple[str, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Step:
    """One step of the evaluation plan: quantities evaluated together.
    sequential=False: one quantity, each equation vectorised over its periods.
    sequential=True: a recurrence; all members are evaluated period by period (in `order`, if
    given)."""

    names: tuple[str, ...]
    sequential: bool
    # A recurrence whose loop goes through fixed periods (debt_at_cod = debt[2027] read by the
    # amortisation from 2028) or holds a declared circular loop: each (name, period) in an order
    # where it is computed before it is read (period None for a single value), a declared loop
    # within one period as one Loop, solved together. None: the members' periods in order.
    order: tuple | None = None  # of (name, period) | Loop

    @property
    def loops(self) -> list["Loop"]:
        return [entry for entry in self.order or () if isinstance(entry, Loop)]

    def nodes(self) -> list[tuple[str, int | None]]:
        """The (name, period) of the order, a loop's nodes in their place."""
        out = []
        for entry in self.order or ():
            out.extend(entry.nodes if isinstance(entry, Loop) else (entry,))
        return out


@dataclass(frozen=True)
class Loop:
    """A declared circular loop within one period (`circular` on each member): its (name, period)
    nodes, solved together by iteration (engine/evaluate.py), by iterative calculation in Excel."""

    nodes: tuple[tuple[str, int | None], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for name, _ in self.nodes))

    @property
    def period(self) -> int | None:
        return self.nodes[0][1]


@dataclass(frozen=True)
class Dimensions:
    """The model's named dimensions (engine/dimensions.py). A dimensioned quantity is checked and
    computed as one quantity per item combination, named as the language selects it:
    `revenue[na, chat]`; this records which those are, for the commands and the workbook."""

    items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # dimension -> its items, in order
    of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # quantity -> its dimensions, in order
    rows: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # item name -> (quantity, items)
    _names: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        # every quantity's rows, in dimension order (the last dimension fastest), listed once
        for quantity, dims in self.of.items():
            self._names[quantity] = [item_name(quantity, combo) for combo in self.combinations(dims)]

    def __bool__(self) -> bool:
        return bool(self.items)

    def names(self, quantity: str) -> list[str]:
        """The quantities `quantity` stands for: its item rows, or itself."""
        return self._names.get(quantity, [quantity])

    def combinations(self, dims) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = [()]
        for d in dims:
            out = [combo + (item,) for combo in out for item in self.items[d]]
        return out

    def quantity_of(self, name: str) -> str:
        """`revenue[na, chat]` -> `revenue`; any other name -> itself."""
        return self.rows[name][0] if name in self.rows else name


def item_name(quantity: str, items) -> str:
    """How the language selects one item combination: revenue[na, chat]."""
    return f"{quantity}[{', '.join(items)}]" if items else quantity


def row_name(text: str) -> str:
    """A row as a user types it on the command line -> as rows are named: `users[na,chat]` ->
    `users[na, chat]`; any other text stripped."""
    if "[" not in text or not text.endswith("]"):
        return text.strip()
    name, _, rest = text.partition("[")
    return item_name(name.strip(), [p.strip() for p in rest[:-1].split(",")])


NO_DIMENSIONS = Dimensions()


@dataclass(frozen=True)
class CheckedModel:
    """The checked model of one scenario: frozen, its mappings read-only."""

    title: str
    file: str
    timeline: Timeline
    quantities: Mapping[str, Quantity]
    checks: tuple[Check, ...]
    plan: tuple[Step, ...]
    scenario: str
    scenarios: dict[str, str | None]  # every scenario name -> its description ("base" included)
    units: Any  # the UnitSystem, for conversions at the edges (--set, display)
    dependencies: dict[str, set[str]] = field(default_factory=dict)
    sources_text: dict[str, str] = field(default_factory=dict)
    charts: tuple["Chart", ...] = ()  # the model's `chart` statements
    dimensions: Dimensions = NO_DIMENSIONS
    warnings: tuple = ()  # Diagnostics of severity "warning": valid, but probably not meant
    counts: Mapping[str, Any] = field(default_factory=dict)  # inputs that count periods -> engine/period_counts.py Limit
