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
    periods = np.array(checked.timeline.periods)
    fig, left = plt.subplots(figsize=(9, 4.8), dpi=110)
    axes = {axes_units[0]: left}
    if len(axes_units) == 2:
        axes[axes_units[1]] = left.twinx()
    styles = ["-", "--", ":", "-."]
    for k, scenario in enumerate(scenarios):
        results = runs[scenario]
        for name in names:
            q = results.model.quantities[name]
            shown, factor = report.display(checked.quantities[name], base.values[name], checked.units)
            values = results.values[name] * factor
            label = name if len(scenarios) == 1 else f"{name} ({scenario})"
            axes[shown].plot(periods, values, styles[k % len(styles)], marker="o", markersize=3, label=label)
    for unit, ax in axes.items():
        ax.set_ylabel(unit or "plain number")
    left.set_xlabel(f"period ({checked.timeline.frequency})")
    left.set_xticks(periods)
    left.axhline(0, color="#999999", linewidth=0.8)
    left.grid(True, alpha=0.3)
    handles, labels = [], []
    for ax in axes.values():
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    left.legend(handles, labels, loc="best", fontsize=8)
    left.set_title(title or f"{checked.title}: " + ", ".join(names))
    fig.tight_layout()
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp.png")
    try:
        fig.savefig(tmp)
        tmp.replace(output)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
