"""Golden error messages: one model per error kind in tests/errors/, with its expected rendering.

Regenerate after an intended change with: UPDATE_GOLDEN=1 pytest tests/test_errors.py
"""

import json
import os
import re

import pytest

from conftest import ROOT, run_cli

CASES = sorted((ROOT / "tests" / "errors").glob("*.ush"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_error_renders_exactly_as_recorded(path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rel = path.relative_to(ROOT).as_posix()
    code, out, err = run_cli(["check", rel], capsys)
    assert code == 2, f"{rel} should be rejected"
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    expected = path.with_suffix(".expected")
    if UPDATE:
        expected.write_text(err)
    assert err == expected.read_text()


LOCATED = [p for p in CASES if p.stem not in ("missing_timeline",)]


@pytest.mark.parametrize("path", LOCATED, ids=lambda p: p.stem)
def test_every_error_has_location_caret_and_hint(path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rel = path.relative_to(ROOT).as_posix()
    _, _, err = run_cli(["check", rel], capsys)
    first = err.splitlines()[0]
    assert re.match(rf"{re.escape(rel)}:\d+:\d+: error: ", first), first
    assert re.search(r"^\s*\d+ \| ", err, re.M), "the offending source line is shown"
    assert re.search(r"^\s*\| +\^+", err, re.M), "carets mark the span"


REQUIRED_KINDS = {
    "syntax_error": "syntax-error", "unknown_name": "unknown-name", "unknown_unit": "unknown-unit",
    "duplicate_definition": "duplicate-definition", "unit_mismatch": "unit-mismatch", "bad_exponent": "bad-exponent",
    "declared_unit": "declared-unit", "cycle": "cycle", "lag_before_timeline": "lag-before-timeline",
    "period_outside_timeline": "bad-period", "missing_value": "missing-value",
    "runtime_division_by_zero": "runtime", "runtime_overflow": "runtime",
}


@pytest.mark.parametrize("stem,kind", sorted(REQUIRED_KINDS.items()))
def test_json_errors_carry_kind_and_position(stem, kind, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli(["check", f"tests/errors/{stem}.ush", "--format", "json"], capsys)
    assert code == 2
    data = json.loads(err)
    first = data["errors"][0]
    assert first["kind"] == kind
    assert first["line"] >= 1 and first["column"] >= 1
    assert first["hint"] or kind in ("cycle",)


def test_several_independent_errors_are_all_reported(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, _, err = run_cli(["check", "tests/errors/several_errors.ush", "--format", "json"], capsys)
    kinds = [e["kind"] for e in json.loads(err)["errors"]]
    assert kinds == ["unit-mismatch", "unknown-name", "unknown-unit", "declared-unit"]


def test_unit_mismatch_labels_both_operands_with_their_units(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, _, err = run_cli(["check", "tests/errors/unit_mismatch.ush", "--format", "json"], capsys)
    labels = json.loads(err)["errors"][0]["labels"]
    assert [lab["text"] for lab in labels] == ["USD", "USD/year"]
    assert labels[0]["column"] < labels[1]["column"]


def _parses_as_code(code: str) -> bool:
    """Code shown in a hint parses as the language writes it: an expression, a statement, a clause,
    a table entry, a fragment to add (`* 1 year`, `by region`, `default:`), `...` standing for what
    the author had there."""
    from unitsheet.engine.diagnostics import ModelError
    from unitsheet.engine.parser import parse

    if code in ("(", ")", "[", "]", "{", "}"):
        return True
    code = code.replace("...", "0")
    for text in (f"x_ = {code}\n", f"timeline 2025..2026 yearly\n{code}\n", f"x_ = 1\n    {code}\n",
                 f"input x_ = {{{code}}}\n", f"input x_ = {{{code} 1}}\n", f"x_ = y_ {code}\n",
                 f"input x_ {code} = 1\n"):
        try:
            parse(text, "hint.ush")
            return True
        except ModelError:
            continue
    return False


def test_every_hint_shows_code_that_parses():
    """Issue 25 item 14: a hint that shows code (between backticks) shows code the language reads
    (it proposed `x[na][2025] = ...`, which is not; the language writes x[na, 2025])."""
    bad = []
    for path in CASES:
        expected = path.with_suffix(".expected").read_text()
        for line in expected.splitlines():
            if "= hint:" in line:
                bad += [(path.stem, code) for code in re.findall(r"`([^`]+)`", line)
                        if not code.startswith(("--set", "unitsheet")) and not _parses_as_code(code)]
    assert not bad, bad
