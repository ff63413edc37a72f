"""The revived TF2 object graph: variables, polymorphic functions, signatures, errors."""

from __future__ import annotations

import numpy as np
import pytest
from tf_corpus.cases import checkpoint_values

import savedmodel
from savedmodel.errors import SavedModelValueError


def test_variables_hold_the_checkpoint_values(tf_model) -> None:
    entry = tf_model("tf2_dtypes")
    loaded = savedmodel.load(entry / "model")
    expected = {k.split("/")[0]: v for k, v in checkpoint_values(entry).items() if k.endswith("VARIABLE_VALUE")}
    assert len(loaded.variables) == len(expected)
    for key, value in expected.items():
        variable = getattr(loaded, key)
        got = np.asarray(variable.value())
        assert got.shape == value.shape and got.dtype == value.dtype, key
        if value.dtype == object:
            assert [bytes(x) for x in got.reshape(-1)] == [bytes(x) for x in value.reshape(-1)]
        else:
            np.testing.assert_array_equal(got, value, err_msg=key)


def test_polymorphic_function_picks_the_matching_trace(tf_model) -> None:
    loaded = savedmodel.load(tf_model("tf2_adder") / "model")
    assert loaded.add_any(np.float32(2.0), np.float32(0.5))["sum"].numpy() == np.float32(2.5)
    ints = loaded.add_any(np.array([1, 2], np.int64), np.array([3, 4], np.int64))["product"]
    assert ints.numpy().tolist() == [3, 8] and ints.numpy().dtype == np.int64


def test_no_matching_trace_lists_the_available_signatures(tf_model) -> None:
    loaded = savedmodel.load(tf_model("tf2_adder") / "model")
    with pytest.raises(SavedModelValueError, match=r"(?s)Could not find matching concrete function.*Option 1"):
        loaded.add_any("abc", "def")


def test_signature_keyword_errors(tf_model) -> None:
    loaded = savedmodel.load(tf_model("tf2_adder") / "model")
    with pytest.raises(TypeError, match=r"missing arguments \['y'\]"):
        loaded.signatures["serving_default"](x=np.zeros(3, np.float32))
    assert list(loaded.signatures) == ["serving_default"]


def test_assigning_a_variable_changes_what_functions_compute(serving_fixtures) -> None:
    loaded = savedmodel.load(serving_fixtures / "saved_model_half_plus_two_tf2_cpu/00000123")
    x = np.array([4.0], np.float32)
    before = loaded.signatures["serving_default"](x=x)["y"].numpy()
    np.testing.assert_allclose(before, [4.0])
    (a,) = [v for v in loaded.variables if v.name.startswith("a")]
    a.assign(np.float32(1.0))
    np.testing.assert_allclose(loaded.signatures["serving_default"](x=x)["y"].numpy(), [6.0])
