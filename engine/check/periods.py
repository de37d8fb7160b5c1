"""Periods: a table key, a selector or a range as timeline indices; and the last pass over the
typed formulas: every reference reads a period that exists and has a value."""

from __future__ import annotations

from .. import ir, period_counts
from .. import syntax as ast
from ..diagnostics import Label, Reporter, Span
from . import common, counts
from .scope import Abandon, Scope


def verify(s: Scope) -> None:
    """Every formula's references read defined periods (errors into s.report)."""
    for name in s.formulas:
        q = s.quantities.get(name)
        if q is not None and name not in s.broken:
            for eq in q.equations:
                coverage(s, eq.expr, eq.start, eq.stop, name)


def period_span(s, period, report: Reporter | None = None) -> tuple[int, int]:
    """Timeline indices (inclusive) of a table key, an equation's selector or a range reference:
    a label coarser than the periods covers all of its periods (2026 on a monthly timeline)."""
    report = report or s.report
    if isinstance(period, ast.Fixed):
        return label_span(s, period.period, period.span, report)
    start = label_span(s, period.start, period.span, report)[0]
    stop = len(s.timeline) - 1 if period.end is None else label_span(s, period.end, period.span, report)[1]
    if stop < start:
        report.error("bad-period", f"the range {period.start}..{period.end} is empty", period.span,
                     Label(period.span), hint=f"write it from the earlier period: {period.end}..{period.start}")
        raise Abandon
    return start, stop


def label_span(s, label: ast.PeriodLabel, span: Span, report: Reporter | None = None) -> tuple[int, int]:
    """The indices a written period covers; an error if it is finer than the timeline's periods
    or not (wholly) on the timeline."""
    tl, report = s.timeline, report or s.report
    try:
        first, last = tl.span_of(label.year, label.kind, label.number, label.fiscal)
    except ValueError as err:
        report.error("bad-period", str(err), span, Label(span),
                     hint=getattr(err, "hint", None) or f"periods on this timeline are {tl.kind}s, e.g. {tl.label(0)}")
        raise Abandon
    if tl.contains(first, last):
        return first, last
    inside = (max(first, 0), min(last, len(tl) - 1))
    if inside[0] <= inside[1]:
        report.error("bad-period", f"{label} is only partly on the timeline {tl.range_text()}", span,
                     Label(span), hint=f"write the periods it has: {tl.range_text(*inside)}")
    else:
        report.error("bad-period", f"{label} is outside the timeline {tl.range_text()}", span, Label(span),
                     hint=f"use a period from {tl.label(0)} to {tl.label(len(tl) - 1)}, or extend the timeline")
    raise Abandon


def period_index(s, label: ast.PeriodLabel, span: Span, report: Reporter | None = None,
                 name: str | None = None) -> int:
    """The index of one period (x[2027-03] in an expression): a coarser label is an error here."""
    first, last = label_span(s, label, span, report)
    if first != last:
        tl, x = s.timeline, name or "x"
        (report or s.report).error(
            "bad-period", f"{label} is a {label.kind}: {last - first + 1} periods on this {tl.frequency} timeline, "
            "not one value", span, Label(span),
            hint=f"write {x}[{tl.label(last)}] (its last period) or total({x}[{label}]) (its total)")
        raise Abandon
    return first


def coverage(s, expr, start: int | None, stop: int | None, owner: str | None = None):
    """Every read of `expr` (engine/reads.py), computed over periods start..stop (None: a single
    value), reads periods of the timeline where its quantity has values; a count of periods it
    reads (a lag, a life) is recorded with the largest value its uses allow (period_counts)."""
    n = len(s.timeline)
    stack = [expr]
    while stack:
        node = stack.pop()
        stack.extend(ir.children(node))
        read = node.read()
        if read is None:
            continue
        if read.access == "offset" and node.type.series and start is not None:
            first, last = start + read.first, stop + read.first
            if first < 0 or last >= n:
                outside(s, node, read.first, f"`{read.name}[t{read.first:+d}]`", start, stop, first < 0, owner)
                continue
            defined(s, read.name, first, last, read.span)
        elif read.access == "shifted" and start is not None:
            _shifted(s, node, read, start, stop, owner)
        elif read.access in ("fixed", "range"):
            defined(s, read.name, read.first, read.last, read.span)
        elif read.access == "to_date" and stop is not None:
            if read.count is not None:
                period_counts.record(s.counts, node, n)
            defined(s, read.name, 0, stop, read.span)


def _shifted(s, node, read, start: int, stop: int, owner: str | None) -> None:
    """x[t-lag] over start..stop: the lag's limit recorded; where its value is known, the periods
    it reads on the timeline and defined."""
    n = len(s.timeline)
    period_counts.record(s.counts, node, n, s.quantities[read.name].defined, start, stop)
    k = counts.known_value(s, read.count)
    if k is None:
        return
    offset = read.sign * round(k)
    first, last = start + offset, stop + offset
    by = ir.count_input(read.count)
    shown = f"`{read.name}[t{'+' if read.sign > 0 else '-'}{by}]` ({by} = {abs(offset)} {s.timeline.kind}s)"
    if first < 0 or last >= n:
        most = start if first < 0 else n - 1 - stop
        outside(s, node, offset, shown, start, stop, first < 0, owner,
                also=f"; or set {by} to at most {most} {s.timeline.kind}s" if most >= 1 else "")
        return
    defined(s, read.name, first, last, read.span, f": {shown} reads it")


def outside(s, ref, k: int, shown: str, start, stop, before: bool, owner: str | None, also: str = ""):
    """`ref` reads k periods away (x[t-1]; x[t-lag], lag's value known), outside the timeline."""
    tl = s.timeline
    if before:
        first_ok = min(-k, len(tl) - 1)  # the first period whose read is on the timeline
        period, later = tl.label(start), tl.label(first_ok)
        if -k > len(tl) - 1:  # no period of the timeline reaches back that far
            hint = "the lag is longer than the timeline: shorten it, or extend the timeline"
        elif owner:
            hint = (f"start this formula at {later} ({owner}[{later}..] = ...) and give "
                    f"{owner}[{period}] its own equation if it needs a value there")
        else:
            hint = f"restrict the check to periods from {later}: for t in {tl.range_text(first_ok)}"
        s.report.error(
            "lag-before-timeline", f"{shown} reaches {tl.label(start + k)} when t = {period}, before "
            f"the timeline starts ({tl.label(0)})", ref.span, Label(ref.span), hint=hint + also)
    else:
        s.report.error(
            "lag-before-timeline", f"{shown} reaches {tl.label(stop + k)} when t = {tl.label(stop)}, "
            f"after the timeline ends ({tl.label(len(tl) - 1)})", ref.span, Label(ref.span),
            hint="end this formula earlier, or extend the timeline" + also)


def defined(s, name: str, first: int, last: int, span: Span, how: str = ""):
    q = s.quantities.get(name)
    if q is None or not q.series or q.defined is None or q.defined[first:last + 1].all():
        return
    missing = [i for i in range(first, last + 1) if not q.defined[i]]
    if missing and dropped_by_scenario(s, name, span, missing[0]):
        return
    if missing:
        tl = s.timeline
        have = [i for i in range(len(tl)) if q.defined[i]]
        has = tl.range_text(have[0], have[-1]) if have and len(have) == have[-1] - have[0] + 1 else (
            ", ".join(tl.label(i) for i in have) or "no period")
        s.report.error("missing-value", f"`{name}` has no value for {tl.label(missing[0])}{how}", span,
                       Label(span), hint=f"`{name}` is defined for {has}: add an equation for "
                       f"{tl.label(missing[0])} or read it only where it exists")


def dropped_by_scenario(s, name: str, span: Span, period: int | None = None) -> bool:
    """When this scenario replaced `name`'s equations and so dropped the base equation that
    gave a value the model needs (at `period`, or any): say so (True), instead of the
    symptom (a unit that cannot be inferred, a period with no value)."""
    base = s.replaced.get(name)
    if not base:
        return False
    mine = s.formulas[name]
    covered: set[int] = set()
    general = any(eq.index is None or isinstance(eq.index, ast.Current) for eq in mine)
    for eq in mine:
        if isinstance(eq.index, (ast.Fixed, ast.PeriodRange)):
            try:
                a, b = period_span(s, eq.index, Reporter())
            except Abandon:
                continue
            covered.update(range(a, b + 1))
    dropped = []
    for eq in base:
        if isinstance(eq.index, (ast.Fixed, ast.PeriodRange)):
            try:
                a, b = period_span(s, eq.index, Reporter())
            except Abandon:
                continue
            lost = [i for i in range(a, b + 1) if i not in covered]
            if lost and not general and (period is None or period in lost):
                dropped.append(eq)
    if not dropped:
        return False
    lhs = [f"{name}[{common.text(s, eq.index)}]" for eq in dropped]
    labels = [Label(eq.span, "replaced by the scenario") for eq in mine[:1]] + \
             [Label(eq.span, "no longer applies") for eq in dropped]
    s.report.error("scenario-drops-equation", f"this scenario replaces every equation of `{name}`, "
                   f"so the model's `{lhs[0]} = ...` no longer applies", span, Label(span, "needs it"), *labels,
                   hint=f"repeat `{lhs[0]} = {common.text(s, dropped[0].value)}` inside the scenario: a scenario's "
                   f"equations for a formula replace all of that formula's equations")
    return True

