"""Checkpoints only (no SavedModel): a sharded TF2 checkpoint and a TF1 partitioned-variable one.

``ckpt/ckpt``: ``tf.train.Checkpoint.write`` with ``MaxShardSizePolicy(64 bytes)``: several data
shards, and variables larger than a shard stored as slices across them (float32, int64, string,
bfloat16 and float64 variables, one nested in a sub-module).
``tf1/model.ckpt``: ``tf.compat.v1.train.Saver(sharded=True)`` over two CPU devices, holding
``part`` ([10, 4] float32 split in 3 partitions by ``fixed_size_partitioner``, so stored as
slices) and a plain ``dense`` variable; also ``model.ckpt.meta`` and a ``checkpoint`` state file
with relative paths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import setup, strings

v1 = tf.compat.v1


def _tf2(prefix: Path, rng: np.random.RandomState) -> None:
    inner = tf.Module()
    inner.table = tf.Variable(rng.randn(6, 5).astype(np.float64))
    root = tf.train.Checkpoint(
        weights=tf.Variable(rng.randn(10, 4).astype(np.float32)),
        ids=tf.Variable(np.arange(-5, 20, dtype=np.int64)),
        names=tf.Variable(strings(["alpha", "", "gamma\x00", "δ" * 20])),
        half=tf.Variable(tf.constant(rng.randn(5, 9), dtype=tf.bfloat16)),
        scalar=tf.Variable(3.5), inner=inner)
    policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=64)
    options = tf.train.CheckpointOptions(experimental_sharding_callback=policy)
    root.write(str(prefix), options=options)


def _tf1(prefix: Path, rng: np.random.RandomState) -> None:
    config = v1.ConfigProto(device_count={"CPU": 2})
    with tf.Graph().as_default(), v1.Session(config=config) as sess:
        with tf.device("/cpu:0"):
            v1.get_variable("part", shape=[10, 4], dtype=tf.float32,
                            initializer=v1.random_normal_initializer(seed=7),
                            partitioner=v1.fixed_size_partitioner(3))
        with tf.device("/cpu:1"):
            v1.get_variable("dense", initializer=rng.randint(-9, 9, size=6).astype(np.int32))
        sess.run(v1.global_variables_initializer())
        saver = v1.train.Saver(sharded=True, save_relative_paths=True)
        saver.save(sess, str(prefix))


def build(out: Path) -> None:
    setup()
    rng = np.random.RandomState(5)
    _tf2(out / "ckpt" / "ckpt", rng)
    (out / "tf1").mkdir()
    _tf1(out / "tf1" / "model.ckpt", rng)
