"""``load()`` on TensorFlow Serving's own test models: y = 0.5x + 2 (or + 3), and the stateful counter."""

from __future__ import annotations

import numpy as np
import pytest

from savedmodel.errors import NotFoundError
from savedmodel.saved_model.load import load

HALF_PLUS = {
    "saved_model_half_plus_two_cpu/00000123": 2.0,
    "saved_model_half_plus_two_tf2_cpu/00000123": 2.0,
    "saved_model_half_plus_three/00000123": 3.0,
    "saved_model_half_plus_two_2_versions/00000124": 2.0,
}


@pytest.mark.parametrize("path, offset", sorted(HALF_PLUS.items()))
def test_half_plus_predict(serving_fixtures, path: str, offset: float) -> None:
    model = load(serving_fixtures / path)
    x = np.array([[1.0], [2.0], [5.0]], dtype=np.float32)
    if "tf2" in path:  # this export's signature takes shape (1,)
        x = np.array([5.0], dtype=np.float32)
    out = model.signatures["serving_default"](x=x)
    (value,) = out.values()
    np.testing.assert_allclose(value.numpy(), 0.5 * x + offset, rtol=1e-6)
    assert value.numpy().dtype == np.float32


def test_counter_keeps_state_across_calls(serving_fixtures) -> None:
    model = load(serving_fixtures / "saved_model_counter/00000123")
    signatures = model.signatures
    reset = signatures["reset_counter"]()
    assert float(next(iter(reset.values())).numpy()) == 0.0
    for expected in (1.0, 2.0, 3.0):
        got = signatures["incr_counter"]()
        assert float(next(iter(got.values())).numpy()) == expected
    assert float(next(iter(signatures["get_counter"]().values())).numpy()) == 3.0


def test_incomplete_and_old_exports_are_refused(serving_fixtures) -> None:
    with pytest.raises(NotFoundError, match="saved_model"):
        load(serving_fixtures / "tf_text_regression/01")
    with pytest.raises(NotFoundError, match="saved_model"):
        load(serving_fixtures / "bad_half_plus_two/00000123")


def test_unknown_tags_list_the_available_ones(serving_fixtures) -> None:
    with pytest.raises(NotFoundError, match=r"could not be found .*available tags '\[\['serve'\]\]'"):
        load(serving_fixtures / "saved_model_half_plus_two_cpu/00000123", tags=["train"])


def test_prune_computes_fetches_from_feeds(serving_fixtures) -> None:
    model = load(serving_fixtures / "saved_model_half_plus_two_cpu/00000123")
    info = model.signatures["serving_default"]
    (x_name, _), y_name = info.inputs["x"], info.outputs["y"]
    pruned = model.prune(x_name, {"y": y_name})
    out = pruned(np.array([[4.0]], np.float32))
    np.testing.assert_allclose(out["y"].numpy(), [[4.0]])


def test_restore_from_another_checkpoint(serving_fixtures, tmp_path) -> None:
    from savedmodel.format.bundle import BundleWriter

    model = load(serving_fixtures / "saved_model_half_plus_two_cpu/00000123")
    prefix = str(tmp_path / "ckpt")
    with BundleWriter(prefix) as writer:  # y = 2x + 1 instead of 0.5x + 2
        for key, value in sorted({"a": 2.0, "a2": 2.0, "b": 1.0, "c": 3.0, "c2": 3.0}.items()):
            writer.add(key, np.float32(value))
    model.restore(prefix)
    got = model.signatures["serving_default"](x=np.array([[2.0]], np.float32))
    np.testing.assert_allclose(next(iter(got.values())).numpy(), [[5.0]])
