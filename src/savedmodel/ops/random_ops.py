"""Random ops: the stateless ``StatelessRandom*`` family bit for bit, and the seeded stateful ops.

Mirrors ``tensorflow/core/kernels/stateless_random_ops*.cc``, ``random_op.cc``, ``random_op_cpu.h``,
``multinomial_op.cc``, ``random_binomial_op.cc``, ``random_shuffle_op.cc`` and
``tensorflow/core/lib/random/{philox_random,random_distributions}.h``.

All ops draw from Philox-4x32-10 (counter-based: block ``i`` is ``philox(counter + i, key)``, four
uint32 each), computed in ``_philox`` with vectorized NumPy uint64 arithmetic. A seed pair is
scrambled into (key, counter) as TensorFlow's ``GenerateKey`` does; the V2 ops take (key, counter,
alg) directly (alg 1 Philox, 3 auto-select = Philox on CPU; ThreeFry is refused as on TensorFlow's
CPU kernels). Float conversion, Box-Muller, the truncated-normal rejection layout (256 blocks
reserved per group of outputs), multinomial CDF search and binomial BTRS/inversion follow
TensorFlow's CPU kernels.

Box-Muller needs ``logf`` and ``sincosf``: TensorFlow calls glibc, whose float routines (glibc >=
2.28) are re-implemented in ``_glibc_math`` in vectorized float64 exactly as glibc evaluates them,
so float32, float16 and bfloat16 normals match TensorFlow bit for bit on modern Linux. float64
normals and the binomial sampler call the C library through ``math`` element by element (exact, but
slower).

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

import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops._math_common import check_size
from savedmodel.ops._philox import (
    _MASK64,
    Philox,
    _binomial_one,
    _philox,
    _shuffle,
    full_int,
    multinomial,
    normal,
    truncated_normal,
    uniform,
    uniform_int,
)
from savedmodel.ops.context import KernelContext, ResourceHandle
from savedmodel.ops.registry import register_op

_ALG_PHILOX, _ALG_THREEFRY, _ALG_AUTO = 1, 2, 3
_SEED_TYPES = "Tseed: type {int32, int64} = DT_INT64"
_FLOATS = "dtype: type {half, bfloat16, float, double} = DT_FLOAT"
_LOGIT_TYPES = ("T: type {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, "
                "uint32, uint64}")


# --------------------------------------------------------------------------------------------------
# Seeds and keys -> Philox streams; output shapes.

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
