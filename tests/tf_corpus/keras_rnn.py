"""Keras 3 recurrent model: LSTM, GRU, SimpleRNN and a bidirectional LSTM.

Input ``sequence`` float32 [None, 7, 3]. Covers: LSTM (return_sequences), GRU (reset_after, the
Keras default), SimpleRNN, Bidirectional(LSTM) with concat merge, go_backwards, return_state; all
lowered to While loops with TensorList ops. Dict outputs ``final``, ``state_h`` and ``sequence``.
Variants ``saved/`` and ``export/``. Tolerance: rtol 1e-4, atol 1e-4 of the output scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup


def _model():
    import keras
    from keras import layers

    sequence = keras.Input((7, 3), name="sequence")
    x = layers.LSTM(8, return_sequences=True)(sequence)
    x = layers.GRU(6, return_sequences=True, go_backwards=True)(x)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    outputs, state_h = layers.SimpleRNN(5, activation="tanh", return_state=True)(x)
    final = layers.Dense(2, name="final")(outputs)
    return keras.Model(sequence, {"final": final, "state_h": state_h, "sequence": x})


def build(out: Path) -> None:
    setup(keras=True)
    rng = np.random.RandomState(14)
    feeds = [{"sequence": rng.randn(n, 7, 3).astype(np.float32)} for n in (1, 3)]
    cases = Cases()
    save_keras(cases, out, _model(), feeds, rel=1e-4, rtol=1e-4)
    cases.write(out)
