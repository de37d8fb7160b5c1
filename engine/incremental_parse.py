"""Parsing statement by statement, so that an edit re-parses only the statements it changed.

A model is cut into chunks where the grammar ends a statement (grammar/unitsheet.lark, `_NL` and
`_CONTINUE`; engine/postlex.py): at the start of a line outside every bracket ( ) [ ] { } (so a
scenario block is one chunk) whose first character is neither blank nor `#` and whose first word
is not a clause keyword (such a line continues the statement above it). Blank and comment lines
go with the statement above them. Strings (which may hold `#` and brackets) and comments (which
may hold anything) are skipped while cutting.

Each chunk is parsed alone by parser.py's Lark parser and tree builder, its spans placed at its
own lines, and kept by its text: the next version reuses every chunk whose text did not change
(a copy with its spans and comments shifted when lines were inserted or deleted above it) and
parses only the others. Chunks that all parse were cut where a whole parse ends statements, so
the module equals `parse(text, file)`: the statements, every span, the comments `fmt` uses.

A text that does not parse raises the ModelError `parse` raises, with every diagnostic, found
from the chunks: Lark reads the whole text before anything is built, so the first chunk Lark
refuses holds the first syntax error; it is parsed again after the text before it blanked
(spaces and newlines), so positions are the whole text's, and the further errors are found as
syntax_errors.py finds them (blank the line, parse again), each parse again statement by
statement. Else the first error building the tree, else the last statement nested too deep, as
`parse` reports them. The rare case where a chunk ends where its statement does not (Lark wants
more at the end of a chunk that is not the end of the text) is parsed whole by `parse`.
tests/test_incremental_parse.py compares both on every model, every error example and random
edits of real models.

    parser = IncrementalParser("model.ush")   # one per open document
    module = parser.parse(text)               # the first version: every statement parsed
    module = parser.parse(edited)             # later ones: only the statements whose text changed
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate, compress, repeat
from operator import not_, sub

from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import syntax as ast
from .diagnostics import Diagnostic, ModelError, Span
from .gcpause import collector_paused
from .parser import MAX_SOURCE_BYTES, _Builder, _BuildError, _check_depth, _comments, _parse_collecting, parse
from .postlex import NewlinesInBrackets
from .syntax_errors import NestedTooDeep, syntax_diagnostics, too_deep

# What a model is cut by: its brackets, line by line, once strings and comments are taken out.
_STRINGS_AND_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_BRACKETS = {c: None for c in range(128) if chr(c) not in "()[]{}\n"} | {ord("["): "(", ord("{"): "(",
                                                                          ord("]"): ")", ord("}"): ")"}
# A line that starts a statement: not blank, not a comment, not a clause (the grammar's _CONTINUE).
_STARTS = re.compile(r"[\t \f]*(?!(?:source|note|display|base|rollup|circular)\b)[^\s#]")


def split_statements(text: str) -> list[tuple[int, str]]:
    """The text cut where the grammar ends statements: (first line, chunk text) pairs in order,
    their texts joined giving `text` back.

    When every chunk parses, every cut is where a whole parse ends a statement: a chunk that
    parses has balanced brackets, so each cut is at depth 0, at a line that is not a clause. The
    cut can be wrong only in a text that does not parse: a bracket never closed (the rest of the
    text is one chunk), one closed before it is opened (counted as the post-lexer counts it,
    except within one line), a string never closed; the chunk holding the first such mistake
    does not parse, at that mistake or before it."""
    brackets = (_STRINGS_AND_COMMENTS.sub("", text) if '"' in text or "#" in text else text).translate(_BRACKETS)
    # All in C (map, accumulate, compress): a 10,000-statement model (1 MB) is cut in tens of milliseconds.
    per_line = brackets.split("\n")
    depth = list(accumulate(map(sub, map(str.count, per_line, repeat("(")), map(str.count, per_line, repeat(")")))))
    if min(depth) < 0:  # a bracket closed that was not open: the post-lexer ignores it
        depth = list(accumulate(map(sub, map(str.count, per_line, repeat("(")), map(str.count, per_line, repeat(")"))),
                                lambda above, change: max(above + change, 0)))
    lines = text.split("\n")
    outside = list(compress(range(1, len(lines)), map(not_, depth)))  # the lines that start outside brackets
    cuts = list(compress(outside, map(_STARTS.match, map(lines.__getitem__, outside))))
    ends = list(accumulate(map(len, lines)))  # the line k starts at ends[k - 1] + k
    chunks, begin, first = [], 0, 1
    for k in cuts:
        at = ends[k - 1] + k
        chunks.append((first, text[begin:at]))
        begin, first = at, k + 1
    chunks.append((first, text[begin:]))
    return chunks


@dataclass(frozen=True)
class _Piece:
    """A chunk parsed: its first line, its statements and comments with the spans of that line."""

    line: int
    statements: tuple
    comments: tuple


@dataclass(frozen=True)
class _Failed:
    """A chunk that did not parse: `syntax` (Lark or the post-lexer refused it), `build` (a bad
    period or roll-up, said while building the tree), `depth` (nested too deep), `other`."""

    kind: str
    diagnostic: Diagnostic | None = None


@dataclass
class Counts:
    """What the last parse did: chunks parsed, reused in place, reused moved; whole: the text
    was parsed whole by engine/parser.py (over the size limit, Lark wanting more at the end of a
    chunk that does not end the text, or an unexpected failure)."""

    parsed: int = 0
    reused: int = 0
    moved: int = 0
    whole: bool = False


class IncrementalParser:
    """Successive versions of one model file, each parsed reusing the statements of the last.

    parse(text) returns what engine.parser.parse(text, file) returns, or raises the same
    ModelError. Keep one per open document (a new one if the document's name changes: it is in
    every span); it holds the chunks of the last version (after a version that failed to parse,
    those of the versions before it too). Modules it returned are never changed afterwards. Not
    thread-safe, as `parse` is not (Lark's post-lexer and the comment collector are shared)."""

    def __init__(self, file: str = "<model>"):
        self.file = file
        self.counts = Counts()
        self._pieces: dict[str, _Piece] = {}

    def fork(self) -> "IncrementalParser":
        """A parser that starts from this one's chunks: for variants of one version (engine/
        diff_numbers.py parses the old model with one edit at a time made)."""
        other = IncrementalParser(self.file)
        other._pieces = dict(self._pieces)
        return other

    def parse(self, text: str) -> ast.Module:
        self.counts = Counts()
        if _too_large(text):
            return self._whole(text)
        with collector_paused():
            return self._parse_chunks(text, split_statements(text))

    def _parse_chunks(self, text: str, chunks: list[tuple[int, str]]) -> ast.Module:
        """As parse() reports failures: the first syntax error in the text (Lark parses all of it
        before building anything), else the first error building the tree, else the last
        statement nested too deep (parser.py's _check_depth walks the statements from the end)."""
        pieces: dict[str, _Piece] = {}
        statements: list = []
        comments: list = []
        build = depth = None
        at = reused = 0
        previous = self._pieces
        for index, (line, chunk) in enumerate(chunks):
            piece = previous.get(chunk)
            if piece is not None and piece.line == line:  # most statements of most edits
                reused += 1
                pieces[chunk] = piece
                statements.extend(piece.statements)
                comments.extend(piece.comments)
                at += len(chunk)
                continue
            piece = self._known(pieces, chunk, line)
            if piece is None:
                piece = _parse_chunk(chunk, line, self.file)
                self.counts.parsed += 1
            if isinstance(piece, _Failed):
                self.counts.reused, reused = self.counts.reused + reused, 0
                self._keep(pieces)
                if piece.kind == "syntax":
                    error = self._syntax_error(text, at, chunk, index == len(chunks) - 1, pieces)
                    if error is not None:
                        raise error
                if piece.kind in ("syntax", "other"):
                    return self._whole(text)
                build = build or (piece.diagnostic if piece.kind == "build" else None)
                depth = piece.diagnostic if piece.kind == "depth" else depth
            else:
                pieces[chunk] = piece
                statements.extend(piece.statements)
                comments.extend(piece.comments)
            at += len(chunk)
        self.counts.reused += reused
        if build or depth:
            raise ModelError([build or depth], {self.file: text})
        self._pieces = pieces
        return ast.Module(self.file, tuple(statements), tuple(comments))

    def _known(self, pieces: dict[str, _Piece], chunk: str, line: int) -> _Piece | None:
        """The chunk's piece from this version or the last one, moved to `line`; None if new."""
        piece = pieces.get(chunk) or self._pieces.get(chunk)
        if piece is None:
            return None
        if piece.line == line:
            self.counts.reused += 1
            return piece
        try:
            moved = _moved(piece, line)
        except RecursionError:  # a statement nested deeper than the shift can walk: parse it again
            return None
        self.counts.moved += 1
        return moved

    def _keep(self, pieces: dict[str, _Piece]) -> None:
        """After a version that failed: keep the chunks of the earlier ones too, for the next."""
        if len(self._pieces) > 4 * len(pieces) + 1000:
            self._pieces = {}
        self._pieces.update(pieces)

    def _whole(self, text: str) -> ast.Module:
        self.counts.whole = True
        return parse(text, self.file)

    def _syntax_error(self, text: str, at: int, chunk: str, last: bool, pieces: dict) -> ModelError | None:
        """The ModelError parse() raises for text whose first syntax error is in `chunk` (at
        offset `at`): the chunk is parsed again after the text before it blanked (spaces and
        newlines), so that every position is the whole text's; Lark stopped there, having
        accepted all before. The other errors come as parse() finds them (syntax_errors.py
        blanks a line and parses again), each parse again statement by statement. None: an
        error at the end of a chunk that does not end the text, where what follows decides (then
        the whole text is parsed)."""
        sources = {self.file: text}
        try:
            _parse_collecting(_blanked(text[:at]) + chunk, [])
        except NestedTooDeep as deep:
            return ModelError([too_deep(deep.token, self.file)], sources)
        except UnexpectedInput as err:
            if last or not _at_end(err):
                again = lambda changed: self._first_syntax_error(changed, pieces)  # noqa: E731
                found = syntax_diagnostics(err, text, self.file, parse_again=again,
                                           open_brackets=lambda: NewlinesInBrackets.open_brackets)
                return ModelError(found, sources)
        return None

    def _first_syntax_error(self, text: str, pieces: dict[str, _Piece]) -> None:
        """Raise the first syntax error of `text` as parser.py's _parse_collecting would
        (UnexpectedInput or NestedTooDeep), parsing only the chunks not known to parse."""
        chunks = split_statements(text)
        at = 0
        for index, (line, chunk) in enumerate(chunks):
            if chunk not in pieces and chunk not in self._pieces:
                piece = _parse_chunk(chunk, line, self.file)
                if isinstance(piece, _Piece):
                    self._pieces[chunk] = piece
                elif piece.kind in ("syntax", "other"):
                    try:
                        _parse_collecting(_blanked(text[:at]) + chunk, [])
                    except UnexpectedInput as err:
                        if index == len(chunks) - 1 or not _at_end(err):
                            raise
                    return _parse_collecting(text, [])
            at += len(chunk)
        return None


def parse_statements(text: str, file: str = "<model>") -> ast.Module:
    """parse(text, file), statement by statement (the same result, or the same ModelError)."""
    return IncrementalParser(file).parse(text)


def _too_large(text: str) -> bool:
    return len(text) * 4 > MAX_SOURCE_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES


def _parse_chunk(chunk: str, line: int, file: str) -> _Piece | _Failed:
    """The chunk's statements and comments at its lines, or how it failed."""
    tokens: list = []
    try:
        tree = _parse_collecting(chunk, tokens)
    except (UnexpectedInput, NestedTooDeep):
        return _Failed("syntax")
    except Exception:  # noqa: BLE001 - whatever else fails, the whole parse reports it as it always did
        return _Failed("other")
    try:
        builder = _Builder(file, line - 1)
        statements = builder.finish(builder.transform(tree))
        _check_depth(statements, file, {})
    except VisitError as err:
        return _Failed("build", err.orig_exc.diagnostic) if isinstance(err.orig_exc, _BuildError) else _Failed("other")
    except ModelError as err:
        return _Failed("depth", err.diagnostics[0])
    except Exception:  # noqa: BLE001
        return _Failed("other")
    comments = tuple((number + line - 1, text, own_line) for number, text, own_line in _comments(tokens, chunk))
    return _Piece(line, statements, comments)


def _blanked(text: str) -> str:
    """Text with every character but newlines a space: the same lines and columns, no tokens."""
    return "\n".join(" " * len(line) for line in text.split("\n"))


def _at_end(err: UnexpectedInput) -> bool:
    """Lark reached the end of the chunk (which may not be the end of the text)."""
    return isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END")


# ------------------------------------------------------------------ a chunk moved to other lines

_PLAIN = frozenset({str, int, float, bool, type(None), ast.PeriodLabel})  # hold no span


def _moved(piece: _Piece, line: int) -> _Piece:
    delta = line - piece.line
    statements = tuple(_shifted(s, delta) for s in piece.statements)
    comments = tuple((number + delta, text, own_line) for number, text, own_line in piece.comments)
    return _Piece(line, statements, comments)


def _shifted(node, delta: int):
    """A copy of a syntax node or a tuple of them with every span `delta` lines lower. Nodes are
    frozen and shared with the module of the earlier version, so they are copied, never changed;
    the copy is made field by field from the instance dictionary (the dataclasses' __init__ and
    their frozen __setattr__ would double the time of moving a 10,000-statement model)."""
    if type(node) is tuple:
        return tuple([value if type(value) in _PLAIN else _shifted(value, delta) for value in node])
    fields = node.__dict__.copy()
    for name, value in fields.items():
        kind = type(value)
        if kind is Span:
            old = value.__dict__
            if old["line"] == 1 and old["end_line"] == 1 and old["end_col"] == 1:
                continue  # the parser's span of a rule that matched nothing: the same at any line
            span = _new(Span)
            _set(span, "__dict__", {"file": old["file"], "line": old["line"] + delta, "col": old["col"],
                                    "end_line": old["end_line"] + delta, "end_col": old["end_col"]})
            fields[name] = span
        elif kind not in _PLAIN:
            fields[name] = _shifted(value, delta)
    copy = _new(type(node))
    _set(copy, "__dict__", fields)
    return copy


_new, _set = object.__new__, object.__setattr__
