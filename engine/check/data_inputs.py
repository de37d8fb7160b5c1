"""An input whose values were read from a data table (engine/data_tables.py): its numbers are
converted from the unit the column states (its header's, or the input's declared unit) exactly as
a literal's are, so a bare column is accepted only where the input declares its unit."""

from __future__ import annotations

import numpy as np

from .. import ir
from .. import syntax as ast
from ..data_values import DataValues
from . import literals


def input_data(s, q: ir.Quantity, data: DataValues, expect) -> None:
    probe = ast.Quantity(1.0, data.scale, data.unit, data.span)
    factor, unit = literals.literal(s, probe, expect, f"column `{data.read.column}` of `{data.read.table}`")
    values = np.asarray(data.values, dtype=float) * factor
    if data.series:
        q.type = ir.Type(unit, ir.SERIES)
        q.value = values
        q.defined = ~np.isnan(values)
    else:
        q.type = ir.Type(unit, ir.SCALAR)
        q.value = values[:1]
