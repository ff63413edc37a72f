"""The sorted table of ``.index`` files (savedmodel.format.table): blocks, footer, order, Snappy."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from savedmodel.errors import BadOffsetError, ChecksumMismatchError, FormatError, TruncatedFileError
from savedmodel.format import checksum
from savedmodel.format import table as t

EMPTY_TABLE = bytes.fromhex(
    "0000000001000000" "00c0f2a1b0"  # metaindex block: no entries, one restart; type 0; crc
    "0000000001000000" "00c0f2a1b0"  # index block, same bytes
    "0008" "0d08" + "00" * 36 + "57fb808b247547db")  # footer: handles (0, 8), (13, 8); magic


def _table(items, **options) -> bytes:
    out = io.BytesIO()
    writer = t.TableWriter(out, **options)
    for key, value in items:
        writer.add(key, value)
    writer.finish()
    return out.getvalue()


def _keys(n: int) -> list[bytes]:
    return [f"layer_{i:05d}/kernel/.ATTRIBUTES/VARIABLE_VALUE".encode() for i in range(n)]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(value):
    code = t.encode_varint(value)
    assert t.decode_varint(code, 0, len(code)) == (value, len(code))


def test_varint_limits():
    assert t.encode_varint(300) == b"\xac\x02"
    with pytest.raises(ValueError, match="runs past"):
        t.decode_varint(b"\x80\x80", 0, 2)
    with pytest.raises(ValueError, match="overflows 32 bits"):
        t.decode_varint(b"\xff\xff\xff\xff\x7f", 0, 5, bits=32)


def test_empty_table_bytes():
    data = _table([])
    assert data == EMPTY_TABLE
    assert list(t.TableReader(data, "x").items()) == []


def test_block_builder_prefix_compression_and_restarts():
    block = t._BlockBuilder(restart_interval=2)
    for key in (b"apple", b"apply", b"banana"):
        block.add(key, b"v")
    contents = block.finish()
    # apple: shared 0; apply: shared 4; banana: restart (shared 0) at offset 14.
    assert contents[:14] == b"\x00\x05\x01applev" b"\x04\x01\x01yv"
    assert contents[14:24] == b"\x00\x06\x01bananav"
    assert struct.unpack_from("<3I", contents, len(contents) - 12) == (0, 14, 2)
    assert t._parse_block(contents, "x", "block") == ([b"apple", b"apply", b"banana"], [b"v"] * 3)


def test_separator_and_successor_rules():
    assert t._shortest_separator(b"the quick brown fox", b"the who") == b"the r"
    assert t._shortest_separator(b"abc", b"abcd") == b"abc"  # prefix: unchanged
    assert t._shortest_separator(b"ab1", b"ab2") == b"ab1"  # +1 would reach the limit
    assert t._shortest_separator(b"a\xff", b"b") == b"a\xff"
    assert t._short_successor(b"scale/x") == b"t"
    assert t._short_successor(b"\xff\xffa") == b"\xff\xffb"
    assert t._short_successor(b"\xff\xff") == b"\xff\xff"


def test_many_keys_span_several_blocks_and_read_back():
    items = [(key, bytes([i % 251]) * 40) for i, key in enumerate(_keys(9000))]
    data = _table(items)
    reader = t.TableReader(data, "big.index")
    assert len(reader._handles) > 1
    assert list(reader.items()) == items
    assert reader.get(items[4321][0]) == items[4321][1]
    assert reader.get(b"layer_04321") is None
    assert reader.get(b"\xff") is None


def test_block_is_cut_at_256_kib():
    items = [(key, b"x" * 100) for key in _keys(5000)]
    reader = t.TableReader(_table(items), "x")
    first = reader._handles[0]
    assert t.BLOCK_SIZE <= first.size < t.BLOCK_SIZE + 200


def test_huge_entry_gets_its_own_block():
    items = [(b"a", b"1"), (b"b", b"2" * (2 * t.BLOCK_SIZE)), (b"c", b"3")]
    reader = t.TableReader(_table(items), "x")
    assert len(reader._handles) == 3
    assert list(reader.items()) == items


def test_snappy_compressed_blocks_are_read():
    items = [(key, b"value " * 20) for key in _keys(3000)]
    data = _table(items, compression=t.SNAPPY_COMPRESSION)
    assert len(data) < len(_table(items)) // 3
    reader = t.TableReader(data, "snappy.index")
    handle = reader._handles[0]
    assert data[handle.offset + handle.size] == t.SNAPPY_COMPRESSION
    assert list(reader.items()) == items


def test_writer_refuses_unsorted_keys():
    writer = t.TableWriter(io.BytesIO())
    writer.add(b"b", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        writer.add(b"a", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        writer.add(b"b", b"")


# -- hostile tables --------------------------------------------------------------------------


def _with_block(contents: bytes, block_type: int = 0) -> bytes:
    """A table whose only data block holds ``contents`` verbatim (and a valid trailer)."""
    raw = contents + bytes([block_type])
    block = raw + struct.pack("<I", checksum.mask(checksum.value(raw)))
    meta = t._write_block(t._BlockBuilder(16).finish())
    index_builder = t._BlockBuilder(1)
    index_builder.add(b"\xff", t._encode_handle(t.BlockHandle(0, len(contents))))
    index = t._write_block(index_builder.finish())
    footer = t._encode_footer(t.BlockHandle(len(block), len(meta) - 5),
                              t.BlockHandle(len(block) + len(meta), len(index) - 5))
    return block + meta + index + footer


def _read_all(data: bytes) -> list:
    return list(t.TableReader(data, "bad.index").items())


def test_hostile_short_file_and_bad_magic():
    with pytest.raises(TruncatedFileError, match=r"bad.index: table file is 10 bytes"):
        _read_all(EMPTY_TABLE[:10])
    with pytest.raises(FormatError, match="footer magic: expected 0xdb4775248b80fb57"):
        _read_all(EMPTY_TABLE[:-1] + b"\x00")


def test_hostile_handle_beyond_the_file():
    footer = t._encode_footer(t.BlockHandle(0, 8), t.BlockHandle(2**62, 2**62))
    with pytest.raises(BadOffsetError, match="index block handle: offset 4611686018427387904"):
        _read_all(EMPTY_TABLE[:26] + footer)


def test_hostile_crc_mismatch():
    data = bytearray(_table([(b"k", b"value")]))
    data[4] ^= 0x01  # inside the data block's value
    with pytest.raises(ChecksumMismatchError, match="data block 0 at offset 0: block crc32c"):
        _read_all(bytes(data))


def test_hostile_bad_block_type():
    contents = t._BlockBuilder(16).finish()
    with pytest.raises(FormatError, match=r"block type: expected 0 .raw. or 1 .Snappy., got 7"):
        _read_all(_with_block(contents, block_type=7))


def test_hostile_invalid_snappy():
    with pytest.raises(FormatError, match="Snappy"):
        _read_all(_with_block(b"\x05\x00\x01\x02", block_type=1))
    bomb = t.encode_varint(2**31) + b"\x00" * 4
    with pytest.raises(FormatError, match="more than Snappy can encode"):
        _read_all(_with_block(bomb, block_type=1))


def test_hostile_restart_array_out_of_range():
    with pytest.raises(FormatError, match="restart count 1000 out of range"):
        _read_all(_with_block(b"\x00\x01\x01ab" + struct.pack("<II", 0, 1000)))
    with pytest.raises(FormatError, match="restart count 0 out of range"):
        _read_all(_with_block(struct.pack("<I", 0)))
    with pytest.raises(FormatError, match="restart 0 at offset 3 is not the start of an entry"):
        _read_all(_with_block(b"\x00\x01\x01ab" + struct.pack("<II", 3, 1)))


def test_hostile_entry_overruns_block():
    with pytest.raises(FormatError, match="do not fit"):
        _read_all(_with_block(b"\x00\x01\x50ab" + struct.pack("<II", 0, 1)))
    with pytest.raises(FormatError, match="do not fit"):  # shares more than the previous key
        _read_all(_with_block(b"\x00\x01\x00a\x05\x01\x00b" + struct.pack("<II", 0, 1)))


def test_hostile_unsorted_or_duplicate_keys():
    block = t._BlockBuilder(16)
    block.add(b"b", b"")
    block._last_key = b""  # let the builder write an out-of-order key
    block.add(b"a", b"")
    with pytest.raises(FormatError,
                       match="keys not strictly increasing at entry 1: b'a' after b'b'"):
        _read_all(_with_block(block.finish()))
    dup = t._BlockBuilder(16)
    dup.add(b"a", b"1")
    dup.add(b"a", b"2")
    with pytest.raises(FormatError, match="keys not strictly increasing"):
        _read_all(_with_block(dup.finish()))


def test_hostile_block_keys_above_their_separator():
    block = t._BlockBuilder(16)
    block.add(b"\xff\x01", b"")  # the index says every key of this block is <= b"\xff"
    with pytest.raises(FormatError, match="out of order with the index block"):
        _read_all(_with_block(block.finish()))
