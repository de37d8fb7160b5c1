"""Results -> text for people (tables) and machines (JSON, CSV). Display units live here."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math

import numpy as np

from . import ir
from .units import SCALES


def display(q: ir.Quantity, values: np.ndarray, units) -> tuple[str, float]:
    """(display unit text, factor from the quantity's unit to it): declared, or a scale word
    chosen from the magnitudes (billion USD, not 1e9 USD)."""
    if q.unit is None:
        return "", 1.0
    if shows_period(q):
        return "period", 1.0
    unit = q.display_unit if q.display_unit is not None else q.unit
    factor = q.display_factor
    text = units.short(unit) if q.display_unit is not None else (q.unit_text or units.short(unit))
    scale = q.display_scale
    if scale is None and unit != units.percent:
        finite = np.abs(values[np.isfinite(values)]) * factor
        top = float(finite.max()) if finite.size else 0.0
        for word, power in sorted(SCALES.items(), key=lambda kv: -kv[1]):
            if top >= power and power >= 10**6:
                scale = word
                break
    if scale is not None:
        factor /= SCALES[scale]
        text = f"{scale} {text}".strip()
    return text, factor


def number_words(value: float, unit: str = "") -> str:
    """A value as a model writes it, with a scale word: 150 million USD, 37.5 million, 12."""
    for word, power in sorted(SCALES.items(), key=lambda kv: -kv[1]):
        if abs(value) >= power and power >= 10**6:
            return f"{value / power:.6g} {word} {unit}".strip()
    return f"{value:.6g} {unit}".strip()


def results_dict(results) -> dict:
    """The JSON contract. A dimensioned quantity is one entry: "dims", "items" and its values
    nested in dimension order, then periods (docs/cli.md)."""
    model = results.model
    units = model.units
    dims = model.dimensions
    quantities = {}
    for name, q in model.quantities.items():
        if name in dims.rows:
            quantity = dims.rows[name][0]
            if quantity not in quantities:
                quantities[quantity] = _dimensioned_entry(results, quantity)
            continue
        values = results.values[name]
        shown, _ = display(q, values, units)
        entry = {"unit": units.text(q.unit) if q.unit is not None else "bool",
                 "display_unit": shown, "kind": "series" if q.series else "scalar"}
        if shows_period(q):  # the period's label, or null where none was found
            entry["unit"], entry["value"] = "period", period_label(float(values[0]), model.timeline)
        elif q.series:
            entry["values"] = [_json_number(v, q) for v in values]
        else:
            entry["value"] = _json_number(values[0], q)
        entry["source"] = [s.to_dict() for s in q.sources] or None
        entry["input"] = q.kind == "input"
        entry.update(actual_entry(q, dims))
        if q.note:
            entry["note"] = q.note
        if q.low is not None:
            entry["range"] = [q.low, q.high]
        quantities[name] = entry
    return {"model": model.title, "scenario": model.scenario, "timeline": list(model.timeline.periods),
            "quantities": quantities, "checks": results.checks}


def _dimensioned_entry(results, quantity: str) -> dict:
    model, units, dims = results.model, results.model.units, results.model.dimensions
    rows = dims.names(quantity)
    qs = {row: model.quantities[row] for row in rows}
    q = qs[rows[0]]
    shown, _ = display(q, block_values(results, rows), units)
    entry = {"unit": units.text(q.unit) if q.unit is not None else "bool", "display_unit": shown,
             "kind": "series" if q.series else "scalar", "dims": list(dims.of[quantity]),
             "items": {d: list(dims.items[d]) for d in dims.of[quantity]}}
    per_row = iter(rows)

    def nest(depth: int):
        if depth == len(dims.of[quantity]):
            row = next(per_row)
            values = results.values[row]
            if shows_period(q):
                return period_label(float(values[0]), model.timeline)
            return [_json_number(v, q) for v in values] if q.series else _json_number(values[0], q)
        return [nest(depth + 1) for _ in dims.items[dims.of[quantity][depth]]]

    entry["values" if q.series else "value"] = nest(0)
    entry["source"] = [s.to_dict() for s in q.sources] or None
    entry["input"] = q.kind == "input"
    entry.update(actual_entry(q, dims))
    if q.note:
        entry["note"] = q.note
    if any(x.low is not None for x in qs.values()):
        ranges = iter([[x.low, x.high] if x.low is not None else None for x in qs.values()])

        def nest_ranges(depth: int):
            if depth == len(dims.of[quantity]):
                return next(ranges)
            return [nest_ranges(depth + 1) for _ in dims.items[dims.of[quantity][depth]]]
        entry["range"] = nest_ranges(0)
    return entry


def actual_entry(q: ir.Quantity, dims) -> dict:
    """JSON: the last period a quantity takes from its actuals, and which quantity holds them
    (engine/actuals.py); nothing for a quantity without actuals. Every item of a dimensioned
    quantity has the same last period (one `actual` statement)."""
    if q.actual is None:
        return {}
    return {"actual_until": q.actual.through, "actuals": dims.quantity_of(q.actual.source)}


def marked(row_cells: list[str], q: ir.Quantity, any_actuals: bool) -> list[str]:
    """A table row's cells, the actual ones marked `*` (the others padded, so columns align)."""
    if not any_actuals:
        return row_cells
    until = q.actual.until if q.actual is not None else -1
    return [c + ("*" if k <= until and c else " ") for k, c in enumerate(row_cells)]


def actuals_legend(quantities) -> list[str]:
    """Under a table: what the marked cells are."""
    found = [f"{name} from {q.actual.source} to {q.actual.through}" for name, q in quantities if q.actual is not None]
    return ["* actuals: " + "; ".join(found)] if found else []


def block_values(results, rows) -> np.ndarray:
    """Every value of a dimensioned quantity's rows (its display scale is chosen over all of them)."""
    return np.concatenate([np.asarray(results.values[r], dtype=float).reshape(-1) for r in rows])


def display_values(results, names=None) -> dict[str, np.ndarray]:
    """The values each row's display unit is chosen over: its own, or its block's (the items of a
    dimensioned quantity share one scale), each block gathered once."""
    dims = results.model.dimensions
    blocks: dict[str, np.ndarray] = {}
    out = {}
    for name in names if names is not None else results.model.quantities:
        if name in dims.rows:
            quantity = dims.rows[name][0]
            if quantity not in blocks:
                blocks[quantity] = block_values(results, dims.names(quantity))
            out[name] = blocks[quantity]
        else:
            out[name] = results.values[name]
    return out


def _json_number(v, q):
    v = float(v)
    if math.isnan(v):
        return None
    if q.unit is None:
        return bool(v)
    return v


NOISE = 1e-9  # a value this much smaller than its row's largest is float noise: shown as 0


def shows_period(q: ir.Quantity) -> bool:
    """first_period(): a period, held as its end date's spreadsheet serial, shown as its label."""
    return ir.blank_function(q) == "first_period"


def period_label(value: float, timeline) -> str | None:
    """A first_period() value (its period's end date) as the label of the timeline's period that
    holds that date (2027-03; FY2027 once rolled up to years); None for no value."""
    if math.isnan(value):
        return None
    date = _dt.date(1899, 12, 30) + _dt.timedelta(days=int(value))
    return next((timeline.label(i) for i in range(len(timeline)) if date <= timeline.end_date(i)), None)


def cells(values, q: ir.Quantity, units, factor: float = 1.0, timeline=None, among=None) -> list[str]:
    """One row's values as tables show them: in the display unit (`factor` from display()), all
    with the row's decimals (`decimals`), float noise far below the row's precision as 0 (not
    1.67e-15), plain whole numbers such as years without a thousands separator (2027, not 2,027);
    a period found by first_period() as its label (given the timeline). A value None is blank.
    among: the values the decimals are decided on, if not the row's own (an item row: its
    block's, so that every item shows the decimals the workbook's block has)."""
    if timeline is not None and shows_period(q):
        return [period_label(float(v), timeline) or "" for v in np.atleast_1d(values).tolist()]
    boolean = q.unit is None
    if boolean:
        return ["" if v is None or math.isnan(v) else ("yes" if v else "no") for v in np.atleast_1d(values).tolist()]
    plain = (q.display_unit if q.display_unit is not None else q.unit) == units.dimensionless
    shown = [math.nan if v is None else float(v) * factor for v in np.atleast_1d(values).tolist()]
    decide = shown if among is None else [math.nan if v is None else float(v) * factor
                                           for v in np.ravel(np.asarray(among, dtype=object)).tolist()]
    finite = [abs(v) for v in decide if math.isfinite(v)]
    floor = max(finite, default=0.0) * NOISE
    shown = [0.0 if abs(v) < floor else v + 0.0 for v in shown]  # + 0.0: no "-0.00"
    if plain and all(v == int(v) and v < 10_000 for v in finite):
        return ["" if math.isnan(v) else f"{v:.0f}" for v in shown]
    digits = decimals([a for a in finite if a >= floor])
    return ["" if math.isnan(v) else f"{v:,.{digits}f}" for v in shown]


def decimals(magnitudes) -> int:
    """The decimals of a row, the same for all its values (the command line's tables and the
    workbook's number format): enough for its smallest non-zero magnitude: none from 1,000, one
    from 100, two from 1 (and for a row of zeros), three significant digits below 1, at most 6."""
    nonzero = [a for a in magnitudes if a > 0 and math.isfinite(a)]
    small = min(nonzero, default=1.0)
    if small >= 1000:
        return 0
    if small >= 100:
        return 1
    if small >= 1:
        return 2
    return int(min(6, 2 - math.floor(math.log10(small))))


def table(results, names: list[str] | None = None, sources: bool = False) -> str:
    """Series as rows with periods as columns, then single figures, then checks."""
    model = results.model
    periods = model.timeline.labels()
    names = names or list(model.quantities)
    series_rows, scalar_rows = [], []
    shown_on = display_values(results, names)
    for name in names:
        q = model.quantities[name]
        values = results.values[name]
        shown, factor = display(q, shown_on[name], model.units)
        row = [name, shown] + cells(values if q.series else values[:1], q, model.units, factor, model.timeline,
                                    among=shown_on[name] if name in model.dimensions.rows else None)
        (series_rows if q.series else scalar_rows).append((row, q))
    out = [f"{model.title}  (scenario: {model.scenario})", ""]
    if series_rows:
        any_actuals = any(q.actual is not None for _, q in series_rows)
        rows = [r[:2] + marked(r[2:], q, any_actuals) for r, q in series_rows]
        out += _grid(["quantity", "unit"] + [str(p) for p in periods], rows, sources, [q for _, q in series_rows])
        out += actuals_legend((r[0], q) for r, q in series_rows)
        out.append("")
    if scalar_rows:
        out += _grid(["figure", "unit", "value"], [r for r, _ in scalar_rows], sources, [q for _, q in scalar_rows])
        out.append("")
    if results.checks:
        passed = sum(c["passed"] for c in results.checks)
        out.append(f"checks: {passed}/{len(results.checks)} pass")
        for c in results.checks:
            out.append(f"  {'ok  ' if c['passed'] else 'FAIL'} {c['name']}" + ("" if c["passed"] else f": {c['message']}"))
    return "\n".join(out).rstrip() + "\n"


def _grid(header, rows, sources, quantities) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = []

    def fmt(row):
        parts = [str(row[0]).ljust(widths[0]), str(row[1]).ljust(widths[1])]
        parts += [str(c).rjust(w) for c, w in zip(row[2:], widths[2:])]
        return "  ".join(parts).rstrip()
    lines.append(fmt(header))
    lines.append("  ".join("-" * w for w in widths))
    for row, q in zip(rows, quantities):
        lines.append(fmt(row))
        if sources:
            for s in q.sources:
                quote = f' "{s.quote}"' if s.quote else ""
                lines.append(f"    source: {s.file}{' ' + s.date if s.date else ''}{quote}")
    return lines


def to_csv(results, names: list[str] | None = None) -> str:
    """One row per quantity (or per name in `names`): name, unit, the value of a single value,
    then one column per period for a series."""
    model = results.model
    periods = model.timeline.labels()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["quantity", "unit", "value"] + list(periods))
    for name in names or model.quantities:
        q = model.quantities[name]
        values = results.values[name]
        unit = model.units.text(q.unit) if q.unit is not None else "bool"
        cells = [_csv_cell(v, q.unit is None) for v in values.tolist()]
        if shows_period(q):
            unit, cells = "period", [period_label(v, model.timeline) or "" for v in values.tolist()]
        if q.series:
            writer.writerow([name, unit, ""] + cells)
        else:
            writer.writerow([name, unit, cells[0]] + [""] * len(periods))
    return buf.getvalue()


def _csv_cell(v: float, boolean: bool) -> str:
    if math.isnan(v):
        return ""
    if boolean:
        return "true" if v else "false"
    return repr(v + 0.0)  # -0.0 is 0


def csv_rows(rows: list[list]) -> str:
    """Rows as CSV, numbers as the shortest text that reads back as the same float."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([_csv_cell(v, False) if isinstance(v, float) else v for v in row])
    return buf.getvalue()
