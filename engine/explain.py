"""`unitsheet explain`: how one quantity is computed, what it reads (with sources), its values."""

from __future__ import annotations

from . import ir, report
from .evaluate import LOOP_ITERATIONS, LOOP_TOLERANCE
from .diagnostics import ModelError, Diagnostic, did_you_mean


def upstream_inputs(checked, name: str) -> list[str]:
    """Every input `name` depends on, directly or through other formulas, in model order."""
    seen, stack = set(), [name]
    while stack:
        current = stack.pop()
        for dep in checked.dependencies.get(current, ()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return [n for n, q in checked.quantities.items() if n in seen and q.kind == "input"]


def circular_loop(checked, name: str) -> tuple[list[str], str] | None:
    """The declared circular loop `name` is in: its members, and the periods it is solved in."""
    found: list[str] = []
    periods: list[int | None] = []
    for step in checked.plan:
        for loop in step.loops:
            if name in loop.names:
                found = found or list(loop.names)
                periods.append(loop.period)
    if not found:
        return None
    if periods[0] is None:
        return found, "one pass (single values)"
    tl = checked.timeline
    return found, tl.range_text(min(periods), max(periods)) if len(periods) > 1 else tl.label(periods[0])


def overview(model, scenario: str = "base") -> tuple[str, dict]:
    """Every quantity, inputs first: kind, unit as shown, value (a single value) and first source."""
    results = model.run(scenario)
    checked = results.model
    ordered = sorted(checked.quantities.values(), key=lambda q: q.kind != "input")
    rows, data = [], []
    for q in ordered:
        shown, factor = report.display(q, results.values[q.name], checked.units)
        value = ("(series" + (f", actual to {q.actual.through})" if q.actual is not None else ")")) if q.series else f"{report.cells(results.values[q.name][:1], q, checked.units, factor, checked.timeline)[0]}"
        src = q.sources[0].file if q.sources else ""
        rows.append([q.name, q.kind, value, shown or ("true/false" if q.unit is None else ""), src])
        data.append({"name": q.name, "kind": q.kind, "series": q.series, "display_unit": shown,
                     "sources": [s.to_dict() for s in q.sources], **report.actual_entry(q, checked.dimensions)})
    widths = [max(len(r[i]) for r in rows + [["quantity", "kind", "value", "unit", "source"]]) for i in range(5)]
    lines = [f"{checked.title}  (scenario: {scenario}): {sum(q.kind == 'input' for q in ordered)} inputs, "
             f"{sum(q.kind != 'input' for q in ordered)} formulas; `unitsheet explain MODEL NAME` for one of them", ""]
    for r in [["quantity", "kind", "value", "unit", "source"]] + rows:
        lines.append("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]),
                                r[3].ljust(widths[3]), r[4]]).rstrip())
    return "\n".join(lines) + "\n", {"model": checked.title, "scenario": scenario, "quantities": data}


EXPLAINED_ITEMS = 6  # a dimensioned quantity: this many items in full, then how to ask for the others


def explain(model, name: str, scenario: str = "base") -> tuple[str, dict]:
    results = model.run(scenario)
    checked = results.model
    dims = checked.dimensions
    name = ir.row_name(name)
    if name in dims.of:  # every item (the first few in full)
        rows = dims.names(name)
        parts = [_explain_one(results, row) for row in rows[:EXPLAINED_ITEMS]]
        head = f"{name}: by {', '.join(dims.of[name])} ({len(rows)} items)\n\n"
        more = (f"\n... and {len(rows) - EXPLAINED_ITEMS} more items: unitsheet explain MODEL '{rows[-1]}'\n"
                if len(rows) > EXPLAINED_ITEMS else "")
        return head + "\n".join(text for text, _ in parts) + more, {
            "name": name, "dims": list(dims.of[name]), "items": [data for _, data in parts]}
    if name not in checked.quantities:
        hint = did_you_mean(name, list(checked.quantities) + list(dims.of))
        raise ModelError([Diagnostic("unknown-name", f"no quantity named `{name}`", None, hint=hint)])
    return _explain_one(results, name)


def _selected(name: str, periods: str) -> str:
    """x[2027], and an item row's periods beside its items: x[eu, 2027]."""
    return f"{name[:-1]}, {periods}]" if name.endswith("]") else f"{name}[{periods}]"


def formula_lines(checked, name: str) -> list[str]:
    """Each equation as `name[periods] = text` (explain's and the editor's hover)."""
    periods = checked.timeline.labels()
    out = []
    for eq in checked.quantities[name].equations:
        if eq.start is None:
            lhs = name
        elif eq.start == eq.stop:
            lhs = _selected(name, periods[eq.start])
        else:
            lhs = _selected(name, f"{periods[eq.start]}..{periods[eq.stop]}")
        out.append(f"{lhs} = {eq.text}")
    return out


def _explain_one(results, name: str) -> tuple[str, dict]:
    checked = results.model
    q = checked.quantities[name]
    shown, factor = report.display(q, results.values[name], checked.units)
    unit = ("a plain number" if q.unit == checked.units.dimensionless else checked.units.text(q.unit)) \
        if q.unit is not None else "true/false"
    lines = [f"{name}: {q.kind}, {'series' if q.series else 'single value'}, "
             + (unit if unit in ("a plain number", "true/false") else f"in {unit}")
             + (f" (shown in {shown})" if shown and shown != unit else "")]
    lines += about(checked, q) + actual_lines(checked, q)
    periods = checked.timeline.labels()
    formulas = formula_lines(checked, name)
    if formulas:
        lines.append("formula:")
        lines += [f"  {f}" for f in formulas]
    direct = sorted(checked.dependencies.get(name, ()))
    if direct:
        lines.append("reads: " + ", ".join(direct))
    loop = circular_loop(checked, name)
    if loop:
        names, periods_solved = loop
        lines.append(f"circular: {' -> '.join(names + names[:1])}, declared; solved in each period of "
                     f"{periods_solved} by iteration (to {LOOP_TOLERANCE:g} of each value, at most {LOOP_ITERATIONS} "
                     "passes; the workbook turns on iterative calculation)")
    inputs = upstream_inputs(checked, name)
    if inputs:
        lines.append("inputs it depends on:")
        for n in inputs:
            iq = checked.quantities[n]
            text, f = report.display(iq, results.values[n], checked.units)
            value = results.values[n]
            shown_value = report.cells(value[:1], iq, checked.units, f)[0] if not iq.series else "(series)"
            lines.append(f"  {n} = {shown_value} {text}".rstrip() + f"   [{_provenance(iq)}]")
    lines.append("values:")
    values = results.values[name]
    if q.series:
        until = q.actual.until if q.actual is not None else -1
        for k, (p, text) in enumerate(zip(periods, report.cells(values, q, checked.units, factor))):
            text = f"{text} {shown}".rstrip() + ("   (actual)" if k <= until else "") if text else "(no value)"
            lines.append(f"  {p}  {text}")
    else:
        lines.append(f"  {report.cells(values[:1], q, checked.units, factor, checked.timeline)[0]} {shown}".rstrip())
    data = {"name": name, "kind": q.kind, "unit": unit, "display_unit": shown, "series": q.series,
            "formula": formulas, "reads": direct, "inputs": inputs,
            "circular": list(loop[0]) if loop else None,
            "sources": [s.to_dict() for s in q.sources], **report.actual_entry(q, checked.dimensions),
            "correlations": [{"with": other, "rank_correlation": rho} for other, rho, _ in correlations_of(checked, name)],
            "values" if q.series else "value": ([None if v != v else float(v) for v in values] if q.series
                                                else float(values[0]))}
    return "\n".join(lines) + "\n", data


def about(checked, q) -> list[str]:
    """Its note, its sources, the inputs it is drawn correlated with."""
    lines = [f"  note: {q.note}"] if q.note else []
    for s in q.sources:
        lines.append(f"  source: {s.file}" + (f" {s.date}" if s.date else "") + (f' "{s.quote}"' if s.quote else ""))
    return lines + [f"  correlated with {other}: rank correlation {rho:g} in simulate" + (f" ({note})" if note else "")
                    for other, rho, note in correlations_of(checked, q.name)]


def actual_lines(checked, q) -> list[str]:
    """Which periods are actuals (engine/actuals.py), where they come from, where the formula takes over."""
    if q.actual is None:
        return []
    tl, source = checked.timeline, checked.quantities.get(q.actual.source)
    after = f"; the formula from {tl.label(q.actual.until + 1)}" if q.actual.until + 1 < len(tl) else ""
    lines = [f"  actuals: {tl.label(0)} to {q.actual.through} from {q.actual.source}{after}"]
    return lines + [f"    {line.strip()}" for line in about(checked, source)] if source is not None else lines


def correlations_of(checked, name: str) -> list[tuple[str, float, str | None]]:
    """(the other input, the rank correlation, the statement's note) of each pair naming `name`."""
    return [(b if a == name else a, rho, c.note) for c in checked.correlations
            for a, b, rho in c.pairs() if name in (a, b)]


def _provenance(q) -> str:
    """Where an input's value comes from: its first source, else its note when the note says it
    is an assumption (ASSUMPTION: ...), else that it has none."""
    src = q.sources[0] if q.sources else None
    if src is not None:
        return src.file + (f" {src.date}" if src.date else "") + (f' "{src.quote}"' if src.quote else "")
    if q.note and q.note.lstrip().upper().startswith("ASSUMPTION"):
        note = q.note.strip()
        return note if len(note) <= 70 else note[:69] + "…"
    return "no source"
