"""The periods a quantity's actuals cover (engine/actuals.py), for engine/check/pieces.py: where
`until last` ends, and a value in every period up to it (a blank is an error here, at the
`actual` statement, rather than a read of a period with no value far from it)."""

from __future__ import annotations

import numpy as np

from ..diagnostics import Label
from .scope import Abandon


def _rows(s, eq) -> list[str]:
    """The actuals' rows: each item of a dimensioned quantity, or itself."""
    name = eq.actual.actuals.name
    dims = s.module.dimensions
    return dims.names(name) if dims and name in dims.of else [name]


def last_complete(s, eq) -> int:
    """`until last`: the last period where every item of the actuals (an input) has a value."""
    stmt = eq.actual
    name = stmt.actuals.name
    if name not in s.inputs and not any(r in s.inputs for r in _rows(s, eq)):
        s.report.error("bad-actual", f"`until last` reads where `{name}`'s values end, and `{name}` is not an "
                       "input", stmt.until_span, Label(stmt.until_span), Label(stmt.actuals.span, "not an input"),
                       hint=f"give the last actual period: actual {stmt.name} = {name} until {s.timeline.label(0)}")
        raise Abandon
    found = [s.quantities.get(row) for row in _rows(s, eq)]
    if any(q is None for q in found):  # the input's own error is reported
        raise Abandon
    if not all(q.series for q in found):
        s.report.error("bad-actual", f"`{name}` is a single value: `until last` needs actuals by period",
                       stmt.until_span, Label(stmt.until_span), Label(stmt.actuals.span, "a single value"),
                       hint=f"give the last actual period: actual {stmt.name} = {name} until {s.timeline.label(0)}")
        raise Abandon
    complete = np.logical_and.reduce([np.asarray(q.defined, dtype=bool) for q in found])
    where = np.flatnonzero(complete)
    if not len(where):
        s.report.error("bad-actual", f"`{name}` has no period where every item has a value", stmt.actuals.span,
                       Label(stmt.actuals.span), hint=f"give its values, e.g. {{{s.timeline.label(0)}: ...}}")
        raise Abandon
    return int(where[-1])


def complete(s, eq, stop: int) -> None:
    """A value in every period up to `stop`, where the actuals are an input (a formula's
    periods are checked as every read is: engine/check/periods.py)."""
    stmt = eq.actual
    for row in _rows(s, eq) if stmt.until is None else [eq.value.name]:
        q = s.quantities.get(row)
        if q is None or q.kind != "input" or not q.series:
            continue
        blank = np.flatnonzero(~np.asarray(q.defined, dtype=bool)[:stop + 1])
        if len(blank):
            label = s.timeline.label(int(blank[0]))
            s.report.error("bad-actual", f"`{row}` has no value for {label}, inside the actuals "
                           f"({s.timeline.label(0)} to {s.timeline.label(stop)})", stmt.span,
                           Label(stmt.actuals.span, f"blank in {label}"), Label(stmt.until_span, "actuals up to here"),
                           hint=f"give {row} a value for {label}" + (
                               f", or end the actuals before it: actual {stmt.name} = {stmt.actuals.name} until "
                               f"{s.timeline.label(int(blank[0]) - 1)}" if blank[0] else ""))
            raise Abandon
