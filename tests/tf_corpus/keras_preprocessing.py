"""Keras 3 preprocessing layers inside a model, with string inputs.

Inputs: ``text`` string [None] (TextVectorization: lower_and_strip_punctuation, whitespace split,
int output of length 6, and a multi_hot/tf_idf-free count output), ``color`` string [None, 1]
(StringLookup with OOV, then CategoryEncoding one_hot), ``code`` int64 [None, 1] (IntegerLookup,
then CategoryEncoding multi_hot), ``tag`` string [None, 1] (Hashing, 8 bins, FarmHash; and salted),
``numbers`` float32 [None, 3] (Normalization adapted on data). Outputs: a dict of each layer's
result plus ``vector`` (all of them concatenated as float32). Variants ``saved/`` and ``export/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup, strings

SENTENCES = ["The quick brown fox!", "jumps over the lazy dog.", "Ünïcode wörds, and the FOX",
             "a b c d e f g h", ""]


def _model():
    import keras
    from keras import layers

    text = keras.Input((), dtype="string", name="text")
    color = keras.Input((1,), dtype="string", name="color")
    code = keras.Input((1,), dtype="int64", name="code")
    tag = keras.Input((1,), dtype="string", name="tag")
    numbers = keras.Input((3,), dtype="float32", name="numbers")
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(SENTENCES)
    counts = layers.TextVectorization(max_tokens=12, output_mode="count")
    counts.adapt(SENTENCES)
    normalize = layers.Normalization()
    normalize.adapt(np.random.RandomState(15).randn(64, 3).astype(np.float32) * 3 + 1)
    color_ids = layers.StringLookup(vocabulary=["red", "green", "blue"], num_oov_indices=1)(color)
    code_ids = layers.IntegerLookup(vocabulary=np.array([7, 42, 1000], np.int64))(code)
    outputs = {
        "tokens": vectorize(text),
        "counts": counts(text),
        "color": layers.CategoryEncoding(4, output_mode="one_hot")(color_ids),
        "code": layers.CategoryEncoding(4, output_mode="multi_hot")(code_ids),
        "hashed": layers.Hashing(num_bins=8)(tag),
        "salted": layers.Hashing(num_bins=5, salt=[17, 42])(tag),
        "normalized": normalize(numbers),
    }
    parts = [keras.ops.cast(outputs[k], "float32") for k in sorted(outputs)]
    outputs["vector"] = layers.Concatenate()(parts)
    return keras.Model({"text": text, "color": color, "code": code, "tag": tag, "numbers": numbers},
                       outputs)


def build(out: Path) -> None:
    setup(keras=True)
    feeds = [{
        "text": strings(["the FOX jumps", "unknown words here!!", "", "Ünïcode, dog."]),
        "color": strings(["red", "purple", "", "blue"], (4, 1)),
        "code": np.array([[42], [7], [-1], [999999999999]], np.int64),
        "tag": strings(["alpha", "", "ünï", "alpha"], (4, 1)),
        "numbers": np.random.RandomState(16).randn(4, 3).astype(np.float32),
    }]
    cases = Cases()
    save_keras(cases, out, _model(), feeds)
    cases.write(out)
