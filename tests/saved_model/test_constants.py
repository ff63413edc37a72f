"""Every tf.saved_model constant, with TensorFlow's value, iterating over TensorFlow's own modules."""

from __future__ import annotations

import json

import pytest

import savedmodel.saved_model as sm
from savedmodel.format import saved_model_file
from savedmodel.saved_model import constants, signature_constants, tag_constants

OURS = {
    "tf.saved_model": sm,
    "tf.compat.v1.saved_model.constants": constants,
    "tf.compat.v1.saved_model.tag_constants": tag_constants,
    "tf.compat.v1.saved_model.signature_constants": signature_constants,
    "python.constants": constants,
    "python.tag_constants": tag_constants,
    "python.signature_constants": signature_constants,
    "pywrap.constants": constants,
}


@pytest.fixture(scope="module")
def tf_constants(tf_model):
    return json.loads((tf_model("fp_oracle") / "oracle.json").read_text())["constants"]


@pytest.mark.parametrize("tf_module", sorted(OURS))
def test_every_constant_has_tensorflows_value(tf_constants, tf_module):
    ours = OURS[tf_module]
    expected = tf_constants[tf_module]
    assert expected, tf_module
    missing = sorted(set(expected) - set(dir(ours)))
    assert not missing, f"{ours.__name__} lacks {missing}"
    for name, value in expected.items():
        assert getattr(ours, name) == value, name
        assert type(getattr(ours, name)) is type(value), name


def test_v1_flat_namespace_is_covered(tf_constants):
    for name, value in tf_constants["tf.compat.v1.saved_model"].items():
        found = [getattr(m, name) for m in (constants, tag_constants, signature_constants)
                 if hasattr(m, name)]
        assert found == [value], name


def test_saved_model_exports_exactly_tensorflows_v2_constants(tf_constants):
    ours = {name for name in sm.__all__ if name.isupper()}
    assert ours == set(tf_constants["tf.saved_model"])


@pytest.mark.parametrize("module", [sm, constants, tag_constants, signature_constants],
                         ids=lambda m: m.__name__)
def test_all_is_sorted_and_complete(module):
    assert module.__all__ == sorted(module.__all__)
    public = {name for name in vars(module) if name.isupper()}
    assert public <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)


def test_file_names_have_one_source():
    for name in ("ASSETS_DIRECTORY", "SAVED_MODEL_FILENAME_PB", "VARIABLES_FILENAME",
                 "FINGERPRINT_FILENAME", "SAVED_MODEL_SCHEMA_VERSION"):
        assert getattr(constants, name) is getattr(saved_model_file, name)


def test_contains_saved_model_is_exported(tmp_path):
    assert sm.contains_saved_model is saved_model_file.contains_saved_model
    assert not sm.contains_saved_model(tmp_path)
    (tmp_path / sm.SAVED_MODEL_FILENAME_PB).write_bytes(b"")
    assert sm.contains_saved_model(tmp_path)
