"""Keras 3 functional model of Dense layers, saved with tf.saved_model.save and model.export.

Variants: ``saved/`` (``tf.saved_model.save(model)``: signature ``serving_default``) and
``export/`` (``model.export``: signatures ``serve`` and ``serving_default``, function ``serve``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup


def _model():
    import keras

    inputs = keras.Input((6,), name="features")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    hidden = keras.layers.Dense(5, activation="tanh", use_bias=False, name="no_bias")(hidden)
    outputs = keras.layers.Dense(3, activation="softmax", name="probs")(hidden)
    return keras.Model(inputs, outputs, name="dense_model")


def build(out: Path) -> None:
    setup(keras=True)
    model = _model()
    tf.saved_model.save(model, str(out / "saved"))
    model.export(str(out / "export"))
    rng = np.random.RandomState(1)
    batches = [rng.randn(4, 6).astype(np.float32), rng.randn(1, 6).astype(np.float32)]
    cases = Cases()
    record_signatures(cases, out, "saved", {"serving_default": [{"inputs": b} for b in batches]})
    loaded = record_signatures(cases, out, "export", {
        "serving_default": [{"features": b} for b in batches],
        "serve": [{"features": batches[0]}]})
    record_function(cases, loaded, "export", "serve", args=[batches[0]])
    cases.write(out)
