"""``scan``: clean models report nothing at or above medium; each hostile model its own finding.

The hostile corpus is built here from the TF Serving fixtures: each test copies a fixture into
``tmp_path`` and edits its protos (or files) to carry one attack, so no hostile binary is committed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fixture_paths import SERVING_FIXTURES, serving_saved_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from savedmodel._proto import (
    attr_value_pb2,
    function_pb2,
    meta_graph_pb2,
    node_def_pb2,
    saved_model_pb2,
    tensor_bundle_pb2,
    tensor_shape_pb2,
    trackable_object_graph_pb2,
    types_pb2,
)
from savedmodel.errors import (
    NotFoundError,
    PermissionDeniedError,
    SavedModelError,
    SavedModelValueError,
)
from savedmodel.format import saved_model_file
from savedmodel.format import table as table_format
from savedmodel.format.bundle import BundleReader, BundleWriter
from savedmodel.saved_model.scan import Finding, ScanReport, scan

TF1 = SERVING_FIXTURES / "saved_model_half_plus_two_cpu" / "00000123"
TF2 = SERVING_FIXTURES / "saved_model_half_plus_two_tf2_cpu" / "00000123"
CORPUS = {"keras_mlp": ["export", "saved"], "tf1_builder": ["binary", "text"],
          "tf2_lookup": ["model"], "keras_rnn": ["export", "saved"],
          "keras_preprocessing": ["export", "saved"], "tf1_while_cond": ["model"],
          "tf2_module_control_flow": ["model"]}

Edit = Callable[[saved_model_pb2.SavedModel], None]


# -- building hostile models -------------------------------------------------------------------


def hostile_copy(tmp_path: Path, source: Path, edit: Edit | None = None) -> Path:
    """A copy of ``source`` in tmp_path (without fingerprint.pb), its saved_model.pb edited."""
    model = tmp_path / "model"
    shutil.copytree(source, model)
    (model / "fingerprint.pb").unlink(missing_ok=True)
    if edit is not None:
        proto = saved_model_file.read_saved_model(model)
        edit(proto)
        saved_model_file.write_saved_model(model, proto)
    return model


def node(name: str, op: str, inputs: tuple[str, ...] = (), **attrs: attr_value_pb2.AttrValue
         ) -> node_def_pb2.NodeDef:
    made = node_def_pb2.NodeDef(name=name, op=op, input=list(inputs))
    for key, value in attrs.items():
        made.attr[key].CopyFrom(value)
    return made


def string_const(name: str, *values: str) -> node_def_pb2.NodeDef:
    tensor = {"dtype": types_pb2.DT_STRING, "string_val": [v.encode() for v in values]}
    if len(values) > 1:
        tensor["tensor_shape"] = {"dim": [{"size": len(values)}]}
    return node(name, "Const", dtype=attr_value_pb2.AttrValue(type=types_pb2.DT_STRING),
                value=attr_value_pb2.AttrValue(tensor=tensor))


def func_attr(name: str) -> attr_value_pb2.AttrValue:
    return attr_value_pb2.AttrValue(func={"name": name})


def function(name: str, *nodes: node_def_pb2.NodeDef) -> function_pb2.FunctionDef:
    made = function_pb2.FunctionDef()
    made.signature.name = name
    made.node_def.extend(nodes)
    return made


def call(name: str, callee: str) -> node_def_pb2.NodeDef:
    return node(name, "PartitionedCall", f=func_attr(callee))


def add_functions(*functions: function_pb2.FunctionDef) -> Edit:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        proto.meta_graphs[0].graph_def.library.function.extend(functions)
    return edit


def add_nodes(*nodes: node_def_pb2.NodeDef) -> Edit:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        proto.meta_graphs[0].graph_def.node.extend(nodes)
    return edit


def codes(report: ScanReport, severity: str = "medium") -> set[str]:
    return {f.code for f in report.at_or_above(severity)}


def only(report: ScanReport, code: str) -> list[Finding]:
    """The findings with ``code``; each hostile model must fail the default ``--fail-on medium``."""
    found = [f for f in report.findings if f.code == code]
    assert found, f"no {code} finding in {report.findings}"
    assert report.at_or_above("medium"), "the CLI would exit 0 on this model"
    return found


# -- clean models ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", serving_saved_models(), ids=lambda p: p.parent.name)
def test_serving_fixtures_are_clean(model: Path) -> None:
    report = scan(model)
    assert report.at_or_above("medium") == [], report.findings


@pytest.mark.parametrize("name,variant", [(n, v) for n, vs in CORPUS.items() for v in vs])
def test_corpus_models_are_clean(tf_model, name: str, variant: str) -> None:
    report = scan(tf_model(name) / variant)
    assert report.at_or_above("medium") == [], report.findings


def test_unsupported_pure_ops_are_low(tf_model) -> None:
    report = scan(tf_model("keras_rnn") / "saved")
    assert {f.code for f in report.findings} == {"unsupported-op"}
    assert any("TensorListReserve" in f.message for f in report.findings)


# -- ops ---------------------------------------------------------------------------------------


def test_read_file_hidden_in_a_nested_function_and_an_if_branch(tmp_path) -> None:
    inner = function("evil_inner", string_const("path", "/etc/passwd"),
                     node("read", "ReadFile", ("path:output:0",)))
    outer = function("evil_outer", call("call_inner", "evil_inner"))
    branch = function("evil_branch", string_const("path", "/etc/shadow"),
                      node("read", "ReadFile", ("path:output:0",)))
    empty = function("plain_branch")
    cond = node("cond", "Const", dtype=attr_value_pb2.AttrValue(type=types_pb2.DT_BOOL),
                value=attr_value_pb2.AttrValue(tensor={"dtype": types_pb2.DT_BOOL,
                                                       "bool_val": [True]}))
    with_if = function("evil_if", cond, node("if", "If", ("cond:output:0",),
                                              then_branch=func_attr("evil_branch"),
                                              else_branch=func_attr("plain_branch")))
    model = hostile_copy(tmp_path, TF2, add_functions(inner, outer, branch, empty, with_if))
    report = scan(model)
    wheres = {f.where for f in only(report, "io-op")}
    assert wheres == {"serve / evil_inner / read", "serve / evil_branch / read"}
    assert all(f.severity == "high" for f in only(report, "io-op"))


@pytest.mark.parametrize("op", ["PyFunc", "EagerPyFunc", "PyFuncStateless"])
def test_python_ops_are_critical(tmp_path, op) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(node("py", op, token=attr_value_pb2.AttrValue(
        s=b"pyfunc_0"))))
    finding, = only(scan(model), "python-op")
    assert (finding.severity, finding.where) == ("critical", "serve / py")


def test_write_file_is_critical(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(
        string_const("target", "/tmp/owned"), string_const("data", "x"),
        node("write", "WriteFile", ("target", "data"))))
    finding, = only(scan(model), "file-write-op")
    assert (finding.severity, finding.where) == ("critical", "serve / write")


def test_save_outside_the_saver_is_reported(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(
        string_const("evil/prefix", "/tmp/stolen"), string_const("evil/names", "x"),
        string_const("evil/slices", ""), node("evil/SaveV2", "SaveV2",
                                              ("evil/prefix", "evil/names", "evil/slices", "x"))))
    finding, = only(scan(model), "file-write-op")
    assert finding.where == "serve / evil/SaveV2"


def test_save_in_the_saver_scope_with_an_outside_prefix_is_reported(tmp_path) -> None:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        graph = proto.meta_graphs[0].graph_def
        save = next(n for n in graph.node if n.op == "SaveV2")
        graph.node.append(string_const("save/evil_prefix", "/etc/cron.d/job"))
        save.input[0] = "save/evil_prefix"

    finding, = only(scan(hostile_copy(tmp_path, TF1, edit)), "saver-outside-path")
    assert finding.severity == "critical" and "/etc/cron.d/job" in finding.message


def test_traced_save_function_with_an_outside_prefix_is_reported(tmp_path) -> None:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        library = proto.meta_graphs[0].graph_def.library
        save_fn = next(f for f in library.function
                       if f.signature.name.startswith("__inference__traced_save"))
        save_fn.node_def.append(string_const("evil", "../../../outside"))
        save = next(n for n in save_fn.node_def if n.op == "SaveV2")
        save.input[0] = "evil:output:0"

    finding, = only(scan(hostile_copy(tmp_path, TF2, edit)), "saver-outside-path")
    assert "__inference__traced_save" in finding.where


def test_print_to_a_file_is_reported(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(node(
        "print", "PrintV2", ("x",), output_stream=attr_value_pb2.AttrValue(s=b"file:///tmp/log"))))
    finding, = only(scan(model), "print-to-file")
    assert finding.severity == "high"


def test_unknown_ops_are_medium_and_the_allowlist_trusts_them(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(node("mystery", "TotallyCustomOp")))
    finding, = only(scan(model), "unknown-op")
    assert (finding.severity, finding.where) == ("medium", "serve / mystery")
    assert codes(scan(model, op_allowlist=["TotallyCustomOp"])) == set()


def test_denylist_reports_pure_ops(tmp_path) -> None:
    report = scan(TF2, op_denylist=["Mul"])
    assert {f.code for f in report.at_or_above("medium")} == {"op-denied"}
    assert all(f.where.endswith("/ Mul") for f in only(report, "op-denied"))


# -- assets and tables -------------------------------------------------------------------------


def _asset_named(filename: str) -> Edit:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        value = proto.meta_graphs[0].collection_def["saved_model_assets"].any_list.value[0]
        asset = meta_graph_pb2.AssetFileDef.FromString(value.value)
        asset.filename = filename
        value.value = asset.SerializeToString()
    return edit


@pytest.mark.parametrize("filename", ["../../outside.txt", "/etc/passwd", "a\x00b"])
def test_asset_names_that_escape_are_reported(tmp_path, filename) -> None:
    finding, = only(scan(hostile_copy(tmp_path, TF1, _asset_named(filename))), "asset-escape")
    assert finding.severity == "high"


def test_asset_symlink_leaving_the_model_is_reported(tmp_path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("sentinel\n")
    model = hostile_copy(tmp_path, TF1, _asset_named("link.txt"))
    (model / "assets" / "link.txt").symlink_to(outside)
    report = scan(model)
    assert codes(report) == {"asset-escape", "symlink-escape"}
    assert only(report, "symlink-escape")[0].where == os.path.join("assets", "link.txt")


def test_table_initialized_from_etc_passwd(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(
        node("table", "HashTableV2"), string_const("vocab", "/etc/passwd"),
        node("init", "InitializeTableFromTextFileV2", ("table", "vocab"))))
    finding, = only(scan(model), "table-file-outside-assets")
    assert finding.where == "serve / init" and "/etc/passwd" in finding.message


def test_table_initialized_from_an_asset_is_clean(tmp_path) -> None:
    def edit(proto: saved_model_pb2.SavedModel) -> None:
        graph = proto.meta_graphs[0].graph_def
        value = proto.meta_graphs[0].collection_def["saved_model_assets"].any_list.value[0]
        asset_tensor = meta_graph_pb2.AssetFileDef.FromString(value.value).tensor_info.name
        graph.node.extend([node("table", "HashTableV2"), node(
            "init", "InitializeTableFromTextFileV2", ("table", asset_tensor))])

    assert codes(scan(hostile_copy(tmp_path, TF1, edit))) == set()


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,code", [("model.pkl", "pickle-file"), ("x.pickle", "pickle-file"),
                                       ("assets/hook.py", "python-file"),
                                       ("variables/x.pyc", "python-file")])
def test_code_files_inside_the_model(tmp_path, name, code) -> None:
    model = hostile_copy(tmp_path, TF1)
    (model / name).write_bytes(b"\x80\x04K\x01.")
    finding, = only(scan(model), code)
    assert finding.where == name


def test_keras_lambda_layer(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF2)
    (model / "keras_metadata.pb").write_bytes(
        b'\n\x05\x12\x03{"class_name": "Lambda", "config": {"function": ["4wEAAAAA..."]}}')
    finding, = only(scan(model), "keras-lambda")
    assert finding.severity == "high"


def test_symlink_to_a_directory_outside(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    (model / "etc").symlink_to("/etc")
    assert codes(scan(model)) == {"symlink-escape"}


def test_variables_symlinked_outside_are_not_read(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    shutil.move(model / "variables", tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "variables.data-00000-of-00001").write_bytes(b"")  # would be a finding
    (model / "variables").symlink_to(tmp_path / "elsewhere")
    assert codes(scan(model)) == {"symlink-escape"}


def test_saved_model_pb_symlinked_outside_is_refused(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    shutil.move(model / "saved_model.pb", tmp_path / "outside.pb")
    (model / "saved_model.pb").symlink_to(tmp_path / "outside.pb")
    with pytest.raises(PermissionDeniedError, match="outside the model directory"):
        scan(model)


# -- checkpoint --------------------------------------------------------------------------------


def test_flipped_byte_in_the_data_file_is_a_checksum_finding(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    data = model / "variables" / "variables.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[0] ^= 0xFF
    data.write_bytes(bytes(raw))
    report = scan(model)
    assert codes(report) == {"checkpoint-checksum"}
    assert only(report, "checkpoint-checksum")[0].where.startswith("variables/variables / ")


def _tamper_entry(model: Path, **fields: object) -> None:
    """Rewrites the first tensor entry of the model's variables.index with ``fields`` changed."""
    index = model / "variables" / "variables.index"
    items = list(table_format.TableReader.open(index).items())
    key, value = items[1]
    entry = tensor_bundle_pb2.BundleEntryProto.FromString(value)
    for name, field_value in fields.items():
        if name == "shape":
            entry.shape.ClearField("dim")
            entry.shape.dim.extend(tensor_shape_pb2.TensorShapeProto.Dim(size=d)
                                   for d in field_value)  # type: ignore[attr-defined]
        else:
            setattr(entry, name, field_value)
    items[1] = (key, entry.SerializeToString())
    with open(index, "wb") as handle:
        writer = table_format.TableWriter(handle)
        for item_key, item_value in items:
            writer.add(item_key, item_value)
        writer.finish()


@pytest.mark.parametrize("fields", [{"size": 1 << 40}, {"offset": (1 << 63) - 4},
                                    {"shard_id": 7}, {"shape": [-1, 3]},
                                    {"shape": [1 << 40, 1 << 40]}, {"crc32c": 1234}])
def test_tampered_index_entries(tmp_path, fields) -> None:
    model = hostile_copy(tmp_path, TF1)
    _tamper_entry(model, **fields)
    report = scan(model)
    assert codes(report) <= {"checkpoint-entry", "checkpoint-checksum", "checkpoint-unreadable"}
    assert codes(report), report.findings


def test_truncated_data_file_is_an_entry_finding(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(b"")
    assert codes(scan(model)) == {"checkpoint-entry"}


def test_garbage_index_is_unreadable(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1)
    (model / "variables" / "variables.index").write_bytes(b"not a table" * 10)
    assert codes(scan(model)) == {"checkpoint-unreadable"}


def test_object_graph_naming_a_missing_key(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF2)
    prefix = str(model / "variables" / "variables")
    with BundleReader(prefix) as reader:
        values = {key: np.array(reader.read(key)) for key in reader.keys()}  # noqa: SIM118
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
        values["_CHECKPOINTABLE_OBJECT_GRAPH"].item())
    graph.nodes[0].attributes.add(name="VARIABLE_VALUE", checkpoint_key="ghost/.ATTRIBUTES/X")
    values["_CHECKPOINTABLE_OBJECT_GRAPH"] = np.array(graph.SerializeToString(), dtype=object)
    for suffix in (".index", ".data-00000-of-00001"):
        os.remove(prefix + suffix)
    with BundleWriter(prefix) as writer:
        for key, value in values.items():
            writer.add(key, value)
    finding, = only(scan(model), "checkpoint-key-missing")
    assert "ghost/.ATTRIBUTES/X" in finding.message


# -- fingerprint -------------------------------------------------------------------------------


def test_fingerprint_mismatch_after_an_edit(tmp_path) -> None:
    model = tmp_path / "model"
    shutil.copytree(TF2, model)
    proto = saved_model_file.read_saved_model(model)
    proto.meta_graphs[0].signature_def["serving_default"].method_name = "tampered"
    saved_model_file.write_saved_model(model, proto)
    found = {f.where for f in only(scan(model), "fingerprint-mismatch")}
    assert found == {"fingerprint.pb / saved_model_checksum", "fingerprint.pb / signature_def_hash"}


def test_garbage_fingerprint(tmp_path) -> None:
    model = tmp_path / "model"
    shutil.copytree(TF2, model)
    (model / "fingerprint.pb").write_bytes(b"\xff\xff\xff")
    assert codes(scan(model)) == {"fingerprint-unreadable"}


# -- structure ---------------------------------------------------------------------------------


def test_function_cycle(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF2, add_functions(
        function("loop_a", call("c", "loop_b")), function("loop_b", call("c", "loop_a"))))
    finding, = only(scan(model), "function-cycle")
    assert finding.severity == "high" and "loop_a -> loop_b -> loop_a" in finding.message


def test_unparsable_function_library(tmp_path) -> None:
    twice = function("twice", node("read", "ReadFile", ("x",)))
    model = hostile_copy(tmp_path, TF2, add_functions(twice, twice))
    report = scan(model)
    assert "duplicate function 'twice'" in only(report, "bad-function-library")[0].message
    assert only(report, "io-op")[0].where == "serve / twice / read"  # still walked


def test_absurd_call_nesting(tmp_path) -> None:
    chain = [function(f"level_{i}", call("c", f"level_{i + 1}")) for i in range(80)]
    model = hostile_copy(tmp_path, TF2, add_functions(*chain, function("level_80")))
    finding, = only(scan(model), "deep-nesting")
    assert "81 deep" in finding.message


def _const(name: str, dims: list[int], content: bytes = b"") -> node_def_pb2.NodeDef:
    tensor = {"dtype": types_pb2.DT_FLOAT, "tensor_shape": {"dim": [{"size": d} for d in dims]},
              "tensor_content": content}
    return node(name, "Const", dtype=attr_value_pb2.AttrValue(type=types_pb2.DT_FLOAT),
                value=attr_value_pb2.AttrValue(tensor=tensor))


@pytest.mark.parametrize("dims,content,code", [
    ([1 << 20, 1 << 20], b"", "const-size-bomb"),
    ([1 << 40, 1 << 40], b"", "const-shape-overflow"),
    ([-5, 3], b"", "const-negative-dim"),
    ([1000], b"\x00" * 8, "const-content-mismatch"),
])
def test_const_size_bombs(tmp_path, dims, content, code) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(_const("bomb", dims, content)))
    finding, = only(scan(model), code)
    assert (finding.severity, finding.where) == ("high", "serve / bomb")


def test_const_bomb_inside_a_function(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF2, add_functions(function("f", _const("bomb", [1 << 30]))))
    assert only(scan(model), "const-size-bomb")[0].where == "serve / f / bomb"


# -- the report --------------------------------------------------------------------------------


def test_findings_are_sorted_worst_first_and_serialize(tmp_path) -> None:
    model = hostile_copy(tmp_path, TF1, add_nodes(node("mystery", "CustomOp"), node("py", "PyFunc")))
    report = scan(model)
    assert [f.severity for f in report.findings] == ["critical", "medium"]
    assert report.to_dict()["counts"] == {"info": 0, "low": 0, "medium": 1, "high": 0,
                                          "critical": 1}
    with pytest.raises(SavedModelValueError, match="severity 'severe'"):
        report.at_or_above("severe")


def test_tag_selection_and_missing_model(tmp_path) -> None:
    assert scan(TF1, tags="serve").findings == scan(TF1).findings
    with pytest.raises(NotFoundError):
        scan(tmp_path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from([TF1, TF2]), target=st.sampled_from(["saved_model.pb", "variables/variables.index",
                               "variables/variables.data-00000-of-00001"]),
       flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), min_size=1,
                      max_size=4))
def test_flipped_bytes_give_a_report_or_a_typed_error(tmp_path_factory, source, target,
                                                      flips) -> None:
    model = hostile_copy(tmp_path_factory.mktemp("fuzz"), source)
    path = model / target
    raw = bytearray(path.read_bytes())
    for position, mask in flips:
        raw[position % len(raw)] ^= mask
    path.write_bytes(bytes(raw))
    try:
        report = scan(model)
    except SavedModelError:
        return
    assert all(f.severity in ("info", "low", "medium", "high", "critical") for f in report.findings)
