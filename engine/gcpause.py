"""Compiling a model allocates millions of small objects and frees almost none; Python's cyclic
collector would walk all of them again and again (40% of check time at 10,000 quantities).
Compilation pauses it; reference counting still frees everything that is not a cycle."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
