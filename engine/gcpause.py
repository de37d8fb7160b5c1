"""Compiling a model allocates millions of small objects and frees almost none; Python's cyclic
collector would walk all of them again and again (40% of check time at 10,000 quantities).
Compilation pauses it; reference counting still frees everything that is not a cycle.

A program that owns its process (the command line) may also set FREEZE_AFTER_COMPILE: what a
compile leaves behind lives until exit, so gc.freeze() moves it out of the collector's sight and
later passes (printing a 400,000-cell table) do not walk it again."""

from __future__ import annotations

import gc
from contextlib import contextmanager


FREEZE_AFTER_COMPILE = False


@contextmanager
def collector_paused():
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if FREEZE_AFTER_COMPILE:
            gc.freeze()
        if collecting:
            gc.enable()
