"""Hostile and random input: every case ends in a result or a located diagnostic, never a crash."""

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from unitsheet import engine
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.parser import grammar_text

# The grammar without the post-lexer: hypothesis generates from the terminals' regexes.
ROOT_DIR = Path(__file__).resolve().parent.parent
_GRAMMAR = Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=True)


def _outcome(text: str):
    try:
        model = engine.loads(text, "fuzz.ush")
        for scenario in model.scenarios:
            model.run(scenario)
    except ModelError as err:
        assert err.diagnostics, "a ModelError always carries a diagnostic"
        for d in err.diagnostics:
            assert d.message
            if d.span is not None:
                assert d.span.line >= 1 and d.span.col >= 1


@settings(max_examples=80)  # make fuzz runs 100,000 cases; CI a slice (the suite stays under 15 minutes)
@given(from_lark(_GRAMMAR, start="start"))
def test_grammar_generated_programs_never_crash(text):
    _outcome(text)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_random_text_never_crashes(text):
    _outcome(text)


def _mutations(source: str, rng: random.Random, count: int):
    lines = source.splitlines(keepends=True)
    tokens = source.split(" ")
    for _ in range(count):
        kind = rng.randrange(6)
        if kind == 0:  # delete a line
            i = rng.randrange(len(lines))
            yield "".join(lines[:i] + lines[i + 1:])
        elif kind == 1:  # duplicate a line
            i = rng.randrange(len(lines))
            yield "".join(lines[:i] + [lines[i]] + lines[i:])
        elif kind == 2:  # swap two tokens
            t = tokens[:]
            i, j = rng.randrange(len(t)), rng.randrange(len(t))
            t[i], t[j] = t[j], t[i]
            yield " ".join(t)
        elif kind == 3:  # delete a token
            t = tokens[:]
            del t[rng.randrange(len(t))]
            yield " ".join(t)
        elif kind == 4:  # insert a random token from the file
            t = tokens[:]
            t.insert(rng.randrange(len(t)), rng.choice(tokens))
            yield " ".join(t)
        else:  # flip characters
            chars = list(source)
            for _ in range(3):
                chars[rng.randrange(len(chars))] = rng.choice("()[]{}=:+-*/^.,#\"'\n 09aZ%~<>")
            yield "".join(chars)


def test_mutations_of_the_real_model_never_crash(root):
    source = (root / "models" / "openai_capex.ush").read_text()
    rng = random.Random(20261122)
    for text in _mutations(source, rng, 80):
        _outcome(text)


@pytest.mark.parametrize("text", [
    "", "\n\n", "#", "model", 'model "x"\ntimeline 1..999999999 yearly\n',
    'model "x"\ntimeline 2025..2026 yearly\nx = 1' + "0" * 500 + "\n",
    'model "x"\ntimeline 2025..2026 yearly\n' + "a" * 100_000 + " = 1\n",
    'model "x"\ntimeline 2025..2026 yearly\nx = 1e-400 * 1e400\n',
    "\x00\x01\x02", "model \"x\"\ntimeline 2025..2026 yearly\nx[2025..] = x[t-1]\n",
])
def test_edge_cases(text):
    _outcome(text)


def test_fuzz_harness_bounded_slice(tmp_path):
    """CI's slice of the long fuzz run (make fuzz): 500 cases, no crash, no hang."""
    from benchmarks.fuzz import main

    assert main(["--cases", "500", "--seed", "11", "--timeout", "20", "--out", str(tmp_path)]) == 0


PAYLOAD = "__import__('os').system('touch /tmp/unitsheet_pwned')"


@pytest.mark.parametrize("template", [
    "x = {p}\n", "input a = {p}\n", "input a: {p} = 1\n", "x = 1 {p}\n", "unit {p}\n", "unit u = 1 {p}\n",
    "x[{p}] = 1\n", "x = total({p})\n", "scenario {p} {{ a = 1 }}\n", 'check "c": {p}\n', "{p} = 1\n",
    'input a = 1 USD\n    source "{q}" "{q}"\n    note "{q}"\nx = a\n',
])
def test_code_in_any_position_is_rejected_or_kept_as_text(template, tmp_path):
    import os

    text = 'model "m"\ntimeline 2025..2026 yearly\n' + template.format(p=PAYLOAD, q=PAYLOAD.replace("'", "’"))
    try:
        results = engine.loads(text, "m.ush").run()
    except ModelError as err:
        assert err.diagnostics[0].kind in {"syntax-error", "unknown-name", "unknown-unit", "bad-input",
                                           "unknown-function", "bad-unit", "shape", "limit"}, err.diagnostics[0]
    else:  # accepted only where it is text: a source or a note
        assert "source" in template
        assert results.model.quantities["a"].sources[0].quote.startswith("__import__")
    from unitsheet.engine.model import input_values
    checked = engine.loads('model "m"\ntimeline 2025..2026 yearly\ninput a = 1 USD\n', "m.ush").checked()
    with pytest.raises(ModelError):
        input_values(checked, {"a": PAYLOAD})
    with pytest.raises(ModelError):
        input_values(checked, {PAYLOAD: "1 USD"})
    assert not os.path.exists("/tmp/unitsheet_pwned")


def test_unit_checker_stays_linear_on_pathological_unit_growth():
    """Each line squares the previous unit: exponents double 150 times. Checking must stay quick
    (the values overflow, which is reported as a runtime error with the quantity and period)."""
    import time

    lines = ['model "m"', "timeline 2025..2026 yearly", "input a0 = 2 USD"]
    lines += [f"a{i} = a{i - 1} * a{i - 1}" for i in range(1, 150)]
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        engine.loads("\n".join(lines) + "\n", "m.ush").run()
    assert time.perf_counter() - start < 30
    assert info.value.diagnostics[0].kind == "runtime" and "overflow" in info.value.diagnostics[0].message


@pytest.mark.parametrize("data", [
    (ROOT_DIR / "tests" / "fuzz_regressions" / "crlf_comments_backtracking.ush").read_bytes(),
    b'model "x"\ntimeline 2025..2026 yearly\nscenario s {\n' + b"#c\r\n" * 40 + b"y",
    b'model "x"\r\ntimeline 2025..2026 yearly # c\r\ninput a = 1 USD\r\n    source "f" "q"\r\nb = a\r\n',
    (ROOT_DIR / "tests" / "fuzz_regressions" / "multi_hash_comments_backtracking.ush").read_bytes(),
    b"\n" + b"\t#a" + b"#" * 30 + b"b\n" * 3 + b"x",
    (ROOT_DIR / "tests" / "fuzz_regressions" / "scenario_sets_an_input_twice.ush").read_bytes(),
], ids=["fuzz-case", "comment-lines-crlf", "crlf-model", "multi-hash-comments", "hashes-in-a-comment",
        "scenario-sets-an-input-twice"])
def test_fuzz_regressions_finish_quickly(data):
    """Found by `make fuzz`: comments before CRLF line ends made the newline regex backtrack
    exponentially (a hang); so did comments with many `#` when no clause followed (30 s for 700
    bytes: the continuation regex split `##a#b` every way); a scenario that set an input twice
    left a checked model without the input and no error, and the evaluator crashed (IndexError).
    Each case must now end in a result or a diagnostic within seconds."""
    from benchmarks.fuzz import run_case

    assert run_case(data, timeout=10) in ("ok", "diagnostic")
