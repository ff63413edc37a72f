"""parse_text / to_text / pack_any / unpack_any, the Any class, and the generated files."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import any_pb2, text_format

import savedmodel._proto as sp
from savedmodel._proto import (
    TYPE_URL_PREFIX,
    Any,
    meta_graph_pb2,
    pack_any,
    parse_text,
    saved_object_graph_pb2,
    to_text,
    trackable_object_graph_pb2,
    unpack_any,
    versions_pb2,
)

REPO = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "src" / "savedmodel" / "_proto"


def _asset() -> meta_graph_pb2.AssetFileDef:
    asset = meta_graph_pb2.AssetFileDef(filename="foo.txt")
    asset.tensor_info.name = "Const:0"
    return asset


def test_pack_any_uses_tensorflow_type_url():
    packed = pack_any(_asset())
    assert isinstance(packed, Any)
    assert packed.type_url == TYPE_URL_PREFIX + "tensorflow.AssetFileDef"
    assert packed.value == _asset().SerializeToString(deterministic=True)


def test_unpack_any_round_trip_and_foreign_any():
    assert unpack_any(pack_any(_asset()), meta_graph_pb2.AssetFileDef) == _asset()
    foreign = any_pb2.Any(type_url="type.googleapis.com/tensorflow.AssetFileDef",
                          value=_asset().SerializeToString())
    assert unpack_any(foreign, meta_graph_pb2.AssetFileDef) == _asset()


def test_unpack_any_wrong_type():
    message = r"^Any holds 'tensorflow.AssetFileDef', expected 'tensorflow.VersionDef'\.$"
    with pytest.raises(TypeError, match=message):
        unpack_any(pack_any(_asset()), versions_pb2.VersionDef)


def test_well_known_type_mixins_work_on_our_any():
    """Our pool's Any class gets protobuf's Any mixin: Pack/Unpack/Is/TypeName."""
    info = meta_graph_pb2.MetaGraphDef.MetaInfoDef()
    assert type(info.any_info) is Any
    info.any_info.Pack(_asset())
    assert info.any_info.type_url == "type.googleapis.com/tensorflow.AssetFileDef"
    assert info.any_info.TypeName() == "tensorflow.AssetFileDef"
    assert info.any_info.Is(meta_graph_pb2.AssetFileDef.DESCRIPTOR)
    out = meta_graph_pb2.AssetFileDef()
    assert info.any_info.Unpack(out) and out == _asset()
    assert not info.any_info.Unpack(versions_pb2.VersionDef())


def test_our_any_is_not_protobufs_any_class():
    """Assigning protobuf's any_pb2.Any needs a byte copy (documented in _proto/__init__.py)."""
    obj = saved_object_graph_pb2.SavedObject()
    with pytest.raises(TypeError):
        obj.serialized_user_proto.CopyFrom(any_pb2.Any())
    obj.serialized_user_proto.ParseFromString(any_pb2.Any(type_url="x/y").SerializeToString())
    assert obj.serialized_user_proto.type_url == "x/y"


def test_bool_value_wrapper_field():
    node = trackable_object_graph_pb2.TrackableObjectGraph.TrackableObject()
    assert not node.HasField("has_checkpoint_values")
    node.has_checkpoint_values.value = False
    assert node.HasField("has_checkpoint_values")
    assert node.SerializeToString() == b"*\x00"


def test_to_text_expands_any_and_parse_text_reads_it_back():
    meta = meta_graph_pb2.MetaGraphDef()
    meta.collection_def["saved_model_assets"].any_list.value.append(pack_any(_asset()))
    text = to_text(meta)
    assert "[type.googleapis.com/tensorflow.AssetFileDef] {" in text
    assert parse_text(text, meta_graph_pb2.MetaGraphDef()) == meta


def test_parse_text_clears_the_message_first():
    version = versions_pb2.VersionDef(producer=1, bad_consumers=[7])
    assert parse_text("min_consumer: 12", version) == versions_pb2.VersionDef(min_consumer=12)


def test_parse_text_error():
    with pytest.raises(text_format.ParseError, match="no field named \"nope\""):
        parse_text("nope: 1", versions_pb2.VersionDef())


def test_every_module_imports_and_classes_live_in_our_package():
    names = sorted(m.name for m in pkgutil.iter_modules(sp.__path__) if m.name.endswith("_pb2"))
    protos = sorted(p.stem + "_pb2" for p in PROTO_DIR.glob("*.proto"))
    assert names == protos
    for name in names:
        module = importlib.import_module(f"savedmodel._proto.{name}")
        assert module.DESCRIPTOR.pool is sp.POOL
        for message in module.DESCRIPTOR.message_types_by_name:
            assert getattr(module, message).__module__ == f"savedmodel._proto.{name}"


def _gen_protos_module():
    spec = importlib.util.spec_from_file_location("gen_protos", REPO / "tools" / "gen_protos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_up_to_date():
    """Needs the pinned grpcio-tools (tools/gen_protos.py says why); skipped without it."""
    grpc_version = pytest.importorskip("grpc_tools.grpc_version", reason="no grpcio-tools")
    pinned = _gen_protos_module().GRPC_TOOLS_VERSION
    if grpc_version.VERSION != pinned:
        pytest.skip(f"grpcio-tools {grpc_version.VERSION} installed; regeneration needs {pinned}")
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_protos.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
