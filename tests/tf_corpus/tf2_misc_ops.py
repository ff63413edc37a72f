"""tf.Module exercising the everyday ops hand-written models use beyond layers and control flow.

Signatures (each also a saved function of the same name):
``select`` (top_k, argmax/argmin, where with 1 and 3 arguments, gather/gather_nd, scatter_nd,
tensor_scatter_update, cumsum/cumprod exclusive and reverse, one_hot, sort/argsort, unique,
unsorted_segment_sum, clip_by_value, boolean_mask, pad modes constant/reflect/symmetric);
``checked`` (tf.debugging.Assert: passes for positive input; a recorded error case for negative
input, InvalidArgumentError with the assert's message; also StringFormat and tf.print/PrintV2);
``images`` (decode_png of an input PNG, exact; resize bilinear/nearest/bicubic/area, with and
without antialias; crop_and_resize; rgb_to_grayscale); ``decode_jpeg`` (float32 output, atol 2:
JPEG decoders may differ by rounding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_error, record_function, record_signatures, setup

F32 = tf.float32


class MiscOps(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 5], F32, name="x"),
                                  tf.TensorSpec([None], tf.int32, name="ids")])
    def select(self, x, ids):
        top = tf.math.top_k(x, k=3)
        flat = tf.reshape(x, [-1])
        return {
            "top_values": top.values, "top_indices": top.indices,
            "argmax": tf.argmax(x, axis=1), "argmin": tf.argmin(x, axis=0, output_type=tf.int32),
            "where_coords": tf.where(x > 0.5), "where_select": tf.where(x > 0, x, -x * 0.1),
            "gather": tf.gather(x, ids, axis=1), "gather_nd": tf.gather_nd(x, [[0, 1], [0, 4]]),
            "scatter_nd": tf.scatter_nd([[1], [3], [1]], [1.0, 2.0, 3.0], [5]),
            "scatter_update": tf.tensor_scatter_nd_update(x, [[0, 0]], [99.0]),
            "cumsum": tf.cumsum(x, axis=1, exclusive=True),
            "cumprod": tf.math.cumprod(x, axis=1, reverse=True),
            "one_hot": tf.one_hot(ids, 4, on_value=2.0, off_value=-1.0),
            "sorted": tf.sort(flat, direction="DESCENDING"),
            "argsort": tf.argsort(flat, stable=True),
            "unique": tf.unique(ids).y, "unique_idx": tf.unique(ids).idx,
            "segment_sum": tf.math.unsorted_segment_sum(tf.range(tf.size(ids)), ids, 4),
            "clipped": tf.clip_by_value(x, -0.5, 0.5),
            "masked": tf.boolean_mask(flat, flat > 0),
            "pad_constant": tf.pad(x, [[1, 0], [0, 2]], constant_values=7.0),
            "pad_reflect": tf.pad(x, [[0, 0], [2, 2]], mode="REFLECT"),
            "pad_symmetric": tf.pad(x, [[0, 0], [1, 1]], mode="SYMMETRIC"),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], F32, name="x")])
    def checked(self, x):
        tf.debugging.Assert(tf.reduce_all(x > 0), ["x must be positive, got", x])
        tf.print("checked:", x)
        return {"log": tf.math.log(x),
                "formatted": tf.strings.format("x={} sum={}", (x, tf.reduce_sum(x)))}

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="png")])
    def images(self, png):
        image = tf.io.decode_png(png, channels=3)
        floats = tf.cast(image, F32)[tf.newaxis] / 255.0
        resize = tf.image.resize
        boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.2, 0.1, 0.9, 1.0]])
        return {
            "decoded": image, "bilinear": resize(floats, [5, 7]),
            "nearest": resize(floats, [13, 9], method="nearest"),
            "bicubic": resize(floats, [6, 6], method="bicubic"),
            "area": resize(floats, [4, 3], method="area"),
            "antialias": resize(floats, [4, 5], antialias=True),
            "crops": tf.image.crop_and_resize(floats, boxes, [0, 0], [4, 4]),
            "gray": tf.image.rgb_to_grayscale(floats),
        }

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="jpeg")])
    def decode_jpeg(self, jpeg):
        return {"pixels": tf.cast(tf.io.decode_jpeg(jpeg, channels=3), F32)}


def build(out: Path) -> None:
    setup()
    module = MiscOps()
    names = ("select", "checked", "images", "decode_jpeg")
    signatures = {name: getattr(module, name) for name in names}
    tf.saved_model.save(module, str(out / "model"), signatures=dict(signatures,
                        serving_default=module.select))
    rng = np.random.RandomState(20)
    pixels = rng.randint(0, 256, size=(10, 8, 3)).astype(np.uint8)
    png = tf.io.encode_png(pixels).numpy()
    jpeg = tf.io.encode_jpeg(pixels, quality=90).numpy()
    feeds = {
        "select": [{"x": rng.randn(3, 5).astype(np.float32),
                    "ids": np.array([2, 0, 2, 3], np.int32)}],
        "checked": [{"x": np.array([0.5, 2.0, 8.0], np.float32)}],
        "images": [{"png": np.array(png, dtype=object)}],
        "decode_jpeg": [{"jpeg": np.array(jpeg, dtype=object)}],
    }
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {k: v for k, v in feeds.items()
                                                     if k != "decode_jpeg"})
    record_signatures(cases, out, "model", {"decode_jpeg": feeds["decode_jpeg"]}, atol=2.0)
    for name in ("select", "checked", "images"):
        record_function(cases, loaded, "model", name, kwargs=feeds[name][0])
    bad = {"x": np.array([1.0, -2.0], np.float32)}
    record_error(cases, loaded, "model", "x must be positive", signature="checked", inputs=bad)
    record_error(cases, loaded, "model", "x must be positive", function="checked",
                 args=[bad["x"]])
    cases.write(out)
