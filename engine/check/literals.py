"""Literal values (inputs, table entries, range ends, distribution parameters, scenario values,
--set): checked against what is expected of them. A bare number stands for the expected unit only
where that unit is declared or is a plain number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ir
from .. import syntax as ast
from ..diagnostics import Label, ModelError, Reporter, Span
from ..units import UnitError, scaled
from . import common
from .scope import Abandon, Scope


@dataclass(frozen=True)
class Expect:
    """What a literal must be: in `unit` (None: true/false), and whether a bare number may stand
    for it (the unit is declared; bare numbers are then read in bare_unit, or unit)."""

    unit: object
    boolean: bool
    bare_ok: bool
    why: str  # finishes "this value is in money, but ...": "`x` is declared in USD"
    bare_unit: object = None


def number_text(number: float) -> str:
    return str(int(number)) if number == int(number) and abs(number) < 1e16 else repr(number)


class LiteralError(Exception):
    """A value given outside the model (--set, the Python API) that is not a valid value of its input."""

    def __init__(self, kind: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.kind, self.hint = kind, hint


def parse_literal(text: str, q: ir.Quantity, units) -> float:
    """The value of input `q` written as `text` (a literal: `58 billion USD/GW`, `7 %`, `true`),
    checked as a scenario's value is: the same dimension, converted to the input's unit; a bare
    number only where the input's unit is declared or a plain number; true/false only for a
    true/false input. Raises LiteralError."""
    from ..parser import parse

    try:
        module = parse(f"input value_ = {text}", "<value>")
    except ModelError as err:
        raise LiteralError("syntax-error", err.diagnostics[0].message) from None
    stmt = module.statements[0] if len(module.statements) == 1 else None
    if not isinstance(stmt, ast.Input) or stmt.clauses.items or isinstance(stmt.value, (ast.Table, ast.Range)):
        raise LiteralError("bad-input", "give one value with its unit")
    s = Scope.for_literals(module, units)
    if q.unit is None:
        expect = Expect(None, True, False, f"`{q.name}` is true/false")
    else:
        expect = Expect(q.unit, False, q.declared, f"`{q.name}` is in {units.short(q.unit) or 'plain numbers'}")
    try:
        number, _ = literal(s, stmt.value, expect, "the value")
    except Abandon:
        found = s.report.diagnostics[0]
        raise LiteralError(found.kind, found.message, found.hint) from None
    return number


def literal(s, node, expect: "Expect | None", what: str = "this value") -> tuple[float, object]:
    """A constant: a quantity literal, optionally negated, or true/false, checked against what
    is expected of it. Returns (value, unit) with the value in the expected unit.
    A bare number stands for the expected unit only where that unit is declared (`: USD`)
    or is a plain number: anywhere else its meaning would be a guess, so it is refused."""
    node = spaced_unit(s, node)
    sign = 1.0
    literal = node
    while isinstance(node, ast.Unary):
        sign = -sign if node.op == "-" else sign
        node = node.operand
    if isinstance(node, ast.Boolean):
        if expect is not None and not expect.boolean:
            s.report.error("type", f"{what} is true/false, but {expect.why}", literal.span,
                           Label(literal.span, "true/false"), hint="booleans and numbers do not mix")
            raise Abandon
        return (1.0 if node.value else 0.0), None
    if not isinstance(node, ast.Quantity):
        span = getattr(node, "span", None)
        if s.input_name in s.overrides:
            hint = (f"a scenario gives an input another value; to compute `{s.input_name}`, make it a "
                    f"formula in the model and replace that formula in the scenario")
        else:
            hint = "compute it in a formula instead: drop the `input` keyword"
        s.report.error("bad-input", "an input's value must be a number with a unit, a table or a range",
                       span, Label(span) if span else Label(Span(s.file, 1, 1, 1, 1)), hint=hint)
        raise Abandon
    if expect is not None and expect.boolean:
        s.report.error("type", f"{what} is a number, but {expect.why}", literal.span, Label(literal.span),
                       hint="write true or false")
        raise Abandon
    number = sign * magnitude(s, node, s.report)
    want = expect.unit if expect is not None else None
    if node.unit is None:
        if expect is None:
            return number, s.units.dimensionless
        if expect.bare_ok:
            bare = expect.bare_unit if expect.bare_unit is not None else want
            return in_unit(s, number, bare, want, literal), want
        if want == s.units.dimensionless:
            return number, want
        written = " ".join([number_text(node.number)] + ([node.scale] if node.scale else []))
        s.report.error("missing-unit", f"`{written}` has no unit, but {expect.why}", literal.span,
                       Label(literal.span, "no unit"),
                       hint=f"write {written} {common.u(s, want)}, or declare the input's unit "
                       f"(`input {s.input_name}: {common.u(s, want)} = ...`) and bare numbers are "
                       "read in it")
        raise Abandon
    unit = literal_unit(s, node)
    if want is None:
        return number, unit
    if not s.units.same_dimension(unit, want):
        s.report.error("unit-mismatch", f"{what} is in {common.dim(s, unit)}, but {expect.why}",
                       literal.span, Label(literal.span, common.u(s, unit)),
                       hint=common.rate_hint(s, unit, want))
        raise Abandon
    return in_unit(s, number, unit, want, literal), want


def spaced_unit(s, node):
    """`13 billion USD / year`, `5 USD / kilowatt` (a unit name after a literal and * or /, as
    formulas and pint's own unit text write it) as the one literal `13 billion USD/year`."""
    if not (isinstance(node, ast.Binary) and node.op in "*/" and isinstance(node.right, ast.Name)
            and s.units.is_unit_name(node.right.name)):
        return node
    left = spaced_unit(s, node.left)
    inner, signs = left, []
    while isinstance(inner, ast.Unary):
        signs.append(inner.op)
        inner = inner.operand
    if not isinstance(inner, ast.Quantity) or (inner.unit is None and node.op == "/"):
        return node
    unit = f"{inner.unit}{node.op}{node.right.name}" if inner.unit else node.right.name
    out = ast.Quantity(inner.number, inner.scale, unit, node.span)
    for op in reversed(signs):
        out = ast.Unary(op, out, node.span)
    return out


def in_unit(s, number: float, unit, want, node) -> float:
    """number (in unit) expressed in want; a conversion that overflows or underflows is an error."""
    if unit is None or s.units.equal(unit, want):
        return number
    value = number * s.units.factor(unit, want)
    if not np.isfinite(value) or (value == 0.0 and number != 0.0):
        s.report.error("limit", f"in {common.u(s, want)} this value is too {'large' if value else 'small'} "
                       "to represent", node.span, Label(node.span),
                       hint="use a unit closer to the value's size")
        raise Abandon
    return value


def literal_unit(s, node: ast.Quantity, report: Reporter | None = None):
    report = report or s.report
    try:
        return s.units.parse(node.unit)
    except UnitError as err:
        span = node.span
        if span.line == span.end_line:
            span = Span(span.file, span.end_line, span.end_col - len(node.unit), span.end_line, span.end_col)
        report.error("unknown-unit", str(err), span, Label(span), hint=err.hint)
        raise Abandon from None


def like_first(s, unit, what: str) -> "Expect":
    """What the later parts of a table, range or distribution must be: in the first one's unit."""
    if unit is None:
        return Expect(None, True, False, f"{what} is true/false")
    return Expect(unit, False, False, f"{what} is in {common.u(s, unit) or 'plain numbers'}")


def not_boolean(s, unit, node, what: str):
    if unit is None:
        s.report.error("type", f"{what} is over numbers, not true/false", node.span, Label(node.span))
        raise Abandon


def magnitude(s, node: ast.Quantity, report: Reporter) -> float:
    value = scaled(node.number, node.scale)
    if not np.isfinite(value):
        report.error("limit", "this number is too large to represent", node.span, Label(node.span),
                     hint="the largest is about 1.8e308")
        raise Abandon
    if value == 0.0 and node.number != 0.0:
        report.error("limit", "this number is too small to represent: it would silently become 0",
                     node.span, Label(node.span), hint="the smallest is about 5e-324; is a unit missing?")
        raise Abandon
    return value

