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
others (the copy is marked `fallback` for engine/check/formulas.py).
"""

from __future__ import annotations

import re

from dataclasses import replace
from itertools import product
from math import prod

from . import ir, limits
from . import syntax as ast
from .diagnostics import Diagnostic, Label, ModelError, Span, did_you_mean, once_per_place

OVER_FUNCTIONS = ("sum", "average", "min", "max")
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
    stack = list(module.statements)
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


class _Skip(Exception):
    """The statement has an error (reported); leave it out."""


class _Expander:
    def __init__(self, module: ast.Module):
        self.module = module
        self.errors: list[Diagnostic] = []
        self.items: dict[str, tuple[str, ...]] = {}  # dimension -> items
        self.spans: dict[str, Span] = {}
        self.of: dict[str, tuple[str, ...]] = {}  # quantity -> dimensions
        self.rows: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.inputs: set[str] = set()
        self.order: dict[str, int] = {}
        self.defined: set[str] = set()  # every input's and formula's name
        self.equations_of: dict[str, list[ast.Equation]] = {}

    def error(self, kind, message, span, hint=None, *labels):
        self.errors.append(Diagnostic(kind, message, span, (Label(span),) + labels if span else labels, hint))

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
        if not self.bounded(quantities):
            return []
        out = []
        for stmt in statements:
            if isinstance(stmt, ast.Dimension):
                continue
            try:
                out.extend(self.statement(stmt))
            except _Skip:
                continue
        return out

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

    def declare_hint(self, name: str) -> str:
        return (f"declare it: dimension {name} = {{item1, item2}}" if not self.items
                else "dimensions: " + ", ".join(self.items))

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

    def ordered(self, dims) -> tuple[str, ...]:
        return tuple(sorted(dims, key=self.order.__getitem__))

    def dims_of(self, node) -> set[str]:
        """The dimensions an expression varies over (unknown items and dimensions ignored: they are
        reported when it is written out)."""
        out: set[str] = set()
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Name):
                out.update(self.of.get(n.name, ()))
            elif isinstance(n, ast.Indexed):
                own = self.of.get(n.name, ())
                fixed = {self.item_dim(n.name, own, item, report=False) for item in n.items}
                out.update(d for d in own if d not in fixed)
                stack.extend(ast.children(n))  # x[t-lag]: a lag by region varies by region
            elif isinstance(n, ast.Call) and n.over:
                inner = set().union(*(self.dims_of(a) for a in n.args)) if n.args else set()
                out.update(inner - {d.name for d in n.over})
            else:
                stack.extend(ast.children(n))
        return out

    # ------------------------------------------------------------------ items
    def item_dim(self, name: str, dims, item: ast.Item, report: bool = True) -> str | None:
        """The dimension of `name` that `item` belongs to."""
        found = [d for d in dims if item.name in self.items[d]]
        if len(found) == 1:
            return found[0]
        if not report:
            return None
        if not dims:
            what = "an input" if name in self.inputs else "a formula"
            self.error("bad-item", f"`{name}` has no dimensions, so `[{item.name}]` selects nothing", item.span,
                       f"`{name}` is {what} without items" + (
                           f"; declare them: input {name} by DIM = ..." if name in self.inputs else ""))
        elif found:
            self.error("bad-item", f"`{item.name}` is an item of {' and '.join(found)}: which one is meant is "
                       "not clear", item.span, "rename the item in one of the dimensions")
        else:
            elsewhere = [d for d in self.items if item.name in self.items[d]]
            if elsewhere:
                hint = (f"`{item.name}` is an item of {elsewhere[0]}; `{name}` is by {', '.join(dims)}")
            else:
                known = [i for d in dims for i in self.items[d]]
                hint = did_you_mean(item.name, known) or f"items of {', '.join(dims)}: " + ", ".join(known)
            self.error("bad-item", f"`{item.name}` is not an item of `{name}` (by {', '.join(dims)})", item.span,
                       hint)
        return None

    def global_item(self, item: ast.Item, report: bool = True) -> str | None:
        found = [d for d in self.items if item.name in self.items[d]]
        if len(found) == 1:
            return found[0]
        if report:
            known = [i for d in self.items for i in self.items[d]]
            self.error("bad-item", f"`{item.name}` is not an item of any dimension" if not found else
                       f"`{item.name}` is an item of {' and '.join(found)}: which one is meant is not clear",
                       item.span, did_you_mean(item.name, known) or self.declare_hint("DIM") if not found else None)
        return None

    def fixed(self, name: str, dims, items) -> dict[str, str]:
        """{dimension: item} for the items of a selector; errors reported (then _Skip)."""
        out: dict[str, str] = {}
        bad = False
        for item in items:
            dim = self.item_dim(name, dims, item)
            if dim is None:
                bad = True
            elif dim in out:
                self.error("bad-item", f"two items of {dim} in one selector: `{out[dim]}` and `{item.name}`",
                           item.span, "a selector takes at most one item of each dimension")
                bad = True
            else:
                out[dim] = item.name
        if bad:
            raise _Skip
        return out

    def combinations(self, dims, fixed: dict[str, str] | None = None) -> list[dict[str, str]]:
        fixed = fixed or {}
        choices = [(fixed[d],) if d in fixed else self.items[d] for d in dims]
        return [dict(zip(dims, combo)) for combo in product(*choices)]

    def row(self, name: str, combo: dict[str, str]) -> str:
        items = tuple(combo[d] for d in self.of[name])
        row = ir.item_name(name, items)
        self.rows[row] = (name, items)
        return row

    # ------------------------------------------------------------------ statements
    def statement(self, stmt) -> list:
        if isinstance(stmt, ast.Input):
            return self.input(stmt)
        if isinstance(stmt, ast.Equation):
            group = self.equations_of[stmt.name]
            return self.equations(stmt.name, group) if group[0] is stmt else []
        if isinstance(stmt, ast.Scenario):
            return [self.scenario(stmt)]
        if isinstance(stmt, ast.Check):
            return self.check(stmt)
        if isinstance(stmt, ast.Chart):
            names = tuple(ast.Name(row, n.span) for n in stmt.names
                          for row in (self.names_of(n.name) if n.name in self.of else [n.name]))
            return [replace(stmt, names=names)]
        return [stmt]

    def names_of(self, name: str) -> list[str]:
        return [self.row(name, combo) for combo in self.combinations(self.of[name])]

    def input(self, stmt: ast.Input) -> list:
        dims = self.of.get(stmt.name, ())
        if not dims:
            if isinstance(stmt.value, ast.Table) and any(isinstance(k, ast.Item) for k, _ in stmt.value.entries):
                key = next(k for k, _ in stmt.value.entries if isinstance(k, ast.Item))
                dim = next((d for d in self.items if key.name in self.items[d]), "DIM")
                self.error("bad-item", f"`{stmt.name}` has no dimensions, but its table is by item", key.span,
                           f"declare them: input {stmt.name} by {dim} = ...")
                raise _Skip
            return [stmt]
        leaves = self.leaves(stmt.name, stmt.value, dims, {})
        if any(isinstance(v, ast.Table) for _, v in leaves):
            leaves = [(c, self.over_time(v)) for c, v in leaves]
        return [replace(stmt, name=self.row(stmt.name, combo), value=value, dims=()) for combo, value in leaves]

    def over_time(self, value):
        """A single value beside other items' tables by period: the same value in every period
        (all items of a quantity have one shape)."""
        if isinstance(value, (ast.Table, ast.Range)):
            return value
        timeline = next((s for s in self.module.statements if isinstance(s, ast.Timeline)), None)
        if timeline is None:
            return value  # the checker says a timeline is missing
        return ast.Table(((ast.PeriodRange(_first_period(timeline), None, value.span), value),), value.span)

    def leaves(self, name: str, value, dims, combo: dict[str, str]):
        """(items, value) for every item combination of an input's value: a table by the first
        dimension's items (each entry a value or a table by the next one), or one value for
        every item left."""
        if not (isinstance(value, ast.Table) and any(isinstance(k, ast.Item) for k, _ in value.entries)):
            return [(c, value) for c in self.combinations_from(dims, combo)]  # one value for the items left
        if not dims:
            key = next(k for k, _ in value.entries if isinstance(k, ast.Item))
            self.error("bad-item", f"a table by item nested deeper than `{name}`'s dimensions", key.span,
                       f"`{name}` is by {', '.join(self.of[name])}")
            raise _Skip
        level, rest = dims[0], dims[1:]
        entries: dict[str, tuple] = {}
        default = None
        bad = False
        for key, entry in value.entries:
            if not isinstance(key, ast.Item):
                self.error("bad-item", "a table mixes items and periods", key.span,
                           f"write a table by {level} whose entries are tables by period: "
                           f"{{{self.items[level][0]}: {{2025: ...}}, ...}}")
                bad = True
            elif key.name == "default" and default is not None:  # a second one would silently win
                self.error("bad-item", "`default` is listed twice", key.span, "keep one `default:` entry",
                           Label(default[0].span, "first here"))
                bad = True
            elif key.name == "default":
                default = (key, entry)
            elif key.name not in self.items[level]:
                other = next((d for d in self.of[name] if key.name in self.items[d]), None)
                if other is not None:
                    self.error("bad-item", f"`{key.name}` is an item of {other}, but this level of the table is "
                               f"by {level}", key.span, f"tables nest in the order of `by "
                               f"{', '.join(self.of[name])}`: {level} first")
                else:
                    self.error("bad-item", f"`{key.name}` is not an item of {level}", key.span,
                               did_you_mean(key.name, self.items[level])
                               or f"items of {level}: " + ", ".join(self.items[level]))
                bad = True
            elif key.name in entries:
                self.error("bad-item", f"`{key.name}` is listed twice", key.span, None,
                           Label(entries[key.name][0].span, "first here"))
                bad = True
            else:
                entries[key.name] = (key, entry)
        missing = [i for i in self.items[level] if i not in entries]
        if missing and default is None and not bad:
            self.error("bad-item", f"`{name}` has no value for {', '.join(missing)} ({level})", value.span,
                       "give every item a value, or one for the rest: default: VALUE")
            bad = True
        if bad:
            raise _Skip
        out = []
        for item in self.items[level]:
            _, entry = entries.get(item, default)
            out.extend(self.leaves(name, entry, rest, {**combo, level: item}))
        return out

    def combinations_from(self, dims, combo):
        return [{**combo, **c} for c in self.combinations(dims)]

    def equations(self, name: str, group: list[ast.Equation]) -> list:
        dims = self.of.get(name, ())
        if name in self.inputs:
            return [replace(eq, items=()) for eq in group]  # the checker reports the duplicate
        if not dims:
            out = []
            for eq in group:
                if eq.items:
                    self.fixed(name, dims, eq.items)  # reports: no dimensions
                try:
                    out.append(self.substituted(eq, {}))
                except _Skip:
                    pass
            return out
        fixed = {}
        for eq in group:
            try:
                fixed[id(eq)] = self.fixed(name, dims, eq.items)
            except _Skip:
                pass
        group = [eq for eq in group if id(eq) in fixed]
        # The unit one of the quantity's equations declares is every item's: an item's own equation
        # measures what the general one does (engine/check/items.py checks they agree).
        declared = next((eq.unit for eq in group if eq.unit is not None), None)
        # An item's own equations over some periods: the general equations become per-period (x[t])
        # for every item, so all items have the same shape.
        periodic = any(fixed[id(eq)] and eq.index is not None for eq in group)
        out = []
        for combo in self.combinations(dims):
            mine = [eq for eq in group if fixed[id(eq)].items() <= combo.items()]
            mine.sort(key=lambda eq: -len(fixed[id(eq)]))
            top = len(fixed[id(mine[0])]) if mine else 0
            if any(len(fixed[id(eq)]) == top and eq.index is None for eq in mine) and top:
                mine = [eq for eq in mine if len(fixed[id(eq)]) == top]  # the item's own overrides all periods
            row = self.row(name, combo)
            for eq in mine:
                index = eq.index
                if index is None and periodic:
                    index = ast.Current(eq.name_span)
                try:
                    out.append(replace(self.substituted(eq, combo), name=row, index=index, items=(),
                                       fallback=len(fixed[id(eq)]) < top, unit=eq.unit or declared))
                except _Skip:
                    pass
        return out

    def substituted(self, eq: ast.Equation, combo):
        if isinstance(eq.value, ast.Table) and any(isinstance(k, ast.Item) for k, _ in eq.value.entries):
            key = next(k for k, _ in eq.value.entries if isinstance(k, ast.Item))
            self.error("bad-item", "a table by item is an input's value", key.span,
                       f"write input {eq.name} by DIM = {{...}}, or one equation per item: {eq.name}[{key.name}] = ...")
            raise _Skip
        return replace(eq, value=self.expr(eq.value, combo))

    def scenario(self, block: ast.Scenario) -> ast.Scenario:
        out = []
        done: set[str] = set()
        for eq in block.equations:
            dims = self.of.get(eq.name, ())
            try:
                if eq.name in self.inputs and dims:
                    fixed = self.fixed(eq.name, dims, eq.items)
                    rest = tuple(d for d in dims if d not in fixed)
                    for combo, value in self.leaves(eq.name, eq.value, rest, fixed):
                        out.append(replace(eq, name=self.row(eq.name, combo), value=value, items=()))
                elif eq.name in self.of:
                    scenario_dims = self.dims_of(eq.value) - set(dims)
                    if scenario_dims:
                        self.error("bad-scenario", f"`{eq.name}` is by {', '.join(dims) or 'no dimension'} in "
                                   f"the model; this scenario makes it vary by {', '.join(sorted(scenario_dims))}",
                                   eq.span, "a scenario may change how a quantity is computed, not its dimensions")
                        continue
                    if eq.name not in done:  # all of the block's equations for it at once
                        done.add(eq.name)
                        out.extend(self.equations(eq.name, [e for e in block.equations if e.name == eq.name]))
                else:
                    if eq.items:
                        self.fixed(eq.name, dims, eq.items)
                    out.append(self.substituted(eq, {}))
            except _Skip:
                continue
        return replace(block, equations=tuple(out))

    def check(self, stmt: ast.Check) -> list:
        dims = self.ordered(self.dims_of(stmt.expr))
        try:
            if not dims:
                return [replace(stmt, expr=self.expr(stmt.expr, {}))]
            return [replace(stmt, name=f"{stmt.name} [{', '.join(combo[d] for d in dims)}]",
                            expr=self.expr(stmt.expr, combo)) for combo in self.combinations(dims)]
        except _Skip:
            return []

    # ------------------------------------------------------------------ expressions
    def expr(self, node, combo: dict[str, str]):
        """The expression for one item combination."""
        if isinstance(node, ast.Name):
            if node.name in self.of:
                return ast.Name(self.select(node.name, {}, combo, node.span), node.span)
            return node
        if isinstance(node, ast.Indexed):
            if isinstance(node.index, ast.Shift) and node.index.by.name in self.of:  # each item's own lag
                by = node.index.by
                node = replace(node, index=replace(node.index, by=self.expr(by, combo)))
            if node.name not in self.of:
                if not node.items:
                    return node
                if node.name in self.defined:
                    self.fixed(node.name, (), node.items)  # reports: it has no dimensions
                # not defined: the checker says so (and what it may have meant)
                return ast.Name(node.name, node.span) if node.index is None else replace(node, items=())
            fixed = self.fixed(node.name, self.of[node.name], node.items)
            row = self.select(node.name, fixed, combo, node.span)
            if node.index is None:
                return ast.Name(row, node.span)
            return ast.Indexed(row, node.index, node.span)
        if isinstance(node, ast.Call):
            args = node.args
            if node.over:
                return self.over(node, combo)
            return replace(node, args=tuple(self.expr(a, combo) for a in args))
        if isinstance(node, (ast.Unary, ast.Not)):
            return replace(node, operand=self.expr(node.operand, combo))
        if isinstance(node, (ast.Binary, ast.Compare, ast.Logical)):
            return replace(node, left=self.expr(node.left, combo), right=self.expr(node.right, combo))
        if isinstance(node, ast.Sum):
            return replace(node, first=self.expr(node.first, combo),
                           rest=tuple((op, self.expr(x, combo)) for op, x in node.rest))
        if isinstance(node, ast.Approx):
            return replace(node, left=self.expr(node.left, combo), right=self.expr(node.right, combo),
                           tolerance=self.expr(node.tolerance, combo))
        if isinstance(node, ast.Table):
            return replace(node, entries=tuple((k, self.expr(v, combo)) for k, v in node.entries))
        if isinstance(node, ast.Range):
            return replace(node, low=self.expr(node.low, combo), high=self.expr(node.high, combo))
        return node

    def select(self, name: str, fixed: dict[str, str], combo: dict[str, str], span) -> str:
        """The row of `name` for this combination, with the selector's items in place."""
        items = {}
        for d in self.of[name]:
            if d in fixed:
                items[d] = fixed[d]
            elif d in combo:
                items[d] = combo[d]
            else:  # only where an equation's dimensions are not inferred (e.g. after an error)
                self.error("bad-item", f"`{name}` varies by {d} here, but the formula does not say which item",
                           span, f"select one ({name}[{self.items[d][0]}]) or sum them: sum({name} over {d})")
                raise _Skip
        return self.row(name, items)

    def over(self, node: ast.Call, combo: dict[str, str]):
        """sum / average / min / max (x over D1, D2): the items of D1 x D2 combined."""
        if node.func not in OVER_FUNCTIONS:
            self.error("bad-call", f"`over` works with {', '.join(OVER_FUNCTIONS)}, not `{node.func}`", node.span,
                       f"e.g. sum(x over {node.over[0].name})")
            raise _Skip
        arg = node.args[0]
        has = self.dims_of(arg)
        dims = []
        for d in node.over:
            if d.name not in self.items:
                self.error("bad-dimension", f"`{d.name}` is not a dimension", d.span,
                           did_you_mean(d.name, self.items) or self.declare_hint(d.name))
                raise _Skip
            if d.name not in has:
                self.error("bad-dimension", f"`{_text(arg)}` does not vary by {d.name}, so there is nothing to "
                           f"{node.func} over it", d.span,
                           f"it is by {', '.join(self.ordered(has))}" if has else "it has no dimensions")
                raise _Skip
            if d.name in dims:
                self.error("bad-dimension", f"`{d.name}` is listed twice", d.span)
                raise _Skip
            dims.append(d.name)
        terms = [self.expr(arg, {**combo, **c}) for c in self.combinations(dims)]
        if node.func in ("min", "max"):
            return ast.Call(node.func, tuple(terms), node.span) if len(terms) > 1 else terms[0]
        total = ast.Sum(terms[0], tuple(("+", t) for t in terms[1:]), node.span) if len(terms) > 1 else terms[0]
        if node.func == "average":
            return ast.Binary("/", total, ast.Quantity(float(len(terms)), None, None, node.span), node.span)
        return total


def _names(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Name, ast.Indexed)):
            yield n.name
        stack.extend(ast.children(n))


def _text(node) -> str:
    from .formatter import expr

    return expr(node)


def _first_period(timeline: ast.Timeline) -> ast.PeriodLabel:
    """The timeline's first period written at its own frequency (2025 on a monthly timeline is
    2025-01, FY2025 ending June is 2024-07): a key that reads as one period each, never as a
    coarser label to split."""
    from .timeline import MONTHS

    start, kind = timeline.start, {"monthly": "month", "quarterly": "quarter", "yearly": "year"}[timeline.frequency]
    if start.kind == kind or kind == "year":
        return start
    if kind == "quarter":
        return ast.PeriodLabel(start.year, "quarter", 1, start.fiscal)
    ends = [k for k, m in enumerate(MONTHS, 1) if timeline.ending and m.lower().startswith(timeline.ending.lower()[:3])]
    shift = (12 - ends[0]) % 12 if start.fiscal and ends else 0
    first = start.year * 12 - shift + (0 if start.kind == "year" else (start.number - 1) * 3)
    return ast.PeriodLabel(first // 12, "month", first % 12 + 1)


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

