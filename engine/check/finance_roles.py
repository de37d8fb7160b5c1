"""Excel's financial functions (pmt, pv, fv, nper, rate, sln, ...; irr, xirr and xnpv's leading
arguments): each argument checked for the role engine/builtins.py gives it (a rate, a number of
periods, an amount, a guess, `due`), the optional ones left out filled with Excel's defaults."""

from __future__ import annotations

from .. import ir
from ..diagnostics import Label
from . import common, expressions
from .rates import FINANCE_RATE, per_time, rate_per_period
from .scope import Abandon


def rule_finance(s, node, builtin, typed, shape, ctx):
    """Excel's financial functions: each argument checked for its role (FINANCE_ROLES), the
    optional ones left out filled with Excel's defaults; the result in the first amount's unit
    (pmt, pv, sln, ...) or a plain number (nper, rate)."""
    args, amount = finance_args(s, node, builtin, typed, ctx)
    unit = amount if amount is not None and builtin.name not in ("nper", "rate") else s.units.dimensionless
    return ir.Func(builtin.name, tuple(args), ir.Type(unit, shape), node.span)


def finance_args(s, node, builtin, typed, ctx):
    """The arguments converted for their roles (defaults appended), and the amounts' unit."""
    out, amount, first = [], None, None
    for role, x in zip(builtin.roles, typed):
        x = expressions.numeric(s, x, ctx, f"{builtin.name}'s {ROLE_NAMES[role]}")
        if role == "amount":
            if amount is None:
                amount, first = x.type.unit, x
            elif s.units.same_dimension(amount, x.type.unit):
                x = common.convert(s, x, amount)
            else:
                ctx.report.error("unit-mismatch", f"{builtin.name}()'s amounts are of one kind: "
                                 f"{common.u(s, amount)} and {common.u(s, x.type.unit)} are not",
                                 x.span or node.span, Label(first.span or node.span, common.u(s, amount)),
                                 Label(x.span or node.span, common.u(s, x.type.unit)),
                                 hint=f"write each amount in {common.u(s, amount)} (0 USD for none): "
                                      f"{builtin.signature}")
                raise Abandon
        else:
            x = FINANCE_ROLES[role](s, x, builtin, node, ctx)
        out.append(x)
    out += [default_argument(s, builtin, i, amount, node.span) for i in range(len(typed), len(builtin.roles))]
    return out, amount


def default_argument(s, builtin, i: int, amount, span):
    """Argument i left out: Excel's default (fv 0, due 0, guess 10 %, ...), in the amounts' unit
    for an amount."""
    value = builtin.defaults[i - len(builtin.roles) + len(builtin.defaults)]
    unit = amount if builtin.roles[i] == "amount" and amount is not None else s.units.dimensionless
    return ir.Const(value, ir.Type(unit, ir.SCALAR), span)


def role_rate(s, x, builtin, node, ctx):
    """A rate per period, said so (rates.FINANCE_RATE): a plain rate on a yearly timeline; on a
    sub-annual one a rate per its period (0.5 %/month) or one computed (8 %/year *
    period_length(), or a formula's). A rate per year on a monthly timeline is refused rather
    than guessed (nominal / 12, or compounded?), and so is a plain rate typed in (a literal or an
    input): per month, or per year?"""
    return rate_per_period(s, x, builtin.name, x.span or node.span, ctx, FINANCE_RATE)


def role_count(s, x, builtin, node, ctx):
    """A number of periods (or a period number): plain, or a time converted to periods (20 year
    on a monthly timeline is 240)."""
    units, tl = s.units, s.timeline
    if units.is_dimensionless(x.type.unit):
        return common.plain(s, x)
    if units.same_dimension(x.type.unit, tl.step_unit):
        return ir.Convert(x, units.factor(x.type.unit, tl.step_unit), x.type.unit,
                          ir.Type(units.dimensionless, x.type.shape), x.span)
    span = x.span or node.span
    ctx.report.error("unit-mismatch", f"{builtin.name}() counts periods: a plain number or a time, not "
                     f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                     hint=f"e.g. 20 (periods) or 20 year ({20 * tl.per_year} {tl.kind}s on this timeline)")
    raise Abandon


def role_plain(s, x, builtin, node, ctx, what: str = "this argument"):
    if not s.units.is_dimensionless(x.type.unit):
        span = x.span or node.span
        ctx.report.error("unit-mismatch", f"{builtin.name}()'s {what} is a plain number, not "
                         f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                         hint=f"write {builtin.signature}" + (" with a guess like 10 %" if what == "guess" else ""))
        raise Abandon
    return common.plain(s, x)


def role_guess(s, x, builtin, node, ctx):
    return role_plain(s, x, builtin, node, ctx, "guess")


def role_due(s, x, builtin, node, ctx):
    """Excel's `type`: 0, payments at the end of each period, or 1, at the start: a literal."""
    if not (isinstance(x, ir.Const) and s.units.is_dimensionless(x.type.unit) and
            float(x.value) * s.units.factor(x.type.unit, s.units.dimensionless) in (0.0, 1.0)):
        span = x.span or node.span
        ctx.report.error("type", f"{builtin.name}'s `due` is 0 (payments at the end of each period) or 1 (at the "
                         "start), written as the number", span, Label(span), hint=f"write {builtin.signature}")
        raise Abandon
    return common.plain(s, x)


def role_annual_rate(s, x, builtin, node, ctx):
    """xnpv's rate: per year, as Excel's XNPV takes it (a plain number), or a rate per time."""
    units = s.units
    if units.is_dimensionless(x.type.unit):
        return common.plain(s, x)
    year = units.parse("year")
    per_year = units.mul(x.type.unit, year)
    if not units.is_dimensionless(per_year):
        span = x.span or node.span
        ctx.report.error("unit-mismatch", f"{builtin.name}'s rate is per year (8 % or 8 %/year), not "
                         f"{common.u(s, x.type.unit)}", span, Label(span, common.u(s, x.type.unit)),
                         hint=f"write {builtin.signature}, e.g. {builtin.name}(8 %, ...)")
        raise Abandon
    return per_time(s, x, year)


FINANCE_ROLES = {"rate": role_rate, "count": role_count, "plain": role_plain, "guess": role_guess,
                 "due": role_due, "annual rate": role_annual_rate}
ROLE_NAMES = {"rate": "rate", "count": "number of periods", "plain": "argument", "guess": "guess",
              "due": "due", "annual rate": "rate", "amount": "amount", "series": "cash flows"}
