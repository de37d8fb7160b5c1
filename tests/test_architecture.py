"""The shape of the code: data flows one way between modules (no import cycle, counting the
imports inside functions, which hide a cycle from Python until the wrong module runs first)."""

from __future__ import annotations

import ast

from conftest import ROOT

PACKAGES = ("engine", "exports")


def _modules() -> dict[str, object]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of PACKAGES it imports, anywhere in it (top level or in a function).
    `from . import ir` is an edge to engine.ir; `from .x import name` to engine.x."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                edges.update(f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names)
        graph[name] = {m for m in edges if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (the checker's own Tarjan)."""
    from unitsheet.engine.graph import strongly_connected

    components = strongly_connected(list(graph), {name: sorted(edges) for name, edges in graph.items()})
    return [sorted(c) for c in components if len(c) > 1]


def test_no_module_imports_itself_back_through_others():
    graph = import_graph()
    assert len(graph) > 60 and "engine.check.counts" in graph["engine.check.periods"]
    assert cycles(graph) == [], "import cycles (an edge may be a function-local import)"


def test_the_cycle_finder_finds_a_cycle_through_a_function_local_import():
    graph = import_graph()
    graph["engine.rollup"] = graph["engine.rollup"] | {"engine.model"}  # as `from .model import Results` did
    assert any({"engine.rollup", "engine.model", "engine.parser"} <= set(c) for c in cycles(graph))


# ------------------------------------------------------------------ what a formula reads, as data

def test_every_ir_node_kind_declares_what_it_reads():
    """A node kind without its own read() declaration fails here: a new kind of read is one
    declaration (engine/reads.py), not a change to every analysis."""
    from unitsheet.engine import ir
    from unitsheet.engine.reads import ACCESS

    assert [cls.__name__ for cls in ir.NODES if "read" not in cls.__dict__] == []
    t = ir.Type(None, ir.SERIES)
    lag = ir.Ref("lag", 0, ir.Type(None, ir.SCALAR))
    declared = {
        ir.Ref("x", -1, t): ("offset", -1, 0, None), ir.Shift("x", -1, lag, t): ("shifted", 0, -1, lag),
        ir.At("x", 3, t): ("fixed", 3, 0, None), ir.Reduce("sum", "x", 1, 4, 1.0, (), t): ("range", 1, 0, None),
        ir.Running("running_sum", "x", 1.0, t): ("to_date", 0, 0, None),
        ir.Vintage("depreciation", "x", lag, 0.5, t): ("to_date", 0, 0, lag)}
    for node, (access, first, sign, count) in declared.items():
        read = ir.reads(node)
        assert (read.name, read.access, read.first, read.sign, read.count) == ("x", access, first, sign, count)
        assert read.access in ACCESS
    assert ir.reads(ir.Binary("*", lag, lag, t)) is None and ir.reads(ir.Const(1.0, t)) is None


ACCESSES = ["{x}", "{x}[t-1]", "{x}[t-lag]", "{x}[2026]", "sum({x}[2025..2027])", "running_sum({x})",
            "depreciation({x}, life)", "sum({x}) / 6"]


def _random_model(choices: list[tuple[int, int, int]]) -> str:
    lines = ['model "reads"', "timeline 2025..2030 yearly", "input lag = 1", "input life = 2",
             "input a: USD = {2025: 1, 2026: 2, 2027: 3, 2028: 4, 2029: 5, 2030: 6} rollup sum"]
    names = ["a"]
    for k, (first, second, how) in enumerate(choices):
        x, y = names[first % len(names)], names[second % len(names)]
        read = ACCESSES[how % len(ACCESSES)].format(x=x)
        start = "[2027..]" if "[t-" in read else ""
        lines.append(f"f{k}{start} = {read} + {y}[t] * 0.5")
        if start:
            lines.append(f"f{k}[2025..2026] = 0 USD")
        lines.append("    rollup sum")
        names.append(f"f{k}")
    return "\n".join(lines) + "\n"


def test_the_graph_edges_coverage_and_batching_read_the_same_quantities():
    """On random models whose formulas read each other every way there is: the syntax side (the
    graph's edges, check/syntax_reads.py) and the IR side (engine/reads.py: coverage, batching,
    hoisting) name the same quantities for each formula, and the same kind of access."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from unitsheet import engine
    from unitsheet.engine import batching, ir
    from unitsheet.engine import syntax as ast
    from unitsheet.engine.check.syntax_reads import syntax_reads
    from unitsheet.engine.diagnostics import ModelError
    from unitsheet.engine.parser import parse

    coarse = {"offset": "offset", "shifted": "shifted", "periods": "periods", "fixed": "periods",
              "range": "periods", "to_date": "to_date"}

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=6))
    def check(choices):
        text = _random_model(choices)
        try:
            checked = engine.loads(text, "r.ush").checked()
        except ModelError as err:
            raise AssertionError(f"{text}\n{err}")
        known = set(checked.quantities)
        typed_at = {eq.span.line: eq for q in checked.quantities.values() for eq in q.equations}
        for statement in parse(text, "r.ush").statements:
            if not isinstance(statement, ast.Equation):
                continue
            syntax = sorted((r.name, coarse[r.access]) for r in syntax_reads(statement.value, known))
            equation = typed_at[statement.span.line]
            nodes = [n for n in ir.walk(equation.expr) if n.read() is not None]
            typed = sorted((n.read().name, coarse[n.read().access]) for n in nodes)
            assert syntax == typed, (text, statement.name)
            assert {name for name, _ in syntax} == set(batching.reads(equation.expr)) & known
    check()


def test_a_reduction_of_a_series_named_alone_reads_every_period_in_the_graph_too():
    """sum(x) read x at t for the dependency graph and every period for the evaluator: in a loop
    through periods it was a runtime 'not a number' at 2025; now it is the same located circular
    definition as sum(x[2025..2027]) (found by the test above once it read sum(x) as well)."""
    from unitsheet import engine
    from unitsheet.engine.diagnostics import ModelError

    for read in ("sum(x)", "sum(x[2025..2027])"):
        text = ('model "r"\ntimeline 2025..2027 yearly\ninput a: USD = {2025: 1, 2026: 2, 2027: 3}\n    rollup sum\n'
                "x[2025] = 1 USD\nx[2026..] = x[t-1] + y[t-1]\n    rollup last\n"
                f"y = {read} * 0.1 + a\n    rollup sum\n")
        try:
            engine.loads(text, "r.ush").run()
        except ModelError as err:
            assert "circular definition through periods: y[2025] -> x[2026] -> y[2025]" in str(err), str(err)
        else:
            raise AssertionError(f"{read}: no error")


def test_a_quantitys_fields_are_declared_once():
    """The checker's Draft is derived from ir.Quantity (an input's values in place of `inputs`):
    a field added to the quantity is on the draft, and freeze() carries it."""
    import dataclasses

    from unitsheet.engine import ir
    from unitsheet.engine.check.scope import Draft

    quantity = [f.name for f in dataclasses.fields(ir.Quantity) if f.name != "inputs"]
    values = [f.name for f in dataclasses.fields(ir.InputValues)]
    assert [f.name for f in dataclasses.fields(Draft)] == quantity + values
    draft = Draft("x", "input", ir.Type(None, ir.SCALAR), "", [], None, note="n", rollup="sum", value=[1.0], low=0.5)
    frozen = draft.freeze()
    assert (frozen.note, frozen.rollup, frozen.low, list(frozen.value)) == ("n", "sum", 0.5, [1.0])
    assert not frozen.inputs.value.flags.writeable


def test_modules_functions_and_classes_stay_small():
    """No module over 450 lines, no function over 60 (the command line's parser table excepted),
    no class over 400: one job each."""
    too_big = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            name = path.relative_to(ROOT)
            if len(text.splitlines()) > 450:
                too_big.append(f"{name}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                size = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
                if isinstance(node, ast.FunctionDef) and size > 60 and node.name != "build_parser":
                    too_big.append(f"{name}: {node.name}() {size} lines")
                elif isinstance(node, ast.ClassDef) and size > 400:
                    too_big.append(f"{name}: class {node.name} {size} lines")
    assert too_big == []
