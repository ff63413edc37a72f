"""Random SavedModel protos and TensorFlow's C++ fingerprints of them: the canonical-order oracle.

TensorFlow's ``CreateFingerprintDef`` hashes the C++ deterministic serialization of the SavedModel
(``saved_model_checksum``), of the regularized graph, of each SignatureDef and of each concrete
function, so its results pin our C++-order serializer and fingerprint rules byte for byte.

The protos are filled at random through *TensorFlow's own* descriptors (every field TensorFlow
knows, so a field missing from our schemas shows up as a mismatch), with map keys drawn from a set
full of prefixes (``""``, ``"a"``, ``"a_1"``, ``"ab"``...), negative integers, non-ASCII strings,
unknown fields at several depths, Const/PartitionedCall nodes and concrete function names with
tricky UIDs. A few cases have a concrete function name without a UID, which TensorFlow rejects.

Writes ``case_NNN.pb`` (the SavedModel bytes; not in a ``saved_model.pb`` directory, so the corpus
builder does not run ``saved_model_cli`` on these meaningless graphs) and ``cases.json``: per case
either the five hashes and the producer, or ``{"error": message}``.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from google.protobuf import descriptor
from tensorflow.core.protobuf import fingerprint_pb2, saved_model_pb2
from tensorflow.python.saved_model.pywrap_saved_model import (
    fingerprinting as tf_fingerprinting,
)

CASES = 80
SEED = 20260
KEYS = ["", "a", "a_1", "a_10", "ab", "b", "T", "Tin", "Tout", "_class", "_output_shapes",
        "\u00e9", "\u00e9t\u00e9", "\x7f", "zz", "f", "value", "dtype", "config_proto"]
OPS = ["Const", "PartitionedCall", "StatefulPartitionedCall", "Identity", "NoOp", ""]
FUNCTION_NAMES = ["__inference_f_{}", "g_{}", "h_00{}", "k_+{}", "m_ {} ", "n_{}_x_{}", "p{}"]
UNKNOWN = [b"\xa0\x1f\x05", b"\xaa\x1f\x03xyz", b"\xad\x1f\x01\x02\x03\x04",
           b"\xa9\x1f" + bytes(range(8)), b"\xa3\x1f\x08\x01\xa4\x1f"]
_FD = descriptor.FieldDescriptor


class Filler:
    """Fills a message at random: each field set with probability ``density``, depth-bounded."""

    def __init__(self, rng: random.Random, density: float, max_depth: int) -> None:
        self.rng, self.density, self.max_depth = rng, density, max_depth

    def fill(self, msg, depth: int = 0) -> None:
        fields = list(msg.DESCRIPTOR.fields)
        self.rng.shuffle(fields)
        oneofs_done: set[str] = set()
        for field in fields:
            if self.rng.random() > self.density:
                continue
            if field.containing_oneof is not None:
                if field.containing_oneof.name in oneofs_done:
                    continue
                oneofs_done.add(field.containing_oneof.name)
            if field.message_type is not None and depth >= self.max_depth:
                continue
            self.set_field(msg, field, depth)

    def set_field(self, msg, field, depth: int) -> None:
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            container = getattr(msg, field.name)
            for _ in range(self.rng.randint(1, 4)):
                key = self.scalar(entry.fields_by_number[1], keys=True)
                value_field = entry.fields_by_number[2]
                if value_field.message_type is not None:
                    self.fill(container[key], depth + 1)
                else:
                    container[key] = self.scalar(value_field)
        elif field.message_type is not None:
            if field.is_repeated:
                for _ in range(self.rng.randint(1, 3)):
                    self.fill(getattr(msg, field.name).add(), depth + 1)
            else:
                sub = getattr(msg, field.name)
                sub.SetInParent()
                self.fill(sub, depth + 1)
        elif field.is_repeated:
            getattr(msg, field.name).extend(
                self.scalar(field) for _ in range(self.rng.randint(1, 4)))
        else:
            setattr(msg, field.name, self.scalar(field))

    def scalar(self, field, keys: bool = False):
        rng, kind = self.rng, field.type
        if kind == _FD.TYPE_STRING:
            return rng.choice(KEYS) if keys or rng.random() < 0.5 else f"s{rng.randint(0, 99)}\u00fc"
        if kind == _FD.TYPE_BYTES:
            return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 6)))
        if kind == _FD.TYPE_BOOL:
            return rng.random() < 0.5
        if kind in (_FD.TYPE_FLOAT, _FD.TYPE_DOUBLE):
            return rng.choice([0.0, -0.0, 1.5, -2.25, 1e30, float("inf"), float("nan"), rng.random()])
        if kind == _FD.TYPE_ENUM:
            return rng.choice([v.number for v in field.enum_type.values] + [-1, 1234])
        unsigned = kind in (_FD.TYPE_UINT32, _FD.TYPE_UINT64, _FD.TYPE_FIXED32, _FD.TYPE_FIXED64)
        bits = 32 if kind in (_FD.TYPE_INT32, _FD.TYPE_UINT32, _FD.TYPE_SINT32, _FD.TYPE_FIXED32,
                              _FD.TYPE_SFIXED32) else 64
        choices = [0, 1, 2, 10, 127, 128, 300, 2 ** (bits - 1) - 1]
        if unsigned:
            choices.append(2**bits - 1)
        else:
            choices += [-1, -300, -(2 ** (bits - 1))]
        return rng.choice(choices)


def _make_case(rng: random.Random, index: int) -> bytes:
    saved_model = saved_model_pb2.SavedModel()
    Filler(rng, density=0.35, max_depth=6).fill(saved_model)
    if not saved_model.meta_graphs:
        saved_model.meta_graphs.add()
    meta_graph = saved_model.meta_graphs[0]
    filler = Filler(rng, density=0.3, max_depth=4)
    for _ in range(rng.randint(0, 6)):
        _add_node(rng, filler, meta_graph.graph_def.node.add())
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(KEYS + ["serving_default", "serving_default_1"])
        filler.fill(meta_graph.signature_def[key], 1)
    meta_graph.object_graph_def.ClearField("concrete_functions")  # random keys would share UIDs
    _name_functions(rng, meta_graph.object_graph_def.concrete_functions, filler, bad=index % 10 == 9)
    for node in list(meta_graph.graph_def.node)[: rng.randint(0, 2)]:
        node.MergeFromString(rng.choice(UNKNOWN))
    return saved_model.SerializeToString() + (rng.choice(UNKNOWN) if index % 3 == 0 else b"")


def _add_node(rng: random.Random, filler: Filler, node) -> None:
    filler.fill(node, 2)
    node.op = rng.choice(OPS)
    if node.op == "Const":  # TF reads attr "dtype" of every Const, and "value" of string ones
        node.attr["dtype"].type = rng.choice([1, 7, 7, 9])
        node.attr["value"].tensor.string_val.append(b"/abs/path/vocab.txt")
    elif node.op.endswith("PartitionedCall"):  # ... and attr "f" of every call node
        node.attr["f"].func.name = rng.choice(FUNCTION_NAMES).format(rng.randint(0, 99), 7)
        if rng.random() < 0.7:
            node.attr["config_proto"].s = b"\n\x07\n\x03CPU\x10\x01"


def _name_functions(rng: random.Random, functions, filler: Filler, bad: bool) -> None:
    uids = rng.sample(range(1, 500), rng.randint(0, 5))
    for uid in uids:
        name = rng.choice(FUNCTION_NAMES[:-1]).format(uid, uid)
        filler.fill(functions[name], 2)
    if bad:
        filler.fill(functions["no_uid_here"], 2)


def _tf_fingerprint(export_dir: Path) -> dict:
    try:
        proto = fingerprint_pb2.FingerprintDef.FromString(
            tf_fingerprinting.CreateFingerprintDef(str(export_dir)))
    except tf_fingerprinting.FingerprintException as err:
        return {"error": str(err)}
    return {
        "saved_model_checksum": proto.saved_model_checksum,
        "graph_def_program_hash": proto.graph_def_program_hash,
        "signature_def_hash": proto.signature_def_hash,
        "saved_object_graph_hash": proto.saved_object_graph_hash,
        "checkpoint_hash": proto.checkpoint_hash,
        "producer": proto.version.producer,
    }


def build(out: Path) -> None:
    rng = random.Random(SEED)
    cases = {}
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(CASES):
            name = f"case_{index:03d}"
            data = _make_case(rng, index)
            (out / f"{name}.pb").write_bytes(data)
            (Path(scratch) / "saved_model.pb").write_bytes(data)
            cases[name] = _tf_fingerprint(Path(scratch))
    (out / "cases.json").write_text(json.dumps(cases, indent=1, sort_keys=True))
