"""A Pygments lexer for unitsheet models (`*.ush`), registered as `unitsheet` (alias `ush`) through
the `pygments.lexers` entry point in pyproject.toml: ```unitsheet blocks in Markdown, `pygmentize
-l unitsheet model.ush`, Sphinx and MkDocs.

Token classes (editors/vscode/syntaxes/unitsheet.tmLanguage.json gives the same in TextMate scopes):

    statement and operator words (model, input, by, for, t, in, over, and, ...)  Keyword
    true, false                                                                  Keyword.Constant
    clause words (source, note, display, base, rollup, circular) [1]             Keyword.Declaration
    scale words (thousand, million, billion, trillion)                           Keyword.Pseudo
    units after a number, a declaration's `:`, `display`, `unit` (USD / year)    Keyword.Type
    numbers (1_000, 1.5e3)                                                       Number
    periods (2027, 2027Q3, 2027-03, FY2027, FY2027Q3) and dates (2025-09-10)     Literal.Date
    strings                                                                      String.Double
    comments                                                                     Comment.Single
    a name before `(`                                                            Name.Function
    quantities, dimensions, items, scenarios                                     Name.Variable
    the method after `rollup` (sum, last, ...)                                   Name.Builtin
    the month after `ending`                                                     Name.Constant
    + - * / ^ < <= > >= == != ~= .. =                                            Operator
    ( ) [ ] { } , : ;                                                            Punctuation

[1] at the start of a line, or after the statement on its line where their argument follows
(`note "..."`, `base 55`); elsewhere `base` or `note` is a quantity's name.

Scale words are Keyword.Pseudo, not Name.Builtin: the grammar reserves them after a number (SCALE
outranks UNIT), they name no quantity or function, and they modify the number like a keyword.

A period is only recognised where the grammar looks for one, so `2027-03` in an expression stays
a subtraction: inside [ ], as a table key (before `:`), after `timeline` and `in`, in a range
closed by `)` (in_period(2025-01..2026-06)). 2027Q3, FY2027 and full dates are periods anywhere.

Only text the grammar cannot tokenize is an Error: a character outside the language (`$`, `'`,
a non-ASCII letter outside strings and comments) or a string left open at the end of its line.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String,
                            Whitespace)

__all__ = ["UnitsheetLexer"]

_END = r"(?![0-9A-Za-z_])"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
PERIOD = rf"(?:FY[0-9]{{4}}(?:Q[0-9]+)?|[0-9]{{4}}(?:Q[0-9]+|-[0-9]+)?){_END}"
EXPLICIT_PERIOD = rf"(?:FY[0-9]{{4}}(?:Q[0-9]+)?|[0-9]{{4}}Q[0-9]+){_END}"
DATE = rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_END}"
NUMBER = r"[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
SCALE = r"(?:thousand|million|billion|trillion)\b"
_UNIT_PART = rf"{NAME}(?:\^-?[0-9]+)?"
UNIT = rf"(?:%|{_UNIT_PART})(?:[*/]{_UNIT_PART})*"
UNIT_EXPR = rf"{UNIT}(?:[ \t]*[*/][ \t]*{UNIT})*"

STATEMENTS = ("model", "timeline", "daycount", "unit", "dimension", "input", "data", "scenario", "check", "chart",
              "correlate", "actual")
WORDS = ("by", "for", "t", "in", "over", "and", "or", "not", "yearly", "quarterly", "monthly", "ending",
         "spread", "even", "within", "until")
CLAUSES = ("source", "note", "display", "base", "rollup", "circular")
CONSTANTS = ("true", "false")
# The grammar's own words: Lark's lexer reads them as keywords even where a UNIT could stand, so
# `1 note "..."` is a number and a clause, never a number in the unit `note`.
RESERVED = rf"(?:{'|'.join(STATEMENTS + WORDS + CLAUSES + CONSTANTS)})\b"


def _period_range(after: str = "", dots: str = "") -> tuple:
    """A period, `..` (required; optional with dots="?") and maybe a period: Date, Operator, Date."""
    return (rf"({PERIOD})(?:(\s*)(\.\.)(\s*)({PERIOD})?){dots}{after}",
            bygroups(Literal.Date, Whitespace, Operator, Whitespace, Literal.Date))


class UnitsheetLexer(RegexLexer):
    """unitsheet model files (docs/language.md; the syntax is grammar/unitsheet.lark)."""

    name = "unitsheet"
    aliases = ["unitsheet", "ush"]
    filenames = ["*.ush"]
    mimetypes = ["text/x-unitsheet"]

    tokens = {
        "root": [
            # A clause word opening a line continues the statement above it.
            (rf"^([ \t]*)(rollup)([ \t]+)({NAME})",
             bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Builtin)),
            (r"^([ \t]*)(display)\b", bygroups(Whitespace, Keyword.Declaration), "unit"),
            (rf"^([ \t]*)({'|'.join(CLAUSES)})\b", bygroups(Whitespace, Keyword.Declaration)),
            # ... and on the statement's own line, where its argument follows.
            (r'(source|note)(?=[ \t]+")', Keyword.Declaration),
            (r"(display)(?=[ \t]+[%A-Za-z_])", Keyword.Declaration, "unit"),
            (r"(base)(?=[ \t]+[-+(0-9])", Keyword.Declaration),
            (rf"(rollup)([ \t]+)(?!{RESERVED})({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Builtin)),
            (r"circular(?=[ \t]*(?:#|$))", Keyword.Declaration),
            (r"(timeline)\b", Keyword, "timeline"),
            (rf"(unit)([ \t]+)({NAME})", bygroups(Keyword, Whitespace, Keyword.Type)),
            # A declared unit: `input x: USD/year = ...`, `y[2026..]: % = ...`.
            (rf"(:)(?=[ \t]*{UNIT_EXPR}[ \t]*=(?!=))", Punctuation, "unit"),
            include("common"),
        ],
        "common": [
            (r"[ \t\f\r]*\n|[ \t\f\r]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r'"[^\n]*', Error),  # a string left open at the end of its line
            (DATE, Literal.Date),
            (rf"(in)([ \t]+)({PERIOD})(?:(\s*)(\.\.)(\s*)({PERIOD}))?",
             bygroups(Keyword, Whitespace, Literal.Date, Whitespace, Operator, Whitespace, Literal.Date)),
            _period_range(r"(?=\s*[:)])"),  # a table key {2026..2028: ...}, in_period(2025-01..2026-06)
            (rf"{PERIOD}(?=\s*:)", Literal.Date),  # a table key {2026: ...}
            (EXPLICIT_PERIOD, Literal.Date),
            (rf"({NUMBER})(?:([ \t]*)({SCALE}))?(?:([ \t]*)(?!{RESERVED})({UNIT}))?",
             bygroups(Number, Whitespace, Keyword.Pseudo, Whitespace, Keyword.Type)),
            (SCALE, Keyword.Pseudo),
            (words(STATEMENTS + WORDS, suffix=r"\b"), Keyword),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (rf"{NAME}(?=[ \t]*\()", Name.Function),
            (rf"({NAME})(\.)({NAME})", bygroups(Name.Variable, Punctuation, Name.Variable)),  # ledger.revenue
            (NAME, Name.Variable),
            (r"\.\.|<=|>=|==|!=|~=|[-+*/^<>=]", Operator),
            (r"\[", Punctuation, "selector"),
            (r"[()\]{},:;]", Punctuation),
        ],
        # x[t-1], x[2027..], x[eu, 2026Q3], price[na]: a bare year here is a period.
        "selector": [
            (r"\]", Punctuation, "#pop"),
            (rf"(t)(\s*)([-+])(\s*)({NUMBER})", bygroups(Keyword, Whitespace, Operator, Whitespace, Number)),
            _period_range(dots="?"),
            include("common"),
        ],
        # timeline 2025-01..2033-12 monthly; timeline FY2025..FY2030 yearly ending June
        "timeline": [
            (r"[ \t]+", Whitespace),
            _period_range(dots="?"),
            (words(("yearly", "quarterly", "monthly"), suffix=r"\b"), Keyword),
            (rf"(ending)([ \t]+)({NAME})", bygroups(Keyword, Whitespace, Name.Constant)),
            default("#pop"),
        ],
        # After `display` or a declaration's `:`: [scale] unit [* or / unit ...], to the line's end or `=`.
        "unit": [
            (r"[ \t]+", Whitespace),
            (SCALE, Keyword.Pseudo),
            (rf"(?!{RESERVED}){UNIT}", Keyword.Type),
            (r"[*/]", Keyword.Type),  # USD / year is one unit, as the TextMate grammar scopes it
            default("#pop"),
        ],
    }
