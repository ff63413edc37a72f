"""savedmodel.train's checkpoint API against tf.train's on the same checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

from savedmodel import train
from savedmodel.errors import NotFoundError, SavedModelValueError
from savedmodel.format.bundle import BundleWriter


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf

    return tf


@pytest.fixture(scope="module")
def saved_checkpoint(tf, tmp_path_factory):
    """``tf.train.Checkpoint.save`` twice: a directory with a ``checkpoint`` state file."""
    directory = tmp_path_factory.mktemp("ckpt")
    root = tf.train.Checkpoint(
        w=tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3)),
        step=tf.Variable(np.int64(3)), scale=tf.Variable(0.5),
        flag=tf.Variable(True), names=tf.Variable(np.array([b"a", b"", b"c\x00"], object)),
        label=tf.Variable(np.array(b"scalar", object)),
        half=tf.Variable(np.ones((2, 2)), dtype=tf.bfloat16))
    root.save(str(directory / "ckpt"))
    root.w.assign(root.w * 2)
    root.save(str(directory / "ckpt"))
    return directory


def assert_same_value(ours, theirs) -> None:
    assert type(ours) is type(theirs)
    if isinstance(ours, np.ndarray):
        assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
        if ours.dtype == object:
            assert ours.reshape(-1).tolist() == theirs.reshape(-1).tolist()
        else:
            assert ours.tobytes() == theirs.tobytes()  # bit-exact, NaN included
    else:
        assert ours == theirs


def assert_reader_matches(tf, ckpt) -> None:
    ours, theirs = train.load_checkpoint(ckpt), tf.train.load_checkpoint(str(ckpt))
    shapes = theirs.get_variable_to_shape_map()
    assert ours.get_variable_to_shape_map() == shapes
    assert {k: v.name for k, v in ours.get_variable_to_dtype_map().items()} == {
        k: v.name for k, v in theirs.get_variable_to_dtype_map().items()}
    assert ours.debug_string() == theirs.debug_string()
    assert train.list_variables(ckpt) == tf.train.list_variables(str(ckpt))
    for key in shapes:
        assert ours.has_tensor(key) and theirs.has_tensor(key)
        assert_same_value(ours.get_tensor(key), theirs.get_tensor(key))


def test_checkpoint_directory(tf, saved_checkpoint):
    assert train.latest_checkpoint(saved_checkpoint) == tf.train.latest_checkpoint(
        str(saved_checkpoint))
    assert_reader_matches(tf, saved_checkpoint)
    reader = train.load_checkpoint(saved_checkpoint)
    assert reader.prefix.endswith("ckpt-2")
    assert reader.get_tensor("w/.ATTRIBUTES/VARIABLE_VALUE")[1, 2] == 10.0


def test_checkpoint_prefix(tf, saved_checkpoint):
    assert_reader_matches(tf, saved_checkpoint / "ckpt-1")
    with train.load_checkpoint(saved_checkpoint / "ckpt-1") as reader:
        assert not reader.has_tensor("missing")
        assert reader.get_tensor("label/.ATTRIBUTES/VARIABLE_VALUE") == b"scalar"


def test_get_tensor_returns_writable_copies(saved_checkpoint):
    reader = train.load_checkpoint(saved_checkpoint)
    value = reader.get_tensor("w/.ATTRIBUTES/VARIABLE_VALUE")
    value[0, 0] = 42.0
    assert reader.get_tensor("w/.ATTRIBUTES/VARIABLE_VALUE")[0, 0] == 0.0


def test_tf1_saver_checkpoint_with_partitioned_variable(tf, tf_model):
    directory = tf_model("ckpt_sharded") / "tf1"
    assert_reader_matches(tf, directory)
    assert train.list_variables(directory) == [("dense", [6]), ("part", [10, 4])]


def test_sharded_sliced_checkpoint(tf, tf_model):
    assert_reader_matches(tf, tf_model("ckpt_sharded") / "ckpt" / "ckpt")


def test_saved_model_directory(tf, tf_model, serving_fixtures):
    model = tf_model("tf2_dtypes") / "model"
    assert_reader_matches(tf, model / "variables" / "variables")
    assert train.list_variables(model) == tf.train.list_variables(
        str(model / "variables" / "variables"))
    half_plus_two = serving_fixtures / "saved_model_half_plus_two_cpu" / "00000123"
    assert train.list_variables(half_plus_two) == [("a", []), ("a2", []), ("b", []), ("c", []),
                                                   ("c2", [])]
    assert train.load_checkpoint(half_plus_two).get_tensor("a") == np.float32(0.5)


def test_relative_paths_in_state_file(tmp_path):
    with BundleWriter(tmp_path / "run" / "model-7") as writer:
        writer.add("x", np.float32(1.5))
    (tmp_path / "run" / "checkpoint").write_text(
        'model_checkpoint_path: "model-7"\nall_model_checkpoint_paths: "model-7"\n')
    assert train.latest_checkpoint(tmp_path / "run") == str(tmp_path / "run" / "model-7")
    assert train.list_variables(tmp_path / "run") == [("x", [])]


def test_errors_match_tensorflow(tf, tmp_path, saved_checkpoint):
    with pytest.raises(NotFoundError, match=r"Unsuccessful TensorSliceReader constructor: Failed "
                                            r"to find any matching files for .*nonexistent"):
        train.load_checkpoint(tmp_path / "nonexistent")
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.load_checkpoint(str(tmp_path / "nonexistent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file or checkpoints in given"):
        train.load_checkpoint(tmp_path / "empty")
    with pytest.raises(SavedModelValueError):
        train.list_variables(tmp_path / "empty")
    assert train.latest_checkpoint(tmp_path / "empty") is None
    (tmp_path / "stale").mkdir()
    (tmp_path / "stale" / "checkpoint").write_text('model_checkpoint_path: "gone-1"\n')
    assert train.latest_checkpoint(tmp_path / "stale") is tf.train.latest_checkpoint(
        str(tmp_path / "stale")) is None
    with pytest.raises(NotFoundError, match="Key 'zz' not found in checkpoint"):
        train.load_checkpoint(saved_checkpoint).get_tensor("zz")
