"""The immutable sorted table (LevelDB "SSTable") that holds a tensor bundle's ``.index`` file.

Spec: ``shared/spec/savedmodel-format.md`` section 3.1; TensorFlow source
``tsl/lib/io/{format,block,block_builder,table,table_builder}.cc``.

File layout::

    data block 0 | ... | data block n-1 | metaindex block | index block | footer (48 bytes)

- A block on disk is ``contents | type (1 byte) | crc (4 bytes LE)``. ``type`` MUST be 0 (raw) or 1
  (Snappy raw compression); ``crc`` is the masked CRC32C of ``contents | type``.
- Block contents (after decompression) are entries, then the restart array: ``uint32 LE`` offsets,
  then their ``uint32 LE`` count (>= 1). An entry is ``varint32 shared | varint32 non_shared |
  varint32 value_length | key[shared:] | value``, where ``shared`` bytes come from the previous key.
  Every restart offset MUST point at an entry with ``shared == 0``.
- A block handle is ``varint64 offset | varint64 size`` (size without the 5-byte trailer).
- The footer is the metaindex handle and the index handle, zero-padded to 40 bytes, then the magic
  ``0xdb4775248b80fb57`` as 8 bytes LE.
- The metaindex block is empty in TensorFlow's files. The index block maps, for each data block, a
  separator key (>= every key of that block, < every key of the next) to the block's handle.
- Keys compare bytewise and MUST be strictly increasing across the whole table.

TensorFlow's writer (reproduced exactly here so that files are byte-identical): blocks of 256 KiB (a
block is cut once ``len(entries) + 4 * len(restarts) + 4 >= 262144``, and before an entry whose key
and value together take >= 512 KiB), restart interval 16 in data blocks and 1 in the index block,
shortest-separator and short-successor index keys, no compression.

The reader treats the file as untrusted: every handle is checked against the file size, every CRC is
verified, varints and entries must stay inside their block, and key order is checked block by block
against the index, so a lookup parses only the one block it needs.

May import: ``savedmodel.errors``, ``savedmodel.format.checksum``, ``cramjam``, the standard
library.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import cramjam

from savedmodel.errors import BadOffsetError, ChecksumMismatchError, FormatError, TruncatedFileError
from savedmodel.format import checksum

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5
BLOCK_SIZE = 262144
DATA_RESTART_INTERVAL = 16
INDEX_RESTART_INTERVAL = 1
NO_COMPRESSION, SNAPPY_COMPRESSION = 0, 1
_HANDLES_SIZE = 40  # two handles of at most 2 * 10 varint bytes each, zero-padded
_SNAPPY_MAX_RATIO = 22  # a Snappy copy element of 3 bytes yields at most 64 bytes


@dataclass(frozen=True)
class BlockHandle:
    """Where a block's contents lie in the file (``size`` excludes the 5-byte trailer)."""

    offset: int
    size: int


# ---------------------------------------------------------------------------------------------
# Varints and handles


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128, as ``PutVarint32``/``PutVarint64``."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes, pos: int, limit: int, bits: int = 64) -> tuple[int, int]:
    """Returns ``(value, next_pos)``; raises ValueError past ``limit`` or beyond ``bits`` bits."""
    result = shift = 0
    for i in range(pos, min(limit, pos + (bits + 6) // 7)):
        byte = data[i]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if result >> bits:
                raise ValueError(f"varint at byte {pos} overflows {bits} bits")
            return result, i + 1
        shift += 7
    raise ValueError(f"varint at byte {pos} runs past its end")


def _encode_handle(handle: BlockHandle) -> bytes:
    return encode_varint(handle.offset) + encode_varint(handle.size)


def _decode_handle(data: bytes, pos: int, limit: int) -> tuple[BlockHandle, int]:
    offset, pos = decode_varint(data, pos, limit)
    size, pos = decode_varint(data, pos, limit)
    return BlockHandle(offset, size), pos


def _encode_footer(metaindex: BlockHandle, index: BlockHandle) -> bytes:
    handles = _encode_handle(metaindex) + _encode_handle(index)
    return handles.ljust(_HANDLES_SIZE, b"\0") + struct.pack("<Q", MAGIC)


def _decode_footer(data: bytes, path: str) -> tuple[BlockHandle, BlockHandle]:
    if len(data) < FOOTER_SIZE:
        raise TruncatedFileError(f"{path}: table file is {len(data)} bytes, shorter than its "
                                 f"{FOOTER_SIZE}-byte footer. The file is truncated or not a "
                                 "table.")
    footer = data[len(data) - FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, _HANDLES_SIZE)
    if magic != MAGIC:
        raise FormatError(f"{path}: footer magic: expected {MAGIC:#018x}, got {magic:#018x}. The "
                          "file is truncated, corrupted or not a tensor bundle index.")
    try:
        metaindex, pos = _decode_handle(footer, 0, _HANDLES_SIZE)
        index, _ = _decode_handle(footer, pos, _HANDLES_SIZE)
    except ValueError as exc:
        raise FormatError(f"{path}: footer block handles: {exc}.") from None
    return metaindex, index


# ---------------------------------------------------------------------------------------------
# Blocks on disk: contents | type | masked crc32c


def _write_block(contents: bytes, compression: int = NO_COMPRESSION) -> bytes:
    """A block's on-disk bytes; Snappy is kept only when it saves >= 1/8 (LevelDB's rule)."""
    block_type = NO_COMPRESSION
    if compression == SNAPPY_COMPRESSION:
        packed = bytes(cramjam.snappy.compress_raw(contents))
        if len(packed) < len(contents) - len(contents) // 8:
            contents, block_type = packed, SNAPPY_COMPRESSION
    trailer_type = bytes([block_type])
    crc = checksum.mask(checksum.extend(checksum.value(contents), trailer_type))
    return contents + trailer_type + struct.pack("<I", crc)


def _read_block(data: bytes, handle: BlockHandle, limit: int, path: str, what: str) -> bytes:
    """Checks a block's place, CRC and type in ``data[:limit]``; returns its plain contents."""
    end = handle.offset + handle.size + BLOCK_TRAILER_SIZE
    if end > limit:
        raise BadOffsetError(f"{path}: {what} handle: offset {handle.offset} + size {handle.size} "
                             f"+ {BLOCK_TRAILER_SIZE}-byte trailer = {end} exceeds the {limit} "
                             "bytes before the footer.")
    raw = data[handle.offset:end]
    contents, block_type = raw[:handle.size], raw[handle.size]
    (stored,) = struct.unpack_from("<I", raw, handle.size + 1)
    actual = checksum.extend(checksum.value(contents), raw[handle.size:handle.size + 1])
    if checksum.unmask(stored) != actual:
        raise ChecksumMismatchError(f"{path}: {what} at offset {handle.offset}: block crc32c: "
                                    f"stored {checksum.unmask(stored):#010x}, computed "
                                    f"{actual:#010x}.")
    if block_type == NO_COMPRESSION:
        return contents
    if block_type == SNAPPY_COMPRESSION:
        return _snappy_decompress(contents, path, what)
    raise FormatError(f"{path}: {what} at offset {handle.offset}: block type: expected 0 (raw) or "
                      f"1 (Snappy), got {block_type}.")


def _snappy_decompress(contents: bytes, path: str, what: str) -> bytes:
    try:
        length, _ = decode_varint(contents, 0, len(contents), bits=32)
    except ValueError as exc:
        raise FormatError(f"{path}: {what}: Snappy length header: {exc}.") from None
    if length > _SNAPPY_MAX_RATIO * len(contents) + 32:
        raise FormatError(f"{path}: {what}: Snappy block claims {length} bytes from "
                          f"{len(contents)} compressed bytes, more than Snappy can encode.")
    try:
        out = bytes(cramjam.snappy.decompress_raw(contents))
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise FormatError(f"{path}: {what}: invalid Snappy data: {exc}.") from None
    if len(out) != length:
        raise FormatError(f"{path}: {what}: Snappy block gave {len(out)} bytes, its header said "
                          f"{length}.")
    return out


# ---------------------------------------------------------------------------------------------
# Block contents: prefix-compressed entries and restart points


class _BlockBuilder:
    """``tsl::table::BlockBuilder``: entries with shared key prefixes, a restart every N entries."""

    def __init__(self, restart_interval: int) -> None:
        self._restart_interval = restart_interval
        self.reset()

    def reset(self) -> None:
        self._buffer = bytearray()
        self._restarts = [0]
        self._counter = 0
        self._last_key = b""

    def empty(self) -> bool:
        return not self._buffer

    def size_estimate(self) -> int:
        return len(self._buffer) + 4 * len(self._restarts) + 4

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self._counter < self._restart_interval:
            limit = min(len(key), len(self._last_key))
            while shared < limit and key[shared] == self._last_key[shared]:
                shared += 1
        else:
            self._restarts.append(len(self._buffer))
            self._counter = 0
        buf = self._buffer
        buf += encode_varint(shared)
        buf += encode_varint(len(key) - shared)
        buf += encode_varint(len(value))
        buf += key[shared:]
        buf += value
        self._last_key = key
        self._counter += 1

    def finish(self) -> bytes:
        restarts = struct.pack(f"<{len(self._restarts)}I", *self._restarts)
        return bytes(self._buffer) + restarts + struct.pack("<I", len(self._restarts))


def _parse_block(contents: bytes, path: str, what: str) -> tuple[list[bytes], list[bytes]]:
    """Decodes a block's entries into parallel key and value lists, checking restarts and order."""
    size = len(contents)
    if size < 4:
        raise FormatError(f"{path}: {what}: {size} bytes, too short for the restart count.")
    (num_restarts,) = struct.unpack_from("<I", contents, size - 4)
    if num_restarts < 1 or num_restarts > (size - 4) // 4:
        raise FormatError(f"{path}: {what}: restart count {num_restarts} out of range: expected "
                          f"1..{(size - 4) // 4} for a {size}-byte block.")
    entries_end = size - 4 - 4 * num_restarts
    restarts = struct.unpack_from(f"<{num_restarts}I", contents, entries_end)
    keys, values, restart_ok = _decode_entries(contents, entries_end, path, what)
    for index, offset in enumerate(restarts):
        if offset not in restart_ok and not (offset == 0 and entries_end == 0):
            raise FormatError(f"{path}: {what}: restart {index} at offset {offset} is not the "
                              f"start of an entry with no shared prefix (entries end at "
                              f"{entries_end}).")
        if index and offset <= restarts[index - 1]:
            raise FormatError(f"{path}: {what}: restart offsets are not increasing at restart "
                              f"{index}.")
    return keys, values


def _decode_entries(contents: bytes, end: int, path: str,
                    what: str) -> tuple[list[bytes], list[bytes], set[int]]:
    keys: list[bytes] = []
    values: list[bytes] = []
    restart_ok: set[int] = set()
    key = b""
    pos = 0
    while pos < end:
        start = pos
        try:
            shared, pos = decode_varint(contents, pos, end, 32)
            non_shared, pos = decode_varint(contents, pos, end, 32)
            value_length, pos = decode_varint(contents, pos, end, 32)
        except ValueError as exc:
            raise FormatError(f"{path}: {what}: entry {len(keys)}: {exc}.") from None
        if shared > len(key) or pos + non_shared + value_length > end:
            raise FormatError(f"{path}: {what}: entry {len(keys)} at offset {start}: shared "
                              f"{shared}, key {non_shared} and value {value_length} bytes do not "
                              f"fit (previous key {len(key)} bytes, entries end at {end}).")
        new_key = key[:shared] + contents[pos:pos + non_shared]
        if keys and new_key <= key:
            raise FormatError(f"{path}: {what}: keys not strictly increasing at entry {len(keys)}: "
                              f"{new_key!r} after {key!r}.")
        if shared == 0:
            restart_ok.add(start)
        pos += non_shared
        keys.append(new_key)
        values.append(contents[pos:pos + value_length])
        pos += value_length
        key = new_key
    return keys, values, restart_ok


# ---------------------------------------------------------------------------------------------
# Reading a table


class TableReader:
    """A parsed table file: the index is read at open, each data block on first use."""

    def __init__(self, data: bytes, path: str) -> None:
        self._data = data
        self.path = path
        metaindex, index = _decode_footer(data, path)
        limit = len(data) - FOOTER_SIZE
        _parse_block(_read_block(data, metaindex, limit, path, "metaindex block"), path,
                     "metaindex block")
        index_block = _read_block(data, index, limit, path, "index block")
        index_keys, index_values = _parse_block(index_block, path, "index block")
        self._separators = index_keys
        self._handles = [self._index_handle(value, i) for i, value in enumerate(index_values)]
        self._blocks: dict[int, tuple[list[bytes], list[bytes]]] = {}
        self._limit = limit

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TableReader:
        """Reads the whole file (index files are small) and parses its footer and index block."""
        with open(path, "rb") as f:
            return cls(f.read(), os.fspath(path))

    def _index_handle(self, value: bytes, i: int) -> BlockHandle:
        try:
            handle, end = _decode_handle(value, 0, len(value))
        except ValueError as exc:
            raise FormatError(f"{self.path}: index block entry {i}: block handle: {exc}.") from None
        if end != len(value):
            raise FormatError(f"{self.path}: index block entry {i}: {len(value) - end} bytes after "
                              "the block handle.")
        return handle

    def _block(self, i: int) -> tuple[list[bytes], list[bytes]]:
        """Data block ``i``, parsed and checked against its neighbours in the index."""
        block = self._blocks.get(i)
        if block is None:
            what = f"data block {i}"
            contents = _read_block(self._data, self._handles[i], self._limit, self.path, what)
            block = _parse_block(contents, self.path, what)
            keys = block[0]
            after_previous = i == 0 or keys[0] > self._separators[i - 1]
            if keys and (keys[-1] > self._separators[i] or not after_previous):
                raise FormatError(f"{self.path}: {what}: keys {keys[0]!r}..{keys[-1]!r} are out of "
                                  "order with the index block (unsorted table).")
            self._blocks[i] = block
        return block

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None."""
        i = bisect.bisect_left(self._separators, key)
        if i == len(self._separators):
            return None
        keys, values = self._block(i)
        j = bisect.bisect_left(keys, key)
        return values[j] if j < len(keys) and keys[j] == key else None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every entry in key order."""
        for i in range(len(self._handles)):
            keys, values = self._block(i)
            yield from zip(keys, values)


# ---------------------------------------------------------------------------------------------
# Writing a table


def _shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key in ``[start, limit)``: ``FindShortestSeparator`` of TF's table builder."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start


def _short_successor(key: bytes) -> bytes:
    """A short key >= ``key``: ``FindShortSuccessor`` (first byte below 0xff, incremented)."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


class TableWriter:
    """``tsl::table::TableBuilder`` with TensorFlow's options: sorted ``add``s, then ``finish``."""

    def __init__(self, out: BinaryIO, *, compression: int = NO_COMPRESSION,
                 block_size: int = BLOCK_SIZE) -> None:
        self._out = out
        self._compression = compression
        self._block_size = block_size
        self._offset = 0
        self._data_block = _BlockBuilder(DATA_RESTART_INTERVAL)
        self._index_block = _BlockBuilder(INDEX_RESTART_INTERVAL)
        self._last_key: bytes | None = None
        self._pending_handle: BlockHandle | None = None

    def add(self, key: bytes, value: bytes) -> None:
        """Appends an entry; keys must come in strictly increasing bytewise order."""
        if self._last_key is not None:
            if key <= self._last_key:
                raise ValueError(f"Table keys must be strictly increasing: {key!r} after "
                                 f"{self._last_key!r}.")
            if len(key) + len(value) >= 2 * self._block_size:
                self._flush()
        if self._pending_handle is not None:
            separator = _shortest_separator(self._last_key or b"", key)
            self._index_block.add(separator, _encode_handle(self._pending_handle))
            self._pending_handle = None
        self._last_key = key
        self._data_block.add(key, value)
        if self._data_block.size_estimate() >= self._block_size:
            self._flush()

    def _flush(self) -> None:
        if not self._data_block.empty():
            self._pending_handle = self._emit(self._data_block)

    def _emit(self, block: _BlockBuilder) -> BlockHandle:
        raw = _write_block(block.finish(), self._compression)
        block.reset()
        handle = BlockHandle(self._offset, len(raw) - BLOCK_TRAILER_SIZE)
        self._out.write(raw)
        self._offset += len(raw)
        return handle

    def finish(self) -> None:
        """Writes the last data block, the metaindex and index blocks and the footer."""
        self._flush()
        metaindex = self._emit(_BlockBuilder(DATA_RESTART_INTERVAL))
        if self._pending_handle is not None:
            successor = _short_successor(self._last_key or b"")
            self._index_block.add(successor, _encode_handle(self._pending_handle))
            self._pending_handle = None
        index = self._emit(self._index_block)
        self._out.write(_encode_footer(metaindex, index))
        self._offset += FOOTER_SIZE
