"""`unitsheet lsp` driven by a real client over stdio (pygls's LanguageClient talking to a
`python -m engine lsp` process), on the real models: diagnostics as you type (an edit into a
unit error is reported at its range, and cleared by the fix), hover, definition, references,
rename, completion, formatting, inlay hints, the outline and the quick fixes. And the
in-process Document (engine/editor.py) over every golden error and the fuzz corpus: it never
raises."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from conftest import ROOT
from unitsheet.engine.editor import Document

OPENAI = ROOT / "models" / "openai_capex.ush"
PROJECT = ROOT / "models" / "datacenter_project.ush"


class Session:
    """One server process, one open document; requests by (0-based line, column)."""

    def __init__(self, path: Path, text: str | None = None, options: dict | None = None):
        self.path, self.uri, self.options = path, path.as_uri(), options
        self.text = path.read_text(encoding="utf-8") if text is None else text
        self.version = 1
        self.client = LanguageClient("unitsheet-tests", "1")
        self.diagnostics: asyncio.Queue = asyncio.Queue()
        self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: self.diagnostics.put_nowait(params))

    async def __aenter__(self):
        await self.client.start_io(sys.executable, "-m", "unitsheet", "lsp", cwd=str(ROOT))
        await self.client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(),
                                                                root_uri=ROOT.as_uri(),
                                                                initialization_options=self.options))
        self.client.initialized(lsp.InitializedParams())
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(self.uri, "unitsheet", self.version, self.text)))
        return self

    async def __aexit__(self, *exc):
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def published(self) -> list[lsp.Diagnostic]:
        return list((await asyncio.wait_for(self.diagnostics.get(), 60)).diagnostics)

    def replace_line(self, line: int, new: str) -> None:
        old = self.text.splitlines()[line]
        self.version += 1
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(old))), text=new)
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri), [change]))
        lines = self.text.splitlines()
        lines[line] = new
        self.text = "\n".join(lines) + "\n"

    def replace_all(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    def at(self, line: int, character: int) -> dict:
        return {"text_document": lsp.TextDocumentIdentifier(self.uri), "position": lsp.Position(line, character)}


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if line.startswith(start))


def run(coroutine):
    return asyncio.run(coroutine)


def test_an_edit_into_a_unit_error_is_reported_at_its_range_and_the_fix_clears_it():
    async def go():
        async with Session(OPENAI) as s:
            assert await s.published() == []
            line = line_of(s.text, "cash_balance[2026-03..]")
            good = s.text.splitlines()[line]
            s.replace_line(line, good.replace(" * period_length()", ""))
            found = await s.published()
            assert len(found) == 1 and found[0].code == "unit-mismatch"
            d = found[0]
            assert d.severity == lsp.DiagnosticSeverity.Error and d.range.start.line == line
            text = s.text.splitlines()[line]
            assert text[d.range.start.character:d.range.end.character].startswith("cash_balance[t-1] + (")
            assert "\nhint: " in d.message  # the hint is the message's second part
            assert {r.message for r in d.related_information} >= {"USD", "USD/year"}  # both operands
            s.replace_line(line, good)
            assert await s.published() == []
    run(go())


def test_hover_definition_references_and_rename_on_a_real_model():
    async def go():
        async with Session(OPENAI) as s:
            await s.published()
            line = line_of(s.text, "commitment_capacity_gw = commitments_total / cost_per_gw")
            col = s.text.splitlines()[line].index("cost_per_gw")
            hover = await s.client.text_document_hover_async(lsp.HoverParams(**s.at(line, col + 2)))
            assert "**cost_per_gw**: input, single value, USD / gigawatt (money per power)" in hover.contents.value
            assert "base value: **55.00 billion USD/GW**" in hover.contents.value
            where = await s.client.text_document_definition_async(lsp.DefinitionParams(**s.at(line, col)))
            assert where.range.start.line == line_of(s.text, "input cost_per_gw")
            refs = await s.client.text_document_references_async(lsp.ReferenceParams(
                **s.at(line, col), context=lsp.ReferenceContext(include_declaration=True)))
            uses = sum(1 for line_text in s.text.splitlines() for _ in _names(line_text, "cost_per_gw"))
            assert len(refs) == uses  # every use, the scenarios' and the correlation's included
            edit = await s.client.text_document_rename_async(lsp.RenameParams(**s.at(line, col), new_name="build_cost"))
            renamed = _apply(s.text, edit.changes[s.uri])
            assert "cost_per_gw" not in renamed.replace("stargate_cost_per_gw_implied", "")
            assert Document(renamed, str(OPENAI)).diagnostics == []  # the renamed model is still valid
    run(go())


def _names(text: str, name: str):
    import re

    return re.finditer(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_])", text.split("#")[0] if '"' not in text else text)


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.splitlines(keepends=True) + [""]  # a position at the end of the text
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a, b = e.range.start, e.range.end
        line = lines[a.line]
        lines[a.line] = line[:a.character] + e.new_text + lines[b.line][b.character:]
        del lines[a.line + 1:b.line + 1]
    return "".join(lines)


def test_completion_offers_quantities_items_periods_units_functions_and_clauses():
    """While a statement is half typed the file does not parse: completion answers from the
    last version that checked."""
    async def go():
        async with Session(OPENAI) as s:
            await s.published()
            s.replace_all(s.text + "check \"new\": round_immediate[\n")
            assert [d.code for d in await s.published()] == ["syntax-error"]
            last = len(s.text.splitlines()) - 1
            inside = await s.client.text_document_completion_async(lsp.CompletionParams(
                **s.at(last, len('check "new": round_immediate['))))
            labels = {i.label: i.kind for i in inside.items}
            assert labels["microsoft"] == lsp.CompletionItemKind.EnumMember and labels["2027-03"] == lsp.CompletionItemKind.Constant
            anywhere = await s.client.text_document_completion_async(lsp.CompletionParams(**s.at(last, 0)))
            assert "input" in {i.label for i in anywhere.items}
    run(go())


def test_formatting_inlay_hints_outline_and_a_quick_fix(tmp_path):
    path = tmp_path / "m.ush"
    text = ('model "m"\ntimeline 2025-01..2025-12 monthly\n# ---- Money ----\ninput price = 10 USD\n'
            "input units = 5\nstock[2025-01..] = units*price\nsales = price * units / 1 month\n")

    async def go():
        async with Session(path, text) as s:
            found = await s.published()
            assert [d.code for d in found] == ["missing-rollup"]  # stock: a level or an amount?
            actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(s.uri), found[0].range, lsp.CodeActionContext(diagnostics=found)))
            titles = [a.title for a in actions]
            assert "add `rollup last` under `stock`" in titles
            fixed = _apply(s.text, actions[titles.index("add `rollup last` under `stock`")].edit.changes[s.uri])
            assert "stock[2025-01..] = units*price\n    rollup last\n" in fixed
            s.replace_all(fixed)
            assert await s.published() == []
            edits = await s.client.text_document_formatting_async(lsp.DocumentFormattingParams(
                lsp.TextDocumentIdentifier(s.uri), lsp.FormattingOptions(4, True)))
            assert "stock[2025-01..] = units * price" in _apply(s.text, edits)
            line = line_of(s.text, "sales =")
            s.replace_line(line, "sales = price*units/1 month")
            await s.published()
            edits = await s.client.text_document_range_formatting_async(lsp.DocumentRangeFormattingParams(
                lsp.TextDocumentIdentifier(s.uri), lsp.Range(lsp.Position(line, 3), lsp.Position(line, 5)),
                lsp.FormattingOptions(4, True)))
            after = _apply(s.text, edits)
            assert "sales = price * units / 1 month\n" in after and "stock[2025-01..] = units*price\n" in after
            hints = await s.client.text_document_inlay_hint_async(lsp.InlayHintParams(
                lsp.TextDocumentIdentifier(s.uri), lsp.Range(lsp.Position(0, 0), lsp.Position(9, 0))))
            assert [h.label for h in hints] == [": USD", ": USD/month", " = 50.00 USD/month"]
            assert hints[-1].position == lsp.Position(line, len("sales = price*units/1 month"))  # after the value
            outline = await s.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
                lsp.TextDocumentIdentifier(s.uri)))
            assert outline[0].name == "Money" and [c.name for c in outline[0].children][:2] == ["price", "units"]
    run(go())


def test_the_values_of_single_values_are_hints_unless_the_client_turns_them_off(tmp_path):
    path = tmp_path / "m.ush"
    text = 'model "m"\ntimeline 2025..2026 yearly\ninput price = 10 USD\ncost = price * 3\n'

    async def labels(options):
        async with Session(path, text, options) as s:
            await s.published()
            hints = await s.client.text_document_inlay_hint_async(lsp.InlayHintParams(
                lsp.TextDocumentIdentifier(s.uri), lsp.Range(lsp.Position(0, 0), lsp.Position(4, 0))))
            return [h.label for h in hints]

    assert run(labels(None)) == [": USD", " = 30.00 USD"]
    assert run(labels({"valueHints": False})) == [": USD"]


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "errors").glob("*.ush"))
                         + sorted((ROOT / "tests" / "fuzz_regressions").glob("*")), ids=lambda p: p.name)
def test_the_editor_never_raises_on_a_broken_model(path):
    text = path.read_bytes().decode("utf-8", errors="replace")
    doc = Document(text, str(path))
    for line in range(1, min(len(doc.lines), 40) + 1):  # every question, everywhere, answers or says nothing
        for col in (1, 5, 12):
            doc.hover(line, col)
    from unitsheet.engine import editor_actions

    editor_actions.completions(doc, 1, 1)
    editor_actions.inlay_hints(doc, values=True)
    editor_actions.symbols(doc)
    for d in doc.diagnostics:
        editor_actions.fixes(doc, d)


def test_hover_names_a_functions_registry_row_and_a_units_dimension():
    text = OPENAI.read_text(encoding="utf-8")
    doc = Document(text, str(OPENAI))
    line = next(i for i, t in enumerate(doc.lines, 1) if t.startswith("funding_gap = max("))
    col = doc.lines[line - 1].index("min(") + 2
    assert doc.hover(line, col).text.startswith("`min(x[a..b])`")  # the reduction: one argument
    col = doc.lines[line - 1].index("max(") + 2
    assert "`max(a, b, ...)`" in doc.hover(line, col).text  # the element-wise one: two
    line = next(i for i, t in enumerate(doc.lines, 1) if t.startswith("input cost_per_gw"))
    col = doc.lines[line - 1].index("USD/GW") + 5
    hover = doc.hover(line, col)
    assert hover.text.startswith("`GW`: a unit of power")


def test_rename_refuses_a_name_the_model_already_has_or_that_is_not_a_name():
    async def go():
        async with Session(OPENAI) as s:
            await s.published()
            line = line_of(s.text, "input cost_per_gw")
            for new in ("funding_gap", "2cost", "cost per gw"):
                with pytest.raises(Exception, match="already a quantity|is not a name"):
                    await s.client.text_document_rename_async(lsp.RenameParams(**s.at(line, 8), new_name=new))
    run(go())


def _apply_fix(text: str, fix) -> str:
    lines = text.splitlines(keepends=True) + [""]
    for span, new in sorted(fix.edits, key=lambda e: (e[0].line, e[0].col), reverse=True):
        line = lines[span.line - 1]
        lines[span.line - 1] = line[:span.col - 1] + new + lines[span.end_line - 1][span.end_col - 1:]
        del lines[span.line:span.end_line]
    return "".join(lines)


@pytest.mark.parametrize("body, title", [
    ("input burn = 10 USD/year\ncash[2025] = 100 USD\ncash[2026..] = cash[t-1] - burn\n",
     "multiply by a period: add `* 1 year`"),
    ("input rate = 5 %\ndebt[2025] = 100 USD\ndebt[2026..] = debt[t-1] + interest[t]\n"
     "interest[2026..] = rate * (debt[t-1] + debt) / 2\n", "declare the loop `circular`"),
])
def test_each_mechanical_fix_gives_a_model_that_checks(body, title):
    from unitsheet.engine import editor_actions

    text = 'model "m"\ntimeline 2025..2028 yearly\n' + body
    doc = Document(text, "m.ush")
    assert doc.diagnostics, "the model must be wrong to begin with"
    fix = next(f for d in doc.diagnostics for f in editor_actions.fixes(doc, d) if f.title == title)
    fixed = Document(_apply_fix(text, fix), "m.ush")
    assert [d.message for d in fixed.diagnostics if d.severity == "error"] == []


def test_the_checkers_diagnostics_come_first_then_what_running_the_scenarios_finds(tmp_path):
    path = tmp_path / "m.ush"
    text = ('model "m"\ntimeline 2025..2027 yearly\ninput price = 10 USD\n'
            'check "price is small": price < 5 USD\nscenario cheap {\n    price = 4 USD\n}\n')

    async def go():
        async with Session(path, text) as s:
            assert await s.published() == []  # the checker has nothing to say
            found = await s.published()  # then the base case runs, and its check fails
            assert [(d.code, d.severity, d.range.start.line) for d in found] == \
                [("check-fails", lsp.DiagnosticSeverity.Warning, 3)]
            assert found[0].message.startswith('check "price is small" fails')
    run(go())


def test_the_name_index_of_an_edited_version_reuses_what_did_not_change_and_equals_a_fresh_one():
    from unitsheet.engine import editor_index
    from unitsheet.engine.incremental_parse import IncrementalParser

    text = OPENAI.read_text(encoding="utf-8")
    parser = IncrementalParser(str(OPENAI))
    before = Document(text, str(OPENAI), parser=lambda t, _: parser.parse(t))
    for edit in ("funding_gap = max(0 USD, -min(cash_balance[2026-02..2033-12]))",):
        edited = text.replace(edit, edit + " * 1")  # one statement changed, names unchanged
        after = Document(edited, str(OPENAI), parser=lambda t, _: parser.parse(t), previous=before)
        fresh = editor_index.build(after.module, edited)
        assert after.index.occurrences == fresh.occurrences
        reused = sum(1 for k, (stmt, _) in after.index.of_statement.items()
                     if k in before.index.of_statement and before.index.of_statement[k][0] is stmt)
        assert reused == len(after.module.statements) - 1
    renamed = text.replace("cost_per_gw", "build_cost")  # the names changed: nothing is lent
    after = Document(renamed, str(OPENAI), parser=lambda t, _: parser.parse(t), previous=before)
    assert after.index.occurrences == editor_index.build(after.module, renamed).occurrences


def test_a_line_separator_inside_a_comment_moves_no_position():
    """U+2028 (or U+0085, a form feed) in a comment is not a line end for the parser or the
    protocol; str.splitlines() made it one, so every line below read the line above it."""
    text = 'model "m"\ntimeline 2025..2027 yearly\n# a\u2028b\ninput a = 1 USD\nb = a * 2 + zz\n'
    doc = Document(text, "m.ush")
    assert doc.word_at(4, 1)[0] == "input" and doc.word_at(5, 13)[0] == "zz"
    [d] = doc.diagnostics
    assert (d.span.line, d.span.col) == (5, 13)
    from unitsheet.engine.diagnostics import render_text

    assert "5 | b = a * 2 + zz" in render_text(d, {"m.ush": text})
