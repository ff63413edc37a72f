"""Atomic file writes: a reader sees the old file or the complete new one, never a partial one.

Spec: ``shared/spec/savedmodel-format.md`` section 1 ("Write order"). TensorFlow writes
``saved_model.pb`` and ``fingerprint.pb`` as ``<name>.tmp<32 hex chars>`` in the same directory and
renames it over the final name; we use the same temporary names, so a directory listing taken while
savedmodel writes looks like one taken while TensorFlow writes. The data is flushed and fsync'ed
before the rename (so a crash cannot leave a complete-looking but empty file), and the temporary
file is removed when anything fails.

May import: the standard library and savedmodel.errors only.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import BinaryIO


def temp_path_for(path: str | os.PathLike[str]) -> str:
    """Returns a fresh temporary name beside ``path``: ``<path>.tmp<32 hex chars>`` as TF uses."""
    return f"{os.fspath(path)}.tmp{uuid.uuid4().hex}"


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Opens a temporary file beside ``path`` for writing; renames it to ``path`` on success.

    Use it to stream large files. If the ``with`` body raises, the temporary file is removed, the
    exception propagates and ``path`` keeps its previous content (or stays absent).

    Args:
        path: the final file name; its directory must exist.

    Yields:
        A binary file object open for writing.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "big.bin"
    >>> with atomic_writer(target) as f:
    ...     _ = f.write(b"part 1, ") and f.write(b"part 2")
    >>> target.read_bytes()
    b'part 1, part 2'
    """
    final = os.fspath(path)
    temp = temp_path_for(final)
    try:
        with open(temp, "xb") as handle:  # "x": never clobber a file we did not create
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
    _fsync_directory(os.path.dirname(final) or ".")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> str:
    """Writes ``data`` to ``path`` atomically (temp file, flush, fsync, rename); returns the path.

    Args:
        path: the final file name; its directory must exist.
        data: the complete new content.

    Returns:
        ``path`` as a string.

    Raises:
        OSError: when the directory is missing or not writable; no temporary file is left behind.

    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "saved_model.pb")
    >>> atomic_write_bytes(target, b"\\x08\\x01") == target
    True
    >>> os.listdir(os.path.dirname(target))
    ['saved_model.pb']
    """
    with atomic_writer(path) as handle:
        handle.write(data)
    return os.fspath(path)


def _fsync_directory(directory: str) -> None:
    """Persists the rename itself; best effort, since some platforms cannot open directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
