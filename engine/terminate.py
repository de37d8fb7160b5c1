"""SIGTERM stops the process every time, within a second, and leaves no half-written file: the
signal raises Terminated where the process is (temporary files are removed on the way out), and
a watchdog ends the process a moment later whatever happened to that exception (Python ignores
one raised inside a garbage-collector callback or a destructor, and the process would go on)."""

from __future__ import annotations

import os
import sys


def install() -> None:
    """The handler, for a process of our own (engine/cli.py's main)."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    sys.unraisablehook = _quiet_terminated


def arrived() -> bool:
    """A SIGTERM arrived: whatever error it caused on its way up is not news."""
    return bool(_TERMINATED)


class Terminated(BaseException):
    """SIGTERM, raised where the process is, so that temporary files are removed on the way out."""


def _terminate(signum, frame):
    """SIGTERM: raise where the process is, so temporary files are removed on the way out; and,
    because Python ignores an exception raised inside a garbage-collector callback or a
    destructor (the process would keep running), a watchdog that ends the process a moment later
    whatever happened to the exception, removing the files still being written itself."""
    import threading

    _TERMINATED.append(signum)
    threading.Thread(target=_exit_soon, daemon=True).start()
    raise Terminated()


_TERMINATED: list[int] = []  # the signals that arrived


def _exit_soon(seconds: float = 1.0) -> None:
    import time

    from . import files

    time.sleep(seconds)
    files.remove_in_progress()
    os._exit(143)


def _quiet_terminated(unraisable) -> None:
    """An ignored Terminated (raised inside a gc callback) is no news: the watchdog stops the process."""
    if not isinstance(unraisable.exc_value, Terminated):
        sys.__unraisablehook__(unraisable)
