"""Array-op kernels against TensorFlow's ``tf.raw_ops``: shapes, dtypes, edge values and errors."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

import savedmodel.ops.array_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from savedmodel.ops.context import KernelContext
from tests.ops.conftest import assert_same, run

# TF's Python raw_ops rename a few OpDef arguments.
_PY_NAMES = {
    "ExpandDims": {"dim": "axis"}, "Select": {"t": "x", "e": "y"}, "Split": {"split_dim": "axis"},
    "SplitV": {"split_dim": "axis"}, "Squeeze": {"squeeze_dims": "axis"},
    "Where": {"input": "condition"},
}
NUMERIC = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "uint16", "uint32", "uint64", "complex64", "complex128"]
ALL = NUMERIC + ["bool", "string"]
REAL = [d for d in NUMERIC if not d.startswith("complex")]


def np_dtype(name: str):
    return object if name == "string" else dtypes.as_dtype(name).numpy


def sample(name: str, shape, seed: int = 0) -> np.ndarray:
    """Deterministic values of dtype ``name`` (small integers, so every dtype can hold them)."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-5 if name[0] in "ifbc" and not name.startswith("u") else 0, 9,
                          size=shape)
    if name == "string":
        out = np.empty(shape, dtype=object)
        out.reshape(-1)[:] = [b"s%d" % v for v in values.reshape(-1)]
        return out
    if name == "bool":
        return values % 2 == 0
    if name.startswith("complex"):
        return (values + 1j * rng.integers(-3, 3, size=shape)).astype(np_dtype(name))
    if name in ("float16", "bfloat16", "float32", "float64"):
        return (values / 2).astype(np_dtype(name))
    return values.astype(np_dtype(name))


def check(op: str, **args) -> None:
    """Runs ``op`` on ``args`` (OpDef names) in our kernel and in tf.raw_ops; outputs must agree."""
    op_def = registry.lookup(op).op_def
    input_names = [a.name for a in op_def.inputs]
    inputs = [args[name] for name in input_names]
    attrs = {k: v for k, v in args.items() if k not in input_names}
    our_attrs = {k: dtypes.as_dtype(v) if op_def.attr_map[k].kind == "type" else v
                 for k, v in attrs.items()}
    ours = registry.run_kernel(op, inputs, our_attrs)
    renames = _PY_NAMES.get(op, {})
    tf_args = {renames.get(k, k): _tf_value(v, op_def.attr_map[k].kind if k in attrs else "input")
               for k, v in args.items()}
    theirs = getattr(tf.raw_ops, op)(**tf_args)
    single_list = len(op_def.outputs) == 1 and op_def.outputs[0].is_list
    theirs = [theirs] if single_list or not isinstance(theirs, (list, tuple)) else theirs
    assert len(ours) == len(theirs)
    for mine, ref, arg in zip(ours, theirs, op_def.outputs):
        pairs = list(zip(mine, ref)) if arg.is_list else [(mine, ref)]
        assert len(pairs) == (len(ref) if arg.is_list else 1)
        for m, r in pairs:
            assert_same(m, np.asarray(r.numpy()), rtol=0.0)  # exact, NaN where NaN


def _tf_value(value, kind: str):
    """Inputs as tf.constant (so TF keeps their dtype: eager raw_ops cast NumPy inputs to an
    attr's default dtype), type attrs as tf.DType, other attrs unchanged."""
    if kind == "type":
        return tf.as_dtype(value)
    if kind != "input":
        return value
    if isinstance(value, list):
        return [tf.constant(v) for v in value]
    return tf.constant(value)


def raises(op: str, match: str, *inputs, **attrs) -> None:
    with pytest.raises(InvalidArgumentError, match=match) as info:
        run(op, *inputs, **attrs)
    assert f"node {op!r}" in str(info.value)


def i32(*values) -> np.ndarray:
    return np.array(values, dtype=np.int32)


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


class TestIdentity:
    @pytest.mark.parametrize("op, dtype", [
        (op, dtype) for op in ("Identity", "Snapshot", "StopGradient", "PreventGradient",
                               "GuaranteeConst") for dtype in ALL
        if not (op == "Snapshot" and dtype == "string")])  # TF has no string Snapshot kernel
    def test_forwarding_ops(self, op, dtype):
        check(op, input=sample(dtype, (2, 3)))

    def test_forwarding_returns_the_input(self):
        x = np.arange(3.0)
        assert run("Identity", x) is x

    def test_identity_n_mixed_dtypes(self):
        check("IdentityN", input=[sample("float32", (2,)), sample("string", (3, 1)),
                                  np.array(True)])

    def test_placeholder_with_default(self):
        check("PlaceholderWithDefault", input=sample("int64", (2,)), shape=[2])

    def test_const_returns_value(self):
        value = np.arange(4, dtype=np.int8)
        assert run("Const", value=value, dtype=dtypes.as_dtype("int8")) is value

    @pytest.mark.parametrize("shape, text", [
        (None, ""), ((), ""), ((-1, 3), " and shape [?,3]"), ((2,), " and shape [2]")])
    def test_placeholder_error_is_tensorflows(self, shape, text):
        ctx = KernelContext(node_name="x", op="Placeholder")
        with pytest.raises(InvalidArgumentError) as info:
            registry.run_kernel("Placeholder", [], {"dtype": dtypes.as_dtype("float32"),
                                                    "shape": shape}, ctx)
        assert str(info.value).endswith(
            f"You must feed a value for placeholder tensor 'x' with dtype float{text}")

    def test_placeholder_dtype_names(self):
        for name, tf_name in [("float64", "double"), ("string", "string"), ("float16", "half")]:
            with pytest.raises(InvalidArgumentError, match=f"with dtype {tf_name}$"):
                run("Placeholder", dtype=dtypes.as_dtype(name))

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
    def test_check_numerics(self, dtype):
        check("CheckNumerics", tensor=sample(dtype, (4,)), message="m")
        for values, kind in [([1, np.nan], "NaN"), ([np.inf, 1], "Inf"),
                             ([np.nan, -np.inf], "Inf and NaN")]:
            raises("CheckNumerics", f"^node.*: hello : Tensor had {kind} values$",
                   np.array(values).astype(np_dtype(dtype)), message="hello")

    def test_ensure_shape(self):
        x = sample("float32", (2, 3))
        check("EnsureShape", input=x, shape=[-1, 3])
        check("EnsureShape", input=x, shape=None)
        raises("EnsureShape", r"Shape of tensor EnsureShape \[2,3\] is not compatible with "
               r"expected shape \[3,3\]\.", x, shape=(3, 3))
        raises("EnsureShape", r"expected shape \[3\]", x, shape=(3,))


class TestShapeOps:
    @pytest.mark.parametrize("out_type", ["int32", "int64"])
    @pytest.mark.parametrize("shape", [(), (0,), (2, 3), (1, 0, 4)])
    def test_shape_size_rank(self, shape, out_type):
        x = sample("string", shape)
        check("Shape", input=x, out_type=out_type)
        check("Size", input=x, out_type=out_type)
        check("Rank", input=x)
        check("ShapeN", input=[x, sample("string", (5,))], out_type=out_type)

    @pytest.mark.parametrize("shape, new", [
        ((2, 3), [3, 2]), ((2, 3), [-1]), ((2, 3), [3, -1]), ((6,), np.int64(6)), ((0, 3), [0, -1]),
        ((0, 3), [3, -1]), ((0,), [-1, 0]), ((0, 4), [2, -1, 0]), ((1,), []), ((), [1, 1])])
    def test_reshape(self, shape, new):
        check("Reshape", tensor=sample("string", shape), shape=np.asarray(new, dtype=np.int32))

    def test_reshape_is_a_view(self):
        x = np.arange(6)
        assert np.shares_memory(run("Reshape", x, i32(2, 3)), x)

    @pytest.mark.parametrize("new, message", [
        ([4], "Input to reshape is a tensor with 6 values, but the requested shape has 4"),
        ([4, -1], "requested shape requires a multiple of 4"),
        ([-1, -1], "Only one input size may be -1, not both 0 and 1"),
        ([-2, 3], "Size 0 must be non-negative, not -2"),
        ([[2, 3]], r"sizes input must be 1-D, not \[1,2\]")])
    def test_reshape_errors(self, new, message):
        raises("Reshape", message, np.zeros(6), np.asarray(new, dtype=np.int32))

    @pytest.mark.parametrize("dims", [[], [2], [-2], [0, 2], [-4, 2]])
    def test_squeeze(self, dims):
        check("Squeeze", input=sample("int8", (1, 2, 1, 3)), squeeze_dims=dims)

    def test_squeeze_errors(self):
        raises("Squeeze", r"Can not squeeze dim\[1\], expected a dimension of 1, got 3",
               np.zeros((2, 3)), squeeze_dims=[1])
        raises("Squeeze", "Tried to squeeze dim index 2 for tensor with 2 dimensions.",
               np.zeros((2, 3)), squeeze_dims=[2])

    @pytest.mark.parametrize("dim", [0, 2, -1, -3, [1]])
    def test_expand_dims(self, dim):
        check("ExpandDims", input=sample("bool", (2, 3)), dim=np.asarray(dim, dtype=np.int64))

    def test_expand_dims_errors(self):
        raises("ExpandDims", "Tried to expand dim index 3 for tensor with 2 dimensions.",
               np.zeros((2, 3)), np.int32(3))
        raises("ExpandDims", "'dim' must be a tensor with a single value", np.zeros(2), i32(0, 1))

    @pytest.mark.parametrize("dtype", ALL)
    def test_transpose(self, dtype):
        x = sample(dtype, (2, 3, 4))
        for perm in ([2, 0, 1], [0, 1, 2], [-1, 0, 1]):
            check("Transpose", x=x, perm=np.asarray(perm, dtype=np.int64))
            if dtype != "string":
                check("ConjugateTranspose", x=x, perm=np.asarray(perm, dtype=np.int32))
        check("Transpose", x=sample(dtype, ()), perm=i32())

    def test_transpose_errors(self):
        x = np.zeros((2, 3))
        raises("Transpose", "transpose expects a vector of size 2. But input.1. is a vector of "
               "size 1", x, i32(0))
        raises("Transpose", r"1 is missing from \{0,0\}\.", x, i32(0, 0))
        raises("Transpose", r"2 is out of range \[0 \.\. 2\)", x, i32(0, 2))
        raises("Transpose", r"perm must be rank 1, got shape \[1,2\]", x, i32(0, 1).reshape(1, 2))

    @pytest.mark.parametrize("source, target, shape", [
        ("float32", "int32", (3,)), ("float32", "uint8", (2, 3)), ("int8", "int16", (3, 2)),
        ("int16", "float16", ()), ("complex128", "float64", (2,)), ("bfloat16", "int16", (4,)),
        ("uint8", "uint64", (8,)), ("float64", "int8", ())])
    def test_bitcast(self, source, target, shape):
        x = sample(source, shape) if source != "float32" else np.array(
            np.linspace(-3, 3, int(np.prod(shape))), np.float32).reshape(shape)
        check("Bitcast", input=x, type=target)

    def test_bitcast_errors(self):
        raises("Bitcast", "Cannot bitcast from 6 to 5", np.zeros(3, np.int8),
               type=dtypes.as_dtype("int16"))
        raises("Bitcast", "Cannot bitcast from 6 to 3", np.int8(1), type=dtypes.as_dtype("int32"))


def _masks(draw, rank: int) -> dict:
    bits = st.integers(0, (1 << (rank + 1)) - 1)
    masks = {name: draw(bits) for name in ("begin_mask", "end_mask", "new_axis_mask",
                                             "shrink_axis_mask")}
    masks["ellipsis_mask"] = draw(st.sampled_from([0] + [1 << i for i in range(rank + 1)]))
    return masks


@st.composite
def strided_slices(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=4)))
    count = draw(st.integers(1, len(shape) + 1))
    ends = st.integers(-7, 7)
    begin = [draw(ends) for _ in range(count)]
    end = [draw(ends) for _ in range(count)]
    strides = [draw(st.sampled_from([-3, -2, -1, 1, 2, 3])) for _ in range(count)]
    return shape, begin, end, strides, _masks(draw, count)


def _tf_or_error(fn):
    try:
        return fn(), None
    except (tf.errors.InvalidArgumentError, ValueError) as err:
        return None, err


class TestStridedSlice:
    @settings(max_examples=300, deadline=None)
    @given(strided_slices())
    def test_matches_tensorflow(self, case):
        shape, begin, end, strides, masks = case
        x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
        spec = dict(begin=i32(*begin), end=i32(*end), strides=i32(*strides), **masks)
        theirs, error = _tf_or_error(lambda: tf.raw_ops.StridedSlice(input=x, **spec))
        if error is not None:
            with pytest.raises(InvalidArgumentError):
                run("StridedSlice", x, spec["begin"], spec["end"], spec["strides"], **masks)
            return
        ours = run("StridedSlice", x, spec["begin"], spec["end"], spec["strides"], **masks)
        assert_same(ours, theirs)
        dy = np.arange(1, ours.size + 1, dtype=np.float32).reshape(ours.shape)
        assert_same(run("StridedSliceGrad", i32(*shape), spec["begin"], spec["end"],
                        spec["strides"], dy, **masks),
                    tf.raw_ops.StridedSliceGrad(shape=i32(*shape), dy=dy, **spec))
        value = -np.arange(ours.size, dtype=np.int32).reshape(ours.shape)
        assert_same(run("TensorStridedSliceUpdate", x, spec["begin"], spec["end"], spec["strides"],
                        value, **masks),
                    tf.raw_ops.TensorStridedSliceUpdate(input=x, value=value, **spec))

    @pytest.mark.parametrize("dtype", ALL)
    def test_dtypes(self, dtype):
        x = sample(dtype, (3, 4))
        check("StridedSlice", input=x, begin=i64(2, 0), end=i64(0, 4), strides=i64(-1, 2))
        check("StridedSliceGrad", shape=i64(3, 4), begin=i64(2, 0), end=i64(0, 4),
              strides=i64(-1, 2), dy=sample(dtype, (2, 2)))
        check("TensorStridedSliceUpdate", input=x, begin=i32(1), end=i32(3), strides=i32(1),
              value=sample(dtype, (1, 4), seed=1))

    def test_int16_indices_and_scalar_new_axis(self):
        check("StridedSlice", input=np.arange(6), begin=np.array([1], np.int16),
              end=np.array([5], np.int16), strides=np.array([2], np.int16))
        check("StridedSlice", input=np.int32(5), begin=i32(0), end=i32(0), strides=i32(1),
              new_axis_mask=1)

    def test_errors(self):
        x = np.arange(6)
        raises("StridedSlice", r"strides\[0\] must be non-zero", x, i32(0), i32(1), i32(0))
        raises("StridedSlice", "slice index 7 of dimension 0 out of bounds.", x, i32(7), i32(8),
               i32(1), shrink_axis_mask=1)
        raises("StridedSlice", "Index out of range using input dim 1; input has only 1 dims", x,
               i32(0, 0), i32(1, 1), i32(1, 1))
        raises("StridedSlice", "Attempting to slice scalar input.", np.float32(1), i32(0), i32(1),
               i32(1))
        raises("StridedSlice", "Multiple ellipses in slice spec not allowed", x, i32(0, 0),
               i32(1, 1), i32(1, 1), ellipsis_mask=3)
        raises("StridedSlice", "only stride 1 allowed on non-range indexing.", x, i32(1), i32(2),
               i32(-1), shrink_axis_mask=1)
        raises("StridedSlice", r"Expected begin, end, and strides to be 1D equal size tensors, but "
               r"got shapes \[2\], \[1\], and \[1\] instead\.", x, i32(0, 0), i32(1), i32(1))
        raises("StridedSliceGrad", r"shape of dy was \[3\] instead of \[2\]", i32(6), i32(0),
               i32(2), i32(1), np.ones(3))
        raises("TensorStridedSliceUpdate", r"Cannot broadcast input shape \[3\] into final shape "
               r"\[2\]", x, i32(0), i32(2), i32(1), np.ones(3, np.int64))

    @pytest.mark.parametrize("begin, size", [([0, 1], [2, 2]), ([1, 0], [-1, -1]), ([2, 3], [0, 0]),
                                             ([0, 0], [2, 3])])
    def test_slice(self, begin, size):
        for dtype in ALL:
            check("Slice", input=sample(dtype, (2, 3)), begin=i64(*begin), size=i64(*size))
        check("Slice", input=np.zeros((0, 3)), begin=i32(0, 1), size=i32(-1, 2))

    def test_slice_errors(self):
        x = np.zeros((2, 3))
        raises("Slice", r"Expected size\[0\] in \[0, 2\], but got 3", x, i32(0, 0), i32(3, 1))
        raises("Slice", r"Expected begin\[0\] in \[0, 2\], but got -1", x, i32(-1, 0), i32(1, 1))
        raises("Slice", r"Expected size\[1\] in \[0, 2\], but got -2", x, i32(1, 1), i32(-1, -2))
        raises("Slice", r"Expected begin and size arguments to be 1-D tensors of size 2, but got "
               r"shapes \[1\] and \[2\] instead\.", x, i32(0), i32(1, 1))


class TestConcatSplit:
    @pytest.mark.parametrize("dtype", ALL)
    def test_concat_pack_unpack_split(self, dtype):
        a, b = sample(dtype, (2, 3)), sample(dtype, (2, 1), seed=1)
        check("ConcatV2", values=[a, b], axis=np.int32(-1))
        check("ConcatV2", values=[a, sample(dtype, (0, 3))], axis=np.int64(0))
        check("Concat", concat_dim=np.int32(1), values=[a, b, a])
        check("Pack", values=[a, a], axis=1)
        check("Pack", values=[a[0, 0], a[1, 1]], axis=-1)
        check("Unpack", value=a, num=3, axis=-1)
        check("Unpack", value=sample(dtype, (0, 2)), num=0)
        check("Split", split_dim=np.int32(1), value=sample(dtype, (2, 6)), num_split=3)
        check("SplitV", value=sample(dtype, (5, 2)), size_splits=np.array([2, -1, 0], np.int8),
              split_dim=np.int32(0), num_split=3)

    def test_parallel_concat(self):
        a = sample("float32", (2, 3))
        check("ParallelConcat", values=[a[:1], a[1:]], shape=[2, 3])
        raises("ParallelConcat", r"update shape doesn't match: \[2,3\]", [a, a], shape=(4, 3))

    def test_concat_errors(self):
        a = np.zeros((2, 3))
        raises("ConcatV2", r"ConcatOp : Ranks of all input tensors should match: shape\[0\] = "
               r"\[2,3\] vs\. shape\[1\] = \[6\]", [a, np.zeros(6)], np.int32(0))
        raises("ConcatV2", r"ConcatOp : Dimension 1 in both shapes must be equal: shape\[0\] = "
               r"\[2,3\] vs\. shape\[1\] = \[3,2\]", [a, np.zeros((3, 2))], np.int32(0))
        raises("ConcatV2", r"ConcatOp : Expected concatenating dimensions in the range \[-2, 2\), "
               "but got 2", [a, a], np.int32(2))
        raises("ConcatV2", r"Can't concatenate scalars \(use tf.stack instead\)",
               [np.float32(1), np.float32(2)], np.int32(0))
        raises("Pack", r"Shapes of all inputs must match: values\[0\]\.shape = \[6\] != "
               r"values\[1\]\.shape = \[3\]", [np.zeros(6), np.zeros(3)])
        raises("Pack", r"axis = 3 not in \[-2, 2\)", [np.zeros(6)] * 2, axis=3)
        raises("Unpack", r"Input shape axis 0 must equal 3, got shape \[2,3\]", a, num=3)
        raises("Unpack", r"axis = 2 not in \[-2, 2\)", a, num=3, axis=2)

    def test_split_errors(self):
        a = np.zeros((2, 3))
        raises("Split", r"Number of ways to split should evenly divide the split dimension, but "
               r"got split_dim 1 \(size = 3\) and num_split 2", np.int32(1), a, num_split=2)
        raises("Split", r"-input rank\(-2\) <= split_dim < input rank \(2\), but got 2",
               np.int32(2), a, num_split=2)
        raises("SplitV", "Determined shape must either match input shape along split_dim exactly "
               "if fully specified, or be less than the size of the input along split_dim if not "
               "fully specified.  Got: 2", a, i64(1, 1), np.int32(1), num_split=2)
        raises("SplitV", "There can only be one -1 in the input.", a, i64(-1, -1), np.int32(1),
               num_split=2)
        raises("SplitV", r"Split size at index 0 must be >= 0. Got: -2", a, i64(-2, 5),
               np.int32(1), num_split=2)
        raises("SplitV", "size of the split_tensor must be 1-D and have the same elements as "
               "outputs got 1 -D and 2 elements", a, i64(1, 2), np.int32(1), num_split=3)

    def test_concat_offset(self):
        for shape_type in (np.int32, np.int64):
            check("ConcatOffset", concat_dim=np.int32(1),
                  shape=[np.array(s, shape_type) for s in ([2, 3], [2, 5], [2, 0])])
            check("ConcatOffset", concat_dim=np.int32(-1),
                  shape=[np.array(s, shape_type) for s in ([2, 3], [2, 5])])
        raises("ConcatOffset", r"All dimensions except 1 must match. Input 1 has shape \[3 5\] "
               r"and doesn't match input 0 with shape \[2 3\]\.", np.int32(1),
               [i32(2, 3), i32(3, 5)])
        raises("ConcatOffset", "Concat dim is out of range: 2 vs. 2", np.int32(2),
               [i32(2, 3), i32(2, 5)])


class TestGatherScatter:
    @pytest.mark.parametrize("dtype", ALL)
    def test_gather_dtypes(self, dtype):
        params = sample(dtype, (3, 4))
        check("GatherV2", params=params, indices=i32(2, 0, 2), axis=np.int32(1))
        check("Gather", params=params, indices=i64(1, 0).reshape(2, 1))
        check("GatherNd", params=params, indices=i32(2, 1, 0, 3).reshape(2, 2))
        check("GatherNd", params=params, indices=np.array([[2, 1]], np.int16))
        check("TensorScatterUpdate", tensor=params, indices=i32(1, 1).reshape(2, 1),
              updates=sample(dtype, (2, 4), seed=3))
        check("ScatterNd", indices=i64(1, 1, 0).reshape(3, 1),
              updates=sample(dtype, (3, 2), seed=3), shape=i64(4, 2))
        # TF's CPU ScatterNd has no int16-index kernel: compare with the int32 result.
        ours = run("ScatterNd", np.array([[1]], np.int16), params[:1], np.array([3, 4], np.int16))
        assert_same(ours, run("ScatterNd", i32(1).reshape(1, 1), params[:1], i32(3, 4)))

    @pytest.mark.parametrize("params_shape, indices_shape, axis, batch_dims", [
        ((5,), (3,), 0, 0), ((5,), (), 0, 0), ((2, 5, 3), (4, 2), 1, 0), ((2, 5, 3), (0,), -1, 0),
        ((2, 5, 3), (2, 4), 1, 1), ((2, 3, 5, 2), (2, 3, 4), 2, 2), ((2, 3, 5), (2, 3), -1, -1),
        ((2, 4, 5), (2, 3, 2), 2, 1), ((0, 3), (0,), 0, 0), ((3, 0), (2,), 0, 0)])
    def test_gather_v2_shapes(self, params_shape, indices_shape, axis, batch_dims):
        params = sample("float32", params_shape)
        limit = params_shape[axis]
        indices = np.random.default_rng(1).integers(0, max(limit, 1), size=indices_shape)
        check("GatherV2", params=params, indices=indices.astype(np.int16), axis=np.int64(axis),
              batch_dims=batch_dims)

    def test_gather_errors(self):
        params = np.zeros((2, 3))
        raises("GatherV2", r"indices\[0,1\] = 5 is not in \[0, 3\)", params,
               i32(0, 5).reshape(1, 2), np.int32(1))
        raises("GatherV2", r"indices\[0,1\] = -1 is not in \[0, 3\)", params,
               i32(0, -1).reshape(1, 2), np.int32(1))
        raises("GatherV2", r"indices = 5 is not in \[0, 2\)", params, np.int32(5), np.int32(0))
        raises("GatherV2", r"indices\[0\] = 0 is not in \[0, 0\)", np.zeros((0, 3)), i32(0),
               np.int32(0))
        raises("GatherV2", r"Expected axis in the range \[-2, 2\), but got 2", params, i32(0),
               np.int32(2))
        raises("GatherV2", r"batch_dims \(1\) must be less than or equal to axis \(0\)\.", params,
               i32(0, 1).reshape(2, 1), np.int32(0), batch_dims=1)
        raises("GatherV2", r"params.shape\[0\]: 2 should be equal to indices.shape\[0\]: 3", params,
               i32(0, 1, 1).reshape(3, 1), np.int32(1), batch_dims=1)
        raises("GatherV2", r"Expected batch_dims in the range \[-2, 2\], but got -3", params,
               i32(0, 1).reshape(2, 1), np.int32(1), batch_dims=-3)
        raises("GatherV2", "params must be at least 1 dimensional", np.float32(1), np.int32(0),
               np.int32(0))

    @pytest.mark.parametrize("params_shape, indices", [
        ((2, 3), [[0, 1], [1, 2]]), ((2, 3), [[1], [0]]), ((2, 3), [1, 2]),
        ((3,), np.zeros((2, 0))),
        ((2, 3, 4), [[[0, 1]], [[1, 2]]]), ((0, 3), np.zeros((0, 1))), ((2, 3), np.zeros((0, 2)))])
    def test_gather_nd_shapes(self, params_shape, indices):
        check("GatherNd", params=sample("int64", params_shape),
              indices=np.asarray(indices, dtype=np.int64))

    def test_gather_nd_bad_indices(self):
        params = sample("float32", (2, 3))
        bad = i32(0, 1, 2, 0).reshape(2, 2)
        check("GatherNd", params=params, indices=bad, bad_indices_policy="IGNORE")
        check("GatherNd", params=sample("string", (2,)), indices=i32(3).reshape(1, 1),
              bad_indices_policy="IGNORE")
        raises("GatherNd", r"indices\[1\] = \[2, 0\] does not index into param shape \[2,3\], "
               "node name: GatherNd", params, bad)
        raises("GatherNd", r"indices\[1,1\] = \[5, 0\] does not index into param shape",
               params, i32(0, 0, 0, 1, 1, 1, 5, 0).reshape(2, 2, 2))
        raises("GatherNd", "index innermost dimension length must be <= params rank; saw: 3 vs. 2",
               params, i32(0, 1, 1).reshape(1, 3))
        raises("GatherNd", r"Requested more than 0 entries, but params is empty.  Params shape: "
               r"\[0,3\]", np.zeros((0, 3)), i32(0).reshape(1, 1))
        raises("GatherNd", "indices must be at least a vector", params, np.int32(1))
        raises("GatherNd", "Unknown bad indices handling attribute: FOO", params, bad,
               bad_indices_policy="FOO")

    @pytest.mark.parametrize("op", ["TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub",
                                    "TensorScatterMax", "TensorScatterMin"])
    @pytest.mark.parametrize("dtype", REAL)
    def test_tensor_scatter(self, op, dtype):
        tensor = sample(dtype, (4, 3))
        indices = i32(1, 3, 1).reshape(3, 1)  # a duplicate index: updates accumulate in order
        check(op, tensor=tensor, indices=indices, updates=sample(dtype, (3, 3), seed=2))
        check(op, tensor=tensor, indices=i64(1, 2, 3, 0).reshape(2, 2),
              updates=sample(dtype, (2,), seed=2))

    @pytest.mark.parametrize("op", ["TensorScatterMax", "TensorScatterMin"])
    def test_tensor_scatter_max_min_nan(self, op):
        tensor = np.array([np.nan, 1, 2, 3], np.float32)
        updates = np.array([5, np.nan, np.nan, 7, -1], np.float32)
        check(op, tensor=tensor, indices=i32(0, 1, 2, 2, 3).reshape(5, 1), updates=updates)

    def test_tensor_scatter_complex_and_overflow(self):
        check("TensorScatterAdd", tensor=sample("complex64", (3,)), indices=i32(0, 0).reshape(2, 1),
              updates=sample("complex64", (2,), seed=4))
        check("TensorScatterAdd", tensor=np.array([127, 0], np.int8), indices=i32(0).reshape(1, 1),
              updates=np.array([1], np.int8))
        check("TensorScatterSub", tensor=np.array([0, 5], np.uint8), indices=i32(0).reshape(1, 1),
              updates=np.array([1], np.uint8))
        check("TensorScatterAdd", tensor=np.zeros(3, np.float32), indices=i32(1, 5).reshape(2, 1),
              updates=np.ones(2, np.float32), bad_indices_policy="IGNORE")

    def test_scatter_nd(self):
        check("ScatterNd", indices=i32(1, 1).reshape(2, 1),
              updates=np.array([b"ab", b"cd"], object), shape=i32(3))
        check("ScatterNd", indices=i32(1, 1).reshape(2, 1), updates=np.array([True, True]),
              shape=i32(3))
        check("ScatterNd", indices=i32(0, 1, 1, 0, 0, 1).reshape(3, 2),
              updates=np.array([1.5, 2, 3], np.float32), shape=i32(2, 2))
        check("ScatterNd", indices=np.zeros((0, 1), np.int32), updates=np.zeros(0, np.float32),
              shape=i32(0))
        check("ScatterNd", indices=i32(5, 1).reshape(2, 1), updates=np.ones(2, np.float32),
              shape=i32(4), bad_indices_policy="IGNORE")

    def test_scatter_errors(self):
        raises("ScatterNd", r"indices\[0\] = \[5\] does not index into shape \[4\]",
               i32(5).reshape(1, 1), np.ones(1), i32(4))
        raises("ScatterNd", r"indices\[0\] = \[-1\] does not index into shape \[4\]",
               i32(-1).reshape(1, 1), np.ones(1), i32(4))
        raises("ScatterNd", r"Dimensions \[0,1\) of indices\[shape=\[2,1\]\] must match dimensions "
               r"\[0,1\) of updates\[shape=\[3\]\]", i32(1, 2).reshape(2, 1), np.ones(3), i32(4))
        raises("ScatterNd", r"Dimensions \[1,1\) of input\[shape=\[4\]\] must match dimensions "
               r"\[1,2\) of updates\[shape=\[2,1\]\]", i32(1, 2).reshape(2, 1), np.ones((2, 1)),
               i32(4))
        raises("ScatterNd", "Shape must be a vector", i32(0).reshape(1, 1), np.ones(1),
               i32(2).reshape(1, 1))
        raises("ScatterNd", "Dimension -2 must be >= 0", i32(0).reshape(1, 1), np.ones(1), i32(-2))
        raises("ScatterNd", "Indices and updates specified for empty output shape",
               np.zeros((2, 0), np.int32), np.ones((2, 3)), i32(3))
        raises("TensorScatterUpdate", r"indices\[0\] = \[7\] does not index into shape \[6\]",
               np.zeros(6), i32(7).reshape(1, 1), np.ones(1))
        raises("TensorScatterUpdate", r"Outer dimensions of indices and update must match. "
               r"Indices shape: \[1,1\], updates shape:\[2\]", np.zeros(6), i32(1).reshape(1, 1),
               np.ones(2))
        raises("TensorScatterUpdate", r"The inner 1 dimensions of output.shape=\[4,3\] must match "
               r"the inner 1 dimensions of updates.shape=\[1,2\]", np.zeros((4, 3)),
               i32(2).reshape(1, 1), np.ones((1, 2)))
        raises("TensorScatterUpdate", "Indices and updates specified for empty output shape",
               np.zeros(0), i32(0).reshape(1, 1), np.ones(1))
        raises("TensorScatterUpdate", r"Output must be at least 1-D, got shape: \[\]",
               np.float64(1), np.zeros((0, 0), np.int32), np.zeros(0))
        raises("TensorScatterUpdate", r"Updates shape must have rank at least one. Found:\[\]",
               np.zeros(4), i32(2).reshape(1, 1), np.float64(1))


class TestPadTileFill:
    @pytest.mark.parametrize("dtype", ALL)
    def test_dtypes(self, dtype):
        x = sample(dtype, (2, 3))
        pads = i32(1, 0, 2, 1).reshape(2, 2)
        check("Pad", input=x, paddings=pads)
        check("PadV2", input=x, paddings=pads.astype(np.int64), constant_values=x[1, 1])
        for mode in ("REFLECT", "SYMMETRIC"):
            check("MirrorPad", input=x, paddings=i32(1, 1, 2, 2).reshape(2, 2), mode=mode)
        if dtype != "uint16":  # TF's CPU Tile kernel rejects uint16 ("not supported")
            check("Tile", input=x, multiples=i64(2, 3))
            check("Tile", input=x, multiples=i32(0, 1))
        check("Fill", dims=i64(2, 0, 3)[:2], value=x[0, 0])
        check("ZerosLike", x=x)
        if dtype != "string":
            check("OnesLike", x=x)

    def test_scalars_and_empty(self):
        check("Pad", input=np.float32(1), paddings=np.zeros((0, 2), np.int32))
        check("Pad", input=np.zeros((0, 2), np.float32), paddings=i32(1, 1, 0, 0).reshape(2, 2))
        check("Tile", input=np.float32(3), multiples=i32())
        check("Fill", dims=i32(), value=np.float32(2))
        check("MirrorPad", input=np.zeros((2, 3)), paddings=i32(0, 2, 1, 1).reshape(2, 2),
              mode="SYMMETRIC")

    def test_errors(self):
        x = np.zeros((2, 3))
        raises("Pad", "Paddings must be non-negative: 0 -1", x, i32(0, -1, 1, 1).reshape(2, 2))
        raises("Pad", r"The first dimension of paddings must be the rank of inputs\[1,2\], \[2,3\]",
               x, i32(0, 1).reshape(1, 2))
        raises("Pad", r"paddings must be a matrix with 2 columns: \[2,3\]", x, np.zeros((2, 3),
                                                                                        np.int32))
        raises("PadV2", r"constant_values must be a scalar. Found: \[1\]", x,
               i32(0, 1, 1, 1).reshape(2, 2), np.zeros(1))
        raises("MirrorPad", "paddings must be less than the dimension size: 0, 2 not less than 2",
               x, i32(0, 2, 1, 1).reshape(2, 2), mode="REFLECT")
        raises("MirrorPad", "paddings must be no greater than the dimension size: 0, 3 greater "
               "than 2", x, i32(0, 3, 1, 1).reshape(2, 2), mode="SYMMETRIC")
        raises("MirrorPad", "paddings must be non-negative: 0 -1", x,
               i32(0, -1, 1, 1).reshape(2, 2), mode="REFLECT")
        raises("Tile", "Expected multiples argument to be a vector of length 2 but got length 1", x,
               i32(2))
        raises("Tile", r"Expected multiples\[1\] >= 0, but got -1", x, i32(2, -1))
        raises("Fill", "Dimension -1 must be >= 0", i32(2, -1), np.float32(1))
        raises("Fill", r"value must represent a scalar, got shape \[2\]", i32(2), np.zeros(2))
        raises("Fill", r"dims must represent a vector, got shape \[1,1\]", i32(2).reshape(1, 1),
               np.float32(1))
        raises("Empty", "Dimension -2 must be >= 0", i32(-2, 3), dtype=dtypes.as_dtype("float32"))

    @pytest.mark.parametrize("dtype", ["float32", "string", "bool", "int8"])
    def test_empty(self, dtype):
        check("Empty", shape=i32(2, 3), dtype=dtype, init=True)


class TestSelectWhere:
    @pytest.mark.parametrize("dtype", ALL)
    def test_dtypes(self, dtype):
        t, e = sample(dtype, (2, 3)), sample(dtype, (2, 3), seed=1)
        check("Select", condition=np.array([[True, False, True], [False, False, True]]), t=t, e=e)
        check("Select", condition=np.array([True, False]), t=t, e=e)
        check("Select", condition=np.array(False), t=t, e=e)
        check("SelectV2", condition=np.array([True, False, True]), t=t, e=e[0, 0])
        if dtype == "float16":  # TF's CPU Where refuses half ("No WhereOp available")
            assert_same(run("Where", sample(dtype, (2, 3, 2))),
                        run("Where", sample(dtype, (2, 3, 2)).astype(np.float32)))
        elif dtype != "string":
            check("Where", input=sample(dtype, (2, 3, 2)))

    def test_where_edge_values(self):
        check("Where", input=np.array([np.nan, -0.0, 0.0, np.inf], np.float32))
        check("Where", input=np.zeros((0, 3), np.int32))
        check("Where", input=np.ones((1, 1, 1, 1, 1, 1), np.int32))
        raises("Where", "WhereOp : Unhandled input dimensions: 0", np.array(True))

    def test_errors(self):
        m = np.zeros((2, 3))
        raises("Select", "Number of batches of 'then' must match size of 'cond', but saw: 2 vs. 3",
               np.array([True, False, True]), m, m)
        raises("Select", r"Input 0: \[1,2\] != input 1: \[2,3\]", np.ones((1, 2), bool), m, m)
        raises("Select", r"'then' and 'else' must have the same size.  but received: \[2,3\] vs. "
               r"\[6\]", np.array(True), m, np.zeros(6))
        raises("Select", r"'then' must be at least a vector, but saw shape: \[\]",
               np.array([True]), np.float64(1), np.float64(2))
        raises("SelectV2", r"condition \[2\], then \[2,3\], and else \[\] must be broadcastable",
               np.array([True, False]), m, np.float64(9))


class TestBroadcastOneHot:
    @pytest.mark.parametrize("dtype", ALL)
    def test_broadcast_to(self, dtype):
        check("BroadcastTo", input=sample(dtype, (3, 1)), shape=i64(2, 3, 4))
        check("BroadcastTo", input=sample(dtype, (1, 3)), shape=i32(0, 3))
        check("BroadcastTo", input=sample(dtype, ()), shape=i32())

    @pytest.mark.parametrize("s0, s1", [
        ([2, 1, 3], [1, 3]), ([1, 1], [1]), ([2, 1], [2, 1]), ([1, 2, 1], [3, 1, 1]),
        ([], [3, 1, 1]),
        ([0, 1], [1, 5]), ([], []), ([5], [5, 1])])
    def test_broadcast_args(self, s0, s1):
        for dtype in (np.int32, np.int64):
            a, b = np.array(s0, dtype), np.array(s1, dtype)
            check("BroadcastArgs", s0=a, s1=b)
            check("BroadcastGradientArgs", s0=a, s1=b)

    def test_broadcast_errors(self):
        raises("BroadcastTo", r"Incompatible shapes: \[3\] vs. \[2,4\]", np.zeros(3), i32(2, 4))
        raises("BroadcastTo", r"Rank of input \(2\) must be no greater than rank of output shape "
               r"\(1\)\.", np.zeros((2, 3)), i32(3))
        raises("BroadcastTo", "Dimension -1 must be >= 0", np.zeros((1, 3)), i32(-1, 3))
        raises("BroadcastArgs", r"Incompatible shapes: \[2,3\] vs. \[4\]", i32(2, 3), i32(4))
        raises("BroadcastGradientArgs", r"Incompatible shapes: \[2,3\] vs. \[4\]", i32(2, 3),
               i32(4))
        raises("BroadcastArgs", r"In\[0\] must be a vector.\[1,1\]", i32(2).reshape(1, 1), i32(1))

    @pytest.mark.parametrize("dtype", ALL)
    def test_one_hot(self, dtype):
        on, off = sample(dtype, (), seed=1), sample(dtype, (), seed=2)
        for ti in (np.int32, np.int64, np.uint8, np.int8):
            indices = np.array([[0, 2], [5, 1]], ti) if ti == np.uint8 else np.array(
                [[0, -1], [5, 1]], ti)
            for axis in (-1, 0, 1, 2):
                check("OneHot", indices=indices, depth=np.int32(3), on_value=on, off_value=off,
                      axis=axis)
        check("OneHot", indices=np.zeros(0, np.int64), depth=np.int32(0), on_value=on,
              off_value=off)

    def test_one_hot_errors(self):
        on, off = np.float32(1), np.float32(0)
        raises("OneHot", "depth must be non-negative, got: -1", i64(0, 1), np.int32(-1), on, off)
        raises("OneHot", r"Expected axis to be -1 or between \[0, 2\).  But received: 2",
               i64(0, 1), np.int32(3), on, off, axis=2)
        raises("OneHot", r"on_value must be a scalar, but got: \[1\]", i64(0), np.int32(3),
               np.ones(1, np.float32), off)


class TestReverseRoll:
    @pytest.mark.parametrize("dtype", ALL)
    def test_dtypes(self, dtype):
        x = sample(dtype, (2, 3, 4))
        check("ReverseV2", tensor=x, axis=i32(0, -1))
        check("ReverseV2", tensor=x, axis=i64())
        check("Reverse", tensor=x, dims=np.array([True, False, True]))
        check("ReverseSequence", input=x, seq_lengths=i64(3, 0), seq_dim=1, batch_dim=0)
        check("ReverseSequence", input=x, seq_lengths=i32(4, 1, 2), seq_dim=2, batch_dim=1)
        check("ReverseSequence", input=x, seq_lengths=i32(2, 1, 2, 0), seq_dim=0, batch_dim=2)
        check("Roll", input=x, shift=i32(1, -5, 2), axis=i64(2, 0, 2))
        check("Roll", input=x, shift=np.int64(7), axis=np.int32(-1))

    def test_errors(self):
        x = np.zeros((2, 3))
        raises("ReverseV2", "axis 0 specified more than once.", x, i32(0, 0))
        raises("ReverseV2", "axis 1 specified more than once.", x, i32(1, -1))
        raises("ReverseV2", r"'axis'\[0\] = 2 is out of valid range \[0, 2\)", x, i32(2))
        raises("Reverse", "'dims' must have the same number of values as 'input' has dimensions",
               x, np.array([True]))
        raises("ReverseSequence", r"seq_lens\(0\) > input.dims\(1\)", x, i64(4, 1), seq_dim=1)
        raises("ReverseSequence", r"seq_lens\(0\) < 0", x, i64(-1, 1), seq_dim=1)
        raises("ReverseSequence", r"Length of seq_lengths != input.dims\(0\), \(1 vs. 2\)", x,
               i64(1), seq_dim=1)
        raises("ReverseSequence", "batch_dim == seq_dim == 1", x, i64(1, 2), seq_dim=1,
               batch_dim=1)
        raises("ReverseSequence", r"seq_dim must be < input rank \( 2 vs. 2\)", x, i64(1, 2),
               seq_dim=2)
        raises("Roll", "shift and axis must have the same size", x, i32(1, 2), i32(1))
        raises("Roll", "axis 2 is out of range", x, i32(1), i32(2))
        raises("Roll", "axis -1 is out of range", x, i32(1), i32(-3))
        raises("Roll", "input must be 1-D or higher", np.float32(1), np.int32(1), np.int32(0))


class TestUniqueAndSets:
    @pytest.mark.parametrize("dtype", [d for d in ALL if not d.startswith("complex")])
    def test_unique_dtypes(self, dtype):
        x = sample(dtype, (12,))
        for out_idx in ("int32", "int64"):
            check("Unique", x=x, out_idx=out_idx)
            check("UniqueWithCounts", x=x, out_idx=out_idx)
        x2 = sample(dtype, (4, 3))
        x2[2] = x2[0]
        for axis in ([0], [1], [-1], np.zeros(0, np.int64)):
            kwargs = dict(x=x2 if len(axis) else x, axis=np.asarray(axis, np.int64))
            check("UniqueV2", **kwargs)
            check("UniqueWithCountsV2", **kwargs)

    def test_unique_nan_and_signed_zero(self):
        x = np.array([np.nan, 1, np.nan, -0.0, 0.0, 1], np.float32)
        check("UniqueWithCounts", x=x)
        rows = np.array([[np.nan, 2], [np.nan, 2], [-0.0, 4], [0.0, 4]], np.float32)
        check("UniqueWithCountsV2", x=rows, axis=i32(0))
        check("Unique", x=np.zeros(0, np.float64))
        check("UniqueV2", x=np.zeros((0, 3), np.int32), axis=i64(0))
        check("UniqueV2", x=np.zeros((3, 0), np.int32), axis=i64(0))

    def test_unique_errors(self):
        raises("Unique", "unique expects a 1D vector.", np.zeros((2, 2)))
        raises("UniqueV2", r"axis has to be between \[0, 2\)", np.zeros((2, 2)), i64(2))
        raises("UniqueV2", "axis does not support input tensors larger than 1 elements",
               np.zeros((2, 2)), i64(0, 1))
        raises("UniqueV2", "axis expects a 1D vector.", np.zeros((2, 2)), np.int64(0))

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "int8", "uint64",
                                       "string"])
    def test_list_diff(self, dtype):
        x, y = sample(dtype, (10,)), sample(dtype, (4,), seed=5)
        check("ListDiff", x=x, y=y, out_idx="int64")
        check("ListDiff", x=x, y=x[:0])
        check("ListDiff", x=np.array([np.nan, -0.0, 1], np.float32),
              y=np.array([np.nan, 0.0], np.float32))
        raises("ListDiff", "x should be a 1D vector.", np.zeros((1, 1)), np.zeros(1))

    def test_invert_permutation(self):
        for dtype in (np.int32, np.int64):
            check("InvertPermutation", x=np.array([2, 0, 3, 1], dtype))
            check("InvertPermutation", x=np.zeros(0, dtype))
        raises("InvertPermutation", "0 is duplicated in the input.", i32(0, 0, 1))
        raises("InvertPermutation", "3 is not between 0 and 3", i32(0, 3, 1))
        raises("InvertPermutation", "invert_permutation expects a 1D vector.", i32(0).reshape(1, 1))

    def test_unravel_index(self):
        for dtype in (np.int32, np.int64):
            check("UnravelIndex", indices=np.array([1, 5, 0, -1, -7], dtype),
                  dims=np.array([2, 3], dtype))
            check("UnravelIndex", indices=np.array(4, dtype), dims=np.array([2, 3], dtype))
            check("UnravelIndex", indices=np.array([3], dtype), dims=np.array([4], dtype))
        raises("UnravelIndex", "index is out of bound as with dims", np.int32(6), i32(2, 3))
        raises("UnravelIndex", "Input dims cannot contain a dim of zero, but dims contains zero at "
               "index 1", np.int32(1), i32(2, 0))
        raises("UnravelIndex", "Input dims cannot be negative. Got dim = -2 at index 0",
               np.int32(1), i32(-2, 3))

    @pytest.mark.parametrize("dtype", REAL)
    def test_bounds(self, dtype):
        sorted_inputs = np.sort(sample(dtype, (3, 6)), axis=1)
        values = sample(dtype, (3, 4), seed=1)
        for op in ("LowerBound", "UpperBound"):
            for out_type in ("int32", "int64"):
                check(op, sorted_inputs=sorted_inputs, values=values, out_type=out_type)

    def test_bounds_nan_and_errors(self):
        sorted_inputs = np.array([[1.0, 2, 3]], np.float32)
        values = np.array([[np.nan, 2, 5, -np.inf]], np.float32)
        check("LowerBound", sorted_inputs=sorted_inputs, values=values)
        check("UpperBound", sorted_inputs=sorted_inputs, values=values)
        check("LowerBound", sorted_inputs=np.zeros((2, 0), np.float32),
              values=np.ones((2, 1), np.float32))
        raises("LowerBound", "Leading dim_size of both tensors must match.", sorted_inputs,
               np.ones((2, 1), np.float32))
        raises("UpperBound", "Shape must be rank 2 but is rank 1", np.ones(3), np.ones(2))

    @pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
    def test_bucketize(self, dtype):
        x = np.array([[-1, 0.1, 1, 5, 2.5, 3]]).astype(np_dtype(dtype))
        check("Bucketize", input=x, boundaries=[0.1, 1.0, 2.0, 3.0])
        check("Bucketize", input=x, boundaries=[])
        check("Bucketize", input=np.array([16777217, 0], np.int64), boundaries=[16777216.0, 1e9])
        check("Bucketize", input=np.array([0.1, 0.10000000149011612, np.nan]), boundaries=[0.1])
        raises("Bucketize", "Expected sorted boundaries", x, boundaries=[2.0, 1.0])


class TestMatrixDiag:
    @pytest.mark.parametrize("dtype", [d for d in ALL if d != "string"])
    def test_dtypes(self, dtype):
        diagonal = sample(dtype, (2, 3))
        pad = sample(dtype, (), seed=7)
        check("MatrixDiag", diagonal=diagonal)
        check("MatrixDiagPart", input=sample(dtype, (2, 3, 4)))
        check("MatrixSetDiag", input=sample(dtype, (2, 4, 3)), diagonal=diagonal)
        check("MatrixBandPart", input=sample(dtype, (2, 4, 5)), num_lower=np.int64(1),
              num_upper=np.int64(-1))
        check("MatrixDiagV3", diagonal=sample(dtype, (2, 2, 3)), k=i32(-1, 0),
              num_rows=np.int32(-1), num_cols=np.int32(-1), padding_value=pad)
        check("MatrixDiagPartV3", input=sample(dtype, (3, 4)), k=i32(-1, 2), padding_value=pad)
        if dtype in ("float16", "float32", "float64", "int32", "int64", "complex64",
                     "complex128"):
            check("Diag", diagonal=sample(dtype, (2, 3)))
            check("DiagPart", input=sample(dtype, (2, 3, 2, 3)))

    @pytest.mark.parametrize("k", [0, 2, -2, [-1, 1], [-3, -1], [1, 3], [-2, 4]])
    @pytest.mark.parametrize("align", ["LEFT_RIGHT", "RIGHT_LEFT", "LEFT_LEFT", "RIGHT_RIGHT"])
    def test_diag_v3_family(self, k, align):
        x = sample("float32", (2, 4, 5))
        k = np.asarray(k, np.int32)
        part = run("MatrixDiagPartV3", x, k, np.float32(9), align=align)
        check("MatrixDiagPartV3", input=x, k=k, padding_value=np.float32(9), align=align)
        check("MatrixSetDiagV3", input=x, diagonal=-part, k=k, align=align)
        for rows, cols in ((-1, -1), (4, -1), (-1, 5), (4, 5)):
            check("MatrixDiagV3", diagonal=part, k=k, num_rows=np.int32(rows),
                  num_cols=np.int32(cols), padding_value=np.float32(-7), align=align)
        check("MatrixDiagPartV2", input=x, k=k, padding_value=np.float32(9))
        check("MatrixSetDiagV2", input=x, diagonal=-run("MatrixDiagPartV2", x, k, np.float32(0)),
              k=k)
        check("MatrixDiagV2", diagonal=part, k=k, num_rows=np.int32(-1), num_cols=np.int32(-1),
              padding_value=np.float32(3))

    def test_band_part_limits(self):
        x = sample("int32", (3, 4))
        for lower in (-1, 0, 2, 3):
            for upper in (-5, 0, 1, 4):
                check("MatrixBandPart", input=x, num_lower=np.int32(lower),
                      num_upper=np.int32(upper))

    def test_empty_matrices(self):
        check("MatrixDiagPartV3", input=np.zeros((0, 3), np.float32), k=np.int32(1),
              padding_value=np.float32(0))
        check("MatrixDiagPart", input=np.zeros((2, 0, 0), np.float32))
        check("MatrixSetDiag", input=np.zeros((0, 3, 3), np.int32),
              diagonal=np.zeros((0, 3), np.int32))
        check("MatrixDiag", diagonal=np.zeros((2, 0), np.float32))
        check("DiagPart", input=np.float32(3))

    def test_errors(self):
        m = np.zeros((2, 3), np.float32)
        zero = np.float32(0)
        raises("MatrixDiagV3", "lower_diag_index must not be larger than upper_diag_index: 1 > 0",
               m, i32(1, 0), np.int32(-1), np.int32(-1), zero)
        raises("MatrixDiagV3", "The number of diagonals provided in the input does not match",
               m, i32(0, 2), np.int32(-1), np.int32(-1), zero)
        raises("MatrixDiagV3", "The number of rows is too small.", m[0], np.int32(0), np.int32(2),
               np.int32(-1), zero)
        raises("MatrixDiagV3", "The number of rows or columns is not consistent", m[0],
               np.int32(0), np.int32(4), np.int32(5), zero)
        raises("MatrixDiagV3", "diag_index must have only one or two elements, received 3",
               m, i32(0, 1, 2), np.int32(-1), np.int32(-1), zero)
        raises("MatrixDiagV3", r"diagonal must be at least 1-dim, received shape: \[\]", zero,
               np.int32(0), np.int32(-1), np.int32(-1), zero)
        raises("MatrixDiagPartV3", "lower_diag_index is out of bound: -2. It must be between -2 "
               "and 3", m, i32(-2, 0), zero)
        raises("MatrixDiagPartV3", r"input must be at least 2-dim, received shape: \[6\]",
               np.zeros(6), np.int32(0), zero)
        raises("MatrixSetDiagV3", "Either first dimensions of diagonal don't match", m,
               np.zeros(3, np.float32), np.int32(0))
        raises("MatrixBandPart", r"num_lower must be negative or less or equal to number of rows "
               r"\(2\) got: 3", m, np.int64(3), np.int64(0))
        raises("MatrixBandPart", r"num_upper must be negative or less or equal to number of "
               r"columns \(3\) got: 4", m, np.int64(0), np.int64(4))
        raises("Diag", "Input must be at least rank 1, got 0", zero)
        raises("DiagPart", r"Invalid shape \[2,3\]: dimensions 0 and 1 do not match.", m)
        raises("DiagPart", r"The rank of the tensor should be even and positive, got shape \[6\]",
               np.zeros(6))


class TestSpaceDepth:
    @pytest.mark.parametrize("dtype", REAL)
    def test_space_batch_dtypes(self, dtype):
        x = sample(dtype, (2, 4, 6, 3))
        check("SpaceToBatchND", input=x, block_shape=i32(2, 3),
              paddings=i32(1, 1, 0, 3).reshape(2, 2))
        check("BatchToSpaceND", input=sample(dtype, (12, 2, 3, 1)), block_shape=i64(2, 3),
              crops=i64(1, 0, 2, 1).reshape(2, 2))
        check("SpaceToBatch", input=x, paddings=i32(0, 0, 1, 1).reshape(2, 2), block_size=2)
        check("BatchToSpace", input=sample(dtype, (8, 2, 3, 1)),
              crops=i32(0, 1, 1, 0).reshape(2, 2), block_size=2)

    @pytest.mark.parametrize("block, pads, shape", [
        ([2], [[1, 1]], (3, 4)), ([1, 1], [[0, 0], [0, 0]], (1, 2, 2, 1)),
        ([1, 2], [[0, 0], [1, 1]], (2, 3, 2)),
        ([2, 2, 2], [[0, 0], [0, 2], [1, 1]], (1, 2, 2, 2, 1)),
        ([3], [[0, 2]], (0, 4))])
    def test_space_batch_shapes(self, block, pads, shape):
        x = sample("float32", shape)
        check("SpaceToBatchND", input=x, block_shape=i32(*block),
              paddings=np.array(pads, np.int32))
        out = run("SpaceToBatchND", x, i32(*block), np.array(pads, np.int32))
        check("BatchToSpaceND", input=out, block_shape=i32(*block), crops=np.array(pads, np.int32))

    @pytest.mark.parametrize("dtype", ALL)
    def test_depth_space_dtypes(self, dtype):
        check("SpaceToDepth", input=sample(dtype, (2, 4, 6, 3)), block_size=2)
        check("DepthToSpace", input=sample(dtype, (2, 2, 3, 12)), block_size=2)

    @pytest.mark.parametrize("op, shape", [("SpaceToDepth", (2, 4, 6, 4)),
                                           ("DepthToSpace", (2, 2, 3, 16))])
    def test_nchw_formats_match_nhwc(self, op, shape):
        # TF's CPU kernels only take NHWC; NCHW must equal transposing around the NHWC op.
        x = sample("int8", shape)
        nhwc = run(op, x, block_size=2)
        nchw = run(op, np.ascontiguousarray(x.transpose(0, 3, 1, 2)), block_size=2,
                   data_format="NCHW")
        np.testing.assert_array_equal(nchw, nhwc.transpose(0, 3, 1, 2))
        n, h, w, c = x.shape
        vect = np.ascontiguousarray(x.reshape(n, h, w, c // 4, 4).transpose(0, 3, 1, 2, 4))
        out = run(op, vect, block_size=2, data_format="NCHW_VECT_C")
        np.testing.assert_array_equal(out.transpose(0, 2, 3, 1, 4).reshape(nhwc.shape), nhwc)

    def test_errors(self):
        raises("SpaceToBatchND", r"padded_shape\[0\]=5 is not divisible by block_shape\[0\]=2",
               np.zeros((1, 5, 4, 1)), i32(2, 2), np.zeros((2, 2), np.int32))
        raises("SpaceToBatchND", "Paddings must be non-negative", np.zeros((1, 4, 4, 1)),
               i32(2, 2), i32(0, -1, 0, 0).reshape(2, 2))
        raises("SpaceToBatchND", "All values in block_shape must be positive, got value, 0 at "
               "index 0.", np.zeros((1, 4, 4, 1)), i32(0, 2), np.zeros((2, 2), np.int32))
        raises("SpaceToBatchND", r"paddings should have shape \[2, 2\] instead of \[1,2\]",
               np.zeros((1, 4, 4, 1)), i32(2, 2), np.zeros((1, 2), np.int32))
        raises("SpaceToBatchND", "input rank should be >= 3 instead of 2", np.zeros((1, 4)),
               i32(2, 2), np.zeros((2, 2), np.int32))
        raises("BatchToSpaceND", r"Input batch dimension \(3\) is not divisible by product of "
               r"block sizes \(4\)", np.zeros((3, 2, 2, 1)), i32(2, 2), np.zeros((2, 2), np.int32))
        raises("BatchToSpaceND", r"cropped_shape\[0\]=-1 must be non-negative",
               np.zeros((4, 2, 2, 1)), i32(2, 2), i32(0, 5, 0, 0).reshape(2, 2))
        raises("BatchToSpaceND", "Crops must be non-negative", np.zeros((4, 2, 2, 1)), i32(2, 2),
               i32(0, -1, 0, 0).reshape(2, 2))
        raises("SpaceToDepth", "Image width 4 and height 5 should be divisible by block_size: 2",
               np.zeros((1, 5, 4, 1)), block_size=2)
        raises("SpaceToDepth", "Input rank should be 4 instead of 3", np.zeros((5, 4, 1)),
               block_size=2)
        raises("DepthToSpace", "Input depth dimension 6 should be divisible by: 4",
               np.zeros((1, 2, 2, 6)), block_size=2)
        raises("SpaceToBatch", "Input rank should be: 4instead of: 3", np.zeros((1, 4, 4)),
               np.zeros((2, 2), np.int32), block_size=2)


def _quant_inputs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(2000).astype(np.float32) * 4
    grid = np.linspace(-6, 6, 481, dtype=np.float32)  # hits rounding ties
    return np.concatenate([values, grid, np.array([0, -0.0, np.inf, -np.inf, np.nan], np.float32)])


class TestQuantization:
    @settings(max_examples=60, deadline=None)
    @given(st.floats(-10, 0, width=32), st.floats(0.015625, 10, width=32), st.integers(2, 16),
           st.booleans())
    def test_fake_quant(self, low, high, num_bits, narrow_range):
        x = _quant_inputs(num_bits)
        check("FakeQuantWithMinMaxArgs", inputs=x, min=low, max=high, num_bits=num_bits,
              narrow_range=narrow_range)
        check("FakeQuantWithMinMaxVars", inputs=x, min=np.float32(low), max=np.float32(high),
              num_bits=num_bits, narrow_range=narrow_range)
        check("FakeQuantWithMinMaxVarsPerChannel", inputs=x.reshape(-1, 2),
              min=np.array([low, low / 3], np.float32), max=np.array([high, high * 2], np.float32),
              num_bits=num_bits, narrow_range=narrow_range)

    def test_fake_quant_degenerate_ranges(self):
        x = _quant_inputs(0)
        for low, high in [(1.0, -1.0), (0.5, 2.0), (-2.0, -0.5), (0.0, 0.0), (1.0, 1.0),
                          (-1.0, -1.0)]:
            check("FakeQuantWithMinMaxVars", inputs=x, min=np.float32(low), max=np.float32(high))
        check("FakeQuantWithMinMaxVarsPerChannel", inputs=x[:20].reshape(-1, 2),
              min=np.array([0, -1], np.float32), max=np.array([0, 1], np.float32))

    def test_fake_quant_errors(self):
        x = np.zeros(3, np.float32)
        raises("FakeQuantWithMinMaxArgs", "min has to be smaller than max, was: 1 >= -1", x,
               min=1.0, max=-1.0)
        raises("FakeQuantWithMinMaxArgs", "num_bits must be between 2 and 16, inclusive", x,
               num_bits=17)
        raises("FakeQuantWithMinMaxVars", "`min` must be rank 0 but is rank 1", x,
               np.zeros(1, np.float32), np.float32(1))
        raises("FakeQuantWithMinMaxVarsPerChannel", "min has incorrect size, expected 1 was 2",
               x.reshape(3, 1), np.zeros(2, np.float32), np.ones(2, np.float32))

    @settings(max_examples=60, deadline=None)
    @given(st.floats(-8, 8, width=32),
           st.floats(-8, 8, width=32), st.integers(1, 16),
           st.booleans(), st.booleans(), st.booleans(),
           st.sampled_from(["HALF_TO_EVEN", "HALF_UP"]))
    def test_quantize_dequantize(self, a, b, num_bits, signed, range_given, narrow, round_mode):
        low, high = min(a, b), max(a, b)
        for dtype in (np.float32, np.float64):
            x = _quant_inputs(num_bits)[:-3].astype(dtype)  # no inf/NaN: they set the range
            args = dict(input=x, input_min=dtype(low), input_max=dtype(high),
                        signed_input=signed, num_bits=num_bits, range_given=range_given,
                        narrow_range=narrow)
            check("QuantizeAndDequantizeV2", round_mode=round_mode, **args)
            check("QuantizeAndDequantizeV4", round_mode=round_mode, **args)
            args["num_bits"] = np.int32(num_bits)
            check("QuantizeAndDequantizeV3", **args)

    def test_quantize_dequantize_per_channel(self):
        x = _quant_inputs(1)[:2480].reshape(4, 20, 31)
        for axis in (0, 1, 2):
            check("QuantizeAndDequantizeV2", input=x, input_min=np.float32(0),
                  input_max=np.float32(0), axis=axis)
            depth = x.shape[axis]
            check("QuantizeAndDequantizeV3", input=x,
                  input_min=-np.linspace(1, 3, depth).astype(np.float32),
                  input_max=np.linspace(0.5, 4, depth).astype(np.float32), num_bits=np.int32(5),
                  axis=axis, range_given=True)

    def test_quantize_dequantize_edges(self):
        x = np.array([np.nan, 1, 2, -0.0], np.float32)
        check("QuantizeAndDequantizeV2", input=x, input_min=np.float32(-1),
              input_max=np.float32(1), range_given=True)
        check("QuantizeAndDequantizeV2", input=x, input_min=np.float32(0),
              input_max=np.float32(0))
        check("QuantizeAndDequantizeV2", input=np.zeros(3, np.float32), input_min=np.float32(0),
              input_max=np.float32(0))
        check("QuantizeAndDequantizeV2", input=np.zeros(0, np.float32), input_min=np.float32(0),
              input_max=np.float32(0))
        check("QuantizeAndDequantizeV2", input=x[1:], input_min=np.float32(0),
              input_max=np.float32(0), range_given=True)

    def test_quantize_dequantize_errors(self):
        x = np.zeros(3, np.float32)
        one = np.float32(1)
        raises("QuantizeAndDequantizeV2", "num_bits is out of range: 0 with signed_input_ 1", x,
               -one, one, num_bits=0)
        raises("QuantizeAndDequantizeV2", "num_bits is out of range: 63 with signed_input_ 0", x,
               -one, one, num_bits=63, signed_input=False)
        raises("QuantizeAndDequantizeV2", "Invalid range: input_min 1 > input_max -1", x, one,
               -one, range_given=True)
        raises("QuantizeAndDequantizeV2", "Axis must be at least -1. Found -2", x, -one, one,
               axis=-2)
        raises("QuantizeAndDequantizeV2", "Shape must be at least rank 2 but is rank 1", x, -one,
               one, axis=1)
        raises("QuantizeAndDequantizeV2", "input_min must be a scalar.", x,
               np.ones(1, np.float32), one, range_given=True)
        raises("QuantizeAndDequantizeV3", "num_bits is out of range: 70 with `signed_input_` 1", x,
               -one, one, np.int32(70))
        raises("QuantizeAndDequantizeV3", "The `num_bits` tensor should be a scalar", x, -one, one,
               i32(8))


class TestNarrowDtypes:
    @pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2"])
    def test_float8_copy_ops(self, name):
        x = (np.arange(12).reshape(3, 4) / 4).astype(getattr(ml_dtypes, name))
        check("Transpose", x=x, perm=i32(1, 0))
        check("ConcatV2", values=[x, x], axis=np.int32(0))
        check("Pack", values=[x, x])
        check("Unpack", value=x, num=3)
        check("Slice", input=x, begin=i32(1, 1), size=i32(2, 2))
        check("StridedSlice", input=x, begin=i32(2, 0), end=i32(0, 4), strides=i32(-1, 2))
        check("GatherV2", params=x, indices=i32(2, 0), axis=np.int32(0))
        check("GatherNd", params=x, indices=i32(2, 0).reshape(1, 2))
        check("Split", split_dim=np.int32(1), value=x, num_split=2)
        check("BroadcastTo", input=x[:1], shape=i32(2, 4))

    @pytest.mark.parametrize("name", ["int4", "uint4"])
    def test_int4_fill_and_split(self, name):
        dtype = getattr(ml_dtypes, name)
        check("Fill", dims=i32(2, 3), value=np.array(3, dtype))
        check("SplitV", value=np.arange(4).astype(dtype), size_splits=i64(1, 3),
              split_dim=np.int32(0), num_split=2)
