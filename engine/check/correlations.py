"""The `correlate` statements typed: each names uncertain inputs, states a valid matrix of rank
correlations, and no pair twice; together they are one matrix some inputs can have (positive
semi-definite), or the error names the pair to change and the nearest value that works."""

from __future__ import annotations

import numpy as np

from .. import copula, ir
from .. import syntax as ast
from ..diagnostics import Label, did_you_mean
from .scope import Abandon, Scope

KIND = "bad-correlation"


def type_all(s: Scope) -> None:
    """s.correlations: the statements on this scenario's uncertain inputs, then the whole checked."""
    stated: dict[frozenset, ast.Coefficient] = {}  # each pair once, over all statements
    typed = []
    for stmt in (st for st in s.module.statements if isinstance(st, ast.Correlate)):
        try:
            typed.append((stmt, _typed(s, stmt, stated)))
        except Abandon:
            continue
    if not s.report.diagnostics and typed:
        _valid_together(s, typed)
    s.correlations = [_kept(s, corr) for _, corr in typed]
    s.correlations = [c for c in s.correlations if len(c.names) > 1]


def _typed(s: Scope, stmt: ast.Correlate, stated: dict) -> ir.Correlation:
    names = [name.name for name in stmt.names]
    for name in stmt.names:
        _uncertain_input(s, name, stmt)
    for k, name in enumerate(stmt.names):
        if name.name in names[:k]:
            _error(s, f"`{name.name}` is named twice", name, "name each input once")
    rows = _matrix(s, stmt)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = frozenset((names[i], names[j]))
            if pair in stated:
                first = stated[pair]
                s.report.error(KIND, f"the correlation of `{names[i]}` and `{names[j]}` is stated twice",
                               rows[i][j].span, Label(rows[i][j].span, "again here"),
                               Label(first.span, f"first stated as {first.text} here"),
                               hint="state each pair once: delete one of them")
                raise Abandon
            stated[pair] = rows[i][j]
    ranks = tuple(tuple(c.value for c in row) for row in rows)
    sources = tuple(ir.SourceRef(src.file, src.date, src.quote) for src in stmt.clauses.sources)
    return ir.Correlation(tuple(names), ranks, stmt.clauses.note, sources, stmt.span)


def _uncertain_input(s: Scope, name: ast.Name, stmt: ast.Correlate) -> None:
    """An input with a range here, or one this scenario fixes (left out of its correlations)."""
    dims = s.module.dimensions
    q = s.quantities.get(name.name)
    if q is None and dims and name.name in dims.of:
        first = dims.names(name.name)[0]
        named = ", ".join(first if n is name else n.name for n in stmt.names)
        value = stmt.rows[0][0].text if not stmt.matrix else \
            "{" + "; ".join(", ".join(c.text for c in row) for row in stmt.rows) + "}"
        _error(s, f"`{name.name}` has one value per item: correlate its items", name,
               f"correlate {named} = {value}")
    if q is None:
        hint = did_you_mean(name.name, [n for n, q in s.quantities.items() if q.kind == "input"])
        _error(s, f"unknown input `{name.name}`", name, hint or "correlate names inputs with a range")
    if q.kind != "input":
        _error(s, f"`{name.name}` is a formula: only inputs are drawn, so only inputs can be correlated", name,
               "correlate the uncertain inputs it is computed from")
    if (q.distribution is None or not q.high > q.low) and name.name not in s.overrides:
        _error(s, f"`{name.name}` has no range: it is the same in every sample, so it cannot be correlated", name,
               f"give it a range: input {name.name} = LOW .. HIGH")


def _matrix(s: Scope, stmt: ast.Correlate) -> tuple:
    """The statement's coefficients as a full square matrix: a pair's number or n rows of n."""
    n = len(stmt.names)
    if not stmt.matrix:
        if n != 2:
            _error(s, f"one number correlates two inputs, not {n}", stmt.rows[0][0],
                   f"write a {n} x {n} matrix: correlate {', '.join(x.name for x in stmt.names)} = "
                   + _matrix_text(np.eye(n)))
        c = stmt.rows[0][0]
        rows = ((ast.Coefficient(1.0, "1", c.span), c), (c, ast.Coefficient(1.0, "1", c.span)))
    else:
        rows = stmt.rows
        bad = next((row for row in rows if len(row) != n), None)
        if len(rows) != n or bad is not None:
            where = bad[0] if bad is not None else stmt.rows[-1][-1]
            _error(s, f"{n} inputs need {n} rows of {n} numbers", where,
                   f"e.g. correlate {', '.join(x.name for x in stmt.names)} = {_matrix_text(np.eye(n))}")
    for i, row in enumerate(rows):
        for j, c in enumerate(row):
            if i == j and c.value != 1:
                _error(s, f"an input's correlation with itself is 1, not {c.text}", c, "write 1 on the diagonal")
            if abs(c.value) > 1:
                _error(s, f"a correlation is between -1 and 1, not {c.text}", c, "e.g. -0.5 or 0.8")
            if j > i and c.value != rows[j][i].value:
                s.report.error(KIND, f"the matrix is not symmetric: row {i + 1} says {c.text}, row {j + 1} says "
                               f"{rows[j][i].text} for the same pair", c.span, Label(c.span),
                               Label(rows[j][i].span), hint=f"write the same number in both places, e.g. {c.text}")
                raise Abandon
    return rows


def _valid_together(s: Scope, typed: list) -> None:
    """All the statements as one matrix (pairs never stated: 0) that some inputs can have."""
    names, ranks = copula.joint([corr for _, corr in typed])
    where = {(names.index(a), names.index(b)): (stmt, corr) for stmt, corr in typed for a, b, _ in corr.pairs()}
    if copula.is_valid(copula.normal_matrix(ranks)):
        return
    fixes = [(abs(value - ranks[i, j]), i, j, value) for (i, j) in where
             if (value := copula.nearest_valid(ranks, i, j)) is not None]
    message = "these correlations cannot hold together: no inputs have them all (the matrix is not positive " \
              "semi-definite)"
    if not fixes:
        stmt = typed[-1][0]
        s.report.error(KIND, message, stmt.span, Label(stmt.span),
                       hint="no one pair can be changed to make them possible: lower the strongest correlations")
        return
    _, i, j, value = min(fixes)
    stmt, corr = where[(i, j)]
    a, b = names[i], names[j]
    span = stmt.rows[0][0].span if not stmt.matrix else stmt.rows[corr.names.index(a)][corr.names.index(b)].span
    s.report.error(KIND, message, span, Label(span, f"`{a}` with `{b}`: {ranks[i, j]:g}"),
                   hint=f"the nearest value of this pair that makes them possible, the others as stated: "
                        f"{_with_value(corr, a, b, value)}")


def _with_value(corr: ir.Correlation, a: str, b: str, value: float) -> str:
    """The statement with the pair (a, b) set to value."""
    m = np.array(corr.ranks)
    i, j = corr.names.index(a), corr.names.index(b)
    m[i, j] = m[j, i] = value
    head = f"correlate {', '.join(corr.names)} = "
    return head + (f"{value:g}" if len(corr.names) == 2 else _matrix_text(m))


def _matrix_text(m: np.ndarray) -> str:
    return "{" + "; ".join(", ".join(f"{x:g}" for x in row) for row in m) + "}"


def _kept(s: Scope, corr: ir.Correlation) -> ir.Correlation:
    """The correlation of the inputs uncertain in this scenario (one it fixes is left out)."""
    keep = [k for k, name in enumerate(corr.names)
            if (q := s.quantities[name]).distribution is not None and q.high > q.low]
    if len(keep) == len(corr.names):
        return corr
    ranks = tuple(tuple(corr.ranks[i][j] for j in keep) for i in keep)
    return ir.Correlation(tuple(corr.names[k] for k in keep), ranks, corr.note, corr.sources, corr.span)


def _error(s: Scope, message: str, node, hint: str) -> None:
    s.report.error(KIND, message, node.span, Label(node.span), hint=hint)
    raise Abandon
