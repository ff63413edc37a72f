"""Ragged kernels against TensorFlow's ``tf.raw_ops``: RaggedTensorToTensor with every row
partition type, shape and default-value broadcasting, RaggedTensorToSparse, RaggedGather and
RaggedRange (float accumulation included), and their errors."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.ragged_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from tests.ops.conftest import assert_same, run
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

raw = tf.raw_ops
OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.ragged_ops")
DTYPES = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool", "string",
          "complex64"]
RAGGED = [
    [[1, 2], [], [3, 4, 5]],
    [[[1], [2, 3]], [], [[4, 5, 6], [], [7]]],
    [[]],
]


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def _cast(values: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "string":
        return np.array([str(v).encode() for v in values.reshape(-1)], dtype=object).reshape(
            values.shape)
    return values.astype(dtypes.as_dtype(dtype).numpy)


def _partitions(rt, kind: str) -> tuple[list[str], list[np.ndarray]]:
    splits = [s.numpy() for s in rt.nested_row_splits]
    if kind == "ROW_SPLITS":
        return ["ROW_SPLITS"] * len(splits), splits
    rowids = [r.numpy() for r in rt.nested_value_rowids()]
    return (["FIRST_DIM_SIZE"] + ["VALUE_ROWIDS"] * len(rowids),
            [np.asarray(rt.nrows().numpy(), np.int64)] + rowids)


class TestRaggedTensorToTensor:
    @pytest.mark.parametrize("kind", ["ROW_SPLITS", "VALUE_ROWIDS"])
    @pytest.mark.parametrize("data", range(len(RAGGED)))
    @pytest.mark.parametrize("shape", ["unknown", "bigger", "smaller"])
    def test_partitions_and_shapes(self, kind, data, shape) -> None:
        rt = tf.ragged.constant(RAGGED[data], dtype=tf.int64)
        types, tensors = _partitions(rt, kind)
        values = rt.flat_values.numpy()
        rank = rt.shape.rank
        dims = {"unknown": np.asarray(-1, np.int64), "bigger": np.full(rank, 4, np.int64),
                "smaller": np.asarray([2] + [1] * (rank - 1), np.int64)}[shape]
        default = np.int64(-7)
        ours = run("RaggedTensorToTensor", dims, values, default, tensors,
                   row_partition_types=types)
        theirs = raw.RaggedTensorToTensor(shape=dims, values=values, default_value=default,
                                          row_partition_tensors=tensors,
                                          row_partition_types=types)
        assert_same(ours, theirs)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_dtypes_with_inner_dims_and_broadcast_default(self, dtype) -> None:
        splits = np.asarray([0, 2, 2, 3], np.int32)
        values = _cast(np.arange(6).reshape(3, 2) + 1, dtype)
        default = _cast(np.asarray([9, 8]), dtype)
        for dflt in (default, default[0]):
            ours = run("RaggedTensorToTensor", np.asarray(-1, np.int32), values, dflt, [splits],
                       row_partition_types=["ROW_SPLITS"])
            theirs = raw.RaggedTensorToTensor(shape=np.asarray(-1, np.int32), values=values,
                                              default_value=dflt, row_partition_tensors=[splits],
                                              row_partition_types=["ROW_SPLITS"])
            assert_same(ours, theirs)

    @pytest.mark.parametrize("shape,default,match", [
        ([3, 3, 3], 0.0, r"rt_input.shape\[2\] = 2 but shape\[2\] = 3"),
        ([3, 3], 0.0, "rt_input.rank = 3 but shape.rank = 2"),
        (-1, [1.0, 2.0, 3.0], r"default_value.shape=\[3\] and rt_input.flat_values.shape=\[5,2\]"),
    ])
    def test_errors(self, shape, default, match) -> None:
        args = {"shape": np.asarray(shape, np.int64), "values": np.ones((5, 2), np.float32),
                    "default_value": np.asarray(default, np.float32),
                    "row_partition_tensors": [np.asarray([0, 2, 2, 5], np.int64)],
                    "row_partition_types": ["ROW_SPLITS"]}
        with pytest.raises(tf.errors.InvalidArgumentError, match=match):
            raw.RaggedTensorToTensor(**args)
        with pytest.raises(InvalidArgumentError, match=match):
            run("RaggedTensorToTensor", args["shape"], args["values"], args["default_value"],
                args["row_partition_tensors"], row_partition_types=args["row_partition_types"])


class TestRaggedTensorToSparse:
    @pytest.mark.parametrize("data", range(len(RAGGED)))
    @pytest.mark.parametrize("inner", [False, True])
    def test_to_sparse(self, data, inner) -> None:
        rt = tf.ragged.constant(RAGGED[data], dtype=tf.float32)
        splits = [s.numpy() for s in rt.nested_row_splits]
        values = rt.flat_values.numpy()
        if inner:
            values = np.stack([values, -values], axis=1)
        ours = run("RaggedTensorToSparse", splits, values)
        theirs = raw.RaggedTensorToSparse(rt_nested_splits=splits, rt_dense_values=values)
        for a, b in zip(ours, theirs):
            assert_same(a, b)

    def test_bad_splits(self) -> None:
        splits = [np.asarray([0, 2, 4], np.int64)]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Final value of ragged splits"):
            raw.RaggedTensorToSparse(rt_nested_splits=splits, rt_dense_values=np.ones(3))
        with pytest.raises(InvalidArgumentError, match="Final value of ragged splits"):
            run("RaggedTensorToSparse", splits, np.ones(3))


class TestRaggedGather:
    @pytest.mark.parametrize("data", range(2))
    @pytest.mark.parametrize("indices", [[2, 0, 0], [[0, 2], [1, 0]], [], 1])
    @pytest.mark.parametrize("tsplits", ["int32", "int64"])
    def test_gather(self, data, indices, tsplits) -> None:
        rt = tf.ragged.constant(RAGGED[data], dtype=tf.int32, row_splits_dtype=tsplits)
        splits = [s.numpy() for s in rt.nested_row_splits]
        indices = np.asarray(indices, np.int64)
        out_rank = len(splits) - 1 + indices.ndim
        if out_rank == 0:
            return
        ours = run("RaggedGather", splits, rt.flat_values.numpy(), indices,
                   OUTPUT_RAGGED_RANK=out_rank)
        theirs = raw.RaggedGather(params_nested_splits=list(rt.nested_row_splits),
                                  params_dense_values=rt.flat_values, indices=indices,
                                  OUTPUT_RAGGED_RANK=out_rank)
        for a, b in zip(ours[0], theirs[0]):
            assert_same(a, b)
        assert_same(ours[1], theirs[1])

    def test_index_out_of_range(self) -> None:
        splits = [np.asarray([0, 1, 3], np.int64)]
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"is not in \[0, 2\)"):
            raw.RaggedGather(params_nested_splits=splits, params_dense_values=np.ones(3),
                             indices=[5], OUTPUT_RAGGED_RANK=1)
        with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = 5 is not in \[0, 2\)"):
            run("RaggedGather", splits, np.ones(3), np.asarray([5]), OUTPUT_RAGGED_RANK=1)


class TestRaggedRange:
    @pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
    @pytest.mark.parametrize("args", [
        ([0, 5, 3], [4, 0, 3], [1, -2, 1]),
        (1, [10, 3], 3),
        ([0.1, 1.0], [1.0, 0.0], [0.1, -0.3]),
        ([], [], []),
    ])
    def test_range(self, dtype, args) -> None:
        np_dtype = dtypes.as_dtype(dtype).numpy
        starts, limits, deltas = (np.asarray(a).astype(np_dtype) for a in args)
        if dtype.startswith("int") and args[0] == [0.1, 1.0]:
            return
        for tsplits in ("int32", "int64"):
            ours = run("RaggedRange", starts, limits, deltas, Tsplits=dtypes.as_dtype(tsplits))
            theirs = raw.RaggedRange(starts=tf.constant(starts), limits=tf.constant(limits),
                                     deltas=tf.constant(deltas),
                                     Tsplits=tf.as_dtype(tsplits))
            assert_same(ours[0], theirs[0])
            assert_same(ours[1], theirs[1], rtol=0)

    def test_zero_delta(self) -> None:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Requires delta != 0"):
            raw.RaggedRange(starts=[0], limits=[3], deltas=[0])
        with pytest.raises(InvalidArgumentError, match="Requires delta != 0"):
            run("RaggedRange", np.asarray([0], np.int32), np.asarray([3], np.int32),
                np.asarray([0], np.int32))


class TestRaggedVariant:
    @pytest.mark.parametrize("data", range(len(RAGGED)))
    @pytest.mark.parametrize("batched", [False, True])
    def test_round_trip(self, data, batched) -> None:
        rt = tf.ragged.constant(RAGGED[data], dtype=tf.int32)
        splits = [s.numpy() for s in rt.nested_row_splits]
        rank = len(splits)
        in_rank = rank - 1 if batched else rank
        theirs = raw.RaggedTensorFromVariant(
            encoded_ragged=raw.RaggedTensorToVariant(
                rt_nested_splits=list(rt.nested_row_splits), rt_dense_values=rt.flat_values,
                batched_input=batched),
            input_ragged_rank=in_rank, output_ragged_rank=rank, Tvalues=tf.int32,
            Tsplits=tf.int64)
        encoded = run("RaggedTensorToVariant", splits, rt.flat_values.numpy(),
                      batched_input=batched)
        ours = run("RaggedTensorFromVariant", encoded, input_ragged_rank=in_rank,
                   output_ragged_rank=rank, Tvalues=dtypes.as_dtype("int32"))
        for a, b in zip(ours[0], theirs[0]):
            assert_same(a, b)
        assert_same(ours[1], theirs[1])

    def test_batch_of_rows_with_extra_dims(self) -> None:
        rt = tf.ragged.constant(RAGGED[1], dtype=tf.int32, row_splits_dtype=tf.int32)
        encoded_tf = tf.reshape(raw.RaggedTensorToVariant(
            rt_nested_splits=list(rt.nested_row_splits), rt_dense_values=rt.flat_values,
            batched_input=True), [3, 1])
        theirs = raw.RaggedTensorFromVariant(encoded_ragged=encoded_tf, input_ragged_rank=1,
                                             output_ragged_rank=3, Tvalues=tf.int32,
                                             Tsplits=tf.int32)
        encoded = run("RaggedTensorToVariant", [s.numpy() for s in rt.nested_row_splits],
                      rt.flat_values.numpy(), batched_input=True).reshape(3, 1)
        ours = run("RaggedTensorFromVariant", encoded, input_ragged_rank=-1,
                   output_ragged_rank=3, Tvalues=dtypes.as_dtype("int32"),
                   Tsplits=dtypes.as_dtype("int32"))
        for a, b in zip(ours[0], theirs[0]):
            assert_same(a, b)
        assert_same(ours[1], theirs[1])

    @pytest.mark.parametrize("tvalues,in_rank,match", [
        ("float32", 1, "Expected values Tensor dtype: float, found: int32"),
        ("int32", 2, ("Encoded input RaggedTensorVariant has ragged_rank=1.  Expected "
                     "ragged_rank=2.")),
    ])
    def test_errors(self, tvalues, in_rank, match) -> None:
        rt = tf.ragged.constant(RAGGED[1], dtype=tf.int32)
        encoded_tf = raw.RaggedTensorToVariant(
            rt_nested_splits=list(rt.nested_row_splits), rt_dense_values=rt.flat_values,
            batched_input=True)
        with pytest.raises(tf.errors.InvalidArgumentError, match=match):
            raw.RaggedTensorFromVariant(encoded_ragged=encoded_tf, input_ragged_rank=in_rank,
                                        output_ragged_rank=in_rank + 1,
                                        Tvalues=tf.as_dtype(tvalues), Tsplits=tf.int64)
        encoded = run("RaggedTensorToVariant", [s.numpy() for s in rt.nested_row_splits],
                      rt.flat_values.numpy(), batched_input=True)
        with pytest.raises(InvalidArgumentError, match=match):
            run("RaggedTensorFromVariant", encoded, input_ragged_rank=in_rank,
                output_ragged_rank=in_rank + 1, Tvalues=dtypes.as_dtype(tvalues))
