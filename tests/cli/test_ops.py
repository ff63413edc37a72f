"""``savedmodel ops``: the supported-op listing, and the per-model report of unsupported ops.

The listing is checked against the registry it prints; the model report against hand-made
SavedModels (an op nobody registered, used in the graph and inside a library function; an
unsupported op used only by a TF1 saver scope) and the TF Serving fixtures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixture_paths import SERVING_FIXTURES

from savedmodel._proto import saved_model_pb2
from savedmodel.cli import ops_command
from savedmodel.cli.main import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from savedmodel.errors import UnsupportedOpError
from savedmodel.format import saved_model_file
from savedmodel.ops import registry

UNKNOWN = "FrobnicateV7"


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the listing ---------------------------------------------------------------------------------


def test_lists_every_supported_op_once_with_type_constraints(capsys):
    code, out, _ = run_main(capsys, "ops")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == registry.supported_ops()
    add = next(line for line in lines if line.split()[0] == "AddV2")
    assert add.split(None, 1)[1] == ("T: {bfloat16, half, float, double, uint8, uint16, uint32, "
                                     "uint64, int8, int16, int32, int64, complex64, complex128}")
    cast = next(line for line in lines if line.split()[0] == "Cast")
    assert cast.split(None, 1)[1] == "SrcT: any  DstT: any"
    concat = next(line for line in lines if line.split()[0] == "ConcatV2")
    assert concat.split(None, 1)[1] == "T: any  Tidx: {int32, int64}"


def test_listing_json_matches_the_registry(capsys):
    code, out, _ = run_main(capsys, "ops", "--json")
    assert code == EXIT_OK
    ops = json.loads(out)["ops"]
    assert list(ops) == registry.supported_ops()
    assert "float" in ops["Relu"]["T"] and "half" in ops["Relu"]["T"]
    assert ops["Identity"] == {"T": None}


def test_type_names_use_register_op_spelling():
    from savedmodel.format import dtypes

    assert [ops_command.type_name(dtypes.as_dtype(n)) for n in ("float16", "float32", "float64",
                                                                "bfloat16", "string")] == [
        "half", "float", "double", "bfloat16", "string"]


def test_tag_set_without_dir_is_a_usage_error(capsys):
    code, _, err = run_main(capsys, "ops", "--tag_set", "serve")
    assert code == EXIT_USAGE
    assert "Error: --tag_set needs --dir." in err


# --- hand-made models ----------------------------------------------------------------------------


def _node(graph_or_fn, name, op, inputs=(), dtype=1):
    node = graph_or_fn.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    node.attr["T"].type = dtype
    return node


def _write_model(directory: Path, with_save_scope: bool = False) -> Path:
    """A TF1-style SavedModel: Placeholder x -> FrobnicateV7 in the graph and inside my_fn (which
    calls helper directly by name)."""
    saved_model = saved_model_pb2.SavedModel(saved_model_schema_version=1)
    mg = saved_model.meta_graphs.add()
    mg.meta_info_def.tags.append("serve")
    graph = mg.graph_def
    x = _node(graph.node, "x", "Placeholder")
    x.attr["dtype"].type = 1
    _node(graph.node, "weird", UNKNOWN, ["x"])
    call = _node(graph.node, "call", "StatefulPartitionedCall", ["x"])
    call.attr["f"].func.name = "my_fn"
    fn = graph.library.function.add()
    fn.signature.name = "my_fn"
    _node(fn.node_def, "inner", UNKNOWN, ["x"])
    _node(fn.node_def, "relu", "Relu", ["inner:y:0"])
    _node(fn.node_def, "nested_call", "helper", ["relu:activations:0"])
    helper = graph.library.function.add()
    helper.signature.name = "helper"
    _node(helper.node_def, "deep", "Relu", ["x"])
    if with_save_scope:
        _node(graph.node, "save/Const", "Const")
        _node(graph.node, "save/WriteIt", "WriteCheckpointZ", ["save/Const"])
        _node(graph.node, "save_1/WriteIt", "WriteCheckpointZ", ["save/Const"])
        mg.saver_def.save_tensor_name = "save/control_dependency:0"
    signature = mg.signature_def["serving_default"]
    signature.inputs["x"].name = "x:0"
    signature.inputs["x"].dtype = 1
    signature.outputs["y"].name = "weird:0"
    signature.outputs["y"].dtype = 1
    saved_model_file.write_saved_model(directory, saved_model)
    return directory


def test_unknown_op_reported_with_graph_and_function_nodes(capsys, tmp_path):
    model = _write_model(tmp_path / "m")
    code, out, _ = run_main(capsys, "ops", "--dir", str(model))
    assert code == EXIT_ERROR
    assert out.splitlines()[0] == ("The MetaGraph with tag set ['serve'] uses 4 ops: 3 supported, "
                                   "1 not supported.")
    assert "Supported: Placeholder, Relu, StatefulPartitionedCall" in out
    assert f"  {UNKNOWN}: used by 'my_fn/inner', 'weird'" in out


def test_unknown_op_json_and_load_refuses_the_same_op(capsys, tmp_path):
    model = _write_model(tmp_path / "m")
    code, out, _ = run_main(capsys, "ops", "--dir", str(model), "--tag_set", "serve", "--json")
    assert code == EXIT_ERROR
    report = json.loads(out)["meta_graphs"]
    assert report == [{"tags": ["serve"], "supported": ["Placeholder", "Relu",
                                                        "StatefulPartitionedCall"],
                       "unsupported": {UNKNOWN: ["my_fn/inner", "weird"]},
                       "unsupported_save_only": {}}]
    from savedmodel.saved_model.load import load

    with pytest.raises(UnsupportedOpError, match=UNKNOWN):
        load(model).signatures["serving_default"](x=np.zeros(2, np.float32))


def test_unsupported_op_only_in_saver_scope_does_not_fail(capsys, tmp_path):
    model = _write_model(tmp_path / "m", with_save_scope=True)
    report = ops_command.check_model(str(model))[0]
    assert report.save_only == {"WriteCheckpointZ": ["save/WriteIt", "save_1/WriteIt"]}
    assert report.unsupported == {UNKNOWN: ["my_fn/inner", "weird"]}
    assert "Only used to write checkpoints (never run by load or run): WriteCheckpointZ" in (
        ops_command.render_report(report))


def test_unknown_tag_set_is_an_error(capsys, tmp_path):
    model = _write_model(tmp_path / "m")
    code, _, err = run_main(capsys, "ops", "--dir", str(model), "--tag_set", "train")
    assert code == EXIT_ERROR
    assert err.startswith("Error: ") and "serve" in err


# --- real models ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["saved_model_counter/00000123",
                                     "saved_model_half_plus_two_cpu/00000123",
                                     "saved_model_half_plus_two_tf2_cpu/00000123"])
def test_fixtures_run_entirely_on_supported_ops(capsys, serving_fixtures, fixture):
    directory = serving_fixtures / fixture
    code, out, _ = run_main(capsys, "ops", "--dir", str(directory))
    assert code == EXIT_OK, out
    report = ops_command.check_model(str(directory))[0]
    graph_def = saved_model_file.read_saved_model(directory).meta_graphs[0].graph_def
    functions = {f.signature.name for f in graph_def.library.function}
    used = {n.op for n in graph_def.node} | {n.op for f in graph_def.library.function
                                             for n in f.node_def}
    assert set(report.supported) | set(report.save_only) == used - functions
    assert all(p.startswith(("save/", "__inference__traced_save_"))
               for paths in report.save_only.values() for p in paths)
    assert {"Placeholder", "Const"} <= set(report.supported)


def test_every_meta_graph_reported_without_tag_set(capsys, tmp_path):
    source = saved_model_file.read_saved_model(SERVING_FIXTURES / "saved_model_counter/00000123")
    extra = source.meta_graphs.add()
    extra.CopyFrom(source.meta_graphs[0])
    extra.meta_info_def.tags[:] = ["other"]
    saved_model_file.write_saved_model(tmp_path / "two", source)
    reports = ops_command.check_model(str(tmp_path / "two"))
    assert [r.tags for r in reports] == [["serve"], ["other"]]


def test_tf1_builder_two_meta_graphs_two_savers(capsys, tf_model):
    directory = tf_model("tf1_builder") / "binary"
    reports = ops_command.check_model(str(directory))
    assert sorted(r.tags for r in reports) == [["serve"], ["train"]]
    for report in reports:
        for op in [*report.unsupported, *report.save_only]:
            assert registry.lookup(op) is None or registry.lookup(op).kernel is None
        for op in report.supported:
            assert registry.lookup(op).kernel is not None
        assert all(p.startswith(("save/", "save_1/")) for paths in report.save_only.values()
                   for p in paths)
    code, out, _ = run_main(capsys, "ops", "--dir", str(directory), "--tag_set", "serve")
    serve = next(r for r in reports if r.tags == ["serve"])
    assert code == (EXIT_ERROR if serve.unsupported else EXIT_OK)
    assert out.startswith("The MetaGraph with tag set ['serve'] uses ")
