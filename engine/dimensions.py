"""Named dimensions: a model written once for all items, written out item by item.

`dimension region = {na, eu, apac}` names items a quantity can vary over. An input declares its
dimensions (`input price by region = {...}`); a formula's are the union of its operands' (in
the order the dimensions are declared), less those an item selects (`price[eu]`) or a
`sum(x over region)` removes. This pass runs before the checker and turns every dimensioned
statement into one statement per item combination, named as the language selects it
(`revenue[na, chat]`), each reference into the matching item (`users` in `revenue[na, chat]`'s
formula is `users[na, chat]`, `price` is `price[na]`) and every `sum(x over D)` into the sum of
its items. Everything after it (units, periods, the plan, both backends, every command) reads an
ordinary model; `ir.Dimensions` records which rows belong to which quantity. Spans are kept, so a
unit error is reported once, at the text the author wrote, for all items.

An item's own equation (`local_price[apac] = ...`, `promo[eu, 2026..] = ...`) overrides the
general one for that item: where it covers only some periods, the general equation keeps the
others (the copy is marked `fallback` for engine/check/pieces.py).

This module runs the pass (declarations, each formula's dimensions, the size bound); the writing
is layered below it: engine/dimension_statements.py (statements) on dimension_expressions.py
(expressions for one item combination) on dimension_items.py (the lookups and the state).
"""

from __future__ import annotations

import re

from dataclasses import replace
from math import prod

from . import ir, limits
from . import syntax as ast
from .diagnostics import Label, ModelError, did_you_mean, once_per_place
from .dimension_items import SkipStatement
from .dimension_statements import StatementWriter

RESERVED_ITEMS = {"t": "the current period", "default": "a table's value for the items it does not list"}
MAX_ROWS, MAX_CELLS = limits.ROWS.value, limits.CELLS.value
_FISCAL_LABEL = re.compile(r"FY[0-9]{4}(Q[0-9]+)?\Z")  # x[FY2025] selects a period, never an item


def expand(module: ast.Module, text: str | None = None) -> ast.Module:
    """The module written out item by item (itself when it has no dimensions); ModelError with
    every located error otherwise."""
    if module.dimensions is not None:
        return module
    if not any(isinstance(s, ast.Dimension) for s in module.statements) and not _uses_items(module):
        return replace(module, dimensions=ir.NO_DIMENSIONS)
    expander = _Expander(module)
    statements = expander.run()
    if expander.errors:
        raise ModelError(once_per_place(expander.errors), {module.file: text} if text is not None else None)
    info = ir.Dimensions(items=dict(expander.items), of=dict(expander.of), rows=dict(expander.rows))
    return replace(module, statements=tuple(statements), dimensions=info)


def _uses_items(module: ast.Module) -> bool:
    """Item syntax without any dimension: the expander reports it."""
    return uses_items(module.statements)


def uses_items(statements) -> bool:
    """Whether any of the statements writes item syntax (a dimension's items, `by`, `over`)."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Input) and node.dims or isinstance(node, ast.Equation) and node.items:
            return True
        if isinstance(node, ast.Indexed) and node.items or isinstance(node, ast.Call) and node.over:
            return True
        if isinstance(node, ast.Table) and any(isinstance(k, ast.Item) for k, _ in node.entries):
            return True
        stack.extend(ast.children(node))
    return False


class _Expander(StatementWriter):
    """The pass: declarations first (dimensions, inputs' `by`), then every formula's dimensions,
    the size bound, and each statement written out (StatementWriter and the classes below it)."""

    # ------------------------------------------------------------------ the pass
    def run(self) -> list:
        statements = self.module.statements
        for stmt in statements:
            if isinstance(stmt, ast.Dimension):
                self.dimension(stmt)
        self.order = {d: i for i, d in enumerate(self.items)}
        quantities = {s.name: s for s in statements if isinstance(s, (ast.Input, ast.Equation))}
        self.defined = set(quantities)
        for stmt in statements:  # a formula's equations, written out together at its first one
            if isinstance(stmt, ast.Equation):
                self.equations_of.setdefault(stmt.name, []).append(stmt)
        for name, stmt in quantities.items():
            if name in self.items:
                self.error("bad-dimension", f"`{name}` is a dimension and a quantity", stmt.name_span,
                           "rename one of them", Label(self.spans[name], "the dimension"))
        for stmt in statements:
            if isinstance(stmt, ast.Input):
                self.inputs.add(stmt.name)
                if stmt.dims:
                    self.of[stmt.name] = self.declared(stmt)
        self.infer()
        self.actuals_agree()
        if not self.bounded(quantities):
            return []
        out = []
        for stmt in statements:
            if isinstance(stmt, ast.Dimension):
                continue
            try:
                out.extend(self.statement(stmt))
            except SkipStatement:
                continue
        return out

    def actuals_agree(self):
        """An `actual` statement's actuals vary by the quantity's dimensions (engine/actuals.py):
        revenue by region takes revenue_actual by region, never one value for every region."""
        for name, eqs in self.equations_of.items():
            for eq in [e for e in eqs if e.actual is not None]:
                have, want = self.ordered(self.dims_of(eq.value)), self.of.get(name, ())
                if have != want:
                    what = lambda dims: "by " + ", ".join(dims) if dims else "by no dimension"  # noqa: E731
                    self.error("bad-actual", f"`{eq.value.name}` is {what(have)}, `{name}` {what(want)}: the actuals "
                               "vary as the quantity does", eq.value.span,
                               f"declare `{eq.value.name}` {what(want)}, one value per item" if want else
                               f"sum the items first: {eq.value.name}_total = sum({eq.value.name} over "
                               f"{', '.join(have)})", Label(eq.name_span, what(want)))
                    eqs.remove(eq)  # not written out: its reads would be reported again

    def bounded(self, quantities: dict) -> bool:
        """Rows (and cells: rows x periods) counted before anything is written out item by item,
        so that a model too large is refused at once, at the statement that multiplies them."""
        rows = {name: prod(len(self.items[d]) for d in self.of.get(name, ())) for name in quantities}
        periods = timeline_length(self.module) or 1
        total = sum(rows.values())
        if total <= MAX_ROWS and total * periods <= MAX_CELLS:
            return True
        name = max(rows, key=rows.get)
        dims = self.of.get(name, ())
        count = " x ".join(f"{len(self.items[d]):,}" for d in dims) or "1"
        what = (f"{total:,} rows once written out item by item, more than {MAX_ROWS:,}" if total > MAX_ROWS else
                f"{total:,} rows x {periods:,} periods = {total * periods:,} values, more than {MAX_CELLS:,}")
        stmt = quantities[name]
        self.error("limit", f"the model would have {what}; `{name}` alone is {count} = {rows[name]:,} rows "
                   f"(by {', '.join(dims) or 'no dimension'})", stmt.name_span,
                   "use fewer items, fewer dimensions per quantity, or a coarser timeline (docs/language.md, "
                   "\"Limits\")")
        return False

    def dimension(self, stmt: ast.Dimension):
        if stmt.name in self.items:
            self.error("bad-dimension", f"dimension `{stmt.name}` is declared twice", stmt.name_span, None,
                       Label(self.spans[stmt.name], "first here"))
            return
        seen: dict[str, ast.Item] = {}
        for item in stmt.items:
            if item.name in RESERVED_ITEMS:
                self.error("bad-item", f"`{item.name}` cannot be an item: it stands for "
                           f"{RESERVED_ITEMS[item.name]}", item.span, "choose another name")
            elif _FISCAL_LABEL.match(item.name):
                self.error("bad-item", f"`{item.name}` cannot be an item: inside brackets it reads as a fiscal "
                           "period", item.span, f"choose another name, e.g. {item.name.lower()}")
            elif item.name.lower() in seen:
                first = seen[item.name.lower()]
                same = "is listed twice" if first.name == item.name else \
                    f"and `{first.name}` differ only in case (a spreadsheet reads them as one name)"
                self.error("bad-item", f"`{item.name}` {same} in dimension `{stmt.name}`", item.span, None,
                           Label(first.span, "first here"))
            else:
                seen[item.name.lower()] = item
        self.items[stmt.name] = tuple(i.name for i in seen.values())
        self.spans[stmt.name] = stmt.name_span

    def declared(self, stmt: ast.Input) -> tuple[str, ...]:
        dims: list[str] = []
        for d in stmt.dims:
            if d.name not in self.items:
                self.error("bad-dimension", f"`{d.name}` is not a dimension", d.span,
                           did_you_mean(d.name, self.items) or self.declare_hint(d.name))
            elif d.name in dims:
                self.error("bad-dimension", f"`{d.name}` is listed twice", d.span)
            else:
                dims.append(d.name)
        return tuple(dims)

    # ------------------------------------------------------------------ which dimensions
    def infer(self):
        """Each formula's dimensions: the union of its equations' operands', to a fixed point
        (a recurrence reads itself; formulas may come in any order). A worklist re-visits the
        formulas that read one whose dimensions grew."""
        equations = {name: eqs for name, eqs in self.equations_of.items() if name not in self.inputs}
        readers: dict[str, set[str]] = {}
        for name, eqs in equations.items():
            for eq in eqs:
                for read in _names(eq.value):
                    readers.setdefault(read, set()).add(name)
        work = list(equations)
        queued = set(work)
        while work:
            name = work.pop()
            queued.discard(name)
            found: set[str] = set()
            for eq in equations[name]:
                if eq.actual is not None:  # the actuals take the quantity's dimensions (actuals_agree)
                    continue
                found |= self.dims_of(eq.value)
                for item in eq.items:
                    dim = self.global_item(item, report=False)
                    if dim:
                        found.add(dim)
            dims = self.ordered(found)
            if dims != self.of.get(name, ()):
                self.of[name] = dims
                for reader in readers.get(name, ()):
                    if reader not in queued:
                        queued.add(reader)
                        work.append(reader)
        for name in list(self.of):
            if not self.of[name]:
                del self.of[name]


def _names(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Name, ast.Indexed)):
            yield n.name
        stack.extend(ast.children(n))


def timeline_length(module: ast.Module) -> int | None:
    """The number of periods the module's timeline statement gives (None if it has none or a bad one)."""
    from .timeline import MONTHS, Timeline

    stmt = next((s for s in module.statements if isinstance(s, ast.Timeline)), None)
    if stmt is None:
        return None
    ends = [k for k, m in enumerate(MONTHS, 1) if stmt.ending and m.lower().startswith(stmt.ending.lower()[:3])]
    probe = Timeline(stmt.frequency, 0, 0, None, fiscal_end=ends[0] if ends else None)
    try:
        first = probe.span_of(stmt.start.year, stmt.start.kind, stmt.start.number, stmt.start.fiscal)[0]
        last = probe.span_of(stmt.end.year, stmt.end.kind, stmt.end.number, stmt.end.fiscal)[1]
    except ValueError:
        return None
    return max(last - first + 1, 1)

