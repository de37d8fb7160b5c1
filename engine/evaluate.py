"""Checked model -> values, on plain float64 numpy arrays. No pint, no eval.

Each IR node is compiled once into a closure `f(env, a, b)` that returns the node's value for
periods a..b-1 as an array whose last axis is periods (length b-a, or 1 for a single value).
Leading axes are free, so the same closures evaluate (periods,) or (samples, periods).
Non-recurrent formulas are evaluated over all their periods in one call; recurrences
(plan steps marked sequential) one period at a time.
"""

from __future__ import annotations

import numpy as np

from . import batching, hoisting, ir, loops, runtime_errors
from .steps import Affine, Group, Recurrence, RecurrentGroups, Vector
from .diagnostics import ModelError


class Evaluator:
    def __init__(self, model: ir.CheckedModel):
        self.model = model
        self.n = len(model.timeline)
        self.timeline = model.timeline  # year(), month(), ...: the calendar of each period
        self.compile = hoisting.RowCompiler(self)
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
        for entry, steps in zip(self.order, members):
            parts = None if steps is None else [self._step_io(model.plan[i]) + (i,) for i in steps]
            read, written = self._step_io(ir.Step(tuple(q.name for q in entry.members()), False))
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
        """(how, batching key or None, pieces) of a plan step; how: the entry type it compiles to,
        Vector (evaluated over all its periods at once), Affine (x[t-1] * A + B ...: pieces are
        (equation, A, terms)) or Recurrence (period by period)."""
        qs = [self.model.quantities[n] for n in step.names if n in self.model.quantities]
        if not step.sequential:
            q = qs[0]
            pieces = [(eq, None, [("=", eq.expr)]) for eq in q.equations]
            return Vector, batching.group_key(Vector, q, pieces), pieces
        if len(qs) == 1 and AFFINE_RECURRENCES and step.order is None:
            q = qs[0]
            parts = [(eq, batching.split_affine(eq.expr, q.name, self._reads)) for eq in sorted(q.equations, key=lambda e: e.start)]
            if all(split is not None for _, split in parts):
                pieces = [(eq, coefficient, terms) for eq, (coefficient, terms) in parts]
                return Affine, batching.group_key(Affine, q, pieces), pieces
        return Recurrence, None, None

    def _compile_single(self, step: ir.Step, how: type, pieces):
        """The entry of the order for a step evaluated on its own."""
        qs = [self.model.quantities[n] for n in step.names if n in self.model.quantities]
        if how is Vector:
            return Vector(qs[0], [(eq, _compile(eq.expr, self)) for eq in qs[0].equations])
        if how is Affine:
            compiled = [(eq, None if c is None else _compile(batching.coefficient_node(c), self),
                         [(op, _compile(t, self)) for op, t in ts]) for eq, c, ts in pieces]
            return Affine(qs[0], self.row_of[qs[0].name], compiled)
        if how is Recurrence:
            return self._compile_recurrence(step, qs)
        raise TypeError(f"no way to compile a step as {how}")

    def _compile_recurrence(self, step: ir.Step, qs: list) -> Recurrence:
        """Sub-expressions that read no member of the recurrence are hoisted: evaluated once over
        the equation's periods before the loop, then sliced per period."""
        hoisted: list[tuple[object, object, int, int]] = []
        compiled = []
        for q in qs:
            equations = []
            for eq in q.equations:
                self._hoist = hoisting.Hoister(set(step.names), eq.start, eq.stop, hoisted) if eq.start is not None else None
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
        return Recurrence(hoisted, schedule, [(q, eq) for q, equations in compiled for eq, _ in equations])

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
            layout = tuple((eq.start, eq.stop, coefficient is None) for eq, coefficient, _ in group.pieces)
            if all(plain for _, _, plain in layout):
                order.append(group)
                members.append(list(what))
            elif (level, layout) in recurrent:
                recurrent[level, layout][0].append(group)
                recurrent[level, layout][1].extend(what)
            else:
                recurrent[level, layout] = ([group], list(what))
                order.append(RecurrentGroups(recurrent[level, layout][0]))
                members.append(recurrent[level, layout][1])
        return order, members

    def _compile_group(self, steps: list[ir.Step], pieces_of_steps: list) -> Group:
        qs = [self.model.quantities[step.names[0]] for step in steps]
        rows = np.array([self.row_of[q.name] for q in qs])
        pieces = []
        for parts in zip(*pieces_of_steps):  # the k rows' n-th equation, side by side
            eq = parts[0][0]
            if parts[0][1] is None:
                coefficient = None
            else:
                coefficient = batching.compile_group([batching.coefficient_node(c) for _, c, _ in parts],
                                                     self.row_of, self.timeline)
            terms = [(op, batching.compile_group([p[2][j][1] for p in parts], self.row_of, self.timeline))
                     for j, (op, _) in enumerate(parts[0][2])]
            pieces.append((eq, coefficient, terms))
        lo = min(eq.start or 0 for eq, _, _ in pieces)
        hi = max(eq.stop + 1 if eq.stop is not None else 1 for eq, _, _ in pieces)
        return Group(qs, rows, pieces, lo, hi)

    # ------------------------------------------------------------------ run
    def run(self, inputs: dict[str, np.ndarray], prefix: tuple[int, ...] = (), since: dict | None = None,
            verify: bool = True, needed: set[str] | None = None) -> dict:
        """Evaluate every formula. `inputs` maps each input to its values (shape prefix + (n,)
        for a series, prefix + (1,) for a scalar). Raises ModelError on division by zero,
        overflow or an invalid value, naming the quantity and period.
        Returns {name: values}: views of one value matrix, prefix + (quantities, periods).
        since: the result of an earlier run (same prefix): only what depends on the inputs
        that changed since then is evaluated again; everything else is copied.
        verify=False: no ModelError; inf and NaN stay in the values (Monte Carlo finds the
        samples that went wrong, engine/montecarlo.py).
        needed: only what these quantities read, directly or not, is evaluated (a what-if asks
        for one output); the other quantities are left without values."""
        shape = prefix + (len(self.row_of), self.n)
        previous = since.get(MATRIX) if since is not None else None
        if needed is not None and since is None:
            order, M = self._needed_only(needed, inputs, shape)
        else:
            M = previous.copy() if previous is not None and previous.shape == shape else np.full(shape, np.nan)
            order = self.order
        env = Values(M, self._where)
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
        self.last_run_quantities = sum(len(entry.members()) for entry in order)
        self._verifying = verify
        with np.errstate(all="ignore"):
            for entry in order:
                RUN[type(entry)](self, M, env, entry)
        return env

    def _needed_only(self, needed: set[str], inputs: dict, shape: tuple) -> tuple[list, np.ndarray]:
        """The entries that write a quantity in `needed` or one such an entry reads, and a value
        matrix whose rows they write start blank (NaN, as a formula's periods without an
        equation stay) and whose input rows the inputs fill; the rows nothing reads are not
        even cleared: filling a what-if's whole matrix with NaN took half its time."""
        wanted, keep, rows = set(needed), [], []
        for entry, (read, written, _) in zip(reversed(self.order), reversed(self._io)):
            if written & wanted:
                keep.append(entry)
                wanted |= read
                rows += [self.row_of[name] for name in written if name in self.row_of]
        M = np.empty(shape)
        M[..., sorted(set(rows)), :] = np.nan
        return keep[::-1], M

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
                    how, _, pieces = self._analysed[i]
                    self._alone[i] = self._compile_single(self.model.plan[i], how, pieces)
                order.append(self._alone[i])
                changed |= names
        return order

    def _run_vector(self, M, env, entry: Vector):
        for eq, f in entry.equations:
            a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
            target = env[entry.q.name]
            target[..., a:b] = f(env, a, b)
            self._verify(entry.q, eq, target[..., a:b], a, env)

    def _run_group(self, M, env, group: Group):
        for eq, _, terms in group.pieces:
            a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
            M[..., group.rows, a:b] = terms[0][1](M, a, b)
        self._verify_group(M, env, group)

    def _run_recurrent_groups(self, M, env, entry: RecurrentGroups):
        """Groups of one level with the same equation layout: their plain pieces are written,
        and their recurrences x[t] = A * x[t-1] + B1 + B2 ... run as one loop over all rows.
        A `- B` becomes `+ (-B)` and a missing term `+ (-0.0)`: both exact in IEEE arithmetic."""
        groups = entry.groups
        rows = np.concatenate([group.rows for group in groups])
        for j, (eq, _, _) in enumerate(groups[0].pieces):
            a, b = eq.start, eq.stop + 1
            if groups[0].pieces[j][1] is None:
                for group in groups:
                    M[..., group.rows, a:b] = group.pieces[j][2][0][1](M, a, b)
                continue
            shape = M.shape[:-2] + (len(rows), b - a)
            blocks = [(g.rows, g.pieces[j][1](M, a, b), [(op, f(M, a, b)) for op, f in g.pieces[j][2]])
                      for g in groups]
            if len(blocks) == 1:
                _, coefficient, terms = blocks[0]
            else:
                coefficient = batching.stack_blocks([A for _, A, _ in blocks], [len(r) for r, _, _ in blocks], shape)
                width = max(len(terms) for _, _, terms in blocks)
                terms = [("+", batching.stack_blocks([batching.term(ts, i) for _, _, ts in blocks], [len(r) for r, _, _ in blocks], shape))
                         for i in range(width)]
            batching.affine_loop(M, rows, a, b, coefficient, terms)
        if not np.isfinite(M[..., rows, groups[0].lo:groups[0].hi]).all():
            for group in groups:
                self._verify_group(M, env, group)

    def _verify_group(self, M, env, group: Group):
        if not (group.qs[0].type.boolean or np.isfinite(M[..., group.rows, group.lo:group.hi]).all()):
            for q in group.qs:  # find the row that went wrong, and say why
                for eq in q.equations:
                    a, b = (eq.start, eq.stop + 1) if eq.start is not None else (0, 1)
                    self._verify(q, eq, env[q.name][..., a:b], a, env)

    def _run_affine(self, M, env, entry: Affine):
        """x[t] = A[t] * x[t-1] + B[t] (- C[t] ...) with A, B, C computed for all periods at
        once: only the multiply-adds run period by period (on floats, or on sample vectors)."""
        q, rows = entry.q, [entry.row]
        for eq, coefficient, terms in entry.pieces:
            a, b = eq.start, eq.stop + 1
            if coefficient is None:
                env[q.name][..., a:b] = terms[0][1](env, a, b)
            else:
                batching.affine_loop(M, rows, a, b, _as_row(coefficient(env, a, b)),
                                     [(op, _as_row(f(env, a, b))) for op, f in terms])
        for eq, _, _ in entry.pieces:
            self._verify_range(q, eq, env)

    def _verify_range(self, q, eq, env):
        values = env[q.name][..., eq.start:eq.stop + 1]
        if not (q.type.boolean or np.isfinite(values).all()):
            bad = eq.start + _first_non_finite(values)
            self._verify(q, eq, env[q.name][..., bad:bad + 1], bad, env)

    def _run_recurrence(self, M, env, entry: Recurrence):
        hoisted, schedule, equations = entry.hoisted, entry.schedule, entry.equations
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
            raise ModelError([runtime_errors.diagnose(self, q, eq, p, env)], self.model.sources_text)
        cells = [(env[q.name] if p is None else env[q.name][..., p:p + 1], f, p) for q, _, f, p in loop.parts]
        raise ModelError([runtime_errors.not_settled(self, loop, cells, outcome.previous)], self.model.sources_text)

    def _verify(self, q: ir.Quantity, eq: ir.Equation, values: np.ndarray, a: int, env):
        if not self._verifying or q.type.boolean or np.isfinite(values).all():
            return
        if q.name in self.blank and not np.isinf(values).any():
            return  # first_period() or periods_before() that found nothing: a blank, by design
        p = a + _first_non_finite(values) if eq.start is not None else None
        raise ModelError([runtime_errors.diagnose(self, q, eq, p, env)], self.model.sources_text)

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
        detail = runtime_errors.explain_comparison(self, check.expr, env, p, check.start is not None)
        return f"fails{where}" + (f": {detail}" if detail else "")


def _first_non_finite(values: np.ndarray) -> int:
    """The first period (last axis) where any sample is inf or NaN."""
    return int(np.nonzero(~np.isfinite(values).reshape(-1, values.shape[-1]).all(axis=0))[0][0])


# ---------------------------------------------------------------------- node compilation


AFFINE_RECURRENCES = True  # tests switch it off to compare with the general path
LOOP_TOLERANCE, LOOP_ITERATIONS = loops.LOOP_TOLERANCE, loops.LOOP_ITERATIONS  # (explain and the workbook read them)


BATCHING = True  # tests switch it off to compare with one step at a time


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


def _as_row(value):
    """A single quantity's values, prefix + (periods,), as a one-row block prefix + (1, periods)."""
    value = np.asarray(value, dtype=float)
    return value[..., None, :] if value.ndim else value


def _compile(node, ev: Evaluator):
    return ev.compile([node])


# Each entry type of the order and how it runs (a type without a handler is a KeyError).
RUN = {Vector: Evaluator._run_vector, Affine: Evaluator._run_affine, Recurrence: Evaluator._run_recurrence,
       Group: Evaluator._run_group, RecurrentGroups: Evaluator._run_recurrent_groups}
