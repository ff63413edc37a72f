"""TF1 model written by ``tf.compat.v1.saved_model.simple_save`` (graph mode, one meta graph).

Covers: the simple_save layout (tag ``serve``, signature ``serving_default``, no init op; so no
tables: simple_save would not initialise them), RefVariables (VariableV2) read in the graph, a
float and a string input, several outputs. Inputs ``x`` float32 [None, 4] and ``key`` string
[None]; outputs ``scores``, ``label`` (argmax int64) and ``key_len`` (string length).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_tf1_signature, setup, strings

v1 = tf.compat.v1


def build(out: Path) -> None:
    setup()
    rng = np.random.RandomState(19)
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        key = v1.placeholder(tf.string, [None], name="key")
        w = v1.Variable(rng.randn(4, 3).astype(np.float32), name="w", use_resource=False)
        b = v1.Variable(rng.randn(3).astype(np.float32), name="b", use_resource=False)
        scores = tf.nn.softmax(tf.matmul(x, w) + b, name="scores")
        outputs = {"scores": scores, "label": tf.argmax(scores, axis=1, name="label"),
                   "key_len": tf.strings.length(key)}
        sess.run(v1.global_variables_initializer())
        v1.saved_model.simple_save(sess, str(out / "model"), {"x": x, "key": key}, outputs)
    feeds = [{"x": rng.randn(2, 4).astype(np.float32), "key": strings(["b", "zz"])},
             {"x": np.zeros((0, 4), np.float32), "key": strings([])}]
    cases = Cases()
    record_tf1_signature(cases, out / "model", "model", ["serve"], "serving_default", feeds)
    cases.write(out)
