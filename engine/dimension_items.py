"""The dimensions' lookups the expander asks while writing a model out item by item: which
dimension an item is of, the items a selector fixes, every item combination, the row a combination
names, and the dimensions an expression varies over. Also the expander's state, which these read.
(engine/dimensions.py runs the pass; dimension_expressions.py and dimension_statements.py write.)"""

from __future__ import annotations

from itertools import product

from . import ir
from . import syntax as ast
from .diagnostics import Diagnostic, Label, Span, did_you_mean


class SkipStatement(Exception):
    """The statement has an error (reported); leave it out."""


class ItemLookup:
    """The expander's state (filled in by engine/dimensions.py's pass) and the questions asked of it."""

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

    def declare_hint(self, name: str) -> str:
        return (f"declare it: dimension {name} = {{item1, item2}}" if not self.items
                else "dimensions: " + ", ".join(self.items))

    # ------------------------------------------------------------------ which dimensions
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
        """{dimension: item} for the items of a selector; errors reported (then SkipStatement)."""
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
            raise SkipStatement
        return out

    def combinations(self, dims, fixed: dict[str, str] | None = None) -> list[dict[str, str]]:
        fixed = fixed or {}
        choices = [(fixed[d],) if d in fixed else self.items[d] for d in dims]
        return [dict(zip(dims, combo)) for combo in product(*choices)]

    def combinations_from(self, dims, combo):
        return [{**combo, **c} for c in self.combinations(dims)]

    def row(self, name: str, combo: dict[str, str]) -> str:
        items = tuple(combo[d] for d in self.of[name])
        row = ir.item_name(name, items)
        self.rows[row] = (name, items)
        return row
