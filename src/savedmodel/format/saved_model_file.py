"""The SavedModel directory's names and its root file, ``saved_model.pb`` / ``saved_model.pbtxt``.

Spec: ``shared/spec/savedmodel-format.md`` sections 1, 2 and 7; message
``tensorflow.SavedModel`` from ``tensorflow/core/protobuf/saved_model.proto``. Layout::

    <export_dir>/
      saved_model.pb          binary SavedModel proto (or saved_model.pbtxt, text format)
      fingerprint.pb          FingerprintDef, written after saved_model.pb (TF2 save only)
      variables/variables.index, variables/variables.data-NNNNN-of-NNNNN   tensor bundle
      assets/                 asset files, flat, by base name
      assets.extra/           never written by TensorFlow; serving extras (warm-up requests)
      debug/saved_model_debug_info.pb   GraphDebugInfo (save_debug_info=True only)

Rules this module applies:

- Readers MUST prefer ``saved_model.pb`` and fall back to ``saved_model.pbtxt``, as TensorFlow's
  Python and C++ loaders do. ``saved_model.cpb`` (the chunked format TensorFlow uses past the 2 GiB
  protobuf limit) is recognised but not read.
- A protobuf message cannot exceed 2 GiB - 1 bytes; larger files are refused before reading.
- Writers serialize with the Python runtime's deterministic mode, which is what TensorFlow 2.21's
  Python save path does, so our bytes equal TensorFlow's for the same proto; and they write
  ``saved_model.pb`` via a temporary file and a rename (TensorFlow's order: variables and assets
  first, ``saved_model.pb`` last of the files a loader needs), so a loader never sees a
  complete-looking directory that is not complete.

May import: savedmodel._proto, savedmodel.format.atomic, savedmodel.errors.
"""

from __future__ import annotations

import os

from google.protobuf import message as _message
from google.protobuf import text_format

from savedmodel._proto import parse_text, saved_model_pb2
from savedmodel.errors import (
    FormatError,
    NotFoundError,
    SavedModelValueError,
    UnimplementedError,
)
from savedmodel.format.atomic import atomic_write_bytes

# File and directory names, with TensorFlow's values (tensorflow/cc/saved_model/constants.h).
SAVED_MODEL_FILENAME_PREFIX = "saved_model"
SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
SAVED_MODEL_FILENAME_CPB = "saved_model.cpb"
FINGERPRINT_FILENAME = "fingerprint.pb"
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
ASSETS_DIRECTORY = "assets"
EXTRA_ASSETS_DIRECTORY = "assets.extra"
DEBUG_DIRECTORY = "debug"
DEBUG_INFO_FILENAME_PB = "saved_model_debug_info.pb"

# Version 1, 2016 (TensorFlow 0.12, the first SavedModel): the only version ever written.
SAVED_MODEL_SCHEMA_VERSION = 1

#: The largest message protobuf can parse or write: 2 GiB - 1 bytes (a signed 32-bit length).
MAX_PROTO_BYTES = 2**31 - 1

# Old pre-SavedModel "session bundle" exports hold these instead of saved_model.pb.
_SESSION_BUNDLE_FILES = ("export.meta", "export")


def contains_saved_model(export_dir: str | os.PathLike[str]) -> bool:
    """True if ``export_dir`` holds ``saved_model.pb``, ``.pbtxt`` or ``.cpb``, TensorFlow's rule.

    As in TensorFlow, ``True`` does not promise that the model loads; ``False`` means it surely
    is not a SavedModel directory. A missing ``export_dir`` gives ``False``.

    >>> contains_saved_model("/nonexistent")
    False
    """
    names = (SAVED_MODEL_FILENAME_PBTXT, SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_CPB)
    return any(os.path.exists(os.path.join(os.fspath(export_dir), name)) for name in names)


def variables_prefix(export_dir: str | os.PathLike[str]) -> str:
    """The checkpoint prefix ``<export_dir>/variables/variables`` (bundle files add suffixes).

    >>> variables_prefix("/m")
    '/m/variables/variables'
    """
    return os.path.join(os.fspath(export_dir), VARIABLES_DIRECTORY, VARIABLES_FILENAME)


def assets_dir(export_dir: str | os.PathLike[str]) -> str:
    """The asset directory ``<export_dir>/assets``.

    >>> assets_dir("/m")
    '/m/assets'
    """
    return os.path.join(os.fspath(export_dir), ASSETS_DIRECTORY)


def read_saved_model(export_dir: str | os.PathLike[str]) -> saved_model_pb2.SavedModel:
    """Reads the SavedModel proto of ``export_dir``: ``saved_model.pb``, else ``saved_model.pbtxt``.

    Args:
        export_dir: the SavedModel directory.

    Returns:
        The parsed ``SavedModel`` message.

    Raises:
        NotFoundError: neither file exists; the message says what the directory holds instead
            (nothing, an old session-bundle export, an incomplete export with only ``variables/``).
        UnimplementedError: the directory holds only the chunked ``saved_model.cpb``.
        FormatError: the file is over 2 GiB or does not parse; the message names the file.
    """
    directory = os.fspath(export_dir)
    pb = os.path.join(directory, SAVED_MODEL_FILENAME_PB)
    if os.path.exists(pb):
        return _parse_binary(pb, _read_limited(pb))
    pbtxt = os.path.join(directory, SAVED_MODEL_FILENAME_PBTXT)
    if os.path.exists(pbtxt):
        return _parse_text(pbtxt, _read_limited(pbtxt))
    raise _missing_error(directory)


def write_saved_model(
    export_dir: str | os.PathLike[str],
    saved_model: saved_model_pb2.SavedModel,
    as_text: bool = False,
) -> str:
    """Writes ``saved_model`` to ``export_dir/saved_model.pb`` (or ``.pbtxt``) atomically.

    Binary output is ``SerializeToString(deterministic=True)`` and text output ``str(proto)``, each
    byte-identical to what TensorFlow 2.21 writes for the same proto. Write the
    variables and assets first: this file is what makes the directory a SavedModel.

    Args:
        export_dir: the SavedModel directory; created if missing.
        saved_model: the proto to write.
        as_text: write ``saved_model.pbtxt`` in text format, as ``Builder.save(as_text=True)``.

    Returns:
        The path of the file written.

    Raises:
        SavedModelValueError: the binary proto would exceed protobuf's 2 GiB limit.

    >>> import tempfile
    >>> from savedmodel._proto import saved_model_pb2
    >>> path = write_saved_model(tempfile.mkdtemp(), saved_model_pb2.SavedModel(
    ...     saved_model_schema_version=1))
    >>> read_saved_model(os.path.dirname(path)).saved_model_schema_version
    1
    """
    directory = os.fspath(export_dir)
    os.makedirs(directory, exist_ok=True)
    if as_text:
        # str() is the runtime's own text printer, which TF's Builder uses: same map-entry order
        # and float formatting, so the bytes match TensorFlow's .pbtxt (to_text sorts map keys).
        path = os.path.join(directory, SAVED_MODEL_FILENAME_PBTXT)
        return atomic_write_bytes(path, str(saved_model).encode("utf-8"))
    size = saved_model.ByteSize()
    if size > MAX_PROTO_BYTES:
        raise SavedModelValueError(
            f"SavedModel for {directory!r} is {size} bytes: expected at most {MAX_PROTO_BYTES} "
            "(protobuf's 2 GiB limit). Move large constants into variables."
        )
    path = os.path.join(directory, SAVED_MODEL_FILENAME_PB)
    return atomic_write_bytes(path, saved_model.SerializeToString(deterministic=True))


def _read_limited(path: str) -> bytes:
    if not os.path.isfile(path):
        raise FormatError(f"{path}: is a directory or special file, expected a regular file.")
    size = os.path.getsize(path)
    if size > MAX_PROTO_BYTES:
        raise FormatError(
            f"{path}: file is {size} bytes, over protobuf's limit of {MAX_PROTO_BYTES} bytes "
            "for one message. TensorFlow writes models this large as saved_model.cpb (chunked)."
        )
    with open(path, "rb") as handle:
        return handle.read()


def _parse_binary(path: str, data: bytes) -> saved_model_pb2.SavedModel:
    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(data)
    except _message.DecodeError as err:
        raise FormatError(
            f"{path}: not a valid binary tensorflow.SavedModel proto ({len(data)} bytes): {err}. "
            "The file is truncated or corrupted; re-export the model."
        ) from err
    return saved_model


def _parse_text(path: str, data: bytes) -> saved_model_pb2.SavedModel:
    try:
        return parse_text(data.decode("utf-8"), saved_model_pb2.SavedModel())
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: text-format SavedModel is not valid UTF-8: {err}.") from err
    except text_format.ParseError as err:
        raise FormatError(
            f"{path}: not a valid text-format tensorflow.SavedModel proto: {err}."
        ) from err


def _missing_error(directory: str) -> Exception:
    """The error for a directory without saved_model.pb/.pbtxt, saying what it holds instead."""
    looked_for = (
        f"{os.path.join(directory, '')}{{{SAVED_MODEL_FILENAME_PBTXT}|{SAVED_MODEL_FILENAME_PB}}}"
    )
    if not os.path.exists(directory):
        return NotFoundError(f"SavedModel directory {directory!r} does not exist.")
    if not os.path.isdir(directory):
        return NotFoundError(
            f"SavedModel path {directory!r} is a file, expected a directory holding "
            f"{SAVED_MODEL_FILENAME_PB}. Pass the directory that contains it."
        )
    if os.path.isfile(os.path.join(directory, SAVED_MODEL_FILENAME_CPB)):
        return UnimplementedError(
            f"{directory}: holds only {SAVED_MODEL_FILENAME_CPB}, the chunked format TensorFlow "
            "uses for protos over 2 GiB, which savedmodel cannot read. Re-export without "
            "SaveOptions(experimental_image_format=True) if the model fits in 2 GiB."
        )
    if any(os.path.exists(os.path.join(directory, n)) for n in _SESSION_BUNDLE_FILES):
        return NotFoundError(
            f"SavedModel file does not exist at: {looked_for}. The directory holds "
            "export.meta, an old (pre-SavedModel) session-bundle export, which cannot be loaded. "
            "Re-export it with tf.saved_model.save or SavedModelBuilder."
        )
    if os.path.isdir(os.path.join(directory, VARIABLES_DIRECTORY)):
        return NotFoundError(
            f"SavedModel file does not exist at: {looked_for}. The directory has "
            f"{VARIABLES_DIRECTORY}/ but no {SAVED_MODEL_FILENAME_PB}: the SavedModel is "
            "incomplete (still being written, or only partly copied). Wait for the writer or copy "
            "it again."
        )
    return NotFoundError(
        f"SavedModel file does not exist at: {looked_for}. Expected a directory written by "
        "tf.saved_model.save or SavedModelBuilder."
    )
