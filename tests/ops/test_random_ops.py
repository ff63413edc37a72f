"""Random-op kernels against TensorFlow, bit for bit: Philox streams, the stateless V1/V2 families in
every float dtype, integer ranges, multinomial, binomial and shuffles, and the seeded stateful ops
over repeated runs (their generators advance like TensorFlow's)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.random_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError, ResourceExhaustedError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from savedmodel.ops._glibc_math import _logf, _sincosf
from savedmodel.ops.context import KernelContext, ResourceManager
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

raw = tf.raw_ops
FLOATS = ["float16", "bfloat16", "float32", "float64"]
OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.random_ops")


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def run(name: str, *inputs, node: str | None = None, resources: ResourceManager | None = None,
        **attrs):
    ctx = KernelContext(node_name=node or name, op=name, resources=resources or ResourceManager())
    attrs = {k: dtypes.as_dtype(v) if k in ("dtype", "output_dtype", "Tout") else v
             for k, v in attrs.items()}
    outputs = registry.run_kernel(name, list(inputs), attrs, ctx=ctx)
    return outputs[0] if len(outputs) == 1 else outputs


def bits(value) -> tuple:
    """Dtype, shape and exact bytes: random floats are compared bit for bit."""
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    return str(array.dtype), array.shape, array.tobytes()


def same(ours, theirs) -> None:
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    assert [bits(a) for a in ours] == [bits(b) for b in theirs]


SEEDS = [np.array([1, 2]), np.array([0, 0]), np.array([-7, 2**40]), np.array([5, -6], np.int32)]


class TestStatelessV1:
    @pytest.mark.parametrize("op", ["StatelessRandomUniform", "StatelessRandomNormal",
                                    "StatelessTruncatedNormal"])
    @pytest.mark.parametrize("dtype", FLOATS)
    @pytest.mark.parametrize("seed", SEEDS, ids=str)
    def test_floats(self, op: str, dtype: str, seed) -> None:
        for shape in ([0], [1], [7], [3, 5], [1001]):
            shape = np.array(shape, np.int32)
            same(run(op, shape, seed, dtype=dtype),
                 getattr(raw, op)(shape=shape, seed=seed, dtype=tf.as_dtype(dtype)))

    @pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
    def test_large_truncated_normal(self, dtype: str) -> None:
        shape, seed = np.array([20001], np.int64), np.array([3, 4])
        same(run("StatelessTruncatedNormal", shape, seed, dtype=dtype),
             raw.StatelessTruncatedNormal(shape=shape, seed=seed, dtype=tf.as_dtype(dtype)))

    def test_glibc_float_routines_match_on_a_dense_sample(self) -> None:
        """Box-Muller's logf/sincosf replicas agree with TensorFlow on 400k normals."""
        seed = np.array([11, 12])
        same(run("StatelessRandomNormal", np.array([400_000]), seed, dtype="float32"),
             raw.StatelessRandomNormal(shape=[400_000], seed=seed))

    @pytest.mark.parametrize("dtype, low, high", [
        ("int32", -5, 17), ("int32", -2**31, 2**31 - 1), ("int64", 0, 2**40),
        ("int64", -2**63, 2**63 - 1), ("int64", -3, 3)])
    def test_uniform_int(self, dtype: str, low: int, high: int) -> None:
        low, high = np.asarray(low, dtype), np.asarray(high, dtype)
        seed = np.array([3, 4])
        same(run("StatelessRandomUniformInt", np.array([11], np.int32), seed, low, high),
             raw.StatelessRandomUniformInt(shape=[11], seed=seed, minval=low, maxval=high))

    @pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64"])
    def test_full_int(self, dtype: str) -> None:
        seed = np.array([3, 4])
        same(run("StatelessRandomUniformFullInt", np.array([9], np.int32), seed, dtype=dtype),
             raw.StatelessRandomUniformFullInt(shape=[9], seed=seed, dtype=tf.as_dtype(dtype)))

    @pytest.mark.parametrize("inputs, message", [
        ((np.array([3], np.int32), np.array([1, 2, 3])), r"seed must have shape \[2\], not \[3\]"),
        ((np.array([-1], np.int32), np.array([1, 2])), "Dimension -1 must be >= 0"),
        ((np.array([[3]], np.int32), np.array([1, 2])),
         r"shape must be a vector of \{int32,int64\}, got shape \[1,1\]"),
    ])
    def test_errors(self, inputs, message: str) -> None:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            raw.StatelessRandomUniform(shape=inputs[0], seed=inputs[1])
        with pytest.raises(InvalidArgumentError, match=message):
            run("StatelessRandomUniform", *inputs)

    def test_huge_shapes_are_refused_before_allocating(self) -> None:
        with pytest.raises(ResourceExhaustedError, match="exceeds the .*-byte tensor limit"):
            run("StatelessRandomNormal", np.array([2**40, 2**30]), np.array([1, 2]))
        with pytest.raises(ResourceExhaustedError, match="tensor limit"):
            run("StatelessMultinomial", np.zeros([2**20, 2]), np.int32(2**30), np.array([1, 2]))

    def test_int_bounds(self) -> None:
        seed, shape = np.array([1, 2]), np.array([3], np.int32)
        with pytest.raises(InvalidArgumentError, match="Need minval < maxval, got 5 >= 5"):
            run("StatelessRandomUniformInt", shape, seed, np.int32(5), np.int32(5))
        with pytest.raises(InvalidArgumentError, match=r"minval must be 0-D, got shape \[1\]"):
            run("StatelessRandomUniformInt", shape, seed, np.array([5]), np.array([6]))


class TestStatelessV2:
    KEY, COUNTER = (t.numpy() for t in raw.StatelessRandomGetKeyCounter(seed=[3, 4]))

    @pytest.mark.parametrize("seed", SEEDS, ids=str)
    def test_key_counter(self, seed) -> None:
        same(run("StatelessRandomGetKeyCounter", seed), raw.StatelessRandomGetKeyCounter(seed=seed))
        same(run("StatelessRandomGetKeyCounterAlg", seed),
             raw.StatelessRandomGetKeyCounterAlg(seed=seed))
        same(run("StatelessRandomGetAlg"), raw.StatelessRandomGetAlg())

    @pytest.mark.parametrize("op", ["StatelessRandomUniformV2", "StatelessRandomNormalV2",
                                    "StatelessTruncatedNormalV2"])
    @pytest.mark.parametrize("dtype", FLOATS)
    @pytest.mark.parametrize("alg", [1, 3])
    def test_floats(self, op: str, dtype: str, alg: int) -> None:
        shape = np.array([5, 7], np.int32)
        same(run(op, shape, self.KEY, self.COUNTER, np.int32(alg), dtype=dtype),
             getattr(raw, op)(shape=shape, key=self.KEY, counter=self.COUNTER, alg=alg,
                              dtype=tf.as_dtype(dtype)))

    @pytest.mark.parametrize("dtype, low, high", [("int32", -5, 17), ("int64", 0, 2**40),
                                                  ("int64", -2**63, 2**63 - 1)])
    def test_uniform_int(self, dtype: str, low: int, high: int) -> None:
        low, high = np.asarray(low, dtype), np.asarray(high, dtype)
        same(run("StatelessRandomUniformIntV2", np.array([11], np.int32), self.KEY, self.COUNTER,
                 np.int32(1), low, high),
             raw.StatelessRandomUniformIntV2(shape=[11], key=self.KEY, counter=self.COUNTER, alg=1,
                                             minval=low, maxval=high))

    @pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64"])
    def test_full_int(self, dtype: str) -> None:
        same(run("StatelessRandomUniformFullIntV2", np.array([9], np.int32), self.KEY,
                 self.COUNTER, np.int32(1), dtype=dtype),
             raw.StatelessRandomUniformFullIntV2(shape=[9], key=self.KEY, counter=self.COUNTER,
                                                 alg=1, dtype=tf.as_dtype(dtype)))

    @pytest.mark.parametrize("rows", [0, 1, 2, 9, 100])
    def test_shuffle(self, rows: int) -> None:
        value = np.arange(rows * 2, dtype=np.int64).reshape(rows, 2)
        same(run("StatelessShuffle", value, self.KEY, self.COUNTER, np.int32(1)),
             raw.StatelessShuffle(value=value, key=self.KEY, counter=self.COUNTER, alg=1))

    def test_errors(self) -> None:
        shape = np.array([3], np.int32)
        with pytest.raises(InvalidArgumentError, match="Unsupported algorithm id: 2"):
            run("StatelessRandomUniformV2", shape, self.KEY, self.COUNTER, np.int32(2))
        with pytest.raises(InvalidArgumentError, match=r"key must have shape \[1\], not \[2\]"):
            run("StatelessRandomUniformV2", shape, np.array([1, 2], np.uint64), self.COUNTER,
                np.int32(1))


class TestDiscrete:
    @pytest.mark.parametrize("logits, samples, output", [
        (np.log(np.array([[0.1, 0.6, 0.3]], np.float32)), 8, "int64"),
        (np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]], np.float32)), 10, "int32"),
        (np.array([[-np.inf, 0.0, np.nan, 1.0]], np.float32), 10, "int64"),
        (np.array([[-np.inf, -np.inf]], np.float32), 4, "int64"),
        (np.random.default_rng(0).normal(size=(5, 7)), 13, "int64"),
        (np.array([[1, 2, 3]], np.float16), 5, "int64"), (np.zeros([2, 3], np.float32), 0, "int64"),
        (np.zeros([0, 3], np.float32), 4, "int64")])
    def test_stateless_multinomial(self, logits, samples: int, output: str) -> None:
        seed = np.array([3, 4])
        same(run("StatelessMultinomial", logits, np.int32(samples), seed, output_dtype=output),
             raw.StatelessMultinomial(logits=logits, num_samples=samples, seed=seed,
                                      output_dtype=tf.as_dtype(output)))

    def test_multinomial_errors(self) -> None:
        seed = np.array([3, 4])
        with pytest.raises(InvalidArgumentError, match=r"logits should be a matrix, got shape \[2\]"):
            run("StatelessMultinomial", np.array([1.0, 2.0]), np.int32(6), seed)
        with pytest.raises(InvalidArgumentError, match="num_samples should be non-negative"):
            run("StatelessMultinomial", np.array([[1.0, 2.0]]), np.int32(-1), seed)
        with pytest.raises(InvalidArgumentError, match="num_classes should be positive, got 0"):
            run("StatelessMultinomial", np.zeros([1, 0]), np.int32(2), seed)

    @pytest.mark.parametrize("counts, probs, shape, dtype, output", [
        (10.0, 0.3, [5], "float32", "int64"), (100.0, 0.3, [7], "float64", "int64"),
        (100.0, 0.8, [7], "float64", "float32"), (5.0, 0.9, [6], "float64", "int32"),
        ([10.0, 50.0, 200.0], [0.3, 0.5, 0.05], [4, 3], "float64", "int64"),
        (0.0, 0.5, [3], "float32", "float32"), (7.0, 1.0, [3], "float32", "int64"),
        (7.0, np.nan, [3], "float32", "float32"), (1000.0, 0.5, [20], "float32", "int64"),
        (20.0, 0.5, [4], "float16", "float16"),
        ([[30.0], [40.0]], [0.2, 0.7], [3, 2, 2], "float64", "int64")])
    def test_stateless_binomial(self, counts, probs, shape, dtype: str, output: str) -> None:
        counts, probs = np.asarray(counts, dtype), np.asarray(probs, dtype)
        seed, shape = np.array([3, 4]), np.array(shape, np.int32)
        same(run("StatelessRandomBinomial", shape, seed, counts, probs, dtype=output),
             raw.StatelessRandomBinomial(shape=shape, seed=seed, counts=counts, probs=probs,
                                         dtype=tf.as_dtype(output)))

    def test_binomial_shape_must_end_with_batch_shape(self) -> None:
        with pytest.raises(InvalidArgumentError, match="must end with broadcasted shape"):
            run("StatelessRandomBinomial", np.array([3], np.int32), np.array([1, 2]),
                np.ones(2), np.full(2, 0.5))


class TestStateful:
    """Seeded stateful ops keep a per-node generator: each run continues where TF's would."""

    @pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
    @pytest.mark.parametrize("dtype", FLOATS)
    @pytest.mark.parametrize("seed, seed2", [(1, 2), (0, 5), (-3, 0)])
    def test_floats_over_repeated_runs(self, op: str, dtype: str, seed: int, seed2: int) -> None:
        resources = ResourceManager()
        for call in range(3):
            shape = np.array([5 + call, 3], np.int32)
            same(run(op, shape, node="n", resources=resources, seed=seed, seed2=seed2,
                     dtype=dtype),
                 getattr(raw, op)(shape=shape, seed=seed, seed2=seed2, dtype=tf.as_dtype(dtype)))

    @pytest.mark.parametrize("low, high", [(np.int64(-5), np.int64(2**40)),
                                           (np.int32(-5), np.int32(17))])
    def test_uniform_int(self, low, high) -> None:
        resources = ResourceManager()
        for _ in range(3):
            same(run("RandomUniformInt", np.array([7], np.int32), low, high, node="n",
                     resources=resources, seed=4, seed2=9),
                 raw.RandomUniformInt(shape=[7], minval=low, maxval=high, seed=4, seed2=9))

    def test_multinomial_and_shuffle(self) -> None:
        resources = ResourceManager()
        logits = np.log(np.array([[0.1, 0.6, 0.3], [0.2, 0.2, 0.6]], np.float32))
        for _ in range(3):
            same(run("Multinomial", logits, np.int32(9), node="m", resources=resources, seed=4,
                     seed2=9), raw.Multinomial(logits=logits, num_samples=9, seed=4, seed2=9))
            for value in (np.arange(10, dtype=np.int32),
                          np.arange(30, dtype=np.float32).reshape(6, 5)):
                same(run("RandomShuffle", value, node=f"s{value.ndim}", resources=resources,
                         seed=4, seed2=10 + value.ndim),
                     raw.RandomShuffle(value=value, seed=4, seed2=10 + value.ndim))

    def test_unseeded_ops_draw_fresh_values(self) -> None:
        first = run("RandomUniform", np.array([8], np.int32), dtype="float32")
        second = run("RandomUniform", np.array([8], np.int32), dtype="float32")
        assert first.dtype == np.float32 and not np.array_equal(first, second)
        assert ((first >= 0) & (first < 1)).all()


def test_logf_and_sincosf_match_the_c_library() -> None:
    """The glibc replicas agree with the platform's float routines (via ctypes) everywhere used."""
    import ctypes
    import ctypes.util

    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.logf.restype, libm.logf.argtypes = ctypes.c_float, [ctypes.c_float]
    libm.sinf.restype, libm.sinf.argtypes = ctypes.c_float, [ctypes.c_float]
    libm.cosf.restype, libm.cosf.argtypes = ctypes.c_float, [ctypes.c_float]
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(1e-7, 1, 20000), [1e-7, 0.5, 0.9999999, 1.0]]).astype(np.float32)
    expected = np.array([libm.logf(float(v)) for v in x], np.float32)
    assert _logf(x).tobytes() == expected.tobytes()
    angles = np.concatenate([rng.uniform(0, 2 * math.pi, 20000), [0.0, 1e-5, math.pi / 4]])
    angles = angles.astype(np.float32)
    sin, cos = _sincosf(angles)
    assert sin.tobytes() == np.array([libm.sinf(float(v)) for v in angles], np.float32).tobytes()
    assert cos.tobytes() == np.array([libm.cosf(float(v)) for v in angles], np.float32).tobytes()
