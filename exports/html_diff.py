"""`unitsheet diff OLD NEW --format html`: a Diff (engine/diff_report.py) as one self-contained
page: what changed in the text (inputs old -> new with their sources, formulas per equation, the
other statements), then per scenario the checks that flipped, the moved rows largest first, each
series drawn old (dashed) against new on one scale, and each row's attribution. Numbers are the
text format's (engine/diff_report.py number/signed/percent); every numeric cell also carries its
exact value in data-value, so a reader (or a test) can add the attribution up."""

from __future__ import annotations

import math

from ..engine import syntax as ast
from ..engine.diff_report import number, percent, signed
from ..engine.formatter import clause_text, expr, head
from .html_blocks import Markup, Row, join, page, source_link, table, tag
from .html_charts import COLOURS, chart

FLIPPED = {True: ("FAIL → ok", "ok"), False: ("ok → FAIL", "fail")}  # new_passed -> badge, class (colour)


def diff_page(diff) -> str:
    """The whole page of one comparison."""
    title = f"unitsheet diff {diff.old_file} → {diff.new_file}"
    meta = f"old: {diff.old_file} · new: {diff.new_file}" + (f" · threshold {diff.threshold:g}" if diff.threshold else "")
    only = [tag("p", f"scenarios only in {side} (not compared): {', '.join(names)}", cls="meta")
            for side, names in (("OLD", diff.only_old), ("NEW", diff.only_new)) if names]
    moved = any(s.moves for s in diff.scenarios)
    verdict = tag("p", "numbers moved" if moved else "checks flipped" if diff.moved else "no number moved",
                  cls="fail" if diff.moved else "ok", id="verdict")
    body = join([tag("h1", title), tag("p", meta, cls="meta"), verdict, *only, changes_section(diff.changes),
                 join(scenario_section(s) for s in diff.scenarios)])
    return str(page(title, body))


# ------------------------------------------------------------------------- the text


def changes_section(changes) -> Markup:
    """Inputs (old and new value, unit, sources), formulas (per equation), everything else."""
    inputs, formulas, others = [], [], []
    for c in changes:
        statements = c.new_statements or c.old_statements
        if c.kind == "input" and all(isinstance(s, ast.Input) for s in statements):
            inputs.append(_input_row(c))
        elif c.kind == "formula":
            formulas += _formula_rows(c)
        else:
            others.append(Row([c.kind, c.action, _name(c), _pre(c.old_text), _pre(c.new_text), _lines(c.details)],
                              name=c.name))
    if not changes:
        return tag("section", join([tag("h2", "Model text"),
                                    tag("p", "the model text did not change (statements compared as parsed)")]),
                   id="changes")
    parts = [tag("h2", f"Model text: {len(changes)} change{'s' if len(changes) != 1 else ''}")]
    if inputs:
        parts += [tag("h3", "Inputs"), table(["input", "change", "old", "new", "sources", "details"], inputs,
                                             cls="inputs")]
    if formulas:
        parts += [tag("h3", "Formulas"), table(["formula", "change", "equation", "old", "new"], formulas,
                                               cls="formulas")]
    if others:
        parts += [tag("h3", "Other statements"), table(["kind", "change", "name", "old", "new", "details"], others,
                                                       cls="others")]
    return tag("section", join(parts), id="changes")


def _name(c) -> str:
    return c.name + (f" (was {c.old_name})" if c.old_name and c.old_name != c.name else "")


def _value(stmt) -> str:
    """An input's or an equation's right side as written, its unit after it (`{2025: 10} [USD]`)."""
    if stmt is None:
        return ""
    return expr(stmt.value) + (f" [{stmt.unit.text}]" if stmt.unit else "")


def _input_row(c) -> Row:
    old = c.old_statements[0] if c.old_statements else None
    new = c.new_statements[0] if c.new_statements else None
    sources = (new or old).clauses.sources
    was = set(old.clauses.sources) if old and new else set(sources)
    links = join(join([source_link(s.file, s.date, s.quote), tag("span", "(added)", cls="meta") if s not in was else ""])
                 for s in sources)
    gone = [s for s in (old.clauses.sources if old and new else ()) if s not in sources]
    links += join(tag("del", source_link(s.file, s.date, s.quote)) for s in gone)
    rest = [d for d in c.details if not d.startswith(("value:", "unit:", "= source", "+ source", "- source"))]
    return Row([_name(c), c.action, _value(old), _value(new), tag("span", links, cls="wrap"), _lines(rest)],
               name=c.name)


def _formula_rows(c) -> list[Row]:
    """One row per equation (by its head: `revenue[2028..2030]`) that was added, removed or changed;
    a renamed formula's heads all differ: one row, its text before and after."""
    if c.action == "renamed" or not (c.old_statements and c.new_statements):
        return [Row([_name(c), c.action, "", _pre(c.old_text), join([_pre(c.new_text), _lines(c.details)])],
                    name=c.name)]
    was = {head(s): s for s in c.old_statements}
    now = {head(s): s for s in c.new_statements}
    rows = []
    for h in list(now) + [h for h in was if h not in now]:
        a, b = was.get(h), now.get(h)
        if a == b:
            continue
        clauses = [clause_text(x) for x in (b or a).clauses.items]
        before = [clause_text(x) for x in a.clauses.items] if a and b else clauses
        note = [f"+ {x}" for x in clauses if x not in before] + [f"- {x}" for x in before if x not in clauses]
        action = "added" if a is None else "removed" if b is None else "changed"
        rows.append(Row([_name(c), action, h, _value(a), join([_value(b), _lines(note)])], name=c.name))
    return rows or [Row([_name(c), c.action, "", _pre(c.old_text), join([_pre(c.new_text), _lines(c.details)])],
                        name=c.name)]  # the same equations, differently arranged


def _pre(text: str | None) -> Markup:
    return tag("pre", text) if text else Markup("")


def _lines(lines) -> Markup:
    return join(tag("span", line, cls="line") for line in lines)


# ------------------------------------------------------------------------- the numbers


def scenario_section(s) -> Markup:
    """The flips, the moved rows (a heading row each, with its chart, then its periods), the attributions."""
    parts = [tag("h2", f"Scenario {s.scenario}")]
    if not (s.moves or s.flips or s.not_compared):
        parts.append(tag("p", "no number moved", cls="ok"))
    if s.flips:  # first, as the model page puts its checks first
        parts += [tag("h3", "Checks that flipped"), tag("ul", join(_flip(f) for f in s.flips), cls="checks flips")]
    if s.moves:
        rows = [r for m in s.moves for r in _move_rows(m)]
        parts.append(table(["period", "old", "new", "change", "relative"], rows, numeric_from=1, cls="moves",
                           caption=f"{len(s.moves)} row{'s' if len(s.moves) != 1 else ''} moved, largest first"))
    elif s.flips:
        parts.append(tag("p", "no row moved"))
    if s.not_compared:
        parts += [tag("h3", "Not compared"), tag("ul", join(tag("li", line) for line in s.not_compared))]
    why = [_attribution(m) for m in s.moves if m.parts]
    if why:
        parts += [tag("h3", "Why: each edit's effect, the interaction, the total")] + why
    return tag("section", join(parts), cls="scenario", data_name=s.scenario)


def _num(value, text: str) -> Markup:
    """A number's cell: the text shown, the exact value in data-value ("" where there is none)."""
    finite = value is not None and math.isfinite(value)  # as the JSON: no inf, no NaN
    return tag("span", text, data_value=repr(float(value)) if finite else "")


def _move_rows(m) -> list[Row]:
    unit = "" if m.unit in ("", "bool") else m.unit
    heading = [tag("strong", m.name), f" (was {m.old_name})" if m.old_name != m.name else "",
               f" · {unit}" if unit else "", " ", _chart(m)]
    rows = [Row([join(heading)], "group", m.name)]
    for i in m.largest():
        moved = m.unit != "bool"
        rows.append(Row(["value" if m.periods[i] is None else str(m.periods[i]),
                         _num(m.old[i], number(m.old[i], m.unit)), _num(m.new[i], number(m.new[i], m.unit)),
                         _num(m.change[i], signed(m.change[i])) if moved else "",
                         _num(m.relative[i], percent(m.relative[i])) if moved else ""], "item", m.name))
    return rows


def _chart(m) -> Markup:
    """Old (dashed) and new over the moved periods (the Diff holds only those: a gap of unmoved
    periods is not drawn), on one scale, with a legend in the lines' colours."""
    if len(m.periods) < 2 or m.unit == "bool":  # one value, one moved period, a yes/no: the row says it all
        return Markup("")
    first, last = str(m.periods[0]), str(m.periods[-1])
    svg = chart([m.old, m.new], f"{m.name}: old (dashed) and new", 240, 70, [True, False], (first, last))
    legend = join([tag("span", "- - old", style=f"color:{COLOURS[0]}"), " ",
                   tag("span", "— new", style=f"color:{COLOURS[1]}")])
    return tag("figure", svg + tag("figcaption", legend), cls="moved", data_name=m.name)


def _flip(f) -> Markup:
    word, cls = FLIPPED[f.new_passed]
    text = f.check + (f": {f.message}" if not f.new_passed and f.message else "")
    return tag("li", join([tag("span", word, cls="badge"), " ", text]), cls=f"check {cls}", data_name=f.check)


def _attribution(m) -> Markup:
    """Each edit that moved the row in some period (the others, exactly 0, on one line), the
    interaction, the total: per moved period, adding up to the total."""
    periods = ["value" if p is None else str(p) for p in m.periods]
    shown = [p for p in m.parts if any(v is None or v != 0 for v in p.change)]
    rows = [Row([p.edit + (f" ({p.why})" if p.why else "")] + [_num(v, signed(v)) for v in p.change],
                "part", p.edit) for p in shown]
    if len(shown) < len(m.parts):
        others = len(m.parts) - len(shown)
        rows.append(Row([f"the {others} other edit{'s' if others != 1 else ''}"] + [_num(0.0, "0")] * len(periods),
                        "part", ""))
    rows.append(Row(["interaction (the edits together, beyond their sum)"]
                    + [_num(v, signed(v)) for v in m.interaction], "interaction", "interaction"))
    rows.append(Row(["total move"] + [_num(v, signed(v)) for v in m.change], "total", "total"))
    unit = "" if m.unit in ("", "bool") else f" ({m.unit})"
    return tag("div", table(["edit"] + periods, rows, numeric_from=1, cls="attribution", caption=f"{m.name}{unit}"),
               cls="why", data_name=m.name)
