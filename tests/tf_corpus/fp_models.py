"""SavedModels written by TensorFlow 2.21 for the format layer's file and fingerprint tests.

Writes under ``out``:

- ``module/``: a tf.Module with a float variable, two signatures whose keys (and output keys) are
  prefixes of one another (``serving_default`` / ``serving_default_1``, ``y`` / ``y_1``), and a
  polymorphic function traced twice; saved with ``save_debug_info=True``.
- ``keras_save/`` and ``keras_export/``: a Keras 3 functional Dense model, via
  ``tf.saved_model.save`` and via ``model.export``.
- ``hash_table/``: a tf.Module with a ``StaticHashTable`` initialised from an asset file.
- ``tf1_pb/`` and ``tf1_pbtxt/``: the same TF1 graph (a variable, an asset-backed lookup table, a
  main op, a predict signature) saved by ``SavedModelBuilder``, binary and ``as_text=True``.
- ``tf_fingerprints.json``: for every directory above, TensorFlow's own
  ``CreateFingerprintDef(export_dir)`` (all fields but the uuid) and, where TF wrote a
  ``fingerprint.pb``, its singleprint.
"""

from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf
from _common import setup
from tensorflow.core.protobuf import fingerprint_pb2
from tensorflow.python.saved_model.pywrap_saved_model import (
    fingerprinting as tf_fingerprinting,
)

TF2_MODELS = ("module", "keras_save", "keras_export", "hash_table")
TF1_MODELS = ("tf1_pb", "tf1_pbtxt")


class _Scaler(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.v = tf.Variable([1.0, 2.0, 3.0], name="v")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def serve(self, x):
        return {"y": x * self.v, "y_1": x + self.v}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def serve_sum(self, x):
        return {"y": tf.reduce_sum(x * self.v, axis=1)}

    @tf.function
    def poly(self, x):
        return x * 2.0


class _Vocab(tf.Module):
    def __init__(self, vocab: str) -> None:
        super().__init__()
        init = tf.lookup.TextFileInitializer(
            vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
        self.table = tf.lookup.StaticHashTable(init, default_value=-1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def lookup(self, words):
        return {"ids": self.table.lookup(words)}


def _save_module(out: Path) -> None:
    module = _Scaler()
    module.poly(tf.constant(1.0))
    module.poly(tf.constant([1.0, 2.0]))
    tf.saved_model.save(
        module, str(out / "module"),
        signatures={"serving_default": module.serve, "serving_default_1": module.serve_sum},
        options=tf.saved_model.SaveOptions(save_debug_info=True))


def _save_keras(out: Path) -> None:
    import keras

    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    tf.saved_model.save(model, str(out / "keras_save"))
    model.export(str(out / "keras_export"), verbose=False)


def _save_hash_table(out: Path, vocab: Path) -> None:
    module = _Vocab(str(vocab))
    tf.saved_model.save(module, str(out / "hash_table"), signatures=module.lookup)


def _save_tf1(export_dir: Path, vocab: Path, as_text: bool) -> None:
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("w", initializer=tf.constant([[1.0, 2.0], [3.0, 4.0]]), use_resource=True)
        asset = tf.constant(str(vocab), name="asset_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, asset)
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(asset, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                          tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
        words = v1.placeholder(tf.string, [None], name="words")
        signature = v1.saved_model.predict_signature_def(
            {"x": x, "words": words}, {"y": tf.matmul(x, w), "ids": table.lookup(words)})
        sess.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(export_dir))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": signature},
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
            main_op=v1.tables_initializer())
        builder.save(as_text=as_text)


def _tf_fingerprint(export_dir: Path) -> dict:
    proto = fingerprint_pb2.FingerprintDef.FromString(
        tf_fingerprinting.CreateFingerprintDef(str(export_dir)))
    record = {
        "saved_model_checksum": proto.saved_model_checksum,
        "graph_def_program_hash": proto.graph_def_program_hash,
        "signature_def_hash": proto.signature_def_hash,
        "saved_object_graph_hash": proto.saved_object_graph_hash,
        "checkpoint_hash": proto.checkpoint_hash,
        "producer": proto.version.producer,
    }
    if (export_dir / "fingerprint.pb").exists():
        record["singleprint"] = tf_fingerprinting.SingleprintFromFP(str(export_dir))
    return record


def build(out: Path) -> None:
    setup(seed=0, keras=True)
    vocab = out / "_vocab" / "vocab.txt"
    vocab.parent.mkdir()
    vocab.write_text("apple\nbanana\ncherry\n")
    _save_module(out)
    _save_keras(out)
    _save_hash_table(out, vocab)
    _save_tf1(out / "tf1_pb", vocab, as_text=False)
    _save_tf1(out / "tf1_pbtxt", vocab, as_text=True)
    records = {name: _tf_fingerprint(out / name) for name in TF2_MODELS + TF1_MODELS}
    (out / "tf_fingerprints.json").write_text(json.dumps(records, indent=1, sort_keys=True))
