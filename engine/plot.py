"""`unitsheet plot`: series over the timeline, one line per quantity (or item) and scenario, at
most MAX_LINES of them (matplotlib)."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np

from . import report
from . import syntax as ast
from .diagnostics import Diagnostic, Label, ModelError, did_you_mean


def plot(model, names: list[str], scenarios: list[str], output: Path, title: str | None = None) -> None:
    from .files import check_output

    check_output(output, [model.file])  # a bad path is a usage error before any work
    checked = model.checked(scenarios[0])
    check_names(checked, names)
    check_count(model, checked, names, scenarios)  # before any run: refusing is instant
    fig = figure(checked, names, {s: model.run(s) for s in scenarios}, title)
    write_png(fig, output, model.file)


def figure(checked, names: list[str], runs: dict, title: str | None = None):
    """The chart of `names` in each of `runs` ({label: Results}, the first one's display units),
    as a matplotlib Figure of its own: no pyplot, so neither a backend nor a notebook's current
    figure is touched (Results.plot returns it; plot() writes it)."""
    import matplotlib

    base = next(iter(runs.values()))
    axes_units = _axis_units(checked, names, base)
    tl = checked.timeline
    periods = np.array([np.datetime64(tl.end_date(i)) for i in range(len(tl))])  # a date axis: period ends
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):  # titles are plain text: "$5 to $6"
        fig = _chart_class()(figsize=(9, 4.8), dpi=110)
        left = fig.subplots()
        axes = {axes_units[0]: left}
        if len(axes_units) == 2:
            axes[axes_units[1]] = left.twinx()
        side = {unit: ("left", "right")[k] for k, unit in enumerate(axes_units)}
        # Every line is distinct: a colour per quantity, a dash pattern and marker per scenario.
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        styles, markers = ["-", "--", ":", "-."], ["o", "s", "^", "D", "v"]
        lines = []
        for k, (run, results) in enumerate(runs.items()):
            for j, name in enumerate(names):
                shown, factor = report.display(checked.quantities[name], base.values[name], checked.units)
                values = results.values[name] * factor
                label = name if len(runs) == 1 else f"{name} ({run})"
                if len(axes) == 2:
                    label += f" [{side[shown]} axis: {shown or 'plain number'}]"
                (line,) = axes[shown].plot(periods, values, linestyle=styles[k % len(styles)],
                                           color=colours[j % len(colours)],
                                           marker=markers[k % len(markers)] if len(periods) <= MARKERS_UP_TO else None,
                                           markersize=3)
                lines.append((line, label))
        for unit, ax in axes.items():
            ax.set_ylabel(unit or "plain number")
        left.set_xlabel(f"period ({checked.timeline.frequency})")
        _label_periods(left, periods, tl)
        left.axhline(0, color="#999999", linewidth=0.8)
        left.grid(True, alpha=0.3)
        # Labels are passed with their lines: matplotlib would drop a label starting with "_" (a quantity `_y`).
        left.legend([line for line, _ in lines], [label for _, label in lines], loc="best", fontsize=8)
        left.set_title(title or f"{checked.title}: " + ", ".join(_shown(checked, names)))
        fig.tight_layout()
    return fig


@functools.cache
def _chart_class():
    """matplotlib's Figure, shown as a PNG by a notebook: without pyplot no backend registers it."""
    from matplotlib.figure import Figure

    class Chart(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png")
            return buffer.getvalue()
    return Chart


MARKERS_UP_TO = 60  # periods; beyond, markers hide the line
TICK_EVERY_PERIOD_UP_TO = 40  # yearly periods (24 shorter ones) labelled one by one
MAX_TICKS = 12  # labelled periods on a longer timeline
# Lines in one chart (quantities and items x scenarios): a legend of 10 fits the chart, and each
# quantity keeps a colour of its own (matplotlib's cycle has 10). docs/cli.md states it.
MAX_LINES = 10


def _axis_units(checked, names: list[str], base) -> list:
    """One axis per dimension: quantities that share a display unit share an axis."""
    axes_units = []
    for name in names:
        shown, _ = report.display(checked.quantities[name], base.values[name], checked.units)
        if shown not in axes_units:
            axes_units.append(shown)
    if len(axes_units) > 2:
        raise ModelError([Diagnostic("plot", "plot draws at most two units at once (a left and a right axis)",
                                     None, hint="plot the quantities in separate charts")])
    return axes_units


def check_names(checked, names: list[str]) -> None:
    for name in names:
        q = checked.quantities.get(name)
        if q is None:
            raise ModelError([Diagnostic("unknown-name", f"no quantity named `{name}`", None,
                                         hint=did_you_mean(name, checked.quantities))])
        if not q.series or q.unit is None:
            raise ModelError([Diagnostic("shape", f"`{name}` is not a numeric series; plot draws series", None)])


def check_count(model, checked, names: list[str], scenarios: list[str]) -> None:
    """Refuse more than MAX_LINES lines, at the quantity with the most items: drawing 111 lines
    made an unreadable chart under a legend taller than it; summing them would be a guess (a
    price's items do not add up)."""
    count = len(names) * len(scenarios)
    if count <= MAX_LINES:
        return
    rows: dict[str, list[str]] = {}  # quantity -> its rows among names (items of one quantity)
    for name in names:
        rows.setdefault(checked.dimensions.quantity_of(name), []).append(name)
    widest = max(rows, key=lambda q: len(rows[q]))
    drawn = [f"`{q}` ({len(r)} items)" if len(r) > 1 else f"`{q}`" for q, r in rows.items()]
    message = (f"{count} lines to draw, more than plot draws at once ({MAX_LINES}): "
               + ", ".join(drawn[:3] + (["..."] if len(drawn) > 3 else []))
               + (f", each in {len(scenarios)} scenarios" if len(scenarios) > 1 else ""))
    dims = checked.dimensions.of.get(widest)
    span = _declared_at(model, widest) if model is not None and dims and len(rows[widest]) > 1 else None
    if span is None:
        raise ModelError([Diagnostic("plot", message, None, hint="draw them in several charts, a few at a time")])
    file = Path(model.file).name if model.file else "MODEL"
    few = " ".join(f"'{row}'" for row in rows[widest][:2])
    hint = (f"name the items to draw (`plot {file} {few} ...`), or draw their total: add "
            f"`{widest}_total = sum({widest} over {', '.join(dims)})` (average(...) for a price or a rate) and plot it"
            + (", or draw fewer scenarios at once" if len(scenarios) > 1 else ""))
    label = Label(span, f"by {', '.join(dims)}: {len(rows[widest])} items")
    raise ModelError([Diagnostic("plot", message, span, (label,), hint=hint)], {model.file: model.text})


def _shown(checked, names: list[str]) -> list[str]:
    """The names for a title: a quantity whose items are all drawn once (`sales by region`), not
    each item row (ten of them ran off the chart's top)."""
    dims, out = checked.dimensions, []
    for name in names:
        quantity = dims.quantity_of(name)
        whole = quantity != name and set(dims.names(quantity)) <= set(names)
        shown = f"{quantity} by {', '.join(dims.of[quantity])}" if whole else name
        if shown not in out:
            out.append(shown)
    return out


def _declared_at(model, quantity: str):
    """The name of the statement declaring `quantity` (its first input or equation)."""
    for stmt in model.module.statements:
        if isinstance(stmt, (ast.Input, ast.Equation)) and stmt.name == quantity:
            return stmt.name_span
    return None


def _label_periods(ax, periods, tl) -> None:
    """Ticks on the points, named as the periods are: a date locator put December 2027, drawn
    at its last day, on a tick "2028" (the instant 1 January 2028)."""
    ticks = period_ticks(tl)
    labels = tl.labels()
    ax.set_xticks(periods[ticks], [labels[i] for i in ticks], fontsize=8,
                  rotation=0 if tl.per_year == 1 or len(ticks) <= MAX_TICKS else 60)


def period_ticks(tl) -> list[int]:
    """The periods to label: every one on a short timeline, else every `stride`-th, each
    ending a year (or a half, a quarter of one), the stride the shortest giving MAX_TICKS at most."""
    n, per = len(tl), tl.per_year
    if n <= (TICK_EVERY_PERIOD_UP_TO if per == 1 else 24):
        return list(range(n))
    picked = [0]
    for stride in _strides(per, n):
        picked = [i for i in range(n) if _ends_block(tl, i, stride, per)] or picked
        if len(picked) <= MAX_TICKS:
            break
    return picked


def _strides(per: int, n: int):
    """1, 2, 3, 6 periods (those dividing a year), then 1, 2, 5, 10, 20, 50 ... years."""
    yield from (s for s in (1, 2, 3, 6) if s < per and per % s == 0)
    years = 1
    while True:
        for k in (1, 2, 5):
            yield per * years * k
        if per * years > n:
            return
        years *= 10


def _ends_block(tl, i: int, stride: int, per: int) -> bool:
    year, number = tl.split(i)  # in the timeline's frame: a fiscal year ends with its number `per`
    if stride < per:
        return number % stride == 0
    return number == per and year % (stride // per) == 0


def write_png(fig, output, model_file: str | None = None) -> None:
    """Atomically, through engine/files.py (never over the model, never a fixed temporary name)."""
    from .files import replacing

    with replacing(output, inputs=[model_file] if model_file else []) as tmp:
        with open(tmp, "wb") as handle:
            fig.savefig(handle, format="png")
