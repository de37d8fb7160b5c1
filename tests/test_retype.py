"""Checking again after an edit of one equation (engine/check/retype.py) gives exactly what a full
check gives: every scenario's checked model (its repr: quantities, typed equations, spans, plan,
checks, warnings, the text) or the same errors, on random edits of every model. And it is taken
where the issue needs it (the editor's one-line edits), not where it would be unsound."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet.engine import syntax as ast
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.editor import Document
from unitsheet.engine.incremental_parse import IncrementalParser
from unitsheet.engine.model import Model, loads

ROOT = Path(__file__).resolve().parent.parent
MODELS = {path.stem: path.read_text(encoding="utf-8") for path in sorted((ROOT / "models").glob("*.ush"))}
FILES = {stem: str(ROOT / "models" / f"{stem}.ush") for stem in MODELS}  # a model reads data files beside it

# Edits of a formula's right-hand side: most keep what it reads and its unit (retyped alone), some
# change its unit or what it reads (checked in full), some are errors (the edit's errors alone).
MUTATIONS = {
    "times one": lambda rhs: f"{rhs} * 1",
    "times two": lambda rhs: f"{rhs} * 2",
    "bracketed": lambda rhs: f"({rhs})",
    "plus nothing of itself": lambda rhs: f"{rhs} + 0 * ({rhs})",
    "a number changed": lambda rhs: re.sub(r"\d", "7", rhs, count=1),
    "times a year": lambda rhs: f"{rhs} * 1 year",
    "plus dollars": lambda rhs: f"{rhs} + 1 USD",
    "times a percent": lambda rhs: f"{rhs} * 5 %",
    "an unknown name": lambda rhs: f"{rhs} * nosuch_quantity",
    "a constant": lambda rhs: "1",
}


def one_line_equations(text: str) -> list[int]:
    """The line numbers (1-based) of formula equations written on one line."""
    module = loads(text, "m.ush").module
    return [s.span.line for s in module.statements
            if isinstance(s, ast.Equation) and s.span.line == s.span.end_line and " = " in text.split("\n")[s.span.line - 1]]


def edited(text: str, line: int, mutation: str) -> str:
    lines = text.split("\n")
    left, _, rhs = lines[line - 1].partition(" = ")
    lines[line - 1] = f"{left} = {MUTATIONS[mutation](rhs)}"
    return "\n".join(lines)


def full(text: str, file: str = "m.ush"):
    """(checked models by scenario, warnings) of a full check, or the ModelError's diagnostics."""
    model = loads(text, file)
    try:
        warnings = model.warnings()
    except ModelError as err:
        return list(err.diagnostics)
    return {s: repr(model.checked(s)) for s in model.scenarios}, warnings


def after_edit(text: str, new: str, file: str = "m.ush") -> tuple[object, bool]:
    """What the editor says of `new` (engine/editor.py Document: the model made from the
    Document of `text`, by its IncrementalParser), as full() gives it; and whether it was retyped
    rather than checked in full. None if `new` does not parse."""
    parser = IncrementalParser(file)
    before = Document(text, file, parser=lambda t, _: parser.parse(t))
    assert before.model is not None
    try:
        module = parser.parse(new)
    except ModelError:
        return None, False
    model = Model(new, file, module, previous=before.model, editing=True)
    try:
        warnings = model.warnings()
    except ModelError as err:
        return list(err.diagnostics), model.rechecked
    return ({s: repr(model.checked(s)) for s in model.scenarios}, warnings), model.rechecked


def test_the_editor_builds_its_model_from_the_last_valid_one():
    text = MODELS["saas_regions"]
    parser = IncrementalParser("m.ush")
    before = Document(text, "m.ush", parser=lambda t, _: parser.parse(t))
    new = edited(text, one_line_equations(text)[-1], "times one")
    broken = Document(new + "\nx = (", "m.ush", parser=lambda t, _: parser.parse(t), previous=before)
    after = Document(new, "m.ush", parser=lambda t, _: parser.parse(t), previous=broken)
    assert broken.model is None and after.model.rechecked and after.diagnostics == Document(new, "m.ush").diagnostics


@settings(max_examples=30)
@given(st.data())
def test_a_retyped_edit_checks_as_a_full_check_does(data):
    name = data.draw(st.sampled_from(sorted(MODELS)), label="model")
    text = MODELS[name]
    line = data.draw(st.sampled_from(one_line_equations(text)), label="line")
    mutation = data.draw(st.sampled_from(sorted(MUTATIONS)), label="mutation")
    new = edited(text, line, mutation)
    got, _ = after_edit(text, new, FILES[name])
    if got is None:
        return  # the edit does not parse: no check at all
    assert got == full(new, FILES[name])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_kind_of_edit_of_every_model_checks_as_a_full_check_does(name):
    """Each mutation once per model, on its last one-line equation (the Hypothesis test above draws
    the others); and the retyping is taken where it can be (an edit keeping the unit and what is read)."""
    text = MODELS[name]
    lines = one_line_equations(text)
    taken = set()
    for line in lines[-1:]:
        for mutation in MUTATIONS:
            new = edited(text, line, mutation)
            got, rechecked = after_edit(text, new, FILES[name])
            if got is None:
                continue
            assert got == full(new, FILES[name]), (line, mutation)
            if rechecked:
                taken.add(mutation)
    if "\ndata " in text:  # data is read again with every version: never retyped
        assert not taken
    else:
        assert {"times one", "bracketed"} <= taken, taken


def test_an_edit_that_changes_what_is_read_or_the_unit_is_checked_in_full():
    text = MODELS["openai_capex"]
    line = next(n for n in one_line_equations(text) if re.search(r"=.*[a-z_]{3,}", text.split("\n")[n - 1]))
    for mutation in ("a constant", "times a year"):
        new = edited(text, line, mutation)
        got, rechecked = after_edit(text, new)
        assert not rechecked and got == full(new), mutation


def test_the_one_line_edit_of_the_benchmarks_is_retyped():
    from benchmarks.editing import edits
    from benchmarks.synthetic import synthetic_model

    for text in (MODELS["openai_capex"], synthetic_model(300)):
        new = edits(text)["statement changed"]
        got, rechecked = after_edit(text, new)
        assert rechecked and got == full(new)


def test_an_edit_that_moves_lines_is_checked_in_full_with_the_new_spans():
    text = MODELS["saas_regions"]
    line = one_line_equations(text)[0]
    lines = text.split("\n")
    new = "\n".join(lines[:line - 1] + ["# a comment line moves every statement below it"] + lines[line - 1:])
    new = edited(new, line + 1, "times one")
    got, rechecked = after_edit(text, new)
    assert not rechecked and got == full(new)


def test_an_edited_comment_keeps_the_checked_model_with_the_new_text():
    text = MODELS["saas_regions"]
    first = next(i for i, line in enumerate(text.split("\n")) if line.startswith("#"))
    lines = text.split("\n")
    lines[first] = lines[first] + " (edited)"
    new = "\n".join(lines)
    got, _ = after_edit(text, new)
    assert got == full(new)


def test_an_error_in_the_edited_equation_is_reported_alone_and_located():
    text = MODELS["openai_capex"]
    line = one_line_equations(text)[-1]
    new = edited(text, line, "an unknown name")
    got, rechecked = after_edit(text, new)
    assert rechecked and got == full(new)
    assert got and all(d.span.line == line for d in got)
