"""`simulate --hist OUTPUT[PERIOD] -o hist.png`: the distribution of one output over the samples,
in its display unit, with the percentiles the table prints marked (the middle one solid). The samples of that one
output are kept (memory grows with the samples: 8 bytes each)."""

from __future__ import annotations

import numpy as np

from . import report

BINS = 50


def histogram(sim, name: str, period: int | None, text: str, path, model_file: str | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import write_png

    q = sim.model.quantities[name]
    samples = np.asarray(sim.values[name], dtype=float)[:, period or 0]
    samples = samples[np.isfinite(samples)]
    unit, factor = report.display(q, samples, sim.model.units)
    stats = sim.summary(name)
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
        ax.hist(samples * factor, bins=BINS, color="#4f81bd", edgecolor="white", linewidth=0.4)
        percentiles = [s for s in sim.stat_names if s != "mean"]
        for stat in percentiles:
            style = "-" if stat == percentiles[len(percentiles) // 2] else ":"
            value = stats[stat][period or 0]
            if value is not None:
                ax.axvline(value * factor, color="#c0504d", linestyle=style, linewidth=1.2,
                           label=f"{stat} {value * factor:,.4g} {unit}".rstrip())
        ax.set_xlabel(f"{text} ({unit or 'plain number'})")
        ax.set_ylabel("samples")
        ax.set_title(f"{sim.model.title}: {text}, {len(samples):,} samples (seed {sim.seed}, {sim.model.scenario})")
        ax.legend(fontsize=8)
        fig.tight_layout()
        try:
            write_png(fig, path, model_file)
        finally:
            plt.close(fig)
