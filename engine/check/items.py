"""The items of a dimensioned quantity are one quantity: one shape (a single value or a series),
one kind (a number or true/false) and one unit, so JSON nests them, the workbook gives them one
block and a row can be filled down. An item's own equation that differs is an error here."""

from __future__ import annotations

from ..diagnostics import Label
from .scope import Scope


def verify(s: Scope) -> None:
    dims = s.module.dimensions
    if not dims:
        return
    first: dict[str, str] = {}  # quantity -> its first item's row
    for row, (quantity, _) in dims.rows.items():
        q = s.quantities.get(row)
        if q is None:
            continue
        other = s.quantities.get(first.setdefault(quantity, row))
        if other is None or other is q:
            continue
        problem = None
        if (q.unit is None) != (other.unit is None):
            kind = lambda x: "true/false" if x.unit is None else "a number"  # noqa: E731
            problem, hint = f"`{row}` is {kind(q)}, `{other.name}` {kind(other)}", None
        elif q.series != other.series:
            what = lambda x: "a series" if x.series else "a single value"  # noqa: E731
            problem = f"`{q.name}` is {what(q)}, `{other.name}` {what(other)}: the items of `{quantity}` have one shape"
            hint = f"make every item a series: write its equations per period, `{quantity}[t] = ...`, `{quantity}[ITEM, t] = ...`"
        elif q.unit is not None and q.unit != other.unit:
            units = s.units
            problem = (f"`{q.name}` is in {units.short(q.unit)}, `{other.name}` in {units.short(other.unit)}: "
                       f"the items of `{quantity}` have one unit")
            hint = f"declare it: {q.name}: {units.short(other.unit)} = ..."
        if problem:
            s.report.error("bad-item", problem, q.span, Label(q.span), Label(other.span, "the first item"), hint=hint)
