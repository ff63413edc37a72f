"""tf.Module whose signatures have an unknown batch dimension and unknown rank.

Covers: ``TensorSpec([None, 3])`` (unknown batch) and ``TensorSpec(None)`` (unknown rank) inputs;
shape-dependent ops (Shape, Rank, Size, Reshape with -1, Fill, broadcasting, reductions over all
axes, ExpandDims, Squeeze, Tile, Transpose of a known-rank tensor, dynamic slicing); called with
rank 0 to rank 4 inputs and an empty batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup


class UnknownShapes(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = tf.Variable(np.random.RandomState(7).randn(3, 2).astype(np.float32), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="batch")])
    def batched(self, batch):
        y = tf.matmul(batch, self.w)
        n = tf.shape(batch)[0]
        return {"y": y, "batch_size": n, "flat": tf.reshape(batch, [-1]),
                "tiled": tf.tile(batch[:, :1], [1, 2]), "transposed": tf.transpose(batch),
                "filled": tf.fill(tf.stack([n, 2]), 0.5), "last_rows": batch[-2:]}

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name="value")])
    def any_rank(self, value):
        return {"rank": tf.rank(value), "shape": tf.shape(value, out_type=tf.int64),
                "size": tf.size(value),
                "total": tf.reduce_sum(value), "doubled": value * 2.0 + 1.0,
                "expanded": tf.expand_dims(value, 0), "flat": tf.reshape(value, [-1]),
                "squeezed": tf.squeeze(tf.expand_dims(value, -1), -1)}

    @tf.function(input_signature=[tf.TensorSpec(None, tf.int32, name="a"),
                                  tf.TensorSpec([None, None], tf.int32, name="b")])
    def broadcast(self, a, b):
        return {"sum": a + b, "max": tf.maximum(a, b), "shape": tf.shape(a + b)}


def build(out: Path) -> None:
    setup()
    module = UnknownShapes()
    tf.saved_model.save(module, str(out / "model"), signatures={
        "serving_default": module.batched, "any_rank": module.any_rank,
        "broadcast": module.broadcast})
    rng = np.random.RandomState(8)
    batched = [{"batch": rng.randn(n, 3).astype(np.float32)} for n in (1, 4, 0)]
    anys = [{"value": np.asarray(rng.randn(*shape), np.float32)}
            for shape in ((), (5,), (2, 3), (2, 1, 3, 2), (0, 4))]
    grid = np.arange(6, dtype=np.int32).reshape(2, 3)
    broadcast = [{"a": np.int32(5), "b": grid},
                 {"a": np.array([1, -1, 2], np.int32), "b": grid},
                 {"a": np.ones((4, 1, 1), np.int32), "b": grid[:1].reshape(3, 1)}]
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {
        "serving_default": batched, "any_rank": anys, "broadcast": broadcast})
    for feed in batched[:2]:
        record_function(cases, loaded, "model", "batched", kwargs=feed)
    for feed in anys:
        record_function(cases, loaded, "model", "any_rank", args=[feed["value"]])
    record_function(cases, loaded, "model", "broadcast", kwargs=broadcast[2])
    cases.write(out)
