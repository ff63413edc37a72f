"""TensorList kernels against TensorFlow's ``tf.raw_ops``: the same op sequence runs through eager
TensorFlow and through our kernels, and the dense tensors read back (stacked, gathered, concatenated
or single items) must match, as must the errors for bad shapes, indices and dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.list_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from savedmodel.ops.list_ops import TensorList
from tests.ops.conftest import assert_same
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.list_ops")
DTYPES = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "int8", "bool",
          "complex64", "string"]
F32 = "float32"


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def _inferred_attrs(name: str) -> set[str]:
    return {a.type_attr for a in registry.lookup(name).op_def.inputs if a.type_attr}


def tf_op(name: str, **kwargs):
    """Runs ``tf.raw_ops.<name>``; dtype attrs given as names, inferable ones dropped."""
    inferred = _inferred_attrs(name)
    attrs = {k: (tf.as_dtype(v) if k in ("element_dtype", "shape_type") else v)
             for k, v in kwargs.items() if k not in inferred or k == "element_dtype"
             and name in ("TensorListReserve", "EmptyTensorList")}
    out = getattr(tf.raw_ops, name)(**attrs)
    return tuple(out) if isinstance(out, tuple) else out


def our_op(name: str, **kwargs):
    """Runs our kernel with the same keyword arguments as ``tf_op``."""
    op_def = registry.lookup(name).op_def
    inputs = [_ours_value(kwargs[arg.name]) for arg in op_def.inputs]
    attrs = {k: (dtypes.as_dtype(v) if k in ("element_dtype", "shape_type") else v)
             for k, v in kwargs.items() if k in op_def.attr_map}
    outputs = registry.run_kernel(name, inputs, attrs)
    return outputs[0] if len(outputs) == 1 else outputs


def _ours_value(value):
    return value if isinstance(value, TensorList) else np.asarray(value)


def _values(dtype: str, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape))
    if dtype == "string":
        return np.array([str(i).encode() for i in range(count)], dtype=object).reshape(shape)
    if dtype == "bool":
        return (np.arange(count) % 3 == 0).reshape(shape)
    return (np.arange(count) + 1).astype(dtypes.as_dtype(dtype).numpy).reshape(shape)


def both(program, *args):
    """Runs ``program(op, *args)`` with TensorFlow's ops and with ours; returns both results."""
    return program(tf_op, *args), program(our_op, *args)


def assert_both(program, *args) -> None:
    theirs, ours = both(program, *args)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    ours = ours if isinstance(ours, tuple) else (ours,)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def assert_both_fail(program, match: str, *args) -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        program(tf_op, *args)
    with pytest.raises(InvalidArgumentError, match=match):
        program(our_op, *args)


def i32(value) -> np.ndarray:
    return np.asarray(value, dtype=np.int32)


def i64(value) -> np.ndarray:
    return np.asarray(value, dtype=np.int64)


def _stack(op, handle, dtype=F32, shape=-1, **attrs):
    return op("TensorListStack", input_handle=handle, element_shape=i32(shape),
              element_dtype=dtype, **attrs)


class TestReserveSetStack:
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_reserve_set_stack_every_dtype(self, dtype: str) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([2, 3]), num_elements=i32(4),
                        element_dtype=dtype)
            handle = op("TensorListSetItem", input_handle=handle, index=i32(2),
                        item=_values(dtype, (2, 3)), element_dtype=dtype)
            item = op("TensorListGetItem", input_handle=handle, index=i32(2),
                      element_shape=i32(-1), element_dtype=dtype)
            unset = op("TensorListGetItem", input_handle=handle, index=i32(0),
                       element_shape=i32(-1), element_dtype=dtype)
            return _stack(op, handle, dtype), item, unset
        assert_both(program)

    @pytest.mark.parametrize("shape_type", ["int32", "int64"])
    @pytest.mark.parametrize("list_shape", [-1, [-1, 3], [2, -1]])
    def test_partial_element_shape_inferred_from_set_items(self, shape_type, list_shape) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=np.asarray(list_shape, shape_type),
                        num_elements=i32(3), element_dtype=F32)
            handle = op("TensorListSetItem", input_handle=handle, index=i32(1),
                        item=_values(F32, (2, 3)), element_dtype=F32)
            shape = op("TensorListElementShape", input_handle=handle, shape_type=shape_type)
            return _stack(op, handle), shape
        assert_both(program)

    def test_resize_if_index_out_of_bounds(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([2]), num_elements=i32(1),
                        element_dtype=F32)
            handle = op("TensorListSetItem", input_handle=handle, index=i32(4),
                        item=_values(F32, (2,)), element_dtype=F32,
                        resize_if_index_out_of_bounds=True)
            return _stack(op, handle), op("TensorListLength", input_handle=handle)
        assert_both(program)

    def test_value_semantics(self) -> None:
        def program(op):
            first = op("TensorListFromTensor", tensor=_values(F32, (3, 2)),
                       element_shape=i32([2]), element_dtype=F32)
            second = op("TensorListSetItem", input_handle=first, index=i32(0),
                        item=np.zeros(2, np.float32), element_dtype=F32)
            return _stack(op, first), _stack(op, second)
        assert_both(program)

    def test_empty_list_with_known_shape(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([0, 3]), num_elements=i32(0),
                        element_dtype=F32)
            return _stack(op, handle, shape=[0, 3]), op("TensorListLength", input_handle=handle)
        assert_both(program)

    def test_num_elements_attr(self) -> None:
        def program(op):
            handle = op("TensorListFromTensor", tensor=_values(F32, (3, 2)),
                        element_shape=i32(-1), element_dtype=F32)
            return _stack(op, handle, num_elements=3)
        assert_both(program)


class TestPushPopResize:
    @pytest.mark.parametrize("dtype", ["float32", "int64", "string", "bool"])
    def test_push_pop(self, dtype: str) -> None:
        def program(op):
            handle = op("EmptyTensorList", element_shape=i32([-1]), max_num_elements=i32(-1),
                        element_dtype=dtype)
            for n in (2, 2, 2):
                handle = op("TensorListPushBack", input_handle=handle,
                            tensor=_values(dtype, (n,)), element_dtype=dtype)
            handle, last = op("TensorListPopBack", input_handle=handle, element_shape=i32(-1),
                              element_dtype=dtype)
            return _stack(op, handle, dtype), last, op("TensorListLength", input_handle=handle)
        assert_both(program)

    def test_pop_unset_element_gives_zeros(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([2]), num_elements=i32(2),
                        element_dtype=F32)
            return op("TensorListPopBack", input_handle=handle, element_shape=i32(-1),
                      element_dtype=F32)[1]
        assert_both(program)

    @pytest.mark.parametrize("size", [0, 2, 5])
    def test_resize(self, size: int) -> None:
        def program(op):
            handle = op("TensorListFromTensor", tensor=_values(F32, (3, 2)),
                        element_shape=i32([2]), element_dtype=F32)
            handle = op("TensorListResize", input_handle=handle, size=i32(size))
            return _stack(op, handle, shape=[2])
        assert_both(program)


class TestGatherScatterConcatSplit:
    @pytest.mark.parametrize("indices", [[2, 0], [[0, 1], [1, 2]], []])
    def test_gather(self, indices) -> None:
        def program(op):
            handle = op("TensorListFromTensor", tensor=_values("int32", (3, 2)),
                        element_shape=i32(-1), element_dtype="int32")
            return op("TensorListGather", input_handle=handle, indices=i32(indices),
                      element_shape=i32([2]), element_dtype="int32")
        assert_both(program)

    def test_gather_infers_unset_shape(self) -> None:
        def program(op):
            handle = op("TensorListFromTensor", tensor=_values(F32, (2, 1)),
                        element_shape=i32(-1), element_dtype=F32)
            handle = op("TensorListResize", input_handle=handle, size=i32(4))
            return op("TensorListGather", input_handle=handle, indices=i32([3, 0]),
                      element_shape=i32(-1), element_dtype=F32)
        assert_both(program)

    @pytest.mark.parametrize("indices,num", [([1, 1], -1), ([0, 1], 5), ([[3, 0]], -1)])
    def test_scatter_v2(self, indices, num) -> None:
        def program(op):
            handle = op("TensorListScatterV2", tensor=_values(F32, (2, 1)), indices=i32(indices),
                        element_shape=i32([1]), num_elements=i32(num), element_dtype=F32)
            return _stack(op, handle, shape=[1])
        assert_both(program)

    def test_scatter_into_existing_list(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([2]), num_elements=i32(3),
                        element_dtype=F32)
            handle = op("TensorListScatterIntoExistingList", input_handle=handle,
                        tensor=_values(F32, (2, 2)), indices=i32([2, 0]), element_dtype=F32)
            return _stack(op, handle, shape=[2])
        assert_both(program)

    @pytest.mark.parametrize("lengths", [[1, 2, 0], [3], []])
    def test_split_then_concat(self, lengths) -> None:
        rows = sum(lengths)

        def program(op):
            handle = op("TensorListSplit", tensor=_values(F32, (rows, 2)),
                        element_shape=i32([-1, 2]), lengths=i64(lengths), element_dtype=F32)
            return (op("TensorListConcatV2", input_handle=handle, element_shape=i32([-1, 2]),
                       leading_dims=i64([]), element_dtype=F32)
                    + (op("TensorListElementShape", input_handle=handle, shape_type="int32"),))
        assert_both(program)

    def test_concat_unset_elements_use_leading_dims(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([-1]), num_elements=i32(3),
                        element_dtype=F32)
            handle = op("TensorListSetItem", input_handle=handle, index=i32(1),
                        item=_values(F32, (4,)), element_dtype=F32)
            return op("TensorListConcatV2", input_handle=handle, element_shape=i32(-1),
                      leading_dims=i64([1, 9, 2]), element_dtype=F32)
        assert_both(program)

    def test_concat_v1(self) -> None:
        def program(op):
            handle = op("TensorListFromTensor", tensor=_values(F32, (2, 3)),
                        element_shape=i32(-1), element_dtype=F32)
            return op("TensorListConcat", input_handle=handle, element_dtype=F32,
                      element_shape=[-1])
        assert_both(program)

    def test_concat_infers_common_leading_dim(self) -> None:
        def program(op):
            handle = op("TensorListReserve", element_shape=i32([-1]), num_elements=i32(3),
                        element_dtype=F32)
            handle = op("TensorListSetItem", input_handle=handle, index=i32(1),
                        item=_values(F32, (2,)), element_dtype=F32)
            return op("TensorListConcatV2", input_handle=handle, element_shape=i32(-1),
                      leading_dims=i64([]), element_dtype=F32)
        assert_both(program)


def _reserve(op, shape=(2,), count=3, dtype=F32):
    return op("TensorListReserve", element_shape=i32(list(shape)), num_elements=i32(count),
              element_dtype=dtype)


ERRORS = [
    ("Trying to modify element -1 in a list with 3 elements",
     lambda op: op("TensorListSetItem", input_handle=_reserve(op), index=i32(-1),
                   item=np.ones(2, np.float32), element_dtype=F32)),
    ("Trying to modify element 5 in a list with 3 elements",
     lambda op: op("TensorListSetItem", input_handle=_reserve(op), index=i32(5),
                   item=np.ones(2, np.float32), element_dtype=F32)),
    (r"Item element shape: \[3\] list shape: \[2\]",
     lambda op: op("TensorListSetItem", input_handle=_reserve(op), index=i32(1),
                   item=np.ones(3, np.float32), element_dtype=F32)),
    ("Invalid data types; op elements int32 but list elements float",
     lambda op: op("TensorListStack", input_handle=_reserve(op), element_shape=i32(-1),
                   element_dtype="int32")),
    ("Trying to access element 3 in a list with 3 elements",
     lambda op: op("TensorListGetItem", input_handle=_reserve(op), index=i32(3),
                   element_shape=i32(-1), element_dtype=F32)),
    (r"Incompatible shapes during merge: \[3\] vs. \[2\]",
     lambda op: op("TensorListGetItem", input_handle=_reserve(op), index=i32(0),
                   element_shape=i32([3]), element_dtype=F32)),
    ("Incompatible ranks during merge: 2 vs. 1",
     lambda op: op("TensorListStack", input_handle=_reserve(op), element_shape=i32([3, 1]),
                   element_dtype=F32)),
    ("only contains uninitialized tensors and has a non-fully-defined element_shape: <unknown>",
     lambda op: op("TensorListStack", input_handle=op(
         "TensorListReserve", element_shape=i32(-1), num_elements=i32(2), element_dtype=F32),
         element_shape=i32(-1), element_dtype=F32)),
    (r"empty list with non-fully-defined element_shape: \[\?,2\]",
     lambda op: op("TensorListStack", input_handle=_reserve(op, (-1, 2), 0),
                   element_shape=i32(-1), element_dtype=F32)),
    ("expected a list with 2 elements but got a list with 3 elements",
     lambda op: op("TensorListStack", input_handle=_reserve(op), element_shape=i32(-1),
                   element_dtype=F32, num_elements=2)),
    ("TensorListSlice expects size to be non-negative. Got: -1",
     lambda op: op("TensorListResize", input_handle=_reserve(op), size=i32(-1))),
    ("num_elements to reserve must be a non negative number, but got -1",
     lambda op: _reserve(op, count=-1)),
    ("Trying to pop from an empty list",
     lambda op: op("TensorListPopBack", input_handle=_reserve(op, count=0),
                   element_shape=i32(-1), element_dtype=F32)),
    ("Tried to push item into a full list list size: 1 max_num_elements: 1",
     lambda op: op("TensorListPushBack", input_handle=op(
         "TensorListPushBack", input_handle=op(
             "EmptyTensorList", element_shape=i32(-1), max_num_elements=i32(1),
             element_dtype=F32), tensor=np.ones(2, np.float32), element_dtype=F32),
         tensor=np.ones(2, np.float32), element_dtype=F32)),
    ("Tried to append a tensor with incompatible shape",
     lambda op: op("TensorListPushBack", input_handle=_reserve(op),
                   tensor=np.ones(3, np.float32), element_dtype=F32)),
    ("The only valid scalar shape tensor is the fully unknown shape",
     lambda op: op("TensorListReserve", element_shape=i32(-2), num_elements=i32(1),
                   element_dtype=F32)),
    ("Dimension -2 must be >= -1",
     lambda op: _reserve(op, shape=(-2,))),
    (r"Tensor must be at least a vector, but saw shape: \[\]",
     lambda op: op("TensorListFromTensor", tensor=np.float32(1), element_shape=i32(-1),
                   element_dtype=F32)),
    (r"Specified a list with shape \[3\] from a tensor with shape \[2\]",
     lambda op: op("TensorListFromTensor", tensor=np.ones((1, 2), np.float32),
                   element_shape=i32([3]), element_dtype=F32)),
    ("Index 4 out o range; list only has 3 elements",
     lambda op: op("TensorListGather", input_handle=_reserve(op), indices=i32([4]),
                   element_shape=i32(-1), element_dtype=F32)),
    ("Indices in TensorListScatter must all be non-negative",
     lambda op: op("TensorListScatterV2", tensor=np.ones((2, 1), np.float32),
                   indices=i32([-1, 1]), element_shape=i32([1]), num_elements=i32(-1),
                   element_dtype=F32)),
    ("Trying to scatter at index 3 in list with size 2",
     lambda op: op("TensorListScatterV2", tensor=np.ones((2, 1), np.float32),
                   indices=i32([0, 3]), element_shape=i32([1]), num_elements=i32(2),
                   element_dtype=F32)),
    ("Invalid number of rows in input tensor. Expected: 1 Actual: 2",
     lambda op: op("TensorListScatterV2", tensor=np.ones((2, 1), np.float32),
                   indices=i32([0]), element_shape=i32([1]), num_elements=i32(-1),
                   element_dtype=F32)),
    ("TensorListScatter expects num_elements >= -1, found: -2",
     lambda op: op("TensorListScatterV2", tensor=np.ones((2, 1), np.float32),
                   indices=i32([0, 1]), element_shape=i32([1]), num_elements=i32(-2),
                   element_dtype=F32)),
    ("Unused values in tensor. Length of tensor: 3 Values used: 2",
     lambda op: op("TensorListSplit", tensor=np.ones(3, np.float32), element_shape=i32([-1]),
                   lengths=i64([1, 1]), element_dtype=F32)),
    (r"Attempting to slice \[1, 6\] from tensor with length 3",
     lambda op: op("TensorListSplit", tensor=np.ones(3, np.float32), element_shape=i32([-1]),
                   lengths=i64([1, 5]), element_dtype=F32)),
    ("Invalid value in lengths: -1",
     lambda op: op("TensorListSplit", tensor=np.ones(3, np.float32), element_shape=i32([-1]),
                   lengths=i64([-1, 4]), element_dtype=F32)),
    (r"tensor shape \[1,3\] is not compatible with element_shape \[\?,2\]",
     lambda op: op("TensorListSplit", tensor=np.ones((1, 3), np.float32),
                   element_shape=i32([-1, 2]), lengths=i64([1]), element_dtype=F32)),
    ("List contains uninitialized tensor at index 1 but leading_dims has only 1 elements",
     lambda op: op("TensorListConcatV2", input_handle=_reserve(op, (-1,), 2),
                   element_shape=i32(-1), leading_dims=i64([1]), element_dtype=F32)),
    ("Concat saw a scalar shape at index 0 but requires at least vectors",
     lambda op: op("TensorListConcatV2", input_handle=op(
         "TensorListFromTensor", tensor=np.ones(2, np.float32), element_shape=i32(-1),
         element_dtype=F32), element_shape=i32(-1), leading_dims=i64([]), element_dtype=F32)),
    (r"when concating an empty tensor list. element_shape: \[\?\]",
     lambda op: op("TensorListConcatV2", input_handle=_reserve(op, (-1, -1), 0),
                   element_shape=i32(-1), leading_dims=i64([]), element_dtype=F32)),
    (("First entry of element_shape input does not match the first dim of list element at index: "
     "0 Expected: 2 Actual: 1"),
     lambda op: op("TensorListConcatV2", input_handle=op(
         "TensorListFromTensor", tensor=np.ones((2, 1), np.float32), element_shape=i32(-1),
         element_dtype=F32), element_shape=i32([2]), leading_dims=i64([]), element_dtype=F32)),
]


@pytest.mark.parametrize("match,program", ERRORS, ids=[m[:40] for m, _ in ERRORS])
def test_errors_match_tensorflow(match, program) -> None:
    assert_both_fail(program, match)


def test_scatter_into_existing_list_grows_it() -> None:
    """Beyond the end TensorFlow reads uninitialized memory; we grow the list with unset elements."""
    handle = our_op("TensorListReserve", element_shape=i32([2]), num_elements=i32(1),
                    element_dtype=F32)
    handle = our_op("TensorListScatterIntoExistingList", input_handle=handle,
                    tensor=_values(F32, (2, 2)), indices=i32([3, 0]), element_dtype=F32)
    np.testing.assert_array_equal(_stack(our_op, handle, shape=[2]),
                                  [[3, 4], [0, 0], [0, 0], [1, 2]])


def test_list_of_lists() -> None:
    def program(op):
        inner = op("TensorListFromTensor", tensor=_values("int32", (2, 3)), element_shape=i32(-1),
                   element_dtype="int32")
        outer = op("EmptyTensorList", element_shape=i32(-1), max_num_elements=i32(-1),
                   element_dtype="variant")
        outer = op("TensorListPushBack", input_handle=outer, tensor=inner,
                   element_dtype="variant")
        got = op("TensorListGetItem", input_handle=outer, index=i32(0), element_shape=i32(-1),
                 element_dtype="variant")
        return _stack(op, got, "int32"), op("TensorListLength", input_handle=outer)
    assert_both(program)
