"""tf.Module with string and int64 inputs, and dict, list and tuple outputs.

Covers: tf.strings basics (upper/lower, length in bytes and UTF-8 chars, substr, join,
reduce_join, regex_full_match, regex_replace, strip, split to dense, to_number, as_string,
to_hash_bucket_fast), int64 arithmetic past 2**31 (floordiv, mod, cumsum, bitwise), string
comparison; outputs as a dict (``serving_default``), a list (``as_list``: signature keys
``output_0``...; function returns a list) and a nested tuple (``nested``: function only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup, strings

S = tf.TensorSpec([None], tf.string, name="s")
N = tf.TensorSpec([None], tf.int64, name="n")


class StringsInt64(tf.Module):
    @tf.function(input_signature=[S, N])
    def transform(self, s, n):
        return {
            "upper": tf.strings.upper(s),
            "lower": tf.strings.lower(s),
            "bytes": tf.strings.length(s),
            "chars": tf.strings.length(s, unit="UTF8_CHAR"),
            "prefix": tf.strings.substr(s, 0, 3),
            "joined": tf.strings.join([s, tf.strings.as_string(n)], separator="#"),
            "all": tf.strings.reduce_join(s, separator=","),
            "is_word": tf.strings.regex_full_match(s, r"[a-z]+"),
            "vowels": tf.strings.regex_replace(s, "[aeiou]", "_"),
            "stripped": tf.strings.strip(s),
            "bucket": tf.strings.to_hash_bucket_fast(s, 1000),
            "equal_first": tf.equal(s, s[:1]),
            "n_big": n * 3_000_000_000 + 1,
            "n_div": tf.math.floordiv(n, 7),
            "n_mod": tf.math.floormod(n, 7),
            "n_cumsum": tf.cumsum(n),
            "n_xor": tf.bitwise.bitwise_xor(n, 0x5555),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="csv")])
    def parse(self, csv):
        parts = tf.strings.split(csv, ",").to_tensor(default_value="0", shape=[None, 3])
        return {"numbers": tf.strings.to_number(parts, tf.int64),
                "floats": tf.strings.to_number(parts, tf.float32)}

    @tf.function(input_signature=[S, N])
    def as_list(self, s, n):
        return [tf.strings.length(s) + tf.cast(tf.size(n), tf.int32), n - 1, tf.reverse(s, [0])]

    @tf.function(input_signature=[S, N])
    def nested(self, s, n):
        return (n, {"pair": (s, n * n), "sum": tf.reduce_sum(n)}, [s[:1]])


def build(out: Path) -> None:
    setup()
    module = StringsInt64()
    tf.saved_model.save(module, str(out / "model"), signatures={
        "serving_default": module.transform, "parse": module.parse, "as_list": module.as_list})
    feeds = [
        {"s": strings(["hello", " Wörld ", "", "a\x00b", "abc", "éèê"]),
         "n": np.array([0, -1, 2**40, -(2**40) - 5, 123456789012, 7], np.int64)},
        {"s": strings([]), "n": np.zeros(0, np.int64)},
    ]
    csv = {"csv": strings(["1,2,3", "40,-5", "9007199254740993,0,1"])}
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {
        "serving_default": feeds, "parse": [csv], "as_list": feeds[:1]})
    for name in ("transform", "as_list", "nested"):
        record_function(cases, loaded, "model", name, args=[feeds[0]["s"], feeds[0]["n"]])
    record_function(cases, loaded, "model", "parse", kwargs=csv)
    cases.write(out)
