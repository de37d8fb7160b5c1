"""Cover: the title, the scenario selector (a dropdown named `scenario`), the master check and
how many checks fail (painted red or green), the scenarios, how to read the workbook."""

from __future__ import annotations

import os

from ..book import Book
from . import rollups
from .checks import paint_truth


def daycount_text(year_days: float) -> str:
    """The model's day count as the Cover states it (docs/language.md "Day count")."""
    hours = f"{year_days * 24:,.0f}"
    if year_days == 365:
        return f"a year is 365 days ({hours} hours); XNPV and XIRR count days / 365, as Excel's"
    return (f"a year is {year_days:g} days ({hours} hours; `daycount {year_days:g}`); XNPV and XIRR are "
            f"converted to it from Excel's days / 365")


def write(book: Book):
    """The Cover sheet: the title, the scenario selector, the checks' summary, the scenarios and the guide."""
    ws = book.cover_ws
    b = book.base
    book.text(ws, 0, 0, b.title, book.f_title, widen=False)
    book.text(ws, 2, 0, "Timeline", book.f_bold)
    book.text(ws, 2, 1, f"{b.timeline.range_text()} ({b.timeline.frequency})")
    book.text(ws, 3, 0, "Scenario", book.f_bold)
    book.text(ws, 3, 1, book.selected, book.f_selector)
    ws.data_validation(3, 1, 3, 1, {"validate": "list", "source": "=scenario_names"})
    book.text(ws, 3, 2, "<- choose a scenario: the whole workbook recalculates", widen=False)
    book.text(ws, 4, 0, "Scenario number", book.f_bold)
    ws.write_formula(4, 1, "=MATCH(scenario,scenario_names,0)", book.number_format("0"),
                     book.scenarios.index(book.selected) + 1)
    book.formula_cells += 1
    write_checks(book, ws)
    book.text(ws, 7, 0, "Day count", book.f_bold)
    book.text(ws, 7, 1, daycount_text(b.units.year_days), widen=False)
    book.text(ws, 8, 0, "Scenarios", book.f_bold)
    for k, s in enumerate(book.scenarios):
        book.text(ws, 9 + k, 0, s)
        book.text(ws, 9 + k, 1, b.scenarios.get(s) or ("the model as written" if s == "base" else ""), widen=False)
    book.scenario_names_ref = f"Cover!$A${10}:$A${9 + len(book.scenarios)}"
    r = 11 + len(book.scenarios)
    guide = how_to_read(book)
    book.text(ws, r, 0, guide[0], book.f_bold, widen=False)
    for k, line in enumerate(guide[1:]):
        ws.merge_range(r + 1 + k, 0, r + 1 + k, 5, line, book.f_wrap)
        ws.set_row(r + 1 + k, 45)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 5, 18)
    book.print_setup(ws, label_columns=None, header_row=None)


def write_checks(book: Book, ws) -> None:
    """The master check (TRUE when every check holds) and how many fail, as live formulas over the
    Checks sheet, painted red or green; TRUE and 0 for a model without checks."""
    checks = book.selected_results().checks
    failing = sum(not c["passed"] for c in checks)
    book.text(ws, 5, 0, "All checks hold", book.f_bold)
    book.text(ws, 6, 0, "Checks that fail", book.f_bold)
    if checks:
        first, last = book.check_rows
        holds = f"Checks!$B${first + 1}:$B${last + 1}"
        book.formula(ws, 5, 1, f"=AND({holds})", 0.0 if failing else 1.0, None, book.f_bold)
        ws.write_formula(6, 1, f"=COUNTIF({holds},FALSE)", book.number_format("0"), failing)
        book.formula_cells += 1
        book.text(ws, 6, 2, f"of {len(checks)} (see the Checks sheet)", widen=False)
        paint_truth(book, ws, 5, 1, 5, 1)
        red = book.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        ws.conditional_format(6, 1, 6, 1, {"type": "cell", "criteria": ">", "value": 0, "format": red})
    else:
        ws.write_boolean(5, 1, True, book.f_bold)
        ws.write_number(6, 1, 0)


def how_to_read(book: Book) -> list[str]:
    """The guide's title and paragraphs: what each sheet holds and how its numbers are written."""
    b = book.base
    return [
        "How to read this workbook",
        "Inputs: every input in blue, in the unit of its row; one column per scenario (grey: the scenario keeps "
        "the base value). The live value follows the scenario chosen above. Sources are in the Source column and "
        "its comments; notes are comments on the names.",
        "Calculations: one row per quantity, one column per period, in the model's sections; each cell is a "
        "formula that reads the previous column for lags. Every number is in the unit its row states, as the "
        "command line prints it.",
        *([f"{' and '.join(t for _, t in rollups.wanted(book))}: every series rolled up from "
           f"{b.timeline.kind}s by live formulas over Calculations (a flow averages its rate, a balance shows "
           "its last period, a row's Rule column says which); they equal `unitsheet run --by year`."]
          if rollups.wanted(book) else []),
        "Constants: every number a formula uses (unit factors and the model's own numbers), with where it is used.",
        "Checks: the model's claims as live TRUE/FALSE formulas (red when one fails).",
        "Every quantity has a defined name equal to its model name (a leading _ is added where Excel would read "
        "the name as a cell reference).",
        f"Generated by unitsheet from {os.path.basename(b.file)}.",
    ]
