"""tf.Module whose functions use TF2 control flow (functional If/While/Case ops).

Covers: tf.cond (``StatelessIf``, and ``If`` when a branch touches a variable), tf.while_loop
(``StatelessWhile``/``While``, with a variable updated inside), tf.switch_case and tf.case
(``Case``), tf.map_fn and TensorArray (TensorList ops inside While), a cond nested in a while.
Every function has an input signature and is also a signature of the same name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup

F32 = tf.float32
I32 = tf.int32


def _spec(shape, dtype, name):
    return tf.TensorSpec(shape, dtype, name=name)


class ControlFlow(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = tf.Variable(1.5, name="scale")
        self.acc = tf.Variable(0.0, name="acc")

    @tf.function(input_signature=[_spec([None], F32, "x"), _spec([], tf.bool, "flag")])
    def cond(self, x, flag):
        stateless = tf.cond(flag, lambda: x * 2.0, lambda: x - 1.0)
        stateful = tf.cond(tf.reduce_sum(x) > 0, lambda: x * self.scale, lambda: -x)
        return {"stateless": stateless, "stateful": stateful}

    @tf.function(input_signature=[_spec([], I32, "n")])
    def fibonacci(self, n):
        start = (tf.constant(0), tf.constant(0, tf.int64), tf.constant(1, tf.int64))
        _, a, b = tf.while_loop(lambda i, a, b: i < n, lambda i, a, b: (i + 1, b, a + b), start)
        return {"fib": a, "next": b}

    @tf.function(input_signature=[_spec([None], F32, "x")])
    def accumulate(self, x):
        self.acc.assign(0.0)
        i = tf.constant(0)
        while i < tf.size(x):  # autograph: a While that assigns a variable
            self.acc.assign_add(x[i] * self.scale)
            i += 1
        return self.acc.read_value()

    @tf.function(input_signature=[_spec([], I32, "branch"), _spec([None], F32, "x")])
    def switch(self, branch, x):
        branches = [lambda: x + 1.0, lambda: x * x, lambda: tf.sqrt(tf.abs(x))]
        switched = tf.switch_case(branch, branches, default=lambda: tf.zeros_like(x))
        pairs = [(branch < 1, lambda: tf.reduce_sum(x)), (branch < 2, lambda: tf.reduce_max(x))]
        cased = tf.case(pairs, default=lambda: tf.reduce_min(x))
        return {"switched": switched, "cased": cased}

    @tf.function(input_signature=[_spec([None, 3], F32, "rows")])
    def map_rows(self, rows):
        norms = tf.map_fn(lambda r: tf.reduce_sum(r * r), rows)
        pairs = tf.map_fn(lambda r: (r[0], tf.cast(tf.argmax(r), tf.int64)), rows,
                          fn_output_signature=(F32, tf.int64))
        return {"norms": norms, "first": pairs[0], "argmax": pairs[1]}

    @tf.function(input_signature=[_spec([], I32, "n")])
    def tensor_array(self, n):
        ta = tf.TensorArray(F32, size=0, dynamic_size=True, element_shape=[2])
        for i in tf.range(n):
            ta = ta.write(i, self._row(i))
        return {"stacked": ta.stack(), "size": ta.size()}

    @staticmethod
    def _row(i):
        value = tf.cast(i, F32)
        return tf.cond(i % 2 == 0, lambda: tf.stack([value, -value]),
                       lambda: tf.stack([value, value * value]))


SIGNATURES = ("cond", "fibonacci", "accumulate", "switch", "map_rows", "tensor_array")


def build(out: Path) -> None:
    setup()
    module = ControlFlow()
    signatures = {name: getattr(module, name) for name in SIGNATURES}
    signatures["serving_default"] = module.cond
    tf.saved_model.save(module, str(out / "model"), signatures=signatures)
    x = np.array([1.0, -4.0, 2.5, 1.5], np.float32)
    rows = np.random.RandomState(6).randn(4, 3).astype(np.float32)
    feeds = {
        "cond": [{"x": x, "flag": np.bool_(True)}, {"x": -x, "flag": np.bool_(False)}],
        "fibonacci": [{"n": np.int32(0)}, {"n": np.int32(1)}, {"n": np.int32(50)}],
        "accumulate": [{"x": x}, {"x": np.zeros(0, np.float32)}],
        "switch": [{"branch": np.int32(b), "x": x} for b in (0, 1, 2, 7, -1)],
        "map_rows": [{"rows": rows}, {"rows": np.zeros((0, 3), np.float32)}],
        "tensor_array": [{"n": np.int32(0)}, {"n": np.int32(5)}],
    }
    cases = Cases()
    loaded = record_signatures(cases, out, "model", dict(feeds, serving_default=feeds["cond"]))
    for name in SIGNATURES:
        for feed in feeds[name]:
            record_function(cases, loaded, "model", name, kwargs=feed)
    cases.write(out)
