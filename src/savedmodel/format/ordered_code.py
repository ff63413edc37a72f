"""TensorFlow's OrderedCode and the tensor-bundle slice keys built from it.

Spec: ``shared/spec/savedmodel-format.md`` section 3.6; TensorFlow source
``tensorflow/core/lib/strings/ordered_code.cc`` and
``tensorflow/core/util/saved_tensor_slice_util.cc`` (``EncodeTensorNameSlice``). Encodings sort
bytewise in the order of the values they encode:

- ``NumIncreasing(v)`` (unsigned): one length byte n (0 for v = 0), then v in n big-endian bytes.
- ``String(s)``: s with ``00`` -> ``00 ff`` and ``ff`` -> ``ff 00``, terminated by ``00 01``.
- ``SignedNumIncreasing(v)``: 1 to 10 bytes. The first bit is the sign (1 for v >= 0); it is
  followed by ``len - 1`` more bits equal to the sign, one bit of the opposite value, then v in
  two's complement, big-endian. One byte covers [-64, 64) (``0x80 ^ (v & 0xff)``); n bytes cover
  [-2**(7n-1), 2**(7n-1)), 10 bytes the rest of int64.

A slice key is ``NumIncreasing(0) String(name) NumIncreasing(rank)`` then, per dimension,
``SignedNumIncreasing(start) SignedNumIncreasing(length)`` with a full extent written as (0, -1).
It starts with byte ``00``, so slice keys sort before every tensor name.

May import: ``savedmodel.errors`` and the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from savedmodel.errors import FormatError

FULL_EXTENT = -1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_MAX_SIGNED_LENGTH = 10
# Header bits of the first two bytes, by encoding length (ordered_code.cc kLengthToHeaderBits).
_HEADER_BITS = [(0, 0), (0x80, 0), (0xC0, 0), (0xE0, 0), (0xF0, 0), (0xF8, 0), (0xFC, 0),
                (0xFE, 0), (0xFF, 0), (0xFF, 0x80), (0xFF, 0xC0)]
_SPECIAL_BYTE = re.compile(b"[\\x00\\xff]")
_ESCAPES = {b"\x00": b"\x00\xff", b"\xff": b"\xff\x00"}


class OrderedCodeError(FormatError):
    """Bytes that are not a valid OrderedCode encoding."""


def encode_num_increasing(value: int) -> bytes:
    """``NumIncreasing``: a uint64 as a length byte plus minimal big-endian bytes."""
    if not 0 <= value < (1 << 64):
        raise ValueError(f"NumIncreasing takes a uint64, got {value}.")
    payload = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(payload)]) + payload


def decode_num_increasing(data: bytes, pos: int = 0) -> tuple[int, int]:
    """Returns ``(value, next_pos)`` for the ``NumIncreasing`` at ``data[pos:]``."""
    if pos >= len(data):
        raise OrderedCodeError(f"NumIncreasing at byte {pos}: expected a length byte, got the end "
                               "of the key.")
    length = data[pos]
    end = pos + 1 + length
    if length > 8 or end > len(data):
        raise OrderedCodeError(f"NumIncreasing at byte {pos}: bad length {length} "
                               f"({len(data) - pos - 1} bytes left, at most 8 allowed).")
    return int.from_bytes(data[pos + 1:end], "big"), end


def encode_string(value: bytes) -> bytes:
    """``String``: escapes 00 and ff, then appends the ``00 01`` terminator."""
    return _SPECIAL_BYTE.sub(lambda m: _ESCAPES[m.group()], value) + b"\x00\x01"


def decode_string(data: bytes, pos: int = 0) -> tuple[bytes, int]:
    """Returns ``(value, next_pos)`` for the ``String`` at ``data[pos:]``."""
    out = bytearray()
    i = pos
    while i + 1 < len(data):
        byte, following = data[i], data[i + 1]
        if byte == 0x00 and following == 0x01:
            return bytes(out), i + 2
        if byte == 0x00 and following == 0xFF:
            out.append(0x00)
        elif byte == 0xFF and following == 0x00:
            out.append(0xFF)
        elif byte in (0x00, 0xFF):
            raise OrderedCodeError(f"String at byte {pos}: invalid escape "
                                   f"{byte:02x} {following:02x} at byte {i}.")
        else:
            out.append(byte)
            i += 1
            continue
        i += 2
    raise OrderedCodeError(f"String at byte {pos}: no 00 01 terminator before the end of the key.")


def _signed_length(value: int) -> int:
    """Encoding length: 7 bits per byte, less the sign bit (ordered_code.cc kBitsToLength)."""
    return (~value if value < 0 else value).bit_length() // 7 + 1


def encode_signed_num_increasing(value: int) -> bytes:
    """``SignedNumIncreasing``: an int64 in 1 to 10 bytes that sort in numeric order."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"SignedNumIncreasing takes an int64, got {value}.")
    length = _signed_length(value)
    if length == 1:
        return bytes([0x80 ^ (value & 0xFF)])
    buf = bytearray(value.to_bytes(_MAX_SIGNED_LENGTH, "big", signed=True)[-length:])
    buf[0] ^= _HEADER_BITS[length][0]
    buf[1] ^= _HEADER_BITS[length][1]
    return bytes(buf)


def _count_leading_ones(data: bytes, pos: int) -> int:
    """Leading one bits of ``data[pos:pos+2]`` (the encoding's length field, sign-normalized)."""
    flip = 0x00 if data[pos] & 0x80 else 0xFF
    word = (data[pos] ^ flip) << 8 | ((data[pos + 1] ^ flip) if pos + 1 < len(data) else 0)
    ones = 0
    while ones < 16 and word & (0x8000 >> ones):
        ones += 1
    return ones


def decode_signed_num_increasing(data: bytes, pos: int = 0) -> tuple[int, int]:
    """Returns ``(value, next_pos)`` for the ``SignedNumIncreasing`` at ``data[pos:]``."""
    if pos >= len(data):
        raise OrderedCodeError(f"SignedNumIncreasing at byte {pos}: got end of key.")
    length = _count_leading_ones(data, pos)
    end = pos + length
    if not 1 <= length <= _MAX_SIGNED_LENGTH or end > len(data):
        raise OrderedCodeError(f"SignedNumIncreasing at byte {pos}: bad length {length} "
                               f"({len(data) - pos} bytes left).")
    buf = bytearray(data[pos:end])
    buf[0] ^= _HEADER_BITS[length][0]
    if length > 1:
        buf[1] ^= _HEADER_BITS[length][1]
    value = int.from_bytes(buf, "big", signed=True)  # the header bits restored the sign bits
    if not _INT64_MIN <= value <= _INT64_MAX or _signed_length(value) != length:
        raise OrderedCodeError(f"SignedNumIncreasing at byte {pos}: non-canonical encoding "
                               f"{bytes(data[pos:end]).hex(' ')}.")
    return value, end


def encode_slice_key(name: str | bytes, extents: Sequence[tuple[int, int]]) -> bytes:
    """TensorFlow's ``EncodeTensorNameSlice``: the bundle key of one stored slice.

    ``extents`` holds ``(start, length)`` per dimension, length -1 for a full extent.
    """
    raw = name.encode() if isinstance(name, str) else name
    parts = [encode_num_increasing(0), encode_string(raw), encode_num_increasing(len(extents))]
    for start, length in extents:
        parts.append(encode_signed_num_increasing(start))
        parts.append(encode_signed_num_increasing(length))
    return b"".join(parts)


def decode_slice_key(key: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """Inverse of :func:`encode_slice_key`: ``(name, [(start, length), ...])``."""
    tag, pos = decode_num_increasing(key)
    if tag != 0:
        raise OrderedCodeError(f"Slice key {key!r}: expected leading NumIncreasing(0), got {tag}.")
    name, pos = decode_string(key, pos)
    rank, pos = decode_num_increasing(key, pos)
    extents = []
    for _ in range(rank):
        start, pos = decode_signed_num_increasing(key, pos)
        length, pos = decode_signed_num_increasing(key, pos)
        extents.append((start, length))
    if pos != len(key):
        raise OrderedCodeError(f"Slice key {key!r}: {len(key) - pos} trailing bytes after rank "
                               f"{rank}.")
    return name, extents
