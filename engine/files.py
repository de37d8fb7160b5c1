"""Every file the tool writes goes through here: checked first, written whole or not at all.

    with replacing(path, inputs=[model_path]) as tmp:   # tmp: a new private file beside the target
        write(tmp)                                      # renamed over the target on success only

- The output may not be one of the command's inputs (`export m.ush -o m.ush` would destroy the
  model): same file after resolving links.
- A path that is empty, a directory, in a missing or unwritable folder, or whose name is too long
  is a usage error before any work is done.
- The temporary file is made by mkstemp in the target's folder (never a fixed name another
  process or a planted symlink could own), so concurrent writers cannot clash; it is removed on
  any failure, KeyboardInterrupt and SIGTERM included (the command line turns SIGTERM into an
  exception, engine/cli.py).
- A symlinked target is written through: the file it points to is replaced and the link stays.
- The result keeps the replaced file's permission bits; a new file gets the umask's.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .diagnostics import Diagnostic, ModelError

NAME_MAX = 255  # bytes of one file name on common file systems
TMP_PREFIX, TMP_SUFFIX = ".unitsheet-", ".tmp"
STALE_SECONDS = 3600  # a temporary file this old was left by a writer that was killed (SIGKILL, power)


def _refuse(message: str, hint: str | None = None):
    raise ModelError([Diagnostic("output", message, None, hint=hint)])


def check_output(path, inputs=()) -> Path:
    """The real file to replace for output `path` (links resolved), or a usage error."""
    if path is None or str(path).strip() == "":
        _refuse("the output path is empty", "give a file name, e.g. -o model.xlsx")
    path = Path(path)
    if len(path.name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        _refuse(f"cannot write {_short(path)}: the file name is longer than {NAME_MAX} bytes", "choose a shorter name")
    try:
        return _checked_target(path, inputs)
    except OSError as err:
        _refuse(f"cannot write {_short(path)}: {err.strerror or err}")


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def _checked_target(path: Path, inputs) -> Path:
    target = Path(os.path.realpath(path))
    if target.is_dir():
        _refuse(f"cannot write {path}: it is a folder", f"give a file name inside it, e.g. {path / 'out'}")
    if len(target.name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        _refuse(f"cannot write {_short(path)}: the file name is longer than {NAME_MAX} bytes", "choose a shorter name")
    folder = target.parent
    if not folder.is_dir():
        _refuse(f"cannot write {path}: folder {folder} does not exist", "create it first, or write elsewhere")
    if not os.access(folder, os.W_OK | os.X_OK):
        _refuse(f"cannot write {path}: folder {folder} is not writable")
    if target.exists() and not stat.S_ISREG(os.stat(target).st_mode):
        _refuse(f"cannot write {path}: it is not a regular file")
    for source in inputs:
        if source and Path(source).exists() and target.exists() and os.path.samefile(source, target):
            _refuse(f"cannot write {path}: it is {source}, an input of this command",
                    "choose another output file: writing it would destroy the input")
    return target


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


@contextmanager
def replacing(path, inputs=()) -> Iterator[str]:
    """A temporary file beside `path`'s real target, renamed over it when the block succeeds."""
    target = check_output(path, inputs)
    remove_stale(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=target.parent)
    except OSError as err:
        _refuse(f"cannot write {path}: {err.strerror or err}")
    os.close(fd)
    failed = None
    _IN_PROGRESS.add(tmp)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        _discard_unclosed_zips(err.__traceback__)
        cause = _os_error(err)
        if cause is None:
            raise
        failed = (cause.strerror or str(cause), cause.errno)
    finally:
        _IN_PROGRESS.discard(tmp)
    if failed is not None:
        _refuse(f"cannot write {path}: {failed[0]}",
                "free some space on that disk, or write elsewhere" if failed[1] == errno.ENOSPC else None)


_IN_PROGRESS: set[str] = set()  # temporary files being written now (a SIGTERM watchdog removes them)


def remove_in_progress() -> None:
    for tmp in list(_IN_PROGRESS):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def remove_stale(folder: Path) -> None:
    """Temporary files of this tool's own pattern left in `folder` by a writer that was killed
    (SIGKILL cannot be caught): removed when they are regular files, ours (same owner) and older
    than STALE_SECONDS, so a writer still at work beside this one keeps its file."""
    now = time.time()
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TMP_PREFIX) and n.endswith(TMP_SUFFIX)]
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and now - info.st_mtime > STALE_SECONDS:
                os.unlink(path)
        except OSError:
            continue  # gone already, or not ours to remove


def _os_error(err: BaseException) -> OSError | None:
    """The operating system's error behind a failed write (a full disk, a quota, an I/O error),
    also when a library wraps it (XlsxWriter's FileCreateError holds the OSError)."""
    for candidate in (err, getattr(err, "__cause__", None), getattr(err, "__context__", None),
                      *getattr(err, "args", ())[:1]):
        if isinstance(candidate, OSError) and candidate.errno is not None:
            return candidate
    return None


def _discard_unclosed_zips(tb) -> None:
    """A workbook whose write failed leaves XlsxWriter's ZipFile open in the failed call's frames;
    its destructor would try to write again and print a traceback nobody can act on (the failure
    itself is reported once). Its file is closed here, and the ZipFile told it has none."""
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                try:
                    value.fp.close()
                except OSError:
                    pass
                value.fp = None
        tb = tb.tb_next


def write_bytes(path, data: bytes, inputs=()) -> None:
    with replacing(path, inputs) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
