"""Goal seek: the values of one input at which a quantity reaches a target (Excel's Goal Seek,
with every root in the bracket, not the first one found).

The bracket (the input's declared range, `between`, or an automatic one: below) is scanned in
one vectorised evaluation, its SCAN points rows of the samples axis; each sign change of
(quantity - target) is refined by Brent's method (scipy.optimize.brentq) on one-row evaluations,
to the last bit of the input's value. Roots are reported nearest to the input's base value first.

Automatic bracket (an input with one value and no `between`): base / 2 .. base * 2, keeping the
base's sign (a price stays a price), widened by 4 at each end (base / 8 .. base * 8, ...) up to
WIDENINGS times until the scan finds a sign change; -1 .. 1 around a base of 0, then 4x wider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ir, report
from .check.literals import LiteralError, parse_literal
from .diagnostics import Diagnostic, ModelError
from .overrides import split_key, input_values

SCAN = 257  # points across the bracket, in one evaluation
WIDENINGS = 6  # an automatic bracket grows 4x around the base at most this many times (4^6 = 4,096x)


@dataclass(frozen=True)
class Target:
    name: str  # the quantity
    period: int | None  # its period (a series), None for a single value
    value: float  # in the quantity's own unit
    text: str  # as written: "equity_irr = 10 %"


@dataclass(frozen=True)
class Root:
    value: float  # the input's value, in its own unit
    achieved: float  # the quantity's value there, in its own unit


@dataclass
class Solution:
    """Every root of one goal seek in one scenario, nearest to the base value first."""

    scenario: str
    target: Target
    vary: str
    base: float  # the input's value before (its own unit)
    bracket: tuple[float, float]
    roots: list[Root] = field(default_factory=list)
    checked: ir.CheckedModel | None = field(default=None, repr=False)

    def as_override(self) -> dict[str, str]:
        """The root nearest the base as a `--set` override ({input: "value unit"}, exact): what
        the workbook writes and what the other sheets of the same export are computed with."""
        q = self.checked.quantities[input_at(self.checked, self.vary)[0]]
        return {self.vary: f"{self.roots[0].value!r} {q.unit_text}".strip()}

    def shown(self, name: str, value: float) -> str:
        q = self.checked.quantities[name]
        unit, factor = report.display(q, np.array([value]), self.checked.units)
        return f"{value * factor:,.10g} {unit}".strip()

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "target": self.target.text, "vary": self.vary, "base": self.base,
                "bracket": list(self.bracket),
                "roots": [{"value": r.value, "achieved": r.achieved, "shown": self.shown(self.vary, r.value)}
                          for r in self.roots]}

    def _repr_html_(self) -> str:  # a notebook shows the table the command prints
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def __str__(self) -> str:
        lines = [f"[{self.scenario}] {self.target.text}: {len(self.roots)} root{'s' * (len(self.roots) != 1)} "
                 f"of `{self.vary}` in {self.shown(self.vary, self.bracket[0])} .. "
                 f"{self.shown(self.vary, self.bracket[1])} (base {self.shown(self.vary, self.base)})"]
        for r in self.roots:
            lines.append(f"  {self.vary} = {self.shown(self.vary, r.value)}   "
                         f"({self.target.name} = {self.shown(self.target.name, r.achieved)})")
        return "\n".join(lines)


def solve(model, target: str, vary: str, between: str | None = None, scenario: str = "base",
          overrides: dict | None = None, progress=None) -> Solution:
    """The values of input `vary` at which `target` ("equity_irr = 10 %", "cash[2029-12] = 0 USD")
    holds, the other inputs at the scenario's values with `overrides` applied (as run's).
    progress(done): told of the variants each evaluation tried, the scans' and Brent's steps (an
    open-ended count: how many steps Brent takes is not known ahead; engine/progress.py)."""
    checked = model.checked(scenario)
    goal = parse_target(checked, target)
    name, period = input_at(checked, vary)
    _depends(checked, goal.name, name)
    inputs = input_values(checked, overrides if overrides is not None else {})
    base = float(inputs[name][period or 0])
    residual = _Residual(model.evaluator(scenario), inputs, name, period, goal, progress)
    low, high, automatic = _bracket(checked, name, base, between)
    for widening in range(WIDENINGS + 1 if automatic else 1):
        xs = np.linspace(low, high, SCAN)
        ys = residual(xs)
        if automatic:  # keep the part around the base where the target has a value
            xs, ys, clipped = _finite_around(xs, ys, base, residual)
        roots = _roots(residual, xs, ys)
        if roots or not automatic or all(clipped):
            break
        wider = _wider(base, low, high)
        low, high = (xs[0] if clipped[0] else wider[0]), (xs[-1] if clipped[1] else wider[1])
    solution = Solution(scenario, goal, vary, base, (float(xs[0]), float(xs[-1])), [], checked)
    if not roots:
        raise _no_root(solution, xs, ys)
    roots.sort(key=lambda x: (abs(x - base), x))
    solution.roots = [Root(x, goal.value + float(residual(np.array([x]))[0])) for x in roots]
    return solution


def parse_target(checked: ir.CheckedModel, text: str) -> Target:
    left, sep, right = text.partition("=")
    if not sep or not left.strip() or not right.strip() or right.startswith("="):
        raise usage(f"a target is `QUANTITY = VALUE`, not {text!r}", 'e.g. --target "equity_irr = 10 %"')
    name, period = output_at(checked, left, "target", "a goal seek")
    q = checked.quantities[name]
    try:
        value = parse_literal(right.strip(), q, checked.units)
    except LiteralError as err:
        raise usage(f"the target {right.strip()!r} for `{name}`: {err}", err.hint) from None
    return Target(name, period, value, f"{left.strip()} = {right.strip()}")


def output_at(checked: ir.CheckedModel, text: str, role: str = "output",
              need: str = "a sensitivity") -> tuple[str, int | None]:
    """The number quantity `text` names, and its period where it is a series (the target of a goal
    seek, the output of a tornado or a table, what simulate draws or writes); `need` says, in the
    message for a true/false one, what needs a number."""
    name, label = split_key(text.strip(), checked)
    q = checked.quantities.get(name)
    if q is None:
        raise usage(f"no quantity named `{name}`", names_hint(checked, name))
    if q.unit is None:
        raise usage(f"`{name}` is true/false: {need} needs a number", None)
    return name, period_of(checked, q, label, role)


def input_at(checked: ir.CheckedModel, text: str) -> tuple[str, int | None]:
    """The input `text` names (an input, an item of one, one period of a series input) and its period."""
    name, label = split_key(text.strip(), checked)
    q = checked.quantities.get(name)
    if q is None or q.kind != "input":
        what = "a formula" if q is not None else "not a quantity of the model"
        raise usage(f"`{name}` is {what}: --vary takes an input", names_hint(checked, name, inputs=True))
    if q.unit is None:
        raise usage(f"`{name}` is true/false: it has no values to vary", None)
    refuse_count(checked, name)
    return name, period_of(checked, q, label, "vary")


def refuse_count(checked: ir.CheckedModel, name: str) -> None:
    """An input that counts periods (a depreciation life, a lag) is one whole number in a whole
    evaluation, as the checker says of a range on one: a what-if, whose variants are the rows of
    one evaluation, cannot vary it (it had every row's value blank, silently)."""
    limit = checked.counts.get(name)
    if limit is not None:
        raise usage(f"`{name}` counts periods ({limit.uses}): it is one whole number in a whole evaluation, so a "
                    "what-if cannot vary it", f'compare runs instead: unitsheet run {checked.file} --set "{name}=VALUE '
                    f'{checked.quantities[name].unit_text}"')


def period_of(checked, q: ir.Quantity, label: str | None, what: str) -> int | None:
    """The period index `q[label]` names (None for a single value); a usage error otherwise."""
    if not q.series:
        if label is not None:
            raise usage(f"`{q.name}` is a single value: write it without [{label}]", None)
        return None
    first = checked.timeline.label(0)
    if label is None:
        raise usage(f"`{q.name}` is a series: say which period ({q.name}[{first}])", None)
    try:
        start, stop = checked.timeline.parse(label)
    except ValueError as err:
        raise usage(f"{q.name}[{label}]: {err}", None) from None
    if start != stop:
        raise usage(f"{q.name}[{label}] is {stop - start + 1} periods: the {what} is one", None)
    return start


def _depends(checked: ir.CheckedModel, target: str, name: str) -> None:
    seen, stack = set(), [target]
    while stack:
        for read in checked.dependencies.get(stack.pop(), ()):
            if read not in seen:
                seen.add(read)
                stack.append(read)
    if name not in seen and name != target:
        inputs = [n for n in seen if checked.quantities[n].kind == "input"]
        raise usage(f"`{target}` does not depend on `{name}`: no value of it moves the target",
                     "vary one of the inputs it reads: " + ", ".join(sorted(inputs)[:6]) if inputs else None)


def _bracket(checked, name: str, base: float, between: str | None) -> tuple[float, float, bool]:
    """(low, high, automatic)."""
    q = checked.quantities[name]
    if between is not None:
        low_text, sep, high_text = between.partition("..")
        if not sep:
            raise usage(f"--between is LOW..HIGH, not {between!r}", f"e.g. --between \"{low_text or 0}..{low_text or 1}\"")
        try:
            low, high = (parse_literal(t.strip(), q, checked.units) for t in (low_text, high_text))
        except LiteralError as err:
            raise usage(f"--between for `{name}`: {err}", err.hint) from None
        if not low < high:
            raise usage(f"--between {between}: the low end must be below the high end", None)
        return low, high, False
    if q.low is not None:
        return float(q.low), float(q.high), False
    if base == 0:
        return -1.0, 1.0, True
    return tuple(sorted((base / 2, base * 2))) + (True,)


def _wider(base: float, low: float, high: float) -> tuple[float, float]:
    if base == 0:
        return 4 * low, 4 * high
    if base > 0:
        return low / 4, high * 4
    return low * 4, high / 4


def _finite_around(xs: np.ndarray, ys: np.ndarray, base: float, residual) -> tuple:
    """The run of scanned points around the base where the target has a value (an automatic
    bracket may reach where it has none: an IRR at half the price), and whether it was cut short
    on each side."""
    finite = np.isfinite(ys)
    at = int(np.argmin(np.abs(xs - base)))
    if not finite[at]:
        raise usage(f"the target is not a number at {residual.name}'s base value", None)
    first, last = at, at
    while first > 0 and finite[first - 1]:
        first -= 1
    while last < len(xs) - 1 and finite[last + 1]:
        last += 1
    return xs[first:last + 1], ys[first:last + 1], (first > 0, last < len(xs) - 1)


class _Residual:
    """quantity - target for an array of the input's values: one evaluation, a row each."""

    def __init__(self, evaluator, inputs: dict, name: str, period: int | None, goal: Target, progress=None):
        self.evaluator, self.inputs, self.name, self.period, self.goal = evaluator, inputs, name, period, goal
        self.progress = progress

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        m = len(xs)
        inputs = {n: np.broadcast_to(v, (m,) + v.shape) for n, v in self.inputs.items()}
        varied = np.repeat(self.inputs[self.name][None, :], m, axis=0)
        varied[:, self.period or 0] = xs
        inputs[self.name] = varied
        env = self.evaluator.run(inputs, prefix=(m,), verify=False, needed={self.goal.name})
        if self.progress is not None:
            self.progress(m)
        values = np.broadcast_to(env[self.goal.name], (m,) + env[self.goal.name].shape[-1:])
        return values[:, self.goal.period or 0] - self.goal.value


def _roots(residual, xs: np.ndarray, ys: np.ndarray) -> list[float]:
    from scipy.optimize import brentq

    bad = ~np.isfinite(ys)
    if bad.any():
        x = xs[int(np.argmax(bad))]
        raise usage(f"the target is not a number at {residual.name} = {x:.10g} (in its own unit), inside the "
                     "bracket: a goal seek needs a number everywhere it scans",
                     "narrow the bracket with --between to where the model has a value")
    roots = [float(x) for x, y in zip(xs, ys) if y == 0]
    for i in np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0):
        roots.append(float(brentq(lambda x: float(residual(np.array([x]))[0]), xs[i], xs[i + 1],
                                  xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=200)))
    return roots


def _no_root(solution: Solution, xs: np.ndarray, ys: np.ndarray) -> ModelError:
    i = int(np.argmin(np.abs(ys)))
    goal = solution.target
    closest = solution.shown(goal.name, goal.value + float(ys[i]))
    return usage(f"{goal.text} has no root for `{solution.vary}` in {solution.shown(solution.vary, xs[0])} .. "
                  f"{solution.shown(solution.vary, xs[-1])}: the nearest is {goal.name} = {closest} at "
                  f"{solution.vary} = {solution.shown(solution.vary, float(xs[i]))}",
                  "widen the search with --between LOW..HIGH, or check that the target can be reached")


def names_hint(checked, name: str, inputs: bool = False) -> str | None:
    from .diagnostics import did_you_mean

    names = [n for n, q in checked.quantities.items() if not inputs or q.kind == "input"]
    return did_you_mean(name, names)


def usage(message: str, hint: str | None) -> ModelError:
    return ModelError([Diagnostic("solve", message, None, hint=hint)])
