"""Reductions, arg-reductions, scans and top-k against tf.raw_ops on every registered CPU dtype."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
import tensorflow as tf
from _math_testing import (
    BF16,
    LOW,
    assert_same,
    check_against_tf,
    cpu_dtypes,
    dtype_id,
    edge_values,
    random_values,
    run,
    tf_call,
)
from hypothesis import given, settings

import savedmodel.ops.reduction_ops  # noqa: F401  (registers the ops)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes as sm_dtypes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

REDUCTIONS = ["Sum", "Mean", "Max", "Min", "Prod", "EuclideanNorm"]
AXES = [0, -1, [0, 2], [], [[1]], [2, 0, 1]]


def _ids(value):
    return value if isinstance(value, str) else dtype_id(value)


def _tolerance(op, dtype):
    dtype = np.dtype(dtype)
    if dtype in LOW:
        # TensorFlow accumulates 16-bit floats in 16 bits, in an order we do not reproduce.
        return {"rtol": 2e-2 if dtype == BF16 else 4e-3, "atol": 0.5 if op == "Sum" else 0.1}
    if dtype in (np.float32, np.complex64):
        return {"rtol": 1e-5, "atol": 1e-5}
    if dtype in (np.float64, np.complex128):
        return {"rtol": 1e-12, "atol": 1e-12}
    return {}


def _input(op, dtype, shape, rng):
    low, high = (-2.0, 2.0) if op == "Prod" else (-4.0, 4.0)
    if op == "EuclideanNorm" and np.dtype(dtype).kind in "iu":
        low, high = 0.0, 1.0  # keeps the (wrapping) sum of squares non-negative
    return random_values(dtype, shape, rng, low, high)


class TestReductionKernel:
    """Every reduction on every registered dtype, axis form and keep_dims."""

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in REDUCTIONS for d in cpu_dtypes(op)], ids=_ids
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(len(op))
        x = _input(op, dtype, (2, 3, 4), rng)
        for axes in AXES:
            for keep in (False, True):
                for index_type in (np.int32, np.int64):
                    axis = np.array(axes, index_type)
                    check_against_tf(
                        op,
                        [x, axis],
                        {"input": x, "axis": axis},
                        {"keep_dims": keep},
                        **_tolerance(op, dtype),
                    )

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in REDUCTIONS for d in cpu_dtypes(op)], ids=_ids
    )
    def test_edge_values_and_empty(self, op, dtype):
        x = edge_values(dtype)
        cases = [
            (x, np.array(0)),
            (np.zeros((0, 3), dtype), np.array(0)),
            (np.zeros((0, 3), dtype), np.array(1)),
            (np.zeros((2, 0), dtype), np.array([0, 1])),
            (np.array(3).astype(dtype), np.zeros(0, np.int32)),
        ]
        for value, axis in cases:
            check_against_tf(
                op, [value, axis], {"input": value, "axis": axis}, **_tolerance(op, dtype)
            )

    @pytest.mark.parametrize("op", ["All", "Any"])
    def test_boolean_reductions(self, op):
        x = np.random.default_rng(0).random((3, 4, 2)) < 0.6
        for axes in AXES + [[]]:
            for keep in (False, True):
                axis = np.array(axes, np.int32)
                assert_same(
                    run(op, x, axis, keep_dims=keep),
                    tf_call(op, input=x, axis=axis, keep_dims=keep),
                )
        empty = np.zeros((0, 2), bool)
        assert_same(run(op, empty, np.array(0)), tf_call(op, input=empty, axis=np.array(0)))

    @pytest.mark.parametrize(
        "dtype", [np.int8, np.int32, np.uint8, np.int64, np.uint64], ids=dtype_id
    )
    def test_integer_mean_truncates_and_widens(self, dtype):
        info = np.iinfo(dtype)
        x = np.array([[info.max, info.max, info.max - 1], [-7 if info.min else 7, 0, 1]], dtype)
        for axis in (np.array(1), np.array([0, 1])):
            assert_same(run("Mean", x, axis), tf_call("Mean", input=x, axis=axis))

    @pytest.mark.parametrize("op", REDUCTIONS)
    @pytest.mark.parametrize("dtype", [np.float16, np.int32, np.uint8, np.complex64], ids=dtype_id)
    def test_full_reductions_return_arrays(self, op, dtype):
        if dtype not in cpu_dtypes(op):
            return
        out = run(op, np.ones((2, 3), dtype), np.array([0, 1]))
        assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == dtype

    def test_invalid_axes(self):
        x = np.ones((2, 3), np.float32)
        with pytest.raises(
            InvalidArgumentError, match=r"Invalid reduction dimension \(2 for input with 2"
        ):
            run("Sum", x, np.array([2]))
        with pytest.raises(InvalidArgumentError, match="duplicate dimension: 0"):
            run("Max", x, np.array([0, -2]))
        with pytest.raises(
            InvalidArgumentError, match=r"Invalid reduction dimension \(0 for input with 0"
        ):
            run("Mean", np.array(1.0), np.array(0))


class TestArgReduction:
    """ArgMax/ArgMin: dtypes, NaN, ties, output types and errors."""

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in ("ArgMax", "ArgMin") for d in cpu_dtypes(op)], ids=_ids
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(3)
        x = random_values(dtype, (3, 5, 4), rng, -2, 2)  # small range: plenty of ties
        for axis in (0, 1, -1, 2):
            for out in ("int32", "int64"):
                dim = np.array(axis, np.int32)
                assert_same(
                    run(op, x, dim, output_type=sm_dtypes.as_dtype(out)),
                    tf_call(op, input=x, dimension=dim, output_type=tf.as_dtype(out)),
                )
        edges = edge_values(dtype)
        for values in (edges, edges[::-1].copy(), np.tile(edges, (3, 1))):
            dim = np.array(-1)
            assert_same(run(op, values, dim), tf_call(op, input=values, dimension=dim))

    def test_nan_is_skipped(self):
        for values in (
            [1.0, np.nan, 3.0, np.nan],
            [np.nan, 5.0, 3.0],
            [np.nan, np.nan],
            [-np.inf, np.nan],
        ):
            x = np.array(values, np.float32)
            for op in ("ArgMax", "ArgMin"):
                assert_same(run(op, x, np.array(0)), tf_call(op, input=x, dimension=np.array(0)))

    def test_small_output_types(self):
        x = np.array([[1, 9, 9], [4, 2, 4]], np.int32)
        for out in ("int16", "uint16"):
            assert_same(
                run("ArgMax", x, np.array(1), output_type=sm_dtypes.as_dtype(out)),
                tf_call("ArgMax", input=x, dimension=np.array(1), output_type=tf.as_dtype(out)),
            )

    def test_errors(self):
        with pytest.raises(
            InvalidArgumentError, match=r"Reduction axis 0 is empty in shape \[0, 3\]"
        ):
            run("ArgMax", np.zeros((0, 3), np.float32), np.array(0))
        with pytest.raises(
            InvalidArgumentError, match=r"Expected dimension in the range \[-2, 2\), but got 2"
        ):
            run("ArgMin", np.zeros((2, 3), np.float32), np.array(2))


class TestScan:
    """Cumsum, Cumprod, CumulativeLogsumexp with exclusive/reverse on every dtype."""

    @pytest.mark.parametrize(
        "op,dtype",
        [(op, d) for op in ("Cumsum", "Cumprod", "CumulativeLogsumexp") for d in cpu_dtypes(op)],
        ids=_ids,
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(5)
        low, high = (0.5, 1.5) if op == "Cumprod" else (-4, 4)
        x = random_values(dtype, (3, 7, 2), rng, low, high)
        tol = {"rtol": 1e-6, "atol": 1e-6} if np.dtype(dtype) in (np.float32, np.complex64) else {}
        if op == "CumulativeLogsumexp" and np.dtype(dtype) in LOW:
            tol = {"rtol": 1e-2, "atol": 1e-2}
        for axis in (0, 1, -1):
            for exclusive in (False, True):
                for reverse in (False, True):
                    attrs = {"exclusive": exclusive, "reverse": reverse}
                    check_against_tf(
                        op, [x, np.array(axis)], {"x": x, "axis": np.array(axis)}, attrs, **tol
                    )

    def test_long_low_precision_scan_is_exact(self):
        x = random_values(np.float16, (2, 3000), np.random.default_rng(0), -1, 3)
        assert_same(run("Cumsum", x, np.array(1)), tf_call("Cumsum", x=x, axis=np.array(1)), rtol=0)

    def test_edges_and_empty(self):
        x = np.array([-np.inf, -np.inf, 3.0, np.nan, 1.0], np.float32)
        for op in ("Cumsum", "CumulativeLogsumexp", "Cumprod"):
            for exclusive in (False, True):
                assert_same(
                    run(op, x, np.array(0), exclusive=exclusive),
                    tf_call(op, x=x, axis=np.array(0), exclusive=exclusive),
                )
            empty = np.zeros((0, 2), np.float32)
            assert_same(
                run(op, empty, np.array(0), exclusive=True),
                tf_call(op, x=empty, axis=np.array(0), exclusive=True),
            )

    def test_errors(self):
        with pytest.raises(
            InvalidArgumentError, match=r"Expected scan axis in the range \[-1, 1\), but got 1"
        ):
            run("Cumsum", np.ones(3, np.float32), np.array(1))
        with pytest.raises(InvalidArgumentError, match="axis must be a scalar"):
            run("Cumprod", np.ones(3, np.float32), np.array([0]))


class TestTopK:
    """TopK/TopKV2 ordering and ties; InTopK/InTopKV2."""

    @pytest.mark.parametrize("dtype", cpu_dtypes("TopKV2"), ids=dtype_id)
    def test_matches_tensorflow(self, dtype):
        rng = np.random.default_rng(7)
        x = random_values(dtype, (3, 2, 9), rng, -2, 2)  # many ties
        for k in (0, 1, 4, 9):
            for index_type in ("int32", "int64"):
                ours = run("TopKV2", x, np.array(k), index_type=sm_dtypes.as_dtype(index_type))
                theirs = tf_call(
                    "TopKV2", input=x, k=np.array(k), index_type=tf.as_dtype(index_type)
                )
                for o, t in zip(ours, theirs):
                    assert_same(o, t)
        # TensorFlow 2.21's CPU TopK (v1) kernel cannot be called; it must agree with TopKV2.
        assert_same(run("TopK", x, k=3)[1], run("TopKV2", x, np.array(3))[1])

    @pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8], ids=dtype_id)
    def test_small_k_of_long_rows(self, dtype):
        x = random_values(dtype, (4, 3000), np.random.default_rng(11), -20, 20)  # many ties
        for k in (1, 5, 100):
            theirs = tf_call("TopKV2", input=x, k=np.array(k))
            for o, t in zip(run("TopKV2", x, np.array(k)), theirs):
                assert_same(o, t)

    def test_unsorted_returns_the_same_set(self):
        x = np.array([1.0, 5.0, 3.0, 4.0, 2.0, 0.0], np.float32)
        values, indices = run("TopKV2", x, np.array(3), sorted=False)
        tf_values, tf_indices = tf_call("TopKV2", input=x, k=np.array(3), sorted=False)
        assert sorted(values) == sorted(tf_values) and sorted(indices) == sorted(tf_indices)

    def test_errors(self):
        with pytest.raises(InvalidArgumentError, match="at least k columns. Had 2, needed 3"):
            run("TopKV2", np.ones(2, np.float32), np.array(3))
        with pytest.raises(InvalidArgumentError, match=r"input must be >= 1-D, got shape \[\]"):
            run("TopKV2", np.array(1.0, np.float32), np.array(1))
        with pytest.raises(InvalidArgumentError, match="Need k >= 0, got -1"):
            run("TopKV2", np.ones(2, np.float32), np.array(-1))

    @pytest.mark.parametrize("dtype", [np.int32, np.int64], ids=dtype_id)
    def test_in_top_k(self, dtype):
        predictions = np.array(
            [
                [1, 2, 2, 0],
                [1, np.nan, 3, 0],
                [1, 2, 3, 4],
                [4, 3, 2, 1],
                [0, 0, 0, 0],
                [np.inf, 1, 2, 3],
            ],
            np.float32,
        )
        targets = np.array([1, 0, 5, 3, 2, 3], dtype)
        for k in (0, 1, 2, 4):
            assert_same(
                run("InTopKV2", predictions, targets, np.array(k, dtype)),
                tf_call("InTopKV2", predictions=predictions, targets=targets, k=np.array(k, dtype)),
            )
            assert_same(
                run("InTopK", predictions, targets, k=k),
                tf_call("InTopK", predictions=predictions, targets=targets, k=k),
            )
        with pytest.raises(InvalidArgumentError, match="must match length of targets"):
            run("InTopKV2", predictions, targets[:2], np.array(1, dtype))


class TestProperties:
    """Hypothesis: random shapes, axes and keep_dims against TensorFlow."""

    @settings(max_examples=40, deadline=None)
    @given(
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
        op=st.sampled_from(["Sum", "Mean", "Max", "Prod", "ArgMin"]),
        dtype=st.sampled_from([np.int32, np.float32, np.float64]),
        data=st.data(),
    )
    def test_random_axes(self, shape, op, dtype, data):
        x = random_values(dtype, shape, np.random.default_rng(len(shape)), -3, 3)
        if op == "ArgMin":
            axis = data.draw(st.integers(-len(shape), len(shape) - 1))
            if shape[axis] == 0:
                return
            assert_same(run(op, x, np.array(axis)), tf_call(op, input=x, dimension=np.array(axis)))
            return
        axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
        signs = data.draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
        axis = np.array([a - len(shape) if neg else a for a, neg in zip(axes, signs)], np.int32)
        keep = data.draw(st.booleans())
        check_against_tf(op, [x, axis], {"input": x, "axis": axis}, {"keep_dims": keep},
                         **_tolerance(op, dtype))
