"""Syntax tree -> checked model: names resolved, shapes and units inferred and verified,
period coverage proven, evaluation order planned. Nothing is evaluated here.

The passes, in order (see `check`):
  1. header and timeline, the model's own units
  2. definitions collected (scenario overlay applied), duplicates refused
  3. dependency graph -> cycles refused, evaluation plan (graph.py)
  4. shapes and units inferred in dependency order, every expression typed (-> ir nodes)
  5. period coverage: every reference reads a period that exists and has a value
  6. checks typed
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import builtins, ir
from . import syntax as ast
from .diagnostics import Label, ModelError, Reporter, Span, did_you_mean
from .graph import Edge, plan_evaluation
from .units import SCALES, UnitError, UnitSystem, scaled

RESERVED = {"t"}
# name -> (parameters that carry the input's unit, plain-number parameters), both in order
DISTRIBUTIONS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2}
MAX_NAME_LENGTH = 200
MAX_PERIODS = 10_000
MAX_QUANTITIES = 1_000_000


class _Abandon(Exception):
    """Stop typing the current equation: its error is reported (or a dependency is broken)."""


class _Unknown(Exception):
    """Typing reached a quantity whose unit is not inferred yet (inside a recurrence)."""


class _Context:
    """What an expression is being typed for."""

    def __init__(self, owner: str | None, series: bool, reporter: Reporter, wildcard: bool = False):
        self.owner = owner
        self.series = series
        self.report = reporter
        # While inferring a recurrence's unit, a member whose unit is not known yet reads as
        # "any unit": `x + y` then takes y's unit. The result is re-checked in full afterwards.
        self.wildcard = wildcard
        self.unit_name_ok = False


ANY_UNIT = object()


def check(module: ast.Module, scenario: str = "base", source_text: str | None = None,
          base: ir.CheckedModel | None = None) -> ir.CheckedModel:
    """The checked model of one scenario. base: the checked base model, whose units a
    scenario's replacement formulas keep (engine/validate.py passes it)."""
    checker = _Checker(module, source_text)
    checker.base_model = base
    return checker.run(scenario)


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
    from .parser import parse

    try:
        module = parse(f"input value_ = {text}", "<value>")
    except ModelError as err:
        raise LiteralError("syntax-error", err.diagnostics[0].message) from None
    stmt = module.statements[0] if len(module.statements) == 1 else None
    if not isinstance(stmt, ast.Input) or stmt.clauses.items or isinstance(stmt.value, (ast.Table, ast.Range)):
        raise LiteralError("bad-input", "give one value with its unit")
    helper = _Checker(module, None)
    helper.units = units
    if q.unit is None:
        expect = _Expect(None, True, False, f"`{q.name}` is true/false")
    else:
        expect = _Expect(q.unit, False, q.declared, f"`{q.name}` is in {units.short(q.unit) or 'plain numbers'}")
    try:
        number, _ = helper._literal(stmt.value, expect, "the value")
    except _Abandon:
        found = helper.report.diagnostics[0]
        raise LiteralError(found.kind, found.message, found.hint) from None
    return number


class _Checker:
    def __init__(self, module: ast.Module, source_text: str | None):
        self.module = module
        self.file = module.file
        self.sources = {module.file: source_text} if source_text is not None else {}
        self.report = Reporter()
        self.scenario = "base"
        self._input_name = "NAME"  # the input whose value is being read, for hints
        self.overrides: dict[str, ast.Input] = {}  # input -> the base statement a scenario replaces
        self.replaced: dict[str, list[ast.Equation]] = {}  # formula -> the base equations a scenario drops
        self.base_model: ir.CheckedModel | None = None
        self.unit_of_model: dict[str, ir.Quantity] = {}  # replaced formulas that keep the base model's unit

    def fail_if_errors(self):
        self.report.raise_if_any(self.sources)

    # ================================================================== pass 1: header
    def run(self, scenario: str) -> ir.CheckedModel:
        statements = self.module.statements
        title = self._title(statements)
        timeline_stmt = self._timeline_stmt(statements)
        self.units = self._unit_system(statements)
        self.fail_if_errors()
        self.timeline = self._timeline(timeline_stmt)
        self.fail_if_errors()

        # ============================================================== pass 2: definitions
        scenarios = self._scenarios(statements)
        inputs, formulas = self._definitions(statements)
        self._names_differing_in_case(inputs, formulas)
        self._unique_checks(statements)
        self.scenario = scenario
        if scenario != "base":
            if scenario not in scenarios:
                self.report.error("unknown-scenario", f"no scenario named `{scenario}`", None,
                                  hint=did_you_mean(scenario, scenarios) or
                                  "scenarios: " + ", ".join(scenarios))
                self.fail_if_errors()
            self._apply_scenario(scenarios[scenario], inputs, formulas)
        self.fail_if_errors()
        self.inputs, self.formulas = inputs, formulas
        self.quantities: dict[str, ir.Quantity] = {}
        self.broken: set[str] = set()
        for stmt in inputs.values():
            self._input(stmt)
        self._coverage_of_formulas()

        # ============================================================== pass 3: graph
        edges = {name: self._edges(name) for name in formulas}
        self.dependencies = {name: {e.target for e in es} for name, es in edges.items()}
        plan = plan_evaluation(edges, formulas, self.report, self._definition_span)
        self.fail_if_errors()

        # ============================================================== pass 4: shapes and units
        for step in plan:
            self._type_step(step)

        # ============================================================== pass 5: coverage
        for name in formulas:
            q = self.quantities.get(name)
            if q is not None and name not in self.broken:
                for eq in q.equations:
                    self._coverage(eq.expr, eq.start, eq.stop, name)
        # ============================================================== pass 6: checks
        checks = [c for c in (self._check(stmt) for stmt in statements if isinstance(stmt, ast.Check)) if c]
        charts = [c for c in (self._chart(stmt) for stmt in statements if isinstance(stmt, ast.Chart)) if c]
        self.fail_if_errors()
        ordered = {}
        for stmt in statements:  # source order, for tables and workbooks
            name = getattr(stmt, "name", None)
            if isinstance(stmt, (ast.Input, ast.Equation)) and name in self.quantities and name not in ordered:
                ordered[name] = self.quantities[name]
        return ir.CheckedModel(
            title=title, file=self.file, timeline=self.timeline, quantities=ordered, checks=checks, plan=plan,
            scenario=scenario, scenarios={"base": None, **{k: v.description for k, v in scenarios.items()}},
            units=self.units, dependencies=self.dependencies, sources_text=self.sources, charts=charts)

    def _title(self, statements) -> str:
        headers = [s for s in statements if isinstance(s, ast.ModelHeader)]
        for extra in headers[1:]:
            self.report.error("duplicate-definition", "the model has two `model` headers", extra.span,
                              Label(extra.span), Label(headers[0].span, "first one here"))
        return headers[0].title if headers else self.file

    def _timeline_stmt(self, statements):
        timelines = [s for s in statements if isinstance(s, ast.Timeline)]
        if not timelines:
            self.report.error("missing-timeline", "the model has no timeline", None,
                              hint="add a line such as: timeline 2025..2033 yearly")
            return None
        for extra in timelines[1:]:
            self.report.error("duplicate-definition", "the model has two timelines", extra.span,
                              Label(extra.span), Label(timelines[0].span, "first one here"))
        return timelines[0]

    def _timeline(self, stmt: ast.Timeline) -> ir.Timeline:
        if stmt.frequency != "yearly":
            self.report.error("unsupported", f"`{stmt.frequency}` timelines are not supported yet", stmt.span,
                              Label(stmt.span), hint="use yearly periods; quarterly and monthly are planned")
        if stmt.end < stmt.start:
            self.report.error("bad-period", f"the timeline ends ({stmt.end}) before it starts ({stmt.start})",
                              stmt.span, Label(stmt.span))
        elif stmt.end - stmt.start + 1 > MAX_PERIODS:
            self.report.error("limit", f"the timeline has more than {MAX_PERIODS} periods", stmt.span,
                              Label(stmt.span))
        self.fail_if_errors()
        periods = tuple(range(stmt.start, stmt.end + 1))
        return ir.Timeline(stmt.start, stmt.end, stmt.frequency, periods, self.units.parse("year"))

    def _unit_system(self, statements) -> UnitSystem:
        base = UnitSystem()
        definitions = []
        for stmt in statements:
            if not isinstance(stmt, ast.UnitDef):
                continue
            if base.is_unit_name(stmt.name) or stmt.name in SCALES or any(
                    d.startswith(stmt.name + " = ") for d in definitions):
                self.report.error("duplicate-definition", f"`{stmt.name}` is already a unit", stmt.span,
                                  Label(stmt.span), hint="choose another name")
                continue
            if stmt.definition is None:
                definitions.append(f"{stmt.name} = [{stmt.name}]")
                continue
            q = stmt.definition
            value = scaled(q.number, q.scale)
            if not (np.isfinite(value) and value > 0):
                self.report.error("bad-unit", "a unit is a positive multiple of another unit", q.span,
                                  Label(q.span), hint=f"e.g. unit {stmt.name} = 1000 token")
                continue
            try:
                unit = UnitSystem(tuple(definitions)).parse(q.unit) if q.unit else None
            except UnitError as err:
                self.report.error("unknown-unit", str(err), q.span, Label(q.span), hint=err.hint)
                continue
            candidate = f"{stmt.name} = {value!r}" + (f" * {unit}" if unit is not None else "")
            try:
                UnitSystem(tuple(definitions + [candidate]))
            except Exception as err:  # pint refuses the definition: say so, at the statement
                self.report.error("bad-unit", f"cannot define unit `{stmt.name}` ({type(err).__name__})", stmt.span,
                                  Label(stmt.span))
                continue
            definitions.append(candidate)
        return UnitSystem(tuple(definitions)) if definitions else base

    # ================================================================== pass 2
    def _scenarios(self, statements) -> dict[str, ast.Scenario]:
        found: dict[str, ast.Scenario] = {}
        folded: dict[str, ast.Scenario] = {}  # spreadsheets match scenario names ignoring case
        for stmt in statements:
            if isinstance(stmt, ast.Scenario):
                head = _head_span(stmt.span, f"scenario {stmt.name}")
                if stmt.name in found or stmt.name == "base":
                    self.report.error("duplicate-definition", f"scenario `{stmt.name}` is defined twice"
                                      if stmt.name != "base" else "`base` is the model itself; it needs no block",
                                      head, Label(head))
                    continue
                other = folded.get(stmt.name.lower()) or (None if stmt.name.lower() != "base" else "base")
                if other is not None:
                    first = other if isinstance(other, str) else other.name
                    self.report.error("duplicate-definition", f"scenarios `{stmt.name}` and `{first}` differ only "
                                      "in case: a spreadsheet treats them as one name", head, Label(head),
                                      *([Label(_head_span(other.span, f"scenario {first}"), "first here")]
                                        if not isinstance(other, str) else []),
                                      hint="rename one of them")
                    continue
                found[stmt.name] = stmt
                folded[stmt.name.lower()] = stmt
        return found

    def _names_differing_in_case(self, inputs, formulas):
        """Excel's names ignore case: `Revenue` and `revenue` would be one defined name."""
        seen: dict[str, tuple[str, Span]] = {}
        for stmt in self.module.statements:
            if isinstance(stmt, (ast.Input, ast.Equation)) and (stmt.name in inputs or stmt.name in formulas):
                first = seen.setdefault(stmt.name.lower(), (stmt.name, stmt.name_span))
                if first[0] != stmt.name:
                    self.report.error("duplicate-definition", f"`{stmt.name}` and `{first[0]}` differ only in "
                                      "case: a spreadsheet treats them as one name", stmt.name_span,
                                      Label(stmt.name_span), Label(first[1], "first here"), hint="rename one of them")
                    seen[stmt.name.lower()] = (stmt.name, stmt.name_span)

    def _unique_checks(self, statements):
        seen: dict[str, ast.Check] = {}
        for stmt in statements:
            if isinstance(stmt, ast.Check):
                if stmt.name in seen:
                    head = _head_span(stmt.span, "check")
                    self.report.error("duplicate-definition", f"two checks are named \"{stmt.name}\"", head,
                                      Label(head, "again here"), Label(_head_span(seen[stmt.name].span, "check"),
                                                                     "first here"),
                                      hint="give each check its own name: reports and the workbook list them by name")
                else:
                    seen[stmt.name] = stmt

    def _definitions(self, statements):
        inputs: dict[str, ast.Input] = {}
        formulas: dict[str, list[ast.Equation]] = {}
        if len(statements) > MAX_QUANTITIES:
            self.report.error("limit", f"the model has more than {MAX_QUANTITIES:,} statements", None,
                              hint="split it into several models")
            return inputs, formulas
        for stmt in statements:
            if isinstance(stmt, ast.Input):
                if not self._name_ok(stmt.name, stmt.name_span):
                    continue
                first = inputs.get(stmt.name) or (formulas.get(stmt.name) or [None])[0]
                if first is not None:
                    self._duplicate(stmt.name, stmt.name_span, first.name_span)
                    continue
                inputs[stmt.name] = stmt
            elif isinstance(stmt, ast.Equation):
                if not self._name_ok(stmt.name, stmt.name_span):
                    continue
                if stmt.name in inputs:
                    self._duplicate(stmt.name, stmt.name_span, inputs[stmt.name].name_span)
                    continue
                formulas.setdefault(stmt.name, []).append(stmt)
        return inputs, formulas

    def _name_ok(self, name: str, span: Span) -> bool:
        if name in RESERVED:
            self.report.error("bad-name", f"`{name}` is reserved for the current period", span, Label(span),
                              hint="choose another name")
            return False
        if len(name) > MAX_NAME_LENGTH:
            self.report.error("limit", f"a name is longer than {MAX_NAME_LENGTH} characters", span, Label(span))
            return False
        return True

    def _duplicate(self, name: str, span: Span, first: Span):
        self.report.error("duplicate-definition", f"`{name}` is defined twice", span,
                          Label(span, "defined again here"), Label(first, "first defined here"),
                          hint="rename one of them, or use a scenario to replace a value")

    def _apply_scenario(self, scenario: ast.Scenario, inputs, formulas):
        """The scenario's statements replace the model's. An input's new value keeps the input's
        unit (self.overrides: the base statement it replaces); a formula's equations replace all
        of that formula's equations (self.replaced: the base equations they drop)."""
        replaced: dict[str, list[ast.Equation]] = {}
        for eq in scenario.equations:
            if eq.name in inputs:
                base = inputs[eq.name]
                if eq.index is not None:
                    self.report.error("bad-scenario", f"`{eq.name}` is an input: a scenario replaces its whole value",
                                      eq.span, Label(eq.span), hint=f"write {eq.name} = VALUE")
                    continue
                kinds = {type(c) for c in eq.clauses.items}
                inherited = tuple(c for c in base.clauses.items if type(c) not in kinds and not isinstance(c, ast.Base))
                inputs[eq.name] = ast.Input(eq.name, eq.unit, eq.value, ast.Clauses(eq.clauses.items + inherited),
                                            eq.span, eq.name_span)
                self.overrides[eq.name] = base
            elif eq.name in formulas:
                replaced.setdefault(eq.name, []).append(eq)
            else:
                self.report.error("unknown-name", f"`{eq.name}` is not defined in the model, so this scenario "
                                  "cannot set it", eq.name_span, Label(eq.name_span),
                                  hint=did_you_mean(eq.name, list(inputs) + list(formulas)))
        for name, equations in replaced.items():
            self.replaced[name] = formulas[name]
            formulas[name] = equations

    # ================================================================== inputs
    def _expectation(self, stmt: ast.Input) -> "_Expect | None":
        """What unit an input's value must have, and whether bare numbers may stand for it."""
        declared = self._unit(stmt.unit) if stmt.unit else None
        base = self.overrides.get(stmt.name)
        if base is None:
            if declared is None:
                return None
            return _Expect(declared, False, True, f"`{stmt.name}` is declared in {self._u(declared)}")
        # A scenario's value for an input: checked against the input as its base value is.
        if base.unit is not None:
            base_unit = self._unit(base.unit)
            if base_unit is None:
                raise _Abandon
            if declared is not None and not self.units.same_dimension(declared, base_unit):
                self.report.error("unit-mismatch", f"`{stmt.name}` is declared here in "
                                  f"{self._u(declared)}, but the input is in {self._u(base_unit)}", stmt.unit.span,
                                  Label(stmt.unit.span, self._u(declared)), Label(base.unit.span, "declared here"))
                raise _Abandon
            return _Expect(base_unit, False, True, f"`{stmt.name}` is declared in {self._u(base_unit)}",
                           bare_unit=declared)
        probe = _Checker(ast.Module(self.file, ()), None)
        probe.units, probe.timeline, probe.scenario = self.units, self.timeline, "base"
        base_q = probe._typed_input(base, None)
        if base_q is None:  # the base value is broken: checking the base model reports it
            raise _Abandon
        why = f"the base value of `{stmt.name}` is " + ("true/false" if base_q.unit is None
                                                         else f"in {self._u(base_q.unit)}")
        return _Expect(base_q.unit, base_q.unit is None, False, why, bare_unit=declared)

    def _input(self, stmt: ast.Input):
        try:
            expect = self._expectation(stmt)
        except _Abandon:
            self.broken.add(stmt.name)
            return
        q = self._typed_input(stmt, expect)
        if q is None:
            self.broken.add(stmt.name)
            return
        self.quantities[stmt.name] = q

    def _typed_input(self, stmt: ast.Input, expect: "_Expect | None") -> ir.Quantity | None:
        value = stmt.value
        self._input_name = stmt.name
        sources = tuple(ir.SourceRef(s.file, s.date, s.quote) for s in stmt.clauses.sources)
        unit = expect.unit if expect is not None else None
        q = ir.Quantity(stmt.name, "input", ir.Type(unit, False), "", [], stmt.span, stmt.clauses.note, sources)
        try:
            self._single_clauses(stmt.clauses)
            if isinstance(value, ast.Table):
                self._input_table(q, value, expect)
            elif isinstance(value, ast.Range):
                self._input_range(q, value, expect, stmt.clauses.base)
            elif isinstance(value, ast.Call) and value.func in DISTRIBUTIONS:
                self._input_distribution(q, value, expect, stmt.clauses.base)
            else:
                number, unit = self._literal(value, expect)
                q.type = ir.Type(unit, False)
                q.value = np.array([number])
                if stmt.clauses.base is not None:
                    self.report.error("bad-input", "`base` goes with a range (low .. high)",
                                      stmt.clauses.base.span, Label(stmt.clauses.base.span))
        except _Abandon:
            return None
        q.declared = expect is not None and expect.bare_ok
        base = self.overrides.get(stmt.name)
        unit_stmt = base.unit if base is not None and base.unit is not None else stmt.unit
        if unit_stmt is not None and q.unit is not None and expect is not None and expect.bare_ok:
            q.unit_text = unit_stmt.text
        self._display(q, stmt.clauses.display)
        return q

    def _single_clauses(self, clauses: ast.Clauses):
        """`note`, `display` and `base` may each be given once (a second one would silently win)."""
        seen: dict[type, object] = {}
        for c in clauses.items:
            if isinstance(c, ast.Source):
                continue
            if type(c) in seen:
                word = {ast.Note: "note", ast.Display: "display", ast.Base: "base"}[type(c)]
                self.report.error("duplicate-definition", f"`{word}` is given twice", c.span,
                                  Label(c.span, "again here"), Label(seen[type(c)].span, "first here"),
                                  hint=f"keep one `{word}` clause")
                raise _Abandon
            seen[type(c)] = c

    def _literal(self, node, expect: "_Expect | None", what: str = "this value") -> tuple[float, object]:
        """A constant: a quantity literal, optionally negated, or true/false, checked against what
        is expected of it. Returns (value, unit) with the value in the expected unit.
        A bare number stands for the expected unit only where that unit is declared (`: USD`)
        or is a plain number: anywhere else its meaning would be a guess, so it is refused."""
        sign = 1.0
        literal = node
        while isinstance(node, ast.Unary):
            sign = -sign if node.op == "-" else sign
            node = node.operand
        if isinstance(node, ast.Boolean):
            if expect is not None and not expect.boolean:
                self.report.error("type", f"{what} is true/false, but {expect.why}", literal.span,
                                  Label(literal.span, "true/false"), hint="booleans and numbers do not mix")
                raise _Abandon
            return (1.0 if node.value else 0.0), None
        if not isinstance(node, ast.Quantity):
            span = getattr(node, "span", None)
            if self._input_name in self.overrides:
                hint = (f"a scenario gives an input another value; to compute `{self._input_name}`, make it a "
                        f"formula in the model and replace that formula in the scenario")
            else:
                hint = "compute it in a formula instead: drop the `input` keyword"
            self.report.error("bad-input", "an input's value must be a number with a unit, a table or a range",
                              span, Label(span) if span else Label(Span(self.file, 1, 1, 1, 1)), hint=hint)
            raise _Abandon
        if expect is not None and expect.boolean:
            self.report.error("type", f"{what} is a number, but {expect.why}", literal.span, Label(literal.span),
                              hint="write true or false")
            raise _Abandon
        number = sign * self._magnitude(node, self.report)
        want = expect.unit if expect is not None else None
        if node.unit is None:
            if expect is None:
                return number, self.units.dimensionless
            if expect.bare_ok:
                bare = expect.bare_unit if expect.bare_unit is not None else want
                return self._in_unit(number, bare, want, literal), want
            if want == self.units.dimensionless:
                return number, want
            written = " ".join([_number_text(node.number)] + ([node.scale] if node.scale else []))
            self.report.error("missing-unit", f"`{written}` has no unit, but {expect.why}", literal.span,
                              Label(literal.span, "no unit"),
                              hint=f"write {written} {self._u(want)}, or declare the input's unit "
                                   f"(`input {self._input_name}: {self._u(want)} = ...`) and bare numbers are "
                                   "read in it")
            raise _Abandon
        unit = self._literal_unit(node)
        if want is None:
            return number, unit
        if not self.units.same_dimension(unit, want):
            self.report.error("unit-mismatch", f"{what} is in {self._dim(unit)}, but {expect.why}",
                              literal.span, Label(literal.span, self._u(unit)),
                              hint=self._rate_hint(unit, want))
            raise _Abandon
        return self._in_unit(number, unit, want, literal), want

    def _in_unit(self, number: float, unit, want, node) -> float:
        """number (in unit) expressed in want; a conversion that overflows or underflows is an error."""
        if unit is None or self.units.equal(unit, want):
            return number
        value = number * self.units.factor(unit, want)
        if not np.isfinite(value) or (value == 0.0 and number != 0.0):
            self.report.error("limit", f"in {self._u(want)} this value is too {'large' if value else 'small'} "
                              "to represent", node.span, Label(node.span),
                              hint="use a unit closer to the value's size")
            raise _Abandon
        return value

    def _literal_unit(self, node: ast.Quantity, report: Reporter | None = None):
        report = report or self.report
        try:
            return self.units.parse(node.unit)
        except UnitError as err:
            span = node.span
            if span.line == span.end_line:
                span = Span(span.file, span.end_line, span.end_col - len(node.unit), span.end_line, span.end_col)
            report.error("unknown-unit", str(err), span, Label(span), hint=err.hint)
            raise _Abandon from None

    def _input_table(self, q: ir.Quantity, table: ast.Table, expect: "_Expect | None"):
        n = len(self.timeline)
        values = np.full(n, np.nan)
        seen: dict[int, Span] = {}
        unit = expect.unit if expect is not None else None
        for k, (period, expr) in enumerate(table.entries):
            first, last = self._period_span(period)
            number, entry_unit = self._literal(expr, expect if k == 0 or expect is not None else
                                               self._like_first(unit, "the table's first entry"))
            if k == 0:
                unit = entry_unit
            for i in range(first, last + 1):
                if i in seen:
                    self.report.error("duplicate-definition", f"{self.timeline.periods[i]} appears twice in the "
                                      "table", period.span, Label(period.span), Label(seen[i], "first here"))
                    raise _Abandon
                seen[i] = period.span
                values[i] = number
        if not table.entries and expect is None:
            unit = self.units.dimensionless
        q.type = ir.Type(unit, True)
        q.value = values
        q.defined = ~np.isnan(values)

    def _like_first(self, unit, what: str) -> "_Expect":
        """What the later parts of a table, range or distribution must be: in the first one's unit."""
        if unit is None:
            return _Expect(None, True, False, f"{what} is true/false")
        return _Expect(unit, False, False, f"{what} is in {self._u(unit) or 'plain numbers'}")

    def _period_span(self, period, report: Reporter | None = None) -> tuple[int, int]:
        """Timeline indices (inclusive) of a table key, an equation's selector or a range reference."""
        report = report or self.report
        if isinstance(period, ast.Fixed):
            i = self._period_index(period.period, period.span, report)
            return i, i
        start = self._period_index(period.start, period.span, report)
        stop = len(self.timeline) - 1 if period.end is None else self._period_index(period.end, period.span, report)
        if stop < start:
            report.error("bad-period", f"the range {period.start}..{period.end} is empty", period.span,
                              Label(period.span))
            raise _Abandon
        return start, stop

    def _period_index(self, period: int, span: Span, report: Reporter | None = None) -> int:
        tl = self.timeline
        if not tl.start <= period <= tl.end:
            (report or self.report).error("bad-period", f"{period} is outside the timeline {tl.start}..{tl.end}", span,
                              Label(span), hint=f"use a period from {tl.start} to {tl.end}, or extend the timeline")
            raise _Abandon
        return tl.index(period)

    def _input_range(self, q: ir.Quantity, rng: ast.Range, expect: "_Expect | None", base_node):
        low, unit = self._literal(rng.low, expect, "the range's low end")
        self._not_boolean(unit, rng.low, "a range")
        later = expect or self._like_first(unit, "the range's low end")
        high, _ = self._literal(rng.high, later, "the range's high end")
        if high < low:
            self.report.error("bad-input", "the range's low end is above its high end", rng.span, Label(rng.span))
            raise _Abandon
        if base_node is not None:
            base, _ = self._literal(base_node, later, "the base value")
            if not low <= base <= high:
                self.report.error("bad-input", "the base value lies outside the range", base_node.span,
                                  Label(base_node.span), Label(rng.span, "the range"))
                raise _Abandon
        else:
            base = (low + high) / 2
        q.type = ir.Type(unit, False)
        q.value, q.low, q.high = np.array([base]), low, high
        # Monte Carlo: a range is uniform, or triangular around its stated base value.
        q.distribution = ("uniform", low, high) if base_node is None else ("triangular", low, base, high)

    def _not_boolean(self, unit, node, what: str):
        if unit is None:
            self.report.error("type", f"{what} is over numbers, not true/false", node.span, Label(node.span))
            raise _Abandon

    def _input_distribution(self, q: ir.Quantity, call: ast.Call, expect: "_Expect | None", base_node):
        """uniform(lo, hi), triangular(lo, mode, hi), normal(mean, sd[, lo, hi]),
        lognormal(median, sigma[, lo, hi]); sigma is the spread of ln(x), a plain number."""
        f, args = call.func, call.args
        bounded = f in ("normal", "lognormal")
        want = DISTRIBUTIONS[f]
        if not (len(args) == want or (bounded and len(args) == want + 2)):
            forms = {"uniform": "uniform(low, high)", "triangular": "triangular(low, mode, high)",
                     "normal": "normal(mean, sd) or normal(mean, sd, low, high)",
                     "lognormal": "lognormal(median, sigma) or lognormal(median, sigma, low, high)"}
            self.report.error("arity", f"{f}() takes {forms[f]}", call.span, Label(call.span))
            raise _Abandon
        unit = expect.unit if expect is not None else None
        values = []
        sigma = _Expect(self.units.dimensionless, False, False, "lognormal's sigma is the spread of ln(x), a plain number")
        for k, arg in enumerate(args):
            if f == "lognormal" and k == 1:
                values.append(self._literal(arg, sigma, "sigma")[0])
                continue
            number, u = self._literal(arg, expect if k == 0 or expect is not None else
                                      self._like_first(unit, f"the first parameter of {f}()"))
            if k == 0:
                unit = u
                self._not_boolean(unit, arg, f"{f}()")
            values.append(number)
        lo_hi = values[want:] if len(values) > want else [None, None]
        if f == "uniform":
            lo, hi = values
            base, dist = (lo + hi) / 2, ("uniform", lo, hi)
        elif f == "triangular":
            lo, mode, hi = values
            base, dist = mode, ("triangular", lo, mode, hi)
        elif f == "normal":
            mean, sd = values[:2]
            base, dist = mean, ("normal", mean, sd, *lo_hi)
            lo, hi = mean - 4 * sd, mean + 4 * sd
        else:
            median, sigma = values[:2]
            if median <= 0:
                self.report.error("bad-input", "a lognormal's median must be positive", args[0].span,
                                  Label(args[0].span))
                raise _Abandon
            base, dist = median, ("lognormal", median, sigma, *lo_hi)
            with np.errstate(over="ignore", under="ignore"):  # a huge sigma: bounds at 0 and inf, no warning
                lo, hi = median * np.exp(-4 * sigma), median * np.exp(4 * sigma)
        if lo_hi[0] is not None:
            lo, hi = max(lo, lo_hi[0]), min(hi, lo_hi[1])
        spread = values[1] if f in ("normal", "lognormal") else 0.0
        if hi < lo or spread < 0 or (f == "triangular" and not values[0] <= values[1] <= values[2]):
            self.report.error("bad-input", f"these {f}() parameters describe no values", call.span,
                              Label(call.span), hint="low <= mode <= high; spreads are not negative")
            raise _Abandon
        if base_node is not None:
            base, _ = self._literal(base_node, expect or self._like_first(unit, f"the first parameter of {f}()"),
                                    "the base value")
        if not lo <= base <= hi:
            self.report.error("bad-input", "the base value lies outside the distribution's bounds", call.span,
                              Label(call.span))
            raise _Abandon
        q.type = ir.Type(unit, False)
        q.value, q.low, q.high, q.distribution = np.array([base]), lo, hi, dist

    def _unit(self, text: ast.UnitText):
        try:
            return self.units.parse(text.text)
        except UnitError as err:
            self.report.error("unknown-unit", str(err), text.span, Label(text.span), hint=err.hint)
            return None

    def _display(self, q: ir.Quantity, display: ast.Display | None):
        if q.unit is not None and not q.unit_text:
            q.unit_text = self.units.short(q.unit)
        if display is None or q.unit is None:
            return
        q.display_scale = display.scale
        unit = self._unit(display.unit)
        if unit is None:
            return
        if not self.units.same_dimension(unit, q.unit):
            self.report.error("unit-mismatch", f"display unit {display.unit.text} is not a unit of "
                              f"{self._dim(q.unit)}", display.span, Label(display.unit.span, self._u(unit)))
            return
        q.display_unit = unit
        q.display_factor = self.units.factor(q.unit, unit)

    # ================================================================== formulas: coverage
    def _coverage_of_formulas(self):
        """Which periods each formula equation defines. `x[t]` takes every period the others leave."""
        self.pieces: dict[str, list[tuple[ast.Equation, int | None, int | None]]] = {}
        n = len(self.timeline)
        for name, equations in self.formulas.items():
            owner: dict[int, ast.Equation] = {}
            pieces = []
            general = []
            scalar = []
            for eq in equations:
                if eq.index is None:
                    scalar.append(eq)
                elif isinstance(eq.index, ast.Current):
                    general.append(eq)
                elif isinstance(eq.index, ast.Relative):
                    self.report.error("bad-period", "the left of `=` takes t, a period or a range, not a lag",
                                      eq.index.span, Label(eq.index.span), hint=f"write {name}[t] = ...")
                else:
                    try:
                        start, stop = self._period_span(eq.index)
                    except _Abandon:
                        continue
                    for i in range(start, stop + 1):
                        if i in owner:
                            self._overlap(name, eq, owner[i], i)
                            break
                        owner[i] = eq
                    pieces.append((eq, start, stop))
            for extra in (scalar + general)[1:]:
                first = (scalar + general)[0]
                self._duplicate(name, extra.name_span, first.name_span)
            if scalar and (pieces or general):
                self._duplicate(name, scalar[0].name_span, (pieces[0][0] if pieces else general[0]).name_span)
            if general:
                free = [i for i in range(n) if i not in owner]
                for start, stop in _runs(free):
                    pieces.append((general[0], start, stop))
            if scalar:
                pieces.append((scalar[0], None, None))
            self.pieces[name] = pieces

    def _overlap(self, name, eq, other, i):
        self.report.error("duplicate-definition", f"`{name}` is defined twice for {self.timeline.periods[i]}",
                          eq.index.span, Label(eq.index.span, "defined again here"),
                          Label(other.index.span, "first defined here"),
                          hint="make the periods of the two equations disjoint")

    def _definition_span(self, name: str) -> Span | None:
        if name in self.formulas:
            return self.formulas[name][0].name_span
        if name in self.inputs:
            return self.inputs[name].name_span
        return None

    # ================================================================== graph edges
    def _edges(self, name: str) -> list[Edge]:
        out: list[Edge] = []
        for eq in self.formulas[name]:
            stack = [eq.value]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Name):
                    if node.name in self.inputs or node.name in self.formulas:
                        out.append(Edge(node.name, "lag", 0, node.span))
                elif isinstance(node, ast.Indexed):
                    if node.name in self.inputs or node.name in self.formulas:
                        out.append(_edge_for_index(node))
                elif isinstance(node, ast.Call):
                    if _kind(node) == "running" and node.args:
                        target = node.args[0]
                        if isinstance(target, (ast.Name, ast.Indexed)) and (
                                target.name in self.inputs or target.name in self.formulas):
                            out.append(Edge(target.name, "whole", 0, target.span))
                            continue
                    if node.func == "growth" and node.args and isinstance(node.args[0], (ast.Name, ast.Indexed)):
                        target = node.args[0]
                        if target.name in self.inputs or target.name in self.formulas:
                            out.append(Edge(target.name, "lag", -1, target.span))
                    stack.extend(node.args)
                else:
                    stack.extend(ast.children(node))
        return out

    # ================================================================== pass 4: typing
    def _type_step(self, step: ir.Step):
        names = step.names
        members = set(names)
        # Shapes: a formula is a series if it has a period selector, reads a series at the current
        # period, or sits in a recurrence.
        series = {n: step.sequential for n in names}
        for n in names:
            if any(eq.index is not None for eq in self.formulas[n]):
                series[n] = True
        changed = True
        while changed:
            changed = False
            for n in names:
                if not series[n] and self._reads_series(n, series, members):
                    series[n] = changed = True
        last = len(self.timeline) - 1
        for n in names:
            if series[n]:  # `x = ...` that reads a series defines every period
                self.pieces[n] = [(eq, 0, last) if start is None else (eq, start, stop)
                                  for eq, start, stop in self.pieces[n]]
        units: dict[str, object] = {}
        declared: dict[str, object] = {}
        for n in names:
            d = self._declared_unit(n)
            if d is not None:
                declared[n] = units[n] = d
        self._pending = {n: ir.Quantity(n, "formula", ir.Type(units.get(n), series[n]), "", [],
                                        self.formulas[n][0].span) for n in names}
        for n in names:
            if n in units:
                self.quantities[n] = self._pending[n]
        # Units: infer from any equation whose inputs are all known; repeat until stable.
        typed: dict[tuple[str, int], object] = {}
        progress = True
        wildcard = False
        while len(units) < len(names):
            if not progress:
                if wildcard:
                    break
                wildcard = True
            progress = False
            for n in names:
                if n in units:
                    continue
                for k, (eq, start, stop) in enumerate(self.pieces[n]):
                    trial = Reporter()
                    try:
                        node = self._expr(eq.value, _Context(n, series[n], trial, wildcard))
                        if node.type.unit is ANY_UNIT:
                            raise _Unknown
                    except _Unknown:
                        continue
                    except _Abandon:
                        self.report.diagnostics.extend(trial.diagnostics)
                        self.broken.add(n)
                        units[n] = None
                        progress = True
                        break
                    self.report.diagnostics.extend(trial.diagnostics)
                    if not wildcard:
                        typed[(n, k)] = node
                    units[n] = node.type.unit if not node.type.boolean else "bool"
                    self._pending[n].type = ir.Type(None if isinstance(units[n], str) else units[n], series[n])
                    self.quantities[n] = self._pending[n]
                    progress = True
                    break
        for n in names:
            if n not in units:
                span = self.formulas[n][0].name_span
                if not self._dropped_by_scenario(n, span):
                    self.report.error("unknown-unit", f"cannot infer the unit of `{n}`: every equation reads it",
                                      span, Label(span), hint=f"give a starting value (`{n}[{self.timeline.start}] = "
                                      f"...`), or declare its unit: {n}: UNIT = ...")
                self.broken.add(n)
        for n in names:
            if n in self.broken:
                self.quantities.pop(n, None)
                continue
            q = self._pending[n]
            self.quantities[n] = q
            for k, (eq, start, stop) in enumerate(self.pieces[n]):
                try:
                    node = typed.get((n, k)) or self._expr(eq.value, _Context(n, series[n], self.report))
                    node = self._conform(node, q, eq, n in declared)
                except (_Abandon, _Unknown):
                    self.broken.add(n)
                    break
                q.equations.append(ir.Equation(start, stop, node, eq.span, self._text(eq.value)))
            if n in self.broken:
                self.quantities.pop(n, None)
                continue
            first = self.formulas[n][0]
            q.note = next((e.clauses.note for e in self.formulas[n] if e.clauses.note), None)
            unit_stmt = next((e.unit for e in self.formulas[n] if e.unit), None)
            q.unit_text = unit_stmt.text if unit_stmt else ""
            q.span = first.span
            if q.series:
                q.defined = np.zeros(len(self.timeline), dtype=bool)
                for eq in q.equations:
                    q.defined[eq.start:eq.stop + 1] = True
            self._display(q, next((e.clauses.display for e in self.formulas[n] if e.clauses.display), None))
            for e in self.formulas[n]:
                if e.clauses.sources:
                    q.sources += tuple(ir.SourceRef(s.file, s.date, s.quote) for s in e.clauses.sources)
                if e.clauses.base is not None:
                    self.report.error("bad-input", "`base` goes with an input range", e.clauses.base.span,
                                      Label(e.clauses.base.span))

    def _reads_series(self, name, series, members) -> bool:
        for eq in self.formulas[name]:
            stack = [eq.value]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Name):
                    if node.name in members and series.get(node.name):
                        return True
                    q = self.quantities.get(node.name)
                    if q is not None and q.series:
                        return True
                elif isinstance(node, ast.Indexed):
                    if isinstance(node.index, (ast.Current, ast.Relative)):
                        return True
                elif isinstance(node, ast.Call) and _kind(node) in ("running", "series"):
                    return True
                elif isinstance(node, ast.Call) and _is_reduction(node):
                    stack.extend(node.args[:-1])  # the series it reduces is one value; npv's rate may not be
                else:
                    stack.extend(ast.children(node))
        return False

    def _declared_unit(self, name: str):
        found = None
        for eq in self.formulas[name]:
            if eq.unit is None:
                continue
            unit = self._unit(eq.unit)
            if unit is None:
                self.broken.add(name)
                continue
            if found is not None and unit != found[0]:
                self.report.error("unit-mismatch", f"`{name}` is declared with two different units", eq.unit.span,
                                  Label(eq.unit.span, self._u(unit)), Label(found[1], self._u(found[0])))
                continue
            if found is None:
                found = (unit, eq.unit.span)
        if found is None and name in self.replaced and self.base_model is not None:
            # A scenario's formula keeps the model's unit for it, as a scenario's input value does.
            base = self.base_model.quantities.get(name)
            if base is not None and base.unit is not None:
                self.unit_of_model[name] = base
                return base.unit
        return found[0] if found else None

    def _conform(self, node, q: ir.Quantity, eq: ast.Equation, declared: bool):
        """Bring an equation's value to its quantity's unit (the declared one, or the first equation's)."""
        want = q.unit
        if node.type.boolean or want is None:
            if node.type.boolean != (want is None):
                self._mismatch_declared(node, q, eq, declared)
            return node
        if self.units.equal(node.type.unit, want):
            return node
        if not self.units.same_dimension(node.type.unit, want):
            self._mismatch_declared(node, q, eq, declared)
        return self._convert(node, want)

    def _mismatch_declared(self, node, q, eq, declared):
        got = self._u(node.type.unit) if not node.type.boolean else "true/false"
        want = self._u(q.unit) if q.unit is not None else "true/false"
        if declared and q.name in self.unit_of_model:
            base = self.unit_of_model[q.name]
            self.report.error("declared-unit", f"this formula gives `{q.name}` in {got}, but the model "
                              f"computes it in {want}", node.span, Label(node.span, got),
                              *([Label(base.span, f"{want} here")] if base.span else []),
                              hint=self._rate_hint(node.type.unit, q.unit) or
                              "a scenario may change how a quantity is computed, not what it measures")
        elif declared:
            decl = next(e.unit for e in self.formulas[q.name] if e.unit)
            self.report.error("declared-unit", f"`{q.name}` is declared in {want}, but this formula gives {got}",
                              node.span, Label(node.span, got), Label(decl.span, "declared here"),
                              hint=self._rate_hint(node.type.unit, q.unit))
        else:
            self.report.error("unit-mismatch", f"the equations of `{q.name}` disagree: {want} and {got}",
                              node.span, Label(node.span, got), hint=self._rate_hint(node.type.unit, q.unit))
        raise _Abandon

    # ----------------------------------------------------------------- expressions
    def _expr(self, node, ctx: _Context):
        method = getattr(self, "_x_" + type(node).__name__, None)
        if method is None:
            span = getattr(node, "span", None)
            what = {"Table": "a table", "Range": "a range"}.get(type(node).__name__, "this")
            ctx.report.error("bad-expression", f"{what} is only valid as an input's value", span,
                             Label(span) if span else Label(Span(self.file, 1, 1, 1, 1)),
                             hint="declare it with `input NAME = ...` and use the name here")
            raise _Abandon
        return method(node, ctx)

    def _magnitude(self, node: ast.Quantity, report: Reporter) -> float:
        value = scaled(node.number, node.scale)
        if not np.isfinite(value):
            report.error("limit", "this number is too large to represent", node.span, Label(node.span),
                         hint="the largest is about 1.8e308")
            raise _Abandon
        if value == 0.0 and node.number != 0.0:
            report.error("limit", "this number is too small to represent: it would silently become 0",
                         node.span, Label(node.span), hint="the smallest is about 5e-324; is a unit missing?")
            raise _Abandon
        return value

    def _x_Quantity(self, node: ast.Quantity, ctx):
        value = self._magnitude(node, ctx.report)
        unit = self.units.dimensionless if node.unit is None else self._literal_unit(node, ctx.report)
        return ir.Const(value, ir.Type(unit, False), node.span)

    def _x_Boolean(self, node: ast.Boolean, ctx):
        return ir.Const(1.0 if node.value else 0.0, ir.Type(None, False), node.span)

    def _quantity_type(self, name: str, span: Span, ctx) -> ir.Type:
        if name in self.broken:
            raise _Abandon
        pending = getattr(self, "_pending", {})
        if name in pending and name not in self.quantities:
            if ctx.wildcard:
                return ir.Type(ANY_UNIT, pending[name].type.series)
            raise _Unknown
        q = self.quantities.get(name) or pending.get(name)
        if q is None:
            raise _Abandon  # defined, but failed earlier: its own error is already reported
        return q.type

    def _x_Name(self, node: ast.Name, ctx):
        name = node.name
        if name in self.inputs or name in self.formulas:
            t = self._quantity_type(name, node.span, ctx)
            if t.series and not ctx.series:
                self._series_in_scalar(name, node.span, ctx)
            return ir.Ref(name, 0, t, node.span)
        if name == "t":
            ctx.report.error("bad-period", "`t` names the current period only inside brackets", node.span,
                             Label(node.span), hint="write x[t], x[t-1]; for the period's number use year()")
            raise _Abandon
        if self.units.is_unit_name(name):
            if ctx.unit_name_ok:
                return ir.Const(1.0, ir.Type(self.units.parse(name), False), node.span)
            ctx.report.error("unknown-name", f"unknown name `{name}`", node.span, Label(node.span),
                             hint=f"`{name}` is a unit: write it after a number (1 {name}), or define a quantity "
                                  f"`{name}`")
            raise _Abandon
        if name in builtins.NAMES:
            ctx.report.error("unknown-name", f"`{name}` is a function", node.span, Label(node.span),
                             hint=f"call it: {name}(...)")
            raise _Abandon
        self._unknown_name(name, node.span, ctx)

    def _unknown_name(self, name, span, ctx):
        hint = did_you_mean(name, list(self.inputs) + list(self.formulas))
        ctx.report.error("unknown-name", f"unknown name `{name}`", span, Label(span),
                         hint=hint or "define it with `input` or a formula; units need a number before them: 1 year")
        raise _Abandon

    def _series_in_scalar(self, name, span, ctx):
        ctx.report.error("shape", f"`{name}` is a series, but this is a single value", span, Label(span),
                         hint=f"pick a period ({name}[{self.timeline.end}]) or reduce it "
                              f"(sum({name}[{self.timeline.start}..{self.timeline.end}]))")
        raise _Abandon

    def _x_Indexed(self, node: ast.Indexed, ctx):
        name = node.name
        if name not in self.inputs and name not in self.formulas:
            self._unknown_name(name, node.span, ctx)
        t = self._quantity_type(name, node.span, ctx)
        if not t.series:
            ctx.report.error("shape", f"`{name}` is a single value, not a series", node.span, Label(node.span),
                             hint=f"write {name} without brackets")
            raise _Abandon
        index = node.index
        if isinstance(index, (ast.Current, ast.Relative)):
            if not ctx.series:
                ctx.report.error("shape", "`t` is not defined here: this is a single value", index.span,
                                 Label(index.span), hint=f"pick a period: {name}[{self.timeline.end}]")
                raise _Abandon
            offset = index.offset if isinstance(index, ast.Relative) else 0
            return ir.Ref(name, offset, t, node.span)
        if isinstance(index, ast.Fixed):
            i = self._period_index(index.period, index.span, ctx.report)
            return ir.At(name, i, ir.Type(t.unit, False), node.span)
        ctx.report.error("shape", "a period range reads several values; reduce it", node.span, Label(node.span),
                         hint=f"total({name}[...]) integrates a flow; sum, average, min, max also take ranges")
        raise _Abandon

    def _numeric(self, node, ctx, what="this"):
        if node.type.boolean:
            ctx.report.error("type", f"{what} is true/false, not a number", node.span, Label(node.span),
                             hint="use if(condition, a, b) to turn a condition into a value")
            raise _Abandon
        return node

    def _boolean(self, node, ctx, what="this"):
        if not node.type.boolean:
            ctx.report.error("type", f"{what} is a number ({self._u(node.type.unit)}), not true/false",
                             node.span, Label(node.span), hint="compare it: x > 0")
            raise _Abandon
        return node

    def _x_Unary(self, node: ast.Unary, ctx):
        operand = self._numeric(self._expr(node.operand, ctx), ctx)
        if node.op == "+":
            return operand
        if isinstance(operand, ir.Const):
            return ir.Const(-operand.value, operand.type, node.span)
        return ir.Unary("-", operand, operand.type, node.span)

    def _x_Sum(self, node: ast.Sum, ctx):
        first = self._numeric(self._expr(node.first, ctx), ctx, "the left side")
        so_far = _Partial(first.type, first.span)  # the sum of the operands before this one
        rest = []
        for op, operand in node.rest:
            right = self._numeric(self._expr(operand, ctx), ctx, "the right side")
            series = so_far.type.series or right.type.series
            if so_far.type.unit is ANY_UNIT or right.type.unit is ANY_UNIT:
                unit = right.type.unit if so_far.type.unit is ANY_UNIT else so_far.type.unit
            else:
                here = _Partial(None, _cover(first.span, right.span) or node.span)
                right = self._same_dimension(so_far, right, here, ctx, "add" if op == "+" else "subtract")
                unit = so_far.type.unit
            rest.append((op, right))
            so_far = _Partial(ir.Type(unit, series), _cover(first.span, right.span) or node.span)
        return ir.Sum(first, tuple(rest), so_far.type, node.span)

    def _x_Binary(self, node: ast.Binary, ctx):
        if node.op in "+-":  # the parser makes Sums; a tree built by hand may not
            return self._x_Sum(ast.Sum(node.left, ((node.op, node.right),), node.span), ctx)
        left = self._numeric(self._expr(node.left, ctx), ctx, "the left side")
        # `13 billion USD / year`: a unit name may follow a literal quantity and * or /
        ctx.unit_name_ok = node.op in "*/" and _ends_in_literal(node.left) and isinstance(node.right, ast.Name)
        try:
            right = self._numeric(self._expr(node.right, ctx), ctx, "the right side")
        finally:
            ctx.unit_name_ok = False
        series = left.type.series or right.type.series
        if left.type.unit is ANY_UNIT or right.type.unit is ANY_UNIT:
            raise _Unknown
        if node.op in "*/":
            return self._product(node.op, left, right, series, node.span)
        return self._power(node, left, right, series, ctx)

    def _power(self, node, base, exponent, series, ctx):
        if not self.units.is_dimensionless(exponent.type.unit):
            ctx.report.error("bad-exponent", f"an exponent must be a plain number, not {self._u(exponent.type.unit)}",
                             exponent.span, Label(exponent.span, self._u(exponent.type.unit)))
            raise _Abandon
        exponent = self._plain(exponent)
        if self.units.is_dimensionless(base.type.unit):
            base = self._plain(base)
            return ir.Binary("^", base, exponent, ir.Type(self.units.dimensionless, series), node.span)
        if not (isinstance(exponent, ir.Const) and float(exponent.value).is_integer()):
            ctx.report.error("bad-exponent", f"{self._u(base.type.unit)} can only be raised to a whole number",
                             exponent.span, Label(exponent.span), Label(base.span, self._u(base.type.unit)),
                             hint="write the exponent as a literal integer, e.g. x^2")
            raise _Abandon
        unit = self.units.power(base.type.unit, int(exponent.value))
        return ir.Binary("^", base, exponent, ir.Type(unit, series), node.span)

    def _plain(self, node):
        """Express a dimensionless value as a plain fraction (40 % -> 0.4)."""
        return self._convert(node, self.units.dimensionless)

    def _convert(self, node, unit):
        if self.units.equal(node.type.unit, unit):
            return node
        factor = self.units.factor(node.type.unit, unit)
        if isinstance(node, ir.Const):
            return ir.Const(node.value * factor, ir.Type(unit, node.type.series), node.span)
        return ir.Convert(node, factor, node.type.unit, ir.Type(unit, node.type.series), node.span)

    def _same_dimension(self, left, right, node, ctx, verb: str):
        lu, ru = left.type.unit, right.type.unit
        if self.units.same_dimension(lu, ru):
            return self._convert(right, lu)
        ctx.report.error("unit-mismatch", f"cannot {verb} {self._u(lu)} and {self._u(ru)}", node.span,
                         Label(left.span, self._u(lu)), Label(right.span, self._u(ru)),
                         hint=self._rate_hint(lu, ru),
                         notes=(f"left side: {self._dim(lu)}; right side: {self._dim(ru)}",))
        raise _Abandon

    def _rate_hint(self, a, b) -> str | None:
        if a is None or b is None:
            return None
        year = self.units.parse("year").dimensionality
        da, db = a.dimensionality, b.dimensionality
        for shorter, longer, side, other in ((db, da, "right", "left"), (da, db, "left", "right")):
            if longer == shorter * year:  # one side lacks a time factor the other has
                if shorter.get("[time]", 0) < 0:
                    return (f"the {side} side is a rate per time: multiply it by a period (`* 1 year`) or integrate "
                            "it with total(...)")
                return (f"the {other} side is an amount times a time: total() integrates a rate; an amount per "
                        "period is added up with sum(...)")
        return None

    def _x_Compare(self, node: ast.Compare, ctx):
        left = self._expr(node.left, ctx)
        right = self._expr(node.right, ctx)
        series = left.type.series or right.type.series
        if left.type.boolean or right.type.boolean:
            if not (left.type.boolean and right.type.boolean and node.op in ("==", "!=")):
                ctx.report.error("type", "cannot compare true/false with a number", node.span,
                                 Label(left.span), Label(right.span))
                raise _Abandon
        else:
            right = self._same_dimension(left, right, node, ctx, "compare")
        return ir.Compare(node.op, left, right, ir.Type(None, series), node.span)

    def _x_Approx(self, node: ast.Approx, ctx):
        left = self._numeric(self._expr(node.left, ctx), ctx)
        right = self._numeric(self._expr(node.right, ctx), ctx)
        right = self._same_dimension(left, right, node, ctx, "compare")
        tol = self._numeric(self._expr(node.tolerance, ctx), ctx, "the tolerance")
        if self.units.is_dimensionless(tol.type.unit):
            tol, relative = self._plain(tol), True
        elif self.units.same_dimension(tol.type.unit, left.type.unit):
            tol, relative = self._convert(tol, left.type.unit), False
        else:
            ctx.report.error("unit-mismatch", f"a tolerance is a percentage or in {self._u(left.type.unit)}, not "
                             f"{self._u(tol.type.unit)}", tol.span, Label(tol.span, self._u(tol.type.unit)))
            raise _Abandon
        series = left.type.series or right.type.series or tol.type.series
        return ir.Approx(left, right, tol, relative, ir.Type(None, series), node.span)

    def _x_Logical(self, node: ast.Logical, ctx):
        left = self._boolean(self._expr(node.left, ctx), ctx, f"the left side of `{node.op}`")
        right = self._boolean(self._expr(node.right, ctx), ctx, f"the right side of `{node.op}`")
        return ir.Binary(node.op, left, right, ir.Type(None, left.type.series or right.type.series), node.span)

    def _x_Not(self, node: ast.Not, ctx):
        operand = self._boolean(self._expr(node.operand, ctx), ctx, "the operand of `not`")
        return ir.Not(operand, operand.type, node.span)

    # ----------------------------------------------------------------- functions
    def _x_Call(self, node: ast.Call, ctx):
        builtin = builtins.lookup(node.func, len(node.args))
        if builtin is None:
            f = node.func
            name_span = Span(node.span.file, node.span.line, node.span.col, node.span.line, node.span.col + len(f))
            ctx.report.error("unknown-name", f"unknown function `{f}`", name_span, Label(name_span),
                             hint=did_you_mean(f, builtins.NAMES) or "functions: " + ", ".join(builtins.NAMES))
            raise _Abandon
        self._arity(node, builtin, ctx)
        if builtin.kind == "reduction":
            return self._reduction(node, builtin, ctx)
        if builtin.kind in ("running", "series"):
            return self._series_function(node, builtin, ctx)
        typed = [self._expr(a, ctx) for a in node.args]
        series = any(a.type.series for a in typed)
        return getattr(self, "_rule_" + builtin.unit_rule)(node, builtin, typed, series, ctx)

    # Unit rules of element-wise functions (engine/builtins.py names them): one method per rule.
    def _rule_same(self, node, builtin, typed, series, ctx):
        first = self._numeric(typed[0], ctx)
        rest = [self._same_dimension(first, self._numeric(a, ctx), node, ctx, f"take the {builtin.name} of")
                for a in typed[1:]]
        return ir.Func(builtin.name, (first, *rest), ir.Type(first.type.unit, series), node.span)

    def _rule_condition(self, node, builtin, typed, series, ctx):
        cond = self._boolean(typed[0], ctx, "the condition")
        a, b = typed[1], typed[2]
        if a.type.boolean != b.type.boolean:
            ctx.report.error("type", "both branches of if() must be numbers, or both true/false", node.span,
                             Label(a.span), Label(b.span))
            raise _Abandon
        if not a.type.boolean:
            b = self._same_dimension(a, b, node, ctx, "choose between")
        return ir.Func("if", (cond, a, b), ir.Type(a.type.unit, series), node.span)

    def _rule_index(self, node, builtin, typed, series, ctx):
        if not self.units.is_dimensionless(self._numeric(typed[0], ctx).type.unit):
            ctx.report.error("type", "choose's first argument is an option number (1, 2, ...)", typed[0].span,
                             Label(typed[0].span, self._u(typed[0].type.unit)))
            raise _Abandon
        index = self._plain(typed[0])
        first = typed[1]
        rest = [self._same_dimension(first, a, node, ctx, "choose between") if not first.type.boolean else a
                for a in typed[2:]]
        return ir.Func("choose", (index, first, *rest), ir.Type(first.type.unit, series), node.span)

    def _rule_keep(self, node, builtin, typed, series, ctx):
        x = self._numeric(typed[0], ctx)
        return ir.Func(builtin.name, (x,), x.type, node.span)

    def _rule_digits(self, node, builtin, typed, series, ctx):
        x = self._numeric(typed[0], ctx)
        digits = typed[1] if len(typed) > 1 else ir.Const(0.0, ir.Type(self.units.dimensionless, False))
        if not (isinstance(digits, ir.Const) and self.units.is_dimensionless(digits.type.unit)
                and float(digits.value).is_integer()):
            ctx.report.error("type", "round's digits must be a whole number", digits.span or node.span,
                             Label(digits.span or node.span))
            raise _Abandon
        return ir.Func(builtin.name, (x, digits), x.type, node.span)

    def _rule_plain(self, node, builtin, typed, series, ctx):
        x = self._numeric(typed[0], ctx)
        if not self.units.is_dimensionless(x.type.unit):
            ctx.report.error("unit-mismatch", f"{builtin.name}() takes a plain number, not {self._u(x.type.unit)}",
                             x.span, Label(x.span, self._u(x.type.unit)))
            raise _Abandon
        x = self._plain(x)
        return ir.Func(builtin.name, (x,), ir.Type(self.units.dimensionless, x.type.series), node.span)

    def _rule_root(self, node, builtin, typed, series, ctx):
        x = self._numeric(typed[0], ctx)
        if self.units.is_dimensionless(x.type.unit):
            x = self._plain(x)
            return ir.Func(builtin.name, (x,), ir.Type(self.units.dimensionless, x.type.series), node.span)
        powers = dict(x.type.unit._units)
        if any(float(e) % 2 for e in powers.values()):
            ctx.report.error("unit-mismatch", f"{self._u(x.type.unit)} has no square root: its powers are not even",
                             x.span, Label(x.span, self._u(x.type.unit)),
                             hint="take the root of a plain number, or of a unit squared (m^2 → m)")
            raise _Abandon
        return ir.Func(builtin.name, (x,), ir.Type(self.units.root(x.type.unit), x.type.series), node.span)

    def _rule_sign(self, node, builtin, typed, series, ctx):
        x = self._numeric(typed[0], ctx)
        return ir.Func(builtin.name, (x,), ir.Type(self.units.dimensionless, x.type.series), node.span)

    def _arity(self, node, builtin, ctx):
        n, (low, high) = len(node.args), builtin.arity
        if n < low or (high is not None and n > high):
            want = str(low) if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
            plural = "s" if (high is None or high != 1) else ""
            ctx.report.error("arity", f"{node.func}() takes {want} argument{plural}, not {n}", node.span,
                             Label(node.span), hint=f"write {builtin.signature}")
            raise _Abandon

    def _range_arg(self, arg, node, ctx):
        """A series over a period range: x[2025..2029], x[2027..] or a bare series name (all periods)."""
        if isinstance(arg, ast.Name) and (arg.name in self.inputs or arg.name in self.formulas):
            t = self._quantity_type(arg.name, arg.span, ctx)
            if t.series:
                return arg.name, 0, len(self.timeline) - 1, t
        if isinstance(arg, ast.Indexed) and isinstance(arg.index, ast.PeriodRange):
            if arg.name not in self.inputs and arg.name not in self.formulas:
                self._unknown_name(arg.name, arg.span, ctx)
            t = self._quantity_type(arg.name, arg.span, ctx)
            start, stop = self._period_span(arg.index, ctx.report)
            return arg.name, start, stop, t
        span = getattr(arg, "span", node.span)
        ctx.report.error("shape", f"{node.func}() reads a series over periods", span, Label(span),
                         hint=f"write {node.func}(x[{self.timeline.start}..{self.timeline.end}])")
        raise _Abandon

    def _reduction(self, node: ast.Call, builtin, ctx):
        """f([plain numbers,] x[a..b]): the leading arguments (npv's rate) are plain numbers or
        percent, the last is a series over a range of periods."""
        f = node.func
        extra = []
        for arg in node.args[:-1]:
            value = self._numeric(self._expr(arg, ctx), ctx, "the discount rate")
            if not self.units.is_dimensionless(value.type.unit):
                ctx.report.error("unit-mismatch", f"{f}'s rate is a plain number or percent per period, not "
                                 f"{self._u(value.type.unit)}", value.span, Label(value.span, self._u(value.type.unit)))
                raise _Abandon
            extra.append(self._plain(value))
        target = node.args[-1]
        name, start, stop, t = self._range_arg(target, node, ctx)
        if t.boolean:
            self._numeric(ir.Const(0.0, t, target.span), ctx, f"`{name}`")
        if builtin.unit_rule == "integrate":
            factor, unit = self.units.simplify(self.units.mul(t.unit, self.timeline.step_unit))
        elif builtin.unit_rule == "ratio":
            factor, unit = 1.0, self.units.dimensionless
            if stop <= start:
                ctx.report.error("bad-period", f"{f}() needs at least two periods", target.span, Label(target.span))
                raise _Abandon
        else:
            factor, unit = 1.0, t.unit
        series = any(a.type.series for a in extra)
        return ir.Reduce(f, name, start, stop, factor, tuple(extra), ir.Type(unit, series), node.span)

    def _series_function(self, node: ast.Call, builtin, ctx):
        if node.func == "year":
            if not ctx.series:
                ctx.report.error("shape", "year() is the current period: only inside a series", node.span,
                                 Label(node.span))
                raise _Abandon
            return ir.Period(ir.Type(self.units.dimensionless, True), node.span)
        arg = node.args[0]
        if not (isinstance(arg, ast.Name) or (isinstance(arg, ast.Indexed) and isinstance(arg.index, ast.Current))):
            span = getattr(arg, "span", node.span)
            ctx.report.error("shape", f"{node.func}() takes a series name", span, Label(span),
                             hint=f"write {node.func}(x)")
            raise _Abandon
        if arg.name not in self.inputs and arg.name not in self.formulas:
            self._unknown_name(arg.name, arg.span, ctx)
        t = self._quantity_type(arg.name, arg.span, ctx)
        if not t.series or t.boolean:
            ctx.report.error("shape", f"{node.func}() takes a numeric series; `{arg.name}` is not one", arg.span,
                             Label(arg.span))
            raise _Abandon
        if not ctx.series:
            ctx.report.error("shape", f"{node.func}() gives a series, but this is a single value", node.span,
                             Label(node.span))
            raise _Abandon
        if node.func == "growth":
            now = ir.Ref(arg.name, 0, t, arg.span)
            before = ir.Ref(arg.name, -1, t, arg.span)
            ratio = self._product("/", now, before, True, node.span)
            one = ir.Const(1.0, ir.Type(self.units.dimensionless, False), node.span)
            return ir.Sum(ratio, (("-", one),), ir.Type(self.units.dimensionless, True), node.span)
        if builtin.unit_rule == "integrate":
            factor, unit = self.units.simplify(self.units.mul(t.unit, self.timeline.step_unit))
        else:
            factor, unit = 1.0, t.unit
        return ir.Running(node.func, arg.name, factor, ir.Type(unit, True), node.span)

    def _product(self, op: str, left, right, series: bool, span):
        """left * right or left / right, its unit tidied (MW/GW -> 0.001) by an explicit Convert."""
        combine = self.units.mul if op == "*" else self.units.div
        raw = combine(left.type.unit, right.type.unit)
        factor, unit = self.units.simplify(raw)
        result = ir.Binary(op, left, right, ir.Type(raw, series), span)
        if factor != 1.0 or not self.units.equal(unit, raw):
            return ir.Convert(result, factor, raw, ir.Type(unit, series), span)
        return result

    # ================================================================== pass 5: coverage
    def _coverage(self, expr, start: int | None, stop: int | None, owner: str | None = None):
        n = len(self.timeline)
        stack = [expr]
        while stack:
            node = stack.pop()
            stack.extend(ir.children(node))
            if isinstance(node, ir.Ref) and node.type.series and start is not None:
                first, last = start + node.offset, stop + node.offset
                if first < 0 or last >= n:
                    self._outside(node, start, stop, first < 0, owner)
                    continue
                self._defined(node.name, first, last, node.span)
            elif isinstance(node, ir.At):
                self._defined(node.name, node.period, node.period, node.span)
            elif isinstance(node, ir.Reduce):
                self._defined(node.name, node.start, node.stop, node.span)
            elif isinstance(node, ir.Running) and stop is not None:
                self._defined(node.name, 0, stop, node.span)

    def _outside(self, ref: ir.Ref, start, stop, before: bool, owner: str | None):
        tl = self.timeline
        k = ref.offset
        if before:
            period = tl.periods[start]
            later = tl.periods[min(start - k, len(tl) - 1)]
            if owner:
                hint = (f"start this formula at {later} ({owner}[{later}..] = ...) and give "
                        f"{owner}[{period}] its own equation if it needs a value there")
            else:
                hint = f"restrict the check to periods from {later}: for t in {later}..{tl.end}"
            self.report.error(
                "lag-before-timeline", f"`{ref.name}[t{k:+d}]` reaches {period + k} when t = {period}, before "
                f"the timeline starts ({tl.start})", ref.span, Label(ref.span), hint=hint)
        else:
            period = tl.periods[stop]
            self.report.error(
                "lag-before-timeline", f"`{ref.name}[t{k:+d}]` reaches {period + k} when t = {period}, after "
                f"the timeline ends ({tl.end})", ref.span, Label(ref.span),
                hint="end this formula earlier, or extend the timeline")

    def _defined(self, name: str, first: int, last: int, span: Span):
        q = self.quantities.get(name)
        if q is None or not q.series or q.defined is None or q.defined[first:last + 1].all():
            return
        missing = [i for i in range(first, last + 1) if not q.defined[i]]
        if missing and self._dropped_by_scenario(name, span, missing[0]):
            return
        if missing:
            periods = self.timeline.periods
            have = [periods[i] for i in range(len(periods)) if q.defined[i]]
            has = f"{have[0]}..{have[-1]}" if have and len(have) == have[-1] - have[0] + 1 else (
                ", ".join(map(str, have)) or "no period")
            self.report.error("missing-value", f"`{name}` has no value for {periods[missing[0]]}", span,
                              Label(span), hint=f"`{name}` is defined for {has}: add an equation for "
                              f"{periods[missing[0]]} or read it only where it exists")

    def _dropped_by_scenario(self, name: str, span: Span, period: int | None = None) -> bool:
        """When this scenario replaced `name`'s equations and so dropped the base equation that
        gave a value the model needs (at `period`, or any): say so (True), instead of the
        symptom (a unit that cannot be inferred, a period with no value)."""
        base = self.replaced.get(name)
        if not base:
            return False
        mine = self.formulas[name]
        covered: set[int] = set()
        general = any(eq.index is None or isinstance(eq.index, ast.Current) for eq in mine)
        for eq in mine:
            if isinstance(eq.index, (ast.Fixed, ast.PeriodRange)):
                try:
                    a, b = self._period_span(eq.index, Reporter())
                except _Abandon:
                    continue
                covered.update(range(a, b + 1))
        dropped = []
        for eq in base:
            if isinstance(eq.index, (ast.Fixed, ast.PeriodRange)):
                try:
                    a, b = self._period_span(eq.index, Reporter())
                except _Abandon:
                    continue
                lost = [i for i in range(a, b + 1) if i not in covered]
                if lost and not general and (period is None or period in lost):
                    dropped.append(eq)
        if not dropped:
            return False
        lhs = [f"{name}[{self._text(eq.index)}]" for eq in dropped]
        labels = [Label(eq.span, "replaced by the scenario") for eq in mine[:1]] + \
                 [Label(eq.span, "no longer applies") for eq in dropped]
        self.report.error("scenario-drops-equation", f"this scenario replaces every equation of `{name}`, "
                          f"so the model's `{lhs[0]} = ...` no longer applies", span, Label(span, "needs it"), *labels,
                          hint=f"repeat `{lhs[0]} = {self._text(dropped[0].value)}` inside the scenario: a scenario's "
                               f"equations for a formula replace all of that formula's equations")
        return True

    # ================================================================== pass 6: checks
    def _check(self, stmt: ast.Check) -> ir.Check | None:
        start = stop = None
        try:
            if stmt.periods is not None:
                a, b = stmt.periods
                start = self._period_index(a, stmt.span)
                stop = self._period_index(b, stmt.span)
            ctx = _Context(None, True, self.report)
            node = self._expr(stmt.expr, ctx)
            self._boolean(node, ctx, "a check")
        except (_Abandon, _Unknown):
            return None
        if node.type.series and start is None:
            start, stop = 0, len(self.timeline) - 1
        if not node.type.series:
            start = stop = None
        before = len(self.report.diagnostics)
        self._coverage(node, start, stop)
        if len(self.report.diagnostics) > before:
            return None
        return ir.Check(stmt.name, node, start, stop, stmt.span)

    def _chart(self, stmt: ast.Chart) -> ir.Chart | None:
        """A chart draws numeric series, in at most two dimensions (a left and a right axis)."""
        dimensions: list = []
        for ref in stmt.names:
            q = self.quantities.get(ref.name)
            if q is None:
                if ref.name not in self.inputs and ref.name not in self.formulas:
                    self.report.error("unknown-name", f"unknown name `{ref.name}`", ref.span, Label(ref.span),
                                      hint=did_you_mean(ref.name, list(self.inputs) + list(self.formulas)))
                return None
            if not q.series or q.unit is None:
                what = "true/false" if q.unit is None else "a single value"
                self.report.error("shape", f"`{ref.name}` is {what}; a chart draws numeric series", ref.span,
                                  Label(ref.span), hint="chart quantities that vary over the timeline")
                return None
            if not any(self.units.same_dimension(q.unit, d) for d in dimensions):
                dimensions.append(q.unit)
        if len(dimensions) > 2:
            self.report.error("unit-mismatch", f"this chart mixes {len(dimensions)} kinds of unit; a chart has two "
                              "axes", stmt.span, Label(stmt.span), hint="split it into two charts")
            return None
        return ir.Chart(stmt.title, tuple(ref.name for ref in stmt.names), stmt.span)

    # ================================================================== text helpers
    def _u(self, unit) -> str:
        if unit is None:
            return "true/false"
        return self.units.short(unit) or "a plain number"

    def _dim(self, unit) -> str:
        if unit is None:
            return "true/false"
        return self.units.describe(unit.dimensionality)

    def _text(self, node) -> str:
        span = getattr(node, "span", None)
        if span is None or self.file not in self.sources:
            return ""
        if not hasattr(self, "_lines"):
            self._lines = self.sources[self.file].splitlines()
        lines = self._lines
        if span.line == span.end_line:
            return lines[span.line - 1][span.col - 1:span.end_col - 1]
        parts = [lines[span.line - 1][span.col - 1:]] + lines[span.line:span.end_line - 1] + \
                [lines[span.end_line - 1][:span.end_col - 1]]
        return " ".join(p.strip() for p in parts)


def _kind(node: ast.Call) -> str | None:
    builtin = builtins.lookup(node.func, len(node.args))
    return builtin.kind if builtin is not None else None


def _is_reduction(node: ast.Call) -> bool:
    """A call that reduces a series over periods to one value (its last argument is the series)."""
    return _kind(node) == "reduction"


def _ends_in_literal(node) -> bool:
    """True for `2 USD`, `2 USD / year`, `-3 GW`: the left side of a unit written after a literal."""
    while isinstance(node, (ast.Binary, ast.Unary, ast.Sum)):
        if isinstance(node, ast.Sum):
            node = node.rest[-1][1]
        else:
            node = node.right if isinstance(node, ast.Binary) else node.operand
    return isinstance(node, ast.Quantity)


@dataclass(frozen=True)
class _Expect:
    """What a literal must be: in `unit` (None: true/false), and whether a bare number may stand
    for it (the unit is declared; bare numbers are then read in bare_unit, or unit)."""

    unit: object
    boolean: bool
    bare_ok: bool
    why: str  # finishes "this value is in money, but ...": "`x` is declared in USD"
    bare_unit: object = None


def _number_text(number: float) -> str:
    return str(int(number)) if number == int(number) and abs(number) < 1e16 else repr(number)


def _head_span(span: Span | None, head: str) -> Span | None:
    """The first words of a statement (`scenario bull`), for a label that should not cover a block."""
    if span is None:
        return None
    return Span(span.file, span.line, span.col, span.line, span.col + len(head))


class _Partial:
    """Stands for the sum of a chain's first operands in unit checks and their labels."""

    def __init__(self, type_: ir.Type | None, span: Span | None):
        self.type, self.span = type_, span


def _cover(a: Span | None, b: Span | None) -> Span | None:
    return a.cover(b) if a is not None and b is not None else None


def _edge_for_index(node: ast.Indexed) -> Edge:
    index = node.index
    if isinstance(index, ast.Current):
        return Edge(node.name, "lag", 0, node.span)
    if isinstance(index, ast.Relative):
        return Edge(node.name, "lag", index.offset, node.span)
    return Edge(node.name, "whole", 0, node.span)


def _runs(indices: list[int]):
    """[0,1,2,5,6] -> (0,2), (5,6)"""
    start = prev = None
    for i in indices:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            yield start, prev
            start = prev = i
    if start is not None:
        yield start, prev
