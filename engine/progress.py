"""Progress bars for the long commands: simulate, check --explore, table and solve (and export --simulate).

The engine draws nothing: its long loops take an optional callback, progress(done, expected=0),
called with `done` more units evaluated (samples, points, cells, variants) and `expected` more
announced (added to the total; solve announces none: its count of variants is open-ended). The
Python API passes none, so it shows nothing unless asked (`with bar("simulate", "samples") as
tick: model.simulate(..., progress=tick)`).

The command line passes the callback of a tqdm bar (`bar`), drawn only when it helps (`wanted`):
stderr is a terminal (never when piped or redirected), the output is not --format json or csv
(read by a program), --no-progress was not given, and the work has lasted DELAY seconds (a quick
run shows nothing). The bar goes to stderr, never stdout, and is erased when the work ends: what
the command prints is the same bytes with or without it.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from .terminal import EscapingStream

DELAY = 0.5  # seconds of work before a bar appears


def _terminal():
    """stderr as the process got it: the command line wraps it in an EscapingStream (engine/terminal.py),
    which would make the bar's carriage returns visible; the bar's text is ours, not the model's."""
    stream = sys.stderr
    while isinstance(stream, EscapingStream):
        stream = stream.stream
    return stream


def wanted(fmt: str, off: bool = False) -> bool:
    """Whether a command printing `fmt` draws a bar: on a terminal's stderr, for a person reading
    text, unless --no-progress (off) or TERM=dumb."""
    if off or fmt in ("json", "csv") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(_terminal().isatty())
    except (AttributeError, ValueError, OSError):  # no stderr, or a closed one
        return False


@contextmanager
def bar(what: str, unit: str, shown: bool = True):
    """A progress callback (see the module's docstring) drawing a bar on stderr, erased when the
    block ends; None if not shown (the engine then calls nothing)."""
    if not shown:
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=what, unit=" " + unit, unit_scale=True, file=_terminal(), delay=DELAY, leave=False,
              dynamic_ncols=True) as line:
        def progress(done: int, expected: int = 0) -> None:
            if expected:
                line.total = (line.total or 0) + expected
            if done:
                line.update(done)

        yield progress
