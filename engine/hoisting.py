"""Loop-invariant hoisting: while a recurrence compiles, a sub-expression that reads no member of
it (engine/reads.py says what a node reads) is computed once over the equation's periods before
the period loop, then sliced per period. The Evaluator (engine/evaluate.py) compiles its rows
with RowCompiler."""

from __future__ import annotations

from . import compiler, ir


class Hoister:
    """While a recurrence compiles: which nodes can be computed before its period loop."""

    def __init__(self, members: set[str], start: int, stop: int, hoisted: list):
        self.members, self.start, self.stop, self.hoisted = members, start, stop, hoisted

    def loop_invariant(self, node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            read = n.read()
            if read is not None and read.name in self.members:
                return False
            stack.extend(ir.children(n))
        return True


_CHEAP = (ir.Const, ir.Ref, ir.At, ir.Period)


class RowCompiler(compiler.Compiler):
    """The row compiler (engine/compiler.py), plus one thing only rows do: while a recurrence
    compiles, a sub-expression that reads no member of it is hoisted, computed once over the
    equation's periods before the period loop and then sliced per period."""

    def __init__(self, ev: "Evaluator"):
        super().__init__(compiler.RowLeaves(ev.timeline))
        self.ev = ev

    def __call__(self, nodes: list):
        hoist, node = self.ev._hoist, nodes[0]
        if hoist is None or isinstance(node, _CHEAP) or not hoist.loop_invariant(node):
            return super().__call__(nodes)
        self.ev._hoist = None  # compile the subtree plainly, for the whole range
        try:
            f = super().__call__(nodes)
        finally:
            self.ev._hoist = hoist
        key = ("hoisted", len(hoist.hoisted))
        hoist.hoisted.append((key, f, hoist.start, hoist.stop))
        start = hoist.start
        return lambda env, a, b: env[key][..., a - start:b - start]
