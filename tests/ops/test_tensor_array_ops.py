"""TF1 TensorArray kernels against TensorFlow: each program of raw TensorArray ops runs inside a
``tf.function`` and through our kernels (sharing one resource manager), and the tensors read back
(read, gather, concat, size) and the errors (bad indices, double writes and reads, dtypes) match."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.tensor_array_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from savedmodel.ops.context import KernelContext
from tests.ops.conftest import assert_same
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None
             and op.kernel.__module__ == "savedmodel.ops.tensor_array_ops")
DTYPE_ATTRS = ("dtype", "T")


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def _tf_op(name: str, **kwargs):
    kwargs = {k: (tf.as_dtype(v) if k == "dtype" else v) for k, v in kwargs.items() if k != "T"}
    return getattr(tf.raw_ops, name)(**kwargs)


class _Ours:
    """Our kernels with one shared context, called like ``tf.raw_ops``."""

    def __init__(self) -> None:
        self.ctx = KernelContext(node_name="TensorArrayV3", op="TensorArrayV3")

    def __call__(self, name: str, **kwargs):
        op_def = registry.lookup(name).op_def
        inputs = [kwargs[a.name] if a.name in ("handle",) else np.asarray(kwargs[a.name])
                  for a in op_def.inputs]
        attrs = {k: (dtypes.as_dtype(v) if k in DTYPE_ATTRS else v)
                 for k, v in kwargs.items() if k in op_def.attr_map}
        outputs = registry.run_kernel(name, inputs, attrs, ctx=self.ctx)
        return outputs[0] if len(outputs) == 1 else outputs


def run_both(program):
    theirs = tf.function(lambda: program(_tf_op))()
    return program(_Ours()), theirs


def assert_both(program) -> None:
    ours, theirs = run_both(program)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = tuple(theirs) if isinstance(theirs, (tuple, list)) else (theirs,)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def assert_both_fail(program, match: str, ours_error=InvalidArgumentError,
                     tf_error=tf.errors.InvalidArgumentError) -> None:
    with pytest.raises(tf_error, match=match):
        tf.function(lambda: program(_tf_op))()
    with pytest.raises(ours_error, match=match):
        program(_Ours())


def f32(value) -> np.ndarray:
    return np.asarray(value, np.float32)


def _values(dtype: str, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape))
    if dtype == "string":
        return np.array([str(i).encode() for i in range(count)], dtype=object).reshape(shape)
    if dtype == "bool":
        return (np.arange(count) % 2 == 0).reshape(shape)
    return (np.arange(count) + 1).astype(dtypes.as_dtype(dtype).numpy).reshape(shape)


class TestWriteRead:
    @pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool",
                                       "string", "complex64"])
    def test_write_read_gather_size(self, dtype) -> None:
        def program(op):
            handle, flow = op("TensorArrayV3", size=np.int32(3), dtype=dtype,
                              element_shape=[2], clear_after_read=False)
            for i in range(2):
                flow = op("TensorArrayWriteV3", handle=handle, index=np.int32(i),
                          value=_values(dtype, (2,)), flow_in=flow, T=dtype)
            read = op("TensorArrayReadV3", handle=handle, index=np.int32(1), flow_in=flow,
                      dtype=dtype)
            indices = np.int32([1, 0] if dtype == "string" else [2, 0, 1])
            gathered = op("TensorArrayGatherV3", handle=handle, indices=indices,
                          flow_in=flow, dtype=dtype)
            size = op("TensorArraySizeV3", handle=handle, flow_in=flow)
            return read, gathered, size
        assert_both(program)

    def test_dynamic_size_grows(self) -> None:
        def program(op):
            handle, flow = op("TensorArrayV3", size=np.int32(0), dtype="float32",
                              dynamic_size=True)
            flow = op("TensorArrayWriteV3", handle=handle, index=np.int32(3), value=f32([1, 2]),
                      flow_in=flow, T="float32")
            size = op("TensorArraySizeV3", handle=handle, flow_in=flow)
            return size, op("TensorArrayReadV3", handle=handle, index=np.int32(3), flow_in=flow,
                            dtype="float32")
        assert_both(program)

    def test_scatter_split_concat(self) -> None:
        def program(op):
            handle, flow = op("TensorArrayV3", size=np.int32(3), dtype="float32")
            flow = op("TensorArraySplitV3", handle=handle, value=f32(np.arange(12).reshape(6, 2)),
                      lengths=np.int64([1, 3, 2]), flow_in=flow, T="float32")
            concat = op("TensorArrayConcatV3", handle=handle, flow_in=flow, dtype="float32")
            other, flow2 = op("TensorArrayV3", size=np.int32(3), dtype="int32",
                              identical_element_shapes=True)
            flow2 = op("TensorArrayScatterV3", handle=other, indices=np.int32([2, 0]),
                       value=np.int32([[1, 2], [3, 4]]), flow_in=flow2, T="int32")
            gathered = op("TensorArrayGatherV3", handle=other, indices=np.int32([0, 1, 2]),
                          flow_in=flow2, dtype="int32")
            op("TensorArrayCloseV3", handle=other)
            return concat[0], concat[1], gathered
        assert_both(program)

    def test_gather_empty_with_shape(self) -> None:
        def program(op):
            handle, flow = op("TensorArrayV3", size=np.int32(0), dtype="float32")
            return op("TensorArrayGatherV3", handle=handle, indices=np.zeros(0, np.int32),
                      flow_in=flow, dtype="float32", element_shape=[3])
        assert_both(program)


def _array(op, size=3, **kwargs):
    return op("TensorArrayV3", size=np.int32(size), dtype="float32", **kwargs)


def _write(op, handle, flow, index, value):
    return op("TensorArrayWriteV3", handle=handle, index=np.int32(index), value=f32(value),
              flow_in=flow, T="float32")


def _read(op, handle, flow, index, dtype="float32"):
    return op("TensorArrayReadV3", handle=handle, index=np.int32(index), flow_in=flow,
              dtype=dtype)


def _read_twice(op):
    handle, flow = _array(op)
    flow = _write(op, handle, flow, 0, [1, 2])
    first = _read(op, handle, flow, 0)
    with tf.control_dependencies([first] if tf.is_tensor(first) else []):
        return _read(op, handle, flow, 0)


def _write_twice(op):
    handle, flow = _array(op, 1)
    flow = _write(op, handle, flow, 0, [1, 2])
    with tf.control_dependencies([flow] if tf.is_tensor(flow) else []):
        return _write(op, handle, flow, 0, [1, 2])


def _inconsistent(op, concat: bool):
    handle, flow = _array(op, 2)
    flow = _write(op, handle, flow, 0, [[1, 2]] if concat else [1, 2])
    flow = _write(op, handle, flow, 1, [[1, 2, 3]] if concat else [1, 2, 3])
    if concat:
        return op("TensorArrayConcatV3", handle=handle, flow_in=flow, dtype="float32")
    return op("TensorArrayGatherV3", handle=handle, indices=np.int32([0, 1]), flow_in=flow,
              dtype="float32")


ERRORS = [
    ("Tried to write to index -1 but array is not resizeable and size is: 3",
     lambda op: _write(op, *_array(op), -1, [1, 2])),
    ("Tried to write to index 5 but array is not resizeable and size is: 3",
     lambda op: _write(op, *_array(op), 5, [1, 2])),
    (r"Could not read index 0 twice because it was cleared after a previous read", _read_twice),
    ("because it has already been written to", _write_twice),
    ("TensorArray dtype is float but Op is trying to write dtype int32",
     lambda op: op("TensorArrayWriteV3", handle=_array(op)[0], index=np.int32(0),
                   value=np.int32([1]), flow_in=f32(0), T="int32")),
    ("TensorArray dtype is float but Op requested dtype int32",
     lambda op: _read(op, *_array(op), 0, "int32")),
    (("Could not read from TensorArray index 0.  Furthermore, the element shape is not fully "
     "defined: <unknown>"), lambda op: _read(op, *_array(op), 0)),
    (r"TensorArray's size is not equal to the size of lengths \(3 vs. 2\)",
     lambda op: op("TensorArraySplitV3", handle=_array(op)[0], value=f32([1, 2, 3]),
                   lengths=np.int64([1, 2]), flow_in=f32(0), T="float32")),
    (r"sum of lengths is 2 and value's shape is: \[3\]",
     lambda op: op("TensorArraySplitV3", handle=_array(op, 2)[0], value=f32([1, 2, 3]),
                   lengths=np.int64([1, 1]), flow_in=f32(0), T="float32")),
    (r"Max scatter index must be < array size \(5 vs. 2\)",
     lambda op: op("TensorArrayScatterV3", handle=_array(op, 2)[0], indices=np.int32([0, 5]),
                   value=f32([[1], [2]]), flow_in=f32(0), T="float32")),
    ("Size should be >= 0", lambda op: _array(op, -1)[1]),
    ("TensorSetZero type not supported: string",
     lambda op: op("TensorArrayReadV3", handle=op("TensorArrayV3", size=np.int32(1),
                   dtype="string", element_shape=[2])[0], index=np.int32(0), flow_in=f32(0),
                   dtype="string")),
    (r"Index 0 has shape: \[2\] but index 1 has shape: \[3\]",
     lambda op: _inconsistent(op, False)),
    ((r"Index 0 has \(excepting dimension 0\) shape: \[2\] but index 1 has \(excepting dimension "
     r"0\) shape: \[3\]"), lambda op: _inconsistent(op, True)),
]


@pytest.mark.parametrize("match,program", ERRORS, ids=[m[:40] for m, _ in ERRORS])
def test_errors_match_tensorflow(match, program) -> None:
    assert_both_fail(program, match)


def test_gather_empty_unknown_shape_is_unimplemented() -> None:
    def program(op):
        handle, flow = _array(op, 0)
        return op("TensorArrayGatherV3", handle=handle, indices=np.zeros(0, np.int32),
                  flow_in=flow, dtype="float32")
    assert_both_fail(program, "TensorArray has size zero, but element shape <unknown>",
                     UnimplementedError, tf.errors.UnimplementedError)


def test_closed_array_cannot_be_used() -> None:
    ours = _Ours()
    handle, flow = _array(ours, 1)
    ours("TensorArrayCloseV3", handle=handle)
    with pytest.raises(NotFoundError, match="was closed"):
        _read(ours, handle, flow, 0)
