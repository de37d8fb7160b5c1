"""Sensitivity (a tornado): one output at each end of every input's range, the other inputs at
their base, sorted by the swing. Every end is a row of the samples axis: the whole tornado is one
vectorised evaluation of 1 + 2 x inputs rows.

An input with a range (`input g = 1 % .. 3 %`) goes to its low and high end; an input with one
value that is asked for by name goes to its base -+ `percent` % (every period of a series alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ir, report
from .overrides import input_values
from .samples import uncertain_inputs
from .solve import names_hint, output_at, refuse_count, usage

PERCENT = 10.0  # default -+ for an input without a range


@dataclass(frozen=True)
class Swing:
    input: str
    low: float  # the input's value at each end (its first period's, for a series), own unit
    high: float
    output_low: float  # the output there, in its own unit
    output_high: float
    how: str  # "range" or "+-10 %"

    @property
    def swing(self) -> float:
        return abs(self.output_high - self.output_low)


@dataclass
class Sensitivity:
    """The tornado of one output in one scenario, largest swing first."""

    scenario: str
    output: str  # as asked: "npv" or "cash[2029-12]"
    name: str
    period: int | None
    base: float  # the output at every input's base, own unit
    swings: list[Swing] = field(default_factory=list)
    checked: ir.CheckedModel | None = field(default=None, repr=False)

    def shown(self, name: str, value: float) -> tuple[float, str]:
        """`value` of the output or of an input in one display unit for all of that quantity's
        values in the tornado (one per cell picked 1.0464 "USD" for 1,046,400 USD)."""
        if name == self.name:
            values = [self.base] + [v for s in self.swings for v in (s.output_low, s.output_high)]
        else:
            values = [v for s in self.swings if s.input == name for v in (s.low, s.high)] or [value]
        q = self.checked.quantities[name]
        unit, factor = report.display(q, np.array(values, dtype=float), self.checked.units)
        return value * factor, unit

    def rows(self) -> list[list[str]]:
        out = []
        for s in self.swings:
            (lo, unit), (hi, _) = self.shown(s.input, s.low), self.shown(s.input, s.high)
            (olo, _), (ohi, _) = self.shown(self.name, s.output_low), self.shown(self.name, s.output_high)
            out.append([s.input, s.how, f"{lo:,.6g}", f"{hi:,.6g}", unit, f"{olo:,.6g}", f"{ohi:,.6g}",
                        f"{abs(ohi - olo):,.6g}"])
        return out

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "output": self.output, "base": self.base,
                "swings": [{"input": s.input, "how": s.how, "low": s.low, "high": s.high,
                            "output_low": s.output_low, "output_high": s.output_high, "swing": s.swing}
                           for s in self.swings]}

    def _repr_html_(self) -> str:  # a notebook shows the table the command prints
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def __str__(self) -> str:
        value, unit = self.shown(self.name, self.base)
        header = ["input", "how", "low", "high", "unit", f"{self.output} at low", "at high", "swing"]
        rows = [header] + self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [f"[{self.scenario}] {self.output} = {value:,.6g} {unit}".rstrip() + " at every input's base; "
                 f"each input alone at its ends (output in {unit or 'plain numbers'}):", ""]
        for k, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i < 2 or i == 4 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def sensitivity(model, output: str, inputs: list[str] | None = None, percent: float = PERCENT,
                scenario: str = "base", overrides: dict | None = None) -> Sensitivity:
    checked = model.checked(scenario)
    name, period = output_at(checked, output)
    names = _inputs(checked, inputs)
    if not 0 < percent < 100:
        raise usage(f"--percent {percent:g}: a share of the base from above 0 to below 100", "e.g. --percent 10")
    values = input_values(checked, overrides if overrides is not None else {})
    ends = [_ends(checked.quantities[n], values[n], percent) for n in names]
    m = 1 + 2 * len(names)
    rows = {n: np.repeat(v[None, :], m, axis=0) for n, v in values.items()}
    for k, (n, (low, high, _)) in enumerate(zip(names, ends)):
        rows[n][1 + 2 * k], rows[n][2 + 2 * k] = low, high
    env = model.evaluator(scenario).run(rows, prefix=(m,), verify=False, needed={name})
    out = np.broadcast_to(env[name], (m,) + env[name].shape[-1:])[:, period or 0]
    result = Sensitivity(scenario, output, name, period, float(out[0]), [], checked)
    for k, (n, (low, high, how)) in enumerate(zip(names, ends)):
        result.swings.append(Swing(n, float(low[0]), float(high[0]), float(out[1 + 2 * k]), float(out[2 + 2 * k]), how))
    result.swings.sort(key=lambda s: (-s.swing if np.isfinite(s.swing) else np.inf, s.input))
    return result


def _inputs(checked: ir.CheckedModel, asked: list[str] | None) -> list[str]:
    if not asked:
        names = [q.name for q in uncertain_inputs(checked) if q.low is not None]
        if not names:
            raise usage("no input of the model has a range: name the inputs to move by a percent",
                        "e.g. --inputs price volume --percent 10")
        return names
    out = []
    for text in asked:
        q = checked.quantities.get(text)
        if q is None or q.kind != "input" or q.unit is None:
            what = "not a quantity of the model" if q is None else "a formula" if q.kind != "input" else "true/false"
            raise usage(f"`{text}` is {what}: --inputs takes number inputs", names_hint(checked, text, inputs=True))
        refuse_count(checked, text)
        out.append(text)
    return list(dict.fromkeys(out))


def _ends(q: ir.Quantity, value: np.ndarray, percent: float) -> tuple[np.ndarray, np.ndarray, str]:
    """(low row, high row, how): the range's ends, or the base -+ percent (every period)."""
    if q.low is not None:
        return np.full_like(value, float(q.low)), np.full_like(value, float(q.high)), "range"
    return value * (1 - percent / 100), value * (1 + percent / 100), f"+-{percent:g} %"


def tornado(result: Sensitivity, path, model_file: str | None = None) -> None:
    """A horizontal bar per input from the output at its low end to the output at its high end,
    the base value as the axis, largest swing on top, in the output's display unit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import write_png

    base, unit = result.shown(result.name, result.base)
    swings = list(reversed(result.swings))  # matplotlib draws the first bar at the bottom
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(swings)), dpi=110)
        for k, s in enumerate(swings):
            lo, hi = result.shown(result.name, s.output_low)[0], result.shown(result.name, s.output_high)[0]
            ax.barh(k, lo - base, left=base, color="#c0504d", height=0.6)
            ax.barh(k, hi - base, left=base, color="#4f81bd", height=0.6)
        ax.set_yticks(range(len(swings)), [f"{s.input} ({s.how})" for s in swings], fontsize=8)
        ax.axvline(base, color="#333333", linewidth=1)
        ax.set_xlabel(f"{result.output} ({unit or 'plain number'}); red: input at its low end, blue: high end")
        ax.set_title(f"{result.checked.title}: what moves {result.output} ({result.scenario})")
        fig.tight_layout()
        try:
            write_png(fig, path, model_file)
        finally:
            plt.close(fig)
