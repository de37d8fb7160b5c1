"""The language's functions: one entry each. The checker (its unit rules), both evaluators (the
kernels), the Excel emitter (the Excel forms and how display scales pass through) and the docs
table (docs/language.md, between its functions markers, tested current) are all
derived from this table (the docs by `make readme`). Adding a function is one entry, a kernel if
none fits, and its tests.

Kinds:
  elementwise  f(a, b, ...) period by period            -> ir.Func
  reduction    f([...,] x[a..b]) over periods, one value -> ir.Reduce (its last argument is the series)
  running      f(x) cumulative up to each period        -> ir.Running
  series       rewritten by the checker (growth -> x[t]/x[t-1] - 1), or before it (forecast(x): the
               quantity engine/actuals.py writes out)
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
  vintage   depreciation(x, life[, first]): the unit of x; life a whole number of periods (a
            literal or an input); its Excel form is a triangle on the Vintages sheet
            (exports/sheets/vintages.py), each cell an IF of the period against the vintage
  finance   Excel's financial functions: each argument has a role (`roles`; rate per period,
            count of periods, amount, due 0/1, ...), the result is the unit of the first amount
            (pmt, pv, sln, ...) or a plain number (nper, rate, irr)

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

from . import finance


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
    # Financial functions (unit rule "finance"): each argument's role (engine/check/finance_roles.py
    # FINANCE_ROLES), the values of the optional ones left out, and whether the result is an
    # amount each period (it then needs a roll-up rule on sub-annual timelines).
    roles: tuple[str, ...] = ()
    defaults: tuple[float, ...] = ()
    per_period: bool = False
    dated: bool = False  # a reduction over the periods' end dates (xirr, xnpv): its kernel takes days=
    serials: bool = False  # a reduction to a period (first_period): its kernel takes the end dates as serials=
    blank: bool = False  # gives no value where nothing is found (a blank): a formula of its own, read with value_or

    @property
    def variadic(self) -> bool:
        return self.arity[1] is None


def vintage_depreciation(x: np.ndarray, life: int, first: float) -> np.ndarray:
    """Straight-line depreciation by vintage: each period's x spread over `life` periods, a
    share `first` of one period's charge in x's own period, full charges after it, and the rest
    (1 - first) in the period `life` later (first = 0: the `life` periods after x's own).
    Periods are the last axis."""
    out = first * x
    for k in range(1, life + 1):
        if k >= x.shape[-1]:
            break
        share = 1.0 if k < life else 1.0 - first
        if share:
            out[..., k:] += share * x[..., :-k]
    return out / life


def _first_hit(values):
    """(whether a true/false series ever holds, the index of the first period it does), per row."""
    hit = values > 0.5  # NaN (no value) is not true
    return hit.any(axis=-1, keepdims=True), np.argmax(hit, axis=-1)[..., None]


def first_period(values, step, serials):
    """The end date (a spreadsheet serial) of the first period in which the series holds; NaN if none."""
    found, first = _first_hit(values)
    return np.where(found, np.asarray(serials, dtype=float)[first], np.nan)


def periods_before(values, step):
    """How many periods pass before the series first holds (0 if it holds at once); NaN if never."""
    found, first = _first_hit(values)
    return np.where(found, first * step, np.nan)


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
    Builtin("is_blank", "elementwise", (1, 1), "is_blank(x)", "true where `x` has no value (first_period or "
            "periods_before that found nothing)", "blank", "any → true/false", np.isnan, '{0}=""', scale="free"),
    Builtin("value_or", "elementwise", (2, 2), "value_or(x, other)", "`x` where it has a value, else `other` "
            "(runway_or_never = value_or(runway, 99 year) says what a blank means)", "same", "same dimension",
            lambda x, other: np.where(np.isnan(x), other, x), 'IF({0}="",{1},{0})', groupable=False),
    # ------------------------------------------------------------------ finance (Excel's, engine/finance.py)
    Builtin("pmt", "elementwise", (3, 5), "pmt(rate, nper, pv[, fv, due])", "the payment each period that repays "
            "`pv` (leaving `fv`) in `nper` periods, negative for a positive `pv` (Excel's PMT)", "finance",
            "`rate` per period; `nper` periods (or a time); `pv`, `fv` amounts of one dimension → the unit of `pv`",
            finance.pmt, "PMT({0},{1},{2},{3},{4})", scale="engine", groupable=False,
            failure="pmt() of arguments Excel refuses (#NUM!)", roles=("rate", "count", "amount", "amount", "due"),
            defaults=(0.0, 0.0), per_period=True),
    Builtin("ipmt", "elementwise", (4, 6), "ipmt(rate, per, nper, pv[, fv, due])", "the interest part of payment "
            "number `per` (1 to `nper`; Excel's IPMT)", "finance", "as `pmt`; `per` a period number",
            finance.ipmt, "IPMT({0},{1},{2},{3},{4},{5})", scale="engine", groupable=False,
            failure="ipmt() of a payment number outside 1 to nper, or arguments Excel refuses (#NUM!)",
            roles=("rate", "count", "count", "amount", "amount", "due"), defaults=(0.0, 0.0), per_period=True),
    Builtin("ppmt", "elementwise", (4, 6), "ppmt(rate, per, nper, pv[, fv, due])", "the principal part of payment "
            "number `per` (Excel's PPMT): pmt = ipmt + ppmt", "finance", "as `ipmt`", finance.ppmt,
            "PPMT({0},{1},{2},{3},{4},{5})", scale="engine", groupable=False,
            failure="ppmt() of a payment number outside 1 to nper, or arguments Excel refuses (#NUM!)",
            roles=("rate", "count", "count", "amount", "amount", "due"), defaults=(0.0, 0.0), per_period=True),
    Builtin("pv", "elementwise", (3, 5), "pv(rate, nper, pmt[, fv, due])", "the present value of `nper` payments "
            "(Excel's PV)", "finance", "as `pmt`; the unit of `pmt`", finance.pv, "PV({0},{1},{2},{3},{4})",
            scale="engine", groupable=False, failure="pv() of arguments Excel refuses (#NUM!)",
            roles=("rate", "count", "amount", "amount", "due"), defaults=(0.0, 0.0)),
    Builtin("fv", "elementwise", (3, 5), "fv(rate, nper, pmt[, pv, due])", "the value after `nper` payments "
            "(Excel's FV)", "finance", "as `pmt`; the unit of `pmt`", finance.fv, "FV({0},{1},{2},{3},{4})",
            scale="engine", groupable=False, failure="fv() of arguments Excel refuses (#NUM!)",
            roles=("rate", "count", "amount", "amount", "due"), defaults=(0.0, 0.0)),
    Builtin("nper", "elementwise", (3, 5), "nper(rate, pmt, pv[, fv, due])", "the number of periods that repay "
            "`pv` (Excel's NPER)", "finance", "`pmt`, `pv`, `fv` amounts of one dimension → a plain number of "
            "periods", finance.nper, "NPER({0},{1},{2},{3},{4})", scale="engine", groupable=False,
            failure="nper() of payments that never repay the amount (Excel's #NUM!)",
            roles=("rate", "amount", "amount", "amount", "due"), defaults=(0.0, 0.0)),
    Builtin("rate", "elementwise", (3, 6), "rate(nper, pmt, pv[, fv, due, guess])", "the rate per period of an "
            "annuity (Excel's RATE; Newton's method from `guess`, default 10 %)", "finance", "amounts of one "
            "dimension → a plain number per period", finance.rate, "RATE({0},{1},{2},{3},{4},{5})", scale="engine",
            groupable=False, failure="rate() did not converge (Excel's #NUM!)",
            roles=("count", "amount", "amount", "amount", "due", "guess"), defaults=(0.0, 0.0, 0.1)),
    Builtin("sln", "elementwise", (3, 3), "sln(cost, salvage, life)", "straight-line depreciation per period "
            "(Excel's SLN)", "finance", "`cost`, `salvage` amounts; `life` periods (or a time) → the unit of `cost`",
            finance.sln, "SLN({0},{1},{2})", scale="engine", groupable=False, failure="sln() of a life of 0",
            roles=("amount", "amount", "count"), per_period=True),
    Builtin("db", "elementwise", (4, 5), "db(cost, salvage, life, period[, months])", "fixed declining balance "
            "in `period` (Excel's DB: its rate rounded to 3 decimals, a first year of `months`)", "finance",
            "as `sln`; `period` a period number; `months` 1 to 12", finance.db, "DB({0},{1},{2},{3},{4})",
            scale="engine", groupable=False, failure="db() of arguments Excel refuses (#NUM!: cost ≤ 0, salvage "
            "above cost, period beyond life + 1, months outside 1 to 12)",
            roles=("amount", "amount", "count", "count", "plain"), defaults=(12.0,), per_period=True),
    Builtin("ddb", "elementwise", (4, 5), "ddb(cost, salvage, life, period[, factor])", "declining balance at "
            "`factor` (default 2) times the straight-line rate, never below salvage (Excel's DDB)", "finance",
            "as `db`; `factor` a plain number", finance.ddb, "DDB({0},{1},{2},{3},{4})", scale="engine",
            groupable=False, failure="ddb() of arguments Excel refuses (#NUM!: period outside 1 to life, salvage "
            "above cost)", roles=("amount", "amount", "count", "count", "plain"), defaults=(2.0,), per_period=True),
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
            "(Excel's NPV)", "integrate", "a flow as `total` (USD/year → USD), an amount per period as it is; `rate` per period (a plain number, yearly timelines) or per time (10 %/year: "
            "10/12 % a month, as NPV(10%/12, …))", _npv, "NPV"),
    Builtin("irr", "reduction", (1, 2), "irr(x[a..b][, guess])", "the rate per period that makes the NPV of "
            "the cash flows zero, the first undiscounted (Excel's IRR; Newton's method from `guess`, default 10 %)",
            "finance", "any unit (cash flows of one sign have none) → a plain number per period", finance.irr,
            "IRR({series},{0})", scale="engine", failure="irr() found no rate (Excel's #NUM!)",
            roles=("series", "guess"), defaults=(0.1,)),
    Builtin("xirr", "reduction", (1, 2), "xirr(x[a..b][, guess])", "as `irr`, per year, on the periods' end "
            "dates (Excel's XIRR: days / 365)", "finance", "as `irr`; a plain number per year", finance.xirr,
            "XIRR({series},{dates},{0})", scale="engine", failure="xirr() found no rate (Excel's #NUM!)",
            roles=("series", "guess"), defaults=(0.1,), dated=True),
    Builtin("xnpv", "reduction", (2, 2), "xnpv(rate, x[a..b])", "Σ x / (1 + rate)^(days since the first period's "
            "end / 365): the first undiscounted (Excel's XNPV)", "finance", "as `npv`; `rate` per year (a plain "
            "number, as Excel's, or 8 %/year)", finance.xnpv, "XNPV({0},{series},{dates})",
            failure="xnpv() of a rate of -100 % or below", roles=("annual rate", "series"), dated=True),
    Builtin("first_period", "reduction", (1, 1), "first_period(flag[a..b])", "the first period in which a "
            "true/false series holds (2027-03; blank if it never does): cash's first negative month", "first",
            "a true/false series → a period, shown as its label (its end date in the workbook); a formula of its "
            "own", first_period, 'IFERROR(INDEX({dates},MATCH(TRUE(),{series},0)),"")', scale="free", serials=True,
            blank=True),
    Builtin("periods_before", "reduction", (1, 1), "periods_before(flag[a..b])", "how many periods pass before a "
            "true/false series first holds, from the range's first (a runway; blank if it never does)", "before",
            "a true/false series → a time in the timeline's periods (14 month); a formula of its own",
            periods_before, 'IFERROR(MATCH(TRUE(),{series},0)-1,"")', scale="free", blank=True),
    Builtin("cagr", "reduction", (1, 1), "cagr(x[a..b])", "growth per year: (x[b]/x[a])^(1/years from a to b) − 1, "
            "on every timeline", "ratio", "plain number", _cagr, "({last}/{first})^(1/{periods})-1"),
    Builtin("running_total", "running", (1, 1), "running_total(x)", "cumulative total up to the current period",
            "integrate", "as `total`", lambda v, step: np.cumsum(v, axis=-1) * step, "SUM"),
    Builtin("running_sum", "running", (1, 1), "running_sum(x)", "cumulative sum up to the current period", "keep",
            "as `sum`", lambda v, step: np.cumsum(v, axis=-1), "SUM"),
    Builtin("depreciation", "running", (2, 3), "depreciation(x, life[, first])", "straight-line depreciation by "
            "vintage: each period's `x` (capex) charged evenly over the `life` periods after it; `first`: the "
            "share of one period's charge taken in x's own period (0, the default; 0.5 half-year; 1 from the same "
            "period), the rest at the end", "vintage", "unit of `x`; `life` a whole number of periods or a time "
            "(20 year), a literal or an input (not a range); `first` a literal from 0 to 1",
            vintage_depreciation, "IF", failure="the depreciation life is not a whole number of periods within the "
            "timeline"),
    Builtin("growth", "series", (1, 1), "growth(x)", "x[t] / x[t−1] − 1: per period (a month on a monthly "
            "timeline); a year's growth is (1 + growth(x))^12 − 1 there, or x[t] / x[t−12] − 1", "ratio",
            "plain number"),
    Builtin("forecast", "series", (1, 1), "forecast(x)", "x's formula alone in every period, its actuals ignored "
            "(x's own earlier periods read from the forecast): the plan an `actual` statement replaces, for a "
            "variance", "keep", "unit of `x`; x a quantity with actuals (engine/actuals.py)"),
    # ------------------------------------------------------------------ the calendar
    Builtin("year", "calendar", (0, 0), "year()", "the current period's calendar year (2027)", "plain",
            "plain number", excel="YEAR({period})"),
    Builtin("quarter", "calendar", (0, 0), "quarter()", "the current period's quarter, 1 to 4 (monthly and "
            "quarterly timelines)", "plain", "plain number", excel="ROUNDUP(MONTH({period})/3,0)"),
    Builtin("fiscal_year", "calendar", (0, 0), "fiscal_year()", "the current period's fiscal year (2025 in FY2025, "
            "its July 2024 on years ending June; timelines of fiscal years)", "plain", "plain number",
            excel="YEAR({period})+(MONTH({period})>{end})"),
    Builtin("fiscal_quarter", "calendar", (0, 0), "fiscal_quarter()", "the current period's quarter of its fiscal "
            "year, 1 to 4 (monthly and quarterly timelines of fiscal years)", "plain", "plain number",
            excel="INT(MOD(MONTH({period})-{end}-1,12)/3)+1"),
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
BLANK = {b.name for b in ENTRIES if b.blank}  # a formula made of one of these may have no value
READS_BLANK = ("is_blank", "value_or")  # the functions that may read such a formula
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
