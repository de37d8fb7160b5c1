"""Highlighting (issue 28 item 3): the Pygments lexer engine/highlight.py and the VS Code extension
in editors/vscode/ (a TextMate grammar, a language configuration, a manifest that starts `unitsheet lsp`).

Error tokens: the lexer gives them only where the text is lexically wrong, that is where the
engine's own parser stops at "unexpected character" (or a string left open). Every model, golden
error example (tests/errors/*.ush: deliberate mistakes, but parse, unit and runtime ones), fuzz
regression and ```unitsheet block of the docs is checked; LEXICAL_ERRORS lists the files that
are lexically wrong on purpose, and a test keeps that list equal to the files the parser rejects
that way. Hand-written lexically wrong snippets show the check can fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib

import pytest
from conftest import ROOT
from pygments.token import (Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String,
                            Whitespace)

from unitsheet.engine.highlight import UnitsheetLexer

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "unitsheet.tmLanguage.json"
EXAMPLES = sorted(ROOT.glob("models/*.ush")) + sorted(ROOT.glob("tests/errors/*.ush")) + sorted(
    ROOT.glob("tests/fuzz_regressions/*.ush")) + sorted(ROOT.glob("tests/*.ush"))
# Lexically wrong on purpose: a `.` no number starts (the parser: "unexpected character '.'").
LEXICAL_ERRORS = {"tests/fuzz_regressions/multi_hash_comments_backtracking.ush"}
DOCS = ("README.md", "docs/language.md", "docs/cli.md")


def tokens(text: str) -> list[tuple[int, object, str]]:
    return list(UnitsheetLexer().get_tokens_unprocessed(text))


def token_at(text: str, context: str, substring: str):
    """The type of the one token spelling `substring` where it first occurs in `context`, a
    fragment that occurs once in text."""
    assert text.count(context) == 1, context
    start = text.index(context) + context.index(substring)
    found = [(kind, value) for pos, kind, value in tokens(text) if pos == start]
    assert found and found[0][1] == substring, f"{substring!r} is not one token: {found}"
    return found[0][0]


def _blocks(document: str) -> list[str]:
    return re.findall(r"```unitsheet\n(.*?)```", (ROOT / document).read_text(encoding="utf-8"), re.S)


# ------------------------------------------------------------------ the Pygments lexer

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_error_tokens_in_any_model_or_example(path):
    text = path.read_text(encoding="utf-8")
    found = tokens(text)
    assert "".join(value for _, _, value in found) == text  # every character in one token
    errors = [(text.count("\n", 0, pos) + 1, value) for pos, kind, value in found if kind in Error]
    if path.relative_to(ROOT).as_posix() in LEXICAL_ERRORS:
        assert errors, f"{path.name} is listed as a lexical error but the lexer finds none"
    else:
        assert errors == [], f"Error tokens (line, text): {errors}"


def test_the_lexical_error_list_is_the_examples_the_parser_stops_at_a_character():
    from unitsheet.engine.diagnostics import ModelError
    from unitsheet.engine.parser import parse

    lexical = set()
    for path in EXAMPLES:
        try:
            parse(path.read_text(encoding="utf-8"), path.name)
        except ModelError as err:
            if "unexpected character" in str(err):
                lexical.add(path.relative_to(ROOT).as_posix())
    assert lexical == LEXICAL_ERRORS


@pytest.mark.parametrize("document", DOCS)
def test_no_error_tokens_in_the_docs_model_blocks(document):
    blocks = _blocks(document)
    assert blocks, f"{document} has no ```unitsheet block"
    for block in blocks:
        assert [v for _, k, v in tokens(block) if k in Error] == [], block


@pytest.mark.parametrize("text, bad", [("x = 2 $\n", ["$"]), ("x = 'a'\n", ["'", "'"]), ("prix_é = 1\n", ["é"]),
                                       ('note "open\nx = 1\n', ['"open']), ("x = 1 ! 2\n", ["!"]),
                                       ("x = .5\n", ["."])])
def test_lexically_wrong_text_gives_an_error_token(text, bad):
    assert [v for _, k, v in tokens(text) if k in Error] == bad


SNIPPET = '''model "Demo"   # a comment
timeline FY2025..FY2030 yearly ending June
unit kilotoken = 1000 token
input cost_per_gw = 50 billion USD/GW .. 60 billion USD/GW note "range"
    source "a.txt" 2026-02-28 "près de 40 milliards"
input burn: USD / year = {2025: 8 billion, 2026..2027: 1_000 million spread even, 2028: 1.5e3 thousand in 2028Q3}
    display billion USD/year
    rollup sum
rate = 8 %/year
cash[FY2027Q3] = cash[t-1] + total(burn[2025..2026]) * 1 year
flag = in_period(2025-01..2026-06) and not true or false
gap = year() - 2027
correlate cost_per_gw, burn = -0.5
check "burn" for t in 2026..2027: burn[t] ~= 115 billion USD/year within 2%
base_case = base * 2
'''


@pytest.mark.parametrize("context, substring, expected", [
    ('model "Demo"', "model", Keyword), ("timeline FY", "timeline", Keyword), ("yearly", "yearly", Keyword),
    ("ending", "ending", Keyword), ("input cost", "input", Keyword), ("correlate", "correlate", Keyword),
    ('check "burn"', "check", Keyword), ("for t in", "for", Keyword), ("for t in", "t", Keyword),
    ("for t in", "in", Keyword), ("in 2028Q3", "in", Keyword), ("within", "within", Keyword),
    ("spread even", "spread", Keyword), ("spread even", "even", Keyword), ("and not", "and", Keyword),
    ("and not", "not", Keyword), ("unit kilo", "unit", Keyword), ("t-1", "t", Keyword),
    ("true", "true", Keyword.Constant), ("false", "false", Keyword.Constant),
    ('note "range"', "note", Keyword.Declaration), ("source", "source", Keyword.Declaration),
    ("display", "display", Keyword.Declaration), ("rollup sum", "rollup", Keyword.Declaration),
    ("rollup sum", "sum", Name.Builtin), ("= base * 2", "base", Name.Variable),
    ("50 billion", "50", Number), ("1_000 million", "1_000", Number), ("1.5e3", "1.5e3", Number),
    ("= 1000 token", "1000", Number), ("-0.5", "0.5", Number), ("t-1", "1", Number),
    ("50 billion", "billion", Keyword.Pseudo), ("1_000 million", "million", Keyword.Pseudo),
    ("1.5e3 thousand", "thousand", Keyword.Pseudo), ("display billion", "billion", Keyword.Pseudo),
    ("50 billion USD/GW", "USD/GW", Keyword.Type), ("8 %/year", "%/year", Keyword.Type),
    ("within 2%", "%", Keyword.Type), ("burn: USD / year", "USD", Keyword.Type),
    ("burn: USD / year", "year", Keyword.Type), ("burn: USD / year", "/", Keyword.Type),
    ("billion USD/year\n", "USD/year", Keyword.Type), ("* 1 year", "year", Keyword.Type),
    ("1000 token", "token", Keyword.Type), ("kilotoken", "kilotoken", Keyword.Type),
    ("FY2025..", "FY2025", Literal.Date), ("2026-02-28", "2026-02-28", Literal.Date),
    ("{2025: 8", "2025", Literal.Date), ("2026..2027: 1_000", "2027", Literal.Date),
    ("2028Q3", "2028Q3", Literal.Date), ("FY2027Q3", "FY2027Q3", Literal.Date),
    ("burn[2025..2026]", "2025", Literal.Date), ("2025-01..2026-06", "2025-01", Literal.Date),
    ("2025-01..2026-06", "2026-06", Literal.Date), ("in 2026..2027:", "2026", Literal.Date),
    ("year() - 2027", "2027", Number),
    ('"Demo"', '"Demo"', String.Double), ('"près de 40 milliards"', '"près de 40 milliards"', String.Double),
    ("# a comment", "# a comment", Comment.Single), ("total(", "total", Name.Function),
    ("in_period(", "in_period", Name.Function), ("year() - ", "year", Name.Function),
    ("input cost_per_gw", "cost_per_gw", Name.Variable), ("cash[FY", "cash", Name.Variable),
    ("June", "June", Name.Constant), ("FY2025..", "..", Operator), ("~=", "~=", Operator),
    ("t-1", "-", Operator), ("rate = 8", "=", Operator), ("cash[FY", "[", Punctuation),
    ("{2025", "{", Punctuation), ("burn:", ":", Punctuation),
])
def test_each_kind_of_word_gets_its_own_token_class(context, substring, expected):
    assert token_at(SNIPPET, context, substring) is expected


def test_the_snippet_has_no_error_token():
    assert [v for _, k, v in tokens(SNIPPET) if k in Error] == []


def test_pyproject_registers_the_lexer_and_depends_on_pygments():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pygments.lexers"] == {"unitsheet": "unitsheet.engine.highlight:UnitsheetLexer"}
    assert any(re.match(r"pygments\b", d, re.I) for d in project["dependencies"])
    assert (UnitsheetLexer.name, UnitsheetLexer.aliases, UnitsheetLexer.filenames) == (
        "unitsheet", ["unitsheet", "ush"], ["*.ush"])


def test_pygments_finds_the_lexer_through_the_entry_point(tmp_path, monkeypatch):
    """The entry point pyproject.toml declares, as pip writes it into a distribution's metadata. A
    distribution of its own name: the venv's installed `unitsheet` may be an editable install made
    before the entry point existed (then its metadata lacks it until `pip install -e .` again;
    tests/test_install.py checks a real clean install)."""
    import importlib
    from importlib import metadata

    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [f"{name} = {target}" for name, target in project["entry-points"]["pygments.lexers"].items()]
    info = tmp_path / "unitsheet_lexer_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: unitsheet-lexer-probe\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[pygments.lexers]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert "unitsheet" in [e.name for e in metadata.entry_points(group="pygments.lexers")]
    for alias in ("unitsheet", "ush"):
        assert isinstance(get_lexer_by_name(alias), UnitsheetLexer)
    assert isinstance(get_lexer_for_filename("openai_capex.ush"), UnitsheetLexer)


def test_the_installed_distribution_has_the_entry_point():
    """Where `unitsheet` is installed (make install), Pygments finds the lexer with nothing added.
    An install older than the entry point skips, saying so: `pip install -e .` writes it."""
    from importlib import metadata

    from pygments.lexers import get_lexer_by_name

    try:
        installed = metadata.distribution("unitsheet")
    except metadata.PackageNotFoundError:
        _not_here("unitsheet is not installed in this environment (make install-dev)")
    if not [e for e in installed.entry_points if e.group == "pygments.lexers"]:
        _not_here("the installed unitsheet's metadata predates the pygments.lexers entry point: "
                  "`pip install -e .` again to register the lexer")
    assert isinstance(get_lexer_by_name("unitsheet"), UnitsheetLexer)


def _not_here(reason: str) -> None:
    """A skip on a developer's machine; in CI (`CI` set), where make test installs the package
    afresh, a failure."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# ------------------------------------------------------------------ the TextMate grammar

def _leaves(patterns: list[dict], repository: dict) -> list[dict]:
    out = []
    for rule in patterns:
        if "include" in rule:
            out += _leaves([repository[rule["include"].lstrip("#")]], repository)
        elif "match" in rule or "begin" in rule:
            out.append(rule)
        else:
            out += _leaves(rule["patterns"], repository)
    return out


def _paint(scopes: list, match: re.Match, name: str | None, captures: dict):
    for i in range(match.start(), match.end()):
        scopes[i] = name or scopes[i]
    for group, capture in captures.items():
        if match.group(int(group)) is not None:
            for i in range(match.start(int(group)), match.end(int(group))):
                scopes[i] = capture["name"]


def textmate_scopes(grammar: dict, text: str) -> list[list[str | None]]:
    """A tiny TextMate engine: per line, the leftmost match of the rules in force (the first rule
    on a tie, an open rule's `end` before its patterns), `match` with name/captures and
    `begin`/`end` rules that may span lines. The innermost scope of each character, per line."""
    repository, stack, lines = grammar["repository"], [], []
    for line in text.split("\n"):
        scopes, pos = [None] * len(line), 0
        while pos <= len(line):
            rules = _leaves(stack[-1]["patterns"] if stack else grammar["patterns"], repository)
            found = [(m.start(), i + 1, rule, m) for i, rule in enumerate(rules)
                     if (m := re.compile(rule.get("match") or rule["begin"]).search(line, pos))]
            if stack and (m := re.compile(stack[-1]["end"]).search(line, pos)):
                found.append((m.start(), 0, None, m))
            if not found:
                break
            _, _, rule, m = min(found, key=lambda f: f[:2])
            if rule is None:
                _paint(scopes, m, None, stack.pop().get("endCaptures", {}))
            elif "begin" in rule:
                _paint(scopes, m, rule.get("name"), rule.get("beginCaptures", {}))
                stack.append(rule)
            else:
                _paint(scopes, m, rule.get("name"), rule.get("captures", {}))
            pos = max(m.end(), pos + (m.end() == m.start()))
        lines.append(scopes)
    return lines


SCOPES = {Keyword: "keyword.control", Keyword.Declaration: "keyword.control.clause",
          Keyword.Constant: "constant.language", Keyword.Pseudo: "keyword.other.scale",
          Keyword.Type: "support.type.unit", Number: "constant.numeric", Literal.Date: "constant.other.date",
          String.Double: "string.quoted.double", Comment.Single: "comment.line.number-sign",
          Name.Function: "entity.name.function", Name.Variable: "variable.other",
          Name.Builtin: "support.constant.rollup", Name.Constant: "constant.other.month",
          Operator: "keyword.operator", Error: "invalid.illegal"}


def test_the_textmate_grammar_loads_and_every_regex_compiles():
    """Python's re stands in for Oniguruma: the grammar uses no syntax of Oniguruma's own (no \\h,
    \\G, possessive or atomic groups), only what both read alike."""
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    assert grammar["scopeName"] == "source.unitsheet"
    rules = _leaves(grammar["patterns"], grammar["repository"])
    rules += [r for rule in rules if "begin" in rule for r in _leaves(rule["patterns"], grammar["repository"])]
    for rule in rules:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])
                assert not re.search(r"\\[hGAzZ]|\(\?>|[*+?}]\+", rule[key]), rule[key]
    assert len(rules) > 20


def _highlighted() -> list[tuple[str, str]]:
    texts = [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in EXAMPLES]
    texts += [(f"{doc} block {i + 1}", block) for doc in DOCS for i, block in enumerate(_blocks(doc))]
    return texts + [("SNIPPET", SNIPPET)]


@pytest.mark.parametrize("name, text", _highlighted(), ids=[name for name, _ in _highlighted()])
def test_the_textmate_grammar_classifies_as_the_pygments_lexer_does(name, text):
    """Every token the Pygments lexer gives (whitespace aside) has the TextMate scope of its class
    at its first character: every model, example and docs block, `input`, `correlate`, units,
    periods, comments and the rest."""
    scopes = textmate_scopes(json.loads(GRAMMAR.read_text(encoding="utf-8")), text)
    seen, wrong = set(), []
    for pos, kind, value in tokens(text):
        if kind in Whitespace or not value.strip():
            continue
        line = text.count("\n", 0, pos)
        scope = scopes[line][pos - (text.rfind("\n", 0, pos) + 1)] or ""
        expected = "punctuation" if kind is Punctuation else SCOPES[kind]
        if not (scope.startswith(expected) and not (kind is Keyword and "clause" in scope)):
            wrong.append((line + 1, value, str(kind), scope))
        seen.add((value, kind) if value in ("input", "correlate") else kind)
    assert wrong == []
    if name in ("models/openai_capex.ush", "SNIPPET"):
        assert {Keyword.Type, Literal.Date, Comment.Single, ("input", Keyword), ("correlate", Keyword)} <= seen


# ------------------------------------------------------------------ the VS Code extension

def test_the_extension_manifest_points_at_files_that_exist():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    [language] = contributes["languages"]
    assert (language["id"], language["extensions"]) == ("unitsheet", [".ush"])
    assert (VSCODE / language["configuration"]).is_file()
    [grammar] = contributes["grammars"]
    assert grammar["language"] == "unitsheet" and (VSCODE / grammar["path"]).resolve() == GRAMMAR.resolve()
    assert grammar["scopeName"] == json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"]
    assert (VSCODE / manifest["main"]).is_file() and "onLanguage:unitsheet" in manifest["activationEvents"]
    assert manifest["dependencies"]["vscode-languageclient"].startswith("^9")
    assert {"name", "publisher", "version", "engines"} <= set(manifest) and "vscode" in manifest["engines"]
    setting = contributes["configuration"]["properties"]["unitsheet.server.path"]
    assert setting["default"] == "unitsheet"
    script = (VSCODE / manifest["main"]).read_text(encoding="utf-8")
    assert '"server.path"' in script and '["lsp"]' in script and "vscode-languageclient/node" in script


def test_the_extension_script_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "--check", str(VSCODE / "extension.js")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_language_configuration_comments_brackets_and_indents_clauses():
    config = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert config["brackets"] == [["(", ")"], ["[", "]"], ["{", "}"]]
    assert {p["open"] + p["close"] for p in config["autoClosingPairs"]} >= {"()", "[]", "{}", '""'}
    rules = config["indentationRules"]
    increase, decrease = re.compile(rules["increaseIndentPattern"]), re.compile(rules["decreaseIndentPattern"])
    for line in ("input cost_per_gw = 50 billion USD/GW", "cash[2027..] = cash[t-1] + flow * 1 year",
                 "burn_through_2029: USD = total(burn[2025..2029])", "scenario bear \"Bear\" {",
                 "input burn: USD/year = {", "correlate a, b = -0.5"):
        assert increase.search(line), line
    for line in ('model "m"', "timeline 2025..2030 yearly", '    note "x"', "    cost = 60 billion USD/GW",
                 "    rollup sum", '# input x = 1', "check \"c\": a == b", "dimension region = {na, eu}"):
        assert not increase.search(line), line
    assert decrease.search("}") and decrease.search("    }") and not decrease.search("x = {}")
