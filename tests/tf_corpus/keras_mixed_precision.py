"""Keras 3 models under the mixed_float16 and mixed_bfloat16 policies.

Input ``x`` float32 [None, 8, 8, 3]. Covers: float32 variables cast to float16/bfloat16 at use,
Conv2D, Dense, LayerNormalization and BatchNormalization computed in reduced precision, softmax
in float32 (``dtype="float32"`` output layer), a float16 (resp. bfloat16) output ``hidden``.
Variants ``saved/`` + ``export/`` (mixed_float16) and ``bf16_saved/`` + ``bf16_export/``
(mixed_bfloat16). Tolerance: rtol 1e-2, atol 1e-2 of the output scale (half-precision rounding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup


def _model(policy: str):
    import keras
    from keras import layers

    keras.mixed_precision.set_global_policy(policy)
    try:
        x = keras.Input((8, 8, 3), name="x")
        h = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        h = layers.BatchNormalization()(h)
        h = layers.GlobalAveragePooling2D()(h)
        h = layers.Dense(16, activation="gelu")(h)
        hidden = layers.LayerNormalization(name="hidden")(h)
        probs = layers.Dense(3, activation="softmax", dtype="float32", name="probs")(hidden)
        return keras.Model(x, {"probs": probs, "hidden": hidden})
    finally:
        keras.mixed_precision.set_global_policy("float32")


def build(out: Path) -> None:
    setup(keras=True)
    rng = np.random.RandomState(17)
    feeds = [{"x": rng.rand(n, 8, 8, 3).astype(np.float32)} for n in (1, 3)]
    cases = Cases()
    save_keras(cases, out, _model("mixed_float16"), feeds, rel=1e-2, rtol=1e-2)
    save_keras(cases, out, _model("mixed_bfloat16"), feeds, prefix="bf16_", rel=1e-2, rtol=1e-2)
    cases.write(out)
