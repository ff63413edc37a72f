"""TF1 graph with control flow v1 (Switch/Merge/Enter/Exit/NextIteration/LoopCond), Builder-saved.

Built in graph mode after ``tf.compat.v1.disable_control_flow_v2()``. Covers:
``tf.compat.v1.while_loop`` (a counter loop and a loop carrying a matrix, with a nested
``tf.compat.v1.cond`` inside the body), ``tf.compat.v1.cond`` on a placeholder, a TensorArray
(v3 ops) written in the loop, and a loop reading a RefVariable. Signature ``serving_default``:
inputs ``x`` float32 [None, 2], ``n`` int32 [], ``flag`` bool []; tag ``serve``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_tf1_signature, setup

v1 = tf.compat.v1


def _graph():
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    n = v1.placeholder(tf.int32, [], name="n")
    flag = v1.placeholder(tf.bool, [], name="flag")
    w = v1.Variable(np.array([[0.5, -1.0], [1.5, 0.25]], np.float32), name="w", use_resource=False)

    def body(i, acc, ta):
        step = v1.cond(tf.equal(i % 2, 0), lambda: tf.matmul(acc, w), lambda: acc + 1.0)
        return i + 1, step, ta.write(i, tf.reduce_sum(step))

    ta = tf.TensorArray(tf.float32, size=n, element_shape=[])
    _, looped, ta = v1.while_loop(lambda i, acc, ta: i < n, body, [tf.constant(0), x, ta])
    count = v1.while_loop(lambda k, s: k < n, lambda k, s: (k + 1, s + k * k),
                          [tf.constant(0), tf.constant(0)])[1]
    branched = v1.cond(flag, lambda: x * 10.0, lambda: tf.reverse(x, [1]))
    outputs = {"looped": looped, "sums": ta.stack(), "count": count, "branched": branched}
    return {"x": x, "n": n, "flag": flag}, outputs


def build(out: Path) -> None:
    setup()
    v1.disable_control_flow_v2()
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        inputs, outputs = _graph()
        sess.run(v1.global_variables_initializer())
        ops = {n.op for n in graph.as_graph_def().node}
        missing = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"} - ops
        if missing:
            raise RuntimeError(f"Control flow v1 ops missing from the graph: {sorted(missing)}.")
        signature = v1.saved_model.signature_def_utils.predict_signature_def(inputs, outputs)
        builder = v1.saved_model.Builder(str(out / "model"))
        builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": signature})
        builder.save()
    rng = np.random.RandomState(18)
    feeds = [{"x": rng.randn(3, 2).astype(np.float32), "n": np.int32(n), "flag": np.bool_(f)}
             for n, f in ((0, True), (1, False), (5, True))]
    cases = Cases()
    record_tf1_signature(cases, out / "model", "model", ["serve"], "serving_default", feeds)
    cases.write(out)
