"""Random ops: the stateless ``StatelessRandom*`` family bit for bit, and the seeded stateful ops.

Mirrors ``tensorflow/core/kernels/stateless_random_ops*.cc``, ``random_op.cc``, ``random_op_cpu.h``,
``multinomial_op.cc``, ``random_binomial_op.cc``, ``random_shuffle_op.cc`` and
``tensorflow/core/lib/random/{philox_random,random_distributions}.h``.

All ops draw from Philox-4x32-10 (counter-based: block ``i`` is ``philox(counter + i, key)``, four
uint32 each), computed here with vectorized NumPy uint64 arithmetic. A seed pair is scrambled into
(key, counter) as TensorFlow's ``GenerateKey`` does; the V2 ops take (key, counter, alg) directly
(alg 1 Philox, 3 auto-select = Philox on CPU; ThreeFry is refused as on TensorFlow's CPU kernels).
Float conversion, Box-Muller, the truncated-normal rejection layout (256 blocks reserved per group
of outputs), multinomial CDF search and binomial BTRS/inversion follow TensorFlow's CPU kernels.

Box-Muller needs ``logf`` and ``sincosf``: TensorFlow calls glibc, whose float routines (glibc >=
2.28) are re-implemented here in vectorized float64 exactly as glibc evaluates them, so float32,
float16 and bfloat16 normals match TensorFlow bit for bit on modern Linux. float64 normals and the
binomial sampler call the C library through ``math`` element by element (exact, but slower).

Stateful ops (RandomUniform, RandomStandardNormal, TruncatedNormal, RandomUniformInt, Multinomial,
RandomShuffle) keep one generator per node in ``ctx.resources``, seeded from the ``seed``/``seed2``
attributes like TensorFlow's GuardedPhiloxRandom, and advance it by the same reservation after each
run; with a nonzero seed they reproduce TensorFlow's values call after call. With seed = seed2 = 0
TensorFlow draws an OS seed, and so do we: those results are random and not comparable.
Not bit-identical: multinomial rows in batches large enough for TensorFlow to shard across threads
(its result then depends on the thread pool), and the CDF uses NumPy's exp (TensorFlow Eigen's),
which can only matter when a sample falls within an ulp of a class boundary.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops._math_common import check_size
from savedmodel.ops.context import KernelContext, ResourceHandle
from savedmodel.ops.registry import register_op

_M32 = np.uint64(0xFFFFFFFF)
_MASK64 = (1 << 64) - 1
_PHILOX_M = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_ALG_PHILOX, _ALG_THREEFRY, _ALG_AUTO = 1, 2, 3
_SEED_TYPES = "Tseed: type {int32, int64} = DT_INT64"
_FLOATS = "dtype: type {half, bfloat16, float, double} = DT_FLOAT"
_LOGIT_TYPES = ("T: type {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, "
                "uint32, uint64}")


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


def _from_seed(ctx: KernelContext, seed: Any) -> Philox:
    """GenerateKey: the stateless ops' seed pair scrambled into a key and counter."""
    seed = np.asarray(seed)
    if seed.shape != (2,):
        raise InvalidArgumentError(f"{ctx.where}: seed must have shape [2], not "
                                   f"{_shape_str(seed.shape)}")
    s0, s1 = (int(v) & _MASK64 for v in seed.tolist())
    words = np.asarray([[s0 & 0xFFFFFFFF, s0 >> 32, s1 & 0xFFFFFFFF, s1 >> 32]], dtype=np.uint64)
    mix = _philox(words, (0x3EC8F720, 0x02461E29))[0].tolist()
    return Philox((mix[0], mix[1]), (0, 0, mix[2], mix[3]))


def _from_key_counter(ctx: KernelContext, key: Any, counter: Any, alg: Any) -> Philox:
    """The V2 ops' (key, counter, alg) inputs as a Philox stream."""
    algorithm = int(np.asarray(alg))
    if algorithm not in (_ALG_PHILOX, _ALG_AUTO):
        raise InvalidArgumentError(f"{ctx.where}: Unsupported algorithm id: {algorithm}")
    key, counter = np.asarray(key), np.asarray(counter)
    if key.shape != (1,):
        raise InvalidArgumentError(f"{ctx.where}: key must have shape [1], not "
                                   f"{_shape_str(key.shape)}. (Note that batched keys are not "
                                   "supported yet.)")
    if counter.ndim != 1 or counter.shape[0] < 2:
        raise InvalidArgumentError(f"{ctx.where}: counter must be a vector with length at least 2; "
                                   f"got shape: {_shape_str(counter.shape)}. (Note that batched "
                                   "counters are not supported yet.)")
    k, (c0, c1) = int(key[0]), (int(v) for v in counter[:2])
    return Philox((k & 0xFFFFFFFF, k >> 32),
                  (c0 & 0xFFFFFFFF, c0 >> 32, c1 & 0xFFFFFFFF, c1 >> 32))


def _shape_str(shape: Any) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _shape(ctx: KernelContext, shape: Any) -> tuple[int, ...]:
    """An output shape input, checked like TensorFlow's MakeShape and against the size limit."""
    array = np.asarray(shape)
    if array.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: shape must be a vector of {{int32,int64}}, got "
                                   f"shape {_shape_str(array.shape)}")
    dims = tuple(int(d) for d in array.tolist())
    for dim in dims:
        if dim < 0:
            raise InvalidArgumentError(f"{ctx.where}: Dimension {dim} must be >= 0")
    check_size(ctx, int(np.prod(dims, dtype=object)), np.float64)
    return dims


# --------------------------------------------------------------------------------------------------
# glibc's logf and sincosf (sysdeps/ieee754/flt-32/e_logf.c, s_sincosf.c), vectorized in float64.

_HEX = float.fromhex
_LOGF_INVC = np.array([_HEX(h) for h in (
    "0x1.661ec79f8f3bep+0", "0x1.571ed4aaf883dp+0", "0x1.49539f0f010bp+0", "0x1.3c995b0b80385p+0",
    "0x1.30d190c8864a5p+0", "0x1.25e227b0b8eap+0", "0x1.1bb4a4a1a343fp+0", "0x1.12358f08ae5bap+0",
    "0x1.0953f419900a7p+0", "0x1p+0", "0x1.e608cfd9a47acp-1", "0x1.ca4b31f026aap-1",
    "0x1.b2036576afce6p-1", "0x1.9c2d163a1aa2dp-1", "0x1.886e6037841edp-1",
    "0x1.767dcf5534862p-1")])
_LOGF_LOGC = np.array([_HEX(h) for h in (
    "-0x1.57bf7808caadep-2", "-0x1.2bef0a7c06ddbp-2", "-0x1.01eae7f513a67p-2",
    "-0x1.b31d8a68224e9p-3", "-0x1.6574f0ac07758p-3", "-0x1.1aa2bc79c81p-3",
    "-0x1.a4e76ce8c0e5ep-4", "-0x1.1973c5a611cccp-4", "-0x1.252f438e10c1ep-5", "0x0p+0",
    "0x1.aa5aa5df25984p-5", "0x1.c5e53aa362eb4p-4", "0x1.526e57720db08p-3", "0x1.bc2860d22477p-3",
    "0x1.1058bc8a07ee1p-2", "0x1.4043057b6ee09p-2")])
_LOGF_POLY = [_HEX("-0x1.00ea348b88334p-2"), _HEX("0x1.5575b0be00b6ap-2"),
              _HEX("-0x1.ffffef20a4123p-2")]
_LN2 = _HEX("0x1.62e42fefa39efp-1")
_HPI_INV = _HEX("0x1.45F306DC9C883p+23")  # 2/pi * 2**24 (no TOINT_INTRINSICS on x86-64)
_HPI = _HEX("0x1.921FB54442D18p0")
_COS_POLY = [1.0, _HEX("-0x1.ffffffd0c621cp-2"), _HEX("0x1.55553e1068f19p-5"),
             _HEX("-0x1.6c087e89a359dp-10"), _HEX("0x1.99343027bf8c3p-16")]
_SIN_POLY = [_HEX("-0x1.555545995a603p-3"), _HEX("0x1.1107605230bc4p-7"),
             _HEX("-0x1.994eb3774cf24p-13")]
_TOP12_PIO4 = 0x3F4  # abstop12(pi/4)
_TOP12_TINY = 0x398  # abstop12(0x1p-12f)


def _logf(x: np.ndarray) -> np.ndarray:
    """glibc logf for normal positive float32 ``x``."""
    ix = x.view(np.uint32)
    tmp = ix - np.uint32(0x3F330000)
    index = (tmp >> np.uint32(19)) & np.uint32(15)
    k = (tmp.view(np.int32) >> 23).astype(np.float64)
    z = (ix - (tmp & np.uint32(0xFF800000))).view(np.float32).astype(np.float64)
    r = z * _LOGF_INVC[index] - 1.0
    y0 = _LOGF_LOGC[index] + k * _LN2
    r2 = r * r
    y = _LOGF_POLY[1] * r + _LOGF_POLY[2]
    y = _LOGF_POLY[0] * r2 + y
    y = y * r2 + (y0 + r)
    return np.where(ix == np.uint32(0x3F800000), np.float32(0), y.astype(np.float32))


def _sincosf(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """glibc sincosf for float32 ``y`` in [0, 120) (Box-Muller angles are in [0, 2*pi))."""
    x = y.astype(np.float64)
    top = (y.view(np.uint32) >> np.uint32(20)) & np.uint32(0x7FF)
    small, tiny = top < _TOP12_PIO4, top < _TOP12_TINY
    quadrant = np.where(small, 0, ((x * _HPI_INV).astype(np.int32) + 0x800000) >> 24)
    x = np.where(small, x, x - quadrant.astype(np.float64) * _HPI)
    sign = np.array([1.0, -1.0, -1.0, 1.0])[quadrant & 3]
    flip = np.where((quadrant & 2) != 0, -1.0, 1.0)  # the second table negates cos
    xs, x2 = x * sign, x * x
    x4, x3 = x2 * x2, x2 * xs
    c2 = flip * _COS_POLY[3] + x2 * (flip * _COS_POLY[4])
    s1 = _SIN_POLY[1] + x2 * _SIN_POLY[2]
    c1 = flip * _COS_POLY[0] + x2 * (flip * _COS_POLY[1])
    sin_poly = (xs + x3 * _SIN_POLY[0] + (x3 * x2) * s1).astype(np.float32)
    cos_poly = (c1 + x4 * (flip * _COS_POLY[2]) + (x4 * x2) * c2).astype(np.float32)
    odd = (quadrant & 1) != 0
    sin = np.where(tiny, y, np.where(odd, cos_poly, sin_poly))
    cos = np.where(tiny, np.float32(1), np.where(odd, sin_poly, cos_poly))
    return sin, cos


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


# --------------------------------------------------------------------------------------------------
# Stateful generators (GuardedPhiloxRandom), one per node.

@dataclass
class _Guarded:
    gen: Philox

    def reserve(self, blocks: int) -> Philox:
        """The stream for this run; the next run starts ``blocks`` further on."""
        current, self.gen = self.gen, self.gen.skipped(blocks)
        return current


def _guarded(ctx: KernelContext, seed: int, seed2: int) -> _Guarded:
    def create() -> _Guarded:
        if seed == 0 and seed2 == 0:  # TensorFlow seeds these from the OS too
            return _Guarded(Philox.from_seeds(secrets.randbits(64), secrets.randbits(64)))
        return _Guarded(Philox.from_seeds(seed, seed2))
    handle = ResourceHandle("", f"{ctx.node_name}/philox_state", "rng_state")
    return ctx.resources.lookup_or_create(handle, create)


def _int_bounds(ctx: KernelContext, minval: Any, maxval: Any) -> tuple[int, int]:
    low, high = np.asarray(minval), np.asarray(maxval)
    for name, bound in (("minval", low), ("maxval", high)):
        if bound.ndim != 0:
            raise InvalidArgumentError(f"{ctx.where}: {name} must be 0-D, got shape "
                                       f"{_shape_str(bound.shape)}")
    if not int(low) < int(high):
        raise InvalidArgumentError(f"{ctx.where}: Need minval < maxval, got {int(low)} >= "
                                   f"{int(high)}")
    return int(low), int(high)


def _multinomial_args(ctx: KernelContext, logits: Any, num_samples: Any) -> tuple[np.ndarray, int]:
    logits, samples = np.asarray(logits), np.asarray(num_samples)
    if logits.ndim != 2:
        raise InvalidArgumentError(f"{ctx.where}: logits should be a matrix, got shape "
                                   f"{_shape_str(logits.shape)}")
    if samples.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: num_samples should be a scalar, got shape "
                                   f"{_shape_str(samples.shape)}")
    if int(samples) < 0:
        raise InvalidArgumentError(f"{ctx.where}: num_samples should be non-negative, got "
                                   f"{int(samples)}")
    if logits.shape[1] == 0:
        raise InvalidArgumentError(f"{ctx.where}: num_classes should be positive, got 0")
    check_size(ctx, logits.shape[0] * int(samples), np.int64)
    return logits, int(samples)


def _fill(ctx: KernelContext, shape: Any, draw: Any) -> np.ndarray:
    dims = _shape(ctx, shape)
    count = int(np.prod(dims, dtype=np.int64))
    return draw(count).reshape(dims)


# --------------------------------------------------------------------------------------------------
# Ops, alphabetically.

@register_op("Multinomial", inputs=["logits: T", "num_samples: int32"],
             outputs=["output: output_dtype"],
             attrs=["seed: int = 0", "seed2: int = 0",
                    _LOGIT_TYPES, "output_dtype: type {int32, int64} = DT_INT64"], stateful=True)
def _multinomial(ctx: KernelContext, logits: Any, num_samples: Any, *, seed: int, seed2: int,
                 output_dtype: Any, **_: Any) -> tuple:
    logits, samples = _multinomial_args(ctx, logits, num_samples)
    blocks = logits.shape[0] * (samples + 3) // 4 * 4 * 2 * 256
    gen = _guarded(ctx, seed, seed2).reserve(blocks)
    return (multinomial(gen, logits, samples, output_dtype.numpy),)


@register_op("RandomShuffle", inputs=["value: T"], outputs=["output: T"],
             attrs=["seed: int = 0", "seed2: int = 0", "T: type"], stateful=True)
def _random_shuffle(ctx: KernelContext, value: Any, *, seed: int, seed2: int, **_: Any) -> tuple:
    value = np.asarray(value)
    if value.size <= 1 or value.ndim == 0 or value.shape[0] <= 1:
        return (value.copy(),)
    gen = _guarded(ctx, seed, seed2).reserve((value.shape[0] - 1 + 3) // 4)
    return (_shuffle(gen, value),)


def _stateful(draw: Any) -> Any:
    def kernel(ctx: KernelContext, shape: Any, *, seed: int, seed2: int, dtype: Any,
               **_: Any) -> tuple:
        dims = _shape(ctx, shape)
        count = int(np.prod(dims, dtype=np.int64))
        gen = _guarded(ctx, seed, seed2).reserve(count * 256)
        return (draw(gen, count, dtype.numpy).reshape(dims),)
    return kernel


_STATEFUL_ATTRS = ["seed: int = 0", "seed2: int = 0", "dtype: type {half, bfloat16, float, double}",
                   "T: type {int32, int64}"]
for _name, _draw in (("RandomStandardNormal", normal), ("RandomUniform", uniform),
                     ("TruncatedNormal", truncated_normal)):
    register_op(_name, inputs=["shape: T"], outputs=["output: dtype"], attrs=_STATEFUL_ATTRS,
                stateful=True)(_stateful(_draw))


@register_op("RandomUniformInt", inputs=["shape: T", "minval: Tout", "maxval: Tout"],
             outputs=["output: Tout"],
             attrs=["seed: int = 0", "seed2: int = 0", "Tout: type {int32, int64}",
                    "T: type {int32, int64}"], stateful=True)
def _random_uniform_int(ctx: KernelContext, shape: Any, minval: Any, maxval: Any, *, seed: int,
                        seed2: int, Tout: Any, **_: Any) -> tuple:
    dims = _shape(ctx, shape)
    count = int(np.prod(dims, dtype=np.int64))
    low, high = _int_bounds(ctx, minval, maxval)
    gen = _guarded(ctx, seed, seed2).reserve(count * 256)
    return (uniform_int(gen, count, low, high, Tout.numpy).reshape(dims),)


@register_op("StatelessMultinomial", inputs=["logits: T", "num_samples: int32", "seed: Tseed"],
             outputs=["output: output_dtype"],
             attrs=[_LOGIT_TYPES, _SEED_TYPES, "output_dtype: type {int32, int64} = DT_INT64"])
def _stateless_multinomial(ctx: KernelContext, logits: Any, num_samples: Any, seed: Any, *,
                           output_dtype: Any, **_: Any) -> tuple:
    gen = _from_seed(ctx, seed)
    logits, samples = _multinomial_args(ctx, logits, num_samples)
    return (multinomial(gen, logits, samples, output_dtype.numpy),)


@register_op("StatelessRandomBinomial", inputs=["shape: S", "seed: Tseed", "counts: T", "probs: T"],
             outputs=["output: dtype"],
             attrs=["S: type {int32, int64}", _SEED_TYPES,
                    "T: type {half, float, double, int32, int64} = DT_DOUBLE",
                    "dtype: type {half, float, double, int32, int64} = DT_INT64"])
def _stateless_random_binomial(ctx: KernelContext, shape: Any, seed: Any, counts: Any, probs: Any,
                               *, dtype: Any, **_: Any) -> tuple:
    gen = _from_seed(ctx, seed)
    counts, probs = np.asarray(counts), np.asarray(probs)
    try:
        batch_shape = np.broadcast_shapes(counts.shape, probs.shape)
    except ValueError:
        raise InvalidArgumentError(f"{ctx.where}: counts and probs must have compatible batch "
                                   f"dimensions: {_shape_str(counts.shape)} vs. "
                                   f"{_shape_str(probs.shape)}") from None
    dims = _shape(ctx, shape)
    if dims[len(dims) - len(batch_shape):] != batch_shape or len(batch_shape) > len(dims):
        raise InvalidArgumentError(f"{ctx.where}: Shape passed in must end with broadcasted shape.")
    batches = int(np.prod(batch_shape, dtype=np.int64))
    per_batch = int(np.prod(dims[:len(dims) - len(batch_shape)], dtype=np.int64))
    flat_counts = np.broadcast_to(counts, batch_shape).reshape(-1)
    flat_probs = np.broadcast_to(probs, batch_shape).reshape(-1)
    out = np.empty(batches * per_batch, dtype=np.float64)
    for index in range(batches * per_batch):  # generator index is batch-major, storage sample-major
        batch, sample = divmod(index, per_batch)
        out[batch + sample * batches] = _binomial_one(gen, index, flat_counts[batch],
                                                      flat_probs[batch])
    with np.errstate(invalid="ignore"):
        return (out.astype(dtype.numpy).reshape(dims),)


@register_op("StatelessRandomGetAlg", outputs=["alg: int32"], stateful=True)
def _stateless_random_get_alg(ctx: KernelContext) -> tuple:
    return (np.asarray(_ALG_PHILOX, dtype=np.int32),)


def _key_counter(ctx: KernelContext, seed: Any) -> tuple[np.ndarray, np.ndarray]:
    gen = _from_seed(ctx, seed)
    key = gen.key[0] | (gen.key[1] << 32)
    counter = [gen.counter[0] | (gen.counter[1] << 32), gen.counter[2] | (gen.counter[3] << 32)]
    return np.asarray([key], dtype=np.uint64), np.asarray(counter, dtype=np.uint64)


@register_op("StatelessRandomGetKeyCounter", inputs=["seed: Tseed"],
             outputs=["key: uint64", "counter: uint64"], attrs=[_SEED_TYPES])
def _stateless_random_get_key_counter(ctx: KernelContext, seed: Any, **_: Any) -> tuple:
    return _key_counter(ctx, seed)


@register_op("StatelessRandomGetKeyCounterAlg", inputs=["seed: Tseed"],
             outputs=["key: uint64", "counter: uint64", "alg: int32"], attrs=[_SEED_TYPES])
def _stateless_random_get_key_counter_alg(ctx: KernelContext, seed: Any, **_: Any) -> tuple:
    return _key_counter(ctx, seed) + (np.asarray(_ALG_PHILOX, dtype=np.int32),)


def _seeded(draw: Any) -> Any:
    def kernel(ctx: KernelContext, shape: Any, seed: Any, *, dtype: Any, **_: Any) -> tuple:
        gen = _from_seed(ctx, seed)
        return (_fill(ctx, shape, lambda n: draw(gen, n, dtype.numpy)),)
    return kernel


def _keyed(draw: Any) -> Any:
    def kernel(ctx: KernelContext, shape: Any, key: Any, counter: Any, alg: Any, *, dtype: Any,
               **_: Any) -> tuple:
        gen = _from_key_counter(ctx, key, counter, alg)
        return (_fill(ctx, shape, lambda n: draw(gen, n, dtype.numpy)),)
    return kernel


_SEEDED = {"inputs": ["shape: T", "seed: Tseed"], "outputs": ["output: dtype"],
           "attrs": [_FLOATS, "T: type {int32, int64} = DT_INT32", _SEED_TYPES]}
_KEYED = {"inputs": ["shape: Tshape", "key: uint64", "counter: uint64", "alg: int32"],
          "outputs": ["output: dtype"],
          "attrs": [_FLOATS, "Tshape: type {int32, int64} = DT_INT32"]}
for _name, _draw in (("Normal", normal), ("Uniform", uniform)):
    register_op(f"StatelessRandom{_name}", **_SEEDED)(_seeded(_draw))
    register_op(f"StatelessRandom{_name}V2", **_KEYED)(_keyed(_draw))
register_op("StatelessTruncatedNormal", **_SEEDED)(_seeded(truncated_normal))
register_op("StatelessTruncatedNormalV2", **_KEYED)(_keyed(truncated_normal))


@register_op("StatelessRandomUniformFullInt", inputs=["shape: T", "seed: Tseed"],
             outputs=["output: dtype"],
             attrs=["dtype: type {int32, int64, uint32, uint64} = DT_UINT64",
                    "T: type {int32, int64} = DT_INT32",
                    "Tseed: type {int32, int64, uint32, uint64} = DT_INT64"])
def _stateless_random_uniform_full_int(ctx: KernelContext, shape: Any, seed: Any, *, dtype: Any,
                                       **_: Any) -> tuple:
    gen = _from_seed(ctx, seed)
    return (_fill(ctx, shape, lambda n: full_int(gen, n, dtype.numpy)),)


@register_op("StatelessRandomUniformFullIntV2",
             inputs=["shape: Tshape", "key: uint64", "counter: uint64", "alg: int32"],
             outputs=["output: dtype"],
             attrs=["dtype: type {int32, int64, uint32, uint64} = DT_UINT64",
                    "Tshape: type {int32, int64} = DT_INT32"])
def _stateless_random_uniform_full_int_v2(ctx: KernelContext, shape: Any, key: Any, counter: Any,
                                          alg: Any, *, dtype: Any, **_: Any) -> tuple:
    gen = _from_key_counter(ctx, key, counter, alg)
    return (_fill(ctx, shape, lambda n: full_int(gen, n, dtype.numpy)),)


@register_op("StatelessRandomUniformInt", inputs=["shape: T", "seed: Tseed", "minval: dtype",
                                                  "maxval: dtype"],
             outputs=["output: dtype"],
             attrs=["dtype: type {int32, int64}", "T: type {int32, int64}", _SEED_TYPES])
def _stateless_random_uniform_int(ctx: KernelContext, shape: Any, seed: Any, minval: Any,
                                  maxval: Any, *, dtype: Any, **_: Any) -> tuple:
    gen = _from_seed(ctx, seed)
    low, high = _int_bounds(ctx, minval, maxval)
    return (_fill(ctx, shape, lambda n: uniform_int(gen, n, low, high, dtype.numpy)),)


@register_op("StatelessRandomUniformIntV2",
             inputs=["shape: Tshape", "key: uint64", "counter: uint64", "alg: int32",
                     "minval: dtype", "maxval: dtype"],
             outputs=["output: dtype"],
             attrs=["dtype: type {int32, int64, uint32, uint64}",
                    "Tshape: type {int32, int64} = DT_INT32"])
def _stateless_random_uniform_int_v2(ctx: KernelContext, shape: Any, key: Any, counter: Any,
                                     alg: Any, minval: Any, maxval: Any, *, dtype: Any,
                                     **_: Any) -> tuple:
    gen = _from_key_counter(ctx, key, counter, alg)
    low, high = _int_bounds(ctx, minval, maxval)
    return (_fill(ctx, shape, lambda n: uniform_int(gen, n, low, high, dtype.numpy)),)


@register_op("StatelessShuffle", inputs=["value: T", "key: uint64", "counter: uint64", "alg: int32"],
             outputs=["output: T"], attrs=["T: type"])
def _stateless_shuffle(ctx: KernelContext, value: Any, key: Any, counter: Any, alg: Any,
                       **_: Any) -> tuple:
    return (_shuffle(_from_key_counter(ctx, key, counter, alg), np.asarray(value)),)
