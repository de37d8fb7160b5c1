"""The checked model: names resolved, units verified, conversions explicit.

This is the one representation both backends read: the numpy evaluator (evaluate.py) and the
Excel formula emitter (exports/). Every number in it is a plain float in the unit recorded on
its node; every unit change is an explicit Convert node with its factor, so a backend never
needs pint. The expressions (node types, shapes, walks) are engine/ir_nodes.py's, re-exported
here; this module holds what they sit in: quantities, equations, checks, the plan, the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

import numpy as np

from .diagnostics import Span
from .ir_nodes import (  # noqa: F401 (ir's names: the expressions, engine/ir_nodes.py)
    TIME, Shape, SCALAR, SERIES, join, Type, Const, Ref, Shift, At, Reduce, Running, Vintage, Period, Unary,
    Binary, Sum, Compare, Not, Func, Convert, Approx, NODES, reads, roles, children, walk, blank_function,
    count_input,
)
from .timeline import FREQUENCIES, LABELS_PER_YEAR, MONTHS, Timeline, parse_label  # noqa: F401 (ir's names)


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
class Actuals:
    """`actual revenue = revenue_actual until 2026-10` (engine/actuals.py): the quantity is the
    row `source` in periods 0..until (inclusive), its formula after."""

    source: str
    until: int  # the last actual period on the model's timeline (rolled up: the last wholly actual one, or -1)
    through: str = ""  # its label on the model's own timeline (2026-10), kept when rolled up


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
    actual: Actuals | None = None  # the periods it takes from its actuals (an `actual` statement)

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
class Correlation:
    """correlate a, b = -0.5: the rank (Spearman) correlations of uncertain inputs, as stated (a
    pair as its 2 x 2 matrix). Inputs a scenario fixes are left out of its checked model."""

    names: tuple[str, ...]
    ranks: tuple[tuple[float, ...], ...]  # the symmetric matrix, 1 on its diagonal
    note: str | None = None
    sources: tuple[SourceRef, ...] = ()
    span: Span | None = field(default=None, compare=False)

    def pairs(self):
        """(a, b, rho) for each pair, in the matrix's order."""
        n = len(self.names)
        return [(self.names[i], self.names[j], self.ranks[i][j]) for i in range(n) for j in range(i + 1, n)]


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
    correlations: tuple[Correlation, ...] = ()  # the `correlate` statements on this scenario's uncertain inputs
