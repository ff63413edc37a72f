"""The smallest TF2 model: ``x + y`` in a tf.Module, plus a polymorphic function traced twice.

Covers: ``__call__`` with an input signature (float32 [None] x2) exported as ``serving_default``;
``add_any`` without input signature, traced for float32 scalars and for int64 [None] vectors (two
concrete functions: the loader must pick by the arguments' dtype and shape); no variables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup


class Adder(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x"),
                                  tf.TensorSpec([None], tf.float32, name="y")])
    def __call__(self, x, y):
        return x + y

    @tf.function
    def add_any(self, a, b):
        return {"sum": a + b, "product": a * b}


def build(out: Path) -> None:
    setup()
    module = Adder()
    module.add_any(tf.constant(1.0), tf.constant(2.0))
    vector = tf.TensorSpec([None], tf.int64)
    module.add_any.get_concrete_function(vector, vector)
    tf.saved_model.save(module, str(out / "model"), signatures=module.__call__)
    x = np.array([1.0, 2.5, -3.0], np.float32)
    y = np.array([0.5, -2.5, 1e-3], np.float32)
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {"serving_default": [
        {"x": x, "y": y}, {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}]})
    record_function(cases, loaded, "model", "__call__", args=[x, y])
    record_function(cases, loaded, "model", "__call__", kwargs={"x": y, "y": x})
    record_function(cases, loaded, "model", "add_any",
                    args=[np.float32(2.0), np.float32(-0.25)])
    record_function(cases, loaded, "model", "add_any",
                    args=[np.array([5, -6, 7], np.int64), np.array([1, 1, 2**40], np.int64)])
    cases.write(out)
