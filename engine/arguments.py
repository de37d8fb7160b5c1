"""The command line's argument types: what argparse accepts for a seed, a count of samples or
examples, and a Dask scheduler address, each with the message a wrong one gets."""

from __future__ import annotations

import argparse


def seed(text: str) -> int:
    """A Monte Carlo or search seed: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{value} is not a seed: use a whole number from 0 to 2**63 - 1")
    return value


def count(text: str) -> int:
    """A count of samples or examples: a positive whole number (10000, 10_000 or 1e4)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value == int(value) and value >= 1):
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return int(value)


SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def scheduler(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in SCHEDULER_SCHEMES or not rest:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Dask scheduler address: write SCHEME://HOST:PORT "
                                         f"with SCHEME one of {', '.join(SCHEDULER_SCHEMES)}")
    return text
