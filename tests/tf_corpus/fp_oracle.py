"""TensorFlow's answers for the format layer's small questions, recorded once.

Writes ``oracle.json`` with:

- ``fingerprint64``: ``[[hex input, Fingerprint64]]`` from ``tf.fingerprint(..., "farmhash64")``
  for random inputs of every length 0-259 plus 1000, 4096 and 10001 bytes (all FarmHash code paths).
- ``constants``: ``{module: {name: value}}`` for every public str/int attribute of ``tf.saved_model``,
  ``tf.compat.v1.saved_model`` and its ``constants``/``tag_constants``/``signature_constants``, and
  every upper-case constant of ``tensorflow.python.saved_model.{constants,tag_constants,
  signature_constants}`` (some, like ``EVAL``, are defined there but not exported) and of the C++
  constants module ``pywrap_saved_model.constants`` (``FINGERPRINT_FILENAME`` lives only there).
- ``contains``: ``{case: {"files": [...], "dirs": [...], "query": path, "tf": bool}}``: directory
  layouts (built in a scratch directory, so the corpus holds no fake SavedModels) and what
  ``tf.saved_model.contains_saved_model`` answered for the query path.
- ``fixture_fingerprints``: ``{"<model>/<version>": {...}}``: TensorFlow 2.21's
  ``CreateFingerprintDef`` (all fields but the uuid) for every ``saved_model.pb`` among the TF
  Serving fixtures in ``../shared/fixtures/tensorflow-serving`` (written by older TensorFlow versions,
  so their bytes are not in canonical order: a real test of the C++-order serializer).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

import tensorflow as tf
from tensorflow.core.protobuf import fingerprint_pb2
from tensorflow.python.saved_model import constants as py_constants
from tensorflow.python.saved_model import signature_constants as py_signature_constants
from tensorflow.python.saved_model import tag_constants as py_tag_constants
from tensorflow.python.saved_model.pywrap_saved_model import (
    constants as pywrap_constants,
)
from tensorflow.python.saved_model.pywrap_saved_model import (
    fingerprinting as tf_fingerprinting,
)

SERVING_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "tensorflow-serving"

LENGTHS = list(range(260)) + [1000, 4096, 10001]

# query "." is the layout's root; "missing" does not exist.
CONTAINS_LAYOUTS = {
    "empty_dir": {"files": [], "dirs": [], "query": "."},
    "pb": {"files": ["saved_model.pb"], "dirs": [], "query": "."},
    "pbtxt": {"files": ["saved_model.pbtxt"], "dirs": [], "query": "."},
    "cpb": {"files": ["saved_model.cpb"], "dirs": [], "query": "."},
    "pb_and_pbtxt": {"files": ["saved_model.pb", "saved_model.pbtxt"], "dirs": [], "query": "."},
    "variables_only": {"files": ["variables/variables.index"], "dirs": ["assets"], "query": "."},
    "session_bundle": {"files": ["export.meta", "export", "checkpoint"], "dirs": [], "query": "."},
    "pb_is_a_directory": {"files": [], "dirs": ["saved_model.pb"], "query": "."},
    "fingerprint_only": {"files": ["fingerprint.pb"], "dirs": [], "query": "."},
    "nested_one_level": {"files": ["1/saved_model.pb"], "dirs": [], "query": "."},
    "nested_query": {"files": ["1/saved_model.pb"], "dirs": [], "query": "1"},
    "missing": {"files": [], "dirs": [], "query": "missing"},
    "file_path": {"files": ["saved_model.pb"], "dirs": [], "query": "saved_model.pb"},
    "other_name": {"files": ["model.pb", "saved_model.pb.tmp0123456789abcdef0123456789abcdef"],
                   "dirs": [], "query": "."},
}


def _fingerprint64_cases() -> list[list]:
    rng = random.Random(64)
    inputs = [bytes(rng.randrange(256) for _ in range(n)) for n in LENGTHS]
    rows = tf.fingerprint(tf.constant(inputs), method="farmhash64").numpy()
    return [[data.hex(), int.from_bytes(bytes(row), "little")] for data, row in zip(inputs, rows)]


def _module_constants(module) -> dict:
    return {name: getattr(module, name) for name in dir(module)
            if not name.startswith("_") and isinstance(getattr(module, name), (str, int))
            and not isinstance(getattr(module, name), bool)}


def _constants() -> dict:
    v1 = tf.compat.v1.saved_model
    return {
        "tf.saved_model": _module_constants(tf.saved_model),
        "tf.compat.v1.saved_model": _module_constants(v1),
        "tf.compat.v1.saved_model.constants": _module_constants(v1.constants),
        "tf.compat.v1.saved_model.tag_constants": _module_constants(v1.tag_constants),
        "tf.compat.v1.saved_model.signature_constants": _module_constants(v1.signature_constants),
        "python.constants": {k: v for k, v in _module_constants(py_constants).items() if k.isupper()},
        "python.tag_constants": {k: v for k, v in _module_constants(py_tag_constants).items()
                                 if k.isupper()},
        "python.signature_constants": {k: v for k, v in
                                       _module_constants(py_signature_constants).items()
                                       if k.isupper()},
        "pywrap.constants": _module_constants(pywrap_constants),
    }


def make_layout(root: Path, layout: dict) -> Path:
    """Creates ``layout`` under ``root``; returns the query path (the test side does the same)."""
    for directory in layout["dirs"]:
        (root / directory).mkdir(parents=True, exist_ok=True)
    for name in layout["files"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")
    return root / layout["query"]


def _contains_cases() -> dict:
    cases = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, layout in CONTAINS_LAYOUTS.items():
            root = Path(scratch) / name
            root.mkdir()
            query = make_layout(root, layout)
            cases[name] = dict(layout, tf=bool(tf.saved_model.contains_saved_model(os.fspath(query))))
    return cases


def _fixture_fingerprints() -> dict:
    records = {}
    for pb in sorted(SERVING_FIXTURES.glob("*/*/saved_model.pb")):
        proto = fingerprint_pb2.FingerprintDef.FromString(
            tf_fingerprinting.CreateFingerprintDef(str(pb.parent)))
        records[pb.parent.relative_to(SERVING_FIXTURES).as_posix()] = {
            "saved_model_checksum": proto.saved_model_checksum,
            "graph_def_program_hash": proto.graph_def_program_hash,
            "signature_def_hash": proto.signature_def_hash,
            "saved_object_graph_hash": proto.saved_object_graph_hash,
            "checkpoint_hash": proto.checkpoint_hash,
            "producer": proto.version.producer,
        }
    if not records:
        raise FileNotFoundError(f"No TF Serving fixtures under {SERVING_FIXTURES}.")
    return records


def build(out: Path) -> None:
    oracle = {
        "fingerprint64": _fingerprint64_cases(),
        "constants": _constants(),
        "contains": _contains_cases(),
        "fixture_fingerprints": _fixture_fingerprints(),
    }
    (out / "oracle.json").write_text(json.dumps(oracle, indent=1, sort_keys=True))
