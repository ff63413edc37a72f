"""Sparse kernels against TensorFlow's ``tf.raw_ops``: SparseToDense (validation on and off),
SparseReshape, SparseFillEmptyRows, SparseTensorDenseMatMul (adjoints), SparseConcat, SparseReorder
and SparseSlice, with TensorFlow's error messages for bad indices and shapes."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.sparse_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from tests.ops.conftest import assert_same, run
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

raw = tf.raw_ops
OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.sparse_ops")
DTYPES = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "int8", "bool",
          "complex64", "string"]
IDX = np.asarray([[0, 1], [1, 0], [1, 2], [3, 3]], np.int64)
SHAPE = np.asarray([4, 5], np.int64)


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def i64(value) -> np.ndarray:
    return np.asarray(value, np.int64)


def _values(dtype: str, count: int) -> np.ndarray:
    if dtype == "string":
        return np.array([f"v{i}".encode() for i in range(count)], dtype=object)
    if dtype == "bool":
        return np.arange(count) % 2 == 0
    return (np.arange(count) + 1).astype(dtypes.as_dtype(dtype).numpy)


def _scalar(dtype: str, value=0):
    return _values(dtype, 3)[value]


def assert_all(ours, theirs) -> None:
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = tuple(theirs) if isinstance(theirs, (tuple, list)) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def assert_both_fail(match: str, name: str, **kwargs) -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        getattr(raw, name)(**kwargs)
    op_def = registry.lookup(name).op_def
    with pytest.raises(InvalidArgumentError, match=match):
        run(name, *[kwargs[a.name] for a in op_def.inputs],
            **{k: v for k, v in kwargs.items() if k in op_def.attr_map})


class TestSparseToDense:
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_dtypes(self, dtype) -> None:
        values, default = _values(dtype, 4), _scalar(dtype, 2)
        ours = run("SparseToDense", IDX, SHAPE, values, default)
        theirs = raw.SparseToDense(sparse_indices=IDX, output_shape=SHAPE, sparse_values=values,
                                   default_value=default)
        assert_same(ours, theirs)

    @pytest.mark.parametrize("indices,shape,values,validate", [
        ([3, 1], [5], 7.0, False),
        (2, [5], 7.0, True),
        ([[1, 0], [1, 0]], [2, 2], [1.0, 2.0], False),
        (np.zeros((0, 2)), [2, 3], np.zeros(0), True),
    ])
    def test_index_forms(self, indices, shape, values, validate) -> None:
        for tindex in (np.int32, np.int64):
            args = (np.asarray(indices, tindex), np.asarray(shape, tindex),
                    np.asarray(values, np.float32), np.float32(-1))
            ours = run("SparseToDense", *args, validate_indices=validate)
            theirs = raw.SparseToDense(sparse_indices=args[0], output_shape=args[1],
                                       sparse_values=args[2], default_value=args[3],
                                       validate_indices=validate)
            assert_same(ours, theirs)

    @pytest.mark.parametrize("indices,values,default,validate,match", [
        ([[0, 0], [3, 1]], [1.0, 2.0], 0.0, True,
         r"indices\[1\] = \[3,1\] is out of bounds: need 0 <= index < \[2,2\]"),
        ([[1, 0], [0, 1]], [1.0, 2.0], 0.0, True, r"indices\[1\] = \[0,1\] is out of order"),
        ([[1, 0], [1, 0]], [1.0, 2.0], 0.0, True, r"indices\[1\] = \[1,0\] is repeated"),
        ([[1, 0], [5, 0]], [1.0, 2.0], 0.0, False, "Indices are not valid"),
        ([[1, 0], [0, 0]], [1.0, 2.0, 3.0], 0.0, True,
         r"sparse_values has incorrect shape \[3\], should be \[\] or \[2\]"),
        ([[1, 0], [0, 0]], [1.0, 2.0], [0.0], True, "default_value should be a scalar"),
    ])
    def test_errors(self, indices, values, default, validate, match) -> None:
        assert_both_fail(match, "SparseToDense", sparse_indices=i64(indices),
                         output_shape=i64([2, 2]), sparse_values=np.float32(values),
                         default_value=np.float32(default), validate_indices=validate)


class TestSparseReshape:
    @pytest.mark.parametrize("new_shape", [[2, -1], [20], [5, 2, 2], [-1, 1, 4]])
    def test_reshape(self, new_shape) -> None:
        ours = run("SparseReshape", IDX, SHAPE, i64(new_shape))
        theirs = raw.SparseReshape(input_indices=IDX, input_shape=SHAPE, new_shape=i64(new_shape))
        assert_all(ours, theirs)

    def test_empty(self) -> None:
        args = (np.zeros((0, 2), np.int64), i64([0, 4]), i64([-1, 2]))
        assert_all(run("SparseReshape", *args), raw.SparseReshape(
            input_indices=args[0], input_shape=args[1], new_shape=args[2]))

    @pytest.mark.parametrize("new_shape,match", [
        ([3, -1], "requires a multiple of 3"), ([5, 3], "the requested shape has 15"),
        ([-1, -1], "only one output dimension may be -1, not both 0 and 1")])
    def test_errors(self, new_shape, match) -> None:
        assert_both_fail(match, "SparseReshape", input_indices=IDX, input_shape=SHAPE,
                         new_shape=i64(new_shape))


class TestSparseFillEmptyRows:
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_fill(self, dtype) -> None:
        indices = i64([[3, 1], [1, 0], [3, 0]])
        values, default = _values(dtype, 3), _scalar(dtype, 1)
        ours = run("SparseFillEmptyRows", indices, values, i64([5, 2]), default)
        theirs = raw.SparseFillEmptyRows(indices=indices, values=values, dense_shape=i64([5, 2]),
                                         default_value=default)
        assert_all(ours, theirs)

    def test_empty_input(self) -> None:
        args = (np.zeros((0, 2), np.int64), np.zeros(0, np.float32), i64([2, 2]), np.float32(9))
        assert_all(run("SparseFillEmptyRows", *args), raw.SparseFillEmptyRows(
            indices=args[0], values=args[1], dense_shape=args[2], default_value=args[3]))

    def test_bad_row(self) -> None:
        assert_both_fail(r"indices\(0, 0\) is invalid: 7 >= 5", "SparseFillEmptyRows",
                         indices=i64([[7, 1]]), values=np.float32([1]), dense_shape=i64([5, 2]),
                         default_value=np.float32(0))


class TestSparseTensorDenseMatMul:
    @pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "complex64",
                                       "complex128", "float16", "bfloat16"])
    @pytest.mark.parametrize("adjoint_a", [False, True])
    @pytest.mark.parametrize("adjoint_b", [False, True])
    def test_matmul(self, dtype, adjoint_a, adjoint_b) -> None:
        np_dtype = dtypes.as_dtype(dtype).numpy
        indices = i64([[0, 1], [1, 0], [1, 2], [3, 3], [1, 0]])
        values = (np.arange(5) + 1).astype(np_dtype)
        if dtype == "complex64":
            values = values * (1 + 2j)
        shape = i64([4, 5])
        inner = 4 if adjoint_a else 5
        b = (np.arange(inner * 3).reshape(inner, 3) % 7).astype(np_dtype)
        b = b.T.copy() if adjoint_b else b
        for tindex in (np.int32, np.int64):
            ours = run("SparseTensorDenseMatMul", indices.astype(tindex), values, shape, b,
                       adjoint_a=adjoint_a, adjoint_b=adjoint_b)
            theirs = raw.SparseTensorDenseMatMul(a_indices=indices.astype(tindex),
                                                 a_values=values, a_shape=shape, b=b,
                                                 adjoint_a=adjoint_a, adjoint_b=adjoint_b)
            assert_same(ours, theirs, rtol=1e-2)

    @pytest.mark.parametrize("indices,b_rows,match", [
        ([[0, 5]], 3, r"k \(5\) from index\[0,1\] out of bounds \(>=3\)"),
        ([[4, 1]], 3, r"m \(4\) from index\[0,0\] out of bounds \(>=2\)"),
        ([[0, 1]], 4, "inner dimension does not match: 3 vs. 4"),
    ])
    def test_errors(self, indices, b_rows, match) -> None:
        assert_both_fail(match, "SparseTensorDenseMatMul", a_indices=i64(indices),
                         a_values=np.float32([1]), a_shape=i64([2, 3]),
                         b=np.ones((b_rows, 2), np.float32))


class TestSparseConcatReorderSlice:
    @pytest.mark.parametrize("concat_dim", [0, 1, -1])
    @pytest.mark.parametrize("dtype", ["float32", "int64", "string", "bool"])
    def test_concat(self, concat_dim, dtype) -> None:
        indices = [i64([[1, 1], [0, 0]]), i64([[0, 0], [1, 2]]), np.zeros((0, 2), np.int64)]
        values = [_values(dtype, 2), _values(dtype, 2)[::-1].copy(), _values(dtype, 0)]
        shapes = [i64([2, 3]), i64([2, 3]), i64([2, 3])]
        ours = run("SparseConcat", indices, values, shapes, concat_dim=concat_dim)
        theirs = raw.SparseConcat(indices=indices, values=values, shapes=shapes,
                                  concat_dim=concat_dim)
        assert_all(ours, theirs)

    def test_concat_shape_mismatch(self) -> None:
        assert_both_fail("Input shapes must match: expected 2 for dimension 0 but got 3 at "
                         "position 1", "SparseConcat", indices=[IDX[:2], IDX[:2]],
                         values=[np.ones(2), np.ones(2)], shapes=[i64([2, 2]), i64([3, 3])],
                         concat_dim=1)

    def test_reorder(self) -> None:
        indices = i64([[3, 1], [0, 2], [1, 0], [0, 1]])
        values = np.float32([1, 2, 3, 4])
        assert_all(run("SparseReorder", indices, values, SHAPE), raw.SparseReorder(
            input_indices=indices, input_values=values, input_shape=SHAPE))

    @pytest.mark.parametrize("start,size", [([0, 0], [2, 2]), ([1, 1], [10, 10]),
                                            ([3, 4], [1, 1]), ([5, 0], [1, 1])])
    def test_slice(self, start, size) -> None:
        values = np.float32([1, 2, 3, 4])
        ours = run("SparseSlice", IDX, values, SHAPE, i64(start), i64(size))
        theirs = raw.SparseSlice(indices=IDX, values=values, shape=SHAPE, start=i64(start),
                                 size=i64(size))
        assert_all(ours, theirs)
