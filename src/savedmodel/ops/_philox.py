"""Philox-4x32-10 and the samplers built on it (``philox_random.h``, ``random_distributions.h``).

A stream is counter-based: block ``i`` is ``philox(counter + i, key)``, four uint32 each, computed
with vectorized NumPy uint64 arithmetic. Float conversion, Box-Muller, the truncated-normal
rejection layout, multinomial CDF search, binomial BTRS/inversion and Fisher-Yates shuffling follow
TensorFlow's CPU kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.ops._glibc_math import _logf, _sincosf

_M32 = np.uint64(0xFFFFFFFF)
_MASK64 = (1 << 64) - 1
_PHILOX_M = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)


# --------------------------------------------------------------------------------------------------
# Philox-4x32-10.

def _philox(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Ten Philox rounds over ``counters`` ([n, 4] uint64 holding uint32 words) -> [n, 4] uint32."""
    c0, c1, c2, c3 = (counters[:, i] for i in range(4))
    k0, k1 = key
    shift = np.uint64(32)
    for _ in range(10):
        p0, p1 = _PHILOX_M[0] * c0, _PHILOX_M[1] * c2
        c0, c1, c2, c3 = ((p1 >> shift) ^ c1 ^ np.uint64(k0), p1 & _M32,
                          (p0 >> shift) ^ c3 ^ np.uint64(k1), p0 & _M32)
        k0, k1 = (k0 + _PHILOX_W[0]) & 0xFFFFFFFF, (k1 + _PHILOX_W[1]) & 0xFFFFFFFF
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


@dataclass
class Philox:
    """A Philox stream: 64-bit key and 128-bit counter (as 32-bit words, least significant first)."""

    key: tuple[int, int]
    counter: tuple[int, int, int, int]

    @classmethod
    def from_seeds(cls, seed: int, seed2: int) -> Philox:
        """PhiloxRandom(seed, seed2): the stateful ops' generator."""
        seed, seed2 = seed & _MASK64, seed2 & _MASK64
        return cls((seed & 0xFFFFFFFF, seed >> 32), (0, 0, seed2 & 0xFFFFFFFF, seed2 >> 32))

    def offsets(self, starts: np.ndarray) -> np.ndarray:
        """Counters ``counter + start`` for each start (< 2**64) as [n, 4] uint64 words."""
        starts = np.asarray(starts, dtype=np.uint64)
        shift = np.uint64(32)
        words = [np.uint64(w) for w in self.counter]
        x0 = words[0] + (starts & _M32)
        x1 = words[1] + (starts >> shift) + (x0 >> shift)
        x2 = words[2] + (x1 >> shift)
        x3 = (words[3] + (x2 >> shift)) & _M32
        return np.stack([x0 & _M32, x1 & _M32, x2 & _M32, x3], axis=1)

    def blocks(self, count: int, start: int = 0) -> np.ndarray:
        """``count`` consecutive 4-word outputs from block ``start`` on, flattened to uint32."""
        starts = np.arange(start, start + count, dtype=np.uint64)
        return _philox(self.offsets(starts), self.key).reshape(-1)

    def skipped(self, count: int) -> Philox:
        """The stream ``count`` blocks further on (PhiloxRandom::Skip)."""
        total = sum(w << (32 * i) for i, w in enumerate(self.counter)) + count
        return Philox(self.key, tuple((total >> (32 * i)) & 0xFFFFFFFF for i in range(4)))


# --------------------------------------------------------------------------------------------------
# Distributions (random_distributions.h): how many outputs one Philox block gives, and how.

def _unit_float(words: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Uint32ToFloat / Uint16ToHalf / Uint16ToBfloat16: random mantissa bits in [1, 2), minus 1."""
    if dtype == np.float16:
        bits = ((words & np.uint32(0x3FF)) | np.uint32(15 << 10)).astype(np.uint16)
        return bits.view(np.float16) - np.float16(1)
    if dtype == ml_dtypes.bfloat16:
        bits = ((words & np.uint32(0x7F)) | np.uint32(127 << 7)).astype(np.uint16)
        return (bits.view(ml_dtypes.bfloat16).astype(np.float32) - 1).astype(dtype)
    return ((words & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)


def _unit_double(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Uint64ToDouble: 52 random mantissa bits in [1, 2), minus 1."""
    mantissa = ((high & np.uint32(0xFFFFF)).astype(np.uint64) << np.uint64(32)) | low
    return (mantissa | np.uint64(1023 << 52)).view(np.float64) - 1.0


def _box_muller_float(words: np.ndarray) -> np.ndarray:
    """BoxMullerFloat over consecutive word pairs -> one float32 per word, in order."""
    u1 = np.maximum(_unit_float(words[0::2], np.float32), np.float32(1e-7))
    angle = (2.0 * math.pi * _unit_float(words[1::2], np.float32).astype(np.float64))
    radius = np.sqrt(np.float32(-2.0) * _logf(u1))
    sin, cos = _sincosf(angle.astype(np.float32))
    out = np.empty(words.shape, dtype=np.float32)
    out[0::2], out[1::2] = sin * radius, cos * radius
    return out


def _box_muller_double(words: np.ndarray) -> np.ndarray:
    """BoxMullerDouble over word quadruples -> two float64 per quadruple (libm log/sin/cos)."""
    u1 = np.maximum(_unit_double(words[0::4], words[1::4]), 1e-7)
    angle = 2 * math.pi * _unit_double(words[2::4], words[3::4])
    log, sin, cos = math.log, math.sin, math.cos
    radius = np.sqrt(-2.0 * np.fromiter((log(v) for v in u1.tolist()), np.float64, u1.size))
    out = np.empty(words.size // 2, dtype=np.float64)
    out[0::2] = np.fromiter((sin(v) for v in angle.tolist()), np.float64, angle.size) * radius
    out[1::2] = np.fromiter((cos(v) for v in angle.tolist()), np.float64, angle.size) * radius
    return out


def uniform(gen: Philox, count: int, dtype: np.dtype) -> np.ndarray:
    """UniformDistribution over [0, 1): 4 values per block (2 for float64)."""
    if dtype == np.float64:
        words = gen.blocks(-(-count // 2))
        return _unit_double(words[0::2], words[1::2])[:count]
    return _unit_float(gen.blocks(-(-count // 4)), dtype)[:count]


def normal(gen: Philox, count: int, dtype: np.dtype) -> np.ndarray:
    """NormalDistribution (Box-Muller): 4 values per block (2 for float64)."""
    if dtype == np.float64:
        return _box_muller_double(gen.blocks(-(-count // 2)))[:count]
    return _box_muller_float(gen.blocks(-(-count // 4)))[:count].astype(dtype)


def truncated_normal(gen: Philox, count: int, dtype: np.dtype) -> np.ndarray:
    """TruncatedNormalDistribution: normals with |x| < 2, by rejection.

    Outputs come in groups of 4 (2 for float64). Group g reads words in order from block
    g * group * 64 on (TensorFlow reserves 256 words per output) until the group is full.
    """
    double = dtype == np.float64
    group = 2 if double else 4
    groups = -(-count // group)
    starts = np.arange(groups, dtype=np.uint64) * np.uint64(group * 64)
    out = np.empty((groups, group), dtype=np.float64 if double else np.float32)
    pending, width = np.arange(groups), 2
    while pending.size:
        offsets = (starts[pending, None] + np.arange(width, dtype=np.uint64)).reshape(-1)
        words = _philox(gen.offsets(offsets), gen.key).reshape(pending.size, width * 4)
        draws = (_box_muller_double(words.reshape(-1)) if double else
                 _box_muller_float(words.reshape(-1))).reshape(pending.size, -1)
        accepted = np.abs(draws) < 2.0
        taken = accepted & (np.cumsum(accepted, axis=1) <= group)
        full = taken.sum(axis=1) == group
        out[pending[full]] = draws[full][taken[full]].reshape(-1, group)
        pending, width = pending[~full], width * 2
    return out.reshape(-1)[:count].astype(dtype)


def uniform_int(gen: Philox, count: int, low: int, high: int, dtype: np.dtype) -> np.ndarray:
    """UniformDistribution<int>: low + bits % (high - low), bits of 32 or 64 (two words)."""
    span = (high - low) & (_MASK64 if dtype.itemsize == 8 else 0xFFFFFFFF)
    if dtype.itemsize == 8:
        words = gen.blocks(-(-count // 2))
        bits = words[0::2].astype(np.uint64) | (words[1::2].astype(np.uint64) << np.uint64(32))
        offset = bits[:count] % np.uint64(span)
        return (offset + np.uint64(low & _MASK64)).view(np.int64).astype(dtype)
    bits = gen.blocks(-(-count // 4))[:count].astype(np.uint64)
    return ((bits % np.uint64(span) + np.uint64(low & 0xFFFFFFFF)) & _M32).astype(
        np.uint32).view(np.int32).astype(dtype)


def full_int(gen: Philox, count: int, dtype: np.dtype) -> np.ndarray:
    """UniformFullIntDistribution: raw 32-bit words, or two words per 64-bit value."""
    if dtype.itemsize == 8:
        words = gen.blocks(-(-count // 2))
        bits = words[0::2].astype(np.uint64) | (words[1::2].astype(np.uint64) << np.uint64(32))
        return bits[:count].view(dtype) if dtype != np.uint64 else bits[:count]
    return gen.blocks(-(-count // 4))[:count].view(dtype)


def _words(gen: Philox, count: int) -> np.ndarray:
    """The first ``count`` words of a stream (SingleSampleAdapter order)."""
    return gen.blocks(-(-count // 4))[:count]


def multinomial(gen: Philox, logits: np.ndarray, num_samples: int, dtype: np.dtype) -> np.ndarray:
    """MultinomialFunctor (one shard): per row, an unnormalized CDF over the finite logits, searched
    with ``RandDouble() * total``; rows consume the stream one after another."""
    batch, classes = logits.shape
    finite = np.isfinite(logits.astype(np.float64))
    lowest = (np.iinfo(logits.dtype).min if logits.dtype.kind in "iu" else
              -np.finfo(np.float32 if logits.dtype.name == "bfloat16" else logits.dtype).max)
    peaks = np.where(finite, logits, lowest).max(axis=1).astype(np.float64) if classes else []
    words = _words(gen, batch * num_samples * 2).reshape(batch, num_samples, 2)
    draws = _unit_double(words[..., 0], words[..., 1])
    out = np.empty((batch, num_samples), dtype=dtype)
    for row in range(batch):
        weights = np.exp(logits[row].astype(np.float64) - peaks[row])
        cdf = np.cumsum(np.where(finite[row], weights, 0.0))
        out[row] = np.searchsorted(cdf, draws[row] * (cdf[-1] if classes else 0.0), side="right")
    return out


def _stirling_tail(k: float) -> float:
    tail = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
            0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
            0.00925546218271273, 0.00833056343336287)
    if k <= 9:
        return tail[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


class _Uniforms:
    """The UNIFORM() macro: doubles two per block, each block's second value first."""

    def __init__(self, gen: Philox) -> None:
        self.gen, self.block, self.pending = gen, 0, []

    def __call__(self) -> float:
        if not self.pending:
            words = self.gen.blocks(1, self.block)
            self.block += 1
            self.pending = _unit_double(words[0::2], words[1::2]).tolist()
        return self.pending.pop()


def _binomial_inversion(count: float, prob: float, draw: _Uniforms) -> float:
    geom_sum, num_geom = 0.0, 0
    log1p_q = math.log1p(-prob)
    while True:
        geom_sum += math.ceil(math.log(draw()) / log1p_q)
        if geom_sum > count:
            return float(num_geom)
        num_geom += 1


def _btrs(count: float, prob: float, draw: _Uniforms) -> float:
    """Hormann's transformed rejection, as TensorFlow's random_binomial_op.cc writes it."""
    stddev = math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        u, v = draw() - 0.5, draw()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if us >= 0.07 and v <= v_r:
            return float(k)
        if k < 0 or k > count:
            continue
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m) - _stirling_tail(k)
                 - _stirling_tail(count - k))
        if v <= bound:
            return float(k)


def _binomial_one(gen: Philox, index: int, count: Any, prob: Any) -> float:
    """One sample; ``count`` and ``prob`` keep their dtype for TF's in-type comparisons."""
    one, ten = prob.dtype.type(1), prob.dtype.type(10)
    if float(count) <= 0.0 or prob <= 0:
        return 0.0
    if prob >= one:
        return float(count)
    if math.isnan(float(prob)):
        return math.nan
    flip = prob > prob.dtype.type(0.5)
    p = one - prob if flip else prob
    if count * p >= ten:
        sample = _btrs(float(count), float(p), _Uniforms(gen.skipped(256 * index)))
    else:
        sample = _binomial_inversion(float(count), float(p), _Uniforms(gen.skipped(42 * index)))
    return float(count) - sample if flip else sample


def _shuffle(gen: Philox, value: np.ndarray) -> np.ndarray:
    """RandomShuffle: Fisher-Yates from the front, ``word % remaining`` picks the swap partner."""
    size = value.shape[0] if value.ndim else 0
    if value.size <= 1 or size <= 1:
        return value.copy()
    words = _words(gen, size - 1).astype(np.int64)
    partners = (np.arange(size - 1) + words % np.arange(size, 1, -1)).tolist()
    order = list(range(size))
    for i, j in enumerate(partners):
        order[i], order[j] = order[j], order[i]
    return value[np.asarray(order)]

