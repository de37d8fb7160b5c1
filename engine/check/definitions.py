"""Pass 2: the definitions: inputs and formulas by name, scenarios, the chosen scenario's overlay
(what it replaces is kept: scope.overrides, scope.replaced), names a spreadsheet would confuse."""

from __future__ import annotations

from .. import limits
from .. import syntax as ast
from ..diagnostics import Label, Span, did_you_mean
from . import common

RESERVED = {"t"}
MAX_NAME_LENGTH = limits.NAME_LENGTH.value
MAX_STATEMENTS = limits.STATEMENTS.value


def collect(s) -> None:
    """s.scenarios, s.inputs, s.formulas, with the chosen scenario's statements in place of the
    ones they replace (and s.overrides, s.replaced: what they replaced)."""
    statements = s.module.statements
    s.scenarios = scenarios(s, statements)
    found_inputs, found_formulas = definitions(s, statements)
    bounded(s, len(found_inputs) + len(found_formulas))
    names_differing_in_case(s, found_inputs, found_formulas)
    unique_checks(s, statements)
    if s.scenario != "base":
        if s.scenario not in s.scenarios:
            s.report.error("unknown-scenario", f"no scenario named `{s.scenario}`", None,
                           hint=did_you_mean(s.scenario, s.scenarios) or "scenarios: " + ", ".join(s.scenarios))
            s.fail_if_errors()
        apply_scenario(s, s.scenarios[s.scenario], found_inputs, found_formulas)
    s.inputs, s.formulas = found_inputs, found_formulas


def bounded(s, quantities: int) -> None:
    """Quantities, and quantities x periods, within engine/dimensions.py's limits, said before
    anything is typed (a dimensioned model is bounded when it is written out item by item)."""
    from ..dimensions import MAX_CELLS, MAX_ROWS  # one place: engine/limits.py

    periods = len(s.timeline)
    if quantities > MAX_ROWS:
        s.report.error("limit", f"the model has {quantities:,} quantities, more than {MAX_ROWS:,}", None,
                       hint="split it into several models (docs/language.md, \"Limits\")")
    elif quantities * periods > MAX_CELLS:
        s.report.error("limit", f"the model would have {quantities:,} quantities x {periods:,} periods = "
                       f"{quantities * periods:,} values, more than {MAX_CELLS:,}", None,
                       hint="a coarser timeline (quarterly, yearly), or fewer quantities (docs/language.md, "
                            "\"Limits\")")
    else:
        return
    s.fail_if_errors()


def scenarios(s, statements) -> dict[str, ast.Scenario]:
    found: dict[str, ast.Scenario] = {}
    folded: dict[str, ast.Scenario] = {}  # spreadsheets match scenario names ignoring case
    for stmt in statements:
        if isinstance(stmt, ast.Scenario):
            head = common.head_span(stmt.span, f"scenario {stmt.name}")
            if stmt.name in found or stmt.name == "base":
                s.report.error("duplicate-definition", f"scenario `{stmt.name}` is defined twice"
                               if stmt.name != "base" else "`base` is the model itself; it needs no block",
                               head, Label(head))
                continue
            other = folded.get(stmt.name.lower()) or (None if stmt.name.lower() != "base" else "base")
            if other is not None:
                first = other if isinstance(other, str) else other.name
                s.report.error("duplicate-definition", f"scenarios `{stmt.name}` and `{first}` differ only "
                               "in case: a spreadsheet treats them as one name", head, Label(head),
                               *([Label(common.head_span(other.span, f"scenario {first}"), "first here")]
                                    if not isinstance(other, str) else []),
                               hint="rename one of them")
                continue
            found[stmt.name] = stmt
            folded[stmt.name.lower()] = stmt
    return found


def names_differing_in_case(s, inputs, formulas):
    """Excel's names ignore case: `Revenue` and `revenue` would be one defined name."""
    seen: dict[str, tuple[str, Span]] = {}
    for stmt in s.module.statements:
        if isinstance(stmt, (ast.Input, ast.Equation)) and (stmt.name in inputs or stmt.name in formulas):
            first = seen.setdefault(stmt.name.lower(), (stmt.name, stmt.name_span))
            if first[0] != stmt.name:
                s.report.error("duplicate-definition", f"`{stmt.name}` and `{first[0]}` differ only in "
                               "case: a spreadsheet treats them as one name", stmt.name_span,
                               Label(stmt.name_span), Label(first[1], "first here"), hint="rename one of them")
                seen[stmt.name.lower()] = (stmt.name, stmt.name_span)


def unique_checks(s, statements):
    seen: dict[str, ast.Check] = {}
    for stmt in statements:
        if isinstance(stmt, ast.Check):
            if stmt.name in seen:
                head = common.head_span(stmt.span, "check")
                s.report.error("duplicate-definition", f"two checks are named \"{stmt.name}\"", head,
                               Label(head, "again here"), Label(common.head_span(seen[stmt.name].span, "check"),
                                                                   "first here"),
                               hint="give each check its own name: reports and the workbook list them by name")
            else:
                seen[stmt.name] = stmt


def definitions(s, statements):
    inputs: dict[str, ast.Input] = {}
    formulas: dict[str, list[ast.Equation]] = {}
    if len(statements) > MAX_STATEMENTS:
        s.report.error("limit", f"the model has more than {MAX_STATEMENTS:,} statements", None,
                       hint="split it into several models")
        return inputs, formulas
    for stmt in statements:
        if isinstance(stmt, ast.Input):
            if not name_ok(s, stmt.name, stmt.name_span):
                continue
            first = inputs.get(stmt.name) or (formulas.get(stmt.name) or [None])[0]
            if first is not None:
                duplicate(s, stmt.name, stmt.name_span, first.name_span)
                continue
            inputs[stmt.name] = stmt
        elif isinstance(stmt, ast.Equation):
            if not name_ok(s, stmt.name, stmt.name_span):
                continue
            if stmt.name in inputs:
                duplicate(s, stmt.name, stmt.name_span, inputs[stmt.name].name_span)
                continue
            formulas.setdefault(stmt.name, []).append(stmt)
    return inputs, formulas


def name_ok(s, name: str, span: Span) -> bool:
    if name in RESERVED:
        s.report.error("bad-name", f"`{name}` is reserved for the current period", span, Label(span),
                       hint="choose another name")
        return False
    if len(name) > MAX_NAME_LENGTH:
        base, _, items = name.partition("[")
        what = (f"the row `{base}[...]` ({len(base)} characters of name and {len(items) + 1} of items) is "
                if items else "a name is ")
        s.report.error("limit", f"{what}longer than {MAX_NAME_LENGTH} characters", span, Label(span),
                       hint="a row's name is the quantity's name with its items (revenue[na, chat]): shorten the "
                            "name or the item names" if items else "shorten the name")
        return False
    return True


def duplicate(s, name: str, span: Span, first: Span, hint: str = "rename one of them, or use a scenario to replace a value"):
    s.report.error("duplicate-definition", f"`{name}` is defined twice", span,
                   Label(span, "defined again here"), Label(first, "first defined here"), hint=hint)


def apply_scenario(s, scenario: ast.Scenario, inputs, formulas):
    """The scenario's statements replace the model's. An input's new value keeps the input's
    unit (s.overrides: the base statement it replaces); a formula's equations replace all
    of that formula's equations (s.replaced: the base equations they drop)."""
    replaced: dict[str, list[ast.Equation]] = {}
    set_here: dict[str, ast.Equation] = {}  # inputs this scenario sets: a second value would silently win
    for eq in scenario.equations:
        if eq.name in inputs and eq.name in set_here:
            duplicate(s, eq.name, eq.name_span, set_here[eq.name].name_span,
                      hint=f"keep one value of `{eq.name}` in this scenario")
            continue
        if eq.name in inputs:
            set_here[eq.name] = eq
            base = inputs[eq.name]
            if eq.index is not None:
                s.report.error("bad-scenario", f"`{eq.name}` is an input: a scenario replaces its whole value",
                               eq.span, Label(eq.span), hint=f"write {eq.name} = VALUE")
                continue
            kinds = {type(c) for c in eq.clauses.items}
            inherited = tuple(c for c in base.clauses.items if type(c) not in kinds and not isinstance(c, ast.Base))
            inputs[eq.name] = ast.Input(eq.name, eq.unit, eq.value, ast.Clauses(eq.clauses.items + inherited),
                                        eq.span, eq.name_span)
            s.overrides[eq.name] = base
        elif eq.name in formulas:
            replaced.setdefault(eq.name, []).append(eq)
        else:
            s.report.error("unknown-name", f"`{eq.name}` is not defined in the model, so this scenario "
                           "cannot set it", eq.name_span, Label(eq.name_span),
                           hint=did_you_mean(eq.name, list(inputs) + list(formulas)))
    for name, equations in replaced.items():
        s.replaced[name] = formulas[name]
        formulas[name] = equations + [eq for eq in formulas[name] if eq.actual is not None]  # actuals stay

