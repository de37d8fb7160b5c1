"""One checked model, two backends: every node type the IR declares (ir.NODES) has a handler in
the row compiler, in the group compiler (or is explicitly left to rows) and in the Excel emitter;
a node type without one is reported as unsupported, never evaluated wrongly."""

import dataclasses

import numpy as np
import pytest

from unitsheet.engine import batching, compiler, ir
from unitsheet.exports.formulas import Emitter, Unsupported


@pytest.mark.parametrize("cls", ir.NODES, ids=lambda c: c.__name__)
def test_every_node_type_has_a_handler_in_every_backend(cls):
    assert cls in compiler.HANDLERS, f"the evaluators have no handler for {cls.__name__}"
    assert hasattr(Emitter, "_" + cls.__name__), f"the Excel emitter has no form for {cls.__name__}"
    for name, role in ir.roles(cls):
        assert role is not None or name == "span", (cls.__name__, name)


def test_every_field_has_a_role_and_children_follow_from_them():
    node = ir.Sum(ir.Const(1.0, ir.Type(None, ir.SCALAR)), (("+", ir.Ref("a", 0, ir.Type(None, ir.SERIES))),),
                  ir.Type(None, ir.SERIES))
    assert ir.children(node) == (node.first, node.rest[0][1])


def test_an_unknown_node_type_is_unsupported_in_every_backend():
    @dataclasses.dataclass(frozen=True)
    class Mystery:
        type: ir.Type

    node = Mystery(ir.Type(None, ir.SCALAR))
    with pytest.raises(compiler.Unsupported):
        compiler.Compiler(compiler.RowLeaves(np.arange(3.0)))([node])
    with pytest.raises(Unsupported):
        Emitter(None, None).formula(node, "Calculations", "x", None)
    with pytest.raises(batching.NotBatchable):
        batching.compile_group([node], {}, np.arange(3.0))
    with pytest.raises(batching.NotBatchable):
        batching.shape(node)


def test_rows_and_groups_share_every_handler_but_the_leaves():
    row, group = compiler.RowLeaves(np.arange(3.0)), compiler.GroupLeaves({}, np.arange(3.0))
    leaves = {"param", "ref", "at", "reduce", "running"}
    assert leaves <= set(dir(row)) and leaves <= set(dir(group))
    # the handlers are module functions, not methods of either leaf set
    assert all(h.__module__ == "unitsheet.engine.compiler" and not hasattr(compiler.RowLeaves, h.__name__)
               for h in compiler.HANDLERS.values())


def test_the_checked_model_is_frozen_after_checking():
    from unitsheet import engine

    checked = engine.load(__import__("conftest").ROOT / "models" / "openai_capex.ush").checked()
    q = checked.quantities["cost_per_gw"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.note = "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.title = "changed"
    with pytest.raises(ValueError):
        q.value[0] = 1.0  # input values are read-only, in their own object
    assert q.inputs is not None and checked.quantities["revenue"].inputs is None
    with pytest.raises(TypeError):
        checked.quantities["x"] = q
    assert isinstance(q.equations, tuple) and isinstance(checked.plan, tuple)


def test_a_function_no_entry_describes_is_unsupported_in_every_backend():
    node = ir.Func("frobnicate", (ir.Const(1.0, ir.Type(None, ir.SCALAR)),), ir.Type(None, ir.SCALAR))
    with pytest.raises(compiler.Unsupported):
        compiler.Compiler(compiler.RowLeaves(np.arange(3.0)))([node])
    with pytest.raises(Unsupported):
        Emitter(None, None).formula(node, "Calculations", "x", None)
    with pytest.raises(batching.NotBatchable):
        batching.shape(node)


def test_shapes_join_as_the_union_of_their_axes_in_first_seen_order():
    region, series, scalar = ir.Shape(("region",)), ir.SERIES, ir.SCALAR
    assert ir.join([]) == scalar
    assert ir.join([scalar, scalar]) == scalar
    assert ir.join([scalar, series]) == series and ir.join([series, scalar]) == series
    assert ir.join([series, region]).axes == ("time", "region")
    assert ir.join([region, series, region]).axes == ("region", "time")
    assert ir.join(s for s in (ir.Shape(("region", "time")), series)).axes == ("region", "time")
