"""The data statement's syntax nodes (engine/syntax.py imports them: one tree, one module of node
kinds to name): `data ledger = csv "f.csv" by month(period), region` and an input's value
`ledger.revenue`. Read by engine/data_tables.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span


def _span() -> Span:
    """A node's place in the text: not part of its equality (syntax.py's nodes use it too)."""
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class DataKey:  # month(period): the column `period` holds months;  region: items of region, column `region`
    key: str  # year | quarter | month, or a dimension's name
    column: str
    span: Span = _span()


@dataclass(frozen=True)
class Data:  # data ledger = csv "data/actuals.csv" by month(period), region (read by engine/data_tables.py)
    name: str
    kind: str  # csv | excel | parquet | sql
    target: str  # the file, or the SQL query / table name
    options: tuple  # of (word, text): sheet "Actuals", range "A1:D40"; ("table", name) for `sql table`
    keys: tuple  # of DataKey
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class DataRead:  # ledger.revenue [spread even]: an input's value read from a data table's column
    table: str
    column: str
    spread: bool
    span: Span = _span()
