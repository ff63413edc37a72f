"""The benchmark's three models, built with TensorFlow/Keras and saved once into a cache directory.

``mlp``: Dense 784-512-512-10 (relu, softmax). ``mobilenetv2``: ``keras.applications.MobileNetV2``
(224x224x3, ``weights=None``: random weights, nothing downloaded; logits out, since a
random-weight softmax is a flat 1/1000 that would hide any difference). ``transformer``: two encoder
blocks of MultiHeadAttention (4 heads x 32) + LayerNorm + Dense 512/128 FFN, d_model 128, seq 64.
Each is written with ``tf.saved_model.save`` to ``<cache>/<name>/`` next to ``<name>.json`` (input
name, shape, dtype); an existing directory is reused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODELS = ("mlp", "mobilenetv2", "transformer")
SEQ, D_MODEL = 64, 128


def _mlp(keras: Any) -> Any:
    inputs = keras.Input((784,), name="pixels")
    x = keras.layers.Dense(512, activation="relu")(inputs)
    x = keras.layers.Dense(512, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def _mobilenetv2(keras: Any) -> Any:
    return keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3),
                                         classifier_activation=None)


def _transformer(keras: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input((SEQ, D_MODEL), name="embeddings")
    x = inputs
    for _ in range(2):
        attended = layers.MultiHeadAttention(num_heads=4, key_dim=D_MODEL // 4)(x, x)
        x = layers.LayerNormalization(epsilon=1e-6)(x + attended)
        hidden = layers.Dense(4 * D_MODEL, activation="relu")(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dense(D_MODEL)(hidden))
    return keras.Model(inputs, x)


BUILDERS = {"mlp": _mlp, "mobilenetv2": _mobilenetv2, "transformer": _transformer}


def ensure_model(name: str, cache: Path) -> tuple[Path, dict[str, Any]]:
    """The SavedModel directory of ``name`` under ``cache`` and its input spec (built if absent)."""
    export_dir, spec_file = cache / name, cache / f"{name}.json"
    if not spec_file.exists():
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(0)
        model = BUILDERS[name](keras)
        tf.saved_model.save(model, str(export_dir))
        signature = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
        (key, tensor_spec), = signature.structured_input_signature[1].items()
        spec = {"input": key, "shape": [d for d in tensor_spec.shape.as_list()[1:]],
                "dtype": tensor_spec.dtype.name}
        spec_file.write_text(json.dumps(spec))
    return export_dir, json.loads(spec_file.read_text())
