"""Parsed models, cached on disk: an unchanged model file is not parsed twice.

Parsing is the slowest step of a run (Lark, about 25 us per token: 12 s for a 10,000-quantity
model), and most runs re-read a file that has not changed (`--set` what-ifs, scenarios, an export
after a run). The syntax tree of a successful parse is stored under a key made of the model text
and the parser's own code, so editing either one misses the cache.

The format is `marshal` of plain lists, tuples and scalars: loading it can build nothing but the
syntax.py nodes named in it (no pickle, so a tampered cache file cannot run code). A cache file
that cannot be read is ignored and replaced.

    UNITSHEET_CACHE_DIR   where the files go (default: $XDG_CACHE_HOME/unitsheet or ~/.cache/unitsheet);
                          set it to an empty string to switch the cache off.
The newest 64 files (at most 1 GB) are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from . import syntax as ast
from .diagnostics import Span

FORMAT = 1
_NODES = tuple(sorted((cls for cls in vars(ast).values()
                       if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == ast.__name__),
                      key=lambda cls: cls.__name__))
_INDEX = {cls: i for i, cls in enumerate(_NODES)}
_FIELDS = [tuple(f.name for f in dataclasses.fields(cls)) for cls in _NODES]
_SPAN = -1


def directory() -> Path | None:
    configured = os.environ.get("UNITSHEET_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "unitsheet"


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """The parser's code and grammar: a change to either makes every cached tree stale."""
    from . import parser

    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in (Path(ast.__file__), Path(parser.__file__)):
        digest.update(path.read_bytes())
    digest.update(parser.grammar_text().encode())
    return digest.digest()


def _path_for(text: str) -> Path | None:
    folder = directory()
    if folder is None:
        return None
    key = hashlib.sha256(_code_fingerprint() + text.encode("utf-8", "surrogatepass")).hexdigest()
    return folder / f"{key}.ast"


def load(text: str, file: str) -> ast.Module | None:
    """The cached tree of `text` with its spans in `file`, or None."""
    path = _path_for(text)
    if path is None:
        return None
    try:
        module = decode(marshal.loads(path.read_bytes()), file)
        if not isinstance(module, ast.Module):
            return None
        return dataclasses.replace(module, file=file)
    except (OSError, ValueError, EOFError, TypeError, IndexError, KeyError, RecursionError):
        return None


def store(text: str, module: ast.Module) -> None:
    """Write the tree (atomically; a cache that cannot be written is skipped)."""
    path = _path_for(text)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps(encode(module)))
        os.replace(tmp, path)
        _prune(path.parent, keep=path)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


MAX_FILES = 64
MAX_BYTES = 1 << 30


def _prune(folder: Path, keep: Path) -> None:
    """Each edit of a model adds a file: keep the newest MAX_FILES, at most MAX_BYTES in all."""
    entries = []
    for p in folder.glob("*.ast"):
        try:
            stat = p.stat()
        except OSError:
            continue
        entries.append((stat.st_mtime, stat.st_size, p))
    entries.sort(reverse=True)
    total = 0
    for i, (_, size, p) in enumerate(entries):
        total += size
        if p != keep and (i >= MAX_FILES or total > MAX_BYTES):
            try:
                p.unlink()
            except OSError:
                pass


def encode(node):
    """Node -> [class index, fields...]; Span -> [-1, line, col, end_line, end_col] (the file is
    the model's, given back at decode); tuples stay tuples; scalars stay scalars."""
    if isinstance(node, Span):
        return [_SPAN, node.line, node.col, node.end_line, node.end_col]
    if isinstance(node, tuple):
        return tuple(encode(x) for x in node)
    index = _INDEX.get(type(node))
    if index is None:
        return node
    return [index] + [encode(getattr(node, name)) for name in _FIELDS[index]]


_SCALARS = (str, int, float, bool, type(None))


def decode(data, file: str):
    """The inverse of encode, giving every span `file`. Anything but nodes, spans, tuples and
    plain scalars is refused (TypeError)."""
    nodes, scalars = _NODES, _SCALARS

    def walk(x):
        kind = type(x)
        if kind is list:
            if x[0] == _SPAN:
                return Span(file, x[1], x[2], x[3], x[4])
            return nodes[x[0]](*[y if type(y) in scalars else walk(y) for y in x[1:]])
        if kind is tuple:
            return tuple([y if type(y) in scalars else walk(y) for y in x])
        raise TypeError("not a syntax tree")
    return data if type(data) in scalars else walk(data)
