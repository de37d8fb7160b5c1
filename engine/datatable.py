"""Data tables (Excel's What-If data table): one output over a grid of one or two inputs' values,
`a=LO..HI:N`, every cell a row of the samples axis: the whole table is one vectorised evaluation
(in chunks of cells that fit the memory budget, as simulate's samples: a cell's value does not
depend on the chunk). Not written to the workbook yet (docs/language.md, "Data tables")."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ir, report
from .check.literals import LiteralError, parse_literal
from .overrides import input_values
from .samples import chunk_size, chunks
from .solve import input_at, output_at, usage

MOST_CELLS = 1_000_000  # a table's cells; each is a row of one evaluation


@dataclass(frozen=True)
class Axis:
    name: str  # as written: "tariff", "price[eu]", "volume[2027]"
    quantity: str
    period: int | None
    values: np.ndarray  # in the input's own unit


@dataclass
class DataTable:
    scenario: str
    output: str
    name: str
    period: int | None
    axes: list[Axis]
    values: np.ndarray = field(repr=False)  # output, own unit: (n,) or (n1, n2)
    checked: ir.CheckedModel | None = field(default=None, repr=False)

    def shown(self, name: str, values) -> tuple[np.ndarray, str]:
        q = self.checked.quantities[name]
        array = np.asarray(values, dtype=float)
        unit, factor = report.display(q, array.reshape(-1), self.checked.units)
        return array * factor, unit

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "output": self.output,
                "vary": [{"input": a.name, "values": a.values.tolist()} for a in self.axes],
                "values": self.values.tolist()}

    def rows(self) -> list[list[str]]:
        """The table as text cells: a header, then a row per value of the first input."""
        out, unit = self.shown(self.name, self.values)
        first, first_unit = self.shown(self.axes[0].quantity, self.axes[0].values)
        if len(self.axes) == 1:
            header = [f"{self.axes[0].name} ({first_unit})".replace(" ()", ""), f"{self.output} ({unit})".replace(" ()", "")]
            return [header] + [[f"{x:,.6g}", f"{y:,.6g}"] for x, y in zip(first, out)]
        second, second_unit = self.shown(self.axes[1].quantity, self.axes[1].values)
        corner = f"{self.output} ({unit}) by {self.axes[0].name} ({first_unit}) \\ {self.axes[1].name} ({second_unit})"
        header = [corner.replace(" ()", "")] + [f"{x:,.6g}" for x in second]
        return [header] + [[f"{x:,.6g}"] + [f"{y:,.6g}" for y in row] for x, row in zip(first, out)]

    def _repr_html_(self) -> str:  # a notebook shows the table the command prints
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def __str__(self) -> str:
        rows = self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"[{self.scenario}]"]
        for k, r in enumerate(rows):
            lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def data_table(model, output: str, vary: list[str], scenario: str = "base", overrides: dict | None = None,
               progress=None) -> DataTable:
    """`output` over the grid of `vary` ("tariff=40 USD/MWh..120 USD/MWh:9", one or two of them).
    progress(done, expected): told of the cells, then of each chunk's (engine/progress.py)."""
    checked = model.checked(scenario)
    name, period = output_at(checked, output, "output", "a data table")
    if not 1 <= len(vary) <= 2:
        raise usage(f"a data table varies one or two inputs, not {len(vary)}", 'e.g. --vary "price=10 USD..20 USD:11"')
    axes = [_axis(checked, text) for text in vary]
    if len(axes) == 2 and (axes[0].quantity, axes[0].period) == (axes[1].quantity, axes[1].period):
        raise usage(f"`{axes[0].name}` is varied twice", None)
    grid = np.meshgrid(*[a.values for a in axes], indexing="ij")
    m = grid[0].size
    if m > MOST_CELLS:
        raise usage(f"{m:,} cells: a data table has at most {MOST_CELLS:,}", "fewer values on an axis")
    values = input_values(checked, overrides if overrides is not None else {})
    out = _cells(model.evaluator(scenario), values, axes, [g.reshape(-1) for g in grid], name, period, progress)
    if not np.isfinite(out).all():
        cell = int(np.argmax(~np.isfinite(out)))
        at = ", ".join(f"{a.name} = {float(g.reshape(-1)[cell]):.10g}" for a, g in zip(axes, grid))
        raise usage(f"`{output}` has no value at {at} (in the inputs' own units): the model cannot be evaluated "
                    "there", "narrow the ranges to where the model has a value (run --set there says why)")
    return DataTable(scenario, output, name, period, axes, out.reshape(grid[0].shape).copy(), checked)


def _cells(evaluator, values: dict, axes: list[Axis], columns: list[np.ndarray], name: str, period: int | None,
           progress=None) -> np.ndarray:
    """The output at each cell (the axes' inputs at the columns' values, a row each), a chunk of
    cells per evaluation."""
    m = len(columns[0])
    out = np.empty(m)
    if progress is not None:
        progress(0, m)
    for start, stop in chunks(m, chunk_size(evaluator)):
        k = stop - start
        rows = {n: np.broadcast_to(v, (k,) + v.shape) for n, v in values.items()}
        for axis, column in zip(axes, columns):  # two periods of one input: each set in the same rows
            varied = np.array(rows[axis.quantity])
            varied[:, axis.period or 0] = column[start:stop]
            rows[axis.quantity] = varied
        env = evaluator.run(rows, prefix=(k,), verify=False, needed={name})
        out[start:stop] = np.broadcast_to(env[name], (k,) + env[name].shape[-1:])[:, period or 0]
        if progress is not None:
            progress(k)
    return out


def _axis(checked: ir.CheckedModel, text: str) -> Axis:
    name, sep, spec = text.partition("=")
    values_text, colon, count_text = spec.rpartition(":")
    low_text, dots, high_text = values_text.partition("..")
    if not (sep and colon and dots):
        raise usage(f"--vary is INPUT=LOW..HIGH:N, not {text!r}", 'e.g. --vary "price=10 USD..20 USD:11"')
    quantity, period = input_at(checked, name)
    try:
        count = int(count_text.strip())
    except ValueError:
        count = 0
    if count < 2:
        raise usage(f"--vary {text}: N is a whole number of values, 2 or more", None)
    q = checked.quantities[quantity]
    try:
        low, high = (parse_literal(t.strip(), q, checked.units) for t in (low_text, high_text))
    except LiteralError as err:
        raise usage(f"--vary for `{quantity}`: {err}", err.hint) from None
    return Axis(name.strip(), quantity, period, np.linspace(low, high, count))
