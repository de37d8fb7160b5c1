"""An expression written out for one item combination: each reference becomes the row of the
matching items (`users` in `revenue[na, chat]`'s formula is `users[na, chat]`), and each
`sum(x over D)` (average, min, max) the combination of D's items."""

from __future__ import annotations

from dataclasses import replace

from . import syntax as ast
from .diagnostics import did_you_mean
from .dimension_items import ItemLookup, SkipStatement

OVER_FUNCTIONS = ("sum", "average", "min", "max")


class ExpressionWriter(ItemLookup):
    """Expressions for one item combination (the lookups they use are ItemLookup's)."""

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
                raise SkipStatement
        return self.row(name, items)

    def over(self, node: ast.Call, combo: dict[str, str]):
        """sum / average / min / max (x over D1, D2): the items of D1 x D2 combined."""
        if node.func not in OVER_FUNCTIONS:
            self.error("bad-call", f"`over` works with {', '.join(OVER_FUNCTIONS)}, not `{node.func}`", node.span,
                       f"e.g. sum(x over {node.over[0].name})")
            raise SkipStatement
        arg = node.args[0]
        has = self.dims_of(arg)
        dims = []
        for d in node.over:
            if d.name not in self.items:
                self.error("bad-dimension", f"`{d.name}` is not a dimension", d.span,
                           did_you_mean(d.name, self.items) or self.declare_hint(d.name))
                raise SkipStatement
            if d.name not in has:
                self.error("bad-dimension", f"`{_text(arg)}` does not vary by {d.name}, so there is nothing to "
                           f"{node.func} over it", d.span,
                           f"it is by {', '.join(self.ordered(has))}" if has else "it has no dimensions")
                raise SkipStatement
            if d.name in dims:
                self.error("bad-dimension", f"`{d.name}` is listed twice", d.span)
                raise SkipStatement
            dims.append(d.name)
        terms = [self.expr(arg, {**combo, **c}) for c in self.combinations(dims)]
        if node.func in ("min", "max"):
            return ast.Call(node.func, tuple(terms), node.span) if len(terms) > 1 else terms[0]
        total = ast.Sum(terms[0], tuple(("+", t) for t in terms[1:]), node.span) if len(terms) > 1 else terms[0]
        if node.func == "average":
            return ast.Binary("/", total, ast.Quantity(float(len(terms)), None, None, node.span), node.span)
        return total


def _text(node) -> str:
    from .formatter import expr

    return expr(node)
