"""Actuals and forecast: `actual revenue = revenue_actual until 2026-10`.

This pass runs before the dimensions are written out (engine/dimensions.py) and the checker. It
writes each `actual` statement out as an equation of its quantity over the timeline's first
period to the `until` period, `revenue[first..2026-10] = revenue_actual`, marked `actual`: its
periods win over the quantity's own equations (engine/check/pieces.py), so the formula holds
after them and reads the actuals where it reads earlier periods (`revenue[t-1]`). `until last`
leaves the range open; pieces.py ends it at the last period where every item of the actuals has
a value. Units, periods with no value and cycles are then the checker's ordinary rules.

`forecast(revenue)` is the quantity's formula alone, in every period: a quantity of its own,
named `forecast(revenue)` (no model name has brackets), whose equations are the quantity's with
its own earlier periods read from the forecast, so a variance check reads both.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from . import syntax as ast
from .diagnostics import Diagnostic, Label, ModelError, did_you_mean
from .timeline import parse_label

FORECAST = "forecast"
SET_KEY = "actual_until"  # --set revenue.actual_until=2026-09


def forecast_name(name: str) -> str:
    return f"{FORECAST}({name})"


def expand(module: ast.Module, text: str | None = None) -> ast.Module:
    """The module with each `actual` statement written out as an equation and each
    `forecast(x)` read as the quantity `forecast(x)`; ModelError with every located error."""
    if module.dimensions is not None:  # already written out (the checker runs this again)
        return module
    statements = module.statements
    stated = [s for s in statements if isinstance(s, ast.Actual)]
    if not stated and not reads_forecast(statements):
        return module
    errors: list[Diagnostic] = []
    actuals = _valid(stated, statements, errors)
    wanted = {}  # quantity -> the span of its first forecast() read
    rewritten = [_forecasts(stmt, actuals, wanted, errors) for stmt in statements]
    if errors:
        raise ModelError(errors, {module.file: text} if text is not None else None)
    out = []
    for stmt in rewritten:
        if isinstance(stmt, ast.Actual):
            out.append(_equation(stmt, statements))
        elif isinstance(stmt, ast.Equation) and stmt.name in actuals:
            out.append(_periodic(stmt))
            if stmt.name in wanted:
                out.append(_forecast_copy(stmt))
        elif isinstance(stmt, ast.Scenario):
            out.append(_scenario(stmt, actuals, wanted))
        else:
            out.append(stmt)
    return replace(module, statements=tuple(out))


def has_forecasts(module: ast.Module) -> bool:
    """Whether the written-out module holds forecast(x) quantities (checked from x's own text)."""
    return any(isinstance(s, ast.Equation) and s.name.startswith(FORECAST + "(") for s in module.statements)


def with_until(module: ast.Module, until: dict[str, ast.PeriodLabel | None]) -> ast.Module:
    """The module with these quantities' actuals ending at another period (None: `last`): what
    `--set revenue.actual_until=2026-09` runs."""
    return replace(module, statements=tuple(
        replace(s, until=until[s.name]) if isinstance(s, ast.Actual) and s.name in until else s
        for s in module.statements))


def overridden(model, overrides: dict | None):
    """(the model, the other overrides): `--set revenue.actual_until=2026-09` (or `=last`) ends
    the actuals elsewhere, which changes which equation holds each period, so the model with
    that `actual` statement is checked again (a new engine Model); the other keys are inputs'."""
    if not isinstance(overrides, dict) or not overrides:  # not a dict: the inputs' reading refuses it
        return model, overrides
    keys = {k: v for k, v in overrides.items() if isinstance(k, str) and k.endswith("." + SET_KEY)}
    if not keys:
        return model, overrides
    stated = {s.name: s for s in model.module.statements if isinstance(s, ast.Actual)}
    until = {}
    for key, value in keys.items():
        name = key[:-len(SET_KEY) - 1].strip()
        if name not in stated:
            raise _usage(f"--set {key}: `{name}` has no `actual` statement", "`actual` statements: " + (
                ", ".join(stated) or "none") if stated else "state it: actual NAME = ACTUALS until last")
        text = str(value).strip()
        try:
            until[name] = None if text == "last" else ast.PeriodLabel(*parse_label(text))
        except ValueError as err:
            raise _usage(f"--set {key}={text}: {err}", f"--set {key}=last, or a period: --set {key}="
                         f"{stated[name].until or '2026-09'}") from None
    rest = {k: v for k, v in overrides.items() if k not in keys}
    again = type(model)(model.text, model.file, with_until(model.module, until), data=model.data)
    try:
        again.checked()
    except ModelError as err:  # said at the `actual` statement, whose text still shows the model's period
        said = tuple(f"--set {k}={v}" for k, v in keys.items())
        err.diagnostics = [replace(d, notes=d.notes + (f"the actuals end as {', '.join(said)} says",))
                           for d in err.diagnostics]
        raise
    return again, rest


def _usage(message: str, hint: str) -> ModelError:
    return ModelError([Diagnostic("usage", message, None, hint=hint)])


def _valid(stated, statements, errors) -> dict[str, ast.Actual]:
    """The `actual` statements that name a formula, once each, read something other than itself."""
    formulas = {s.name for s in statements if isinstance(s, ast.Equation)}
    inputs = {s.name: s for s in statements if isinstance(s, ast.Input)}
    found: dict[str, ast.Actual] = {}
    for stmt in stated:
        head = stmt.name_span
        if stmt.name in found:
            errors.append(Diagnostic("duplicate-definition", f"`{stmt.name}` takes actuals twice", head,
                                     (Label(head, "again here"), Label(found[stmt.name].name_span, "first here")),
                                     hint="keep one `actual` statement per quantity"))
        elif stmt.actuals.name == stmt.name:
            errors.append(Diagnostic("circular", f"`{stmt.name}` cannot be its own actuals", stmt.actuals.span,
                                     (Label(stmt.actuals.span, "the quantity itself"),),
                                     hint=f"name the input that holds the actuals: actual {stmt.name} = "
                                          f"{stmt.name}_actual until {stmt.until or 'last'}"))
        elif stmt.name in inputs:
            errors.append(Diagnostic("bad-actual", f"`{stmt.name}` is an input: actuals replace a formula's "
                                     "periods", head, (Label(head), Label(inputs[stmt.name].name_span, "the input")),
                                     hint="an input's value is already what you type in: give the actual "
                                          "periods in its table"))
        elif stmt.name not in formulas:
            errors.append(Diagnostic("unknown-name", f"`{stmt.name}` is not a formula of the model", head,
                                     (Label(head),), hint=did_you_mean(stmt.name, sorted(formulas))
                                     or "actuals replace the first periods of a formula: define it first"))
        else:
            found[stmt.name] = stmt
    return found


def _equation(stmt: ast.Actual, statements) -> ast.Equation:
    """revenue[first..until] = revenue_actual, marked as the actuals (an open range for `last`)."""
    from .dimension_statements import _first_period

    timeline = next((s for s in statements if isinstance(s, ast.Timeline)), None)
    first = _first_period(timeline) if timeline is not None else ast.PeriodLabel(1900)
    index = ast.PeriodRange(first, stmt.until, stmt.until_span)
    return ast.Equation(stmt.name, index, None, stmt.actuals, ast.Clauses(), stmt.span, stmt.name_span,
                        actual=stmt)


def _periodic(eq: ast.Equation) -> ast.Equation:
    """`revenue = ...` defines every period; beside actuals it defines the periods they leave."""
    return replace(eq, index=ast.Current(eq.name_span)) if eq.index is None else eq


def _forecast_copy(eq: ast.Equation) -> ast.Equation:
    """The equation as the quantity `forecast(name)`: its own earlier periods read from it."""
    name, own = forecast_name(eq.name), eq.name

    def rename(node):
        if isinstance(node, (ast.Name, ast.Indexed)) and node.name == own:
            return replace(node, name=name)
        return node

    return _map(replace(_periodic(eq), name=name), rename, skip_root=True)


def _scenario(block: ast.Scenario, actuals, wanted) -> ast.Scenario:
    """A scenario's formulas for a quantity with actuals keep the actuals (pieces.py) and their
    forecast follows them."""
    out = []
    for eq in block.equations:
        if eq.name in actuals:
            out.append(_periodic(eq))
            if eq.name in wanted:
                out.append(_forecast_copy(eq))
        else:
            out.append(eq)
    return replace(block, equations=tuple(out))


def _forecasts(stmt, actuals, wanted, errors):
    """`forecast(x)` read as the quantity `forecast(x)`, for a quantity with actuals."""

    def read(node):
        if not (isinstance(node, ast.Call) and node.func == FORECAST):
            return node
        arg = node.args[0] if len(node.args) == 1 else None
        if not isinstance(arg, ast.Name) or node.over:
            errors.append(Diagnostic("bad-call", "forecast() takes one quantity's name", node.span,
                                     (Label(node.span),), hint="e.g. forecast(revenue)"))
            return node
        if arg.name not in actuals:
            errors.append(Diagnostic("bad-actual", f"`{arg.name}` takes no actuals: its forecast is itself",
                                     arg.span, (Label(arg.span),),
                                     hint=f"state its actuals: actual {arg.name} = {arg.name}_actual until last"))
            return node
        wanted.setdefault(arg.name, node.span)
        return ast.Name(forecast_name(arg.name), node.span)

    return _map(stmt, read) if not isinstance(stmt, (ast.Actual, ast.Input)) else stmt


def reads_forecast(statements) -> bool:
    """Whether any of the statements calls forecast()."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and node.func == FORECAST:
            return True
        stack.extend(ast.children(node))
    return False


def _map(node, fn, skip_root: bool = False):
    """The syntax tree with fn applied to every node, top down (fn's result is not walked again)."""
    if not skip_root:
        new = fn(node)
        if new is not node:
            return new
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        mapped = _map_value(value, fn)
        if mapped is not value:
            changes[f.name] = mapped
    return replace(node, **changes) if changes else node


def _map_value(value, fn):
    if isinstance(value, tuple):
        mapped = tuple(_map_value(v, fn) for v in value)
        return mapped if any(a is not b for a, b in zip(mapped, value)) else value
    if is_dataclass(value) and not isinstance(value, (type, ast.PeriodLabel)) and type(value).__name__ != "Span":
        return _map(value, fn)
    return value
