"""Oracles for exported workbooks: stored values, `formulas` recalculation, LibreOffice recalculation."""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.utils import range_boundaries

from unitsheet.exports.recalc import libreoffice_recalculate, soffice  # noqa: F401 (the tests import them from here)


def formulas_recalculate(path: Path, inputs: dict | None = None) -> dict[str, object]:
    """{'SHEET!A1': value} for every cell `formulas` computes (sheet names upper-cased)."""
    import formulas

    model = formulas.ExcelModel().loads(str(path)).finish()
    book = Path(path).name
    if inputs:
        keyed = {f"'[{book}]{k.split('!')[0].upper()}'!{k.split('!')[1]}": v for k, v in inputs.items()}
        solution = model.calculate(inputs=keyed)
    else:
        solution = model.calculate()
    out = {}
    for key, value in solution.items():
        m = re.match(r"'\[[^\]]+\](.+)'!([A-Z]+[0-9]+)$", key)
        if not m:
            continue
        try:
            v = value.value[0, 0]
        except (AttributeError, IndexError, TypeError):
            v = value
        if str(v) == "empty":  # formulas' token for a blank cell
            v = None
        out[f"{m.group(1)}!{m.group(2)}"] = v
    return out


def name_cells(wb, name: str) -> list[tuple[str, str]]:
    """The (sheet, cell) pairs a defined name refers to, in order."""
    dn = wb.defined_names[name]
    sheet, ref = dn.attr_text.split("!")
    sheet = sheet.strip("'")
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [(sheet, f"{openpyxl.utils.get_column_letter(c)}{r}")
            for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def formula_cells(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    out.append((ws.title, c.coordinate))
    return out


def plant_wrong_value(path: Path, sheet_index: int, wrong: float) -> str:
    """Replace the first stored numeric value of a formula cell in sheet N; return its cell."""
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    name = f"xl/worksheets/sheet{sheet_index}.xml"
    xml = items[name].decode()
    m = re.search(r'<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f><v>([^<]*)</v>', xml)
    assert m, "no formula cell with a stored value"
    xml = xml[:m.start(2)] + repr(wrong) + xml[m.end(2):]
    items[name] = xml.encode()
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=Path(path).parent)
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in items.items():
            z.writestr(n, data)
    os.replace(tmp, path)
    return m.group(1)


def close(a, b, rel=1e-9) -> bool:
    a, b = _serial(a), _serial(b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    if a is None or b is None or a == "" or b == "":
        return (a in (None, "")) and (b in (None, ""))
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) or a == b


def _serial(value):
    """A date a spreadsheet shows (first_period's cell) as the serial number it holds."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float((value - dt.date(1899, 12, 30)).days)
    return value

