"""`unitsheet lsp`: the language server (pygls over stdio). It holds one Document per open file
and version (engine/editor.py) and answers the protocol from it: diagnostics as you type,
hover, inlay hints, definition, references, rename, completion, the outline, formatting and the
mechanical fixes (engine/editor_actions.py). Each handler turns positions and spans between the
protocol (0-based lines, UTF-16 columns) and the engine (1-based lines and code-point columns).

The server never dies on a model: a handler that fails answers nothing and logs why."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from . import editor_actions
from .diagnostics import Diagnostic, Span
from .editor import Document
from .formatter import format_module
from .gcpause import collector_paused
from .incremental_parse import IncrementalParser

log = logging.getLogger(__name__)
SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
            "note": lsp.DiagnosticSeverity.Information}
KIND = {"quantity": lsp.CompletionItemKind.Variable, "item": lsp.CompletionItemKind.EnumMember,
        "period": lsp.CompletionItemKind.Constant, "unit": lsp.CompletionItemKind.Unit,
        "function": lsp.CompletionItemKind.Function, "keyword": lsp.CompletionItemKind.Keyword,
        "dimension": lsp.CompletionItemKind.Enum}
SYMBOL = {"input": lsp.SymbolKind.Constant, "formula": lsp.SymbolKind.Variable, "dimension": lsp.SymbolKind.Enum,
          "scenario": lsp.SymbolKind.Namespace, "check": lsp.SymbolKind.Boolean, "chart": lsp.SymbolKind.Event,
          "section": lsp.SymbolKind.Module}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

server = LanguageServer("unitsheet", "1", text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
_documents: dict[str, tuple[int | None, Document]] = {}
_options: dict = {}  # the client's initializationOptions: {"valueHints": false} turns the values off
_parsers: dict[str, IncrementalParser] = {}  # per open file: an edit re-parses only the statements it changed


def document(uri: str) -> Document:
    """The Document of the open file's current text, built once per version."""
    text_document = server.workspace.get_text_document(uri)
    cached = _documents.get(uri)
    if cached is not None and cached[0] == text_document.version and cached[1].text == text_document.source:
        return cached[1]
    file = text_document.path or uri
    if uri not in _parsers or _parsers[uri].file != file:
        _parsers[uri] = IncrementalParser(file)
    with collector_paused():  # a 10,000-quantity model's objects: a full collection is a second
        doc = Document(text_document.source, file, parser=lambda text, _: _parsers[uri].parse(text),
                       previous=cached[1] if cached else None)
    _documents[uri] = (text_document.version, doc)
    return doc


def safe(handler):
    """A failing handler answers nothing (and logs why) rather than stopping the server."""
    @functools.wraps(handler)
    def wrapped(ls, params):
        try:
            return handler(ls, params)
        except Exception:  # a bug here must not end the editing session
            log.exception("unitsheet lsp: %s failed", handler.__name__)
            return None
    return wrapped


# ------------------------------------------------------------------------------ positions


def to_range(doc: Document, span: Span | None) -> lsp.Range:
    if span is None:
        return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    return lsp.Range(_position(doc, span.line, span.col), _position(doc, span.end_line, span.end_col))


def _position(doc: Document, line: int, col: int) -> lsp.Position:
    text = doc.lines[line - 1] if 0 < line <= len(doc.lines) else ""
    return lsp.Position(max(line - 1, 0), len(text[:max(col - 1, 0)].encode("utf-16-le")) // 2)


def from_position(doc: Document, position: lsp.Position) -> tuple[int, int]:
    """(1-based line, 1-based code-point column) of a protocol position."""
    text = doc.lines[position.line] if position.line < len(doc.lines) else ""
    units = col = 0
    while col < len(text) and units < position.character:
        units += 2 if ord(text[col]) > 0xFFFF else 1
        col += 1
    return position.line + 1, col + 1


def to_diagnostic(doc: Document, uri: str, d: Diagnostic) -> lsp.Diagnostic:
    """The message, the hint as its second line, every label as related information."""
    message = d.message + (f" (scenario {d.scenario})" if d.scenario else "")
    message += "".join(f"\nnote: {n}" for n in d.notes) + (f"\nhint: {d.hint}" if d.hint else "")
    related = [lsp.DiagnosticRelatedInformation(lsp.Location(uri, to_range(doc, label.span)), label.text or d.message)
               for label in d.labels if label.span is not None and label.span != d.span or label.text]
    return lsp.Diagnostic(to_range(doc, d.span), message, severity=SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Error),
                          code=d.kind, source="unitsheet", related_information=related or None)


async def publish(ls: LanguageServer, uri: str) -> None:
    """The checker's diagnostics as soon as the text is checked; then, unless the text changed in
    the meantime, everything running the scenarios adds (evaluation errors, failing checks)."""
    try:
        doc = document(uri)
        _send(ls, uri, doc, doc.checked_diagnostics)
        if doc.model is None:
            return
        await asyncio.sleep(0)  # let a newer edit in: running this version would then be wasted
        if _documents.get(uri, (None, None))[1] is doc and server.workspace.get_text_document(uri).source == doc.text:
            if doc.diagnostics != doc.checked_diagnostics:
                _send(ls, uri, doc, doc.diagnostics)
    except Exception:  # the model could not be read at all: say nothing rather than stop
        log.exception("unitsheet lsp: checking %s failed", uri)


def _send(ls: LanguageServer, uri: str, doc: Document, found: list[Diagnostic]) -> None:
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
        uri=uri, diagnostics=[to_diagnostic(doc, uri, d) for d in found]))


@server.feature(lsp.INITIALIZE)
def initialize(ls, params: lsp.InitializeParams):
    _options.clear()
    if isinstance(params.initialization_options, dict):
        _options.update(params.initialization_options)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls, params: lsp.DidOpenTextDocumentParams):
    await publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls, params: lsp.DidChangeTextDocumentParams):
    await publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls, params: lsp.DidSaveTextDocumentParams):
    await publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls, params: lsp.DidCloseTextDocumentParams):
    _documents.pop(params.text_document.uri, None)
    _parsers.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


# ------------------------------------------------------------------------------ the cursor


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@safe
def hover(ls, params: lsp.HoverParams):
    doc = document(params.text_document.uri)
    found = doc.hover(*from_position(doc, params.position))
    if found is None:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, found.text), to_range(doc, found.span))


def _occurrence(doc: Document, position: lsp.Position):
    return doc.index.at(*from_position(doc, position))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@safe
def definition(ls, params: lsp.DefinitionParams):
    doc = document(params.text_document.uri)
    here = _occurrence(doc, params.position)
    target = doc.index.definition(here.symbol) if here is not None else None
    return lsp.Location(params.text_document.uri, to_range(doc, target.span)) if target else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@safe
def references(ls, params: lsp.ReferenceParams):
    doc = document(params.text_document.uri)
    here = _occurrence(doc, params.position)
    if here is None:
        return []
    return [lsp.Location(params.text_document.uri, to_range(doc, o.span)) for o in doc.index.of(here.symbol)
            if params.context.include_declaration or not o.definition]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@safe
def prepare_rename(ls, params: lsp.PrepareRenameParams):
    doc = document(params.text_document.uri)
    here = _occurrence(doc, params.position)
    return to_range(doc, here.span) if here is not None else None


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(ls, params: lsp.RenameParams):
    doc = document(params.text_document.uri)
    here = _occurrence(doc, params.position)
    if here is None:
        return None
    kind, old = here.symbol
    if not NAME.match(params.new_name):
        raise ValueError(f"`{params.new_name}` is not a name: letters, digits and _, not starting with a digit")
    if params.new_name != old and params.new_name in doc.index.names(kind):
        raise ValueError(f"`{params.new_name}` is already a {kind} of the model")
    edits = [lsp.TextEdit(to_range(doc, o.span), params.new_name) for o in doc.index.of(here.symbol)]
    return lsp.WorkspaceEdit(changes={params.text_document.uri: edits})


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["[", " ", ","]))
@safe
def completion(ls, params: lsp.CompletionParams):
    doc = document(params.text_document.uri)
    items = [lsp.CompletionItem(c.label, kind=KIND.get(c.kind), detail=c.detail or None, insert_text=c.insert)
             for c in editor_actions.completions(doc, *from_position(doc, params.position))]
    return lsp.CompletionList(is_incomplete=False, items=items)


# ------------------------------------------------------------------------------ the whole file


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
@safe
def inlay_hint(ls, params: lsp.InlayHintParams):
    doc = document(params.text_document.uri)
    return [lsp.InlayHint(to_range(doc, span).end, label, kind=None if value else lsp.InlayHintKind.Type)
            for span, label, value in editor_actions.inlay_hints(doc, values=_option("valueHints", True))]


def _option(name: str, default):
    """A setting the client sent in `initializationOptions` (editors/vscode/README.md)."""
    value = _options.get(name, default)
    return value if isinstance(value, type(default)) else default


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@safe
def document_symbol(ls, params: lsp.DocumentSymbolParams):
    doc = document(params.text_document.uri)

    def convert(entry):
        title, kind, span, children = entry
        where = to_range(doc, span)
        return lsp.DocumentSymbol(title or "(untitled)", SYMBOL.get(kind, lsp.SymbolKind.Variable), where, where,
                                  detail=kind, children=[convert(c) for c in children] or None)
    return [convert(e) for e in editor_actions.symbols(doc)]


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@safe
def formatting(ls, params: lsp.DocumentFormattingParams):
    doc = document(params.text_document.uri)
    if doc.module is None:
        return None  # a file that does not parse is left as it is
    new = format_module(doc.module)
    if new == doc.text:
        return []
    end = lsp.Position(len(doc.lines), 0) if doc.text.endswith(("\n", "\r")) or not doc.lines else \
        _position(doc, len(doc.lines), len(doc.lines[-1]) + 1)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), new)]


@server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
@safe
def range_formatting(ls, params: lsp.DocumentRangeFormattingParams):
    """The whole statements the range touches, formatted as `fmt` formats them (with the comments
    inside them); the rest of the file is left as it is."""
    doc = document(params.text_document.uri)
    if doc.module is None:
        return None
    first = params.range.start.line + 1
    last = params.range.end.line + (0 if params.range.end.character == 0 and params.range.end.line > params.range.start.line else 1)
    chosen = tuple(st for st in doc.module.statements if st.span.line <= last and st.span.end_line >= first)
    if not chosen:
        return []
    top, bottom = chosen[0].span.line, chosen[-1].span.end_line
    comments = tuple(c for c in doc.module.comments if top <= c[0] <= bottom)
    new = format_module(dataclasses.replace(doc.module, statements=chosen, comments=comments))
    old = "\n".join(doc.lines[top - 1:bottom]) + "\n"
    if new == old:
        return []
    return [lsp.TextEdit(lsp.Range(lsp.Position(top - 1, 0), lsp.Position(bottom, 0)), new)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
@safe
def code_action(ls, params: lsp.CodeActionParams):
    doc = document(params.text_document.uri)
    wanted = {(d.range.start.line, d.code) for d in params.context.diagnostics}
    out = []
    for d in doc.diagnostics:
        if wanted and (to_range(doc, d.span).start.line, d.kind) not in wanted:
            continue
        for fix in editor_actions.fixes(doc, d):
            edits = [lsp.TextEdit(to_range(doc, span), text) for span, text in fix.edits]
            out.append(lsp.CodeAction(fix.title, kind=lsp.CodeActionKind.QuickFix,
                                      diagnostics=[to_diagnostic(doc, params.text_document.uri, d)],
                                      edit=lsp.WorkspaceEdit(changes={params.text_document.uri: edits})))
    return out


def main() -> int:
    """Serve over the process's own stdin and stdout (the command line wraps sys.stdout to escape
    what it prints; the protocol's bytes go around it)."""
    import sys

    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # to stderr: stdout is the protocol
    server.start_io(sys.__stdin__.buffer, sys.__stdout__.buffer)
    return 0
