"""Masked CRC32C, the checksum of every tensor-bundle block, tensor and string-length run.

Spec: ``shared/spec/savedmodel-format.md`` section 3.2; TensorFlow source ``tsl/lib/hash/crc32c.h``.

- CRC32C is the Castagnoli CRC (reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF), so
  ``value(b"123456789") == 0xE3069283``. The ``crc32c`` package computes it in hardware.
- Stored checksums are *masked*: ``((crc >> 15) | (crc << 17)) + 0xA282EAD8`` (mod 2**32), because
  a CRC over data that itself holds CRCs is weak (LevelDB's reason). ``unmask`` reverses it.
- ``combine(crc_a, crc_b, len_b)`` gives the CRC of ``a + b`` from the CRCs of the parts, which lets
  a reader checksum one large tensor on several threads.

May import: ``crc32c`` and the standard library only.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import crc32c as _crc32c

if TYPE_CHECKING:
    from typing_extensions import Buffer

MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
_POLY = 0x82F63B78  # reflected Castagnoli polynomial


def value(data: Buffer) -> int:
    """CRC32C of ``data`` (any buffer: bytes, memoryview, contiguous NumPy array)."""
    return _crc32c.crc32c(data)


def extend(crc: int, data: Buffer) -> int:
    """CRC32C of ``previous + data`` given ``crc`` = CRC32C of ``previous``."""
    return _crc32c.crc32c(data, crc)


def mask(crc: int) -> int:
    """The masked form TensorFlow stores on disk."""
    return ((((crc >> 15) | (crc << 17)) & _U32) + MASK_DELTA) & _U32


def unmask(masked: int) -> int:
    """Inverse of :func:`mask`."""
    rot = (masked - MASK_DELTA) & _U32
    return ((rot >> 17) | (rot << 15)) & _U32


def _gf2_times(matrix: tuple[int, ...], vec: int) -> int:
    """Multiplies a 32x32 GF(2) matrix (a list of 32 column words) by a 32-bit vector."""
    total = 0
    i = 0
    while vec:
        if vec & 1:
            total ^= matrix[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(matrix: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_gf2_times(matrix, column) for column in matrix)


@functools.cache
def _zeros_operator(power: int) -> tuple[int, ...]:
    """The GF(2) operator that feeds ``2**power`` zero bytes through the CRC register."""
    if power == 0:
        one_bit = (_POLY, *(1 << i for i in range(31)))
        return _gf2_square(_gf2_square(_gf2_square(one_bit)))
    return _gf2_square(_zeros_operator(power - 1))


@functools.cache
def _zeros_tables(power: int) -> tuple[tuple[int, ...], ...]:
    """``_zeros_operator(power)`` as four 256-entry tables, one per byte of the CRC register."""
    columns = _zeros_operator(power)
    tables = []
    for k in range(4):
        table = [0] * 256
        for byte in range(1, 256):
            low = byte & -byte
            table[byte] = table[byte ^ low] ^ columns[8 * k + low.bit_length() - 1]
        tables.append(tuple(table))
    return tuple(tables)


def combine(crc_a: int, crc_b: int, len_b: int) -> int:
    """CRC32C of ``a + b`` from ``crc_a``, ``crc_b`` and ``len(b)`` (zlib's crc32_combine)."""
    power = 0
    while len_b > 0:
        if len_b & 1:
            t0, t1, t2, t3 = _zeros_tables(power)
            crc_a = (t0[crc_a & 0xFF] ^ t1[(crc_a >> 8) & 0xFF] ^ t2[(crc_a >> 16) & 0xFF]
                     ^ t3[crc_a >> 24])
        len_b >>= 1
        power += 1
    return crc_a ^ crc_b
