"""Excel's financial functions on float64 arrays, broadcast over periods and Monte Carlo samples.

Each follows the formula LibreOffice's interpreter uses (sc/source/core/tool/interpr2.cxx and
scaddins' XIRR), so the exported workbook's own functions recompute the engine's values. Where
Excel answers #NUM! (an argument out of range, an iteration that does not converge) the kernel
gives NaN, and the evaluator turns it into a located runtime error with the registry's `failure`
text (engine/builtins.py): a workbook never receives a number Excel would refuse.

Iterative ones (irr, xirr, rate) run Newton's method from the guess with Excel's iteration limit
and tolerance, then a few more steps to full float precision: where LibreOffice stops (a step
under 1e-7) its value is already within ~1e-14 of the root, so both agree far inside 1e-9.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # LibreOffice's SCdEpsilon: a Newton step smaller than this has converged
POLISH = 8  # extra Newton steps after convergence, to the float's precision


def _floats(*args):
    return np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))


# ---------------------------------------------------------------------- annuities


def pmt(rate, nper, pv, fv, due):
    """The payment per period that pays off pv (and leaves fv) over nper periods; negative for a
    positive pv (Excel's sign convention: money received is positive, paid is negative)."""
    r, n, pv, fv, due = _floats(rate, nper, pv, fv, due)
    with np.errstate(all="ignore"):
        growth = np.exp(n * np.log1p(r))
        denominator = np.where(due != 0, np.expm1((n + 1) * np.log1p(r)) - r, np.expm1(n * np.log1p(r)))
        out = np.where(r == 0, (pv + fv) / n, (fv + pv * growth) * r / denominator)
    return -out


def fv(rate, nper, payment, pv, due):
    r, n, p, pv, due = _floats(rate, nper, payment, pv, due)
    with np.errstate(all="ignore"):
        term = (1.0 + r) ** n
        annuity = np.where(due != 0, p * (1.0 + r) * (term - 1.0) / r, p * (term - 1.0) / r)
        out = np.where(r == 0, pv + p * n, pv * term + annuity)
    return -out


def pv(rate, nper, payment, fv, due):
    r, n, p, fv, due = _floats(rate, nper, payment, fv, due)
    with np.errstate(all="ignore"):
        discount = (1.0 + r) ** -n
        arrear = fv * discount + p * (1.0 - discount) / r
        advance = fv * discount + p * (1.0 - (1.0 + r) ** (-n + 1.0)) / r + p
        out = np.where(r == 0, fv + p * n, np.where(due != 0, advance, arrear))
    return -out


def nper(rate, payment, pv, fv, due):
    r, p, pv, fv, due = _floats(rate, payment, pv, fv, due)
    with np.errstate(all="ignore"):
        advance = np.log(-(r * fv - p * (1.0 + r)) / (r * pv + p * (1.0 + r))) / np.log1p(r)
        arrear = np.log(-(r * fv - p) / (r * pv + p)) / np.log1p(r)
        return np.where(r == 0, -(pv + fv) / p, np.where(due != 0, advance, arrear))


def _interest(r, per, n, present, future, due):
    """LibreOffice's ScGetIpmt: the interest part of payment `per` (1-based), and the payment."""
    payment = pmt(r, n, present, future, due)
    with np.errstate(all="ignore"):
        later = np.where(due != 0, fv(r, per - 2.0, payment, present, 1.0) - payment,
                         fv(r, per - 1.0, payment, present, 0.0))
        first = np.where(due != 0, 0.0, -present)
        interest = np.where(per == 1.0, first, later) * r
    valid = (per >= 1.0) & (per <= n)
    return np.where(valid, interest, np.nan), payment


def ipmt(rate, per, nper_, pv_, fv_, due):
    r, per, n, pv_, fv_, due = _floats(rate, per, nper_, pv_, fv_, due)
    return _interest(r, per, n, pv_, fv_, due)[0]


def ppmt(rate, per, nper_, pv_, fv_, due):
    r, per, n, pv_, fv_, due = _floats(rate, per, nper_, pv_, fv_, due)
    interest, payment = _interest(r, per, n, pv_, fv_, due)
    return payment - interest


def rate(nper_, payment, pv_, fv_, due, guess):
    """The rate per period of an annuity (LibreOffice's RateIteration, whole nper): Newton's method
    from the guess; NaN where it does not converge or lands at -100 % or below."""
    n, p, pv_, fv_, due, x = _floats(nper_, payment, pv_, fv_, due, guess)
    fv_ = np.where(due != 0, fv_ - p, fv_)
    pv_ = np.where(due != 0, pv_ + p, pv_)

    def step(x):
        with np.errstate(all="ignore"):
            before = (1.0 + x) ** (n - 1.0)
            now = before * (1.0 + x)
            series = np.where(x == 0, n, (now - 1.0) / x)
            slope_series = np.where(x == 0, n * (n - 1.0) / 2.0, n * before / x - series / x)
            value = fv_ + pv_ * now + p * series
            slope = pv_ * n * before + p * slope_series
            return np.where(value == 0, 0.0, value / slope)

    x = _newton(step, x.copy(), 150)  # LibreOffice's limit (Excel documents 20)
    return np.where(x > -1.0, x, np.nan)


def _newton(step, x, limit: int):
    """x after Newton steps until each one is under EPSILON (at most `limit`), then POLISH more
    (never undoing the convergence); NaN where it did not converge. A diverging start (inf, NaN)
    is an outcome, not a warning."""
    done = np.zeros(x.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(limit):
            delta = step(x)
            x = np.where(done, x, x - delta)
            done |= np.abs(delta) < EPSILON
            if done.all():
                break
        for _ in range(POLISH):
            delta = step(x)
            better = np.isfinite(delta) & (np.abs(delta) < EPSILON)
            x = np.where(better, x - delta, x)
    return np.where(done & np.isfinite(x), x, np.nan)


# ---------------------------------------------------------------------- depreciation


def sln(cost, salvage, life):
    c, s, life = _floats(cost, salvage, life)
    with np.errstate(all="ignore"):
        return np.where(life != 0, (c - s) / life, np.nan)


def ddb(cost, salvage, life, period, factor):
    """Double (factor) declining balance in period `period`, never below salvage (ScGetDDB)."""
    c, s, life, per, k = _floats(cost, salvage, life, period, factor)
    with np.errstate(all="ignore"):
        r = k / life
        full = r >= 1.0
        r = np.where(full, 1.0, r)
        old = np.where(full, np.where(per == 1.0, c, 0.0), c * (1.0 - r) ** (per - 1.0))
        new = c * (1.0 - r) ** per
        out = np.maximum(np.where(new < s, old - s, old - new), 0.0)
    valid = (c >= 0) & (s >= 0) & (k > 0) & (s <= c) & (per >= 1.0) & (per <= life)
    return np.where(valid, out, np.nan)


def db(cost, salvage, life, period, months):
    """Fixed declining balance (Excel's DB): the rate 1 - (salvage/cost)^(1/life) rounded to three
    decimals; the first year prorated by `months` of 12, a last partial year after `life` (ScDB)."""
    c, s, life, per, m = _floats(cost, salvage, life, period, months)
    valid = ((m >= 1) & (m <= 12) & (life <= 1200) & (s >= 0) & (per <= life + 1) & (s <= c) & (c > 0)
             & (life > 0) & (per > 0))
    with np.errstate(all="ignore"):
        rate_ = 1.0 - (s / c) ** (1.0 / life)
        rate_ = np.floor(rate_ * 1000.0 + 0.5) / 1000.0
        first = c * rate_ * m / 12.0
        total = first.copy()
        out = np.where(np.floor(per) == 1, first, 0.0)
        last = np.floor(np.minimum(life, per))
        top = int(np.nanmax(np.where(valid, last, 0))) if last.size else 0
        for i in range(2, top + 1):
            d = (c - total) * rate_
            running = i <= last
            out = np.where(running, d, out)
            total = np.where(running, total + d, total)
        tail = ((c - total) * rate_ * (12.0 - m)) / 12.0
        out = np.where((np.floor(per) != 1) & (per > life), tail, out)
    return np.where(valid, out, np.nan)


# ---------------------------------------------------------------------- over periods


def irr(values, step, guess):
    """The rate per period that makes the cash flows' NPV zero, the first undiscounted (Excel's
    IRR): Newton from the guess, at most 20 steps (LibreOffice's ScIRR), then _verified."""
    v = np.asarray(values, dtype=float)
    periods = np.arange(v.shape[-1], dtype=float)
    x = _newton(_npv_step(v, periods), _start(guess, v), 20)
    return _verified(x, v, periods)


def _npv_step(values, exponents):
    """The Newton step for Σ values / (1 + x)^exponents = 0 (IRR: periods; XIRR: years)."""
    def step(x):
        with np.errstate(all="ignore"):
            discounted = values * (1.0 + x) ** -exponents
            slope = (-exponents * discounted / (1.0 + x)).sum(axis=-1, keepdims=True)
            return discounted.sum(axis=-1, keepdims=True) / slope
    return step


def _start(guess, values):
    """The guess, one per cash-flow series (leading axes: Monte Carlo samples)."""
    return np.broadcast_to(np.asarray(guess, dtype=float), values.shape[:-1] + (1,)).copy()


def xnpv(values, step, rate_, days):
    """Σ value / (1 + rate)^(days since the first / 365), rate per year (Excel's XNPV)."""
    v = np.asarray(values, dtype=float)
    r = np.asarray(rate_, dtype=float)
    with np.errstate(all="ignore"):
        out = (v * (1.0 + r) ** (-days / 365.0)).sum(axis=-1, keepdims=True) * step
    return np.where(r > -1.0, out, np.nan)


def xirr(values, step, guess, days):
    """The rate per year that makes XNPV zero: Newton from the guess (50 steps, as LibreOffice),
    then from -99 %, -98 %, ... where that fails (LibreOffice's XIRR scan)."""
    v = np.asarray(values, dtype=float)
    years = np.asarray(days, dtype=float) / 365.0
    step = _npv_step(v, years)
    x = _newton(step, _start(guess, v), 50)
    for k in range(200):
        missing = np.isnan(x)
        if not missing.any():
            break
        x = np.where(missing, _newton(step, np.full(x.shape, -0.99 + 0.01 * k), 50), x)
    return _verified(x, v, years)


def _verified(x, values, exponents):
    """x where it is a rate of return: above -100 % (Newton may land on a root below, which Excel
    returns) and a true root, its NPV zero to 1e-9 of the discounted flows' size (near -100 % a
    step under Excel's tolerance can still be far from the root: Excel returns that too); else NaN."""
    with np.errstate(all="ignore"):
        discounted = values * (1.0 + x) ** -exponents
        root = np.abs(discounted.sum(axis=-1, keepdims=True)) <= 1e-9 * np.abs(discounted).sum(axis=-1, keepdims=True)
    return np.where((x > -1.0) & root, x, np.nan)
