"""Keras 3 Transformer encoder: Embedding, MultiHeadAttention, LayerNormalization, gelu FFN.

Input ``tokens`` int32 [None, 12]. Covers: Embedding (ResourceGather/GatherV2), a learned position
embedding, two encoder blocks (the second with a causal mask), MultiHeadAttention (Einsum,
Softmax), LayerNormalization, Dense on 3-D inputs, gelu exact (Erf) and approximate (Tanh),
residual adds, Dropout at inference, GlobalAveragePooling1D; dict outputs ``logits`` and
``sequence``. Variants ``saved/`` and ``export/``. Tolerance: rtol 1e-4, atol 1e-4 of the scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup

VOCAB, LENGTH, WIDTH = 50, 12, 16


def _block(keras, x, approximate: bool, causal: bool):
    layers = keras.layers
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1)
    attended = attention(x, x, use_causal_mask=causal)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(0.1)(attended)]))
    hidden = layers.Dense(32)(x)
    hidden = layers.Lambda(lambda t: keras.activations.gelu(t, approximate=approximate))(hidden)
    hidden = layers.Dense(WIDTH)(hidden)
    return layers.LayerNormalization()(x + hidden)


def _model():
    import keras
    from keras import layers

    tokens = keras.Input((LENGTH,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, WIDTH)(tokens)
    positions = layers.Embedding(LENGTH, WIDTH)(keras.ops.arange(LENGTH))
    x = x + positions
    x = _block(keras, x, approximate=False, causal=False)
    x = _block(keras, x, approximate=True, causal=True)
    logits = layers.Dense(3, name="logits")(layers.GlobalAveragePooling1D()(x))
    return keras.Model(tokens, {"logits": logits, "sequence": x})


def build(out: Path) -> None:
    setup(keras=True)
    rng = np.random.RandomState(13)
    feeds = [{"tokens": rng.randint(0, VOCAB, size=(n, LENGTH)).astype(np.int32)} for n in (1, 4)]
    cases = Cases()
    save_keras(cases, out, _model(), feeds, rel=1e-4, rtol=1e-4)
    cases.write(out)
