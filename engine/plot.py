"""`unitsheet plot`: series over the timeline, one line per quantity and scenario (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import report
from .diagnostics import Diagnostic, ModelError, did_you_mean


def plot(model, names: list[str], scenarios: list[str], output: Path, title: str | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.dates  # noqa: F401

    from .files import check_output

    check_output(output, [model.file])  # a bad path is a usage error before any work
    runs = {s: model.run(s) for s in scenarios}
    base = runs[scenarios[0]]
    checked = base.model
    for name in names:
        q = checked.quantities.get(name)
        if q is None:
            raise ModelError([Diagnostic("unknown-name", f"no quantity named `{name}`", None,
                                         hint=did_you_mean(name, checked.quantities))])
        if not q.series or q.unit is None:
            raise ModelError([Diagnostic("shape", f"`{name}` is not a numeric series; plot draws series", None)])
    # One axis per dimension: quantities that share a display unit share an axis.
    axes_units = []
    for name in names:
        shown, _ = report.display(checked.quantities[name], base.values[name], checked.units)
        if shown not in axes_units:
            axes_units.append(shown)
    if len(axes_units) > 2:
        raise ModelError([Diagnostic("plot", "plot draws at most two units at once (a left and a right axis)",
                                     None, hint="plot the quantities in separate charts")])
    tl = checked.timeline
    periods = np.array([np.datetime64(tl.end_date(i)) for i in range(len(tl))])  # a date axis: period ends
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):  # titles are plain text: "$5 to $6"
        fig, left = plt.subplots(figsize=(9, 4.8), dpi=110)
        axes = {axes_units[0]: left}
        if len(axes_units) == 2:
            axes[axes_units[1]] = left.twinx()
        side = {unit: ("left", "right")[k] for k, unit in enumerate(axes_units)}
        # Every line is distinct: a colour per quantity, a dash pattern and marker per scenario.
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        styles, markers = ["-", "--", ":", "-."], ["o", "s", "^", "D", "v"]
        lines = []
        for k, scenario in enumerate(scenarios):
            results = runs[scenario]
            for j, name in enumerate(names):
                shown, factor = report.display(checked.quantities[name], base.values[name], checked.units)
                values = results.values[name] * factor
                label = name if len(scenarios) == 1 else f"{name} ({scenario})"
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
        if len(periods) <= (TICK_EVERY_PERIOD_UP_TO if tl.per_year == 1 else 24):  # a tick per period, as written
            left.set_xticks(periods, tl.labels(), rotation=0 if tl.per_year == 1 else 60, fontsize=8)
        else:  # a label per period would be a black band
            locator = matplotlib.dates.AutoDateLocator(maxticks=12)
            left.xaxis.set_major_locator(locator)
            left.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
        left.axhline(0, color="#999999", linewidth=0.8)
        left.grid(True, alpha=0.3)
        # Labels are passed with their lines: matplotlib would drop a label starting with "_" (a quantity `_y`).
        left.legend([line for line, _ in lines], [label for _, label in lines], loc="best", fontsize=8)
        left.set_title(title or f"{checked.title}: " + ", ".join(names))
        fig.tight_layout()
        try:
            write_png(fig, output, model.file)
        finally:
            plt.close(fig)


MARKERS_UP_TO = 60  # periods; beyond, markers hide the line
TICK_EVERY_PERIOD_UP_TO = 40


def write_png(fig, output, model_file: str | None = None) -> None:
    """Atomically, through engine/files.py (never over the model, never a fixed temporary name)."""
    from .files import replacing

    with replacing(output, inputs=[model_file] if model_file else []) as tmp:
        with open(tmp, "wb") as handle:
            fig.savefig(handle, format="png")
