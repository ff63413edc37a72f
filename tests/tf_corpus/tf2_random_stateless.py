"""tf.Module drawing stateless random numbers from seeds given as inputs.

Covers (Philox, the CPU default): ``stateless_uniform`` float32/float64/float16/bfloat16,
bounded int32/int64 (``StatelessRandomUniformIntV2``), full-range uint32/int64
(``StatelessRandomUniformFullIntV2``), ``stateless_normal``, ``stateless_truncated_normal``,
``stateless_categorical``, ``stateless_binomial``, a permutation by argsort of uniforms (TopKV2),
and the legacy V1 kernels (``StatelessRandomUniform``/``Normal``). Seeds int64 [2] and
int32 [2]. Outputs must match bit for bit (integers exactly; floats within rtol 1e-6).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup

SEED = tf.TensorSpec([2], tf.int64, name="seed")


class Stateless(tf.Module):
    @tf.function(input_signature=[SEED])
    def draw(self, seed):
        sr = tf.random
        return {
            "uniform_f32": sr.stateless_uniform([3, 4], seed),
            "uniform_f64": sr.stateless_uniform([5], seed, -2.0, 3.0, tf.float64),
            "uniform_f16": sr.stateless_uniform([5], seed, dtype=tf.float16),
            "uniform_bf16": sr.stateless_uniform([5], seed, dtype=tf.bfloat16),
            "uniform_i32": sr.stateless_uniform([6], seed, minval=-5, maxval=17, dtype=tf.int32),
            "uniform_i64": sr.stateless_uniform([6], seed, minval=0, maxval=2**40, dtype=tf.int64),
            "full_u32": sr.stateless_uniform([4], seed, minval=None, maxval=None, dtype=tf.uint32),
            "full_i64": sr.stateless_uniform([4], seed, minval=None, maxval=None, dtype=tf.int64),
            "normal": sr.stateless_normal([2, 5], seed, mean=1.0, stddev=2.0),
            "truncated": sr.stateless_truncated_normal([7], seed),
            "categorical": sr.stateless_categorical(tf.math.log([[0.1, 0.6, 0.3]]), 8, seed),
            "binomial": sr.stateless_binomial([5], seed, counts=10.0, probs=0.3),
            "permutation": tf.argsort(sr.stateless_uniform([6], seed)),
        }

    @tf.function(input_signature=[tf.TensorSpec([2], tf.int32, name="seed"),
                                  tf.TensorSpec([2], tf.int32, name="shape")])
    def legacy(self, seed, shape):
        ops = tf.raw_ops
        return {"uniform": ops.StatelessRandomUniform(shape=shape, seed=seed, dtype=tf.float32),
                "normal": ops.StatelessRandomNormal(shape=shape, seed=seed, dtype=tf.float64),
                "int": ops.StatelessRandomUniformInt(shape=shape, seed=seed, minval=3, maxval=9)}


def build(out: Path) -> None:
    setup()
    module = Stateless()
    tf.saved_model.save(module, str(out / "model"),
                        signatures={"serving_default": module.draw, "legacy": module.legacy})
    seeds = [np.array(s, np.int64) for s in ((0, 0), (1, 2), (-7, 2**40))]
    legacy = [{"seed": np.array([5, 6], np.int32), "shape": np.array([2, 3], np.int32)},
              {"seed": np.array([-1, 0], np.int32), "shape": np.array([0, 4], np.int32)}]
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {
        "serving_default": [{"seed": s} for s in seeds], "legacy": legacy}, rtol=1e-6, atol=0.0)
    record_function(cases, loaded, "model", "draw", args=[seeds[1]], rtol=1e-6, atol=0.0)
    cases.write(out)
