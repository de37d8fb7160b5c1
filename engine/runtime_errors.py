"""Runtime errors, located: which sub-expression of which equation turned finite inputs into inf
or NaN at which period and why (division by zero, a function outside its domain, a lag off the
timeline, an IRR with no root), a circular loop that does not settle, and what a failing check
compared. The Evaluator (engine/evaluate.py) calls these once something has gone wrong."""

from __future__ import annotations

import numpy as np

from . import builtins, compiler, ir, loops, spreadsheet_math
from .diagnostics import Diagnostic, Label
from .units import SCALE_BY_POWER


def _compile(node, ev):
    return ev.compile([node])


def diagnose(ev, q: ir.Quantity, eq: ir.Equation, p: int | None, env) -> Diagnostic:
    """Find the smallest sub-expression that turned finite inputs into inf/NaN at period p."""
    a, b = (p, p + 1) if p is not None else (0, 1)
    culprit, why = eq.expr, "produced an invalid value"
    stack = [eq.expr]
    while stack:
        node = stack.pop()
        value = np.asarray(_compile(node, ev)(env, a, b), dtype=float)
        if np.isfinite(value).all():
            continue
        kids = ir.children(node)
        bad_kids = [k for k in kids if not k.type.boolean and not np.isfinite(
            np.asarray(_compile(k, ev)(env, a, b), dtype=float)).all()]
        if bad_kids:
            stack = bad_kids[:1]
            continue
        culprit = node
        why = _why(node, ev, env, a, b)
        break
    where = f" for {ev.model.timeline.label(p)}" if p is not None else ""
    span = culprit.span or eq.span
    labels = [Label(span, "here")]
    if isinstance(culprit, ir.Binary) and culprit.op == "/" and culprit.right.span:
        labels = [Label(culprit.right.span, f"is 0{where}")]
    return Diagnostic("runtime", f"{why} in `{q.name}`{where}", span, tuple(labels), hint=_hint(culprit))


def not_settled(ev, loop: loops.Loop, cells, previous) -> Diagnostic:
    """The loop that did not settle: its members, the period, each one's last two values."""
    q, eq, _, p = loop.parts[0]
    units = ev.model.units
    where = f" in {ev.model.timeline.label(p)}" if p is not None else ""
    chain = " -> ".join(loop.loop.names + loop.loop.names[:1])
    notes = []
    for (cell, _, _), old, (member, _, _, _) in zip(cells, previous, loop.parts):
        new_value, old_value = (float(np.asarray(v).reshape(-1)[_worst(cell, old)]) for v in (cell, old))
        unit = units.short(member.unit) if member.unit is not None else ""
        before, after = _distinct(old_value, unit, new_value, unit)  # with the digits that differ
        notes.append(f"`{member.name}`: {before} then {after}")
    return Diagnostic("runtime", f"the circular loop {chain} does not settle{where}: its values still change "
                      f"after {loops.LOOP_ITERATIONS} passes", eq.span,
                      tuple(Label(e.span, f"`{m.name}`") for m, e, _, _ in loop.parts if e.span is not None),
                      hint="a loop settles when each pass changes it less (interest on the average balance at a "
                           "rate below 200 %); check the rates it reads, or write the loop in closed form "
                           "(docs/language.md, \"Circular loops\")",
                      notes=("the last two passes: " + "; ".join(notes),))


def _worst(new: np.ndarray, old: np.ndarray) -> int:
    """The flat index of the value that moved the most (the sample shown in an error)."""
    change = np.abs(np.asarray(new, dtype=float) - np.asarray(old, dtype=float)).reshape(-1)
    change = np.where(np.isnan(change), np.inf, change)
    return int(np.argmax(change))


def _hint(node) -> str:
    if isinstance(node, ir.Shift):
        by = ir.count_input(node.by) or "the lag"
        return (f"set {by} (--set or a scenario) to a whole number of periods that keeps "
                f"{node.name}[t{'+' if node.sign > 0 else '-'}{by}] on periods where `{node.name}` has values")
    if isinstance(node, ir.Vintage):
        return "set the life to a whole number of periods, or a time that is one (3 year on a monthly timeline)"
    if isinstance(node, ir.Reduce) and node.func in ("irr", "xirr"):
        return (f"an IRR needs an outlay and later inflows (or the reverse) in {node.name}'s periods; where it "
                f"exists, a guess near it helps: {node.func}({node.name}[...], 5 %)")
    if isinstance(node, ir.Reduce) and node.func == "xnpv":
        return "xnpv's rate must be above -100 % (a year's discount factor 1 / (1 + rate) must be positive)"
    builtin = builtins.ELEMENTWISE.get(node.name) if isinstance(node, ir.Func) else None
    if builtin is not None and builtin.unit_rule == "finance":
        return f"check the arguments it reads against Excel's rules for {builtin.signature}"
    if builtin is not None and builtin.name in _GUARDS:
        return f"{_GUARDS[builtin.name]}, or check the inputs it reads"
    return "guard it, e.g. if(x == 0, 0, y / x), or check the inputs it reads"


# A function that fails for some arguments: how to guard it (in the model's own syntax).
_GUARDS = {"sqrt": "its argument must not be negative: sqrt(max(x, 0))",
           "ln": "its argument must be positive: if(x > 0, ln(x), 0)",
           "log10": "its argument must be positive: if(x > 0, log10(x), 0)",
           "mod": "its divisor must not be 0: if(b == 0, 0, mod(a, b))",
           "choose": "its option number must be 1 to the number of options: choose(min(max(i, 1), 3), a, b, c)"}


def _why(node, ev, env, a, b) -> str:
    if isinstance(node, ir.Binary) and node.op == "/":
        right = np.asarray(_compile(node.right, ev)(env, a, b), dtype=float)
        if (right == 0).any():
            return "division by zero"
    if isinstance(node, ir.Func) and builtins.ELEMENTWISE[node.name].failure:
        return builtins.ELEMENTWISE[node.name].failure
    if isinstance(node, ir.Reduce) and node.func in ("irr", "xirr"):
        flows = np.asarray(env[node.name][..., node.start:node.stop + 1], dtype=float)
        if (flows >= 0).all() or (flows <= 0).all():
            sign = "positive or zero" if (flows >= 0).all() else "negative or zero"
            return (f"{node.func}() of cash flows that are all {sign}: no rate makes their net present value 0 "
                    "(Excel shows #NUM!)")
        return f"{node.func}() found no rate: Newton's method from the guess did not converge (Excel shows #NUM!)"
    if isinstance(node, ir.Shift):
        return _shift_why(node, ev, env, a)
    if isinstance(node, ir.Vintage):
        lives = np.asarray(_compile(node.life, ev)(env, 0, 1), dtype=float).reshape(-1)
        return (f"the depreciation life is {lives[0]:g} periods: it must be a whole number of periods from 1 to "
                f"{ev.n} (the timeline's length)" if np.all(lives == lives[0]) else
                "the depreciation life differs between samples: it must be one whole number of periods")
    if isinstance(node, ir.Reduce) and builtins.OVER_PERIODS[node.func].failure:
        return builtins.OVER_PERIODS[node.func].failure
    value = np.asarray(_compile(node, ev)(env, a, b), dtype=float)
    if np.isinf(value).any():
        return "overflow (the value is too large for a float)"
    return "the result is not a number"


def _shift_why(node: ir.Shift, ev, env, p: int) -> str:
    """Why x[t-lag] has no value at period p: the lag is not a whole number of periods, or it
    reaches off the timeline or a period where x has none."""
    ks = np.asarray(_compile(node.by, ev)(env, 0, 1), dtype=float).reshape(-1)
    by = ir.count_input(node.by) or "k"
    written = f"`{node.name}[t{'+' if node.sign > 0 else '-'}{by}]`"
    tl = ev.model.timeline
    k = compiler.whole_periods(ks, ev.n - 1)
    if k is None:
        if not np.all(ks == ks[0]):
            return f"`{by}` differs between samples, so {written} has no value"
        return (f"`{by}` = {ks[0]:g} {tl.kind}s is not a whole number of {tl.kind}s from 1 to {ev.n - 1}, so "
                f"{written} has no value")
    read, periods = p + node.sign * k, f"{k} {tl.kind}" + ("s" if k != 1 else "")
    if not 0 <= read < ev.n:
        side = "before the timeline starts" if read < 0 else "after the timeline ends"
        return f"`{by}` = {periods} makes {written} reach {tl.label(read)}, {side},"
    return f"`{by}` = {periods} makes {written} read {tl.label(read)}, where `{node.name}` has no value,"


def explain_comparison(ev, expr, env, p: int, series: bool) -> str:
    if not isinstance(expr, (ir.Compare, ir.Approx)):
        return ""
    a, b = (p, p + 1) if series else (0, 1)
    units = ev.model.units
    # Both sides in the display unit of the quantity the check reads (dscr shown in %: 19.1 % >= 120 %)
    shown = next((ev.model.quantities[n.name] for n in (expr.left, expr.right)
                  if isinstance(n, (ir.Ref, ir.At)) and ev.model.quantities[n.name].display_unit is not None), None)

    def side(node):
        value = np.asarray(_compile(node, ev)(env, a, b), dtype=float).reshape(-1)[0]
        if shown is not None and node.type.unit is not None and units.same_dimension(node.type.unit, shown.unit):
            return value * units.factor(node.type.unit, shown.unit) * shown.display_factor, \
                units.short(shown.display_unit)
        return value, units.short(node.type.unit) if node.type.unit is not None else ""
    (left, lu), (right, ru) = side(expr.left), side(expr.right)
    left_text, right_text = _distinct(left, lu, right, ru)
    op = expr.op if isinstance(expr, ir.Compare) else "~="
    text = f"{left_text} {op} {right_text} is false"
    if isinstance(expr, ir.Approx):
        tol = np.asarray(_compile(expr.tolerance, ev)(env, a, b), dtype=float).reshape(-1)[0]
        text += f" (tolerance {tol * 100:g}%)" if expr.relative else f" (tolerance {_human(tol, '')})"
    elif left != right and bool(spreadsheet_math.approx_equal(left, right)):
        text += " (equal to 15 digits, as a spreadsheet compares)"
    return text


def _distinct(left: float, lu: str, right: float, ru: str) -> tuple[str, str]:
    """Both sides as text, with as many digits as it takes to see that they differ (a check that
    fails on 0.75000000000001 <= 0.75 must not print `75 % <= 75 %`); past 15 digits, the
    shortest text that reads back as each number (0.30000000000000004, 0.3)."""
    texts = _human(left, lu), _human(right, ru)
    for digits in (9, 12, 15):
        if texts[0] != texts[1] or left == right:
            return texts
        texts = _human(left, lu, digits), _human(right, ru, digits)
    if texts[0] == texts[1] and left != right:
        texts = f"{float(left)!r} {lu}".rstrip(), f"{float(right)!r} {ru}".rstrip()
    return texts


def _human(value: float, unit: str, digits: int = 0) -> str:
    """A value for a message: 4 significant digits with a scale word, 6 without (or `digits`)."""
    magnitude = abs(value)
    for power in (10**12, 10**9, 10**6):
        if magnitude >= power:
            return f"{value / power:,.{digits or 4}g} {SCALE_BY_POWER[power]} {unit}".rstrip()
    return f"{value:,.{digits or 6}g} {unit}".rstrip()
