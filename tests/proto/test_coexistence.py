"""Our protos and TensorFlow's live in one process (private pool) and agree on bytes and text."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import descriptor_pool, text_format
from tensorflow.core.framework import attr_value_pb2 as tf_attr_value_pb2
from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2
from tensorflow.core.protobuf import saved_model_pb2 as tf_saved_model_pb2

from savedmodel._proto import POOL, parse_text, to_text
from savedmodel._proto import attr_value_pb2, meta_graph_pb2, saved_model_pb2

# The same folder as tests/conftest.py's SERVING_FIXTURES (not imported: several test folders
# have a conftest.py, so "import conftest" is ambiguous).
SHARED = Path(__file__).resolve().parents[3] / "shared"
SERVING_FIXTURES = SHARED / "fixtures" / "tensorflow-serving"
SAVED_MODELS = sorted(p.parent for p in SERVING_FIXTURES.glob("*/*/saved_model.pb"))


def test_there_are_fixtures():
    assert len(SAVED_MODELS) >= 10, SERVING_FIXTURES


def test_same_full_names_different_pools():
    assert saved_model_pb2.SavedModel.DESCRIPTOR.full_name == "tensorflow.SavedModel"
    assert saved_model_pb2.SavedModel is not tf_saved_model_pb2.SavedModel
    assert saved_model_pb2.DESCRIPTOR.pool is POOL
    assert tf_saved_model_pb2.DESCRIPTOR.pool is descriptor_pool.Default()
    with pytest.raises(KeyError):
        descriptor_pool.Default().FindFileByName("saved_model.proto")


@pytest.mark.parametrize("version_dir", SAVED_MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bytes_parse_identically_both_ways(version_dir):
    data = (version_dir / "saved_model.pb").read_bytes()
    ours = saved_model_pb2.SavedModel.FromString(data)
    theirs = tf_saved_model_pb2.SavedModel.FromString(data)
    ours_bytes = ours.SerializeToString(deterministic=True)
    theirs_bytes = theirs.SerializeToString(deterministic=True)
    assert ours_bytes == theirs_bytes
    assert tf_saved_model_pb2.SavedModel.FromString(ours_bytes) == theirs
    assert saved_model_pb2.SavedModel.FromString(theirs_bytes) == ours


@pytest.mark.parametrize("version_dir", SAVED_MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tensorflow_text_parses_in_ours(version_dir):
    data = (version_dir / "saved_model.pb").read_bytes()
    theirs = tf_saved_model_pb2.SavedModel.FromString(data)
    ours = saved_model_pb2.SavedModel.FromString(data)
    # str() is what TF's SavedModelBuilder writes to saved_model.pbtxt; with protobuf's upb
    # runtime it leaves Any unexpanded. text_format expands Any through the default pool.
    assert parse_text(str(theirs), saved_model_pb2.SavedModel()) == ours
    expanded = text_format.MessageToString(theirs)
    assert parse_text(expanded, saved_model_pb2.SavedModel()) == ours
    assert to_text(ours) == expanded


def test_expanded_any_text_round_trips_between_implementations():
    asset = tf_meta_graph_pb2.AssetFileDef(filename="foo.txt")
    asset.tensor_info.name = "Const:0"
    theirs = tf_meta_graph_pb2.MetaGraphDef()
    theirs.collection_def["saved_model_assets"].any_list.value.add().Pack(asset)
    text = text_format.MessageToString(theirs)
    assert "[type.googleapis.com/tensorflow.AssetFileDef]" in text

    ours = parse_text(text, meta_graph_pb2.MetaGraphDef())
    packed = ours.collection_def["saved_model_assets"].any_list.value[0]
    assert packed.type_url == "type.googleapis.com/tensorflow.AssetFileDef"
    assert to_text(ours) == text
    ours_bytes = ours.SerializeToString(deterministic=True)
    assert ours_bytes == theirs.SerializeToString(deterministic=True)


def test_attr_value_oneof_presence_matches():
    """A set-but-empty oneof member (scalar shape) is written by both."""
    theirs = tf_attr_value_pb2.AttrValue()
    theirs.shape.SetInParent()
    ours = attr_value_pb2.AttrValue()
    ours.shape.SetInParent()
    assert ours.SerializeToString() == theirs.SerializeToString() == b":\x00"
    assert attr_value_pb2.AttrValue.FromString(b":\x00").WhichOneof("value") == "shape"
