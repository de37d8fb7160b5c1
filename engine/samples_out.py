"""`simulate --samples-out FILE.csv|FILE.parquet [--outputs NAME[PERIOD] ...]`: every sample's
uncertain inputs and the chosen outputs, one row per sample, written chunk by chunk as the
simulation runs (memory does not grow with the samples), atomically (engine/files.py: no
half-written file). Values are in each column's unit, named in its header: `growth (%/month)`.
Parquet needs pyarrow (pip install 'unitsheet[parquet]')."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import ir
from .diagnostics import Diagnostic, ModelError

FORMATS = (".csv", ".parquet")


class SamplesOut:
    """The sink simulate() calls with each chunk: (first sample, its draws, its kept values)."""

    def __init__(self, tmp: str, suffix: str, checked: ir.CheckedModel, inputs: list[ir.Quantity],
                 outputs: list[tuple[str, str, int | None]]):
        self.inputs, self.outputs, self.suffix = inputs, outputs, suffix
        units = checked.units
        self.header = ["sample"] + [f"{q.name} ({units.short(q.unit)})".replace(" ()", "") for q in inputs] + \
            [f"{text} ({units.short(checked.quantities[name].unit)})".replace(" ()", "") for text, name, _ in outputs]
        if suffix == ".csv":
            self.handle = open(tmp, "w", newline="", encoding="utf-8")
            self.csv = csv.writer(self.handle, lineterminator="\n")
            self.csv.writerow(self.header)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.pa = pa
            self.schema = pa.schema([(self.header[0], pa.int64())] + [(h, pa.float64()) for h in self.header[1:]])
            self.parquet = pq.ParquetWriter(tmp, self.schema)

    def __call__(self, start: int, draws: dict, kept: dict) -> None:
        m = len(next(iter(draws.values()))) if draws else len(next(iter(kept.values())))
        columns = [np.arange(start + 1, start + m + 1)] + [np.asarray(draws[q.name], dtype=float) for q in self.inputs]
        columns += [np.asarray(kept[name], dtype=float)[:, period or 0] for _, name, period in self.outputs]
        if self.suffix == ".csv":
            for row in zip(*(c.tolist() for c in columns)):
                self.csv.writerow([row[0]] + ["" if v != v else repr(v + 0.0) for v in row[1:]])
        else:
            self.parquet.write_table(self.pa.Table.from_arrays([self.pa.array(c) for c in columns], schema=self.schema))

    def close(self) -> None:
        if self.suffix == ".csv":
            self.handle.close()
        else:
            self.parquet.close()


def check_format(path) -> str:
    suffix = Path(str(path)).suffix.lower()
    if suffix not in FORMATS:
        raise ModelError([Diagnostic("usage", f"--samples-out writes .csv or .parquet, not {suffix or 'no suffix'}",
                                     None, hint="e.g. --samples-out samples.csv")])
    if suffix == ".parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ModelError([Diagnostic("usage", "--samples-out FILE.parquet needs pyarrow", None,
                                         hint="pip install 'unitsheet[parquet]', or write .csv")]) from None
    return suffix


def simulate_writing(model, path, outputs: list[str], scenario: str = "base", **options):
    """simulate() (engine/montecarlo.py) with every sample written to `path` as it runs."""
    from .files import replacing
    from .montecarlo import simulate
    from .samples import uncertain_inputs
    from .solve import output_at

    suffix = check_format(path)
    checked = model.checked(scenario)
    chosen = [(text, *output_at(checked, text, "output", "--samples-out")) for text in outputs]
    with replacing(path, inputs=[model.file] if model.file else []) as tmp:
        sink = SamplesOut(tmp, suffix, checked, uncertain_inputs(checked), chosen)
        try:
            return simulate(model, scenario=scenario, sink=sink, stream=[name for _, name, _ in chosen], **options)
        finally:
            sink.close()
