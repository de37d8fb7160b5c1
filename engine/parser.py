"""Text -> syntax tree. Lark parses (grammar/unitsheet.lark); this module turns Lark's tree
into the frozen AST of syntax.py (a parse that fails is said by engine/syntax_errors.py)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, v_args
from lark.exceptions import UnexpectedInput, VisitError

from . import limits
from . import syntax as ast
from .gcpause import collector_paused
from .parser_data import BuildError as _BuildError
from .parser_data import DataStatements
from .parser_data import unquote as _unquote
from .diagnostics import Diagnostic, Label, ModelError, Span
from .postlex import NewlinesInBrackets
from .syntax_errors import NestedTooDeep, syntax_diagnostics, too_deep

MAX_NESTING = limits.NESTING.value
MAX_SOURCE_BYTES = 20_000_000


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return resources.files(__package__.rpartition(".")[0] + ".grammar").joinpath("unitsheet.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _lark() -> Lark:
    callbacks = {name: _collect_comment_token for name in ("_NL", "_CONTINUE")}
    return Lark(grammar_text(), parser="lalr", postlex=NewlinesInBrackets(), propagate_positions=True,
                maybe_placeholders=True, lexer_callbacks=callbacks, cache=True)


_comment_sink: list = []


def _collect_comment_token(token: Token) -> Token:
    _comment_sink.append(token)
    return token


def parse(text: str, file: str = "<model>") -> ast.Module:
    """Parse model text. Raises ModelError with a rendered-ready diagnostic on bad syntax."""
    sources = {file: text}
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ModelError([Diagnostic("limit", f"model file is larger than {MAX_SOURCE_BYTES // 1_000_000} MB",
                                     None, hint="split the model or remove generated data")], sources)
    comment_tokens: list[Token] = []
    try:
        tree = _parse_collecting(text, comment_tokens)
    except NestedTooDeep as deep:
        raise ModelError([too_deep(deep.token, file)], sources) from None
    except UnexpectedInput as err:
        found = syntax_diagnostics(err, text, file, parse_again=lambda again: _parse_collecting(again, []),
                                   open_brackets=lambda: NewlinesInBrackets.open_brackets)
        raise ModelError(found, sources) from None
    try:
        with collector_paused():
            builder = _Builder(file)
            module = builder.finish(builder.transform(tree))
    except VisitError as err:
        if isinstance(err.orig_exc, _BuildError):
            raise ModelError([err.orig_exc.diagnostic], sources) from None
        raise
    _check_depth(module, file, sources)
    comments = tuple(_comments(comment_tokens, text))
    return ast.Module(file, module, comments)


def _parse_collecting(text: str, comment_tokens: list[Token]):
    # Comments live inside newline tokens; keep them so `fmt` can put them back.
    _comment_sink.clear()
    try:
        with collector_paused():
            return _lark().parse(text)
    finally:
        comment_tokens.extend(_comment_sink)
        _comment_sink.clear()


def _comments(tokens: list[Token], text: str):
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    seen = set()
    for tok in tokens:
        for m in re.finditer(r"#[^\n]*", tok.value):
            pos = tok.start_pos + m.start()
            if pos in seen:
                continue
            seen.add(pos)
            line = _line_of(line_starts, pos)
            own_line = text[line_starts[line - 1]:pos].strip() == ""
            yield (line, m.group().rstrip(), own_line)


def _line_of(line_starts: list[int], pos: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, pos)


def _check_depth(statements, file: str, sources: dict[str, str]) -> None:
    # The AST is built without recursion; the passes after it recurse, so bound the depth here.
    stack = [(s, 1) for s in statements]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            span = getattr(node, "span", None)
            raise ModelError([Diagnostic("limit", f"expression nested deeper than {MAX_NESTING} levels", span,
                                         hint="split the expression into named steps")], sources)
        for child in ast.children(node):
            stack.append((child, depth + 1))


@v_args(meta=True)
class _Builder(DataStatements):
    """Lark tree -> syntax.py nodes. Runs without recursion, so deep input cannot crash it."""

    def __init__(self, file: str, line_offset: int = 0):
        super().__init__()
        self.file = file
        self.line_offset = line_offset  # a statement parsed alone: the lines above it (incremental_parse.py)
        self._chains: dict[int, list] = {}  # id of the newest Sum of each chain -> its terms
        self._sums: dict[int, ast.Sum] = {}

    # -- helpers
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line + self.line_offset, meta.column, meta.end_line + self.line_offset,
                    meta.end_column)

    def _tspan(self, tok: Token) -> Span:
        return Span(self.file, tok.line + self.line_offset, tok.column, tok.end_line + self.line_offset,
                    tok.end_column)

    def _int(self, tok: Token, hint: str = "periods are written 2027 (a year), 2027Q3 or 2027-03") -> int:
        value = float(str(tok).replace("_", ""))
        if not abs(value) <= 1_000_000 or value != int(value):
            raise _BuildError(Diagnostic("bad-period", f"`{tok}` is not a period", self._tspan(tok),
                                         (Label(self._tspan(tok)),), hint))
        return int(value)

    def period(self, meta, children):
        """2027, 2027Q3 or 2027-03 -> a PeriodLabel; a month or quarter that does not exist is an error here."""
        tok = children[0]
        text = str(tok)
        if tok.type == "NUMBER":
            return ast.PeriodLabel(self._int(tok))
        fiscal, text = text.startswith("FY"), text.removeprefix("FY")
        if fiscal and len(text) == 4:
            return ast.PeriodLabel(int(text), fiscal=True)
        year, kind, number = (text[:4], "quarter", text[5:]) if "Q" in text else (text[:4], "month", text[5:])
        span = self._tspan(tok)
        if kind == "quarter" and not (len(number) == 1 and 1 <= int(number) <= 4):
            raise _BuildError(Diagnostic("bad-period", f"`{text}` is not a quarter: quarters run from Q1 to Q4",
                                         span, (Label(span),), f"e.g. {year}Q1"))
        if kind == "month" and not (1 <= int(number) <= 12):
            raise _BuildError(Diagnostic("bad-period", f"`{text}` is not a month: months run from 01 to 12",
                                         span, (Label(span),), f"e.g. {year}-01 for January {year}"))
        if kind == "month" and len(number) != 2:
            raise _BuildError(Diagnostic("bad-period", f"`{text}`: write a month with two digits", span,
                                         (Label(span),), f"write {year}-{int(number):02d}"))
        return ast.PeriodLabel(int(year), kind, int(number), fiscal)

    # -- statements
    def start(self, meta, children):
        return tuple(c for c in children if c is not None)

    def model_stmt(self, meta, children):
        return ast.ModelHeader(_unquote(children[0]), self._span(meta))

    def timeline_stmt(self, meta, children):
        start, end, freq, ending = children
        return ast.Timeline(start, end, str(freq), self._span(meta), ending)

    def fiscal_end(self, meta, children):
        return str(children[0])

    def daycount_stmt(self, meta, children):
        return ast.DayCount(str(children[0]), self._span(meta))

    def unit_stmt(self, meta, children):
        name, definition = children
        return ast.UnitDef(str(name), definition, self._span(meta))

    def _clauses(self, items) -> ast.Clauses:
        return ast.Clauses(tuple(items))

    def dimension_stmt(self, meta, children):
        name, *items = children
        return ast.Dimension(str(name), tuple(ast.Item(str(t), self._tspan(t)) for t in items if t is not None),
                             self._span(meta), self._tspan(name))

    def input_stmt(self, meta, children):
        name, dims, unit, value, *clauses = children
        return ast.Input(str(name), unit, value, self._clauses(clauses), self._span(meta), self._tspan(name),
                         dims=dims or ())

    def by_clause(self, meta, children):
        return tuple(ast.Name(str(tok), self._tspan(tok)) for tok in children)

    def equation(self, meta, children):
        name, selector, unit, value, *clauses = children
        index, items = selector if selector is not None else (None, ())
        return ast.Equation(str(name), index, unit, value, self._clauses(clauses), self._span(meta),
                            self._tspan(name), items=items)

    def source_clause(self, meta, children):
        file, date, quote = children
        return ast.Source(_unquote(file), str(date) if date else None, _unquote(quote) if quote else None,
                          self._span(meta))

    def note_clause(self, meta, children):
        return ast.Note(_unquote(children[0]), self._span(meta))

    def display_clause(self, meta, children):
        scale, unit = children
        return ast.Display(str(scale) if scale else None, unit, self._span(meta))

    def rollup_clause(self, meta, children):
        from .rollup import RULES

        rule = children[0]
        if str(rule) not in RULES:
            raise _BuildError(Diagnostic("bad-rollup", f"`{rule}` is not a roll-up rule", self._tspan(rule),
                                         (Label(self._tspan(rule)),), "write rollup " + " | ".join(RULES)))
        return ast.Rollup(str(rule), self._span(meta))

    def circular_clause(self, meta, children):
        return ast.Circular(self._span(meta))

    def base_clause(self, meta, children):
        return ast.Base(children[0], self._span(meta))

    def actual_stmt(self, meta, children):
        name, actuals, until = children
        end = self._span(meta)  # the period (or `last`) is the statement's last word
        until_span = Span(self.file, end.end_line, end.end_col - len(str(until)), end.end_line, end.end_col)
        return ast.Actual(str(name), ast.Name(str(actuals), self._tspan(actuals)),
                          None if isinstance(until, Token) else until, end, self._tspan(name), until_span)

    def scenario_stmt(self, meta, children):
        name, description, *equations = children
        return ast.Scenario(str(name), _unquote(description) if description else None,
                            tuple(e for e in equations if e is not None), self._span(meta))

    def check_stmt(self, meta, children):
        name, periods, expr = children
        return ast.Check(_unquote(name), periods, expr, self._span(meta))

    def chart_stmt(self, meta, children):
        title, names = children
        return ast.Chart(_unquote(title), names, self._span(meta))

    def correlate_stmt(self, meta, children):
        count = next(i for i, c in enumerate(children) if not isinstance(c, ast.Name))  # the names first
        names, rows, clauses = children[:count], children[count], children[count + 1:]
        rows = rows if isinstance(rows, tuple) else ((rows,),)
        return ast.Correlate(tuple(names), rows, self._clauses(clauses), self._span(meta))

    def correlated(self, meta, children):
        """price[na] -> the Name `price[na]`, as dimension rows are named."""
        name, *items = children
        items = [str(t) for t in items if t is not None]
        return ast.Name(f"{name}[{', '.join(items)}]" if items else str(name), self._span(meta))

    def coefficients(self, meta, children):
        return tuple(children)

    def coefficient_row(self, meta, children):
        return tuple(children)

    def coefficient(self, meta, children):
        sign, number = children
        text = (str(sign) if sign else "") + str(number)
        return ast.Coefficient(float(text.replace("_", "")), text, self._span(meta))

    def name_list(self, meta, children):
        return tuple(ast.Name(str(tok), self._tspan(tok)) for tok in children)

    def for_clause(self, meta, children):
        return (children[0], children[1])

    def table(self, meta, children):
        return ast.Table(tuple(c for c in children if c is not None), self._span(meta))

    def table_entry(self, meta, children):
        key, value, split = children
        if not isinstance(key, (ast.Fixed, ast.PeriodRange, ast.Item)):
            raise _BuildError(Diagnostic("bad-period", "a table row needs a period (2027 or 2028..2033) or an "
                                         "item of a dimension", self._span(meta), (Label(self._span(meta)),)))
        if split is not None:
            start = getattr(value, "span", None) or self._span(meta)
            value = ast.Split(value, split[0], start.cover(split[1]))
        return (key, value)

    def spread_even(self, meta, children):
        return (None, self._span(meta))

    def falls_in(self, meta, children):
        return (children[0], self._span(meta))

    def range(self, meta, children):
        return ast.Range(children[0], children[1], self._span(meta))

    def unit_expr(self, meta, children):
        return ast.UnitText("".join(str(c) for c in children), self._span(meta))

    # -- periods
    def selector(self, meta, children):
        """[t-1], [eu], [na, chat, 2027] -> (the period or None, the items)."""
        items = tuple(c for c in children if isinstance(c, ast.Item))
        periods = [c for c in children if not isinstance(c, ast.Item)]
        if len(periods) > 1:
            span = periods[1].span
            raise _BuildError(Diagnostic("bad-period", "a selector takes one period", span, (Label(span),),
                                         "write the items and one period, e.g. x[eu, 2027]"))
        return (periods[0] if periods else None, items)

    def item(self, meta, children):
        return ast.Item(str(children[0]), self._tspan(children[0]))

    def current(self, meta, children):
        return ast.Current(self._span(meta))

    def relative(self, meta, children):
        sign, number = children
        offset = self._int(number, "t-k reads k periods back, t+k k periods ahead: k is a whole number")
        return ast.Relative(offset if str(sign) == "+" else -offset, self._span(meta))

    def shift(self, meta, children):
        sign, name = children
        return ast.Shift(1 if str(sign) == "+" else -1, ast.Name(str(name), self._tspan(name)), self._span(meta))

    def fixed(self, meta, children):
        return ast.Fixed(children[0], self._span(meta))

    def period_range(self, meta, children):
        return ast.PeriodRange(children[0], children[1], self._span(meta))

    def open_range(self, meta, children):
        return ast.PeriodRange(children[0], None, self._span(meta))

    # -- expressions
    def quantity(self, meta, children):
        number, scale, unit = children
        value = float(str(number).replace("_", ""))
        if value == 0.0 and re.search(r"[1-9]", str(number).split("e")[0].split("E")[0]):
            span = self._tspan(number)
            raise _BuildError(Diagnostic("limit", "this number is too small to represent: it would silently "
                                         "become 0", span, (Label(span),), "the smallest is about 5e-324"))
        return ast.Quantity(value, str(scale) if scale else None,
                            str(unit) if unit else None, self._span(meta))

    def true(self, meta, children):
        return ast.Boolean(True, self._span(meta))

    def false(self, meta, children):
        return ast.Boolean(False, self._span(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), self._span(meta))

    def indexed(self, meta, children):
        index, items = children[1]
        return ast.Indexed(str(children[0]), index, self._span(meta), items=items)

    def over_call(self, meta, children):
        func, arg, *dims = children
        return ast.Call(str(func), (arg,), self._span(meta), over=tuple(ast.Name(str(t), self._tspan(t)) for t in dims))

    def call(self, meta, children):
        func, *args = children
        return ast.Call(str(func), tuple(a for a in args if a is not None), self._span(meta))

    def period_call(self, meta, children):
        """in_period(2025-01..2026-06): a function of a range of periods (the checker says which
        functions take one)."""
        func, start, end = children
        span = Span(self.file, start.span.line, start.span.col, end.span.end_line, end.span.end_col) \
            if hasattr(start, "span") else self._span(meta)
        return ast.Call(str(func), (ast.PeriodRange(start, end, span),), self._span(meta))

    def unary(self, meta, children):
        return ast.Unary(str(children[0]), children[1], self._span(meta))

    def binary(self, meta, children):
        left, op, right = children
        op = str(op)
        if op in "+-":
            # A chain of + and - is one node however long (summing 700 line items is not
            # nesting): `a + b - c` extends the Sum of `a + b`. `(a + b) + c` merges too, which
            # computes the same, left to right; `a + (b + c)` stays nested.
            # The terms are collected in one list per chain while building (copying a tuple at
            # each step would be quadratic) and frozen into a tuple by finish().
            terms = self._chains.pop(id(left), None) if isinstance(left, ast.Sum) else None
            self._sums.pop(id(left), None)
            if terms is None:
                terms, first = [], left
            else:
                first = left.first
            terms.append((op, right))
            node = ast.Sum(first, terms, self._span(meta))  # type: ignore[arg-type]
            self._chains[id(node)] = terms
            self._sums[id(node)] = node
            return node
        return ast.Binary(op, left, right, self._span(meta))

    def finish(self, result):
        for key, terms in self._chains.items():
            object.__setattr__(self._sums[key], "rest", tuple(terms))
        self._chains.clear()
        self._sums.clear()
        return result

    def power(self, meta, children):
        return ast.Binary("^", children[0], children[1], self._span(meta))

    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(str(op), left, right, self._span(meta))

    def approx(self, meta, children):
        return ast.Approx(children[0], children[1], children[2], self._span(meta))

    def or_(self, meta, children):
        return ast.Logical("or", children[0], children[1], self._span(meta))

    def and_(self, meta, children):
        return ast.Logical("and", children[0], children[1], self._span(meta))

    def not_(self, meta, children):
        return ast.Not(children[0], self._span(meta))
