"""Annual (and, for a monthly model, Quarterly): every series rolled up to years (quarters) as
live formulas over its monthly or quarterly cells, by the rule `run --by year` uses
(engine/rollup.py): AVERAGE of a flow's rates, the last period's cell for anything else with a
unit, TRUE/FALSE where a true/false row's periods agree (blank where they differ), or the model's
`rollup` clause (SUM, AVERAGE, MIN, MAX, the first or last cell; OR and AND for true/false). Numbers are in the
unit of the row they roll up, so LibreOffice recalculates them to the engine's roll-up."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell

from ...engine import rollup

from ..book import FIRST_PERIOD_COL, HEADER_ROW, Book
from ..layout import row_style
from ..formulas import Unsupported

_EXCEL = {"sum": "SUM", "average": "AVERAGE", "min": "MIN", "max": "MAX"}
_BOOLEAN = {"min": "AND", "max": "OR"}  # true/false: all periods, any period
SHEETS = (("year", "Annual"), ("quarter", "Quarterly"))  # --by, sheet name


def wanted(book: Book) -> list[tuple[str, str]]:
    """The roll-up sheets this timeline has: none for a yearly model."""
    out = []
    for by, title in SHEETS:
        try:
            rollup.grouping(book.base.timeline, by)
        except ValueError:
            continue
        out.append((by, title))
    return out


def write(book: Book, by: str, title: str, ws):
    base = book.base
    g = rollup.grouping(base.timeline, by)
    book.text(ws, 0, 0, title, book.f_title, widen=False)
    book.text(ws, 1, 0, f"Every series rolled up from {base.timeline.kind}s to {by}s, as live formulas: a flow "
                        f"(a unit per time) averages its rate, shown per {by} (its number is the {by}'s amount), a "
                        "level shows its last period, an amount sums its periods (the Rule column says which). "
                        "Numbers are in the unit of their row.", widen=False)
    for c, text in enumerate(["Quantity", "Unit", "Rule", ""]):
        book.text(ws, HEADER_ROW, c, text, book.f_header)
    book.period_headers(ws, HEADER_ROW, g.timeline)
    rolled = rollup.roll_up(book.selected_results(), by)
    series = [name for name, q in base.quantities.items() if q.series]
    rows = {name: HEADER_ROW + 2 + k for k, name in enumerate(series)}  # a ratio reads its parts' rows
    styles = {name: annual_style(book, rolled, name) for name in series}
    for name in series:
        q, row, style = base.quantities[name], rows[name], styles[name]
        how = _rule(book, name)
        book.text(ws, row, 0, name, book.f_bold)
        book.text(ws, row, 1, style.unit)
        book.text(ws, row, 2, how)
        fmt = book.number_format(style.number_format) if q.unit is not None else book.fmt(None)
        for k, (a, b) in enumerate(g.groups):
            if not _defined(book, name, how, a, b):
                continue  # as the engine: a year with a period without a value has no roll-up
            text = "=" + (_ratio(book, name, rows, styles, k) if how == "ratio" else
                          _scaled(book, name, style, _formula(book, name, how, a, b, title)))
            book.formula(ws, row, FIRST_PERIOD_COL + k, text, rolled.values[name][k],
                         q if q.unit is not None else None, fmt, style=style)
    ws.freeze_panes(HEADER_ROW + 1, FIRST_PERIOD_COL)
    book.size_columns(ws, minimum=4, maximum=40)
    book.print_setup(ws, label_columns=2)


def _rule(book: Book, name: str) -> str:
    rules = {rollup.rule(book.checked[s].quantities[name], book.base.units) for s in book.scenarios}
    if len(rules) > 1:
        raise Unsupported(f"the scenarios roll `{name}` up by different rules ({', '.join(sorted(rules))})")
    return rules.pop()


def annual_style(book: Book, rolled, name: str):
    """The row's style on this sheet: the Calculations row's, except a flow's, shown per year
    (per quarter) as `run --by year` shows it (engine/rollup.py per_coarse_period)."""
    q = rolled.model.quantities[name]
    if q is book.base.quantities[name] or q.unit is None or q.display_unit is None or \
            q.display_unit == book.base.quantities[name].display_unit:
        return book.layout.styles[name]
    return row_style(q, rolled.values[name], book.base.units)


def _scaled(book: Book, name: str, style, text: str) -> str:
    """A roll-up over Calculations cells (in that row's unit) in this row's unit: AVERAGE(...)*12
    for a rate per month shown per year."""
    factor = (style.cell_factor or 1.0) / (book.layout.styles[name].cell_factor or 1.0)
    if abs(factor - 1.0) < 1e-15:
        return text
    return f"({text})*" + book.layout.constant(factor, f"a rate: its {book.base.timeline.kind}s' unit -> the roll-up's",
                                               name, "unit")


def _ratio(book: Book, name: str, rows: dict, styles: dict, k: int) -> str:
    """`rollup ratio`: this sheet's cell of the numerator over the denominator's, in the row's unit
    (each row holds its quantity times its cell factor: one constant brings the ratio to this one's).
    A scenario that computes the ratio from other parts chooses its own pair, live."""
    texts = [_one_ratio(book, name, rollup.ratio_parts(book.checked[s].quantities[name]), rows, styles, k)
             for s in book.scenarios]
    if len(set(texts)) == 1:
        return texts[0]
    return "CHOOSE(scenario_index," + ",".join(texts) + ")"


def _one_ratio(book: Book, name: str, parts, rows: dict, styles: dict, k: int) -> str:
    top, bottom, factor = parts
    f = {part: styles[part].cell_factor or 1.0 for part in (name, top, bottom)}
    scale = factor * f[name] * f[bottom] / f[top]
    text = (f"{xl_rowcol_to_cell(rows[top], FIRST_PERIOD_COL + k)}/"
            f"{xl_rowcol_to_cell(rows[bottom], FIRST_PERIOD_COL + k)}")
    if abs(scale - 1.0) > 1e-15:
        text += "*" + book.layout.constant(scale, f"{name}: {top} / {bottom} in the row's unit", name, "unit")
    return text


def _defined(book: Book, name: str, how: str, a: int, b: int) -> bool:
    q = book.base.quantities[name]
    if how == "ratio":
        parts = {rollup.ratio_parts(book.checked[s].quantities[name])[:2] for s in book.scenarios}
        return all(_defined(book, part, _rule(book, part), a, b) for pair in parts for part in pair)
    if q.defined is None:
        return True
    if how == "last":
        return bool(q.defined[b])
    if how == "first":
        return bool(q.defined[a])
    return bool(q.defined[a:b + 1].all())


def _formula(book: Book, name: str, how: str, a: int, b: int, sheet: str) -> str:
    cells = book.layout.row_range(name, a, b, sheet)
    if how == "agree":  # true/false: its value where the periods agree, blank where they differ
        return f'IF(AND({cells}),TRUE,IF(OR({cells}),"",FALSE))'
    if book.base.quantities[name].unit is None and how in _BOOLEAN:  # MIN and MAX skip TRUE/FALSE cells
        return f"{_BOOLEAN[how]}({cells})"
    if how in _EXCEL:
        return f"{_EXCEL[how]}({cells})"
    return book.layout.cell(name, b if how == "last" else a, sheet)
