"""Where a data statement's rows come from: a CSV, an Excel sheet or range, a Parquet file, a SQL
query. Each source streams (header, rows): nothing holds the whole file, so a table of a million
rows is read in bounded memory; engine/data_tables.py checks the rows and keeps the values.

Files are untrusted input, named by untrusted model text:
  - a path is relative to the model's folder and must stay in it after links are resolved (no
    `..` out, no absolute path, no symlink out), unless it is inside a folder the command line
    allows (`--data-dir DIR`, the API's data_dirs=);
  - only a regular file is read (not a FIFO or a device), at most limits.DATA_BYTES;
  - a database's address is never in the model: `--data NAME=URL`, data={NAME: URL} or the
    environment variable UNITSHEET_DATA_NAME binds it, and the query runs in a read-only
    transaction that is rolled back.
"""

from __future__ import annotations

import csv
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import limits
from . import syntax as ast


class DataError(Exception):
    """A source that cannot be read as the model says: reported at the data statement."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class DataOptions:
    """What the command line (or the API) says about data: database addresses by table name, the
    folders a file may be in besides the model's own, and the environment to read bindings from."""

    bindings: dict = field(default_factory=dict)
    dirs: tuple = ()
    environ: object = None  # a mapping; None: os.environ

    def url(self, name: str) -> str | None:
        environ = os.environ if self.environ is None else self.environ
        return self.bindings.get(name) or environ.get(env_name(name)) or None


def env_name(table: str) -> str:
    return "UNITSHEET_DATA_" + table.upper()


@dataclass
class Rows:
    header: list
    rows: Iterator  # of (row number as the source counts them, cells in header order)
    where: str  # how an error names the source: "data/actuals.csv", "sheet `Actuals` of data/a.xlsx"
    cite: tuple  # (file, quote) of the source clause explain and the workbook show


def safe_path(target: str, folder: Path, options: DataOptions) -> Path:
    """The real file a data statement names, or a DataError saying why it may not be read."""
    if not target.strip():
        raise DataError("the data file's name is empty", 'name a file in the model\'s folder: csv "data/actuals.csv"')
    written = Path(target)
    allowed = [Path(os.path.realpath(d)) for d in options.dirs]
    real = Path(os.path.realpath(written if written.is_absolute() else folder / written))
    inside = (not written.is_absolute() and _within(real, Path(os.path.realpath(folder)))) or \
        any(_within(real, d) for d in allowed)
    if not inside:
        why = "an absolute path" if written.is_absolute() else "outside the model's folder"
        shown = os.path.normpath(written if written.is_absolute() else folder / written)
        raise DataError(f"`{target}` is {why}: a model reads the files in its own folder only",
                        f"move the file into the model's folder ({folder}), or allow its folder on the command "
                        f"line: --data-dir {os.path.dirname(shown) or '.'}")
    try:
        info = os.stat(real)
    except OSError as err:
        raise DataError(f"cannot read `{target}`: {err.strerror or err}",
                        f"the path is relative to the model's folder ({folder})") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"`{target}` is not a regular file", "name a .csv, .xlsx or .parquet file")
    if info.st_size > limits.DATA_BYTES.value:
        raise DataError(f"`{target}` is {info.st_size:,} bytes, more than the {limits.DATA_BYTES.value:,} a data "
                        "file may have", "filter it first, or load it into a database and read it with `sql`")
    return real


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def counted(rows: Iterator, where: str) -> Iterator:
    """The rows, refused past limits.DATA_ROWS (checked as they stream, before the next is read)."""
    for k, row in enumerate(rows, 1):
        if k > limits.DATA_ROWS.value:
            raise DataError(f"{where} has more than {limits.DATA_ROWS.value:,} rows",
                            "every row is one value of the model; filter the table first (a query, a smaller file)")
        yield row


@contextmanager
def csv_rows(stmt: ast.Data, path: Path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as err:
            raise DataError(f"`{stmt.target}` is not a CSV file: {err}", "save it as CSV, UTF-8") from None
        if header is None:
            raise DataError(f"`{stmt.target}` is empty", "its first row names the columns: period,region,revenue")

        def rows():
            try:
                for cells in reader:
                    if cells:  # a blank line is no row
                        yield reader.line_num, cells
            except (csv.Error, UnicodeDecodeError) as err:
                raise DataError(f"`{stmt.target}` row {reader.line_num + 1} cannot be read: {err}",
                                "save it as CSV, UTF-8") from None

        yield Rows(header, rows(), f"`{stmt.target}`", (stmt.target, None))


class Percent(float):
    """An Excel cell formatted as a percentage: 0.05 shown as 5 %, which is 5 %, not 0.05 %."""


@contextmanager
def excel_rows(stmt: ast.Data, path: Path):
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    options = dict(stmt.options)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a file that is not a workbook
        raise DataError(f"`{stmt.target}` is not an Excel workbook (.xlsx): {err}", "save it as .xlsx") from None
    try:
        sheet = _sheet(stmt, book, options.get("sheet"))
        bounds = {}
        if "range" in options:
            try:
                min_col, min_row, max_col, max_row = range_boundaries(options["range"])
            except (ValueError, TypeError):
                raise DataError(f"`{options['range']}` is not a range of cells", 'write range "A1:D40"') from None
            bounds = dict(min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)
        cells = sheet.iter_rows(**bounds)
        header = [c.value for c in next(cells, ())]
        where = f"sheet `{sheet.title}` of `{stmt.target}`"

        def rows():
            k = bounds.get("min_row", 1)
            try:
                for k, row in enumerate(cells, k + 1):
                    values = [Percent(c.value * 100) if _percent(c) else c.value for c in row]
                    if any(v is not None for v in values):  # an empty cell (read-only mode) has no .row
                        yield next((c.row for c in row if getattr(c, "row", None)), k), values
            except Exception as err:  # openpyxl streams the sheet's XML: a damaged part fails mid-way
                raise DataError(f"{where} cannot be read after row {k}: {err}", "save the workbook again") from None

        cite = f"{stmt.target}, sheet {sheet.title}" + (f", {options['range']}" if "range" in options else "")
        yield Rows([str(h) if h is not None else "" for h in header], rows(), where, (cite, None))
    finally:
        book.close()


def _sheet(stmt, book, name):
    if name is None:
        if len(book.sheetnames) > 1:
            raise DataError(f"`{stmt.target}` has {len(book.sheetnames)} sheets: which one?",
                            f'name it: excel "{stmt.target}" sheet "{book.sheetnames[0]}"')
        return book[book.sheetnames[0]]
    if name not in book.sheetnames:
        raise DataError(f"`{stmt.target}` has no sheet `{name}`", "its sheets: " + ", ".join(book.sheetnames))
    return book[name]


def _percent(cell) -> bool:
    return isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and \
        "%" in (getattr(cell, "number_format", "") or "")


@contextmanager
def parquet_rows(stmt: ast.Data, path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading Parquet needs pyarrow", "pip install 'unitsheet[parquet]'") from None
    try:
        handle = pq.ParquetFile(path)
    except Exception as err:  # pyarrow's ArrowInvalid and OSError for a file that is not Parquet
        raise DataError(f"`{stmt.target}` is not a Parquet file: {err}", "write it with pyarrow or pandas") from None
    with handle:
        header = list(handle.schema_arrow.names)

        def rows():
            k = 0
            try:
                for batch in handle.iter_batches(batch_size=65_536):
                    columns = [column.to_pylist() for column in batch.columns]
                    for cells in zip(*columns):
                        k += 1
                        yield k, list(cells)
            except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError: a damaged file
                raise DataError(f"`{stmt.target}` cannot be read after row {k}: {err}",
                                "write the file again") from None

        yield Rows(header, rows(), f"`{stmt.target}`", (stmt.target, None))


READERS = {"csv": csv_rows, "excel": excel_rows, "parquet": parquet_rows}
