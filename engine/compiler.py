"""IR -> closures f(ctx, a, b) that give a node's values for periods a..b-1 (last axis).

One handler per node type (HANDLERS, over ir.NODES) serves both evaluators:
  - the row compiler compiles one formula: ctx is the env ({name: values}), results are
    prefix + (periods,);
  - the group compiler compiles k same-shape formulas at once: ctx is the value matrix, results
    are prefix + (k, periods) (engine/batching.py groups them).
They share every handler; only the leaves differ (where a value comes from: a name in the env or
rows gathered from the matrix; a constant, or a column of k constants). So a group computes, in
the same float operations and order, exactly what its rows compute one by one, by construction.
A node type without a handler is `Unsupported`, never a silent fallback.
"""

from __future__ import annotations

import datetime
import functools

import numpy as np

from . import builtins, ir, period_counts, spreadsheet_math


class Unsupported(Exception):
    """A node this backend has no handler for."""


# + and - snap a cancellation to 0 and comparisons have a tolerance, as a spreadsheet's do
# (engine/spreadsheet_math.py): the workbook, the engine and Monte Carlo agree on every check.
OPERATORS = {"+": spreadsheet_math.approx_add, "-": spreadsheet_math.approx_sub, "*": np.multiply,
             "/": np.divide, "^": np.power, "and": np.logical_and, "or": np.logical_or,
             **{op: (lambda op: lambda a, b: spreadsheet_math.compare(op, a, b))(op)
                for op in ("<", "<=", ">", ">=", "==", "!=")}}


class Compiler:
    """compile(nodes) -> closure: nodes are one formula (rows) or k same-shape ones (groups)."""

    def __init__(self, leaves):
        self.leaves = leaves

    def __call__(self, nodes: list):
        handler = HANDLERS.get(type(nodes[0]))
        if handler is None:
            raise Unsupported(f"no evaluation for {type(nodes[0]).__name__}")
        return handler(self, nodes)


# ---------------------------------------------------------------------- shared handlers


def _const(c, ns):
    value = c.leaves.param([n.value for n in ns])
    return lambda ctx, a, b: value


def _ref(c, ns):
    return c.leaves.ref(ns)


def _at(c, ns):
    return c.leaves.at(ns)


def _period(c, ns):
    values = calendar(c.leaves.timeline, ns[0])
    return lambda ctx, a, b: values[a:b]


def calendar(timeline: ir.Timeline, node: ir.Period) -> np.ndarray:
    """The values of a Period node over the whole timeline."""
    if node.what == "within":
        i = np.arange(len(timeline))
        return (i >= node.first) & (i <= node.last)
    return timeline.calendar(node.what)


def _reduce(c, ns):
    return c.leaves.reduce(ns, c)


def _running(c, ns):
    return c.leaves.running(ns)


def _vintage(c, ns):
    node = ns[0]
    if len(ns) > 1:
        raise Unsupported("depreciation by vintage runs row by row")
    name, first, life = node.name, node.first, c([node.life])
    periods = len(c.leaves.timeline)

    def f(ctx, a, b):
        x = np.asarray(ctx[name][..., :b], dtype=float)
        n = _count(life, ctx, a, periods)
        if n is None:  # not a whole number of periods in the timeline: the runtime error says so
            return np.full(x.shape[:-1] + (b - a,), np.nan)
        return builtins.vintage_depreciation(x, n, first)[..., a:b]
    return f


def _shift(c, ns):
    node = ns[0]
    if len(ns) > 1:
        raise Unsupported("a shift by an input runs row by row")
    name, sign, by = node.name, node.sign, c([node.by])
    periods = len(c.leaves.timeline)

    def f(ctx, a, b):
        x = np.asarray(ctx[name], dtype=float)
        out = np.full(x.shape[:-1] + (b - a,), np.nan)
        k = _count(by, ctx, a, periods - 1)
        if k is None:  # not a whole number of periods: the runtime error says so (evaluate._why)
            return out
        lo = a + sign * k  # the periods read, lo..lo+(b-a); outside the timeline: no value
        first, last = max(lo, 0), min(lo + b - a, periods)
        if first < last:
            out[..., first - lo:last - lo] = x[..., first:last]
        return out
    return f


def _count(f, ctx, a: int, most: int) -> int | None:
    """A count's closure (a life, a lag) read as whole periods from 1 to `most`, or None. Read at
    the current period (a, a+1): hoisted before a recurrence's period loop, it is sliced by period."""
    return whole_periods(np.asarray(f(ctx, a, a + 1), dtype=float), most)


def whole_periods(lives: np.ndarray, periods: int) -> int | None:
    """A count of periods read from an input (a depreciation life, the lag of x[t-lag]; the same
    in every sample) as a whole number from 1 to `periods`, or None."""
    first = float(lives.reshape(-1)[0])
    if not np.all(lives == first) or period_counts.count_problem(first, periods) is not None:
        return None
    return int(round(first))


def _convert(c, ns):
    inner, factor = c([n.operand for n in ns]), c.leaves.param([n.factor for n in ns])
    return lambda ctx, a, b: inner(ctx, a, b) * factor


def _unary(c, ns):
    inner = c([n.operand for n in ns])
    return lambda ctx, a, b: -inner(ctx, a, b)


def _not(c, ns):
    inner = c([n.operand for n in ns])
    return lambda ctx, a, b: np.logical_not(inner(ctx, a, b))


def _binary(c, ns):
    left, right = c([n.left for n in ns]), c([n.right for n in ns])
    op = OPERATORS[ns[0].op]
    return lambda ctx, a, b: op(left(ctx, a, b), right(ctx, a, b))


def _sum(c, ns):
    head = c([n.first for n in ns])
    rest = [(op, c([n.rest[i][1] for n in ns])) for i, (op, _) in enumerate(ns[0].rest)]
    return chain(head, rest)


def _func(c, ns):
    if ns[0].name not in builtins.ELEMENTWISE:
        raise Unsupported(f"no kernel for the function {ns[0].name}()")
    args = [c([n.args[i] for n in ns]) for i in range(len(ns[0].args))]
    return elementwise_func(ns[0].name, args)


def _approx(c, ns):
    left, right, tol = (c([getattr(n, f) for n in ns]) for f in ("left", "right", "tolerance"))
    if ns[0].relative:
        return lambda ctx, a, b: _approx_relative(left(ctx, a, b), right(ctx, a, b), tol(ctx, a, b))
    return lambda ctx, a, b: _within(np.abs(spreadsheet_math.approx_sub(left(ctx, a, b), right(ctx, a, b))),
                                     tol(ctx, a, b))


def _approx_relative(left, right, tol):
    """ABS(a-b)<=tol*ABS(b), as the workbook writes it and a spreadsheet computes it."""
    return _within(np.abs(spreadsheet_math.approx_sub(left, right)), tol * np.abs(right))


def _within(distance, allowed):
    return spreadsheet_math.compare("<=", distance, allowed)


HANDLERS = {ir.Const: _const, ir.Ref: _ref, ir.Shift: _shift, ir.At: _at, ir.Period: _period, ir.Reduce: _reduce,
            ir.Running: _running, ir.Vintage: _vintage, ir.Convert: _convert, ir.Unary: _unary, ir.Not: _not, ir.Binary: _binary,
            ir.Compare: _binary, ir.Sum: _sum, ir.Func: _func, ir.Approx: _approx}


def chain(first, rest: list):
    """The closure of a Sum over operand closures, left to right."""
    ops = [(OPERATORS[op], f) for op, f in rest]
    if len(ops) == 1:
        ((op, right),) = ops
        return lambda ctx, a, b: op(first(ctx, a, b), right(ctx, a, b))

    def many(ctx, a, b):
        value = first(ctx, a, b)
        for op, f in ops:
            value = op(value, f(ctx, a, b))
        return value
    return many


def elementwise_func(name: str, args: list):
    """The closure of an element-wise function of engine/builtins.py over argument closures."""
    kernel = builtins.ELEMENTWISE[name].kernel
    if len(args) == 1:
        (x,) = args
        return lambda ctx, a, b: kernel(x(ctx, a, b))
    if len(args) == 2:
        x, y = args
        return lambda ctx, a, b: kernel(x(ctx, a, b), y(ctx, a, b))
    return lambda ctx, a, b: kernel(*(f(ctx, a, b) for f in args))


# ---------------------------------------------------------------------- leaves


class RowLeaves:
    """One formula: values come from the env by name; constants are scalars."""

    def __init__(self, timeline: ir.Timeline):
        self.timeline = timeline

    @staticmethod
    def param(values: list[float]):
        return np.float64(values[0])

    @staticmethod
    def ref(ns):
        name, k = ns[0].name, ns[0].offset
        if not ns[0].type.series:
            return lambda env, a, b: env[name]
        return lambda env, a, b: env[name][..., a + k:b + k]

    @staticmethod
    def at(ns):
        name, i = ns[0].name, ns[0].period
        return lambda env, a, b: env[name][..., i:i + 1]

    def reduce(self, ns, compile_):
        node = ns[0]
        if node.func not in builtins.OVER_PERIODS:
            raise Unsupported(f"no kernel for the function {node.func}()")
        name, s, e, step = node.name, node.start, node.stop + 1, np.float64(node.step)
        builtin = builtins.OVER_PERIODS[node.func]
        kernel = builtin.kernel
        if builtin.dated:  # xirr, xnpv: days from the first period's end date to each one's
            first = self.timeline.end_date(s)
            days = np.array([(self.timeline.end_date(i) - first).days for i in range(s, e)], dtype=float)
            # the kernels count years of 365 days (Excel's); another day count scales the days
            kernel = functools.partial(kernel, days=days * (365 / self.timeline.year_days))
        if builtin.serials:  # first_period: each period's end date, as a spreadsheet's date serial
            kernel = functools.partial(kernel, serials=[serial(self.timeline.end_date(i)) for i in range(s, e)])
        args = [compile_([a]) for a in node.args]
        if not args:
            return lambda env, a, b: kernel(env[name][..., s:e], step)
        return lambda env, a, b: kernel(env[name][..., s:e], step, *(f(env, a, b) for f in args))

    @staticmethod
    def running(ns):
        node = ns[0]
        name, step, kernel = node.name, np.float64(node.step), builtins.OVER_PERIODS[node.func].kernel
        return lambda env, a, b: kernel(env[name][..., :b], step)[..., a:b]


class GroupLeaves:
    """k same-shape formulas: values are rows gathered from the value matrix; a constant that
    differs between the rows is a column."""

    def __init__(self, row_of: dict[str, int], timeline: ir.Timeline):
        self.row_of, self.timeline = row_of, timeline

    @staticmethod
    def param(values: list[float]):
        values = np.array(values, dtype=float)
        if (values == values[0]).all():
            return np.float64(values[0])
        return values[:, None]

    def ref(self, ns):
        rows = [self.row_of[n.name] for n in ns]
        if not ns[0].type.series:
            return _gather(rows, lambda a, b: (0, 1))
        k = ns[0].offset
        return _gather(rows, lambda a, b: (a + k, b + k))

    def at(self, ns):
        i = ns[0].period
        return _gather([self.row_of[n.name] for n in ns], lambda a, b: (i, i + 1))

    def reduce(self, ns, compile_):
        raise Unsupported("reductions run row by row")

    def running(self, ns):
        raise Unsupported("running sums run row by row")


def _gather(rows: list[int], columns):
    if all(r == rows[0] for r in rows):  # every row reads the same quantity: broadcast it
        r = rows[0]

        def one(M, a, b):
            lo, hi = columns(a, b)
            return M[..., r:r + 1, lo:hi]
        return one
    index = np.array(rows)

    def many(M, a, b):
        lo, hi = columns(a, b)
        return M[..., index, lo:hi]
    return many


_EPOCH = datetime.date(1899, 12, 30)  # day 0 of a spreadsheet's 1900 date system, from March 1900 on


def serial(date: datetime.date) -> float:
    """A date as a spreadsheet's serial number (what a header cell holds): 2027-03-31 is 46477."""
    return float((date - _EPOCH).days)
