"""Same-shape formulas evaluated together, one numpy call per node for the whole group.

A workbook model is mostly rows that repeat a few formula shapes (`x[t-1] * damping + max(a, b)`
with different rows for x, a and b). Evaluating each row on its own costs a few numpy calls per
node per row, and at 40 periods numpy's per-call overhead, not arithmetic, is the bill. Here the
plan is regrouped: every step gets a dependency level (1 + the highest level it reads; inputs are
level 0); steps on one level never read each other, so steps of one level whose formulas have the
same shape form one group, computed on `(rows, periods)` blocks gathered from the value matrix.

A group is compiled by the same handlers as a single row, with other leaves (engine/compiler.py),
so its values are bit-for-bit those of its rows evaluated one by one, by construction (and a
property test checks it). Nodes that are not element-wise (reductions, running sums, choose,
round) are not grouped: their steps run on their own.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from . import builtins, compiler, ir, spreadsheet_math

ROW_LOOP_LIMIT = 16  # deterministic groups up to this size loop on floats row by row; larger, on numpy columns


class NotBatchable(Exception):
    pass



def shape(node) -> tuple:
    """A node's structure without its parameters (names, constants, factors): two formulas of
    equal shape compute alike, so their rows can run as one group. Derived from the roles the
    IR declares for each field (engine/ir.py)."""
    kind = type(node)
    if kind not in ir.NODES or kind in (ir.Reduce, ir.Running, ir.Vintage, ir.Shift) or (
            kind is ir.Func and not getattr(builtins.ELEMENTWISE.get(node.name), "groupable", False)):
        raise NotBatchable(kind.__name__)
    if kind is ir.Binary and node.op == "^" and type(node.right) is ir.Const:
        # numpy computes x ** 2.0 as x * x for a scalar exponent, but calls pow() for an array
        # of exponents: the last bit can differ, so only rows with the same exponent group.
        return ("^", shape(node.left), ("const", node.right.value))
    out: list = [kind.__name__]
    for name, role in ir.roles(kind):
        value = getattr(node, name)
        if role == "child":
            out.append(shape(value))
        elif role == "children":
            out.append(tuple(shape(v) for v in value))
        elif role == "chain":
            out.append(tuple((op, shape(v)) for op, v in value))
        elif role == "struct":
            out.append(value)
        elif role == "series":
            out.append(value.series)
    return tuple(out)


def reads(node, memo: dict | None = None) -> frozenset[str]:
    """Every quantity an expression reads. `memo` (id -> (node, names)) shares the answers for
    subtrees between calls on one model."""
    if memo is not None and id(node) in memo:
        return memo[id(node)][1]
    if isinstance(node, ir.Const):
        return frozenset()
    read = node.read()  # what the node reads itself (engine/reads.py), then what its children do
    out = frozenset().union(*(reads(k, memo) for k in ir.children(node)))
    if read is not None:
        out = out | {read.name}
    if memo is not None:
        memo[id(node)] = (node, out)
    return out


def levels(steps: list, names_of, reads_of) -> list[int]:
    """Each step's dependency level; `steps` come dependencies first (the plan's order)."""
    level_of: dict[str, int] = {}
    out = []
    for step in steps:
        own = set(names_of(step))
        level = 1 + max((level_of.get(n, 0) for n in reads_of(step) if n not in own), default=0)
        for n in own:
            level_of[n] = level
        out.append(level)
    return out


def regroup(steps: list, keys: list, step_levels: list[int]):
    """Plan order -> level order, with steps that share a key (not None) on one level merged.
    Yields (level, "single", step) or (level, "group", [steps])."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for i, level in enumerate(step_levels):
        by_level[level].append(i)
    for level in sorted(by_level):
        groups: dict[tuple, list[int]] = defaultdict(list)
        order: list[tuple] = []
        for i in by_level[level]:
            key = keys[i]
            if key is None:
                order.append(("single", i))
                continue
            if key not in groups:
                order.append(("group", key))
            groups[key].append(i)
        for kind, what in order:
            if kind == "single":
                yield level, "single", steps[what]
            else:
                yield level, "group", [steps[i] for i in groups[what]]


# ---------------------------------------------------------------------- batched closures


def compile_group(nodes: list, row_of: dict[str, int], periods: ir.Timeline):
    """One closure g(M, a, b) for k same-shape nodes (one per row of the group), shaped
    prefix + (k, b-a): the row compiler's handlers with the group's leaves (engine/compiler.py)."""
    try:
        return compiler.Compiler(compiler.GroupLeaves(row_of, periods))(nodes)
    except compiler.Unsupported as err:
        raise NotBatchable(str(err)) from None


def affine_loop(M, rows, a: int, b: int, coefficient, terms) -> None:
    """x[t] = ((coefficient[t] * x[t-1]) op1 term1[t]) op2 term2[t] ... for periods a..b-1 of
    the rows `rows` of M, written back into M. coefficient and terms are arrays broadcastable
    to prefix + (k, b-a); ops are "+" or "-". Same float operations, same order, as the
    single-row formula evaluated period by period, + and - as a spreadsheet computes them
    (engine/spreadsheet_math.py): the loop runs on plain floats, then one vectorised pass looks for
    an addition that cancelled to within 2^-48; only then is it run again with the snapping
    operations (until the first cancellation both give the same numbers, bit for bit)."""
    _loop(M, rows, a, b, coefficient, terms, _PLAIN, _PLAIN_FLOAT)
    if terms and _cancelled(M, rows, a, b, coefficient, terms):
        _loop(M, rows, a, b, coefficient, terms, _ADD, _ADD_FLOAT)


def _loop(M, rows, a: int, b: int, coefficient, terms, add: dict, add_float: dict) -> None:
    k, width = len(rows), b - a
    shape = M.shape[:-2] + (k, width)
    if M.ndim == 2 and k <= ROW_LOOP_LIMIT:  # few rows: Python floats beat numpy's per-call cost
        A = _per_row(coefficient, shape)
        Bs = [(op, _per_row(t, shape)) for op, t in terms]
        prevs = M[rows, a - 1].tolist()
        M[rows, a:b] = [_float_loop(prevs[r], A[r], [(op, B[r]) for op, B in Bs], add_float) for r in range(k)]
        return
    # Many rows (or samples): one numpy call per period and operation.
    A = _periods_first(coefficient, shape)
    Bs = [(add[op], _periods_first(t, shape)) for op, t in terms]
    X = np.empty((width + 1,) + shape[:-1])
    X[0] = M[..., rows, a - 1]
    for i in range(width):
        x = X[i + 1]
        np.multiply(A[i], X[i], out=x)
        for op, B in Bs:
            if add is _PLAIN:
                op(x, B[i], out=x)
            else:
                x[...] = op(x, B[i])
    M[..., rows, a:b] = np.moveaxis(X[1:], 0, -1)


def _cancelled(M, rows, a: int, b: int, coefficient, terms) -> bool:
    """Whether one of the loop's additions cancelled to within a spreadsheet's tolerance: its
    partial sums recomputed from the values the loop wrote (the same operations, all periods at
    once). Coefficients and terms arrive in the loop's layouts: broadcast to (prefix, k, periods)."""
    shape = M.shape[:-2] + (len(rows), b - a)
    so_far = np.multiply(_full(coefficient, shape), M[..., rows, a - 1:b - 1])
    for op, term in terms:
        nxt = _PLAIN[op](so_far, _full(term, shape))
        with np.errstate(invalid="ignore", over="ignore"):
            maybe = (np.abs(nxt) < np.abs(so_far) * spreadsheet_math.E48) & (nxt != 0)
        if maybe.any():
            other = _full(term, shape) if op == "+" else -_full(term, shape)
            if (maybe & spreadsheet_math.approx_equal(so_far, -other)).any():
                return True
        so_far = nxt
    return False


def _full(value, shape) -> np.ndarray:
    if isinstance(value, PeriodsFirst):
        return np.moveaxis(value.array, 0, -1)
    return np.broadcast_to(np.asarray(value, dtype=float), shape)


# + and - as a spreadsheet computes them (engine/spreadsheet_math.py), and plain
_ADD = {"+": spreadsheet_math.approx_add, "-": spreadsheet_math.approx_sub}
_ADD_FLOAT = {"+": spreadsheet_math.approx_add_float, "-": spreadsheet_math.approx_sub_float}
_PLAIN = {"+": np.add, "-": np.subtract}
_PLAIN_FLOAT = {"+": float.__add__, "-": float.__sub__}


class _Repeat:
    """The same value for every period: indexing by period returns it."""

    def __init__(self, value):
        self.value = value

    def __getitem__(self, i):
        return self.value


class PeriodsFirst:
    """An array already laid out (periods,) + prefix + (rows,), as the column loop reads it."""

    def __init__(self, array):
        self.array = array


def _periods_first(value, shape):
    """value (broadcastable to prefix + (k, periods)) indexable by period: value[i] is the
    prefix + (k,) slice for period i (a view; nothing is copied or broadcast in memory)."""
    if isinstance(value, PeriodsFirst):
        return value.array
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return _Repeat(value)
    value = full_rank(value, len(shape))
    if value.shape[-1] == 1:  # the same for every period
        return _Repeat(value[..., 0])
    return np.moveaxis(value, -1, 0)


def full_rank(value: np.ndarray, ndim: int) -> np.ndarray:
    """value with leading axes of length 1 added up to ndim: (periods,) -> (1, 1, periods)."""
    return value.reshape((1,) * (ndim - value.ndim) + value.shape)


def _per_row(value, shape) -> list:
    """Row r's values as a list of floats, for r in range(k)."""
    if isinstance(value, PeriodsFirst):
        return value.array.T.tolist()
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return [[float(value)] * shape[-1]] * shape[-2]
    return np.broadcast_to(value, shape).tolist()


def _float_loop(prev: float, coefficients: list, terms: list, add_float: dict) -> list:
    out = []
    if not terms:
        for c in coefficients:
            prev = c * prev
            out.append(prev)
    elif len(terms) == 1 and add_float is _PLAIN_FLOAT:  # the common case, as tight as Python allows
        op, offsets = terms[0]
        if op == "+":
            for c, d in zip(coefficients, offsets):
                prev = c * prev + d
                out.append(prev)
        else:
            for c, d in zip(coefficients, offsets):
                prev = c * prev - d
                out.append(prev)
    elif len(terms) == 1:
        op, offsets = terms[0]
        add = add_float[op]
        for c, d in zip(coefficients, offsets):
            prev = add(c * prev, d)
            out.append(prev)
    elif add_float is _PLAIN_FLOAT:
        for i, c in enumerate(coefficients):
            prev = c * prev
            for op, offsets in terms:
                prev = prev + offsets[i] if op == "+" else prev - offsets[i]
            out.append(prev)
    else:
        adds = [(add_float[op], offsets) for op, offsets in terms]
        for i, c in enumerate(coefficients):
            prev = c * prev
            for add, offsets in adds:
                prev = add(prev, offsets[i])
            out.append(prev)
    return out


def affine_parts(expr, name: str, memo: dict | None = None):
    """Recognise `x[t-1] * A (+|-) B1 (+|-) B2 ...` (and `B + x[t-1] * A ...`, `B - x[t-1] * A ...`
    where B is the sum of the operands before x, a bare `x[t-1]`), where A and the B's do not read
    x, in the exact order the generic evaluation would compute it. Returns (A, [(op, B), ...]) with A an IR node, "one" for a
    bare x[t-1] or "minus one" for B - x[t-1]; or None. The mirrored forms are exact too:
    B - y == (-y) + B and (-x) * A == -(x * A) in IEEE arithmetic."""

    def lagged(node):
        if isinstance(node, ir.Ref) and node.name == name and node.offset == -1:
            return "one"
        if isinstance(node, ir.Binary) and node.op == "*":
            for this, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(this, ir.Ref) and this.name == name and this.offset == -1 and \
                        name not in reads(other, memo):
                    return other
        return None

    a = lagged(expr)
    if a is not None:
        return a, []
    if not isinstance(expr, ir.Sum):
        return None
    operands = [expr.first] + [x for _, x in expr.rest]
    holding = [i for i, x in enumerate(operands) if name in reads(x, memo)]
    if holding == [0]:  # x[t-1] * A (+|-) B1 (+|-) B2 ...
        a = lagged(expr.first)
        return None if a is None else (a, list(expr.rest))
    if len(holding) == 1:  # B1 + B2 + x[t-1] * A (+|-) C ...: the operands before x are one term
        k = holding[0]
        a = lagged(operands[k])
        if a is None:
            return None
        before = expr.first if k == 1 else ir.Sum(expr.first, expr.rest[:k - 1], expr.type, expr.span)
        op = expr.rest[k - 1][0]
        return (a if op == "+" else ("negate", a)), [("+", before)] + list(expr.rest[k:])
    return None


# ------------------------------------------------------------------ affine recurrences, grouped


def split_affine(expr, name: str, memo: dict | None = None):
    """(coefficient, [(op, term)]) of `x[t-1] * A + B ...` (affine_parts), or
    (None, [("=", expr)]) for an equation that does not read x, or None."""
    if name not in reads(expr, memo):
        return None, [("=", expr)]
    return affine_parts(expr, name, memo)


_ONE = ir.Const(1.0, ir.Type(None, ir.SCALAR))
_MINUS_ONE = ir.Const(-1.0, ir.Type(None, ir.SCALAR))


def coefficient_node(coefficient):
    """The IR node of an affine coefficient: "one" (bare x[t-1]) is the constant 1, and a
    negated coefficient (B - x[t-1] * A) is -A."""
    if isinstance(coefficient, str):  # "one"
        return _ONE
    if isinstance(coefficient, tuple):  # ("negate", A)
        inner = coefficient[1]
        return _MINUS_ONE if isinstance(inner, str) else ir.Unary("-", inner, inner.type)
    return coefficient


def group_key(how: type, q: ir.Quantity, pieces):
    """Steps with equal keys compute alike and can share one group; None: not groupable."""
    try:
        return (how.__name__, q.type.boolean, q.type.series) + tuple(
            (eq.start, eq.stop, None if c is None else shape(coefficient_node(c)),
             tuple((op, shape(t)) for op, t in terms)) for eq, c, terms in pieces)
    except NotBatchable:
        return None


def term(terms, i):
    """Term i of a recurrence as an addend: `- B` is `+ (-B)`, a missing term is -0.0."""
    if i >= len(terms):
        return np.float64(-0.0)
    op, value = terms[i]
    return value if op == "+" else -np.asarray(value)


def stack_blocks(values, counts, shape):
    """Per-group blocks (each broadcastable to prefix + (k_g, periods)) -> one block, laid out
    periods first as the column loop reads it: (periods,) + prefix + (K,)."""
    out = np.empty(shape[-1:] + shape[:-1])
    start = 0
    for value, k in zip(values, counts):
        value = np.asarray(value, dtype=float)
        out[..., start:start + k] = np.moveaxis(full_rank(value, len(shape)), -1, 0) if value.ndim else value
        start += k
    return PeriodsFirst(out)
