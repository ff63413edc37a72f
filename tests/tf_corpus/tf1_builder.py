"""Graph-mode ``tf.compat.v1.saved_model.Builder`` model with two meta graphs, written twice.

Covers: a RefVariable (VariableV2) and a resource variable, an int64 RefVariable updated before
saving, an asset file feeding a text-file lookup table (``assets/vocab.txt``, ASSET_FILEPATHS
collection), tf.Example parsing, a sparse placeholder, ``main_op`` (local variables and tables
initialised), meta graphs tagged ``train`` (added with variables) and ``serve`` (added after).
Variants: ``binary/`` (saved_model.pb) and ``text/`` (``as_text=True``: saved_model.pbtxt).
Signatures, tag ``serve``: ``serving_default`` (predict: float ``x`` and string ``words``),
``classify`` and ``regress`` (serialized tf.Example ``inputs``), ``sparse_sum`` (COO sparse input;
no case recorded); tag ``train``: ``train_predict``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from _common import Cases, record_tf1_signature, setup, strings

v1 = tf.compat.v1
VOCAB = ["apple", "banana", "cherry", "dátil", "elder berry", "ünïcode"]
WEIGHTS = np.random.RandomState(3).randn(3, 2).astype(np.float32)


def _signatures(x, words, examples, sparse, y, ids, scores, classes, regression, total):
    sdu = v1.saved_model.signature_def_utils
    return {
        "serving_default": sdu.predict_signature_def({"x": x, "words": words},
                                                     {"y": y, "ids": ids}),
        "classify": sdu.classification_signature_def(examples, classes, scores),
        "regress": sdu.regression_signature_def(examples, regression),
        "sparse_sum": sdu.predict_signature_def({"sp": sparse}, {"total": total}),
    }


def _save(export_dir: Path, vocab_file: Path, as_text: bool) -> None:
    with tf.Graph().as_default(), v1.Session() as sess:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        words = v1.placeholder(tf.string, [None], name="words")
        examples = v1.placeholder(tf.string, [None], name="tf_example")
        sparse = v1.sparse_placeholder(tf.float32, [None, 4], name="sp")
        w = v1.Variable(WEIGHTS, name="w_ref", use_resource=False)
        b = v1.Variable([0.5, -0.25], name="b_resource", use_resource=True)
        step = v1.Variable(np.int64(0), name="step", use_resource=False, trainable=False)
        counter = v1.Variable(np.int32(7), name="local_counter", use_resource=False,
                              collections=[v1.GraphKeys.LOCAL_VARIABLES])
        vocab = tf.constant(str(vocab_file), name="vocab_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, vocab)
        init = tf.lookup.TextFileInitializer(vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                             tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
        table = v1.lookup.StaticHashTable(init, default_value=-1)
        y = tf.identity(tf.matmul(x, w) + b, name="y")
        ids = tf.identity(table.lookup(words) + tf.cast(counter, tf.int64) * 0, name="ids")
        features = tf.io.parse_example(examples, {"x": tf.io.FixedLenFeature([3], tf.float32)})
        logits = tf.matmul(features["x"], w) + b
        scores = tf.nn.softmax(logits, name="scores")
        classes = tf.tile(tf.constant([["neg", "pos"]]), [tf.shape(logits)[0], 1], name="classes")
        regression = tf.reduce_sum(logits, axis=1, keepdims=True, name="regression")
        total = tf.sparse.reduce_sum(sparse, axis=1, name="total")
        sess.run([v1.global_variables_initializer(), v1.local_variables_initializer(),
                  v1.tables_initializer()])
        sess.run(v1.assign_add(step, 42))
        sigs = _signatures(x, words, examples, sparse, y, ids, scores, classes, regression, total)
        builder = v1.saved_model.Builder(str(export_dir))
        assets = v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS)
        builder.add_meta_graph_and_variables(
            sess, ["train"], signature_def_map={"train_predict": sigs["serving_default"]},
            assets_collection=assets, main_op=v1.saved_model.main_op.main_op())
        tf.compat.v1.get_default_graph().clear_collection("saved_model_main_op")  # one per graph
        builder.add_meta_graph(["serve"], signature_def_map=sigs, assets_collection=assets,
                               main_op=v1.saved_model.main_op.main_op())
        builder.save(as_text=as_text)


def _example(values: list[float]) -> bytes:
    feature = tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Example(features=tf.train.Features(feature={"x": feature})).SerializeToString()


def build(out: Path) -> None:
    setup()
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.txt"
        vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
        for variant, as_text in (("binary", False), ("text", True)):
            _save(out / variant, vocab_file, as_text)
    rng = np.random.RandomState(4)
    predict = [{"x": rng.randn(2, 3).astype(np.float32),
                "words": strings(["banana", "zzz", "dátil"])},
               {"x": np.zeros((0, 3), np.float32), "words": strings([""])}]
    examples = [{"inputs": strings([_example([1.0, 2.0, -1.0]), _example([0.5, 0.0, 3.0])])}]
    cases = Cases()
    for variant in ("binary", "text"):
        serve = (out / variant, variant, ["serve"])
        record_tf1_signature(cases, *serve, "serving_default", predict)
        record_tf1_signature(cases, *serve, "classify", examples)
        record_tf1_signature(cases, *serve, "regress", examples)
        record_tf1_signature(cases, out / variant, variant, ["train"], "train_predict", predict[:1])
    cases.write(out)
