"""Helpers every checking pass uses: unit text for messages, the display clause, the source
text of a node, the rate-per-time hint, and what kind of builtin a call is."""

from __future__ import annotations

from .. import builtins, ir
from .. import syntax as ast
from ..diagnostics import Label, Span, source_lines
from ..units import UnitError


def head_span(span: Span | None, head: str) -> Span | None:
    """The first words of a statement (`scenario bull`), for a label that should not cover a block."""
    if span is None:
        return None
    return Span(span.file, span.line, span.col, span.line, span.col + len(head))


def call_kind(node: ast.Call) -> str | None:
    builtin = builtins.lookup(node.func, len(node.args))
    return builtin.kind if builtin is not None else None


def is_reduction(node: ast.Call) -> bool:
    """A call that reduces a series over periods to one value (series_argument says which)."""
    return call_kind(node) == "reduction"


def series_argument(node: ast.Call) -> int:
    """The position of the series a reduction reads: the last (npv(rate, x[..])) unless the
    registry's roles put it elsewhere (irr(x[..], guess))."""
    builtin = builtins.lookup(node.func, len(node.args))
    if builtin is not None and "series" in builtin.roles:
        return builtin.roles.index("series")
    return len(node.args) - 1


def parse_unit(s, text: ast.UnitText):
    try:
        return s.units.parse(text.text)
    except UnitError as err:
        s.report.error("unknown-unit", str(err), text.span, Label(text.span), hint=err.hint)
        return None


def display(s, q: ir.Quantity, display: ast.Display | None):
    if q.unit is not None and not q.unit_text:
        q.unit_text = s.units.short(q.unit)
    if display is None or q.unit is None:
        return
    q.display_scale = display.scale
    unit = parse_unit(s, display.unit)
    if unit is None:
        return
    if not s.units.same_dimension(unit, q.unit):
        s.report.error("unit-mismatch", f"display unit {display.unit.text} is not a unit of "
                       f"{dim(s, q.unit)}", display.span, Label(display.unit.span, u(s, unit)))
        return
    q.display_unit = unit
    q.display_factor = s.units.factor(q.unit, unit)


def u(s, unit) -> str:
    if unit is None:
        return "true/false"
    return s.units.short(unit) or "a plain number"


def dim(s, unit) -> str:
    if unit is None:
        return "true/false"
    return s.units.describe(unit.dimensionality)


def text(s, node) -> str:
    span = getattr(node, "span", None)
    if span is None or s.file not in s.sources:
        return ""
    if s.lines is None:
        s.lines = source_lines(s.sources[s.file])
    lines = s.lines
    if span.line == span.end_line:
        return lines[span.line - 1][span.col - 1:span.end_col - 1]
    parts = [lines[span.line - 1][span.col - 1:]] + lines[span.line:span.end_line - 1] + \
            [lines[span.end_line - 1][:span.end_col - 1]]
    return " ".join(p.strip() for p in parts)


def rate_hint(s, a, b) -> str | None:
    if a is None or b is None:
        return None
    year = s.units.parse("year").dimensionality
    da, db = a.dimensionality, b.dimensionality
    for shorter, longer, side, other in ((db, da, "right", "left"), (da, db, "left", "right")):
        if longer == shorter * year:  # one side lacks a time factor the other has
            if shorter.get("[time]", 0) < 0:
                return (f"the {side} side is a rate per time: multiply it by {_a_period(s)} or integrate it "
                        "with total(...)")
            return (f"the {other} side is an amount times a time: total() integrates a rate; an amount per "
                    "period is added up with sum(...)")
    return None


def _a_period(s) -> str:
    """What turns a rate into one period's amount: a year on a yearly timeline; on a monthly or
    quarterly one the current period's length (`* 1 year` would add a year's worth each month)."""
    timeline = s.timeline
    if timeline is None or timeline.per_year == 1:
        return "a period (`* 1 year`)"
    return f"the period's length (`* period_length()`, one {timeline.kind})"


def plain(s, node):
    """Express a dimensionless value as a plain fraction (40 % -> 0.4)."""
    return convert(s, node, s.units.dimensionless)


def convert(s, node, unit):
    if s.units.equal(node.type.unit, unit):
        return node
    factor = s.units.factor(node.type.unit, unit)
    if isinstance(node, ir.Const):
        return ir.Const(node.value * factor, ir.Type(unit, node.type.shape), node.span)
    return ir.Convert(node, factor, node.type.unit, ir.Type(unit, node.type.shape), node.span)
