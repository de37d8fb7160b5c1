"""The parse of the data statement and of an input's `= table.column` value (grammar/unitsheet.lark),
a part of parser.py's tree builder kept apart so that the builder stays one screenful per construct."""

from __future__ import annotations

import re

from lark import Transformer_NonRecursive, v_args

from . import syntax as ast
from .diagnostics import Diagnostic, Label

class BuildError(Exception):
    """A construct the grammar accepts and the language does not: said at its place (parser.py)."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def unquote(token) -> str:
    """A string's text. The only escapes are \\" (a quote) and \\\\ (a backslash): any other
    backslash is itself, so a Windows path reads as written (C:\\data\\new\\q1.txt)."""
    return re.sub(r'\\([\\"])', r"\1", str(token)[1:-1])


PERIOD_KEYS = ("year", "quarter", "month")  # what a period column may hold
KINDS = ("csv", "excel", "parquet", "sql")
OPTIONS = {"csv": (), "excel": ("sheet", "range"), "parquet": (), "sql": ()}


@v_args(meta=True)
class DataStatements(Transformer_NonRecursive):
    """Mixed into parser._Builder (which gives _span and _tspan)."""

    def data_stmt(self, meta, children):
        name, kind, word, target, *rest = children
        options = tuple(c for c in rest if isinstance(c, tuple) and len(c) == 3)
        keys = tuple(c for c in rest if isinstance(c, ast.DataKey))
        span = self._tspan(kind)
        if str(kind) not in KINDS:
            self._data_error(f"`{kind}` is not a kind of data source", span,
                             f"write one of: {', '.join(KINDS)}, e.g. data {name} = csv \"data/{name}.csv\" by month")
        if word is not None and not (str(kind) == "sql" and str(word) == "table"):
            self._data_error(f"`{word}` cannot stand here", self._tspan(word),
                             f"write `sql table \"{unquote(target)}\"` for a table, or `sql \"SELECT ...\"` for a "
                             "query")
        for option, _, at in options:
            if option not in OPTIONS[str(kind)]:
                allowed = OPTIONS[str(kind)]
                self._data_error(f"a {kind} source takes no `{option}`", at,
                                 f"options of {kind}: {', '.join(allowed)}" if allowed else "remove it")
        seen = set()
        for option, _, at in options:
            if option in seen:
                self._data_error(f"`{option}` is given twice", at, f"keep one `{option}`")
            seen.add(option)
        options = tuple((o, v) for o, v, _ in options) + ((("table", unquote(target)),) if word is not None else ())
        return ast.Data(str(name), str(kind), unquote(target), options, keys, self._span(meta), self._tspan(name))

    def data_option(self, meta, children):
        word, value = children
        return (str(word), unquote(value), self._tspan(word))

    def data_key(self, meta, children):
        key, column = children
        return ast.DataKey(str(key), str(column if column is not None else key), self._span(meta))

    def data_read(self, meta, children):
        token, spread = children
        table, _, column = str(token).partition(".")
        return ast.DataRead(table, column, spread is not None, self._span(meta))

    def data_spread(self, meta, children):
        return True

    def _data_error(self, message, span, hint):
        raise BuildError(Diagnostic("bad-data", message, span, (Label(span),), hint))


def data_text(stmt: ast.Data, string) -> str:
    """The statement as `unitsheet fmt` writes it (string: the formatter's quoting)."""
    options = dict(stmt.options)
    target = f"table {string(options['table'])}" if "table" in options else string(stmt.target)
    rest = "".join(f" {word} {string(value)}" for word, value in stmt.options if word != "table")
    keys = ", ".join(k.key if k.column == k.key else f"{k.key}({k.column})" for k in stmt.keys)
    return f"data {stmt.name} = {stmt.kind} {target}{rest} by {keys}"
