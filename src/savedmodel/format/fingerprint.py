"""``fingerprint.pb``: the five hashes that identify a SavedModel, computed as TensorFlow does.

Spec: ``shared/spec/savedmodel-format.md`` section 6; message ``tensorflow.FingerprintDef`` from
``tensorflow/core/protobuf/fingerprint.proto``; TensorFlow's code is
``tensorflow/cc/saved_model/fingerprinting.cc`` and ``tensorflow/core/graph/regularization``.

Hash primitive: FarmHash ``Fingerprint64`` (``farmhashna::Hash64``), combined with
``FingerprintCat64``. "Serialize" means C++ deterministic serialization (``format.canonical``),
never the file's bytes. Fields, for ``meta_graphs[0]`` of the SavedModel:

1. ``saved_model_checksum``: FP(serialize(SavedModel)).
2. ``graph_def_program_hash``: FP(serialize(G)), G = the graph_def with, for every
   ``PartitionedCall``/``StatefulPartitionedCall`` node, the trailing ``_<int>`` UID digits dropped
   from attr ``f``'s function name and attr ``config_proto`` set to empty bytes; for every
   ``Const`` of dtype ``DT_STRING``, attr ``value`` cleared to an empty AttrValue; ``library`` and
   ``versions`` cleared but still present.
3. ``signature_def_hash``: for each signature key in byte order, h = Cat(h, FP(key)), then
   h = Cat(h, FP(serialize(SignatureDef))); starting from h = 0.
4. ``saved_object_graph_hash``: for each concrete function in the order of its name's trailing
   integer UID, h = Cat(h, FP(name without the UID)), then h = Cat(h, FP(serialize(function))).
5. ``checkpoint_hash``: FP of the raw bytes of ``variables/variables.index``; 0 when it is missing.

Plus ``version.producer`` (below) and ``uuid``, a random 128-bit number in decimal, zero-padded to
at least 20 digits. Only the uuid is random.
``singleprint`` = ``"graph/signature/object/checkpoint"``.

May import: cityhash's ``farmhash``, savedmodel._proto, savedmodel.format, savedmodel.errors.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping

import farmhash
from google.protobuf import message as _message

from savedmodel._proto import (
    fingerprint_pb2,
    graph_pb2,
    meta_graph_pb2,
    saved_model_pb2,
    saved_object_graph_pb2,
)
from savedmodel.errors import FormatError, InvalidArgumentError, NotFoundError
from savedmodel.format import canonical
from savedmodel.format.atomic import atomic_write_bytes
from savedmodel.format.saved_model_file import (
    FINGERPRINT_FILENAME,
    SAVED_MODEL_FILENAME_PB,
    read_saved_model,
    variables_prefix,
)

# FingerprintDef.version.producer, the version of the code that computed the hashes:
# Version 1: older TF (the fixture saved_model_half_plus_two_tf2_cpu, written by TF 2.14.0, has it;
#   its saved_model_checksum is FP of the file's bytes, the four other hashes are as below).
# Version 2: the chunked saved_model.cpb path (TF source, CreateFingerprintDefCpb; not supported).
# Version 4: TF 2.21, binary saved_model.pb: the hashes described above (observed).
FINGERPRINT_PRODUCER = 4
# Version 5: TF 2.21, a directory with only saved_model.pbtxt: every hash is left 0 (observed).
PBTXT_FINGERPRINT_PRODUCER = 5

_MASK64 = 0xFFFFFFFFFFFFFFFF
_CAT_K = 0xC6A4A7935BD1E995
_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_DT_STRING = 7
# absl::SimpleAtoi on the text after the last "_": optional ASCII space, a sign, decimal digits.
_UID = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*", re.ASCII)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MAX_FINGERPRINT_BYTES = 1 << 16


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of ``data`` (TensorFlow's ``tsl::Fingerprint64``), as an unsigned int.

    >>> fingerprint64(b"abc")
    2640714258260161385
    """
    return farmhash.Fingerprint64(data)


def fingerprint_cat64(first: int, second: int) -> int:
    """TensorFlow's ``FingerprintCat64``: combines two 64-bit fingerprints, order-sensitively.

    >>> fingerprint_cat64(0, 0)
    6351753276682545529
    """
    result = (first ^ _CAT_K) & _MASK64
    result ^= _mix(second * _CAT_K & _MASK64) * _CAT_K & _MASK64
    result = result * _CAT_K & _MASK64
    result = _mix(result) * _CAT_K & _MASK64
    return _mix(result)


def _mix(value: int) -> int:
    return value ^ (value >> 47)


def compute_fingerprint(
    source: str | os.PathLike[str] | saved_model_pb2.SavedModel,
    checkpoint_index: bytes | str | os.PathLike[str] | None = None,
) -> fingerprint_pb2.FingerprintDef:
    """Computes the FingerprintDef that TensorFlow 2.21 writes for a SavedModel.

    Args:
        source: a SavedModel directory (as TF's ``CreateFingerprintDef(export_dir)``: binary
            ``saved_model.pb`` and ``variables/variables.index`` are read from it), or a
            ``SavedModel`` proto (hashed as the binary file would be).
        checkpoint_index: with a proto only: the ``variables.index`` path or content; None means
            no checkpoint (``checkpoint_hash`` 0).

    Returns:
        The FingerprintDef, with a fresh random ``uuid``. A directory holding only
        ``saved_model.pbtxt`` gets TensorFlow's answer for it: producer 5 and every hash 0.

    Raises:
        NotFoundError, FormatError, UnimplementedError: as ``read_saved_model``.
        InvalidArgumentError: no meta graph, or a concrete function name without a trailing UID.
    """
    if isinstance(source, saved_model_pb2.SavedModel):
        return _fingerprint_proto(source, _index_bytes(checkpoint_index))
    if checkpoint_index is not None:
        raise InvalidArgumentError(
            "compute_fingerprint: checkpoint_index is read from the directory itself; "
            "pass it only with a SavedModel proto."
        )
    directory = os.fspath(source)
    saved_model = read_saved_model(directory)
    if not os.path.exists(os.path.join(directory, SAVED_MODEL_FILENAME_PB)):  # read the .pbtxt
        return fingerprint_pb2.FingerprintDef(
            version={"producer": PBTXT_FINGERPRINT_PRODUCER}, uuid=_random_uuid()
        )
    index = variables_prefix(directory) + ".index"
    return _fingerprint_proto(saved_model, _index_bytes(index) if os.path.isfile(index) else None)


def _index_bytes(index: bytes | str | os.PathLike[str] | None) -> bytes | None:
    if index is None or isinstance(index, bytes):
        return index
    with open(index, "rb") as handle:
        return handle.read()


def _fingerprint_proto(
    saved_model: saved_model_pb2.SavedModel, index: bytes | None
) -> fingerprint_pb2.FingerprintDef:
    if not saved_model.meta_graphs:
        raise InvalidArgumentError(
            "SavedModel has no meta_graphs: expected at least one MetaGraphDef to fingerprint."
        )
    meta_graph = saved_model.meta_graphs[0]
    graph = regularize_graph_def(meta_graph.graph_def)
    return fingerprint_pb2.FingerprintDef(
        saved_model_checksum=fingerprint64(canonical.serialize(saved_model)),
        graph_def_program_hash=fingerprint64(canonical.serialize(graph)),
        signature_def_hash=_signature_def_hash(meta_graph.signature_def),
        saved_object_graph_hash=_object_graph_hash(meta_graph.object_graph_def),
        checkpoint_hash=0 if index is None else fingerprint64(index),
        version={"producer": FINGERPRINT_PRODUCER},
        uuid=_random_uuid(),
    )


def regularize_graph_def(graph_def: graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """A copy of ``graph_def`` regularized as TF's ``SimpleDelete`` does before hashing it."""
    graph = graph_pb2.GraphDef()
    graph.CopyFrom(graph_def)
    for node in graph.node:
        attrs = node.attr
        if node.op in _CALL_OPS:
            if "f" in attrs:
                name = attrs["f"].func.name
                uid = suffix_uid(name)
                if uid is not None:
                    attrs["f"].func.name = name.removesuffix(str(uid))
            if "config_proto" in attrs:
                attrs["config_proto"].s = b""
        # TF would crash on a Const without "dtype" or a string one without "value"; we skip them.
        is_const = node.op == "Const" and "dtype" in attrs
        if is_const and attrs["dtype"].type == _DT_STRING and "value" in attrs:
            attrs["value"].Clear()
    graph.ClearField("library")
    graph.library.SetInParent()
    graph.ClearField("versions")
    graph.versions.SetInParent()
    return graph


def suffix_uid(function_name: str) -> int | None:
    """The integer after the last ``_`` of a function name (TF's ``GetSuffixUID``), or None.

    >>> suffix_uid("__inference_serve_42"), suffix_uid("no_uid_here")
    (42, None)
    """
    match = _UID.fullmatch(function_name.rsplit("_", 1)[-1])
    if match is None:
        return None
    uid = int(match.group(1))
    return uid if _INT64_MIN <= uid <= _INT64_MAX else None


def _signature_def_hash(signature_defs: Mapping[str, meta_graph_pb2.SignatureDef]) -> int:
    result = 0
    for key in sorted(signature_defs):  # str order is the UTF-8 byte order of C++'s btree_map
        result = fingerprint_cat64(result, fingerprint64(key.encode("utf-8")))
        result = fingerprint_cat64(result, fingerprint64(canonical.serialize(signature_defs[key])))
    return result


def _object_graph_hash(object_graph_def: saved_object_graph_pb2.SavedObjectGraph) -> int:
    by_uid: dict[int, str] = {}
    for name in sorted(object_graph_def.concrete_functions):
        uid = suffix_uid(name)
        if uid is None:
            raise InvalidArgumentError(
                f"SavedObjectGraph.concrete_functions: function name {name!r} does not end in an "
                "integer UID, which TensorFlow's fingerprint needs (e.g. '__inference_f_12')."
            )
        by_uid.setdefault(uid, name)  # C++ btree_map::insert keeps the first name for a UID
    result = 0
    for uid in sorted(by_uid):
        name = by_uid[uid]
        stripped = name.removesuffix(str(uid))
        function = object_graph_def.concrete_functions[name]
        result = fingerprint_cat64(result, fingerprint64(stripped.encode("utf-8")))
        result = fingerprint_cat64(result, fingerprint64(canonical.serialize(function)))
    return result


def _random_uuid() -> str:
    # Two random 64-bit halves, printed "%020d" (fingerprinting_x_platform_utils.cc).
    return f"{secrets.randbits(128):020d}"


def read_fingerprint(export_dir: str | os.PathLike[str]) -> fingerprint_pb2.FingerprintDef:
    """Reads ``export_dir/fingerprint.pb``.

    Raises:
        NotFoundError: the file is missing (TF1 exports and older TF2 ones have none).
        FormatError: the file does not parse as a FingerprintDef.
    """
    path = os.path.join(os.fspath(export_dir), FINGERPRINT_FILENAME)
    if not os.path.isfile(path):
        raise NotFoundError(
            f"{path}: no fingerprint file. Only tf.saved_model.save writes one; compute it with "
            "compute_fingerprint(export_dir) instead."
        )
    size = os.path.getsize(path)
    if size > _MAX_FINGERPRINT_BYTES:
        raise FormatError(
            f"{path}: file is {size} bytes, expected a FingerprintDef of at most "
            f"{_MAX_FINGERPRINT_BYTES} bytes (five integers, a version and a uuid)."
        )
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return fingerprint_pb2.FingerprintDef.FromString(data)
    except _message.DecodeError as err:
        raise FormatError(f"{path}: not a valid tensorflow.FingerprintDef proto: {err}.") from err


def write_fingerprint(
    export_dir: str | os.PathLike[str], fingerprint: fingerprint_pb2.FingerprintDef
) -> str:
    """Writes ``export_dir/fingerprint.pb`` atomically (after ``saved_model.pb``, as TF does)."""
    path = os.path.join(os.fspath(export_dir), FINGERPRINT_FILENAME)
    return atomic_write_bytes(path, fingerprint.SerializeToString(deterministic=True))


def singleprint(fingerprint: fingerprint_pb2.FingerprintDef) -> str:
    """The model's one-line id: ``"graph_def_program/signature_def/saved_object_graph/checkpoint"``.

    >>> singleprint(fingerprint_pb2.FingerprintDef(graph_def_program_hash=1, checkpoint_hash=4))
    '1/0/0/4'
    """
    return (
        f"{fingerprint.graph_def_program_hash}/{fingerprint.signature_def_hash}/"
        f"{fingerprint.saved_object_graph_hash}/{fingerprint.checkpoint_hash}"
    )
