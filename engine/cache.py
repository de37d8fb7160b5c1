"""Parsed models, cached on disk: an unchanged model file is not parsed twice.

Parsing is the slowest step of a run (Lark, about 25 us per token: 12 s for a 10,000-quantity
model), and most runs re-read a file that has not changed (`--set` what-ifs, scenarios, an export
after a run). The syntax tree of a successful parse is stored under a key made of the model text
and the parser's own code, so editing either one misses the cache.

A cache file is input the tool did not write in this process, so it is untrusted:
  - the folder must be the user's own and closed to others (mode 0700); otherwise the cache is
    not used, with a one-line warning;
  - every entry carries an HMAC-SHA256 of its key and contents under a random per-user key kept
    in the folder (`key`, mode 0600): an entry planted by someone else, or one copied from another
    model's key, is refused;
  - entries are read only as regular files (no symlinks, FIFOs or devices), at most
    MAX_ENTRY_BYTES, and decoded with a node budget proportional to the model text, so a small
    file of shared tuples cannot expand exponentially;
  - the format is `marshal` of plain lists, tuples and scalars: loading builds nothing but the
    syntax.py nodes named in it (no pickle, so no code runs);
  - any failure means "parse afresh", and the entry is replaced;
  - pruning deletes only files this cache wrote (its name pattern and header).

    UNITSHEET_CACHE_DIR   where the files go (default: $XDG_CACHE_HOME/unitsheet or ~/.cache/unitsheet);
                          set it to an empty string to switch the cache off.
The newest 64 entries (at most 1 GB) are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import marshal
import os
import re
import secrets
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from . import syntax as ast
from . import syntax_data
from .diagnostics import Span

FORMAT = 6  # 6: data statements (ast.Data, ast.DataRead); 5: fiscal years
MAGIC = b"USHCACHE" + bytes([FORMAT])
_DIGEST = 32
_ENTRY_NAME = re.compile(r"^[0-9a-f]{64}\.ast$")
MAX_ENTRY_BYTES = 512 * 2**20
_NODES = tuple(sorted((cls for cls in vars(ast).values()
                       if isinstance(cls, type) and dataclasses.is_dataclass(cls)
                       and cls.__module__ in (ast.__name__, syntax_data.__name__)),
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


_warned: set[str] = set()


def _warn(message: str) -> None:
    if message not in _warned:  # once per process
        _warned.add(message)
        print(f"unitsheet: warning: {message}", file=sys.stderr)


def _usable_folder(create: bool) -> Path | None:
    """The cache folder if it is safe to use: ours, a directory, closed to group and others."""
    folder = directory()
    if folder is None:
        return None
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    try:
        info = os.stat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        _warn(f"not using the parse cache in {folder}: it belongs to another user")
        return None
    if info.st_mode & 0o022:  # others could plant entries or swap the key
        _warn(f"not using the parse cache in {folder}: other users can write to it (run `chmod 700 {folder}`)")
        return None
    if info.st_mode & 0o077:  # ours, but readable by others (made by an older version): the trees hold model text
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return None
    return folder


# Reading a file of the cache (untrusted): never follow a symlink, never block on a FIFO.
_SAFE_OPEN = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _secret(folder: Path, create: bool) -> bytes | None:
    """The per-user key that authenticates entries: 32 random bytes in `key`, mode 0600."""
    path = folder / "key"
    try:
        fd = os.open(path, _SAFE_OPEN)
    except FileNotFoundError:
        if not create:
            return None
        secret = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secret)
            return secret
        except OSError:
            return None
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_size != 32 or (
                hasattr(os, "getuid") and info.st_uid != os.getuid()):
            _warn(f"not using the parse cache in {folder}: its key file is not the user's own (mode 0600)")
            return None
        return os.read(fd, 33)
    finally:
        os.close(fd)


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """The parser's code and grammar: a change to either makes every cached tree stale."""
    from . import parser, parser_data

    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in (Path(ast.__file__), Path(syntax_data.__file__), Path(parser.__file__), Path(parser_data.__file__)):
        digest.update(path.read_bytes())
    digest.update(parser.grammar_text().encode())
    return digest.digest()


def _key(text: str) -> str:
    return hashlib.sha256(_code_fingerprint() + text.encode("utf-8", "surrogatepass")).hexdigest()


def _path_for(text: str) -> Path | None:
    folder = directory()
    return None if folder is None else folder / f"{_key(text)}.ast"


def _signature(secret: bytes, key: str, payload: bytes) -> bytes:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).digest()


def _read_entry(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; never follows a symlink, never
    blocks on a FIFO, never reads a device."""
    try:
        fd = os.open(path, _SAFE_OPEN)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _entry_limit(text: str) -> int:
    return min(MAX_ENTRY_BYTES, 4096 + 200 * len(text))


def load(text: str, file: str) -> ast.Module | None:
    """The cached tree of `text` with its spans in `file`, or None (then parse afresh)."""
    folder = _usable_folder(create=False)
    if folder is None:
        return None
    secret = _secret(folder, create=False)
    if secret is None:
        return None
    key = _key(text)
    data = _read_entry(folder / f"{key}.ast", _entry_limit(text))
    if data is None or not data.startswith(MAGIC) or len(data) < len(MAGIC) + _DIGEST:
        return None
    signature, payload = data[len(MAGIC):len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST:]
    if not hmac.compare_digest(signature, _signature(secret, key, payload)):
        return None
    try:
        module = decode(marshal.loads(payload), file, budget=64 + 16 * len(text))
    except Exception:  # noqa: BLE001 - MemoryError, ValueError, TypeError...: whatever it is, parse afresh
        return None
    if not isinstance(module, ast.Module):
        return None
    return dataclasses.replace(module, file=file)


def store(text: str, module: ast.Module) -> None:
    """Write the tree (atomically; a cache that cannot be written is skipped)."""
    folder = _usable_folder(create=True)
    if folder is None:
        return
    secret = _secret(folder, create=True)
    if secret is None:
        return
    key = _key(text)
    tmp = None
    try:
        payload = marshal.dumps(encode(module))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _signature(secret, key, payload) + payload)
        os.replace(tmp, folder / f"{key}.ast")
        tmp = None
        _prune(folder, keep=folder / f"{key}.ast")
    except (OSError, ValueError, RecursionError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


MAX_FILES = 64
MAX_BYTES = 1 << 30


def _prune(folder: Path, keep: Path) -> None:
    """Each edit of a model adds a file: keep the newest MAX_FILES, at most MAX_BYTES in all.
    Only this cache's own entries are candidates: its name pattern, a regular file, its header."""
    entries = []
    for p in folder.iterdir():
        if not _ENTRY_NAME.match(p.name):
            continue
        try:
            info = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            entries.append((info.st_mtime, info.st_size, p))
    entries.sort(reverse=True)
    total = 0
    for i, (_, size, p) in enumerate(entries):
        total += size
        if p != keep and (i >= MAX_FILES or total > MAX_BYTES) and _read_entry_header(p) == MAGIC:
            try:
                p.unlink()
            except OSError:
                pass


def _read_entry_header(path: Path) -> bytes | None:
    try:
        fd = os.open(path, _SAFE_OPEN)
    except OSError:
        return None
    try:
        return os.read(fd, len(MAGIC)) if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except OSError:
        return None
    finally:
        os.close(fd)


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


class BudgetExceeded(ValueError):
    """The data holds more nodes than a parse of its text could have produced."""


def decode(data, file: str, budget: int | None = None):
    """The inverse of encode, giving every span `file`. Anything but nodes, spans, tuples and
    plain scalars is refused (TypeError). budget: the most lists and tuples to visit: marshal
    shares repeated objects, so a few kilobytes can stand for 2^60 nodes."""
    nodes, scalars = _NODES, _SCALARS
    left = budget if budget is not None else float("inf")

    def walk(x):
        nonlocal left
        left -= 1
        if left < 0:
            raise BudgetExceeded("too many nodes")
        kind = type(x)
        if kind is list:
            if x[0] == _SPAN:
                return Span(file, x[1], x[2], x[3], x[4])
            return nodes[x[0]](*[y if type(y) in scalars else walk(y) for y in x[1:]])
        if kind is tuple:
            return tuple([y if type(y) in scalars else walk(y) for y in x])
        raise TypeError("not a syntax tree")
    return data if type(data) in scalars else walk(data)
