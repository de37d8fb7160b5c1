"""Syntax tree -> checked model: names resolved, shapes and units inferred and verified, period
coverage proven, evaluation order planned. Nothing is evaluated here.

The passes, in order (as sqlglot lists its optimizer rules); each one's module says what it
reads and writes in the Scope (engine/check/scope.py), and the run stops between passes when
one reported errors:
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from .. import actuals, dimensions, ir
from .. import syntax as ast
from . import calls  # noqa: F401  (registers the typing of calls with expressions.HANDLERS)
from . import checks, correlations, definitions, formulas, header, inputs, items, periods, pieces, plan, rollups
from .literals import LiteralError, parse_literal
from .scope import Scope

# (what it does, the pass, stop after it when it reported errors)
PASSES = (
    ("header: title, timeline, units", header.read, True),
    ("definitions and the scenario's overlay", definitions.collect, True),
    ("inputs typed", inputs.type_inputs, False),
    ("periods each formula equation defines", pieces.pieces, False),
    ("dependency graph and evaluation plan", plan.plan, True),
    ("formulas typed in dependency order", formulas.type_formulas, False),
    ("the items of a dimensioned quantity share one shape and unit", items.verify, False),
    ("periods read exist and have values", periods.verify, False),
    ("roll-up rules stated where the unit's rule is meaningless", rollups.verify, False),
    ("checks and charts typed", checks.type_all, False),
    ("correlations of uncertain inputs, valid together", correlations.type_all, True),
)
__doc__ += "\n" + "\n".join(f"  {k}. {what}" for k, (what, _, _) in enumerate(PASSES, 1)) + "\n"

__all__ = ["check", "LiteralError", "parse_literal", "PASSES"]


def check(module: ast.Module, scenario: str = "base", source_text: str | None = None,
          base: ir.CheckedModel | None = None, keep: dict | None = None) -> ir.CheckedModel:
    """The checked model of one scenario. base: the checked base model, whose units a
    scenario's replacement formulas keep (engine/validate.py passes it). keep: a dict that is
    given the final Scope by scenario, for checking the next version again (retype.py)."""
    module = dimensions.expand(actuals.expand(module, source_text), source_text)  # item by item (itself without dimensions)
    s = Scope(module, module.file, {module.file: source_text} if source_text is not None else {},
              base_model=base, scenario=scenario)
    # items, and forecast(x)'s copies of x's equations (engine/actuals.py), are checked from one text
    s.report.once_per_span = bool(module.dimensions) or actuals.has_forecasts(module)
    for _, run, stop in PASSES:
        run(s)
        if stop:
            s.fail_if_errors()
    checked = assemble(s)
    if keep is not None:
        keep[scenario] = s
    return checked


def assemble(s: Scope) -> ir.CheckedModel:
    """The frozen checked model: quantities in source order (for tables and workbooks)."""
    ordered = {}
    for stmt in s.module.statements:
        name = getattr(stmt, "name", None)
        if isinstance(stmt, (ast.Input, ast.Equation)) and name in s.quantities and name not in ordered:
            ordered[name] = s.quantities[name].freeze()
            if name in s.actuals:
                source, until = s.actuals[name]
                ordered[name] = replace(ordered[name], actual=ir.Actuals(source, until, s.timeline.label(until)))
    scenarios = {"base": None, **{k: v.description for k, v in s.scenarios.items()}}
    return ir.CheckedModel(
        title=s.title, file=s.file, timeline=s.timeline, quantities=MappingProxyType(ordered),
        checks=tuple(s.checks), plan=tuple(s.plan), scenario=s.scenario, scenarios=MappingProxyType(scenarios),
        units=s.units, dependencies=MappingProxyType({k: frozenset(v) for k, v in s.dependencies.items()}),
        sources_text=MappingProxyType(dict(s.sources)), charts=tuple(s.charts),
        dimensions=s.module.dimensions or ir.NO_DIMENSIONS, warnings=tuple(s.report.warnings),
        counts=MappingProxyType(dict(s.counts)), correlations=tuple(s.correlations))
