"""Data statements read and checked: each input that reads a column (`= ledger.revenue`) gets its
values (data_values.DataValues, one per item row) and a `source` clause naming the file, sheet, table or
query, so every command after this step sees an input like any other (engine/model.py runs it
between the parse, which is cached, and the checker: data is read afresh every time).

Checked here, each a located error at the data statement naming the source and the row: a key
off the timeline, a period missing between the first and the last, a duplicate key, a blank,
text in a number column, an unknown item, a header unit that disagrees with the input's. A key
coarser than the timeline (a year on months) follows the rule of a coarse key in a literal
table (docs/language.md, "Keys coarser than the timeline")."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from . import syntax as ast
from .data_cells import CellError, blank, header_parts, number
from .data_sources import READERS, DataError, DataOptions, counted, safe_path
from .data_sql import sql_rows
from .data_values import Column, DataValues, Layout, spread_values
from .diagnostics import Diagnostic, Label, ModelError, did_you_mean
from .ir import LABELS_PER_YEAR
from .parser_data import PERIOD_KEYS


class _Failed(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def resolve(module: ast.Module, text: str | None, folder: Path, options: DataOptions) -> ast.Module:
    """The module with every data read replaced by its values (unchanged without data statements)."""
    tables = {}
    for stmt in module.statements:
        if isinstance(stmt, ast.Data):
            tables.setdefault(stmt.name, []).append(stmt)
    reads = [s for s in module.statements if isinstance(s, ast.Input) and isinstance(s.value, ast.DataRead)]
    _unbound(options, tables)
    if not tables and not reads:
        return module
    s = _header(module, text)
    found, values = [], {}
    for stmt in _unique(tables, found):
        users = [r for r in reads if r.value.table == stmt.name]
        try:
            values.update(_read_table(s, stmt, users, folder, options))
        except _Failed as failed:
            found.append(failed.diagnostic)
    for r in reads:
        if r.value.table not in tables:
            found.append(_error("unknown-name", f"no data table named `{r.value.table}`", r.value.span, None,
                                did_you_mean(r.value.table, tables) or
                                f'declare it: data {r.value.table} = csv "data/{r.value.table}.csv" by month'))
    if found:
        raise ModelError(found, {module.file: text} if text is not None else {})
    statements = tuple(values.get(id(st), st) for st in module.statements if not isinstance(st, ast.Data))
    return replace(module, statements=statements)


@contextmanager
def opened(stmt: ast.Data, folder: Path, options: DataOptions):
    """The source's rows, for the duration of the block (files and connections closed after)."""
    url = options.url(stmt.name)
    if stmt.kind != "sql" and stmt.name in options.bindings:
        raise DataError(f"`--data {stmt.name}=...` binds a database, and `{stmt.name}` reads the file `{stmt.target}` "
                        "the model names", "remove the binding; to read another file, change the model")
    if stmt.kind == "sql":
        with sql_rows(stmt, url) as rows:
            yield rows
        return
    path = safe_path(stmt.target, folder, options)
    reader = READERS[stmt.kind]
    with reader(stmt, path) as rows:
        rows.rows = counted(rows.rows, rows.where)
        yield rows


def _unbound(options: DataOptions, tables: dict) -> None:
    """A --data binding for a table the model does not declare is a typo, not something to ignore."""
    for name in options.bindings:
        if name not in tables:
            hint = did_you_mean(name, tables) or ("the model's data tables: " + ", ".join(tables) if tables
                                                  else "the model declares no data table")
            raise ModelError([Diagnostic("usage", f"--data {name}=...: the model has no data table `{name}`",
                                         None, hint=hint)])


def _header(module, text):
    """A scope with the timeline and the units (the checker's first pass; its errors are its own)."""
    from .check import header
    from .check.scope import Scope
    s = Scope(module, module.file, {module.file: text} if text is not None else {})
    header.read(s)
    s.items = {d.name: [i.name for i in d.items] for d in module.statements if isinstance(d, ast.Dimension)}
    return s


def _unique(tables: dict, found: list):
    for name, stmts in tables.items():
        for extra in stmts[1:]:
            found.append(_error("duplicate-definition", f"the data table `{name}` is declared twice", extra.name_span,
                                stmts[0].span, "give each table its own name"))
        yield stmts[0]


def _error(kind, message, span, declared, hint) -> Diagnostic:
    labels = (Label(span),) + ((Label(declared, "the data statement"),) if declared is not None and
                               declared != span else ())
    return Diagnostic(kind, message, span, labels, hint=hint)


def _read_table(s, stmt: ast.Data, users: list, folder: Path, options: DataOptions) -> dict:
    """{id of each input statement that reads the table: that statement with its values}."""
    layout = _layout(s, stmt)
    columns = [_column(s, stmt, layout, r) for r in users]
    if not users:
        return {}
    try:
        with opened(stmt, folder, options) as rows:
            where = rows.where
            positions = _positions(stmt, layout, columns, rows.header, where)
            for row_number, cells in rows.rows:
                _row(s, stmt, layout, columns, positions, row_number, cells, where)
            cite = rows.cite
    except DataError as err:
        raise _Failed(_error("bad-data", err.message, stmt.span, None, err.hint)) from None
    complete = layout.check_complete(stmt, where)
    if complete is not None:
        raise _Failed(_error("bad-data", complete[0], stmt.span, None, complete[1]))
    out = {}
    for r, column in zip(users, columns):
        try:
            out[id(r)] = _input_with_values(s, stmt, layout, r, column, cite)
        except CellError as err:
            raise _Failed(_error("bad-data", err.message, r.value.span, stmt.span, err.hint)) from None
    return out


def _layout(s, stmt: ast.Data) -> Layout:
    periods = [k for k in stmt.keys if k.key in PERIOD_KEYS]
    if len(periods) > 1:
        raise _Failed(_error("bad-data", "a table is keyed by one period column", periods[1].span, None,
                             "keep one of " + ", ".join(f"{k.key}({k.column})" for k in periods)))
    dims = []
    for key in stmt.keys:
        if key in periods:
            continue
        if key.key not in s.items:
            raise _Failed(_error("unknown-name", f"`{key.key}` is neither a period (year, quarter, month) nor a "
                                 "dimension", key.span, None,
                                 did_you_mean(key.key, list(s.items) + list(PERIOD_KEYS)) or
                                 "key a table by month(column) and by dimensions: by month(period), region"))
        if key.key in [d.key for d in dims]:
            raise _Failed(_error("bad-data", f"`{key.key}` keys the table twice", key.span, None, "keep one"))
        dims.append(key)
    period_key = periods[0] if periods else None
    if period_key is not None and LABELS_PER_YEAR[period_key.key] > s.timeline.per_year:
        raise _Failed(_error("bad-data", f"a {period_key.key} is finer than this {s.timeline.frequency} timeline's "
                             "periods", period_key.span, None,
                             f"key the table by {s.timeline.kind}s, or make the timeline {period_key.key}ly"))
    return Layout(s.timeline, period_key, tuple(dims), {d.key: s.items[d.key] for d in dims})


def _column(s, stmt, layout: Layout, read: ast.Input) -> Column:
    dims = tuple(d.name for d in read.dims)
    keyed = tuple(d.key for d in layout.dims)
    if set(dims) != set(keyed):
        by = f" by {', '.join(keyed)}" if keyed else ""
        raise _Failed(_error("bad-data", f"`{read.name}` is {'by ' + ', '.join(dims) if dims else 'by no dimension'}, "
                             f"and the table `{stmt.name}` is keyed by {', '.join(keyed) or 'no dimension'}",
                             read.value.span, stmt.span, f"declare it as the table is keyed: input {read.name}{by}"
                             f"{': ' + read.unit.text if read.unit else ''} = {stmt.name}.{read.value.column}"))
    if read.value.spread and (layout.period is None or layout.width() == 1):
        what = f"keyed by {s.timeline.kind}s, each of which takes its value" if layout.period is not None else \
            "not keyed by period"
        raise _Failed(_error("bad-input", f"the table `{stmt.name}` is {what}: there is nothing to spread",
                             read.value.span, stmt.span,
                             f"write the value alone: = {stmt.name}.{read.value.column}"))
    return Column(read.name, read.value.column, read.value.span, dims)


def _positions(stmt, layout: Layout, columns: list, header: list, where: str) -> dict:
    """Where each key and each column read is in the header, with the unit a header states."""
    names, twice = {}, set()
    for k, text in enumerate(header):
        name, unit = header_parts(str(text) if text is not None else "")
        if name in names:
            twice.add(name)
        names.setdefault(name, (k, unit))
    out = {}
    for column in [k.column for k in layout.keys()] + [c.column for c in columns]:
        if column not in names:
            raise DataError(f"{where} has no column `{column}`",
                            did_you_mean(column, names) or "its columns: " + ", ".join(n for n in names if n))
        if column in twice:
            raise DataError(f"{where} has two columns named `{column}`: which one?", "rename one of them")
        out[column] = names[column]
    for c in columns:
        c.position, c.header_unit = out[c.column]
        c.bind(layout)
    return out


def _row(s, stmt, layout: Layout, columns: list, positions: dict, row_number: int, cells: list, where: str):
    try:
        key = layout.key_of(s, cells, positions)
        for c in columns:
            cell = cells[c.position] if c.position < len(cells) else None
            if blank(cell):
                raise CellError(f"column `{c.column}` is blank", "give every row a value; a period without "
                                "actuals is a row left out (the model's formulas then cover it)")
            c.store(key, number(cell), cell)
        layout.seen(key, row_number)
    except CellError as err:  # where it is, said only when something is wrong (a million rows are right)
        raise _Failed(_error("bad-data", f"{where} row {row_number}: {err.message}", stmt.span, None,
                             err.hint)) from None


def _input_with_values(s, stmt, layout: Layout, read: ast.Input, column: Column, cite) -> ast.Input:
    """The input statement with its values (a table by item of DataValues) and a source."""
    scale, unit = column.unit_parts(s, read, stmt)
    rule = read.clauses.rollup.rule if read.clauses.rollup is not None else None
    arrays = {combo: spread_values(s, layout, read, column, values, rule, unit or (read.unit and read.unit.text))
              for combo, values in column.values.items()}
    span = read.value.span

    def nested(dims, combo):
        if not dims:
            key = tuple(dict(combo)[d.key] for d in layout.dims)  # the table's order, not the input's
            return DataValues(arrays[key], scale, unit, layout.period is not None, read.value, span)
        items = layout.items[dims[0]]
        return ast.Table(tuple((ast.Item(i, span), nested(dims[1:], combo + ((dims[0], i),))) for i in items), span)

    order = tuple(d.name for d in read.dims)
    value = nested(order, ())
    quote = f"{stmt.name}.{read.value.column}: column `{column.header}`, {layout.coverage_text()}" + \
        (f", of {cite[1]}" if cite[1] else "")
    source = ast.Source(cite[0], None, quote, stmt.span)
    return replace(read, value=value, clauses=ast.Clauses(read.clauses.items + (source,)))
