"""A rate as the plain number it is over one period: one rule for npv's discount rate and for the
rate of Excel's financial functions (pmt, nper, ...), what each accepts stated as a RatePolicy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .. import ir
from ..diagnostics import Label
from . import common
from .scope import Abandon


class OtherTime(Enum):
    """How a rate per a time other than the timeline's period (10 %/year on months) is taken."""

    SHARE = "its nominal share of one period"  # 10 %/year on months: 10/12 % a month, as NPV(10%/12, ...)
    REFUSE = "refused"  # nominal share or compounded: the modeller's choice, not ours


class PlainRefused(Enum):
    """Which plain rates (no time in their unit) a timeline of months or quarters refuses: per
    period, or per year? A yearly timeline takes them all."""

    ANY = "any plain rate"
    TYPED_IN = "a plain rate typed in"  # a literal or an input; one computed (8 %/year * period_length()) is per period


@dataclass(frozen=True)
class RatePolicy:
    other_time: OtherTime
    plain_refused: PlainRefused


NPV_RATE = RatePolicy(other_time=OtherTime.SHARE, plain_refused=PlainRefused.ANY)
FINANCE_RATE = RatePolicy(other_time=OtherTime.REFUSE, plain_refused=PlainRefused.TYPED_IN)


def rate_per_period(s, rate, f: str, span, ctx, policy: RatePolicy):
    """f's rate as a plain number per period, said so. A plain rate is per period, which only a
    yearly timeline takes without a guess (policy.plain_refused: which plain rates the others
    refuse); a rate per time is per period when its time is the period, and a rate per another
    time is taken as policy.other_time says. span: where a message points."""
    units, tl = s.units, s.timeline
    unit = rate.type.unit
    if units.is_dimensionless(unit):
        if tl.per_year != 1 and refuses_plain(s, rate, policy):
            plain_rate_refused(s, f, span, ctx, policy)
        return common.plain(s, rate)
    if not units.is_dimensionless(units.mul(unit, tl.step_unit)):
        example = " (10 %/year)" if policy.other_time is OtherTime.SHARE else ""  # only where one per year is taken
        ctx.report.error("unit-mismatch", f"{f}'s rate is a plain number per period or a rate per time{example}, "
                         f"not {common.u(s, unit)}", span, Label(span, common.u(s, unit)))
        raise Abandon
    if policy.other_time is OtherTime.REFUSE:
        not_per_another_time(s, rate, f, span, ctx)
    return per_time(s, rate, tl.step_unit)


def refuses_plain(s, rate, policy: RatePolicy) -> bool:
    """Is this plain rate one the policy refuses on a timeline of months or quarters?"""
    if policy.plain_refused is PlainRefused.ANY:
        return True
    return s.units.equal(time_part(s, rate.type.unit), s.units.dimensionless) and typed_in(s, rate)


def plain_rate_refused(s, f: str, span, ctx, policy: RatePolicy):
    """The error for a plain rate refused: its hint suggests the rates the policy takes."""
    tl = s.timeline
    if policy.other_time is OtherTime.SHARE:
        ctx.report.error("unit-mismatch", f"{f}'s rate is plain, so it would be per {tl.kind}: say per what",
                         span, Label(span, "per period?"),
                         hint=f"write the rate per year (e.g. 10 %/year: {tl.per_year} compounding periods a "
                              f"year) or per {tl.kind} (e.g. 1 %/{tl.kind})")
    else:
        ctx.report.error("unit-mismatch", f"{f}'s rate is per period, and a plain rate here would be per "
                         f"{tl.kind}: say per what", span, Label(span, f"per {tl.kind}?"),
                         hint=f"write a rate per {tl.kind} (0.5 %/{tl.kind}), or convert one per year "
                              f"explicitly: rate * period_length() (8 %/year → 0.667 % a {tl.kind})")
    raise Abandon


def not_per_another_time(s, rate, f: str, span, ctx) -> None:
    """A rate per a time other than the period (8 %/year on months) is refused rather than
    guessed: the nominal share (/ 12), or compounded?"""
    units, tl, unit = s.units, s.timeline, rate.type.unit
    own = units.div(units.dimensionless, time_part(s, unit))  # the time the rate is per
    if abs(units.factor(own, tl.step_unit) - 1.0) > 1e-12:
        ctx.report.error("unit-mismatch", f"{f}'s rate is per period (a {tl.kind}), not per "
                         f"{units.short(own)}: convert it explicitly", span, Label(span, common.u(s, unit)),
                         hint=f"the nominal rate per {tl.kind}: {common.text(s, rate) or 'rate'} * period_length(); "
                              f"the compounded one: (1 + {common.text(s, rate) or 'rate'} * 1 {units.short(own)})"
                              f"^(1 {tl.kind} / 1 {units.short(own)}) - 1")
        raise Abandon


def per_time(s, rate, time):
    """A rate per time (8 %/year) as the plain number it is over `time` (one period, or a year)."""
    units = s.units
    factor = units.factor(units.mul(rate.type.unit, time), units.dimensionless)
    return ir.Convert(rate, factor, rate.type.unit, ir.Type(units.dimensionless, rate.type.shape), rate.span)


def time_part(s, unit):
    """The product of a unit's time factors: percent/year -> 1/year, percent/year*month -> month/year."""
    out = s.units.dimensionless
    for name, exponent in unit._units.items():
        part = s.units.registry.Unit(name)
        if part.dimensionality == s.timeline.step_unit.dimensionality:
            out = out * part ** exponent
    return out


def typed_in(s, x) -> bool:
    """A number typed into the model (a literal, or an input read as it is), not computed."""
    while isinstance(x, ir.Convert):
        x = x.operand
    return isinstance(x, ir.Const) or (isinstance(x, (ir.Ref, ir.At)) and x.name in s.inputs)
