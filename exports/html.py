"""`unitsheet run MODEL --format html`: a model's results as one self-contained page (its title,
checks red and green, the quantities in their display units with a small chart per series,
inputs with their sources as links, notes); and the same tables for a notebook
(Results._repr_html_). Built from exports/html_blocks.py and exports/html_charts.py."""

from __future__ import annotations

import sys

from ..engine import report
from ..engine.files import write_bytes
from .html_blocks import Markup, Row, checks_list, fragment, join, page, source_link, table, tag
from .html_charts import COLOURS, chart, sparkline


def model_page(results, names: list[str] | None = None) -> str:
    """The whole page of one run (`names`: only these rows, as run's --only)."""
    body = join([_header(results, "h1"), charts_section(results), results_sections(results, names),
                 inputs_section(results), notes_section(results)])
    return str(page(results.model.title, body))


def model_fragment(results, scenarios: list[str], limit: int | None = None) -> Markup:
    """A notebook's view of a model: its base run's page, the scenarios named, tables cut at `limit` rows."""
    others = tag("p", "scenarios: " + ", ".join(scenarios), cls="meta") if len(scenarios) > 1 else ""
    return fragment(join([_header(results, "h2"), others, results_sections(results, None, limit),
                          inputs_section(results, limit), notes_section(results, limit)]))


def results_fragment(results, limit: int | None = None) -> Markup:
    """A notebook's view of results: the title, checks and tables, styled inside its own div."""
    return fragment(join([_header(results, "h2"), results_sections(results, None, limit)]))


def _header(results, level: str) -> Markup:
    model = results.model
    tl = model.timeline
    description = model.scenarios.get(model.scenario) if model.scenario != "base" else None
    meta = (f"scenario: {model.scenario}" + (f" ({description})" if description else "")
            + f" · {len(tl)} {tl.kind}s, {tl.label(0)} to {tl.label(len(tl) - 1)}" + f" · {model.file}")
    return join([tag(level, model.title), tag("p", meta, cls="meta")])


def results_sections(results, names: list[str] | None = None, limit: int | None = None) -> Markup:
    """Checks, then series (a chart and a column per period), then single values. limit: at most
    this many rows a table, and a line saying how many more (a notebook's output stays readable)."""
    series, singles, hidden = quantity_rows(results, names, limit)
    periods = results.model.timeline.labels()
    parts = []
    if results.checks:
        parts.append(tag("section", join([tag("h2", "Checks"), checks_list(results.checks)]), id="checks"))
    if series:
        parts.append(tag("section", join([tag("h2", "Series"), table(["quantity", "unit", "chart"] + periods, series,
                                                                    numeric_from=3, cls="series"),
                                          _more(hidden[True])]), id="series"))
    if singles:
        parts.append(tag("section", join([tag("h2", "Single values"),
                                          table(["quantity", "unit", "value"], singles, numeric_from=2, cls="singles"),
                                          _more(hidden[False])]), id="singles"))
    return join(parts)


def _cut(rows: list[Row], limit: int | None) -> tuple[list[Row], Markup]:
    if limit is None or len(rows) <= limit:
        return rows, Markup("")
    return rows[:limit], _more(len(rows) - limit)


def _more(count: int) -> Markup:
    return tag("p", f"... {count:,} more rows: run --format html shows them all", cls="meta") if count else Markup("")


def quantity_rows(results, names: list[str] | None = None,
                  limit: int | None = None) -> tuple[list[Row], list[Row], dict[bool, int]]:
    """The series' rows and the single values' rows, as `run` shows them (report.display's unit
    and scale, report.cells' text); a dimensioned quantity's items under a row naming it. limit:
    at most this many rows a table, the others only counted ({series?: rows left out})."""
    model = results.model
    dims = model.dimensions
    names = names or list(model.quantities)
    shown_on = report.display_values(results, names)
    series: list[Row] = []
    singles: list[Row] = []
    hidden = {True: 0, False: 0}
    group = {id(series): None, id(singles): None}  # the quantity whose items each table is listing
    for name in names:
        q = model.quantities[name]
        rows = series if q.series else singles
        if limit is not None and len(rows) >= limit:  # counted, not drawn: a notebook shows the first rows
            hidden[q.series] += 1 + (name in dims.rows and group[id(rows)] != dims.quantity_of(name))
            group[id(rows)] = dims.quantity_of(name) if name in dims.rows else None
            continue
        values = results.values[name]
        shown, factor = report.display(q, shown_on[name], model.units)
        item = name in dims.rows
        text = report.cells(values if q.series else values[:1], q, model.units, factor, model.timeline,
                            among=shown_on[name] if item else None)
        quantity = dims.quantity_of(name)
        if item and group[id(rows)] != quantity:
            rows.append(Row([f"{quantity} by {', '.join(dims.of[quantity])}"], "group", quantity))
        group[id(rows)] = quantity if item else None
        label = name[len(quantity):] if item else name
        chart = [_chart(q, values * factor, name)] if q.series else []
        rows.append(Row([label, shown] + chart + text, "item" if item else "", name))
    return series, singles, hidden


def _chart(q, values, name: str) -> Markup:
    if q.unit is None or report.shows_period(q):  # a yes/no or a period label: nothing to draw
        return Markup("")
    return sparkline([float(v) for v in values], name)


def charts_section(results) -> Markup:
    """The model's `chart` statements, larger: the lines that share a display unit on one scale
    (a second unit gets a chart of its own beside it), a legend in the lines' colours."""
    model = results.model
    figures = []
    for statement in model.charts:
        rows = [r for n in statement.names for r in model.dimensions.names(n)]
        shown_on = report.display_values(results, rows)
        by_unit: dict[str, list[tuple[str, list[float]]]] = {}
        for row in rows:
            unit, factor = report.display(model.quantities[row], shown_on[row], model.units)
            by_unit.setdefault(unit, []).append((row, [float(v) * factor for v in results.values[row]]))
        for unit, lines in by_unit.items():
            dashed = [k >= len(COLOURS) for k in range(len(lines))]  # past the colours, the cycle again dashed
            legend = join(tag("span", f"{'- -' if dashed[k] else '—'} {row}", style=f"color:{COLOURS[k % len(COLOURS)]}")
                          + " " for k, (row, _) in enumerate(lines))
            svg = chart([values for _, values in lines], f"{statement.title} ({unit})", 360, 130, dashed,
                        (model.timeline.label(0), model.timeline.label(len(model.timeline) - 1)))
            caption = tag("figcaption", join([tag("strong", statement.title), f" · {unit or 'plain number'}",
                                              Markup("<br>"), legend]))
            figures.append(tag("figure", svg + caption, data_name=statement.title))
    if not figures:
        return Markup("")
    return tag("section", join([tag("h2", "Charts"), tag("div", join(figures), cls="charts")]), id="charts")


def _once_each(model, keep):
    """(quantity, its first item's checked quantity) for each quantity `keep` takes, a dimensioned
    one once (its items share a note, a unit and sources)."""
    seen = set()
    for name, q in model.quantities.items():
        quantity = model.dimensions.quantity_of(name)
        if keep(q) and quantity not in seen:
            seen.add(quantity)
            yield quantity, q


def inputs_section(results, limit: int | None = None) -> Markup:
    """Each input (a dimensioned one once), its unit, notes and sources, links where they are URLs."""
    model = results.model
    dims = model.dimensions
    rows = []
    for quantity, q in _once_each(model, lambda q: q.kind == "input"):
        shown = quantity + (f" by {', '.join(dims.of[quantity])}" if quantity in dims.of else "")
        sources = join(source_link(s.file, s.date, s.quote) for s in q.sources)
        unit = "true/false" if q.unit is None else model.units.short(q.unit)  # as run's table spells it: %, USD/month
        rows.append(Row([shown, unit, tag("span", q.note or "", cls="wrap"), tag("span", sources, cls="wrap")],
                        name=quantity))
    if not rows:
        return Markup("")
    rows, more = _cut(rows, limit)
    return tag("section", join([tag("h2", "Inputs and sources"),
                                table(["input", "unit", "note", "sources"], rows, cls="inputs"), more]), id="inputs")


def notes_section(results, limit: int | None = None) -> Markup:
    """The notes of formulas (an input's are with its sources), each quantity once."""
    rows = []
    for quantity, q in _once_each(results.model, lambda q: q.kind != "input" and q.note):
        rows.append(Row([quantity, tag("span", q.note, cls="wrap")], name=quantity))
    if not rows:
        return Markup("")
    rows, more = _cut(rows, limit)
    return tag("section", join([tag("h2", "Notes"), table(["quantity", "note"], rows, cls="notes"), more]), id="notes")


def write_page(results, names, output: str | None, model_file: str) -> None:
    """`run --format html`: the page to stdout, or atomically to `output` (never over the model)."""
    text = model_page(results, names)
    if output is None:
        sys.stdout.write(text)
        return
    write_bytes(output, text.encode("utf-8"), inputs=[model_file])
