"""The checkpoint reading API of ``tf.train``: ``load_checkpoint``, ``list_variables`` and more.

Mirrors ``tensorflow/python/training/checkpoint_utils.py`` and ``py_checkpoint_reader.py`` (the C++
``CheckpointReader`` over a V2 tensor bundle), reading through ``savedmodel.format.bundle``. Only V2
checkpoints (``P.index`` + ``P.data-*``) exist in TensorFlow 2; V1 checkpoints are not read.

``ckpt_dir_or_file`` may be a checkpoint prefix, a directory holding a ``checkpoint`` state file
(its ``model_checkpoint_path`` is used, as ``tf.train.latest_checkpoint`` does), or, beyond
TensorFlow, a SavedModel directory (its ``variables/variables`` bundle).

May import: ``savedmodel.format``, ``savedmodel.errors``, numpy and the standard library.
"""

from __future__ import annotations

import codecs
import os
import re

import numpy as np

from savedmodel.errors import NotFoundError, SavedModelValueError
from savedmodel.format import dtypes
from savedmodel.format.bundle import BundleReader, index_filename

CHECKPOINT_STATE_FILENAME = "checkpoint"
_SAVED_MODEL_VARIABLES = os.path.join("variables", "variables")
# `model_checkpoint_path: "..."` in the text-format CheckpointState (double- or single-quoted).
_LATEST_PATH = re.compile(
    r"""^\s*model_checkpoint_path\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""",
    re.MULTILINE)


class CheckpointReader:
    """TensorFlow's ``CheckpointReader`` over one checkpoint prefix.

    Args:
      prefix: the checkpoint prefix (``P`` of ``P.index``).

    Raises:
      NotFoundError: there is no ``P.index``.
      FormatError: the index is corrupt.

    Example::

        >>> import tempfile, numpy as np
        >>> from savedmodel.format.bundle import BundleWriter
        >>> prefix = tempfile.mkdtemp() + "/ckpt-1"
        >>> with BundleWriter(prefix) as writer:
        ...     writer.add("w", np.eye(2, dtype=np.float32))
        >>> reader = CheckpointReader(prefix)
        >>> reader.get_variable_to_shape_map()
        {'w': [2, 2]}
        >>> reader.get_tensor("w")
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """

    def __init__(self, prefix: str | os.PathLike[str]) -> None:
        prefix = os.fspath(prefix)
        if not os.path.exists(index_filename(prefix)):
            raise NotFoundError(f"Unsuccessful TensorSliceReader constructor: Failed to find any "
                                f"matching files for {prefix} (no {index_filename(prefix)}).")
        self._bundle = BundleReader(prefix)
        self.prefix = prefix

    def get_tensor(self, tensor_str: str | bytes) -> np.ndarray | np.generic | bytes:
        """A fresh copy of the tensor; scalars come back as NumPy scalars or ``bytes``, as in TF."""
        value = self._bundle.read(tensor_str)
        return value[()] if value.ndim == 0 else value.copy()

    def has_tensor(self, tensor_str: str | bytes) -> bool:
        """Whether the checkpoint holds a tensor under this name."""
        return tensor_str in self._bundle

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        """Tensor name -> shape as a list; slice entries of partitioned tensors are left out."""
        return {key: list(self._bundle.shape(key)) for key in self._bundle.keys()}

    def get_variable_to_dtype_map(self) -> dict[str, dtypes.DType]:
        """Tensor name -> :class:`savedmodel.format.dtypes.DType`."""
        return {key: self._bundle.dtype(key) for key in self._bundle.keys()}

    def debug_string(self) -> bytes:
        """One ``name (DT_TYPE) [dims]`` line per entry, as TensorFlow prints it."""
        return self._bundle.debug_string()

    def close(self) -> None:
        """Unmaps the data files (tensors already returned are copies and stay valid)."""
        self._bundle.close()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CheckpointReader({self.prefix!r})"


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The prefix that ``checkpoint_dir/checkpoint`` names, or None (tf.train.latest_checkpoint)."""
    directory = os.fspath(checkpoint_dir)
    try:
        with open(os.path.join(directory, CHECKPOINT_STATE_FILENAME), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    match = _LATEST_PATH.search(text)
    if match is None:
        return None
    quoted = match.group(1) if match.group(1) is not None else match.group(2)
    path = codecs.escape_decode(quoted.encode("utf-8"))[0].decode("utf-8", "surrogateescape")
    prefix = path if os.path.isabs(path) else os.path.join(directory, path)
    return prefix if os.path.exists(index_filename(prefix)) else None


def _checkpoint_prefix(ckpt_dir_or_file: str | os.PathLike[str]) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if not os.path.isdir(path):
        return path
    prefix = latest_checkpoint(path)
    if prefix is not None:
        return prefix
    saved_model_prefix = os.path.join(path, _SAVED_MODEL_VARIABLES)
    if os.path.exists(index_filename(saved_model_prefix)):
        return saved_model_prefix
    raise SavedModelValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory "
                               f"{path} (nor a SavedModel's variables/variables.index).")


def load_checkpoint(ckpt_dir_or_file: str | os.PathLike[str]) -> CheckpointReader:
    """A :class:`CheckpointReader` for a prefix, a checkpoint directory or a SavedModel directory.

    Raises:
      SavedModelValueError: a directory without a ``checkpoint`` file or a SavedModel bundle.
      NotFoundError: the prefix has no ``.index`` file.
    """
    return CheckpointReader(_checkpoint_prefix(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``(name, shape)`` of every tensor, sorted by name (``tf.train.list_variables``)."""
    with load_checkpoint(ckpt_dir_or_file) as reader:
        shapes = reader.get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]
