"""C++-order serialization, checked against TensorFlow's C++ serializer through its fingerprints.

``saved_model_checksum`` is Fingerprint64 of TensorFlow's C++ deterministic serialization of the whole
SavedModel, so equal checksums mean byte-identical serializations (up to a 64-bit hash collision).
"""

from __future__ import annotations

import json
import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from savedmodel._proto import (
    function_pb2,
    graph_debug_info_pb2,
    node_def_pb2,
    saved_model_pb2,
    tensor_pb2,
    tensor_shape_pb2,
)
from savedmodel.format import canonical
from savedmodel.format.fingerprint import fingerprint64
from savedmodel.format.saved_model_file import read_saved_model
from savedmodel.format.table import decode_varint

TF2_MODELS = ("module", "keras_save", "keras_export", "hash_table")


@pytest.fixture(scope="module")
def random_cases(tf_model):
    root = tf_model("fp_canonical")
    return root, json.loads((root / "cases.json").read_text())


@pytest.fixture(scope="module")
def models(tf_model):
    return tf_model("fp_models")


def test_random_protos_match_tensorflows_cpp_serialization(random_cases):
    root, cases = random_cases
    differs_from_upb = 0
    for name, expected in sorted(cases.items()):
        proto = saved_model_pb2.SavedModel.FromString((root / f"{name}.pb").read_bytes())
        ours = canonical.serialize(proto)
        differs_from_upb += ours != proto.SerializeToString(deterministic=True)
        if "error" not in expected:
            assert fingerprint64(ours) == expected["saved_model_checksum"], name
    assert len(cases) == 80 and differs_from_upb >= 20  # the cases do exercise the differences


@pytest.mark.parametrize("name", TF2_MODELS)
def test_tensorflow_written_models(models, name):
    expected = json.loads((models / "tf_fingerprints.json").read_text())[name]
    saved_model = read_saved_model(models / name)
    assert fingerprint64(canonical.serialize(saved_model)) == expected["saved_model_checksum"]
    # TF's Python writer (upb) orders "serving_default_1" before "serving_default": not canonical.
    if name == "module":
        assert canonical.serialize(saved_model) != (models / name / "saved_model.pb").read_bytes()


def test_string_keys_sort_bytewise_with_prefixes_first():
    node = node_def_pb2.NodeDef()
    for key in ("r_1", "r", "aa", "a", "ab", "b", "", "\u00e9", "z"):
        node.attr[key].i = 1
    entries = _map_entries(canonical.serialize(node), 5)
    keys = [node_def_pb2.NodeDef.AttrEntry.FromString(e).key for e in entries]
    assert keys == ["", "a", "aa", "ab", "b", "r", "r_1", "z", "\u00e9"]


def test_integer_keys_sort_ascending_with_key_and_value_always_written():
    function = function_pb2.FunctionDef()
    for key in (70000, 0, 255, 2, 1):
        function.resource_arg_unique_id[key] = 0
    entries = _map_entries(canonical.serialize(function), 8)
    assert entries == [b"\x08\x00\x10\x00", b"\x08\x01\x10\x00", b"\x08\x02\x10\x00",
                       b"\x08\xff\x01\x10\x00", b"\x08\xf0\xa2\x04\x10\x00"]


def test_fixed64_keys_and_proto2_messages():
    info = graph_debug_info_pb2.GraphDebugInfo()
    info.frames_by_id[2**64 - 1].line = 3
    info.frames_by_id[5].line = 4
    entries = _map_entries(canonical.serialize(info), 4)
    assert [struct.unpack("<Q", e[1:9])[0] for e in entries] == [5, 2**64 - 1]


def test_empty_message_values_are_written():
    node = node_def_pb2.NodeDef()
    node.attr["b"].SetInParent()
    node.attr["a"].SetInParent()
    assert canonical.serialize(node) == b"*\x05\n\x01a\x12\x00*\x05\n\x01b\x12\x00"


def test_unknown_fields_come_last_in_parse_order():
    unknown = (b"\xa0\x1f\x05" b"\xaa\x1f\x03xyz" b"\xad\x1f\x01\x02\x03\x04" b"\xa9\x1f01234567"
               b"\xa3\x1f\x08\x01\xa4\x1f")  # varint, bytes, fixed32, fixed64, group
    node = node_def_pb2.NodeDef.FromString(unknown + b"\x0a\x01n")
    node.attr["ab"].i = 1
    node.attr["a"].i = 2
    assert canonical.serialize(node) == (
        b"\x0a\x01n" + b"*\x07\n\x01a\x12\x02\x18\x02" + b"*\x08\n\x02ab\x12\x02\x18\x01" + unknown)


def test_nested_maps_and_negative_numbers():
    node = node_def_pb2.NodeDef(name="call", op="PartitionedCall")
    func = node.attr["f"].func
    func.name = "f"
    func.attr["Tout"].list.type.extend([1, 3])
    func.attr["T"].i = -1
    node.attr["Tin"].list.i.extend([-1, 2])
    node.attr["T"].list.f.extend([1.5, float("inf")])
    ours = canonical.serialize(node)
    assert node_def_pb2.NodeDef.FromString(ours) == node
    assert b"\n\x01T\x12\x0b\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" in ours  # ten-byte -1
    assert ours.index(b"\n\x01T\x12") < ours.index(b"\n\x04Tout")
    assert ours.index(b"\n\x01T\x12\x0c") < ours.index(b"\n\x03Tin")


_tensor_shapes = st.builds(
    lambda dims, unknown: tensor_shape_pb2.TensorShapeProto(
        dim=[{"size": d, "name": n} for d, n in dims], unknown_rank=unknown),
    st.lists(st.tuples(st.integers(-1, 2**40), st.sampled_from(["", "batch", "\u00e9"])),
             max_size=4),
    st.booleans())


@settings(max_examples=50, deadline=None)
@given(dtype=st.integers(0, 30), shape=_tensor_shapes, floats=st.lists(st.floats(width=32)),
       ints=st.lists(st.integers(-(2**31), 2**31 - 1)), strings=st.lists(st.binary(max_size=8)))
def test_map_free_messages_equal_upb(dtype, shape, floats, ints, strings):
    tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape, float_val=floats,
                                    int_val=ints, string_val=strings)
    assert canonical.serialize(tensor) == tensor.SerializeToString(deterministic=True)


@settings(max_examples=50, deadline=None)
@given(keys=st.lists(st.text(alphabet="ab_1\u00e9", max_size=4), max_size=6, unique=True),
       values=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=6, max_size=6))
def test_any_key_set_round_trips_and_is_sorted(keys, values):
    node = node_def_pb2.NodeDef()
    for key, value in zip(keys, values):
        node.attr[key].i = value
    ours = canonical.serialize(node)
    assert node_def_pb2.NodeDef.FromString(ours) == node
    got = [node_def_pb2.NodeDef.AttrEntry.FromString(e).key for e in _map_entries(ours, 5)]
    assert got == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_ten_megabyte_graph_is_fast_enough():
    saved_model = _big_saved_model(nodes=24000, functions=300)
    size = saved_model.ByteSize()
    start = time.perf_counter()
    ours = canonical.serialize(saved_model)
    elapsed = time.perf_counter() - start
    assert size > 10_000_000 and len(ours) == size
    assert saved_model_pb2.SavedModel.FromString(ours) == saved_model
    assert elapsed < 5.0, f"{elapsed:.2f}s for {size / 1e6:.1f} MB"


def _big_saved_model(nodes: int, functions: int) -> saved_model_pb2.SavedModel:
    saved_model = saved_model_pb2.SavedModel(saved_model_schema_version=1)
    graph = saved_model.meta_graphs.add().graph_def
    for i in range(nodes):
        node = graph.node.add(name=f"layer_{i}/MatMul", op="MatMul", input=[f"x{i}", f"w_{i}"])
        node.attr["T"].type = 1
        node.attr["Tidx"].type = 3
        node.attr["_output_shapes"].list.shape.add().dim.add(size=-1)
        const = graph.node.add(name=f"w_{i}", op="Const")
        const.attr["dtype"].type = 1
        const.attr["value"].tensor.tensor_content = bytes(256)
    for j in range(functions):
        function = graph.library.function.add()
        function.signature.name = f"__inference_f_{j}"
        for k in range(60):
            node = function.node_def.add(name=f"n{k}", op="AddV2", input=[f"n{k - 1}:z:0", "x"])
            node.attr["T"].type = 1
        function.ret["identity"] = "n59:z:0"
        function.ret["identity_1"] = "n58:z:0"
        function.resource_arg_unique_id[1] = 0
        function.resource_arg_unique_id[2] = 1
    return saved_model


def _map_entries(data: bytes, number: int) -> list[bytes]:
    """The bodies of the top-level length-delimited fields ``number`` of ``data``, in order."""
    entries, pos = [], 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        wire = tag & 7
        if wire == 2:
            size, pos = _varint(data, pos)
            if tag >> 3 == number:
                entries.append(data[pos:pos + size])
            pos += size
        elif wire == 0:
            pos = _varint(data, pos)[1]
        else:
            pos += 8 if wire == 1 else 4
    return entries


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    return decode_varint(data, pos, len(data))
