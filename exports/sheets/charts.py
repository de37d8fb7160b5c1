"""Charts: line charts of the model's headline series, in the units their rows show (the y axis
names the unit with its scale, e.g. 'billion USD'). The series are those the model names in
`chart` statements; a model without any gets one chart per display unit of its formulas. The x
axis is the Calculations sheet's period header (real dates), labelled as that header shows them;
each chart prints on a page of its own."""

from __future__ import annotations

import dataclasses
import math

from ...engine import ir
from ...engine.diagnostics import Diagnostic, Label

from ..book import FIRST_PERIOD_COL, HEADER_ROW, Book, ExportError


def chart_groups(book: Book) -> list[tuple[str, list[str]]]:
    if book.base.charts:
        for chart in book.base.charts:
            units = {book.layout.styles[n].unit for n in chart.names}
            if len(units) > 2:
                raise ExportError([Diagnostic(
                    "export-unsupported", f"chart \"{chart.title}\" shows {len(units)} units ({', '.join(sorted(units))}); "
                    "a chart has two axes", chart.span, (Label(chart.span),) if chart.span else (),
                    hint="split the chart, or give its series one display unit (`display billion USD`)")],
                    book.base.sources_text)
        return [(chart.title, list(chart.names)) for chart in book.base.charts]
    groups: dict[str, list[str]] = {}
    for name, q in book.base.quantities.items():
        if q.kind == "formula" and q.series and q.unit is not None:
            groups.setdefault(book.layout.styles[name].unit, []).append(name)
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))[:4]
    return [(f"Series in {unit}", names[:6]) for unit, names in ranked]


# pixels: 570 points wide, so a chart fits across an A4 landscape page (741 points) even where
# LibreOffice, lacking Calibri's metrics, widens the columns it spans by a quarter; 375 points high
CHART_SIZE = (760, 500)
ROW_PIXELS = 20  # a row's default height (15 pt)
CHART_ROWS = CHART_SIZE[1] // ROW_PIXELS + 2  # rows from one chart to the next
MOST_LABELS = 12  # date labels along an x axis


def axis_format(tl: ir.Timeline) -> str:
    """The period header's number format where one format shows every period (years, months);
    a quarter's header names its quarter in a literal per column, so its label shows the
    quarter's last month, as a monthly header does."""
    formats = {tl.header_format(i) for i in range(len(tl))}
    return formats.pop() if len(formats) == 1 else dataclasses.replace(tl, frequency="monthly").header_format(0)


def x_axis(tl: ir.Timeline) -> dict:
    """A date axis, a label every year (every few years on a long timeline)."""
    years = math.ceil(len(tl) / tl.per_year)
    return {"name": "period", "date_axis": True, "num_format": axis_format(tl),
            "major_unit": max(1, math.ceil(years / MOST_LABELS)), "major_unit_type": "years"}


def write(book: Book):
    ws = book.charts_ws
    book.text(ws, 0, 0, "Charts (they follow the scenario chosen on the Cover)", book.f_title, widen=False)
    row = 2
    for title, names in chart_groups(book):
        units = list(dict.fromkeys(book.layout.styles[n].unit for n in names))
        chart = book.wb.add_chart({"type": "line"})
        for name in names:
            place = book.layout.places[name]
            first = FIRST_PERIOD_COL
            secondary = len(units) == 2 and book.layout.styles[name].unit == units[1]
            chart.add_series({
                "name": name + (f" ({units[1]}, right axis)" if secondary else ""),
                "categories": ["Calculations", HEADER_ROW, first, HEADER_ROW, first + book.n - 1],
                "values": [place.sheet, place.row, first, place.row, first + book.n - 1],
                "y2_axis": secondary,
            })
        chart.set_title({"name": title})
        chart.set_y_axis({"name": units[0], "num_format": book.layout.styles[names[0]].number_format})
        if len(units) == 2:
            chart.set_y2_axis({"name": units[1]})
        chart.set_x_axis(x_axis(book.base.timeline))
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": CHART_SIZE[0], "height": CHART_SIZE[1]})
        ws.insert_chart(row, 0, chart)
        row += CHART_ROWS
    # every chart but the first starts a page, which begins a row above it (LibreOffice draws the
    # border of a chart that starts right at a break at the foot of the page before)
    breaks = range(1 + CHART_ROWS, row, CHART_ROWS)
    book.print_setup(ws, label_columns=None, header_row=None, row_breaks=list(breaks))
