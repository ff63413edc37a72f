"""tf-keras (Keras 2, ``tf_keras`` 2.21) models: what older exported models contain.

Needs ``tf_keras`` (``pip install --no-deps tf-keras==2.21.0``: without ``--no-deps`` pip also
pulls the full ``tensorflow`` wheel on top of ``tensorflow-cpu``). Variants, each a
``tf.saved_model.save`` of one model (signature ``serving_default``) unless noted:
``mlp/`` (Dense, BatchNormalization on 2-D input, Dropout); ``cnn/`` (Conv2D + BatchNormalization
as FusedBatchNormV3, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, pooling, UpSampling2D
bilinear, ZeroPadding2D); ``cnn_keras/`` (the same model via ``model.save(save_format="tf")``: Keras
metadata, layer call functions in the object graph); ``cnn_export/`` (``model.export``: ``serve``);
``rnn/`` (Embedding, LSTM, GRU: While loops, and the implementation-selector
functions (``api_implements``) for the CPU and cuDNN paths); ``transformer/`` (MultiHeadAttention
via EinsumDense, i.e. Einsum ops, LayerNormalization, gelu). Tolerance: rtol 1e-4, atol 1e-4 of
the output scale (1e-5 for the MLP).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup


def _keras():
    try:
        import tf_keras
    except ImportError as exc:
        raise ImportError("The tfkeras_models corpus entry needs tf_keras: "
                          "pip install --no-deps tf-keras==2.21.0") from exc
    tf_keras.utils.set_random_seed(0)
    return tf_keras


def _randomize_batchnorm(keras, model, seed: int) -> None:
    rng = np.random.RandomState(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                               for w in layer.get_weights()])


def _mlp(keras):
    layers = keras.layers
    model = keras.Sequential([
        layers.Dense(16, activation="relu", input_shape=(6,)), layers.BatchNormalization(),
        layers.Dropout(0.2), layers.Dense(8, activation="tanh"),
        layers.Dense(3, activation="softmax"),
    ])
    _randomize_batchnorm(keras, model, 21)
    return model


def _cnn(keras):
    layers = keras.layers
    image = keras.Input((12, 12, 3), name="image")
    x = layers.ZeroPadding2D(1)(image)
    x = layers.Conv2D(6, 3, strides=2, activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.DepthwiseConv2D(3, padding="same")(x)
    x = layers.SeparableConv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = layers.UpSampling2D(2, interpolation="bilinear")(layers.MaxPooling2D(2)(x))
    x = layers.AveragePooling2D(2)(x)
    pooled = layers.Concatenate()([layers.GlobalAveragePooling2D()(x),
                                   layers.GlobalMaxPooling2D()(x)])
    model = keras.Model(image, layers.Dense(4, activation="softmax", name="probs")(pooled))
    _randomize_batchnorm(keras, model, 22)
    return model


def _rnn(keras):
    layers = keras.layers
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    x = layers.Embedding(30, 8)(tokens)
    x = layers.LSTM(8, return_sequences=True)(x)
    x = layers.GRU(6)(x)
    return keras.Model(tokens, layers.Dense(2, name="out")(x))


def _transformer(keras):
    layers = keras.layers
    tokens = keras.Input((10,), dtype="int32", name="tokens")
    x = layers.Embedding(40, 16)(tokens)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = layers.LayerNormalization()(x + attended)
    hidden = layers.Dense(16)(layers.Dense(32, activation="gelu")(x))
    x = layers.LayerNormalization()(x + hidden)
    return keras.Model(tokens, layers.Dense(3, name="logits")(layers.GlobalAveragePooling1D()(x)))


def _record(cases: Cases, out: Path, variant: str, feeds: list, rel: float) -> None:
    loaded = tf.saved_model.load(str(out / variant))
    key = "serve" if "serve" in loaded.signatures else "serving_default"
    name = next(iter(loaded.signatures[key].structured_input_signature[1]))
    by_key = {key: [{name: f} for f in feeds] for key in loaded.signatures}
    record_signatures(cases, out, variant, by_key, rel=rel, rtol=max(rel, 1e-5))
    if hasattr(loaded, "serve"):
        record_function(cases, loaded, variant, "serve", args=[feeds[0]], rel=rel, rtol=rel)


def build(out: Path) -> None:
    setup()
    keras = _keras()
    rng = np.random.RandomState(23)
    plan = {
        "mlp": (_mlp(keras), [rng.randn(n, 6).astype(np.float32) for n in (1, 4)], 1e-5),
        "cnn": (_cnn(keras), [rng.rand(n, 12, 12, 3).astype(np.float32) for n in (1, 2)], 1e-4),
        "rnn": (_rnn(keras), [rng.randint(0, 30, (n, 9)).astype(np.int32) for n in (1, 3)], 1e-4),
        "transformer": (_transformer(keras),
                        [rng.randint(0, 40, (n, 10)).astype(np.int32) for n in (1, 3)], 1e-4),
    }
    cases = Cases()
    for variant, (model, feeds, rel) in plan.items():
        tf.saved_model.save(model, str(out / variant))
        _record(cases, out, variant, feeds, rel)
    cnn, feeds, rel = plan["cnn"]
    cnn.save(str(out / "cnn_keras"), save_format="tf")
    cnn.export(str(out / "cnn_export"))
    for variant in ("cnn_keras", "cnn_export"):
        _record(cases, out, variant, feeds, rel)
    cases.write(out)
