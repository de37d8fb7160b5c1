"""What the checking passes share, declared in one place. Each pass (listed in order in
engine/check/__init__.py) reads the fields the earlier ones filled and fills its own:

  header       title, units, timeline
  definitions  inputs, formulas, scenario, overrides, replaced
  inputs       quantities (the inputs), broken
  pieces       pieces (the periods each equation defines), actuals
  plan         dependencies, the plan
  formulas     quantities (the formulas), pending while typing; the plan's loops reordered
  items        -- (errors only)
  periods      counts (the limits of the inputs that count periods); errors
  rollups      -- (errors only)
  checks       checks, charts
  correlations correlations

Errors are never raised at the user from a pass: they go to `report` (Numbat-style data) and the
runner stops between passes when there are any.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, make_dataclass, replace

from .. import ir
from .. import syntax as ast
from ..diagnostics import Reporter


class Abandon(Exception):
    """Stop typing the current equation: its error is reported (or a dependency is broken)."""


class Unknown(Exception):
    """Typing reached a quantity whose unit is not inferred yet (inside a recurrence)."""


ANY_UNIT = object()  # while inferring a recurrence: "whatever this member's unit turns out to be"


def _draft_fields() -> list:
    """ir.Quantity's fields, an input's values (ir.InputValues) in place of `inputs`: declared once,
    in engine/ir.py, so a field added there is a field of the draft too (a test checks it)."""
    out = []
    for f in fields(ir.Quantity) + fields(ir.InputValues):
        if f.name == "inputs":
            continue
        if f.default is not MISSING:
            out.append((f.name, f.type, field(default=f.default)))
        elif f.name in {g.name for g in fields(ir.InputValues)}:
            out.append((f.name, f.type, field(default=None)))  # a formula has no values
        else:
            out.append((f.name, f.type))
    return out


def _freeze(self) -> ir.Quantity:
    """The frozen quantity: its equations a tuple, its arrays read-only, an input's values apart."""
    own = {f.name: getattr(self, f.name) for f in fields(ir.Quantity) if f.name != "inputs"}
    own.update(equations=tuple(self.equations), defined=ir.read_only(self.defined))
    values = None
    if self.kind == "input":
        values = ir.InputValues(**{f.name: getattr(self, f.name) for f in fields(ir.InputValues)})
        values = replace(values, value=ir.read_only(values.value))
    return ir.Quantity(**own, inputs=values)


# A quantity while the passes build it (ir.Quantity is frozen): freeze() at the end.
Draft = make_dataclass("Draft", _draft_fields(), namespace={
    "__doc__": "A quantity while the passes build it (ir.Quantity is frozen): freeze() at the end.",
    "__module__": __name__,
    "series": property(lambda self: self.type.series),
    "unit": property(lambda self: self.type.unit),
    "freeze": _freeze})


class Context:
    """What an expression is being typed for."""

    def __init__(self, owner: str | None, series: bool, reporter: Reporter, wildcard: bool = False):
        self.owner = owner
        self.series = series
        self.report = reporter
        # While inferring a recurrence's unit, a member whose unit is not known yet reads as
        # "any unit": `x + y` then takes y's unit. The result is re-checked in full afterwards.
        self.wildcard = wildcard
        self.unit_name_ok = False
        self.reads_blank = False  # typing the first argument of is_blank() or value_or()


@dataclass
class Scope:
    module: ast.Module
    file: str
    sources: dict[str, str]
    report: Reporter = field(default_factory=Reporter)
    base_model: ir.CheckedModel | None = None  # a scenario's formulas keep the base model's units
    # header
    title: str = ""
    units: object = None
    timeline: ir.Timeline | None = None
    # definitions
    scenario: str = "base"
    scenarios: dict[str, ast.Scenario] = field(default_factory=dict)
    inputs: dict[str, ast.Input] = field(default_factory=dict)
    formulas: dict[str, list[ast.Equation]] = field(default_factory=dict)
    overrides: dict[str, ast.Input] = field(default_factory=dict)  # input -> the base statement a scenario replaces
    replaced: dict[str, list[ast.Equation]] = field(default_factory=dict)  # formula -> base equations dropped
    # typing
    quantities: dict[str, ir.Quantity] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    pieces: dict[str, list] = field(default_factory=dict)  # formula -> [(equation, start, stop)]
    dependencies: dict[str, set[str]] = field(default_factory=dict)
    plan: list = field(default_factory=list)  # of ir.Step
    circular: dict = field(default_factory=dict)  # formula declared `circular` -> the clause's span
    pending: dict[str, ir.Quantity] = field(default_factory=dict)  # the plan step being typed
    unit_of_model: dict[str, ir.Quantity] = field(default_factory=dict)  # replaced formulas keeping the base unit
    input_name: str = "NAME"  # the input whose value is being read, for hints
    counts: dict = field(default_factory=dict)  # input counting periods -> period_counts.Limit (periods.coverage)
    actuals: dict = field(default_factory=dict)  # formula -> (its actuals, their last period) (pieces)
    # checks
    checks: list = field(default_factory=list)
    charts: list = field(default_factory=list)
    correlations: list = field(default_factory=list)  # of ir.Correlation
    lines: list[str] | None = None  # the source, split once for common.text

    @classmethod
    def for_literals(cls, module: ast.Module, units) -> "Scope":
        """A scope that reads one literal (--set): units only."""
        return cls(module, module.file, {}, units=units)

    def fail_if_errors(self) -> None:
        self.report.raise_if_any(self.sources)
