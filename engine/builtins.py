"""The language's functions: one entry each. The checker (its unit rules), both evaluators (the
kernels), the Excel emitter (the Excel forms and how display scales pass through) and the docs
table (docs/language.md, between its functions markers, tested current) are all
derived from this table (the docs by `make readme`). Adding a function is one entry, a kernel if
none fits, and its tests.

Kinds:
  elementwise  f(a, b, ...) period by period            -> ir.Func
  reduction    f([...,] x[a..b]) over periods, one value -> ir.Reduce (its last argument is the series)
  running      f(x) cumulative up to each period        -> ir.Running
  series       rewritten by the checker (growth -> x[t]/x[t-1] - 1)
  calendar     a fact about the current period (year, quarter, month, length, in_period) -> ir.Period;
               its Excel form reads the period's header cell (a date: the period's last day)

Unit rules (the checker implements each once, engine/check/calls.py RULES):
  same      arguments of one dimension, the result in the first one's unit
  condition if(c, a, b): c true/false, a and b of one dimension (or both true/false)
  index     choose(i, a, ...): i a plain option number, options of one dimension
  keep      the unit of x
  digits    round(x[, n]): the unit of x, n a whole-number literal
  plain     plain numbers in and out
  root      sqrt(x): x's unit to the power 1/2 (its powers must be even)
  sign      any unit in, a plain number out
  integrate the unit of x times the period length (USD/year -> USD)
  ratio     a plain number (growth rates)
  length    the timeline's period (calendar: period_length)
  flag      true/false (calendar: in_period)

Scale rules (the emitter: every workbook cell holds its quantity in its row's display unit, so
a piece of formula is the engine's value times a factor k; see exports/formulas.py):
  common    arguments brought to one k, the result has that k (min(a, b) of billions is billions)
  keep      k passes through (abs)
  root      k becomes sqrt(k)
  free      the result is a plain number whatever k is (sign)
  engine    arguments at k = 1, the engine's own values (round, floor, exp: scale-dependent)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str  # elementwise | reduction | running | series | calendar
    arity: tuple[int, int | None]  # least and most arguments (None: any number)
    signature: str  # for the docs and arity errors: "round(x[, digits])"
    meaning: str  # the docs' "meaning" column
    unit_rule: str  # one of the unit rules above
    units: str  # the docs' "unit rule" column
    kernel: Callable | None = None  # numpy, on float64 arrays in the engine's units
    excel: str | None = None  # the Excel form: "ROUND({0},{1})"; "MIN" for a variadic function
    scale: str = "common"  # how display scales pass through (exports/formulas.py)
    groupable: bool = True  # same-shape rows may run as one group (engine/batching.py)
    failure: str | None = None  # why a result is not finite, for runtime errors

    @property
    def variadic(self) -> bool:
        return self.arity[1] is None


def excel_round(x, digits):
    """Round half away from zero, as Excel's ROUND does (numpy and Python round half to even)."""
    scale = 10.0 ** digits
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


def _choose(index, *options):
    index = np.asarray(index)
    out = np.full(np.broadcast(index, *options).shape, np.nan)
    for k, option in enumerate(options, start=1):
        out = np.where(index == k, option, out)
    return out


def _extreme(op):
    def kernel(*values):
        out = values[0]
        for v in values[1:]:
            out = op(out, v)
        return out
    return kernel


def _npv(values, step, rate):
    """Excel's NPV: the first value is discounted one full period."""
    r = np.asarray(rate)
    exponents = np.arange(1, values.shape[-1] + 1, dtype=float)
    if r.ndim:
        discount = (1.0 + r[..., None]) ** -exponents
        return (values[..., None, :] * discount).sum(axis=-1) * step
    return (values * (1.0 + r) ** -exponents).sum(axis=-1, keepdims=True) * step


def _cagr(values, step):
    """Per year: `step` is one period in years (1/12 on a monthly timeline)."""
    years = float(values.shape[-1] - 1) * float(step)
    return (values[..., -1:] / values[..., :1]) ** (1.0 / years) - 1.0


ENTRIES = (
    # ------------------------------------------------------------------ element-wise
    Builtin("if", "elementwise", (3, 3), "if(c, a, b)", "`a` where `c` holds, else `b`", "condition",
            "`a`, `b` same dimension", lambda c, a, b: np.where(c, a, b), "IF({0},{1},{2})"),
    Builtin("min", "elementwise", (2, None), "min(a, b, ...)", "the smallest, period by period", "same",
            "same dimension", _extreme(np.minimum), "MIN"),
    Builtin("max", "elementwise", (2, None), "max(a, b, ...)", "the largest, period by period", "same",
            "same dimension", _extreme(np.maximum), "MAX"),
    Builtin("abs", "elementwise", (1, 1), "abs(x)", "absolute value", "keep", "unit of `x`", np.abs, "ABS({0})",
            scale="keep"),
    Builtin("round", "elementwise", (1, 2), "round(x[, n])", "`n` decimals (default 0), halves away from zero as "
            "Excel's ROUND", "digits", "unit of `x`; `n` a whole-number literal", excel_round, "ROUND({0},{1})",
            scale="engine", groupable=False),
    Builtin("choose", "elementwise", (2, None), "choose(i, a, b, ...)", "option number `i` (1-based), as Excel's "
            "CHOOSE", "index", "options same dimension", _choose, "CHOOSE", groupable=False,
            failure="choose() option number out of range"),
    Builtin("exp", "elementwise", (1, 1), "exp(x)", "e to the power x", "plain", "plain numbers only", np.exp,
            "EXP({0})", scale="engine"),
    Builtin("ln", "elementwise", (1, 1), "ln(x)", "natural logarithm", "plain", "plain numbers only", np.log,
            "LN({0})", scale="engine", failure="logarithm of a number that is not positive"),
    Builtin("log10", "elementwise", (1, 1), "log10(x)", "base-10 logarithm", "plain", "plain numbers only",
            np.log10, "LOG10({0})", scale="engine", failure="logarithm of a number that is not positive"),
    Builtin("sqrt", "elementwise", (1, 1), "sqrt(x)", "square root", "root",
            "`x`'s unit to the power 1/2 (m^2 → m; USD alone has no root)", np.sqrt, "SQRT({0})", scale="root",
            failure="square root of a negative number"),
    Builtin("mod", "elementwise", (2, 2), "mod(a, b)", "remainder of a / b with the sign of `b`, as Excel's MOD "
            "(mod(-7, 2) = 1)", "same", "same dimension; unit of `a`", np.mod, "MOD({0},{1})",
            failure="mod() by zero"),
    Builtin("sign", "elementwise", (1, 1), "sign(x)", "-1, 0 or 1", "sign", "any unit; a plain number", np.sign,
            "SIGN({0})", scale="free"),
    Builtin("floor", "elementwise", (1, 1), "floor(x)", "the largest whole number ≤ x (floor(-2.5) = -3)", "keep",
            "unit of `x`", np.floor, "INT({0})", scale="engine"),
    Builtin("ceiling", "elementwise", (1, 1), "ceiling(x)", "the smallest whole number ≥ x (ceiling(-2.5) = -2)",
            "keep", "unit of `x`", np.ceil, "-INT(-{0})", scale="engine"),
    Builtin("trunc", "elementwise", (1, 1), "trunc(x)", "x without its fraction, toward zero (trunc(-2.5) = -2)",
            "keep", "unit of `x`", np.trunc, "TRUNC({0})", scale="engine"),
    # ------------------------------------------------------------------ over periods
    Builtin("total", "reduction", (1, 1), "total(x[a..b])", "integrates a flow: Σ x × period length", "integrate",
            "unit of `x` × year (USD/year → USD)", lambda v, step: v.sum(axis=-1, keepdims=True) * step, "SUM"),
    Builtin("sum", "reduction", (1, 1), "sum(x[a..b])", "Σ x over the periods", "keep", "unit of `x`",
            lambda v, step: v.sum(axis=-1, keepdims=True), "SUM"),
    Builtin("average", "reduction", (1, 1), "average(x[a..b])", "mean over the periods", "keep", "unit of `x`",
            lambda v, step: v.mean(axis=-1, keepdims=True), "AVERAGE"),
    Builtin("min", "reduction", (1, 1), "min(x[a..b])", "the smallest over the periods", "keep", "unit of `x`",
            lambda v, step: v.min(axis=-1, keepdims=True), "MIN"),
    Builtin("max", "reduction", (1, 1), "max(x[a..b])", "the largest over the periods", "keep", "unit of `x`",
            lambda v, step: v.max(axis=-1, keepdims=True), "MAX"),
    Builtin("npv", "reduction", (2, 2), "npv(rate, x[a..b])", "discounted total, first period discounted once "
            "(Excel's NPV)", "integrate", "as `total`; `rate` per period (a plain number, yearly timelines) or per time (10 %/year: "
            "10/12 % a month, as NPV(10%/12, …))", _npv, "NPV"),
    Builtin("cagr", "reduction", (1, 1), "cagr(x[a..b])", "growth per year: (x[b]/x[a])^(1/years from a to b) − 1, "
            "on every timeline", "ratio", "plain number", _cagr, "({last}/{first})^(1/{periods})-1"),
    Builtin("running_total", "running", (1, 1), "running_total(x)", "cumulative total up to the current period",
            "integrate", "as `total`", lambda v, step: np.cumsum(v, axis=-1) * step, "SUM"),
    Builtin("running_sum", "running", (1, 1), "running_sum(x)", "cumulative sum up to the current period", "keep",
            "as `sum`", lambda v, step: np.cumsum(v, axis=-1), "SUM"),
    Builtin("growth", "series", (1, 1), "growth(x)", "x[t] / x[t−1] − 1: per period (a month on a monthly "
            "timeline); a year's growth is (1 + growth(x))^12 − 1 there, or x[t] / x[t−12] − 1", "ratio",
            "plain number"),
    # ------------------------------------------------------------------ the calendar
    Builtin("year", "calendar", (0, 0), "year()", "the current period's calendar year (2027)", "plain",
            "plain number", excel="YEAR({period})"),
    Builtin("quarter", "calendar", (0, 0), "quarter()", "the current period's quarter, 1 to 4 (monthly and "
            "quarterly timelines)", "plain", "plain number", excel="ROUNDUP(MONTH({period})/3,0)"),
    Builtin("month", "calendar", (0, 0), "month()", "the current period's month, 1 to 12 (monthly timelines)",
            "plain", "plain number", excel="MONTH({period})"),
    Builtin("period_length", "calendar", (0, 0), "period_length()", "the current period's length: 1 month, "
            "1 quarter or 1 year (pint's: 1 month = 1/12 year)", "length", "the timeline's period (month, "
            "quarter, year)", excel="1"),
    Builtin("in_period", "calendar", (1, 1), "in_period(a..b)", "true in periods a to b, false elsewhere (a "
            "flag, as FAST models write them)", "flag", "true/false",
            excel="AND({period}>={first},{period}<={last})"),
)

ELEMENTWISE = {b.name: b for b in ENTRIES if b.kind == "elementwise"}
OVER_PERIODS = {b.name: b for b in ENTRIES if b.kind != "elementwise"}
NAMES = sorted({b.name for b in ENTRIES})


def lookup(name: str, nargs: int) -> Builtin | None:
    """The function a call means: min(x[..]) with one argument is the reduction, min(a, b) the
    element-wise one."""
    over, each = OVER_PERIODS.get(name), ELEMENTWISE.get(name)
    if over is not None and each is not None:
        return over if nargs == 1 else each
    return over or each


def excel_functions() -> set[str]:
    """Every Excel function name the registry's forms use (the exporter's classic set)."""
    import re

    found = set()
    for b in ENTRIES:
        if b.excel:
            found.update(re.findall(r"(?<![{A-Za-z])([A-Z][A-Z0-9.]*)\(", b.excel if "(" in b.excel else b.excel + "("))
    return found


# ---------------------------------------------------------------------- the docs table

DOC_BEGIN, DOC_END = "<!-- functions:begin -->", "<!-- functions:end -->"


def docs_table() -> str:
    rows = ["| function | meaning | unit rule |", "|---|---|---|"]
    for b in ENTRIES:
        rows.append(f"| `{b.signature}` | {b.meaning} | {b.units} |")
    return "\n".join(rows)


def write_docs(path) -> bool:
    """Rewrite the table between the markers of docs/language.md; True if it changed."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOC_BEGIN)
    _, _, tail = rest.partition(DOC_END)
    new = f"{head}{DOC_BEGIN}\n{docs_table()}\n{DOC_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


