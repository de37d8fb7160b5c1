"""Pass: which periods each equation of each formula defines (s.pieces), refusing two equations
that define the same period of a quantity, and a formula's periods a scenario leaves undefined."""

from __future__ import annotations

from .. import syntax as ast
from ..diagnostics import Label, Span
from . import actual_periods, definitions, periods
from .scope import Abandon, Scope


def pieces(s: Scope) -> None:
    """s.pieces: the periods each equation of each formula defines."""
    coverage_of_formulas(s)


class _Owned:
    """The periods a formula's equations have taken, as disjoint spans (first, last, equation):
    a formula has a few equations, its timeline up to 10,000 periods."""

    def __init__(self):
        self.spans: list[tuple[int, int, ast.Equation]] = []

    def first_clash(self, start: int, stop: int):
        """(the first period of start..stop already taken, the equation that took it), or None."""
        clashes = [(max(start, first), eq) for first, last, eq in self.spans if first <= stop and last >= start]
        return min(clashes, key=lambda clash: clash[0]) if clashes else None

    def take(self, start: int, stop: int, eq: ast.Equation) -> None:
        if start <= stop:
            self.spans.append((start, stop, eq))

    def free(self, start: int, stop: int) -> list[tuple[int, int]]:
        """The runs of start..stop no equation has taken: 0..9 less 3..5 -> (0, 2), (6, 9)."""
        found, at = [], start
        for first, last, _ in sorted(self.spans, key=lambda span: span[:2]):
            if first > stop:
                break
            if first > at:
                found.append((at, first - 1))
            at = max(at, last + 1)
        if at <= stop:
            found.append((at, stop))
        return found


def coverage_of_formulas(s):
    """Which periods each formula equation defines. `x[t]` takes every period the others leave."""
    s.pieces: dict[str, list[tuple[ast.Equation, int | None, int | None]]] = {}
    for name, equations in s.formulas.items():
        s.pieces[name] = formula_pieces(s, name, equations)


def formula_pieces(s, name: str, equations: list) -> list[tuple[ast.Equation, int | None, int | None]]:
    """One formula's (equation, first period, last period); None, None for a single value."""
    n = len(s.timeline)
    owner = _Owned()
    pieces = []
    general = []
    scalar = []
    fallbacks = [eq for eq in equations if eq.fallback]  # an item's copy of the general equation
    actual = _actuals(s, name, equations, pieces)  # engine/actuals.py: they win
    for eq in equations:
        if eq.fallback or eq.actual is not None:
            continue
        if eq.index is None:
            scalar.append(eq)
        elif isinstance(eq.index, ast.Current):
            general.append(eq)
        elif isinstance(eq.index, (ast.Relative, ast.Shift)):
            s.report.error("bad-period", "the left of `=` takes t, a period or a range, not a lag",
                           eq.index.span, Label(eq.index.span), hint=f"write {name}[t] = ...")
        else:
            try:
                start, stop = periods.period_span(s, eq.index)
            except Abandon:
                continue
            clash = owner.first_clash(start, stop)
            if clash:
                overlap(s, name, eq, clash[1], clash[0])
            owner.take(start, clash[0] - 1 if clash else stop, eq)
            runs = actual.free(start, stop)
            pieces.extend((eq, first, last) for first, last in runs)
            if not runs and f"forecast({name})" not in s.formulas:
                unused(s, name, eq)
    for extra in (scalar + general)[1:]:
        first = (scalar + general)[0]
        definitions.duplicate(s, name, *_in_order(extra.name_span, first.name_span))
    if scalar and (pieces or general):
        other = (pieces[0][0] if pieces else general[0]).name_span
        definitions.duplicate(s, name, *_in_order(scalar[0].name_span, other),
                              hint=f"`{name} = ...` defines every period: write `{name}[t] = ...` for the "
                                   "periods the other equations leave")
    if general:
        for start, stop in [run for free in owner.free(0, n - 1) for run in actual.free(*free)]:
            pieces.append((general[0], start, stop))
            owner.take(start, stop, general[0])
    for eq in fallbacks:  # the periods the item's own equations leave (engine/dimensions.py)
        try:
            start, stop = (0, n - 1) if isinstance(eq.index, ast.Current) else periods.period_span(s, eq.index)
        except Abandon:
            continue
        for first, last in [run for free in owner.free(start, stop) for run in actual.free(*free)]:
            pieces.append((eq, first, last))
            owner.take(first, last, eq)
    if scalar:
        pieces.append((scalar[0], None, None))
    pieces.sort(key=lambda piece: piece[0].actual is not None)  # the formula's unit first; actuals conform
    return pieces


def _actuals(s, name: str, equations, pieces) -> _Owned:
    """The periods the quantity's actuals give (engine/actuals.py), added to its pieces: the
    timeline's first period to `until`, or to the last period every item of the actuals has
    (`until last`), each of them with a value. s.actuals[name]: (the actuals, the last period)."""
    taken = _Owned()
    for eq in equations:
        if eq.actual is None:
            continue
        try:
            start, stop = periods.period_span(s, eq.index)
            if eq.actual.until is None:
                stop = actual_periods.last_complete(s, eq)
            actual_periods.complete(s, eq, stop)
        except Abandon:
            continue
        taken.take(start, stop, eq)
        pieces.append((eq, start, stop))
        s.actuals[name] = (eq.value.name, stop)
    return taken


def unused(s, name: str, eq) -> None:
    """An equation whose periods the actuals all take: not computed (forecast() would read it)."""
    until = s.timeline.label(s.actuals[name][1]) if name in s.actuals else "their end"
    s.report.warning("unused-equation", f"the actuals of `{name}` cover every period of this equation (to {until}): "
                     "it is not used", eq.index.span, Label(eq.index.span, "within the actuals"),
                     hint=f"remove it, or read it through forecast({name}) (the plan the actuals replace)")


def _in_order(a: Span, b: Span) -> tuple[Span, Span]:
    """(the later, the earlier): the one defined again, the one defined first."""
    return (a, b) if (a.line, a.col) >= (b.line, b.col) else (b, a)


def overlap(s, name, eq, other, i):
    s.report.error("duplicate-definition", f"`{name}` is defined twice for {s.timeline.label(i)}",
                   eq.index.span, Label(eq.index.span, "defined again here"),
                   Label(other.index.span, "first defined here"),
                   hint="make the periods of the two equations disjoint")


def definition_span(s, name: str) -> Span | None:
    if name in s.formulas:
        return s.formulas[name][0].name_span
    if name in s.inputs:
        return s.inputs[name].name_span
    return None
