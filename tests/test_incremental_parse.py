"""Parsing statement by statement (engine/incremental_parse.py) gives exactly what a whole parse
gives: the statements, every span, the comments; or the same ModelError with the same diagnostics,
on every model, every error example and random edits of real models."""

from __future__ import annotations

import dataclasses
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from unitsheet.engine.diagnostics import ModelError, Span
from unitsheet.engine.incremental_parse import IncrementalParser, parse_statements, split_statements
from unitsheet.engine.parser import grammar_text, parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "models").glob("*.ush")) + sorted((ROOT / "tests/errors").glob("*.ush")) + \
    sorted((ROOT / "tests/fuzz_regressions").glob("*.ush")) + [ROOT / "tests/scenario_formulas.ush"]


def snapshot(node) -> tuple:
    """Everything in a tree, spans (which == ignores) and comments included, flattened in
    pre-order (without recursion: trees may be 200 levels deep)."""
    out, stack = [], [node]
    while stack:
        x = stack.pop()
        if isinstance(x, Span):
            out.append(("span", x.file, x.line, x.col, x.end_line, x.end_col))
        elif isinstance(x, tuple):
            out.append(("tuple", len(x)))
            stack.extend(reversed(x))
        elif dataclasses.is_dataclass(x):
            fields = [getattr(x, f.name) for f in dataclasses.fields(x)]
            out.append((type(x).__name__, len(fields)))
            stack.extend(reversed(fields))
        else:
            out.append((type(x).__name__, x))
    return tuple(out)


def outcome(parse_text, text: str):
    try:
        module = parse_text(text)
    except ModelError as err:
        return ("error", err.diagnostics, err.sources)
    return ("tree", module, snapshot(module))


def whole(text: str, file: str = "m.ush"):
    return outcome(lambda t: parse(t, file), text)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="surrogateescape")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_statement_by_statement_is_the_whole_parse(path):
    text = read(path)
    parser = IncrementalParser(str(path))
    assert outcome(parser.parse, text) == whole(text, str(path))
    assert outcome(lambda t: parse_statements(t, str(path)), text) == whole(text, str(path))


def test_every_model_is_cut_into_statements_and_none_is_parsed_whole():
    for path in sorted((ROOT / "models").glob("*.ush")):
        text = read(path)
        chunks = split_statements(text)
        assert chunks is not None and "".join(c for _, c in chunks) == text
        assert len(chunks) >= len(parse(text).statements)
        parser = IncrementalParser()
        parser.parse(text)
        assert not parser.counts.whole and parser.counts.parsed == len(chunks)


# ------------------------------------------------------------------------------ the cut

def cut(text: str):
    chunks = split_statements(text)
    return None if chunks is None else [c for _, c in chunks]


def test_the_cut_follows_the_grammar():
    text = ('model "a # (not a comment"\n'
            "# a comment with ( and \" in it\n"
            "x = f(1,\n"
            "  2)   # (\n"
            "y = {2025: 1,\n"
            "2026: 2}\n"
            "\n"
            "# a comment before a clause continues the statement\n"
            "    note \"n ) [\"\n"
            'scenario s "d {" {\n'
            "    x = 2\n"
            "}\n"
            "z = 3")
    assert cut(text) == ['model "a # (not a comment"\n# a comment with ( and " in it\n',
                         "x = f(1,\n  2)   # (\n",
                         "y = {2025: 1,\n2026: 2}\n\n# a comment before a clause continues the statement\n"
                         '    note "n ) ["\n',
                         'scenario s "d {" {\n    x = 2\n}\n',
                         "z = 3"]
    assert [line for line, _ in split_statements(text)] == [1, 3, 5, 10, 13]


@pytest.mark.parametrize("text", ["x = f(1\ny = 2\n", "x = 1)\ny = 2\n", 'x = "open\ny = 2\n',
                                  "x = 1\r\n\r\n  note \"a\"\r\ny = (2 +\r\n 3)\r\n", "x = 1\ny = 2]\n",
                                  "x = 1\nscenario s {\n  x = 2\ny = 3\n", "x = (1\n) ) (\ny = 2\n"])
def test_a_text_cut_where_it_does_not_parse_reports_what_a_whole_parse_reports(text):
    parser = IncrementalParser()
    assert outcome(parser.parse, text) == whole(text, "<model>")
    assert not parser.counts.whole


def test_a_clause_word_that_is_a_longer_name_starts_a_statement():
    assert cut("x = 1\nnoted = 2\nsource_x = 3\n    note \"a\"\n") == ["x = 1\n", "noted = 2\n",
                                                                      'source_x = 3\n    note "a"\n']


# ------------------------------------------------------------------------- editing

OPENAI = read(ROOT / "models/openai_capex.ush")


def test_an_edit_parses_only_the_statement_it_changed():
    parser = IncrementalParser("m.ush")
    parser.parse(OPENAI)
    edited = OPENAI.replace("input cost_per_gw", "input cost_per_gw_x", 1)
    assert outcome(parser.parse, edited) == whole(edited)
    assert (parser.counts.parsed, parser.counts.moved, parser.counts.whole) == (1, 0, False)


def test_lines_inserted_above_move_the_statements_below_without_parsing_them_again():
    parser = IncrementalParser("m.ush")
    before = parser.parse(OPENAI)
    spans = snapshot(before)
    edited = "# two new lines\n# at the top\n" + OPENAI
    assert outcome(parser.parse, edited) == whole(edited)
    assert parser.counts.parsed == 1 and parser.counts.moved > 100
    assert snapshot(before) == spans, "the earlier version's tree is not changed"
    assert outcome(parser.parse, OPENAI) == whole(OPENAI)


def test_a_syntax_error_is_reported_from_its_statement_with_every_diagnostic_a_whole_parse_gives():
    parser = IncrementalParser("m.ush")
    parser.parse(OPENAI)
    lines = OPENAI.split("\n")
    at = [i for i, line in enumerate(lines) if line.startswith("input ")]
    lines[at[5]] = lines[at[5]].replace("=", "= = ", 1)
    lines[at[9]] = lines[at[9]] + " $"
    broken = "\n".join(lines)
    found = outcome(parser.parse, broken)
    assert found == whole(broken) and found[0] == "error" and len(found[1]) == 2
    assert not parser.counts.whole and parser.counts.parsed == 1
    assert outcome(parser.parse, OPENAI) == whole(OPENAI)
    assert parser.counts.parsed == 0


def test_errors_building_the_tree_come_after_syntax_errors_and_the_last_deep_nesting_first():
    deep = "(" * 120 + "1" + ")" * 120
    text = f"a = x[2027Q5]\nb = {deep} + {deep}\nc = 1 +\nd = {deep} * {deep}\n"
    for version in (text, text.replace("c = 1 +", "c = 1"), text.replace("c = 1 +", "c = 1").replace("Q5", "Q4")):
        assert outcome(IncrementalParser("m.ush").parse, version) == whole(version)


def test_a_statement_too_deep_to_shift_is_parsed_again_where_it_moved():
    deep = "1 + (" * 190 + "1" + ")" * 190
    text = f"a = 1\nb = {deep}\nc = b\n"
    parser = IncrementalParser("m.ush")
    parser.parse(text)
    moved = "# above\n" + text
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(traceback.extract_stack()) + 300)  # less than the shift of b needs
    try:
        found = outcome(parser.parse, moved)
    finally:
        sys.setrecursionlimit(limit)
    assert found[2] == whole(moved)[2]  # (== on trees this deep would recurse too far)
    assert (parser.counts.parsed, parser.counts.moved) == (2, 2)  # the comment, and b again


# ------------------------------------------------------------------ random edits of real models

SMALL = [read(ROOT / "models" / name) for name in ("saas_regions.ush", "project_quarterly.ush", "saas_monthly.ush")]
PIECES = ["(", ")", "[", "]", "{", "}", '"', "#", "\n", " ", "=", ":", ",", "..", "+", "*", "1", "2027",
          "x", "note", "    note \"n\"\n", "    source \"f.txt\"\n", "# c\n", "scenario s {\n", "}\n", "\n\n",
          "input y = 2 USD\n", "t-1", "2027Q5", "rollup", "\\"]


@st.composite
def edits(draw, texts):
    text = draw(st.sampled_from(texts))
    versions = [text]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["insert", "delete", "replace", "char", "drop-char", "line-insert",
                                     "line-delete", "line-copy"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind.startswith("line-"):
            if kind == "line-insert":
                lines.insert(i, draw(st.sampled_from(PIECES)).rstrip("\n"))
            elif kind == "line-delete":
                del lines[i]
            else:
                lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "\n".join(lines)
        else:
            at = draw(st.integers(0, len(text)))
            piece = draw(st.sampled_from(PIECES)) if kind in ("insert", "replace", "char") else ""
            gone = {"insert": 0, "char": 0, "delete": draw(st.integers(1, 30))}.get(kind, 1)
            text = text[:at] + piece + text[at + gone:]
        versions.append(text)
    return versions


def assert_each_version_as_a_whole_parse(versions):
    parser = IncrementalParser("m.ush")
    for text in versions:
        assert outcome(parser.parse, text) == whole(text)


@settings(max_examples=80)
@given(edits(SMALL))
def test_random_edits_of_small_models_parse_as_a_whole_parse_does(versions):
    assert_each_version_as_a_whole_parse(versions)


@settings(max_examples=15)
@given(edits([OPENAI]))
def test_random_edits_of_the_openai_model_parse_as_a_whole_parse_does(versions):
    assert_each_version_as_a_whole_parse(versions)


_GRAMMAR = Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=True)


@settings(max_examples=60)
@given(from_lark(_GRAMMAR, start="start"))
def test_grammar_generated_programs_parse_as_a_whole_parse_does(text):
    assert outcome(IncrementalParser("m.ush").parse, text) == whole(text)
