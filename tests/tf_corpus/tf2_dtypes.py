"""tf.Module with a variable of every dtype TensorFlow checkpoints, saved by tf.saved_model.save.

Covers: float32/64/16, bfloat16, int8/16/32/64, uint8/16/32/64, bool, complex64/128; strings with
an empty string, 300 bytes, embedded and trailing NULs and UTF-8; a scalar string; an empty [0, 3]
float tensor; special floats (nan, inf, -0.0, subnormal). Signatures ``serving_default`` (float,
string and int64 inputs; float32, bfloat16, float16, complex64, string and int64 outputs) and
``all_values`` (no inputs; returns every variable).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup, strings

NUMERIC = ("float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64",
           "uint8", "uint16", "uint32", "uint64", "complex64", "complex128")
STRINGS = ["", "a" * 300, "nul\x00inside", "trailing\x00", "\x00", "héllo wörld ✓", "plain"]


def _values(rng: np.random.RandomState) -> dict[str, np.ndarray]:
    out = {}
    for name in NUMERIC:
        dtype = tf.as_dtype(name)
        if dtype.is_complex:
            value = rng.randn(3, 4) + 1j * rng.randn(3, 4)
        elif dtype.is_floating:
            value = rng.randn(3, 4)
        else:
            value = rng.randint(dtype.min if dtype.min > -1000 else -1000,
                                min(dtype.max, 1000) + 1, size=(3, 4))
        out[name] = tf.constant(value, dtype=dtype).numpy()
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.4e38], dtype=np.float32)
    out["float32_special"] = special
    out["bool"] = rng.rand(2, 3) > 0.5
    out["int64_extremes"] = np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max])
    out["uint64_extremes"] = np.array([0, 1, np.iinfo(np.uint64).max], dtype=np.uint64)
    out["float32_big"] = rng.randn(64, 33).astype(np.float32)
    out["float32_empty"] = np.zeros((0, 3), np.float32)
    out["string"] = strings(STRINGS)
    out["string_2d"] = strings(["a", "", "b\x00", "ccc", "dd", "é"], (2, 3))
    out["string_scalar"] = strings(["scalar value"], ())
    return out


class DtypesModule(tf.Module):
    """One variable per dtype, plus functions that read a few of them."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        super().__init__(name="dtypes")
        for name, value in values.items():
            setattr(self, f"v_{name}", tf.Variable(value, name=name))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x"),
                                  tf.TensorSpec([None], tf.string, name="s"),
                                  tf.TensorSpec([], tf.int64, name="n")])
    def mix(self, x, s, n):
        return {
            "scaled": x * tf.reduce_sum(self.v_float32),
            "as_bfloat16": tf.cast(x, tf.bfloat16) * self.v_bfloat16[0, 0],
            "as_float16": tf.cast(x, tf.float16) + self.v_float16[0, 0],
            "as_complex64": tf.complex(x, -x) * self.v_complex64[0, 0],
            "joined": tf.strings.join([s, self.v_string_scalar], separator="|"),
            "count": n + tf.reduce_sum(self.v_int64),
            "nonempty": tf.strings.length(s) > 0,
        }

    @tf.function(input_signature=[])
    def all_values(self):
        return {v.name.split(":")[0]: tf.identity(v) for v in self._all_vars()}

    def _all_vars(self):
        return [getattr(self, a) for a in sorted(vars(self)) if a.startswith("v_")]


def build(out: Path) -> None:
    setup()
    module = DtypesModule(_values(np.random.RandomState(0)))
    tf.saved_model.save(module, str(out / "model"),
                        signatures={"serving_default": module.mix, "all_values": module.all_values})
    cases = Cases()
    feeds = [
        {"x": np.array([1.5, -2.0, 0.0], np.float32), "s": strings(["", "a\x00", "ü"]),
         "n": np.array(7, np.int64)},
        {"x": np.zeros((0,), np.float32), "s": strings([]), "n": np.array(-3, np.int64)},
    ]
    loaded = record_signatures(cases, out, "model", {"serving_default": feeds, "all_values": [{}]})
    record_function(cases, loaded, "model", "mix", args=list(feeds[0].values()))
    record_function(cases, loaded, "model", "mix", kwargs=feeds[1])
    record_function(cases, loaded, "model", "all_values")
    cases.write(out)
