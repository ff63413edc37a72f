"""The tensor bundle: a checkpoint's ``P.index`` table and its ``P.data-SSSSS-of-NNNNN`` shards.

Spec: ``shared/spec/savedmodel-format.md`` sections 3 and 4; TensorFlow source
``tensorflow/core/util/tensor_bundle/tensor_bundle.{h,cc}``; messages from
``tensorflow/core/protobuf/tensor_bundle.proto`` (``savedmodel._proto.tensor_bundle_pb2``).

A SavedModel stores its variables under the prefix ``variables/variables``::

    variables/variables.index                  sorted table (savedmodel.format.table)
    variables/variables.data-00000-of-00001    raw tensor bytes, back to back

Index keys (bytewise sorted):

- ``""`` (MUST be present, so first): a ``BundleHeaderProto`` ``{num_shards, endianness, version}``.
  TensorFlow writes ``08 01 1a 02 08 01`` for one little-endian shard (producer 1).
- every tensor name: a ``BundleEntryProto``
  ``{dtype, shape, shard_id, offset, size, crc32c, slices}``; ``crc32c`` is the masked CRC32C
  (savedmodel.format.checksum) of the tensor's ``size`` bytes at ``offset`` in shard ``shard_id``.
  ``shape`` is always written (``12 00`` for a scalar).
- a partitioned tensor has a *full entry* (dtype, full shape, one ``TensorSliceProto`` per stored
  slice, no data) and one ordinary entry per slice under an OrderedCode key
  (savedmodel.format.ordered_code); those keys start with byte 00 and are skipped when listing
  tensor names.

Data layout per tensor (no header, no padding unless the writer asks for an alignment):

- numeric and bool: raw row-major element bytes in the header's byte order (little-endian in
  practice); ``size`` MUST equal elements x itemsize.
- DT_STRING with N elements: ``varint64 len[i]`` x N | masked CRC32C of the lengths, each taken as
  a uint32 LE (uint64 LE above 2**32-1) | the string bytes. The entry CRC continues the length CRC
  over the 4 stored checksum bytes, then the string bytes.
- DT_VARIANT (serialized C++ objects): refused by this reader; DT_RESOURCE is never stored.

Readers MUST check the header's version (``producer >= 0``, ``min_consumer <= 1``, 1 not among
``bad_consumers``) and byte-swap numeric data when the endianness differs from the host's. Every
offset, size, shard id, dtype, dimension and CRC is checked here before use, and nothing is
allocated beyond what the files hold. Writers add tensors to one data file in call order and write
the index last, sorted, through temporary names and renames, so a reader never sees a half-written
bundle.

May import: ``savedmodel._proto``, ``savedmodel.errors``, the sibling ``format`` modules, numpy.
"""

from __future__ import annotations

import mmap
import os
import random
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from savedmodel._proto import tensor_bundle_pb2, types_pb2
from savedmodel.errors import (
    BadOffsetError,
    FormatError,
    InvalidArgumentError,
    NotFoundError,
    UnimplementedError,
)
from savedmodel.format import _bundle_codec as codec
from savedmodel.format import checksum, dtypes, ordered_code
from savedmodel.format._bundle_codec import TENSOR_BUNDLE_VERSION, is_slice_key
from savedmodel.format.table import TableReader, TableWriter

_WRITE_BUFFER = 64 << 10  # coalesces small tensors; larger ones go straight to write(2), uncopied
_OVERLAP_CRC_BYTES = 1 << 20  # checksum larger tensors on a worker thread while writing them

# Linux's MADV_POPULATE_READ (5.14+; the mmap module does not name it before Python 3.13).
_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22) if sys.platform == "linux" else 0
_POPULATE_WINDOW = 8 << 20  # a multiple of the page size

__all__ = ["TENSOR_BUNDLE_VERSION", "BundleReader", "BundleWriter", "data_filename",
           "index_filename", "is_slice_key"]


def index_filename(prefix: str | os.PathLike[str]) -> str:
    """``P.index``."""
    return f"{os.fspath(prefix)}.index"


def data_filename(prefix: str | os.PathLike[str], shard: int, num_shards: int) -> str:
    """``P.data-SSSSS-of-NNNNN``."""
    return f"{os.fspath(prefix)}.data-{shard:05d}-of-{num_shards:05d}"


# ---------------------------------------------------------------------------------------------
# Reading


class _Shard:
    """One data file, mapped read-only on first use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._populated: set[int] = set()
        try:
            with open(path, "rb") as f:
                self.size = os.fstat(f.fileno()).st_size
                self.map: mmap.mmap | None = (
                    mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if self.size else None)
        except FileNotFoundError:
            raise NotFoundError(f"{path}: data file of the bundle not found. A checkpoint needs "
                                "its .index and every .data-*-of-* shard.") from None

    def region(self, entry: codec.Entry, where: str, populate: bool = False) -> memoryview:
        """The entry's bytes, checked to lie in the file; ``populate`` maps them all at once."""
        offset, size = entry.proto.offset, entry.proto.size
        if offset + size > self.size:
            raise BadOffsetError(f"{where}: offset {offset} + size {size} = {offset + size} "
                                 f"exceeds data file size {self.size} of {self.path}.")
        if self.map is None:
            return memoryview(b"")
        if populate and _MADV_POPULATE_READ and size:
            self._populate(offset, size)
        return memoryview(self.map)[offset:offset + size]

    def _populate(self, offset: int, size: int) -> None:
        """Maps the windows under ``[offset, offset + size)``, one call each, not a fault a page.

        Reading a whole checkpoint is then bound by the checksum, not by page faults; a window is
        a few MiB, so reading one tensor maps little more than that tensor.
        """
        assert self.map is not None
        first, last = offset // _POPULATE_WINDOW, (offset + size - 1) // _POPULATE_WINDOW
        for window in range(first, last + 1):
            if window in self._populated:
                continue
            self._populated.add(window)
            start = window * _POPULATE_WINDOW
            length = min(_POPULATE_WINDOW, self.size - start)
            try:
                self.map.madvise(_MADV_POPULATE_READ, start, length)
            except OSError:
                return  # kernels before 5.14: the pages fault in as they are read

    def close(self) -> None:
        if self.map is not None:
            try:
                self.map.close()
            except BufferError:
                pass  # arrays still view it; the mapping closes when the last one goes away
            self.map = None


class BundleReader:
    """Reads a tensor bundle lazily: the index at open, data files mapped on first use.

    Numeric tensors come back as read-only zero-copy views of the mapped data file where the offset
    is aligned for the dtype (else as a copy); strings as ``object`` arrays of ``bytes``.

    Args:
      prefix: the bundle prefix, e.g. ``"export/variables/variables"`` (without ``.index``).
      verify_checksums: check each tensor's CRC32C on its first read (default True).

    Raises:
      NotFoundError: the index file does not exist.
      FormatError: the index is corrupt (TruncatedFileError, ChecksumMismatchError, ...).

    Example:

        >>> import tempfile, numpy as np
        >>> prefix = tempfile.mkdtemp() + "/variables"
        >>> with BundleWriter(prefix) as writer:
        ...     writer.add("kernel", np.eye(2, dtype=np.float32))
        ...     writer.add("names", np.array([b"a", b"b\\x00"], dtype=object))
        >>> with BundleReader(prefix) as reader:
        ...     print(reader.keys(), reader.dtype("kernel"), reader.shape("kernel"))
        ...     print(reader.read("kernel"), reader.read("names"))
        ['kernel', 'names'] tf.float32 (2, 2)
        [[1. 0.]
         [0. 1.]] [b'a' b'b\\x00']
    """

    def __init__(self, prefix: str | os.PathLike[str], *, verify_checksums: bool = True) -> None:
        self.prefix = os.fspath(prefix)
        self.index_path = index_filename(self.prefix)
        self.verify_checksums = verify_checksums
        try:
            self._table = TableReader.open(self.index_path)
        except FileNotFoundError:
            raise NotFoundError(f"{self.index_path}: tensor bundle index not found (prefix "
                                f"{self.prefix!r}).") from None
        value = self._table.get(codec.HEADER_KEY)
        if value is None:
            raise FormatError(f"{self.index_path}: missing header entry (the empty key). Not a "
                              "tensor bundle index, or a corrupted one.")
        self.header = codec.decode_header(value, self.index_path)
        self.num_shards = self.header.num_shards
        self._swap = (self.header.endianness == 1) != codec.HOST_BIG_ENDIAN
        self._entries: dict[bytes, codec.Entry] = {}
        self._shards: dict[int, _Shard] = {}
        self._verified: set[bytes] = set()

    # -- lookups ---------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """Tensor names in the index's (bytewise) order, without the header and slice keys."""
        return [codec.key_text(k) for k, _ in self._table.items()
                if k and not codec.is_slice_key(k)]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, (str, bytes)):
            return False
        raw = codec.key_bytes(key)
        return raw != codec.HEADER_KEY and self._table.get(raw) is not None

    def _entry(self, key: str | bytes) -> codec.Entry:
        raw = codec.key_bytes(key)
        entry = self._entries.get(raw)
        if entry is None:
            value = self._table.get(raw) if raw != codec.HEADER_KEY else None
            if value is None:
                raise NotFoundError(f"Key {codec.key_text(raw)!r} not found in checkpoint "
                                    f"{self.prefix!r}.")
            entry = codec.decode_entry(raw, value, self.index_path, self.num_shards)
            self._entries[raw] = entry
        return entry

    def entry(self, key: str | bytes) -> tensor_bundle_pb2.BundleEntryProto:
        """A copy of the checked BundleEntryProto stored under ``key``."""
        proto = tensor_bundle_pb2.BundleEntryProto()
        proto.CopyFrom(self._entry(key).proto)
        return proto

    def shape(self, key: str | bytes) -> tuple[int, ...]:
        """The tensor's (full) shape."""
        return self._entry(key).shape

    def dtype(self, key: str | bytes) -> dtypes.DType:
        """The tensor's DType."""
        return self._entry(key).dtype

    def debug_string(self) -> bytes:
        """TensorFlow's ``BundleReader::DebugString``: ``key (DT_FLOAT) [2,3]`` per line.

        Like TensorFlow it lists every entry but the header and the full entries of sliced tensors
        (whose slice entries appear under their raw OrderedCode keys).
        """
        lines = []
        for key, value in self._table.items():
            if not key:
                continue
            entry = self._entries.get(key) or codec.decode_entry(key, value, self.index_path,
                                                                 self.num_shards)
            if entry.extents:
                continue
            dims = ",".join(str(d) for d in entry.shape)
            type_name = types_pb2.DataType.Name(entry.dtype.enum)
            lines.append(key + f" ({type_name}) [{dims}]\n".encode())
        return b"".join(lines)

    # -- data ------------------------------------------------------------------------------

    def read(self, key: str | bytes) -> np.ndarray:
        """The tensor stored under ``key`` (sliced tensors are reassembled).

        Raises:
          NotFoundError: no such key, or a data file is missing.
          FormatError: a bad offset, size, checksum or string layout.
          InvalidArgumentError: the slices of a partitioned tensor do not cover it exactly.
          UnimplementedError: a DT_VARIANT tensor.
        """
        entry = self._entry(key)
        if entry.extents:
            return self._read_sliced(entry)
        return self._read_plain(entry)

    def _where(self, entry: codec.Entry) -> str:
        return f"{self.index_path}: entry {codec.key_text(entry.key)!r}"

    def _shard(self, shard_id: int) -> _Shard:
        shard = self._shards.get(shard_id)
        if shard is None:
            shard = _Shard(data_filename(self.prefix, shard_id, self.num_shards))
            self._shards[shard_id] = shard
        return shard

    def _read_plain(self, entry: codec.Entry) -> np.ndarray:
        where = self._where(entry)
        if entry.dtype.enum == dtypes.VARIANT:
            raise UnimplementedError(f"{where}: DT_VARIANT tensors (serialized C++ objects such as "
                                     "datasets or tensor lists) cannot be read without TensorFlow.")
        if entry.dtype.numpy is None:
            raise UnimplementedError(f"{where}: dtype {entry.dtype.name} has no NumPy type here "
                                     "(install a newer ml_dtypes).")
        verify = self.verify_checksums and entry.key not in self._verified
        raw = self._shard(entry.proto.shard_id).region(entry, where, populate=verify)
        if entry.dtype.is_string:
            value = codec.decode_strings(raw, entry, verify, self._swap, where)
        else:
            if verify:
                codec.check_crc(entry, codec.crc_of(raw), where)
            value = self._numeric(entry, raw)
        if verify:
            self._verified.add(entry.key)
        value.flags.writeable = False
        return value

    def _numeric(self, entry: codec.Entry, raw: memoryview) -> np.ndarray:
        np_dtype = entry.dtype.numpy
        assert np_dtype is not None
        if not raw.nbytes:
            return np.empty(entry.shape, np_dtype)
        value = np.frombuffer(raw, np_dtype).reshape(entry.shape)
        if self._swap:
            return codec.byteswapped(value)
        if entry.proto.offset % np_dtype.alignment:
            return value.copy()  # an unaligned view would be slow and surprising
        return value

    def _read_sliced(self, entry: codec.Entry) -> np.ndarray:
        parts = self._slice_entries(entry)
        np_dtype = entry.dtype.numpy if entry.dtype.numpy is not None else np.dtype(object)
        full = np.empty(entry.shape, np_dtype)
        for extents, part in parts:
            full[codec.slice_index(extents, entry.shape)] = self._read_plain(part)
        full.flags.writeable = False
        return full

    def _slice_entries(self, entry: codec.Entry) -> list[tuple[codec.Extents, codec.Entry]]:
        """Checks that the slices tile the tensor and that each lies in its data file."""
        where = self._where(entry)
        parts = []
        volume = 0
        for i, extents in enumerate(entry.extents):
            bounds = codec.slice_index(extents, entry.shape)
            for j in range(i):
                if codec.overlap(bounds, codec.slice_index(entry.extents[j], entry.shape)):
                    raise InvalidArgumentError(f"{where}: slices {j} and {i} overlap.")
            shape = codec.slice_shape(extents, entry.shape)
            try:
                part = self._entry(ordered_code.encode_slice_key(entry.key, extents))
            except NotFoundError:
                raise FormatError(f"{where}: slice {i} {extents}: its slice entry is missing from "
                                  "the index.") from None
            if part.extents or part.dtype != entry.dtype or part.shape != shape:
                raise FormatError(f"{self._where(part)}: slice {i} of "
                                  f"{codec.key_text(entry.key)!r}: expected a plain "
                                  f"{entry.dtype.name} entry of shape {shape}, got "
                                  f"{part.dtype.name} {part.shape}.")
            self._shard(part.proto.shard_id).region(part, self._where(part)).release()
            volume += part.num_elements
            parts.append((extents, part))
        if volume != entry.num_elements:
            raise InvalidArgumentError(f"{where}: does not have sufficient slices for partitioned "
                                       f"tensor: they cover {volume} of {entry.num_elements} "
                                       "elements.")
        claimed = sum(part.proto.size for _, part in parts)
        available = sum(self._shard(s).size for s in {part.proto.shard_id for _, part in parts})
        if claimed > available:  # slices sharing bytes must not inflate the tensor beyond the files
            raise FormatError(f"{where}: slices claim {claimed} bytes, more than the {available} "
                              "bytes of their data files.")
        return parts

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Unmaps the data files; arrays already returned stay valid."""
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BundleReader({self.prefix!r}, num_shards={self.num_shards})"


# ---------------------------------------------------------------------------------------------
# Writing


class BundleWriter:
    """Writes a tensor bundle as TensorFlow's ``BundleWriter`` does, streaming each tensor to disk.

    Tensors go to the data file in the order they are added; ``finish()`` writes the sorted index.
    Files are written under temporary names and renamed (data first, index last), so a reader never
    sees a half-written bundle. For the same tensors in the same order the output is byte-identical
    to TensorFlow's ``SaveV2``.

    Args:
      prefix: the bundle prefix; its directory is created if needed.
      max_shard_size: start a new data file before a tensor that would make the current one exceed
        this many bytes (a larger tensor gets a file of its own). None: one data file.
      data_alignment: pad each tensor with zeros to a multiple of this many bytes (TF option).

    Example:

        >>> import os, tempfile, numpy as np
        >>> prefix = os.path.join(tempfile.mkdtemp(), "ckpt")
        >>> with BundleWriter(prefix) as writer:
        ...     writer.add("w", np.array([[1, 2], [3, 4]], np.int32))
        ...     writer.add_slice("part", (4,), "2,2", np.array([3.0, 4.0], np.float32))
        ...     writer.add_slice("part", (4,), [(0, 2)], np.array([1.0, 2.0], np.float32))
        >>> sorted(os.listdir(os.path.dirname(prefix)))
        ['ckpt.data-00000-of-00001', 'ckpt.index']
        >>> BundleReader(prefix).read("part")
        array([1., 2., 3., 4.], dtype=float32)
    """

    def __init__(self, prefix: str | os.PathLike[str], *, max_shard_size: int | None = None,
                 data_alignment: int = 1) -> None:
        if data_alignment < 1:
            raise InvalidArgumentError(f"data_alignment must be >= 1, got {data_alignment}.")
        self.prefix = os.fspath(prefix)
        self._max_shard_size = max_shard_size
        self._alignment = data_alignment
        self._suffix = f".tempstate{random.getrandbits(64)}"
        self._entries: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
        self._temp_paths: list[str] = []
        self._size = 0
        self._done = False
        directory = os.path.dirname(self.prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._out = self._open_shard()

    def _open_shard(self) -> Any:
        path = f"{self.prefix}.data-{len(self._temp_paths):05d}{self._suffix}"
        self._temp_paths.append(path)
        self._size = 0
        return open(path, "wb", buffering=_WRITE_BUFFER)

    def add(self, key: str | bytes, value: Any, dtype: Any = None) -> None:
        """Streams one tensor to the data file.

        Args:
          key: the tensor name (not empty).
          value: an array or anything ``np.asarray`` takes; strings as bytes or str.
          dtype: a DType, enum, TF name or NumPy dtype to store it as (default: from ``value``).
        """
        raw = self._new_key(key)
        tf_dtype, array = codec.as_tensor(value, dtype)
        if tf_dtype.is_string:
            lengths, data, crc = codec.encode_strings(array)
            nbytes = len(lengths) + len(data)
            self._start_shard_if_full(nbytes)
            self._out.write(lengths)
            self._out.write(data)
        else:
            flat = array.reshape(-1).view(np.uint8).data
            nbytes = len(flat)
            self._start_shard_if_full(nbytes)
            crc = self._write_checksummed(flat)
        entry = tensor_bundle_pb2.BundleEntryProto(
            dtype=types_pb2.DataType.ValueType(tf_dtype.enum), shard_id=len(self._temp_paths) - 1,
            offset=self._size, size=nbytes, crc32c=checksum.mask(crc))
        codec.set_shape(entry, array.shape)
        self._size += nbytes
        padding = -self._size % self._alignment
        if padding:
            self._out.write(bytes(padding))
            self._size += padding
        self._entries[raw] = entry

    def _start_shard_if_full(self, nbytes: int) -> None:
        if self._max_shard_size is not None and self._size and (
                self._size + nbytes > self._max_shard_size):
            self._out.close()
            self._out = self._open_shard()

    def _write_checksummed(self, data: memoryview) -> int:
        """Writes ``data`` while a worker thread computes its CRC32C (both release the GIL)."""
        if len(data) < _OVERLAP_CRC_BYTES:
            self._out.write(data)
            return checksum.value(data)
        pending = codec.crc_pool().submit(checksum.value, data)
        self._out.write(data)
        return pending.result()

    def _new_key(self, key: str | bytes) -> bytes:
        if self._done:
            raise InvalidArgumentError(f"BundleWriter for {self.prefix!r} is already finished.")
        raw = codec.key_bytes(key)
        if raw == codec.HEADER_KEY:
            raise InvalidArgumentError("Tensor key must not be empty (reserved for the header).")
        if raw in self._entries:
            raise InvalidArgumentError(f"Adding duplicate key: {codec.key_text(raw)!r}.")
        return raw

    def add_slice(self, name: str | bytes, full_shape: Sequence[int],
                  slice_spec: str | Sequence[tuple[int, int | None]], value: Any,
                  dtype: Any = None) -> None:
        """Streams one slice of a partitioned tensor (TensorFlow's ``BundleWriter::AddSlice``).

        Args:
          name: the full tensor's name.
          full_shape: the full tensor's shape.
          slice_spec: TF's slice string (``"4,3:-"``: rows 4..6, all columns) or one
            ``(start, length)`` per dimension, length -1 or None for the whole dimension.
          value: the slice's values, shaped like the slice.
        """
        full_shape = tuple(int(d) for d in full_shape)
        extents = codec.parse_slice_spec(slice_spec, full_shape)
        tf_dtype, array = codec.as_tensor(value, dtype)
        raw = codec.key_bytes(name)
        shape = codec.slice_shape(extents, full_shape)
        if array.shape != shape:
            raise InvalidArgumentError(f"Slice {slice_spec!r} of {codec.key_text(raw)!r} has shape "
                                       f"{shape}, but the value has shape {array.shape}.")
        if shape == full_shape:
            self.add(name, array, tf_dtype)  # a full slice is stored as a plain tensor, as in TF
            return
        full = self._entries.get(raw)
        if full is None:
            full = tensor_bundle_pb2.BundleEntryProto(
                dtype=types_pb2.DataType.ValueType(tf_dtype.enum))
            codec.set_shape(full, full_shape)
        elif not full.slices or full.dtype != tf_dtype.enum or tuple(
                d.size for d in full.shape.dim) != full_shape:
            raise InvalidArgumentError(f"Slice of {codec.key_text(raw)!r} conflicts with the entry "
                                       "already added under that name (plain tensor, dtype or "
                                       "shape).")
        self.add(ordered_code.encode_slice_key(raw, extents), array, tf_dtype)
        extent_protos = full.slices.add().extent
        for start, length in extents:
            extent = extent_protos.add()
            if length >= 0:
                extent.start = start
                extent.length = length
        self._entries[raw] = full

    def finish(self) -> None:
        """Closes the data files, renames them and writes the index (sorted keys) last."""
        if self._done:
            return
        self._out.close()
        self._done = True
        num_shards = len(self._temp_paths)
        index_temp = index_filename(self.prefix) + self._suffix
        try:
            for shard, path in enumerate(self._temp_paths):
                os.replace(path, data_filename(self.prefix, shard, num_shards))
            self._temp_paths = [index_temp]
            with open(index_temp, "wb") as f:
                table = TableWriter(f)
                table.add(codec.HEADER_KEY, codec.encode_header(num_shards))
                for key in sorted(self._entries):
                    table.add(key, self._entries[key].SerializeToString(deterministic=True))
                table.finish()
            os.replace(index_temp, index_filename(self.prefix))
        except BaseException:
            self.abort()
            raise
        self._temp_paths = []

    def abort(self) -> None:
        """Closes and deletes whatever temporary files are left; the bundle is not written."""
        self._out.close()
        self._done = True
        for path in self._temp_paths:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        self._temp_paths = []

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
