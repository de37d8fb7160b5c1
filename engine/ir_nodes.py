"""The checked model's expressions: node types (each field declares its role, each node what it
reads: engine/reads.py), their types and shapes, and the walks over them (children, walk). engine/ir.py
holds the model they sit in and re-exports these names: backends read them as ir.Ref, ir.walk."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .diagnostics import Span
from .reads import Read


TIME = "time"


@dataclass(frozen=True)
class Shape:
    """The axes a value varies over, in order: () for a single value, (time,) for a series. A
    named dimension (region, product) is not an axis: engine/dimensions.py writes a quantity by
    region out item by item before checking, one row per item. The evaluator's rows and the
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


def reads_nothing(node) -> None:
    """The read() of a node kind that reads no quantity itself (its children may)."""
    return None


@dataclass(frozen=True)
class Const:
    value: float = _role("param")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


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

    read = reads_nothing


@dataclass(frozen=True)
class Unary:
    op: str = _role("struct")  # "-"
    operand: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Binary:
    op: str = _role("struct")  # * / ^ and or
    left: Any = _role("child")
    right: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Sum:
    """first op1 x1 op2 x2 ...: a chain of + and -, computed left to right (as Excel does),
    every operand already converted to the first one's unit."""

    first: Any = _role("child")
    rest: tuple = _role("chain")  # of (op, node), op "+" or "-"
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Compare:
    op: str = _role("struct")  # < <= > >= == !=
    left: Any = _role("child")
    right: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Not:
    operand: Any = _role("child")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Func:
    """An element-wise function of engine/builtins.py (if, min, max, abs, round, sqrt, ...)."""

    name: str = _role("struct")
    args: tuple = _role("children")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Convert:
    """operand * factor: an explicit unit conversion (MW -> GW, percent -> fraction)."""

    operand: Any = _role("child")
    factor: float = _role("param")
    from_unit: Any = _role("unit")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


@dataclass(frozen=True)
class Approx:
    """|left - right| <= tolerance (absolute) or <= tolerance * |right| (relative)."""

    left: Any = _role("child")
    right: Any = _role("child")
    tolerance: Any = _role("child")
    relative: bool = _role("struct")
    type: Type = _role("type")
    span: Span | None = field(**_SPAN)

    read = reads_nothing


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
