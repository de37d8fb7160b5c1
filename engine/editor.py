"""One open model as an editor sees it: its diagnostics, and what to say about the name under the
cursor. Built from the same parse, check and run as the command line (engine/model.py), so the
editor never says something `unitsheet check` would not; engine/lsp.py turns it into the Language
Server Protocol. Lines and columns here are 1-based, as in Span."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import builtins, editor_index, report
from .explain import about, formula_lines
from . import syntax as ast
from .diagnostics import Diagnostic, Label, ModelError, Span, source_lines
from .model import Model
from .parser import parse

VALUES_SHOWN = 12  # periods in a hover's table (a monthly series is rolled up to years first)


@dataclass
class Hover:
    text: str  # Markdown
    span: Span | None


class Document:
    """Parsed, checked and run once per version of the text; every question is answered from it."""

    def __init__(self, text: str, file: str, parser=parse, previous: "Document | None" = None):
        self.text, self.file = text, file
        # what the names, items and units were when the text last checked: while a statement is
        # half typed the file does not parse, and completion still knows the model
        self.known: Document | None = previous.known if previous is not None else None
        self.lines = source_lines(text)
        self.module = None
        self.index = editor_index.Index()
        self.model: Model | None = None
        self._results: dict | None = None  # scenario -> Results, once run (engine/model.py)
        self._found_running: list[Diagnostic] = []
        self.checked_diagnostics: list[Diagnostic] = []  # the parse's and the checker's
        try:
            self.module = parser(text, file)
        except ModelError as err:
            self.checked_diagnostics = list(err.diagnostics)
            return
        self.index = editor_index.build(self.module, text, previous.index if previous is not None else None)
        self.model = Model(text, file, self.module, previous=self.known.model if self.known is not None else None,
                           editing=True)
        try:
            self.checked_diagnostics = list(self.model.warnings())
        except ModelError as err:
            self.checked_diagnostics = list(err.diagnostics)
            self.model = None
            return
        self.known = self

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Everything `check` would say: the checker's, then what running every scenario finds
        (the server publishes the first part before it runs the scenarios)."""
        return self.checked_diagnostics + (self._run_all() if self.model is not None else [])

    @property
    def results(self) -> dict:
        if self.model is not None:
            self._run_all()
        return self._results or {}

    def _run_all(self) -> list[Diagnostic]:
        """Each scenario run as `check` runs it (once per Document): an evaluation error, and each
        failing check as a warning on its statement (the model is valid; its numbers disagree)."""
        if self._results is not None:
            return self._found_running
        self._results, found = {}, []
        for scenario in self.model.scenarios:
            try:
                results = self._results[scenario] = self.model.run(scenario)
            except ModelError as err:
                found += [replace(d, scenario=d.scenario or (scenario if scenario != "base" else None))
                          for d in err.diagnostics]
                continue
            spans = {c.name: c.span for c in results.model.checks}
            for c in results.checks:
                if not c["passed"]:
                    found.append(Diagnostic("check-fails", f"check \"{c['name']}\" {c['message']}"
                                            + (f" (scenario {scenario})" if scenario != "base" else ""),
                                            spans.get(c["name"]), severity="warning"))
        self._found_running = _once(found)
        return self._found_running

    # -------------------------------------------------------------- the name under the cursor

    def hover(self, line: int, col: int) -> Hover | None:
        occurrence = self.index.at(line, col)
        if occurrence is not None:
            kind, name = occurrence.symbol
            text = self._quantity(name) if kind == "quantity" else self._other(kind, name)
            return Hover(text, occurrence.span) if text else None
        word, span = self.word_at(line, col)
        if word in builtins.NAMES and self._after(span) == "(":
            return Hover(self._function(word, span), span)
        if word and self.model is not None and self._in_a_unit(span) and _is_unit(self.model, word):
            units = self.model.checked().units
            unit = units.parse(word)
            return Hover(f"`{word}`: a unit of {units.describe(unit.dimensionality)} "
                         f"({units.text(units.registry.Quantity(1, unit).to_base_units().units) or '1'} in base units)",
                         span)
        return None

    def _quantity(self, name: str) -> str:
        if self.model is None:
            return f"**{name}** ({self.index.kinds.get(name, 'quantity')}; fix the model's errors to see its unit and values)"
        checked = self.model.checked()
        q = checked.quantities.get(name)
        if q is None:  # a dimensioned quantity: its items are the quantities
            rows = checked.dimensions.names(name)
            q = checked.quantities.get(rows[0]) if rows else None
            if q is None:
                return f"**{name}**"
            name = rows[0]
        units = checked.units
        unit = "true/false" if q.unit is None else units.text(q.unit) or "a plain number"
        meaning = "" if q.unit is None else f" ({units.describe(q.unit.dimensionality)})"
        lines = [f"**{name}**: {q.kind}, {'series' if q.series else 'single value'}, {unit}{meaning}"]
        lines += [f"- {text.strip()}" for text in about(checked, q)]
        formulas = formula_lines(checked, name)
        if formulas:
            lines.append("```\n" + "\n".join(formulas[:4]) + ("\n..." if len(formulas) > 4 else "") + "\n```")
        lines += self._values(name)
        return "\n\n".join(lines)

    def _values(self, name: str) -> list[str]:
        results = self.results.get("base")
        if results is None:
            return []
        q = results.model.quantities[name]
        if q.series and results.model.timeline.per_year > 1:
            from .rollup import roll_up

            try:
                results = roll_up(results, "year")
                q = results.model.quantities[name]
            except (ValueError, KeyError):
                pass
        values = results.values.get(name)
        if values is None or q.unit is None and q.series:
            return []
        units = results.model.units
        shown, factor = report.display(q, values, units)
        cells = report.cells(values[:VALUES_SHOWN] if q.series else values[:1], q, units, factor, results.model.timeline)
        if not q.series:
            return [f"base value: **{cells[0]} {shown}**".rstrip("* ") + ("**" if cells[0] else "")]
        labels = results.model.timeline.labels()[:VALUES_SHOWN]
        head = "| " + " | ".join(map(str, labels)) + " |"
        return [f"base values ({shown or 'plain numbers'}):", head + "\n|" + "---:|" * len(labels)
                + "\n| " + " | ".join(c or "–" for c in cells) + " |"]

    def single_value(self, name: str) -> str | None:
        """The base scenario's value of a single-valued quantity as `run` shows it ("35.8 billion
        USD"); None for a series, true/false, or a model that does not run."""
        results = self.results.get("base")
        q = results.model.quantities.get(name) if results is not None else None
        if q is None or q.series or q.unit is None:
            return None
        units = results.model.units
        shown, factor = report.display(q, results.values[name], units)
        cell = report.cells(results.values[name][:1], q, units, factor, results.model.timeline)[0]
        return f"{cell} {shown}".strip() if cell else None

    def _other(self, kind: str, name: str) -> str:
        if kind == "dimension":
            items = next((s.items for s in self.module.statements if isinstance(s, ast.Dimension) and s.name == name), ())
            return f"**{name}**: a dimension of {len(items)} items: " + ", ".join(i.name for i in items)
        if kind == "item":
            owner = next((s.name for s in self.module.statements if isinstance(s, ast.Dimension)
                          and name in [i.name for i in s.items]), "?")
            return f"**{name}**: an item of the dimension `{owner}`"
        block = next((s for s in self.module.statements if isinstance(s, ast.Scenario) and s.name == name), None)
        changed = ", ".join(dict.fromkeys(eq.name for eq in block.equations)) if block else ""
        return f"**{name}**: a scenario" + (f", {block.description}" if block and block.description else "") \
            + (f"; it sets {changed}" if changed else "")

    def _function(self, name: str, span: Span) -> str:
        """The registry's row of the function the call means (min(a, b) and min(x[..]) differ)."""
        call = next((node for node in self._nodes_on(span.line)
                     if isinstance(node, ast.Call) and (node.span.line, node.span.col) == (span.line, span.col)), None)
        chosen = builtins.lookup(name, len(call.args)) if call is not None else None
        rows = [chosen] if chosen is not None else [b for b in builtins.ENTRIES if b.name == name]
        return "\n\n".join(f"`{b.signature}`: {b.meaning}. Unit: {b.units}." for b in rows)

    def _in_a_unit(self, span: Span | None) -> bool:
        """Whether the word is part of a unit as written (`USD/GW` after a number or a colon):
        `t` in x[t-1] is the period, not pint's tonne."""
        return span is not None and any(isinstance(node, (ast.Quantity, ast.UnitText)) and node.span.contains(span)
                                        for node in self._nodes_on(span.line))

    def _nodes_on(self, line: int):
        """The syntax nodes of the statements that span `line`."""
        for stmt in self.module.statements:
            if stmt.span.line <= line <= stmt.span.end_line:
                yield from editor_index.nodes(stmt)

    def word_at(self, line: int, col: int) -> tuple[str, Span | None]:
        """The name (letters, digits, _) at a 1-based position, and its span."""
        if not 0 < line <= len(self.lines):
            return "", None
        text = self.lines[line - 1]
        start = end = min(max(col - 1, 0), len(text))
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        return text[start:end], Span(self.file, line, start + 1, line, end + 1)

    def _after(self, span: Span | None) -> str:
        if span is None:
            return ""
        return self.lines[span.line - 1][span.end_col - 1:].lstrip()[:1]




def _is_unit(model: Model, word: str) -> bool:
    try:
        model.checked().units.parse(word)
        return True
    except Exception:  # pint's many errors: not a unit
        return False


def _once(found: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in found:
        key = (d.kind, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


__all__ = ["Document", "Hover", "Label"]
