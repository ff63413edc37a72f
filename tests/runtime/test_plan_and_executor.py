"""The runtime on hand-written graphs: feeds cut the graph, errors are typed and name the nodes."""

from __future__ import annotations

import numpy as np
import pytest

import savedmodel.ops  # noqa: F401  (registers the kernels)
from savedmodel._proto import function_pb2, graph_pb2, parse_text
from savedmodel.errors import (
    InvalidArgumentError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnsupportedOpError,
)
from savedmodel.graph.function_library import FunctionLibrary
from savedmodel.graph.graph import Graph
from savedmodel.graph.refs import TensorRef
from savedmodel.runtime.executor import execute
from savedmodel.runtime.functions import FunctionRuntime
from savedmodel.runtime.plan import compile_plan

GRAPH = """
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2.0 } } } }
node { name: "y" op: "Mul" input: "x" input: "two" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "z" op: "AddV2" input: "y:0" input: "two" attr { key: "T" value { type: DT_FLOAT } } }
"""


def _graph(text: str) -> Graph:
    return Graph.from_graph_def(parse_text(text, graph_pb2.GraphDef()))


def _runtime(library_text: str = "") -> FunctionRuntime:
    return FunctionRuntime(FunctionLibrary(parse_text(library_text, function_pb2.FunctionDefLibrary())))


def test_feed_and_fetch() -> None:
    runtime = _runtime()
    plan = compile_plan(_graph(GRAPH), runtime.env, feeds=[TensorRef("x")], fetches=[TensorRef("z")])
    (z,) = execute(plan, [np.array([1.0, 3.0], np.float32)])
    np.testing.assert_array_equal(z, np.array([4.0, 8.0], np.float32))
    assert z.dtype == np.float32


def test_feeding_a_tensor_cuts_the_graph_above_it() -> None:
    runtime = _runtime()
    plan = compile_plan(_graph(GRAPH), runtime.env, feeds=[TensorRef("y")], fetches=[TensorRef("z")])
    assert [s.node for s in plan.steps] == ["z"]  # x (an unfed Placeholder) never runs; "two" is
    assert plan.template[1] == np.float32(2.0)  # a constant, materialized once at plan time
    (z,) = execute(plan, [np.float32(5.0)])
    assert z == np.float32(7.0)


def test_unfed_placeholder_says_which() -> None:
    runtime = _runtime()
    plan = compile_plan(_graph(GRAPH), runtime.env, fetches=[TensorRef("z")])
    with pytest.raises(InvalidArgumentError, match="placeholder tensor 'x'"):
        execute(plan, [])


def test_every_unsupported_op_is_reported_at_once() -> None:
    text = GRAPH + """
    node { name: "a" op: "NoSuchOpA" input: "z" }
    node { name: "b" op: "NoSuchOpB" input: "a" }
    node { name: "c" op: "NoSuchOpA" input: "b" }"""
    with pytest.raises(UnsupportedOpError) as info:
        compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("c")])
    assert info.value.ops == {"NoSuchOpA": ["a", "c"], "NoSuchOpB": ["b"]}
    assert "NoSuchOpA (used by 'a', 'c')" in str(info.value)


def test_a_cycle_is_an_error_naming_its_nodes() -> None:
    text = """
    node { name: "a" op: "Identity" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "b" op: "Identity" input: "a" attr { key: "T" value { type: DT_FLOAT } } }"""
    with pytest.raises(InvalidArgumentError, match=r"cycle through nodes \['a', 'b'\]"):
        compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("b")])


def test_missing_input_node() -> None:
    text = 'node { name: "a" op: "Identity" input: "ghost" attr { key: "T" value { type: DT_FLOAT } } }'
    with pytest.raises(Exception, match="'ghost' is not in the graph"):
        compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("a")])


def test_const_with_wrong_content_size() -> None:
    text = """node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
      attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } }
                                           tensor_content: "\\000\\000\\200?" } } } }"""
    with pytest.raises(InvalidArgumentError, match="tensor_content holds 4 bytes, expected 12"):
        compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("c")])


def test_huge_const_shape_with_empty_content_is_refused_before_allocating() -> None:
    text = """node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
      attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1000000 }
                                           dim { size: 1000000 } } } } } }"""
    with pytest.raises(ResourceExhaustedError, match=r"shape \(1000000, 1000000\) needs 4000000000000 bytes"):
        compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("c")])


LOOP_LIBRARY = """
function {
  signature { name: "forever_cond" input_arg { name: "i" type: DT_INT32 }
              output_arg { name: "out" type: DT_BOOL } }
  node_def { name: "t" op: "Const" attr { key: "dtype" value { type: DT_BOOL } }
             attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: true } } } }
  ret { key: "out" value: "t:output:0" }
}
function {
  signature { name: "step" input_arg { name: "i" type: DT_INT32 } output_arg { name: "out" type: DT_INT32 } }
  ret { key: "out" value: "i" }
}
"""


def test_endless_while_loop_stops_at_the_iteration_cap() -> None:
    from savedmodel.ops.context import RuntimeOptions

    library = FunctionLibrary(parse_text(LOOP_LIBRARY, function_pb2.FunctionDefLibrary()))
    runtime = FunctionRuntime(library, options=RuntimeOptions(max_loop_iterations=50))
    text = """
    node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
    node { name: "w" op: "StatelessWhile" input: "i"
           attr { key: "T" value { list { type: DT_INT32 } } }
           attr { key: "cond" value { func { name: "forever_cond" } } }
           attr { key: "body" value { func { name: "step" } } } }"""
    plan = compile_plan(_graph(text), runtime.env, feeds=[TensorRef("i")], fetches=[TensorRef("w")])
    with pytest.raises(ResourceExhaustedError, match="more than 50 iterations"):
        execute(plan, [np.int32(0)])


def test_function_call_cycles_are_refused_at_load() -> None:
    text = """
    function { signature { name: "f" } node_def { name: "c" op: "PartitionedCall"
               attr { key: "f" value { func { name: "g" } } } } }
    function { signature { name: "g" } node_def { name: "c" op: "PartitionedCall"
               attr { key: "f" value { func { name: "f" } } } } }"""
    with pytest.raises(InvalidArgumentError, match="call cycle: f -> g -> f"):
        _runtime(text)


def test_checkpoint_reads_outside_the_model_are_refused(tmp_path) -> None:
    text = """
    node { name: "p" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
           attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape {} string_val: "/etc/x" } } } }
    node { name: "n" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
           attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "v" } } } }
    node { name: "r" op: "RestoreV2" input: "p" input: "n" input: "n"
           attr { key: "dtypes" value { list { type: DT_FLOAT } } } }"""
    plan = compile_plan(_graph(text), _runtime().env, fetches=[TensorRef("r")])
    with pytest.raises(PermissionDeniedError, match="'RestoreV2' reads or writes files"):
        execute(plan, [])


def test_call_depth_is_bounded() -> None:
    from savedmodel.ops.context import RuntimeOptions

    chain = "".join(
        f'function {{ signature {{ name: "f{i}" output_arg {{ name: "o" type: DT_INT32 }} }} '
        f'node_def {{ name: "c" op: "PartitionedCall" attr {{ key: "Tin" value {{ list {{}} }} }} '
        f'attr {{ key: "Tout" value {{ list {{ type: DT_INT32 }} }} }} '
        f'attr {{ key: "f" value {{ func {{ name: "f{i + 1}" }} }} }} }} '
        f'ret {{ key: "o" value: "c:output:0" }} }}\n' for i in range(20))
    chain += ('function { signature { name: "f20" output_arg { name: "o" type: DT_INT32 } } '
              'node_def { name: "k" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
              'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 7 } } } } '
              'ret { key: "o" value: "k:output:0" } }')
    library = FunctionLibrary(parse_text(chain, function_pb2.FunctionDefLibrary()))
    assert FunctionRuntime(library).call("f0", []) == [np.int32(7)]
    shallow = FunctionRuntime(library, options=RuntimeOptions(max_call_depth=10))
    with pytest.raises(ResourceExhaustedError, match="call depth exceeds 10"):
        shallow.call("f0", [])
