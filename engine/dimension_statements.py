"""Statements written out item by item: an input's value (a table by item, nested in the order of
its dimensions), a formula's equations with the items' own equations overriding the general one,
scenarios, checks and charts."""

from __future__ import annotations

from dataclasses import replace

from . import syntax as ast
from .diagnostics import Label, did_you_mean
from .dimension_expressions import ExpressionWriter
from .dimension_items import SkipStatement


class StatementWriter(ExpressionWriter):
    """One statement -> its statements item by item (expressions are ExpressionWriter's)."""

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
                raise SkipStatement
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
            raise SkipStatement
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
            raise SkipStatement
        out = []
        for item in self.items[level]:
            _, entry = entries.get(item, default)
            out.extend(self.leaves(name, entry, rest, {**combo, level: item}))
        return out


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
                except SkipStatement:
                    pass
            return out
        fixed = {}
        for eq in group:
            try:
                fixed[id(eq)] = self.fixed(name, dims, eq.items)
            except SkipStatement:
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
                except SkipStatement:
                    pass
        return out

    def substituted(self, eq: ast.Equation, combo):
        if isinstance(eq.value, ast.Table) and any(isinstance(k, ast.Item) for k, _ in eq.value.entries):
            key = next(k for k, _ in eq.value.entries if isinstance(k, ast.Item))
            self.error("bad-item", "a table by item is an input's value", key.span,
                       f"write input {eq.name} by DIM = {{...}}, or one equation per item: {eq.name}[{key.name}] = ...")
            raise SkipStatement
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
            except SkipStatement:
                continue
        return replace(block, equations=tuple(out))

    def check(self, stmt: ast.Check) -> list:
        dims = self.ordered(self.dims_of(stmt.expr))
        try:
            if not dims:
                return [replace(stmt, expr=self.expr(stmt.expr, {}))]
            return [replace(stmt, name=f"{stmt.name} [{', '.join(combo[d] for d in dims)}]",
                            expr=self.expr(stmt.expr, combo)) for combo in self.combinations(dims)]
        except SkipStatement:
            return []


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
