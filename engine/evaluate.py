"""Checked model -> values, on plain float64 numpy arrays. No pint, no eval.

Each IR node is compiled once into a closure `f(env, a, b)` that returns the node's value for
periods a..b-1 as an array whose last axis is periods (length b-a, or 1 for a single value).
Leading axes are free, so the same closures evaluate (periods,) or (samples, periods).
Non-recurrent formulas are evaluated over all their periods in one call; recurrences
(plan steps marked sequential) one period at a time.
"""

from __future__ import annotations

import numpy as np

from . import batching, builtins, compiler, ir, loops, spreadsheet_math
from .diagnostics import Diagnostic, Label, ModelError


class Evaluator:
    def __init__(self, model: ir.CheckedModel):
        self.model = model
        self.n = len(model.timeline)
        self.timeline = model.timeline  # year(), month(), ...: the calendar of each period
        self.compile = _RowCompiler(self)
        # Every quantity owns one row of the value matrix (a scalar uses its first column).
        self.row_of = {name: i for i, name in enumerate(model.quantities)}
        self.blank = {name for name, q in model.quantities.items() if ir.blank_function(q)}  # may have no value
        # its width along the time axis comes from its shape (every period, or one)
        self._where = {name: (i, q.type.shape.width(self.n)) for i, (name, q) in enumerate(model.quantities.items())}
        self._hoist = None
        self._reads: dict = {}  # batching.reads' answers, shared while compiling
        self._analysed = [self._analyse(step) for step in model.plan]
        if BATCHING:
            self.order, members = self._schedule(model.plan, self._analysed)
        else:
            self.order = [self._compile_single(step, kind, pieces)
                          for step, (kind, _, pieces) in zip(model.plan, self._analysed)]
            members = [None] * len(self.order)
        self.checks = [(c, _compile(c.expr, self)) for c in model.checks]
        # What each entry of the order reads and writes, and for a group, each member's: a rerun
        # after inputs changed runs only what is downstream of them (engine/model.py, run(since=)).
        self._io = []
        for (kind, compiled), steps in zip(self.order, members):
            parts = None if steps is None else [self._step_io(model.plan[i]) + (i,) for i in steps]
            read, written = self._step_io(ir.Step(tuple(q.name for q in _members(kind, compiled)), False))
            self._io.append((read, written, parts))
        self._alone: dict[int, tuple] = {}  # plan index -> the step compiled on its own, when first needed
        self._reads = {}
        self._verifying = True  # run(verify=False) turns off the ModelError on inf and NaN
        self.last_run_entries = 0  # how many entries of the order the last run evaluated
        self.last_run_quantities = 0  # and how many formulas they computed

    # ------------------------------------------------------------------ compile
    def _step_io(self, step: ir.Step) -> tuple[frozenset, frozenset]:
        names = [n for n in step.names if n in self.model.quantities]
        read = set().union(*(batching.reads(eq.expr, self._reads) for n in names
                             for eq in self.model.quantities[n].equations))
        return frozenset(read), frozenset(names)

    def _analyse(self, step: ir.Step):
        """(kind, batching key or None, pieces) of a plan step. kind: "vector" (evaluated over
        all its periods at once), "affine" (x[t-1] * A + B ...: pieces are (equation, A, terms))
        or "recurrence" (period by period)."""
        qs = [self.model.quantities[n] for n in step.names if n in self.model.quantities]
        if not step.sequential:
            q = qs[0]
            pieces = [(eq, None, [("=", eq.expr)]) for eq in q.equations]
            return "vector", _key("vector", q, pieces), pieces
        if len(qs) == 1 and AFFINE_RECURRENCES and step.order is None:
            q = qs[0]
            parts = [(eq, _split_affine(eq.expr, q.name, self._reads)) for eq in sorted(q.equations, key=lambda e: e.start)]
            if all(split is not None for _, split in parts):
                pieces = [(eq, coefficient, terms) for eq, (coefficient, terms) in parts]
                return "affine", _key("affine", q, pieces), pieces
        return "recurrence", None, None

    def _compile_single(self, step: ir.Step, kind: str, pieces):
        """(kind, compiled) for a step evaluated on its own."""
        qs = [self.model.quantities[n] for n in step.names if n in self.model.quantities]
        if kind == "vector":
            return "vector", [(q, [(eq, _compile(eq.expr, self)) for eq in q.equations]) for q in qs]
        if kind == "affine":
            compiled = [(eq, None if c is None else _compile(_coefficient_node(c), self),
                         [(op, _compile(t, self)) for op, t in ts]) for eq, c, ts in pieces]
            return "affine", (qs[0], self.row_of[qs[0].name], compiled)
        # A recurrence. Sub-expressions that read no member of it are hoisted: evaluated once over
        # the equation's periods before the loop, then sliced per period.
        hoisted: list[tuple[object, object, int, int]] = []
        compiled = []
        for q in qs:
            equations = []
            for eq in q.equations:
                self._hoist = _Hoister(set(step.names), eq.start, eq.stop, hoisted) if eq.start is not None else None
                try:
                    equations.append((eq, _compile(eq.expr, self)))
                finally:
                    self._hoist = None
            compiled.append((q, equations))
        # (q, eq, f, period): each member's equation for each period, in same-period dependency
        # order, or in the step's own order of (name, period) (None: a single value's equation).
        # A declared circular loop is one entry, a loops.Loop, solved by iteration.
        if step.order is None:
            schedule = [(q, eq, f, p) for p in range(self.n) for q, equations in compiled
                        for eq, f in equations if eq.start <= p <= eq.stop]
        else:
            equation_of = {(q.name, p): (q, eq, f) for q, equations in compiled for eq, f in equations
                           for p in ([None] if eq.start is None else range(eq.start, eq.stop + 1))}
            schedule = []
            for entry in step.order:
                if isinstance(entry, ir.Loop):
                    schedule.append(loops.Loop(entry, [equation_of[node] + (node[1],) for node in entry.nodes]))
                else:
                    schedule.append(equation_of[entry] + (entry[1],))
        return "recurrence", (hoisted, schedule, [(q, eq) for q, equations in compiled for eq, _ in equations])

    def _schedule(self, plan: list[ir.Step], analysed):
        """The steps in dependency-level order. Same-shape steps of a level are merged into
        groups, and the recurrences of a level's groups run as one period loop."""
        step_levels = batching.levels(range(len(plan)), lambda i: plan[i].names, lambda i: self._step_io(plan[i])[0])
        keys = [key for _, key, _ in analysed]
        order, members = [], []
        recurrent: dict[tuple, tuple] = {}  # (level, layout) -> (groups, plan indices): loops run together
        for level, kind, what in batching.regroup(list(range(len(plan))), keys, step_levels):
            if kind == "single":
                order.append(self._compile_single(plan[what], analysed[what][0], analysed[what][2]))
                members.append(None)
                continue
            group = self._compile_group([plan[i] for i in what], [analysed[i][2] for i in what])
            layout = tuple((eq.start, eq.stop, coefficient is None) for eq, coefficient, _ in group[2])
            if all(plain for _, _, plain in layout):
                order.append(("group", group))
                members.append(list(what))
            elif (level, layout) in recurrent:
                recurrent[level, layout][0].append(group)
                recurrent[level, layout][1].extend(what)
            else:
                recurrent[level, layout] = ([group], list(what))
                order.append(("recurrent groups", recurrent[level, layout][0]))
                members.append(recurrent[level, layout][1])
        return order, members

    def _compile_group(self, steps: list[ir.Step], pieces_of_steps: list):
        qs = [self.model.quantities[step.names[0]] for step in steps]
        rows = np.array([self.row_of[q.name] for q in qs])
        pieces = []
        for parts in zip(*pieces_of_steps):  # the k rows' n-th equation, side by side
            eq = parts[0][0]
            if parts[0][1] is None:
                coefficient = None
            else:
                coefficient = batching.compile_group([_coefficient_node(c) for _, c, _ in parts],
                                                     self.row_of, self.timeline)
            terms = [(op, batching.compile_group([p[2][j][1] for p in parts], self.row_of, self.timeline))
                     for j, (op, _) in enumerate(parts[0][2])]
            pieces.append((eq, coefficient, terms))
        lo = min(eq.start or 0 for eq, _, _ in pieces)
        hi = max(eq.stop + 1 if eq.stop is not None else 1 for eq, _, _ in pieces)
        return qs, rows, pieces, lo, hi

    # ------------------------------------------------------------------ run
    def run(self, inputs: dict[str, np.ndarray], prefix: tuple[int, ...] = (), since: dict | None = None,
            verify: bool = True) -> dict:
        """Evaluate every formula. `inputs` maps each input to its values (shape prefix + (n,)
        for a series, prefix + (1,) for a scalar). Raises ModelError on division by zero,
        overflow or an invalid value, naming the quantity and period.
        Returns {name: values}: views of one value matrix, prefix + (quantities, periods).
        since: the result of an earlier run (same prefix): only what depends on the inputs
        that changed since then is evaluated again; everything else is copied.
        verify=False: no ModelError; inf and NaN stay in the values (Monte Carlo finds the
        samples that went wrong, engine/montecarlo.py)."""
        shape = prefix + (len(self.row_of), self.n)
        previous = since.get(MATRIX) if since is not None else None
        M = previous.copy() if previous is not None and previous.shape == shape else np.full(shape, np.nan)
        env = Values(M, self._where)
        order = self.order
        for name, value in inputs.items():
            env[name][...] = value
        if previous is not None and previous.shape == shape:
            rows = [self.row_of[name] for name in inputs]
            now, before = M[..., rows, :], previous[..., rows, :]
            same = (now == before) | (np.isnan(now) & np.isnan(before))
            same = same.reshape(-1, len(rows), self.n).all(axis=(0, 2))
            changed = {name for name, unchanged in zip(inputs, same.tolist()) if not unchanged}
            order = self._downstream(changed)
        self.last_run_entries = len(order)
        self.last_run_quantities = sum(len(_members(kind, compiled)) for kind, compiled in order)
        self._verifying = verify
        with np.errstate(all="ignore"):
            for kind, compiled in order:
                if kind == "recurrent groups":
                    self._run_recurrent_groups(M, env, compiled)
                elif kind == "group":
                    self._run_group(M, env, *compiled)
                elif kind == "affine":
                    self._run_affine(M, env, *compiled)
                elif kind == "recurrence":
                    self._run_recurrence(env, compiled)
                else:
                    q, equations = compiled[0]
                    for eq, f in equations:
                        a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
                        target = env[q.name]
                        target[..., a:b] = f(env, a, b)
                        self._verify(q, eq, target[..., a:b], a, env)
        return env

    def _downstream(self, changed: set[str]) -> list:
        """The entries of the order that read, directly or not, a quantity in `changed`. Of a
        group, only the members that do: each then runs on its own (the same values, bit for
        bit), unless most of the group has to run anyway."""
        changed = set(changed)
        order = []
        for entry, (read, written, parts) in zip(self.order, self._io):
            if not read & changed:
                continue
            dirty = [] if parts is None else [p for p in parts if p[0] & changed]
            if parts is None or 2 * len(dirty) > len(parts):
                order.append(entry)
                changed |= written
                continue
            for _, names, i in dirty:
                if i not in self._alone:
                    kind, _, pieces = self._analysed[i]
                    self._alone[i] = self._compile_single(self.model.plan[i], kind, pieces)
                order.append(self._alone[i])
                changed |= names
        return order

    def _run_group(self, M, env, qs, rows, pieces, lo, hi):
        for eq, _, terms in pieces:
            a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
            M[..., rows, a:b] = terms[0][1](M, a, b)
        self._verify_group(M, env, qs, rows, lo, hi)

    def _run_recurrent_groups(self, M, env, groups):
        """Groups of one level with the same equation layout: their plain pieces are written,
        and their recurrences x[t] = A * x[t-1] + B1 + B2 ... run as one loop over all rows.
        A `- B` becomes `+ (-B)` and a missing term `+ (-0.0)`: both exact in IEEE arithmetic."""
        rows = np.concatenate([group[1] for group in groups])
        for j, (eq, _, _) in enumerate(groups[0][2]):
            a, b = eq.start, eq.stop + 1
            if groups[0][2][j][1] is None:
                for _, group_rows, pieces, _, _ in groups:
                    M[..., group_rows, a:b] = pieces[j][2][0][1](M, a, b)
                continue
            shape = M.shape[:-2] + (len(rows), b - a)
            blocks = [(group_rows, pieces[j][1](M, a, b), [(op, f(M, a, b)) for op, f in pieces[j][2]])
                      for _, group_rows, pieces, _, _ in groups]
            if len(blocks) == 1:
                _, coefficient, terms = blocks[0]
            else:
                coefficient = _stack([A for _, A, _ in blocks], [len(r) for r, _, _ in blocks], shape)
                width = max(len(terms) for _, _, terms in blocks)
                terms = [("+", _stack([_term(ts, i) for _, _, ts in blocks], [len(r) for r, _, _ in blocks], shape))
                         for i in range(width)]
            batching.affine_loop(M, rows, a, b, coefficient, terms)
        lo, hi = groups[0][3], groups[0][4]
        if not np.isfinite(M[..., rows, lo:hi]).all():
            for qs, group_rows, _, lo, hi in groups:
                self._verify_group(M, env, qs, group_rows, lo, hi)

    def _verify_group(self, M, env, qs, rows, lo, hi):
        if not (qs[0].type.boolean or np.isfinite(M[..., rows, lo:hi]).all()):
            for q in qs:  # find the row that went wrong, and say why
                for eq in q.equations:
                    a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
                    self._verify(q, eq, env[q.name][..., a:b], a, env)

    def _run_affine(self, M, env, q: ir.Quantity, row: int, pieces):
        """x[t] = A[t] * x[t-1] + B[t] (- C[t] ...) with A, B, C computed for all periods at
        once: only the multiply-adds run period by period (on floats, or on sample vectors)."""
        rows = [row]
        for eq, coefficient, terms in pieces:
            a, b = eq.start, eq.stop + 1
            if coefficient is None:
                env[q.name][..., a:b] = terms[0][1](env, a, b)
            else:
                batching.affine_loop(M, rows, a, b, _as_row(coefficient(env, a, b)),
                                     [(op, _as_row(f(env, a, b))) for op, f in terms])
        for eq, _, _ in pieces:
            self._verify_range(q, eq, env)

    def _verify_range(self, q, eq, env):
        values = env[q.name][..., eq.start:eq.stop + 1]
        if not (q.type.boolean or np.isfinite(values).all()):
            bad = eq.start + _first_non_finite(values)
            self._verify(q, eq, env[q.name][..., bad:bad + 1], bad, env)

    def _run_recurrence(self, env, plan):
        hoisted, schedule, equations = plan
        for key, f, start, stop in hoisted:
            value = np.asarray(f(env, start, stop + 1), dtype=float)
            env[key] = np.broadcast_to(value, value.shape[:-1] + (stop + 1 - start,))
        for entry in schedule:
            if type(entry) is loops.Loop:
                self._solve(env, entry)
                continue
            q, eq, f, p = entry
            if p is None:  # a single value inside the loop (step.order)
                env[q.name][...] = f(env, 0, 1)
            else:
                env[q.name][..., p:p + 1] = f(env, p, p + 1)
        # Checked once afterwards: a value that went wrong can only spread to values computed after
        # it, so the first non-finite one in the schedule's order is where it started.
        if all(q.type.boolean or np.isfinite(env[q.name] if eq.start is None else
                                             env[q.name][..., eq.start:eq.stop + 1]).all() for q, eq in equations):
            return
        for q, eq, _, p in (part for entry in schedule for part in (entry.parts if type(entry) is loops.Loop else (entry,))):
            values = env[q.name] if p is None else env[q.name][..., p:p + 1]
            if not (q.type.boolean or np.isfinite(values).all()):
                self._verify(q, eq, values, 0 if p is None else p, env)

    def _solve(self, env, loop: loops.Loop):
        """A declared circular loop in one period (engine/loops.py). A sample that does not settle,
        or has no number in any order of the members, is a runtime error (naming the loop, the
        period and its last two values, or the function that failed); under verify=False it is a
        failure (NaN), counted by Monte Carlo, and the other samples keep their solution."""
        outcome = loops.solve(env, loop, locate=self._verifying)
        if outcome.ok:
            return
        if not self._verifying:
            bad = outcome.unsettled | outcome.failed
            for q, _, _, p in loop.parts:
                cell = env[q.name] if p is None else env[q.name][..., p:p + 1]
                cell[bad] = np.nan
            return
        if outcome.failed.any():
            q, eq, _, p = loop.parts[outcome.first_failure]
            raise ModelError([_diagnose(self, q, eq, p, env)], self.model.sources_text)
        cells = [(env[q.name] if p is None else env[q.name][..., p:p + 1], f, p) for q, _, f, p in loop.parts]
        raise ModelError([_not_settled(self, loop, cells, outcome.previous)], self.model.sources_text)

    def _verify(self, q: ir.Quantity, eq: ir.Equation, values: np.ndarray, a: int, env):
        if not self._verifying or q.type.boolean or np.isfinite(values).all():
            return
        if q.name in self.blank and not np.isinf(values).any():
            return  # first_period() or periods_before() that found nothing: a blank, by design
        p = a + _first_non_finite(values) if eq.start is not None else None
        raise ModelError([_diagnose(self, q, eq, p, env)], self.model.sources_text)

    def check_values(self, env) -> list[tuple[ir.Check, np.ndarray]]:
        """Each check's truth per period it covers (last axis; length 1 for a single value)."""
        out = []
        with np.errstate(all="ignore"):
            for check, f in self.checks:
                a, b = (check.start, check.stop + 1) if check.start is not None else (0, 1)
                result = np.atleast_1d(np.asarray(f(env, a, b), dtype=bool))
                if check.start is not None:
                    result = np.broadcast_to(result, result.shape[:-1] + (b - a,))
                out.append((check, result))
        return out

    def run_checks(self, env) -> list[dict]:
        out = []
        for check, result in self.check_values(env):
            passed = bool(result.all())
            a = check.start if check.start is not None else 0
            out.append({"name": check.name, "passed": passed,
                        "message": "ok" if passed else self._failure(check, result, a, env)})
        return out

    def _failure(self, check: ir.Check, result: np.ndarray, a: int, env) -> str:
        flat = result.reshape(-1, result.shape[-1]).all(axis=0)
        failing = [int(i) for i in np.nonzero(~flat)[0]]
        where = ""
        if check.start is not None:
            years = [self.model.timeline.label(a + i) for i in failing]
            where = " in " + ", ".join(map(str, years[:6])) + (" ..." if len(years) > 6 else "")
        p = a + failing[0] if failing else a
        detail = _explain_comparison(self, check.expr, env, p, check.start is not None)
        return f"fails{where}" + (f": {detail}" if detail else "")


def _first_non_finite(values: np.ndarray) -> int:
    """The first period (last axis) where any sample is inf or NaN."""
    return int(np.nonzero(~np.isfinite(values).reshape(-1, values.shape[-1]).all(axis=0))[0][0])


# ---------------------------------------------------------------------- node compilation


AFFINE_RECURRENCES = True  # tests switch it off to compare with the general path
LOOP_TOLERANCE, LOOP_ITERATIONS = loops.LOOP_TOLERANCE, loops.LOOP_ITERATIONS  # (explain and the workbook read them)


BATCHING = True  # tests switch it off to compare with one step at a time


def _split_affine(expr, name: str, memo: dict | None = None):
    """(coefficient, [(op, term)]) of `x[t-1] * A + B ...` (batching.affine_parts), or
    (None, [("=", expr)]) for an equation that does not read x, or None."""
    if name not in batching.reads(expr, memo):
        return None, [("=", expr)]
    return batching.affine_parts(expr, name, memo)


_ONE = ir.Const(1.0, ir.Type(None, ir.SCALAR))
_MINUS_ONE = ir.Const(-1.0, ir.Type(None, ir.SCALAR))


def _coefficient_node(coefficient):
    """The IR node of an affine coefficient: "one" (bare x[t-1]) is the constant 1, and a
    negated coefficient (B - x[t-1] * A) is -A."""
    if isinstance(coefficient, str):  # "one"
        return _ONE
    if isinstance(coefficient, tuple):  # ("negate", A)
        inner = coefficient[1]
        return _MINUS_ONE if isinstance(inner, str) else ir.Unary("-", inner, inner.type)
    return coefficient


def _key(kind: str, q: ir.Quantity, pieces):
    """Steps with equal keys compute alike and can share one group; None: not groupable."""
    try:
        return (kind, q.type.boolean, q.type.series) + tuple(
            (eq.start, eq.stop, None if c is None else batching.shape(_coefficient_node(c)),
             tuple((op, batching.shape(t)) for op, t in terms)) for eq, c, terms in pieces)
    except batching.NotBatchable:
        return None


def _term(terms, i):
    """Term i of a recurrence as an addend: `- B` is `+ (-B)`, a missing term is -0.0."""
    if i >= len(terms):
        return np.float64(-0.0)
    op, value = terms[i]
    return value if op == "+" else -np.asarray(value)


def _stack(values, counts, shape):
    """Per-group blocks (each broadcastable to prefix + (k_g, periods)) -> one block, laid out
    periods first as the column loop reads it: (periods,) + prefix + (K,)."""
    out = np.empty(shape[-1:] + shape[:-1])
    start = 0
    for value, k in zip(values, counts):
        value = np.asarray(value, dtype=float)
        out[..., start:start + k] = np.moveaxis(batching.full_rank(value, len(shape)), -1, 0) if value.ndim else value
        start += k
    return batching.PeriodsFirst(out)


MATRIX = ("matrix",)  # the env key of the value matrix (quantity names are strings)


class Values(dict):
    """name -> its row of the value matrix (a view), made when first read. A model by dimension
    has tens of thousands of rows: making every view up front took longer than evaluating it."""

    __slots__ = ("_matrix", "_where")

    def __init__(self, matrix: np.ndarray, where: dict[str, tuple[int, int]]):
        super().__init__()
        self._matrix, self._where = matrix, where
        self[MATRIX] = matrix

    def __missing__(self, name):
        row, width = self._where[name]  # an unknown name stays a KeyError
        view = self[name] = self._matrix[..., row, :width]
        return view


def _members(kind: str, compiled) -> list[ir.Quantity]:
    """The quantities an entry of the evaluation order computes."""
    if kind == "vector":
        return [q for q, _ in compiled]
    if kind == "affine":
        return [compiled[0]]
    if kind == "recurrence":
        return list({id(q): q for q, _ in compiled[2]}.values())
    if kind == "group":
        return list(compiled[0])
    return [q for group in compiled for q in group[0]]  # recurrent groups


def _as_row(value):
    """A single quantity's values, prefix + (periods,), as a one-row block prefix + (1, periods)."""
    value = np.asarray(value, dtype=float)
    return value[..., None, :] if value.ndim else value


class _Hoister:
    """While a recurrence compiles: which nodes can be computed before its period loop."""

    def __init__(self, members: set[str], start: int, stop: int, hoisted: list):
        self.members, self.start, self.stop, self.hoisted = members, start, stop, hoisted

    def loop_invariant(self, node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (ir.Ref, ir.Shift, ir.At, ir.Reduce, ir.Running, ir.Vintage)) and n.name in self.members:
                return False
            stack.extend(ir.children(n))
        return True


_CHEAP = (ir.Const, ir.Ref, ir.At, ir.Period)


class _RowCompiler(compiler.Compiler):
    """The row compiler (engine/compiler.py), plus one thing only rows do: while a recurrence
    compiles, a sub-expression that reads no member of it is hoisted, computed once over the
    equation's periods before the period loop and then sliced per period."""

    def __init__(self, ev: "Evaluator"):
        super().__init__(compiler.RowLeaves(ev.timeline))
        self.ev = ev

    def __call__(self, nodes: list):
        hoist, node = self.ev._hoist, nodes[0]
        if hoist is None or isinstance(node, _CHEAP) or not hoist.loop_invariant(node):
            return super().__call__(nodes)
        self.ev._hoist = None  # compile the subtree plainly, for the whole range
        try:
            f = super().__call__(nodes)
        finally:
            self.ev._hoist = hoist
        key = ("hoisted", len(hoist.hoisted))
        hoist.hoisted.append((key, f, hoist.start, hoist.stop))
        start = hoist.start
        return lambda env, a, b: env[key][..., a - start:b - start]


def _compile(node, ev: Evaluator):
    return ev.compile([node])


# ---------------------------------------------------------------------- runtime diagnostics


def _diagnose(ev: Evaluator, q: ir.Quantity, eq: ir.Equation, p: int | None, env) -> Diagnostic:
    """Find the smallest sub-expression that turned finite inputs into inf/NaN at period p."""
    a, b = (p, p + 1) if p is not None else (0, 1)
    culprit, why = eq.expr, "produced an invalid value"
    stack = [eq.expr]
    while stack:
        node = stack.pop()
        value = np.asarray(_compile(node, ev)(env, a, b), dtype=float)
        if np.isfinite(value).all():
            continue
        kids = ir.children(node)
        bad_kids = [k for k in kids if not k.type.boolean and not np.isfinite(
            np.asarray(_compile(k, ev)(env, a, b), dtype=float)).all()]
        if bad_kids:
            stack = bad_kids[:1]
            continue
        culprit = node
        why = _why(node, ev, env, a, b)
        break
    where = f" for {ev.model.timeline.label(p)}" if p is not None else ""
    span = culprit.span or eq.span
    labels = [Label(span, "here")]
    if isinstance(culprit, ir.Binary) and culprit.op == "/" and culprit.right.span:
        labels = [Label(culprit.right.span, f"is 0{where}")]
    return Diagnostic("runtime", f"{why} in `{q.name}`{where}", span, tuple(labels), hint=_hint(culprit))


def _not_settled(ev: Evaluator, loop: loops.Loop, cells, previous) -> Diagnostic:
    """The loop that did not settle: its members, the period, each one's last two values."""
    q, eq, _, p = loop.parts[0]
    units = ev.model.units
    where = f" in {ev.model.timeline.label(p)}" if p is not None else ""
    chain = " -> ".join(loop.loop.names + loop.loop.names[:1])
    notes = []
    for (cell, _, _), old, (member, _, _, _) in zip(cells, previous, loop.parts):
        new_value, old_value = (float(np.asarray(v).reshape(-1)[_worst(cell, old)]) for v in (cell, old))
        unit = units.short(member.unit) if member.unit is not None else ""
        before, after = _distinct(old_value, unit, new_value, unit)  # with the digits that differ
        notes.append(f"`{member.name}`: {before} then {after}")
    return Diagnostic("runtime", f"the circular loop {chain} does not settle{where}: its values still change "
                      f"after {LOOP_ITERATIONS} passes", eq.span,
                      tuple(Label(e.span, f"`{m.name}`") for m, e, _, _ in loop.parts if e.span is not None),
                      hint="a loop settles when each pass changes it less (interest on the average balance at a "
                           "rate below 200 %); check the rates it reads, or write the loop in closed form "
                           "(docs/language.md, \"Circular loops\")",
                      notes=("the last two passes: " + "; ".join(notes),))


def _worst(new: np.ndarray, old: np.ndarray) -> int:
    """The flat index of the value that moved the most (the sample shown in an error)."""
    change = np.abs(np.asarray(new, dtype=float) - np.asarray(old, dtype=float)).reshape(-1)
    change = np.where(np.isnan(change), np.inf, change)
    return int(np.argmax(change))


def _hint(node) -> str:
    if isinstance(node, ir.Shift):
        by = ir.count_input(node.by) or "the lag"
        return (f"set {by} (--set or a scenario) to a whole number of periods that keeps "
                f"{node.name}[t{'+' if node.sign > 0 else '-'}{by}] on periods where `{node.name}` has values")
    if isinstance(node, ir.Vintage):
        return "set the life to a whole number of periods, or a time that is one (3 year on a monthly timeline)"
    if isinstance(node, ir.Reduce) and node.func in ("irr", "xirr"):
        return (f"an IRR needs an outlay and later inflows (or the reverse) in {node.name}'s periods; where it "
                f"exists, a guess near it helps: {node.func}({node.name}[...], 5 %)")
    if isinstance(node, ir.Reduce) and node.func == "xnpv":
        return "xnpv's rate must be above -100 % (a year's discount factor 1 / (1 + rate) must be positive)"
    builtin = builtins.ELEMENTWISE.get(node.name) if isinstance(node, ir.Func) else None
    if builtin is not None and builtin.unit_rule == "finance":
        return f"check the arguments it reads against Excel's rules for {builtin.signature}"
    if builtin is not None and builtin.name in _GUARDS:
        return f"{_GUARDS[builtin.name]}, or check the inputs it reads"
    return "guard it, e.g. if(x == 0, 0, y / x), or check the inputs it reads"


# A function that fails for some arguments: how to guard it (in the model's own syntax).
_GUARDS = {"sqrt": "its argument must not be negative: sqrt(max(x, 0))",
           "ln": "its argument must be positive: if(x > 0, ln(x), 0)",
           "log10": "its argument must be positive: if(x > 0, log10(x), 0)",
           "mod": "its divisor must not be 0: if(b == 0, 0, mod(a, b))",
           "choose": "its option number must be 1 to the number of options: choose(min(max(i, 1), 3), a, b, c)"}


def _why(node, ev, env, a, b) -> str:
    if isinstance(node, ir.Binary) and node.op == "/":
        right = np.asarray(_compile(node.right, ev)(env, a, b), dtype=float)
        if (right == 0).any():
            return "division by zero"
    if isinstance(node, ir.Func) and builtins.ELEMENTWISE[node.name].failure:
        return builtins.ELEMENTWISE[node.name].failure
    if isinstance(node, ir.Reduce) and node.func in ("irr", "xirr"):
        flows = np.asarray(env[node.name][..., node.start:node.stop + 1], dtype=float)
        if (flows >= 0).all() or (flows <= 0).all():
            sign = "positive or zero" if (flows >= 0).all() else "negative or zero"
            return (f"{node.func}() of cash flows that are all {sign}: no rate makes their net present value 0 "
                    "(Excel shows #NUM!)")
        return f"{node.func}() found no rate: Newton's method from the guess did not converge (Excel shows #NUM!)"
    if isinstance(node, ir.Shift):
        return _shift_why(node, ev, env, a)
    if isinstance(node, ir.Vintage):
        lives = np.asarray(_compile(node.life, ev)(env, 0, 1), dtype=float).reshape(-1)
        return (f"the depreciation life is {lives[0]:g} periods: it must be a whole number of periods from 1 to "
                f"{ev.n} (the timeline's length)" if np.all(lives == lives[0]) else
                "the depreciation life differs between samples: it must be one whole number of periods")
    if isinstance(node, ir.Reduce) and builtins.OVER_PERIODS[node.func].failure:
        return builtins.OVER_PERIODS[node.func].failure
    value = np.asarray(_compile(node, ev)(env, a, b), dtype=float)
    if np.isinf(value).any():
        return "overflow (the value is too large for a float)"
    return "the result is not a number"


def _shift_why(node: ir.Shift, ev, env, p: int) -> str:
    """Why x[t-lag] has no value at period p: the lag is not a whole number of periods, or it
    reaches off the timeline or a period where x has none."""
    ks = np.asarray(_compile(node.by, ev)(env, 0, 1), dtype=float).reshape(-1)
    by = ir.count_input(node.by) or "k"
    written = f"`{node.name}[t{'+' if node.sign > 0 else '-'}{by}]`"
    tl = ev.model.timeline
    k = compiler.whole_periods(ks, ev.n - 1)
    if k is None:
        if not np.all(ks == ks[0]):
            return f"`{by}` differs between samples, so {written} has no value"
        return (f"`{by}` = {ks[0]:g} {tl.kind}s is not a whole number of {tl.kind}s from 1 to {ev.n - 1}, so "
                f"{written} has no value")
    read, periods = p + node.sign * k, f"{k} {tl.kind}" + ("s" if k != 1 else "")
    if not 0 <= read < ev.n:
        side = "before the timeline starts" if read < 0 else "after the timeline ends"
        return f"`{by}` = {periods} makes {written} reach {tl.label(read)}, {side},"
    return f"`{by}` = {periods} makes {written} read {tl.label(read)}, where `{node.name}` has no value,"


def _explain_comparison(ev: Evaluator, expr, env, p: int, series: bool) -> str:
    if not isinstance(expr, (ir.Compare, ir.Approx)):
        return ""
    a, b = (p, p + 1) if series else (0, 1)
    units = ev.model.units
    # Both sides in the display unit of the quantity the check reads (dscr shown in %: 19.1 % >= 120 %)
    shown = next((ev.model.quantities[n.name] for n in (expr.left, expr.right)
                  if isinstance(n, (ir.Ref, ir.At)) and ev.model.quantities[n.name].display_unit is not None), None)

    def side(node):
        value = np.asarray(_compile(node, ev)(env, a, b), dtype=float).reshape(-1)[0]
        if shown is not None and node.type.unit is not None and units.same_dimension(node.type.unit, shown.unit):
            return value * units.factor(node.type.unit, shown.unit) * shown.display_factor, \
                units.short(shown.display_unit)
        return value, units.short(node.type.unit) if node.type.unit is not None else ""
    (left, lu), (right, ru) = side(expr.left), side(expr.right)
    left_text, right_text = _distinct(left, lu, right, ru)
    op = expr.op if isinstance(expr, ir.Compare) else "~="
    text = f"{left_text} {op} {right_text} is false"
    if isinstance(expr, ir.Approx):
        tol = np.asarray(_compile(expr.tolerance, ev)(env, a, b), dtype=float).reshape(-1)[0]
        text += f" (tolerance {tol * 100:g}%)" if expr.relative else f" (tolerance {_human(tol, '')})"
    elif left != right and bool(spreadsheet_math.approx_equal(left, right)):
        text += " (equal to 15 digits, as a spreadsheet compares)"
    return text


def _distinct(left: float, lu: str, right: float, ru: str) -> tuple[str, str]:
    """Both sides as text, with as many digits as it takes to see that they differ (a check that
    fails on 0.75000000000001 <= 0.75 must not print `75 % <= 75 %`); past 15 digits, the
    shortest text that reads back as each number (0.30000000000000004, 0.3)."""
    texts = _human(left, lu), _human(right, ru)
    for digits in (9, 12, 15):
        if texts[0] != texts[1] or left == right:
            return texts
        texts = _human(left, lu, digits), _human(right, ru, digits)
    if texts[0] == texts[1] and left != right:
        texts = f"{float(left)!r} {lu}".rstrip(), f"{float(right)!r} {ru}".rstrip()
    return texts


def _human(value: float, unit: str, digits: int = 0) -> str:
    """A value for a message: 4 significant digits with a scale word, 6 without (or `digits`)."""
    from .units import SCALE_BY_POWER

    magnitude = abs(value)
    for power in (10**12, 10**9, 10**6):
        if magnitude >= power:
            return f"{value / power:,.{digits or 4}g} {SCALE_BY_POWER[power]} {unit}".rstrip()
    return f"{value:,.{digits or 6}g} {unit}".rstrip()
