"""`unitsheet fmt`: canonical layout, every comment kept on the line of the code it annotates.

Properties, on every model of the repository and on generated ones: formatting is idempotent,
keeps the syntax tree, keeps the comments in order and each one next to the same construct
(statement, clause, table entry, operand of a + / - chain, call argument). Then one regression
test per defect the formatter had, with the exact expected text.
"""

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitsheet.engine import syntax as ast
from unitsheet.engine.diagnostics import ModelError
from unitsheet.engine.formatter import WIDTH, format_module
from unitsheet.engine.parser import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [path for pattern in ("models/*.ush", "tests/errors/*.ush", "tests/*.ush")
            for path in sorted(ROOT.glob(pattern))]


def fmt(text: str) -> str:
    return format_module(parse(text, "fmt.ush"))


def start(node) -> int:
    """A chain starts at its first operand: its span may start at a parenthesis `fmt` drops
    (`((a + b) + c)` is one chain)."""
    return node.first.span.line if isinstance(node, ast.Sum) else node.span.line


def constructs(module: ast.Module) -> list:
    """(line, key) of every construct a comment can annotate, in source order. Expressions are
    entered through tables, + / - chains and calls: the parts `fmt` puts on lines of their own."""
    found = []

    def expression(node, key):
        if isinstance(node, ast.Table):
            parts = [(period.span.line, value) for period, value in node.entries]
        elif isinstance(node, ast.Sum):
            parts = [(start(x), x) for x in node.operands]
        elif isinstance(node, ast.Call):
            parts = [(start(x), x) for x in node.args]
        else:
            return
        for j, (line, part) in enumerate(parts):
            found.append((line, key + (j,)))
            expression(part, key + (j,))

    def statement(stmt, key):
        found.append((stmt.span.line, key))
        if isinstance(stmt, ast.Scenario):
            for k, eq in enumerate(stmt.equations):
                statement(eq, key + ("equation", k))
        elif isinstance(stmt, ast.Check):
            expression(stmt.expr, key + ("value",))
        elif isinstance(stmt, (ast.Input, ast.Equation)):
            expression(stmt.value, key + ("value",))
            for j, clause in enumerate(stmt.clauses.items):
                found.append((clause.span.line, key + ("clause", j)))
                if isinstance(clause, ast.Base):
                    expression(clause.value, key + ("clause", j, "base"))

    for i, stmt in enumerate(module.statements):
        statement(stmt, (i,))
    return found


def attachments(module: ast.Module) -> list:
    """Each comment's text and the construct it annotates: for a comment at the end of a line,
    the last construct starting on or before that line; for a comment on its own line, the
    first construct starting after it."""
    found = constructs(module)
    out = []
    for line, text, own_line in module.comments:
        if own_line:
            key = next((key for first, key in found if first > line), "end of file")
        else:
            key = [key for first, key in found if first <= line][-1]
        out.append((text, key))
    return out


def assert_faithful(text: str, attached: bool = True) -> str:
    module = parse(text, "fmt.ush")
    formatted = format_module(module)
    again = parse(formatted, "fmt.ush")
    assert again == module, "the syntax tree is kept"
    assert format_module(again) == formatted, "formatting is idempotent"
    assert [c[1] for c in again.comments] == [c[1] for c in module.comments], "comments are kept, in order"
    if attached:
        assert attachments(again) == attachments(module), "each comment stays with its construct"
    return formatted


# ----------------------------------------------------------------------- the repository's models


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_formats_faithfully(path):
    text = path.read_text(encoding="utf-8")
    try:
        parse(text, "fmt.ush")
    except ModelError:
        pytest.skip("a syntax-error example")
    assert_faithful(text)


def test_the_showcase_model_is_canonical():
    text = (ROOT / "models" / "openai_capex.ush").read_text(encoding="utf-8")
    assert fmt(text) == text


# --------------------------------------------------------------------------- generated models
# Expressions are trees: ("leaf", text), ("sum", first, [(op, node)], broken), ("call", f, [node],
# broken), ("product", left, right, broken); a broken node is written one part per line. Comments
# go at the end of any line and on their own line between any two lines: every line break of a
# statement is inside brackets, before a clause or between the equations of a scenario, where
# the grammar allows comments.

LEAVES = st.sampled_from(["a", "b[t-1]", "2 USD", "3", "total(d[2025..2026])", "-c",
                          "a_rather_long_name_that_makes_lines_wide * another_rather_long_name_for_width"])


def not_a_chain(node) -> bool:
    """`((a + b) + c)` is the chain a + b + c: its inner parentheses vanish, and a comment alone
    on a line with them could only go on a line of its own. So no chain first in a chain."""
    return node[0] != "sum"


def _composite(children, products: bool):
    sums = st.tuples(st.just("sum"), children.filter(not_a_chain),
                     st.lists(st.tuples(st.sampled_from("+-"), children), min_size=1, max_size=3), st.booleans())
    calls = st.tuples(st.just("call"), st.sampled_from(["max", "min"]), st.lists(children, min_size=1, max_size=3),
                      st.booleans())
    if not products:
        return st.one_of(sums, calls)
    return st.one_of(sums, calls, st.tuples(st.just("product"), children, children, st.booleans()))


def expressions(products: bool = False):
    return st.recursive(LEAVES.map(lambda t: ("leaf", t)), lambda c: _composite(c, products), max_leaves=7)


def glue(left: list[str], joint: str, right: list[str]) -> list[str]:
    """`right` written after `left` on the same line."""
    return left[:-1] + [left[-1] + joint + right[0]] + right[1:]


def written(node) -> list[str]:
    if node[0] == "leaf":
        return [node[1]]
    if node[0] == "product":  # `*` never breaks in `fmt`: a comment inside it moves
        _, left, right, broken = node
        lines = glue(["("], "", written(left))
        lines = glue(lines, " *", [""]) + written(right) if broken else glue(lines, " * ", written(right))
        return glue(lines, "", [")"])
    if node[0] == "sum":
        _, first, rest, broken = node
        opening, parts = "(", [written(first)] + [glue([op], " ", written(x)) for op, x in rest]
    else:
        _, func, args, broken = node
        opening, parts = func + "(", [glue(written(a), ",", [""]) for a in args[:-1]] + [written(args[-1])]
    if broken:
        return [opening] + [line for part in parts for line in part] + [")"]
    lines = [opening]
    for i, part in enumerate(parts):
        lines = glue(lines, " " if i else "", part)
    return glue(lines, "", [")"])


def table(entries, broken) -> list[str]:
    rows = [glue([f"{2025 + i}: "], "", written(e)) for i, e in enumerate(entries)]
    if broken:
        return ["{"] + [line for row in rows for line in glue(row, ",", [""])] + ["}"]
    lines = ["{"]
    for i, row in enumerate(rows):
        lines = glue(lines, ", " if i else "", row)
    return glue(lines, "", ["}"])


SIMPLE_CLAUSES = {"note": 'note "n"', "display": "display billion USD", "source": 'source "f.txt" 2026-02-28 "q"'}


@st.composite
def clauses(draw, exprs) -> list[str]:
    lines = []
    for kind in draw(st.lists(st.sampled_from(["note", "display", "source", "base"]), max_size=3)):
        if kind == "base":
            value = ("sum", draw(exprs.filter(not_a_chain)), [("+", ("leaf", "1"))], draw(st.booleans()))
            lines += glue(["    base "], "", written(value))
        else:
            lines.append("    " + SIMPLE_CLAUSES[kind])
    return lines


@st.composite
def statements(draw, i: int, exprs) -> list[str]:
    kind = draw(st.sampled_from(["equation", "table", "check", "scenario", "input", "chart"]))
    if kind == "equation":
        return glue([f"x{i} = "], "", written(draw(exprs))) + draw(clauses(exprs))
    if kind == "table":
        lines = table(draw(st.lists(exprs, min_size=1, max_size=4)), draw(st.booleans()))
        return glue([f"input y{i}: USD/year = "], "", lines) + draw(clauses(exprs))
    if kind == "check":
        return glue([f'check "c{i}": '], "", written(draw(exprs)))
    if kind == "input":
        return [f"input z{i} = 1 USD .. 3 USD"] + draw(clauses(exprs))
    if kind == "chart":
        return [f'chart "k{i}": a, b']
    equations = [glue([f"    e{k} = "], "", written(e)) + ["    " + c for c in draw(clauses(exprs))]
                 for k, e in enumerate(draw(st.lists(exprs, max_size=3)))]
    return [f"scenario s{i} {{"] + [line for eq in equations for line in eq] + ["}"]


@st.composite
def commented_models(draw, products: bool = False) -> str:
    exprs = expressions(products)
    count = draw(st.integers(1, 4))
    lines: list[str] = []
    n = 0
    for i in range(count):
        if draw(st.booleans()):
            lines.append("")
        for line in draw(statements(i, exprs)):
            if lines and draw(st.integers(0, 3)) == 0:
                lines.append(f"# own {n}")
                n += 1
            lines.append(line)
            if draw(st.booleans()):
                lines[-1] += f"  # end {n}"
                n += 1
    if draw(st.booleans()):
        lines.append(f"# last {n}")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None)
@given(commented_models())
def test_generated_models_keep_every_comment_with_its_construct(text):
    assert_faithful(text)


@settings(max_examples=200, deadline=None)
@given(commented_models(products=True))
def test_comments_inside_unbreakable_operators_are_kept_in_order(text):
    """`a *  # c` / `b` becomes one line: the comment moves, but it is kept, in order, once."""
    assert_faithful(text, attached=False)


def test_a_long_sum_formats_without_recursion():
    text = "x = " + " + ".join(["v"] * 20_000) + "\n"
    formatted = fmt(text)
    assert formatted.startswith("x = (\n    v\n    + v\n") and formatted.endswith("    + v\n)\n")
    assert parse(formatted) == parse(text)


# ------------------------------------------------------------------- regressions, one per defect


def model(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_defect_1_a_comment_on_a_clause_line_stays_there():
    text = model("""
        input a = 1 USD  # trailing comment on input
            source "a.txt" 2026-02-28 "quote"  # trailing comment on source
            note "n"  # on the note
            display billion USD  # on display
        input r = 1 USD .. 2 USD
            # before base
            base 1.5 USD  # on base
        """)
    assert fmt(text) == text


def test_defect_2_comments_inside_a_scenario_stay_on_their_equations():
    text = model("""
        scenario bear "pessimistic" {  # on the block
            # before a
            a = 2  # on a
            b = 3
            # last words
        }
        """)
    assert fmt(text) == text


def test_defect_3_a_table_with_a_comment_stays_one_entry_per_line():
    source = "input r: USD/year = {2025: 13 billion,  # actual\n    2026: 30 billion}\n"
    assert fmt(source) == model("""
        input r: USD/year = {
            2025: 13 billion,  # actual
            2026: 30 billion,
        }
        """)


def test_defect_3_a_short_table_without_comments_is_one_line():
    assert fmt("input r = {\n  2025: 1,\n  2026: 2,\n}\n") == "input r = {2025: 1, 2026: 2}\n"


def test_defect_3_a_wide_table_is_one_entry_per_line():
    entries = ", ".join(f"{2025 + i}: {i} billion" for i in range(8))
    assert fmt(f"input r: USD/year = {{{entries}}}  # why\n") == model("""
        input r: USD/year = {
            2025: 0 billion,
            2026: 1 billion,
            2027: 2 billion,
            2028: 3 billion,
            2029: 4 billion,
            2030: 5 billion,
            2031: 6 billion,
            2032: 7 billion,
        }  # why
        """)


def test_defect_3_the_width_is_100_columns():
    fits = "x = a + " + "b" * 92
    assert len(fits) == WIDTH == 100
    assert fmt(fits + "\n") == fits + "\n"
    assert fmt(fits + "b\n") == f"x = (\n    a\n    + {'b' * 93}\n)\n"


def test_defect_3_a_wide_sum_breaks_at_its_operands():
    text = ("cash_balance[2026] = cash_after_round + funding_receipts[2026] * 1 year - cash_burn[2026] * "
            "months_after_anchor_2026 + (a + b)  # net\n")
    assert fmt(text) == model("""
        cash_balance[2026] = (
            cash_after_round
            + funding_receipts[2026] * 1 year
            - cash_burn[2026] * months_after_anchor_2026
            + (a + b)
        )  # net
        """)


def test_defect_3_a_wide_call_breaks_at_its_arguments():
    text = ("valuation_post_money = if(valuation_is_pre_money, valuation_round_2026 + round_unconditional, "
            "valuation_round_2026)\n")
    assert fmt(text) == model("""
        valuation_post_money = if(
            valuation_is_pre_money,
            valuation_round_2026 + round_unconditional,
            valuation_round_2026
        )
        """)


def test_defect_3_an_expression_with_comments_inside_stays_multi_line():
    text = model("""
        total = (a  # first
            # about b
            + max(b,  # b itself
                  c)
            # disabled: + d
        )  # done
            note "n"
        """)
    assert fmt(text) == model("""
        total = (
            a  # first
            # about b
            + max(
                b,  # b itself
                c
            )
            # disabled: + d
        )  # done
            note "n"
        """)


def test_defect_3_an_expression_without_comments_is_joined_when_it_fits():
    assert fmt("x = (a\n  + b\n  - c)  # short\n") == "x = a + b - c  # short\n"


def test_defect_4_clauses_keep_the_authors_order_and_their_comments():
    text = model("""
        input cost = 50 billion USD/GW .. 60 billion USD/GW
            note "build cost"  # the note first
            source "003.txt" "environ $50 to $60 billion"
            base 55 billion USD/GW  # then the base
            display billion USD/GW
        """)
    assert fmt(text) == text


def test_defect_2_a_broken_equation_inside_a_scenario_keeps_its_comments():
    source = "scenario s {\n    x = max(a,  # a\n        b)  # b\n}\n"
    assert fmt(source) == model("""
        scenario s {
            x = max(
                a,  # a
                b
            )  # b
        }
        """)


def test_a_comment_alone_with_a_parenthesis_keeps_its_line():
    text = model("""
        x = max(
            a,
            # before the chain
            (  # on its parenthesis
                b
                + c
                # last operand done
            ),  # after the chain
            d
        )
        """)
    assert fmt(text) == text


def test_comments_inside_an_unbreakable_operator_join_its_line_in_order():
    assert fmt("x = (a *  # one\n    b)  # two\n") == "x = a * b  # one\n# two\n"


def test_every_statement_kind_prints():
    text = model("""
        model "m"
        timeline 2025..2027 yearly
        unit token
        unit kilotoken = 1000 token
        input a: USD = {2025..2026: 1, 2027: 2}  # a
        b[2026..] = b[t-1] + a[t]
        check "positive" for t in 2025..2027: b[t] > 0 USD
        chart "Cash": a, b  # what the workbook draws
        """)
    assert fmt(text) == text
