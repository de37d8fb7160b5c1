"""Comparison, addition and subtraction as a spreadsheet does them, so that the engine, the
exported workbook and Monte Carlo agree on every check.

LibreOffice compares two numbers as equal when they differ by less than 2^-48 of each one's
magnitude (rtl::math::approxEqual), for `=`, `<>`, `<`, `<=`, `>`, `>=`, and a subtraction (an
addition of opposite signs) whose operands are that close gives exactly 0 (approxSub,
approxAdd). Measured with LibreOffice 7.4: `=0.7500000000000001<=0.75` is TRUE, `=1+2^-47=1`
FALSE, `=1+2^-49=1` TRUE; tests/test_conventions.py checks these functions against LibreOffice
on random and boundary values. Rules kept from LibreOffice:
  - a number is never approximately 0: only 0 equals 0 (so `x == 0 USD` is exact);
  - numbers of opposite signs are never equal;
  - two whole numbers that differ are never equal (2^50 and 2^50 + 1 are different counts).
Excel documents a 15-significant-digit behaviour of the same intent (docs/language.md).
"""

from __future__ import annotations

import numpy as np

E48 = 2.0 ** -48
_MAX_INT = float(2 ** 53 - 1)


def _whole(x: np.ndarray) -> np.ndarray:
    """A whole number a double represents exactly (|x| below 2^53)."""
    return (x <= _MAX_INT) & (np.floor(x) == x)


def approx_equal(a, b) -> np.ndarray:
    """Element-wise rtl::math::approxEqual (NaN equals nothing)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        exact = a == b
        d = np.abs(a - b)
        fa, fb = np.abs(a), np.abs(b)
        near = (d < fa * E48) & (d < fb * E48) & (np.signbit(a) == np.signbit(b)) & (a != 0) & (b != 0)
        if near.any():
            near &= ~(_whole(fa) & _whole(fb))
    return exact | near


def compare(op: str, a, b) -> np.ndarray:
    """a op b, with op one of < <= > >= == !=, as a spreadsheet compares."""
    equal = approx_equal(a, b)
    if op == "==":
        return equal
    if op == "!=":
        return ~equal
    with np.errstate(invalid="ignore"):
        if op == "<":
            return np.less(a, b) & ~equal
        if op == ">":
            return np.greater(a, b) & ~equal
        if op == "<=":
            return np.less(a, b) | equal
        return np.greater(a, b) | equal


def _snap(result, a, b):
    """Where a and b (signs already opposite for an addition) cancel to within the tolerance,
    exactly 0. The candidates are found with one cheap test; approx_equal decides on them."""
    with np.errstate(invalid="ignore", over="ignore"):
        maybe = np.abs(result) < np.abs(a) * E48  # an exact 0 stays 0: nothing to snap
        if not maybe.any() or not (maybe := maybe & (result != 0)).any():
            return result
        cancel = maybe & approx_equal(a, -np.asarray(b, dtype=float))
        if not cancel.any():
            return result
        return np.where(cancel, 0.0, result)


def approx_add(a, b):
    """a + b, exactly 0 where they cancel (rtl::math::approxAdd)."""
    return _snap(np.add(a, b), a, b)


def approx_sub(a, b):
    """a - b, exactly 0 where they are approximately equal (rtl::math::approxSub)."""
    return _snap(np.subtract(a, b), a, -np.asarray(b, dtype=float))


def approx_add_float(a: float, b: float) -> float:
    """approx_add on Python floats (the recurrences' float loop): the same test, without numpy
    for the common case where nothing cancels."""
    r = a + b
    return 0.0 if r != 0.0 and abs(r) < abs(a) * E48 and bool(approx_equal(a, -b)) else r


def approx_sub_float(a: float, b: float) -> float:
    return approx_add_float(a, -b)
