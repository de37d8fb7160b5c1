"""Property tests over random expression trees.

(a) the checker accepts an expression exactly when a slow reference evaluation with pint
    quantities succeeds, and then infers the dimension pint computes;
(b) the fast numpy evaluator's number equals the pint reference;
(c) formatting is a faithful round trip: parse(fmt(x)) == parse(x).
"""

import math

import numpy as np
import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet import engine
from unitsheet.engine import syntax as ast
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.formatter import expr as format_expr
from unitsheet.engine.formatter import format_module
from unitsheet.engine.parser import parse
from unitsheet.engine.units import UnitSystem

UNITS = UnitSystem()
Q = UNITS.registry.Quantity

# Inputs of the generated models: name -> unit text.
INPUTS = {"cash": "USD", "revenue": "USD/year", "capacity": "GW", "cost": "USD/GW", "span": "year",
          "share": "%", "small": "MW", "ratio": "1"}
LITERAL_UNITS = [None, "USD", "USD/year", "GW", "MW", "year", "month", "%", "USD/GW", "USD/MW"]


def leaves():
    names = st.sampled_from(sorted(INPUTS)).map(ast.Name)
    literals = st.builds(ast.Quantity, st.integers(1, 999).map(float), st.sampled_from([None, None, "thousand"]),
                         st.sampled_from(LITERAL_UNITS))
    return st.one_of(names, literals)


def extend(children):
    binary = st.builds(ast.Binary, st.sampled_from(["*", "/"]), children, children)
    # The parser makes one Sum of a chain of + and -: its first operand is never a Sum itself.
    sums = st.builds(ast.Sum, children.filter(lambda n: not isinstance(n, ast.Sum)),
                     st.lists(st.tuples(st.sampled_from(["+", "-"]), children), min_size=1, max_size=3).map(tuple))
    power = st.builds(ast.Binary, st.just("^"), children,
                      st.integers(-2, 3).map(lambda k: ast.Quantity(float(abs(k)), None, None) if k >= 0
                                             else ast.Unary("-", ast.Quantity(float(-k), None, None))))
    unary = st.builds(ast.Unary, st.just("-"), children)
    funcs = st.builds(lambda f, a, b: ast.Call(f, (a, b)), st.sampled_from(["min", "max"]), children, children)
    absolute = st.builds(lambda a: ast.Call("abs", (a,)), children)
    return st.one_of(binary, sums, power, unary, funcs, absolute)


EXPRESSIONS = st.recursive(leaves(), extend, max_leaves=8)
VALUES = st.fixed_dictionaries({name: st.integers(1, 5000).map(lambda v: v / 7) for name in INPUTS})


def model_text(expression, values) -> str:
    lines = ['model "property"', "timeline 2025..2026 yearly"]
    for name, unit in INPUTS.items():
        lines.append(f"input {name} = {values[name]!r} {unit if unit != '1' else ''}".rstrip())
    lines.append(f"result = {format_expr(expression)}")
    return "\n".join(lines) + "\n"


class Reject(Exception):
    pass


def reference(node, env):
    """Evaluate with pint quantities: slow, but the unit algebra is pint's own."""
    if isinstance(node, ast.Name):
        return env[node.name]
    if isinstance(node, ast.Quantity):
        scale = {"thousand": 1e3, None: 1.0}[node.scale]
        unit = node.unit or "dimensionless"
        return Q(np.float64(node.number * scale), "percent" if unit == "%" else unit)
    if isinstance(node, ast.Unary):
        return -reference(node.operand, env)
    if isinstance(node, ast.Call):
        args = [reference(a, env) for a in node.args]
        if node.func == "abs":
            return abs(args[0])
        a, b = args
        if a.dimensionality != b.dimensionality:
            raise Reject
        b = b.to(a.units)
        return Q((min if node.func == "min" else max)(a.magnitude, b.magnitude), a.units)
    if isinstance(node, ast.Sum):
        value = reference(node.first, env)
        for op, operand in node.rest:
            value = _apply(op, value, reference(operand, env))
        return value
    return _apply(node.op, reference(node.left, env), reference(node.right, env))


def _apply(op, left, right):
    try:
        with np.errstate(all="ignore"):
            if op == "+":
                return left + right
            if op == "-":
                return left - right
            if op == "*":
                return left * right
            if op == "/":
                return left / right
            exponent = right.to("dimensionless").magnitude
            if left.dimensionless:
                return Q(left.to("dimensionless").magnitude ** exponent, "dimensionless")
            return left ** int(exponent)
    except pint.DimensionalityError:
        raise Reject from None


@settings(max_examples=300)
@given(EXPRESSIONS, VALUES)
def test_checker_agrees_with_pint_and_evaluator_with_reference(expression, values):
    text = model_text(expression, values)
    env = {name: Q(np.float64(values[name]), "percent" if unit == "%" else unit if unit != "1" else "dimensionless")
           for name, unit in INPUTS.items()}
    try:
        expected = reference(expression, env)
    except Reject:
        expected = None
    try:
        results = engine.loads(text, "property.ush").run()
    except ModelError as err:
        kinds = {d.kind for d in err.diagnostics}
        if kinds == {"runtime"}:
            assert expected is not None and not np.isfinite(expected.magnitude)
            return
        assert expected is None, f"checker rejected a dimensionally valid expression: {err}\n{text}"
        assert kinds <= {"unit-mismatch", "bad-exponent"}, kinds
        return
    assert expected is not None, f"checker accepted what pint rejects:\n{text}"
    unit = results.unit("result")
    ours = Q(1.0, unit)
    assert ours.dimensionality == expected.dimensionality
    value = results.value("result")
    want = expected.to(unit).magnitude
    assert math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-300), (value, want, text)


@settings(max_examples=300)
@given(EXPRESSIONS)
def test_format_then_parse_is_identity_on_expressions(expression):
    text = f"x = {format_expr(expression)}\n"
    parsed = parse(text, "roundtrip.ush").statements[0].value
    assert parsed == expression


@pytest.mark.parametrize("path", ["models/openai_capex.ush"])
def test_format_round_trip_on_real_models(path, root):
    module = parse((root / path).read_text(), path)
    formatted = format_module(module)
    again = parse(formatted, path)
    assert again == module
    assert format_module(again) == formatted, "formatting is idempotent"
    assert [c[1] for c in again.comments] == [c[1] for c in module.comments], "comments survive"


RECURRENCE_TEMPLATES = ["{y}[t-1] * {k} + cash", "{y}[t-1] * {k} - cash", "cash - {y}[t-1] * {k}",
                        "{y}[t-1] * {k} + cash - small * cost * 1 year / 1 year", "{k} * {y}[t-1] + cash + cash * {k}",
                        "{y}[t-1] + cash", "max({y}[t-1] * {k}, cash)"]


def _scaled_literals(node, factor):
    """The same expression shape with every literal number times `factor`."""
    import dataclasses

    if isinstance(node, ast.Quantity):
        return dataclasses.replace(node, number=node.number * factor)
    if isinstance(node, tuple):
        return tuple(_scaled_literals(v, factor) for v in node)
    if dataclasses.is_dataclass(node):
        changes = {}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, tuple):
                changes[f.name] = tuple(_scaled_literals(v, factor) for v in value)
            elif dataclasses.is_dataclass(value):
                changes[f.name] = _scaled_literals(value, factor)
        return dataclasses.replace(node, **changes)
    return node


GROUP_TIMELINES = {"yearly": ("2025..2029", "2025", "2026"), "quarterly": ("2025Q1..2026Q1", "2025Q1", "2025Q2"),
                   "monthly": ("2025-01..2025-05", "2025-01", "2025-02")}


@settings(max_examples=60, deadline=None)
@given(EXPRESSIONS, st.lists(st.tuples(st.sampled_from(RECURRENCE_TEMPLATES), st.integers(1, 9)), min_size=2, max_size=8),
       st.integers(2, 5), st.sampled_from(sorted(GROUP_TIMELINES)))
def test_grouped_evaluation_is_bit_for_bit_row_by_row(expression, recurrences, copies, frequency):
    """Rows of one shape (an expression repeated with other constants; recurrences of several
    forms) are evaluated as groups and a level's recurrences as one loop: every value equals
    the one-row-at-a-time evaluation exactly, deterministic and on a samples axis."""
    from unitsheet.engine import evaluate as evaluate
    from unitsheet.engine.model import input_values

    span, first, second = GROUP_TIMELINES[frequency]
    lines = ['model "groups"', f"timeline {span} {frequency}"]
    for name, unit in INPUTS.items():
        lines.append(f"input {name} = {len(name) * 1.3!r} {unit if unit != '1' else ''}".rstrip())
    for j, (template, k) in enumerate(recurrences):
        lines.append(f"y{j}[{first}] = {j + 1} USD")
        lines.append(f"y{j}[{second}..] = " + template.format(y=f"y{j}", k=k / 10))
        lines.append("    rollup last")  # on months and quarters a level or an amount is stated
    rows = [f"x{i} = {format_expr(_scaled_literals(expression, i + 1))}" for i in range(copies)]
    try:
        checked = engine.loads("\n".join(lines + rows) + "\n", "groups.ush").checked()
    except ModelError:  # the random expression has no valid unit: the recurrences alone
        checked = engine.loads("\n".join(lines) + "\n", "groups.ush").checked()
    inputs = input_values(checked, {})
    samples = {k: np.broadcast_to(v, (3,) + v.shape) for k, v in inputs.items()}
    results = []
    for grouped in (True, False):
        evaluate.BATCHING = grouped
        try:
            evaluator = evaluate.Evaluator(checked)
            try:
                results.append((evaluator.run(inputs), evaluator.run(samples, prefix=(3,))))
            except ModelError as err:
                results.append(("error", err.diagnostics[0].message))
        finally:
            evaluate.BATCHING = True
    if results[0][0] == "error" or results[1][0] == "error":
        assert results[0] == results[1]
        return
    (one, many), (one_ref, many_ref) = results
    for name in checked.quantities:
        assert np.array_equal(one[name], one_ref[name], equal_nan=True), name
        assert np.array_equal(many[name], many_ref[name], equal_nan=True), name
