"""Encodes, decodes and checks the pieces of a tensor bundle: header, entries, strings, slices.

The file-level reader and writer are in ``savedmodel.format.bundle``, whose docstring is the format
spec; this module holds the per-structure codecs they share, in matched pairs
(``decode_header``/``encode_header``, ``decode_strings``/``encode_strings``, ...), and the checks
that make every field safe to use: dtype enum, rank and dimensions, element count, shard id, offset,
size, slice extents and CRC32C.

May import: ``savedmodel._proto``, ``savedmodel.errors``, the sibling ``format`` modules, numpy.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from savedmodel._proto import tensor_bundle_pb2
from savedmodel.errors import (
    BadOffsetError,
    ChecksumMismatchError,
    FormatError,
    InvalidArgumentError,
    UnimplementedError,
)
from savedmodel.format import checksum, dtypes, ordered_code
from savedmodel.format.table import encode_varint

# Version history of the bundle format (TensorFlow's kTensorBundleVersion, tensor_bundle.h):
# Version 0: any bundle written before BundleHeaderProto.version existed.
# Version 1, 2016-09-14: added BundleHeaderProto.version.
TENSOR_BUNDLE_VERSION = 1
TENSOR_BUNDLE_MIN_PRODUCER = 0
TENSOR_BUNDLE_MIN_CONSUMER = 0

HEADER_KEY = b""
MAX_RANK = 254  # TensorShape::MaxDimensions()
_INT64_MAX = (1 << 63) - 1
_PARALLEL_CRC_CHUNK = 16 << 20  # split checksums of tensors of at least two such chunks
HOST_BIG_ENDIAN = sys.byteorder == "big"


def key_bytes(key: str | bytes) -> bytes:
    """Index keys are bytes; ``str`` keys are UTF-8 (undecodable bytes round-trip as surrogates)."""
    return key if isinstance(key, bytes) else key.encode("utf-8", "surrogateescape")


def key_text(key: bytes) -> str:
    """Inverse of :func:`key_bytes`."""
    return key.decode("utf-8", "surrogateescape")


def is_slice_key(key: str | bytes) -> bool:
    """True for the OrderedCode keys of stored slices (they start with byte 00)."""
    return key_bytes(key)[:1] == b"\x00"


# ---------------------------------------------------------------------------------------------
# Checked entries


Extents = tuple[tuple[int, int], ...]  # (start, length) per dimension, length -1 when full


@dataclass(frozen=True)
class Entry:
    """A BundleEntryProto whose dtype, shape and slices passed the checks."""

    key: bytes
    proto: tensor_bundle_pb2.BundleEntryProto
    dtype: dtypes.DType
    shape: tuple[int, ...]
    num_elements: int
    extents: tuple[Extents, ...]  # one per stored slice; empty for a plain tensor


def decode_header(value: bytes, path: str) -> tensor_bundle_pb2.BundleHeaderProto:
    """Parses and checks the header entry (shards, endianness, version)."""
    header = tensor_bundle_pb2.BundleHeaderProto()
    try:
        header.ParseFromString(value)
    except DecodeError:
        raise FormatError(f"{path}: header entry: not a valid BundleHeaderProto.") from None
    if header.num_shards < 1:
        raise FormatError(f"{path}: header num_shards: expected >= 1, got {header.num_shards}.")
    if header.endianness not in (0, 1):
        raise FormatError(f"{path}: header endianness: expected 0 (LITTLE) or 1 (BIG), got "
                          f"{header.endianness}.")
    version = header.version
    if version.producer < TENSOR_BUNDLE_MIN_PRODUCER:
        raise FormatError(f"{path}: checkpoint producer version {version.producer} below min "
                          f"producer {TENSOR_BUNDLE_MIN_PRODUCER} supported by this reader.")
    if version.min_consumer > TENSOR_BUNDLE_VERSION:
        raise FormatError(f"{path}: checkpoint min consumer version {version.min_consumer} above "
                          f"current version {TENSOR_BUNDLE_VERSION}. Upgrade savedmodel.")
    if TENSOR_BUNDLE_VERSION in version.bad_consumers:
        raise FormatError(f"{path}: checkpoint disallows consumer version {TENSOR_BUNDLE_VERSION}.")
    return header


def encode_header(num_shards: int) -> bytes:
    """A little-endian header of the current version: ``08 01 1a 02 08 01`` for one shard."""
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=num_shards)
    header.version.producer = TENSOR_BUNDLE_VERSION
    header.version.min_consumer = TENSOR_BUNDLE_MIN_CONSUMER
    serialized: bytes = header.SerializeToString(deterministic=True)
    return serialized


def decode_entry(key: bytes, value: bytes, path: str, num_shards: int) -> Entry:
    """Parses a BundleEntryProto and checks every field that does not need the data file."""
    where = f"{path}: entry {key_text(key)!r}"
    proto = tensor_bundle_pb2.BundleEntryProto()
    try:
        proto.ParseFromString(value)
    except DecodeError:
        raise FormatError(f"{where}: not a valid BundleEntryProto.") from None
    dtype = _checked_dtype(proto.dtype, where)
    shape = _checked_shape(proto.shape, where)
    num_elements = math.prod(shape)
    if num_elements > _INT64_MAX:
        raise FormatError(f"{where}: shape {shape} has {num_elements} elements, more than int64.")
    extents = tuple(_checked_extents(s, shape, f"{where}: slices[{i}]")
                    for i, s in enumerate(proto.slices))
    if not extents:
        _check_data_fields(proto, dtype, num_elements, num_shards, where)
    return Entry(key, proto, dtype, shape, num_elements, extents)


def _checked_dtype(enum: int, where: str) -> dtypes.DType:
    dtype = dtypes.BY_ENUM.get(enum)
    if dtype is None or enum in (dtypes.INVALID, dtypes.RESOURCE):
        raise FormatError(f"{where}: dtype: expected a stored DataType enum, got {enum}.")
    return dtype


def _checked_shape(shape: Any, where: str) -> tuple[int, ...]:
    if shape.unknown_rank:
        raise FormatError(f"{where}: shape: a stored tensor cannot have unknown rank.")
    if len(shape.dim) > MAX_RANK:
        raise FormatError(f"{where}: shape: rank {len(shape.dim)} exceeds the maximum {MAX_RANK}.")
    dims = tuple(int(d.size) for d in shape.dim)
    if any(d < 0 for d in dims):
        raise FormatError(f"{where}: shape: dimensions must be >= 0, got {dims}.")
    return dims


def _checked_extents(proto: Any, shape: tuple[int, ...], where: str) -> Extents:
    """The (start, length) of each dimension of a stored slice; -1 length for a full extent."""
    if len(proto.extent) != len(shape):
        raise FormatError(f"{where}: {len(proto.extent)} extents for a rank-{len(shape)} tensor.")
    extents = []
    for d, (extent, size) in enumerate(zip(proto.extent, shape)):
        if not extent.HasField("length"):
            extents.append((0, ordered_code.FULL_EXTENT))
            continue
        start, length = int(extent.start), int(extent.length)
        if start < 0 or length < 0 or start + length > size:
            raise FormatError(f"{where}: extent {d}: start {start}, length {length} is outside "
                              f"dimension size {size}.")
        extents.append((start, length))
    return tuple(extents)


def _check_data_fields(proto: Any, dtype: dtypes.DType, num_elements: int, num_shards: int,
                       where: str) -> None:
    if not 0 <= proto.shard_id < num_shards:
        raise BadOffsetError(f"{where}: shard_id {proto.shard_id} is outside the bundle's "
                             f"{num_shards} shard(s).")
    if proto.offset < 0 or proto.size < 0:
        raise BadOffsetError(f"{where}: offset {proto.offset} and size {proto.size} must be >= 0.")
    if dtype.is_string:
        if proto.size < num_elements + 4:
            raise FormatError(f"{where}: size: a string tensor of {num_elements} elements needs at "
                              f"least {num_elements + 4} bytes, got {proto.size}.")
    elif dtype.itemsize and proto.size != num_elements * dtype.itemsize:
        raise FormatError(f"{where}: size: expected {num_elements} elements x {dtype.itemsize} "
                          f"bytes = {num_elements * dtype.itemsize}, got {proto.size}.")


def slice_shape(extents: Extents, shape: Sequence[int]) -> tuple[int, ...]:
    """The shape of a stored slice."""
    return tuple(size if length < 0 else length for (_, length), size in zip(extents, shape))


def slice_index(extents: Extents, shape: Sequence[int]) -> tuple[slice, ...]:
    """The NumPy index of a stored slice within the full tensor."""
    return tuple(slice(0, size) if length < 0 else slice(start, start + length)
                 for (start, length), size in zip(extents, shape))


# ---------------------------------------------------------------------------------------------
# String tensors: varint64 lengths | masked length crc | bytes


def _decode_lengths(buf: np.ndarray, count: int, where: str) -> tuple[np.ndarray, int]:
    """The ``count`` varint64 lengths at the start of ``buf``, vectorized: (lengths, bytes used)."""
    if count == 0:
        return np.zeros(0, np.uint64), 0
    head = buf[:10 * count]
    ends = np.flatnonzero(head < 0x80)[:count]
    if len(ends) < count:
        raise FormatError(f"{where}: string lengths: {count} varints do not fit in the entry.")
    starts = np.concatenate(([0], ends[:-1] + 1))
    widths = ends - starts + 1
    if widths.max() > 10 or np.any((widths == 10) & (head[ends] > 1)):
        raise FormatError(f"{where}: string lengths: a varint overflows 64 bits.")
    used = int(ends[-1]) + 1
    group_start = np.repeat(starts, widths)
    shifts = (7 * (np.arange(used) - group_start)).astype(np.uint64)
    parts = (head[:used].astype(np.uint64) & np.uint64(0x7F)) << shifts
    return np.bitwise_or.reduceat(parts, starts), used


def _lengths_crc(lengths: np.ndarray, big_endian: bool) -> int:
    """CRC32C over the lengths as uint32 (uint64 when longer than 2**32-1), as TensorFlow does."""
    order = ">" if big_endian else "<"
    if not lengths.size or int(lengths.max()) <= 0xFFFFFFFF:
        return checksum.value(lengths.astype(f"{order}u4").tobytes())
    crc = 0
    for length in lengths.tolist():
        width = 4 if length <= 0xFFFFFFFF else 8
        crc = checksum.extend(crc, length.to_bytes(width, "big" if big_endian else "little"))
    return crc


def decode_strings(raw: memoryview, entry: Entry, verify: bool, big_endian: bool,
                   where: str) -> np.ndarray:
    """An object array of ``bytes`` from a string tensor's bytes, checking layout and checksums."""
    buf = np.frombuffer(raw, np.uint8)
    lengths, used = _decode_lengths(buf, entry.num_elements, where)
    total = used + 4 + int(lengths.sum(dtype=object))
    if total != len(raw):
        raise FormatError(f"{where}: string tensor: lengths add up to {total} bytes with their "
                          f"header, but the entry's size is {len(raw)}.")
    stored = int.from_bytes(raw[used:used + 4], "big" if big_endian else "little")
    if verify:
        crc = _lengths_crc(lengths, big_endian)
        if checksum.unmask(stored) != crc:
            raise ChecksumMismatchError(f"{where}: string length checksum: stored "
                                        f"{checksum.unmask(stored):#010x}, computed {crc:#010x}.")
        crc = checksum.extend(checksum.extend(crc, raw[used:used + 4]), raw[used + 4:])
        check_crc(entry, crc, where)
    data = bytes(raw[used + 4:])
    ends = np.cumsum(lengths.astype(np.int64)).tolist()  # fits: the total matched the entry size
    out = np.empty(entry.num_elements, dtype=object)
    out[:] = [data[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    return out.reshape(entry.shape)


def encode_strings(values: np.ndarray) -> tuple[bytes, bytes, int]:
    """Returns (lengths + length checksum, string bytes, unmasked entry crc) for a string tensor."""
    items = [_as_bytes(v) for v in values.reshape(-1).tolist()]
    lengths = np.array([len(v) for v in items], dtype=np.uint64)
    header = b"".join(encode_varint(len(v)) for v in items)
    crc = _lengths_crc(lengths, big_endian=False)
    length_checksum = checksum.mask(crc).to_bytes(4, "little")
    data = b"".join(items)
    crc = checksum.extend(checksum.extend(crc, length_checksum), data)
    return header + length_checksum, data, crc


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise InvalidArgumentError(f"A string tensor holds bytes or str, got {type(value).__name__} "
                               f"{value!r}.")


def check_crc(entry: Entry, crc: int, where: str) -> None:
    """Compares a computed CRC32C with the entry's stored (masked) one."""
    stored = checksum.unmask(entry.proto.crc32c)
    if stored != crc:
        raise ChecksumMismatchError(f"{where}: crc32c of {entry.proto.size} bytes at offset "
                                    f"{entry.proto.offset}: stored {stored:#010x}, computed "
                                    f"{crc:#010x}. The data file is corrupted.")


# ---------------------------------------------------------------------------------------------
# Parallel checksums for large tensors

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_CRC_THREADS = max(2, min(8, os.cpu_count() or 1))


def crc_pool() -> ThreadPoolExecutor:
    """The shared worker threads that checksum large tensors."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_CRC_THREADS,
                                       thread_name_prefix="savedmodel-crc")
        return _POOL


def crc_of(raw: memoryview) -> int:
    """CRC32C of ``raw``; buffers of several MiB are split across threads (crc32c drops the GIL).

    This thread and the workers claim chunks from one counter, so a worker that the OS has not yet
    scheduled never makes this thread wait: it simply finds no chunk left.
    """
    count = min(4 * _CRC_THREADS, len(raw) // _PARALLEL_CRC_CHUNK)
    if count < 2:
        return checksum.value(raw)
    step = -(-len(raw) // count)
    chunks = [raw[i:i + step] for i in range(0, len(raw), step)]
    crcs = [0] * len(chunks)
    claims = itertools.count()  # next() is atomic under the GIL

    def work() -> None:
        for i in iter(claims.__next__, len(chunks)):
            if i >= len(chunks):
                return
            crcs[i] = checksum.value(chunks[i])

    helpers = [crc_pool().submit(work) for _ in range(min(_CRC_THREADS, len(chunks)) - 1)]
    work()
    for helper in helpers:
        helper.result()
    crc = crcs[0]
    for part, chunk in zip(crcs[1:], chunks[1:]):
        crc = checksum.combine(crc, part, len(chunk))
    return crc


def overlap(a: Sequence[slice], b: Sequence[slice]) -> bool:
    """True when two non-empty boxes (one slice per dimension) share an element."""
    return all(x.start < y.stop and y.start < x.stop and x.start < x.stop and y.start < y.stop
               for x, y in zip(a, b))


def byteswapped(value: np.ndarray) -> np.ndarray:
    """A native-order copy of big-endian data (complex numbers swap each half)."""
    unit = value.dtype.itemsize // (2 if value.dtype.kind == "c" else 1)
    if unit == 1:
        return value.copy()
    swapped = value.view(f"u{unit}").byteswap()
    return swapped.view(value.dtype)


def as_tensor(value: Any, dtype: Any) -> tuple[dtypes.DType, np.ndarray]:
    """The TF dtype and a C-contiguous little-endian array (object for strings) for ``value``."""
    if isinstance(value, (bytes, str)):
        value = np.array(value, dtype=object)
    array = np.asarray(value)
    tf_dtype = dtypes.as_dtype(dtype if dtype is not None else array.dtype)
    if tf_dtype.is_string:
        return tf_dtype, array.astype(object) if array.dtype != object else array
    if tf_dtype.numpy is None or tf_dtype.enum == dtypes.VARIANT:
        raise UnimplementedError(f"Cannot write a {tf_dtype.name} tensor to a bundle.")
    target = tf_dtype.numpy
    if target.byteorder == ">" or (target.byteorder == "=" and HOST_BIG_ENDIAN):
        target = target.newbyteorder("<")
    return tf_dtype, np.asarray(array, dtype=target, order="C")  # ascontiguousarray drops 0-d


def set_shape(entry: Any, shape: Sequence[int]) -> None:
    """Fills ``entry.shape`` as TensorShape::AsProto does."""
    entry.shape.SetInParent()  # written even for scalars, as TF does
    for size in shape:
        entry.shape.dim.add(size=int(size))


def parse_slice_spec(spec: str | Sequence[tuple[int, int | None]],
                     full_shape: tuple[int, ...]) -> Extents:
    """(start, length) per dimension, length -1 for a full extent (TF's TensorSlice)."""
    pairs = _parse_slice_string(spec) if isinstance(spec, str) else list(spec)
    if len(pairs) != len(full_shape):
        raise InvalidArgumentError(f"Slice spec {spec!r} has {len(pairs)} dimensions; the full "
                                   f"shape {full_shape} has {len(full_shape)}.")
    extents = []
    for (start, length), size in zip(pairs, full_shape):
        if length is None or length < 0:
            if start:
                raise InvalidArgumentError(f"Slice spec {spec!r}: a full extent must start at 0.")
            extents.append((0, ordered_code.FULL_EXTENT))
        elif start < 0 or start + length > size:
            raise InvalidArgumentError(f"Slice spec {spec!r}: extent {start},{length} is outside "
                                       f"dimension size {size}.")
        else:
            extents.append((int(start), int(length)))
    return tuple(extents)


def _parse_slice_string(spec: str) -> list[tuple[int, int | None]]:
    """TF's slice syntax: ``start,length`` or ``-`` per dimension, joined by ``:``."""
    pairs: list[tuple[int, int | None]] = []
    for part in spec.split(":") if spec else []:
        if part == "-":
            pairs.append((0, None))
            continue
        start, _, length = part.partition(",")
        try:
            pairs.append((int(start), int(length)))
        except ValueError:
            raise InvalidArgumentError(f"Bad slice spec {spec!r}: expected 'start,length' or '-' "
                                       "per dimension, separated by ':'.") from None
    return pairs
