"""Segment reductions and bin counts against tf.raw_ops on every registered CPU dtype."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from _math_testing import (
    LOW,
    assert_same,
    check_against_tf,
    cpu_dtypes,
    dtype_id,
    random_values,
    run,
    tf_call,
)

import savedmodel.ops.segment_ops  # noqa: F401  (registers the ops)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes as sm_dtypes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SORTED = ["SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"]
UNSORTED = ["UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"]
SPARSE = ["SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"]


def _ids(value):
    return value if isinstance(value, str) else dtype_id(value)


def _tolerance(dtype):
    dtype = np.dtype(dtype)
    if dtype in LOW:
        return {"rtol": 2e-2, "atol": 2e-2}
    if dtype.kind in "fc":
        return {"rtol": 1e-6, "atol": 1e-6}
    return {}


def _data(op, dtype, shape, rng):
    low, high = (-2.0, 2.0) if "Prod" in op else (-4.0, 4.0)
    return random_values(dtype, shape, rng, low, high)


class TestSegment:
    """Sorted segment reductions: gaps, empty input, NaN and errors."""

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in SORTED for d in cpu_dtypes(op)], ids=_ids
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(len(op))
        for shape, ids in [
            ((6, 3), [0, 0, 2, 2, 2, 5]),
            ((4,), [1, 1, 1, 3]),
            ((0, 2), []),
            ((5, 2, 2), [0, 1, 2, 3, 4]),
        ]:
            data = _data(op, dtype, shape, rng)
            for index_type in (np.int32, np.int64):
                seg = np.array(ids, index_type)
                check_against_tf(
                    op, [data, seg], {"data": data, "segment_ids": seg}, **_tolerance(dtype)
                )

    @pytest.mark.parametrize("op", SORTED + UNSORTED)
    def test_nan(self, op):
        data = np.array([[1.0, 2.0], [3.0, np.nan], [np.nan, 6.0], [7.0, 8.0]], np.float32)
        ids = np.array([0, 0, 2, 2], np.int32)
        args = [data, ids] + ([np.array(4, np.int32)] if op in UNSORTED else [])
        kwargs = {"data": data, "segment_ids": ids} | (
            {"num_segments": args[-1]} if op in UNSORTED else {}
        )
        check_against_tf(op, args, kwargs)

    def test_errors(self):
        data = np.ones((4, 2), np.float32)
        cases = [
            ([0, 2, 1, 2], "segment ids are not increasing"),
            ([-1, 0, 1, 2], r"Segment id -1 out of range \[0, 3\)"),
            ([0, 0, 1], "should be the same size as dimension 0"),
            ([[0, 0, 1, 1]], "should be a vector"),
        ]
        for ids, message in cases:
            with pytest.raises(InvalidArgumentError, match=message):
                run("SegmentSum", data, np.array(ids, np.int32))


class TestUnsortedSegment:
    """Unsorted segment reductions: multi-dimensional ids, dropped negatives, identities, errors."""

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in UNSORTED for d in cpu_dtypes(op)], ids=_ids
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(len(op))
        cases = [
            ((6, 3), [0, 3, 0, -1, 2, 3], 5),
            ((4, 2), [[0, 1], [1, 0], [2, 2], [-3, 0]], 3),
            ((3,), [2, 2, 2], 4),
            ((0, 2), [], 2),
            ((2, 2), [0, 1], 0 + 2),
        ]
        for shape, ids, num in cases:
            data = _data(op, dtype, shape, rng)
            for index_type in (np.int32, np.int64):
                seg, count = np.array(ids, index_type), np.array(num, np.int32)
                check_against_tf(
                    op,
                    [data, seg, count],
                    {"data": data, "segment_ids": seg, "num_segments": count},
                    **_tolerance(dtype),
                )

    def test_int16_ids_for_sum(self):
        data, ids = np.arange(6, dtype=np.float32), np.array([1, 0, 1, 0, 2, -1], np.int16)
        assert_same(
            run("UnsortedSegmentSum", data, ids, np.array(3)),
            tf_call("UnsortedSegmentSum", data=data, segment_ids=ids, num_segments=np.array(3)),
        )

    def test_errors(self):
        data = np.ones((4, 2), np.float32)
        with pytest.raises(
            InvalidArgumentError, match=r"segment_ids\[2\] = 5 is out of range \[0, 5\)"
        ):
            run("UnsortedSegmentSum", data, np.array([0, 1, 5, 3]), np.array(5))
        with pytest.raises(
            InvalidArgumentError, match=r"does not start with segment_ids.shape = \[2\]"
        ):
            run("UnsortedSegmentMax", data, np.array([0, 1]), np.array(3))
        with pytest.raises(InvalidArgumentError, match="num_segments == -1 must not be negative"):
            run("UnsortedSegmentProd", data, np.array([0, 1, 1, 1]), np.array(-1))


class TestSparseSegment:
    """SparseSegment{Sum,Mean,SqrtN} with and without num_segments."""

    @pytest.mark.parametrize(
        "op,dtype", [(op, d) for op in SPARSE for d in cpu_dtypes(op)], ids=_ids
    )
    def test_matches_tensorflow(self, op, dtype):
        rng = np.random.default_rng(len(op))
        data = _data(op, dtype, (5, 3), rng)
        for indices, ids in [([3, 0, 0, 1, 4], [0, 0, 2, 2, 2]), ([1, 1], [1, 1]), ([], [])]:
            for index_type in (np.int32, np.int64):
                idx, seg = np.array(indices, index_type), np.array(ids, index_type)
                check_against_tf(
                    op,
                    [data, idx, seg],
                    {"data": data, "indices": idx, "segment_ids": seg},
                    **_tolerance(dtype),
                )
                num = np.array(4, index_type)
                check_against_tf(
                    f"{op}WithNumSegments",
                    [data, idx, seg, num],
                    {"data": data, "indices": idx, "segment_ids": seg, "num_segments": num},
                    **_tolerance(dtype),
                )

    def test_errors(self):
        data = np.ones((4, 2), np.float32)
        with pytest.raises(
            InvalidArgumentError, match=r"Bad: indices\[0\] == 4 out of range \[0, 4\)"
        ):
            run("SparseSegmentSum", data, np.array([4]), np.array([0]))
        with pytest.raises(InvalidArgumentError, match="segment ids are not increasing"):
            run("SparseSegmentMean", data, np.array([0, 1]), np.array([1, 0]))
        with pytest.raises(InvalidArgumentError, match="segment ids must be < num_segments"):
            run(
                "SparseSegmentSqrtNWithNumSegments",
                data,
                np.array([0, 1]),
                np.array([0, 5]),
                np.array(4),
            )


class TestBincount:
    """Bincount and DenseBincount (1-D and 2-D, weights, binary output)."""

    @pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64], ids=dtype_id)
    def test_bincount(self, dtype):
        arr = np.array([1, 1, 3, 7, 0, 4, 4, 4], np.int32)
        for weights in (np.array([], dtype), np.arange(8).astype(dtype) * 1.5):
            for size in (0, 5, 9):
                weights = weights.astype(dtype)
                assert_same(
                    run("Bincount", arr, np.array(size, np.int32), weights),
                    tf_call("Bincount", arr=arr, size=np.array(size, np.int32), weights=weights),
                )

    @pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64], ids=dtype_id)
    @pytest.mark.parametrize("index_type", [np.int32, np.int64], ids=dtype_id)
    def test_dense_bincount(self, dtype, index_type):
        for values in ([[1, 1, 3], [0, 4, 4]], [2, 2, 9, 0]):
            values = np.array(values, index_type)
            for weights in (
                np.array([], dtype),
                (np.arange(values.size).reshape(values.shape) + 1).astype(dtype),
            ):
                for binary in (False, True):
                    size = np.array(5, index_type)
                    assert_same(
                        run("DenseBincount", values, size, weights, binary_output=binary),
                        tf_call(
                            "DenseBincount",
                            input=values,
                            size=size,
                            weights=weights,
                            binary_output=binary,
                        ),
                    )

    def test_errors(self):
        empty = np.array([], np.float32)
        with pytest.raises(InvalidArgumentError, match="Input arr must be non-negative!"):
            run("Bincount", np.array([1, -1], np.int32), np.array(5, np.int32), empty)
        with pytest.raises(InvalidArgumentError, match=r"size \(-1\) must be non-negative"):
            run("Bincount", np.array([1], np.int32), np.array(-1, np.int32), empty)
        with pytest.raises(InvalidArgumentError, match="must be the same shape as `arr`"):
            run("DenseBincount", np.array([1, 2]), np.array(5), np.array([1.0], np.float32))
        with pytest.raises(InvalidArgumentError, match="at most rank 2"):
            run("DenseBincount", np.array([[[1]]]), np.array(5), empty)


class TestMoreBincounts:
    """RaggedBincount, SparseBincount and HistogramFixedWidth."""

    @pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64], ids=dtype_id)
    def test_ragged_and_sparse(self, dtype):
        values = np.array([1, 3, 0, 1, 7], np.int32)
        splits = np.array([0, 2, 2, 5], np.int64)
        indices = np.array([[0, 0], [0, 3], [2, 1], [2, 2], [2, 3]], np.int64)
        for weights in (np.array([], dtype), np.arange(1, 6).astype(dtype)):
            for binary in (False, True):
                size = np.array(4, np.int32)
                attrs = {"binary_output": binary}
                check_against_tf(
                    "RaggedBincount",
                    [splits, values, size, weights],
                    {"splits": splits, "values": values, "size": size, "weights": weights},
                    attrs,
                )
                for dense_shape, idx in ((np.array([3, 4], np.int64), indices),
                                         (np.array([6], np.int64), indices[:, 1:])):
                    check_against_tf(
                        "SparseBincount",
                        [idx, values, dense_shape, size, weights],
                        {"indices": idx, "values": values, "dense_shape": dense_shape,
                         "size": size, "weights": weights},
                        attrs,
                    )

    def test_ragged_errors(self):
        values, empty = np.array([1, 3], np.int32), np.array([], np.float32)
        with pytest.raises(InvalidArgumentError, match="Splits must be non-empty"):
            run("RaggedBincount", np.array([], np.int64), values, np.array(4, np.int32), empty)
        with pytest.raises(InvalidArgumentError, match="Splits must start with 0, not with 1"):
            run("RaggedBincount", np.array([1, 2], np.int64), values, np.array(4, np.int32), empty)

    @pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64], ids=dtype_id)
    def test_histogram_fixed_width(self, dtype):
        values = np.array([-1, 0, 0.5, 1, 2, 5, 6, 3, 4.99]).astype(dtype)
        for low, high, nbins in ((0, 5, 5), (0, 5, 3), (-2, 7, 4)):
            value_range = np.array([low, high], dtype)
            for out in (np.int32, np.int64):
                assert_same(
                    run("HistogramFixedWidth", values, value_range, np.array(nbins, np.int32),
                        dtype=sm_dtypes.as_dtype(out)),
                    tf_call("HistogramFixedWidth", values=values, value_range=value_range,
                            nbins=np.array(nbins, np.int32), dtype=tf.as_dtype(out)),
                )
        with pytest.raises(InvalidArgumentError, match="nbins should be a positive number"):
            run("HistogramFixedWidth", values, np.array([0, 5], dtype), np.array(0, np.int32))
        with pytest.raises(InvalidArgumentError, match="value_range should be a vector of 2"):
            run("HistogramFixedWidth", values, np.array([0, 5, 6], dtype), np.array(2, np.int32))
        with pytest.raises(InvalidArgumentError, match=r"value_range\[0\] < value_range\[1\]"):
            run("HistogramFixedWidth", values, np.array([5, 0], dtype), np.array(2, np.int32))
