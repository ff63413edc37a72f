"""Keras 3 multilayer perceptron (Sequential), saved with tf.saved_model.save and model.export.

Covers: Dense with relu/elu/selu/sigmoid/swish/softplus activations, LeakyReLU, PReLU, Dropout and
BatchNormalization at inference, softmax output. Variants ``saved/`` and ``export/``; batches of
1, 5 and 0 rows. Tolerance: rtol 1e-5, atol 1e-5 of the output scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup


def _model():
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((10,), name="x"),
        layers.Dense(32, activation="relu"), layers.Dropout(0.3),
        layers.Dense(24, activation="elu"), layers.BatchNormalization(),
        layers.Dense(16, activation="selu"), layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(16, activation="swish"), layers.PReLU(),
        layers.Dense(12, activation="softplus"), layers.Dense(8, activation="sigmoid"),
        layers.Dense(4, activation="softmax"),
    ], name="mlp")
    rng = np.random.RandomState(9)
    for layer in model.layers:  # non-trivial BN statistics and PReLU slopes
        if isinstance(layer, (layers.BatchNormalization, layers.PReLU)):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    return model


def build(out: Path) -> None:
    setup(keras=True)
    rng = np.random.RandomState(10)
    feeds = [{"x": rng.randn(n, 10).astype(np.float32)} for n in (1, 5, 0)]
    cases = Cases()
    save_keras(cases, out, _model(), feeds, rel=1e-5)
    cases.write(out)
