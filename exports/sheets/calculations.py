"""Calculations: one row per formula, in the model's order and sections; one column per period;
the same formula shape across a row (a template rendered per column). Single values sit in the
Value column. Numbers are in the unit the row states (the command line's display unit)."""

from __future__ import annotations

from .. import limits
from ..book import FIRST_PERIOD_COL, HEADER_ROW, Book, Place, equation_at
from ..formula_text import classic, render
from ..formulas import Unsupported

VALUE_COL = 2


def place(book: Book):
    names = [n for n, q in book.base.quantities.items() if q.kind == "formula"]
    rows, book.calc_sections = book.section_rows(names, HEADER_ROW + 2)
    for name, r in rows.items():
        over_time = book.base.quantities[name].type.shape.over_time  # a row of periods, or one Value cell
        book.layout.places[name] = Place("Calculations", r, None if over_time else VALUE_COL)
    book.calc_names = names
    last = max(list(rows.values()) + [HEADER_ROW + 2])
    book.fits(columns=FIRST_PERIOD_COL + book.n, what=f"a timeline of {book.n:,} periods",
              most=f"{limits.MAX_COLUMNS - FIRST_PERIOD_COL:,} periods")
    book.fits(rows=last, what="this many rows of quantities", most=f"{limits.MAX_ROWS:,} rows")


def write(book: Book):
    ws = book.calcs_ws
    book.text(ws, 0, 0, "Calculations", book.f_title, widen=False)
    book.text(ws, 1, 0, f"Every cell is a live formula; stored values are scenario {book.selected}. Numbers are in "
                        "the unit of their row.", widen=False)
    for c, text in enumerate(["Quantity", "Unit", "Value", ""]):
        book.text(ws, HEADER_ROW, c, text, book.f_header)
    book.period_headers(ws, HEADER_ROW)
    book.year_row(ws, HEADER_ROW + 1)
    ws.freeze_panes(HEADER_ROW + (2 if book.base.timeline.per_year > 1 else 1), FIRST_PERIOD_COL)  # and the year row
    for r, title in book.calc_sections:
        book.text(ws, r, 0, title, book.f_section, widen=False)
    sel = book.selected_results()
    for name in book.calc_names:
        q = book.base.quantities[name]
        place = book.layout.places[name]
        book.text(ws, place.row, 0, name, book.f_bold)
        book.text(ws, place.row, 1, book.layout.styles[name].unit)
        if q.note:
            ws.write_comment(place.row, 0, q.note[:limits.MAX_CELL_TEXT], {"x_scale": 3, "y_scale": 1.5})
        fmt = book.fmt(q)
        try:
            variants = book.formula_variants(name)
        except Unsupported as err:
            raise book.located(err, name, q.equations[0] if q.equations else q, None) from None
        values = sel.values[name]
        if not q.series:
            text = book.by_scenario(name, [v.equations[0] for v in variants], "Calculations", q)
            book.formula(ws, place.row, VALUE_COL, text, values[0], q, fmt)
            continue
        row_values = values.tolist()
        actual = actual_cells(book, ws, place.row, q)
        templates: dict[tuple, tuple[str, bool]] = {}  # one template per equation (per scenario variant)
        for i in range(book.n):
            eqs = [equation_at(v, i) for v in variants]
            if all(e is None for e in eqs):
                continue
            if any(e is None for e in eqs):
                raise book.located(Unsupported(f"`{name}` has a value for {book.base.timeline.label(i)} in "
                                               "some scenarios only"), name, next(e for e in eqs if e), None)
            key = tuple(id(e) for e in eqs)
            if key not in templates:
                template = book.by_scenario(name, eqs, "Calculations", q)
                templates[key] = (template, classic(template))
            template, is_classic = templates[key]
            text = render(template, FIRST_PERIOD_COL + i, book.letters)
            book.formula(ws, place.row, FIRST_PERIOD_COL + i, text, row_values[i], q, actual(i) or fmt, is_classic)
    if any(q.actual is not None for q in book.base.quantities.values()):
        book.text(ws, 2, 0, "Shaded cells are actuals: they read the actuals' input cells (the source is in each "
                            "cell's comment); the formula holds after them.", widen=False)
    book.widen(ws, 3, 1)
    book.size_columns(ws, minimum=4, maximum=40)
    book.print_setup(ws, label_columns=2)


def actual_cells(book: Book, ws, row: int, q):
    """For a quantity with actuals (engine/actuals.py): a comment citing them on each actual cell,
    and a function giving period i's shaded format (None after them: the row's own)."""
    if q.actual is None:
        return lambda i: None
    tl, source = book.base.timeline, book.base.quantities.get(q.actual.source)
    cited = "; ".join(s.file + (f" {s.date}" if s.date else "") + (f' "{s.quote}"' if s.quote else "")
                      for s in (source.sources if source is not None else ())) or (
        source.note if source is not None and source.note else "no source stated")
    after = f" The formula holds from {tl.label(q.actual.until + 1)}." if q.actual.until + 1 < len(tl) else ""
    text = (f"Actual: {q.actual.source}, {tl.label(0)} to {q.actual.through}. Source: {cited}.{after}"
            )[:limits.MAX_CELL_TEXT]
    for i in range(q.actual.until + 1):
        ws.write_comment(row, FIRST_PERIOD_COL + i, text, {"x_scale": 3, "y_scale": 1.5})
    shaded = book.fmt(q, actual=True)
    return lambda i: shaded if i <= q.actual.until else None
