"""String hashes: TensorFlow's ``Hash64`` (MurmurHash64A variant), ``Hash64Combine`` and SipHash-2-4.

Mirrors ``tensorflow/core/lib/hash/hash.cc``; StringToHashBucketFast's FarmHash Fingerprint64 comes
from the ``farmhash`` package.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

_MASK64 = (1 << 64) - 1
_HASH64_M = 0xC6A4A7935BD1E995


def hash64(data: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TensorFlow's ``Hash64`` (MurmurHash64A with TF's tail handling)."""
    n = len(data)
    h = (seed ^ (n * _HASH64_M)) & _MASK64
    body = n - n % 8
    for (k,) in struct.iter_unpack("<Q", data[:body]):
        k = (k * _HASH64_M) & _MASK64
        k ^= k >> 47
        k = (k * _HASH64_M) & _MASK64
        h = ((h ^ k) * _HASH64_M) & _MASK64
    if n % 8:
        h ^= int.from_bytes(data[body:], "little")
        h = (h * _HASH64_M) & _MASK64
    h ^= h >> 47
    h = (h * _HASH64_M) & _MASK64
    return h ^ (h >> 47)


def hash64_combine(a: int, b: int) -> int:
    """TensorFlow's ``Hash64Combine``."""
    return (a ^ (b + 0x9E3779B97F4A7800 + (a << 10) + (a >> 4))) & _MASK64


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK64


def _sip_rounds(v: list[int], rounds: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 = (v0 + v1) & _MASK64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash24(k0: int, k1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` with the 128-bit key (k0, k1)."""
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]
    tail = len(data) % 8
    words = [w for (w,) in struct.iter_unpack("<Q", data[:len(data) - tail])]
    words.append(((len(data) & 0xFF) << 56) | int.from_bytes(data[len(data) - tail:], "little"))
    for m in words:
        v[3] ^= m
        _sip_rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _buckets(hashes: list[int], num_buckets: int, shape: Sequence[int]) -> np.ndarray:
    out = np.asarray(hashes, dtype=np.uint64) % np.uint64(num_buckets)
    return out.astype(np.int64).reshape(tuple(shape))
