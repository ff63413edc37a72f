"""tf.Module with lookup tables initialised from assets and tensors, queried with string inputs.

Covers: ``StaticHashTable`` from an asset text file (whole line -> line number) and from a
tab-separated asset (column 0 -> int64 column 1); ``StaticVocabularyTable`` with OOV buckets
(FarmHash Fingerprint64 of unknown keys); ``StaticHashTable`` int64 -> string from tensors;
``MutableHashTable`` whose contents live in the checkpoint (``-keys``/``-values`` entries).
Signatures ``serving_default`` (string ``words``) and ``by_id`` (int64 ``ids``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_function, record_signatures, setup, strings

VOCAB = ["the", "quick", "brown", "fox", "jumps", "ünïcode", "with space"]
COUNTS = [("the", 120), ("fox", 7), ("ünïcode", -3), ("brown", 2**40)]
WHOLE_LINE = tf.lookup.TextFileIndex.WHOLE_LINE
LINE_NUMBER = tf.lookup.TextFileIndex.LINE_NUMBER


class Lookup(tf.Module):
    def __init__(self, vocab_file: Path, counts_file: Path) -> None:
        super().__init__()
        self.vocab_asset = tf.saved_model.Asset(str(vocab_file))
        self.counts_asset = tf.saved_model.Asset(str(counts_file))
        self.index = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            self.vocab_asset, tf.string, WHOLE_LINE, tf.int64, LINE_NUMBER), default_value=-1)
        self.counts = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            self.counts_asset, tf.string, 0, tf.int64, 1, delimiter="\t"), default_value=0)
        self.vocab = tf.lookup.StaticVocabularyTable(tf.lookup.TextFileInitializer(
            self.vocab_asset, tf.string, WHOLE_LINE, tf.int64, LINE_NUMBER), num_oov_buckets=3)
        self.names = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant([0, 1, 2, 10], tf.int64), tf.constant(["zero", "one", "two", "ten"])),
            default_value="?")
        self.mutable = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32,
                                                               default_value=-1.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def lookup(self, words):
        return {"index": self.index.lookup(words), "count": self.counts.lookup(words),
                "vocab_id": self.vocab.lookup(words), "score": self.mutable.lookup(words),
                "size": self.index.size()}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="ids")])
    def by_id(self, ids):
        return {"name": self.names.lookup(ids)}


def build(out: Path) -> None:
    setup()
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file, counts_file = Path(tmp) / "vocab.txt", Path(tmp) / "counts.tsv"
        vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
        counts_file.write_text("".join(f"{w}\t{c}\n" for w, c in COUNTS), encoding="utf-8")
        module = Lookup(vocab_file, counts_file)
        module.mutable.insert(tf.constant(["fox", "the", "zebra"]), tf.constant([0.5, 1.5, 2.5]))
        tf.saved_model.save(module, str(out / "model"),
                            signatures={"serving_default": module.lookup, "by_id": module.by_id})
    words = [strings(["the", "fox", "unknown", "", "ünïcode", "with space", "zebra", "THE"]),
             strings([])]
    ids = [np.array([0, 2, 3, 10, -1], np.int64)]
    cases = Cases()
    loaded = record_signatures(cases, out, "model", {
        "serving_default": [{"words": w} for w in words], "by_id": [{"ids": i} for i in ids]})
    record_function(cases, loaded, "model", "lookup", args=[words[0]])
    record_function(cases, loaded, "model", "by_id", args=[ids[0]])
    cases.write(out)
