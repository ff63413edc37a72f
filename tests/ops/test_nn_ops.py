"""nn kernels (activations, softmax, bias, convolution, pooling, batch norm, losses) vs tf.raw_ops."""

from __future__ import annotations


import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.nn_ops  # noqa: F401  (registers the nn family)
from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.format import dtypes as sm_dtypes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


from tests.ops.conftest import assert_same, run  # noqa: E402
BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = [np.dtype(np.float16), BF16, np.dtype(np.float32), np.dtype(np.float64)]
RNG = np.random.default_rng(1234)


def tf_op(name: str, **kwargs):
    """tf.raw_ops.<name> with NumPy inputs pinned to their dtype (raw_ops would use attr defaults)."""
    pinned = {k: tf.constant(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(tf.raw_ops, name)(**pinned)


def tol(dtype: np.dtype, f32: float = 1e-5) -> float:
    return {np.dtype(np.float16): 2e-3, BF16: 1.6e-2, np.dtype(np.float64): 1e-12}.get(dtype, f32)


def close(ours, theirs, dtype: np.dtype, f32: float = 1e-5) -> None:
    """Same dtype/shape and values within ``tol`` relative to the result's scale."""
    ref = theirs.numpy().astype(np.float64)
    scale = float(np.nanmax(np.abs(ref[np.isfinite(ref)]))) if np.isfinite(ref).any() else 1.0
    assert_same(ours, theirs, rtol=tol(dtype, f32), atol=tol(dtype, f32) * max(scale, 1.0))


def normal(shape, dtype, scale: float = 1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(dtype)


EDGES = np.array(
    [0.0, -0.0, 1.5, -2.25, 5.9, 6.0, 7.5, -30.0, 30.0, 1e-6, -1e-6, np.inf, -np.inf, np.nan]
)


class TestActivation:
    FLOAT_OPS = ("Elu", "Selu", "Softplus", "Softsign")
    RELU_TYPES = tuple(FLOATS) + tuple(
        np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
    )

    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    @pytest.mark.parametrize("op", [*FLOAT_OPS, "Relu", "Relu6"])
    def test_float_activations(self, op, dtype):
        x = np.concatenate([EDGES, RNG.uniform(-20, 20, 50)]).astype(dtype).reshape(4, 16)
        close(run(op, x), tf_op(op, features=x), dtype, 2e-6)

    @pytest.mark.parametrize("dtype", RELU_TYPES[4:], ids=str)
    @pytest.mark.parametrize("op", ["Relu", "Relu6"])
    def test_integer_relus(self, op, dtype):
        info = np.iinfo(dtype)
        x = np.array([info.min, info.max, 0, 1, 5, 6, 7, info.min // 2 if info.min else 3], dtype)
        assert_same(run(op, x), tf_op(op, features=x))

    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    @pytest.mark.parametrize("alpha", [0.2, 2.0, -0.5])
    def test_leaky_relu(self, dtype, alpha):
        x = EDGES.astype(dtype)
        close(run("LeakyRelu", x, alpha=alpha), tf_op("LeakyRelu", features=x, alpha=alpha), dtype)
        g = normal(x.shape, dtype)
        close(
            run("LeakyReluGrad", g, x, alpha=alpha),
            tf_op("LeakyReluGrad", gradients=g, features=x, alpha=alpha),
            dtype,
        )

    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    @pytest.mark.parametrize(
        "op,second",
        [
            ("ReluGrad", "features"),
            ("Relu6Grad", "features"),
            ("EluGrad", "outputs"),
            ("SeluGrad", "outputs"),
            ("SoftplusGrad", "features"),
            ("SoftsignGrad", "features"),
        ],
    )
    def test_gradients(self, op, second, dtype):
        x = np.concatenate([EDGES, RNG.uniform(-8, 8, 18)]).astype(dtype)
        g = normal(x.shape, dtype)
        close(run(op, g, x), tf_op(op, gradients=g, **{second: x}), dtype, 2e-6)

    def test_relu_grad_integer_and_empty(self):
        x = np.array([-3, 0, 4, 7], np.int32)
        g = np.array([10, 20, 30, 40], np.int32)
        assert_same(run("Relu6Grad", g, x), tf_op("Relu6Grad", gradients=g, features=x))
        empty = np.zeros((0, 3), np.float32)
        assert_same(run("Elu", empty), tf_op("Elu", features=empty))

    def test_grad_shape_mismatch(self):
        with pytest.raises(InvalidArgumentError, match=r"same shape, got \(2,\) and \(3,\)"):
            run("ReluGrad", np.ones(2, np.float32), np.ones(3, np.float32))


class TestSoftmax:
    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    @pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
    @pytest.mark.parametrize("shape", [(7,), (3, 11), (2, 3, 5), (4, 0), (0, 3)])
    def test_matches_tensorflow(self, op, dtype, shape):
        x = normal(shape, dtype, 4.0)
        close(run(op, x), tf_op(op, logits=x), dtype, 2e-6)

    def test_infinities(self):
        x = np.array([[-np.inf, 1.0, 2.0], [3.0, -np.inf, -np.inf]], np.float32)
        assert_same(run("LogSoftmax", x), tf_op("LogSoftmax", logits=x), rtol=1e-6)
        assert_same(run("Softmax", x), tf_op("Softmax", logits=x), rtol=1e-6)

    def test_scalar_refused(self):
        with pytest.raises(InvalidArgumentError, match="logits must have >= 1 dimension"):
            run("Softmax", np.float32(1.0))


class TestBias:
    @pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
    @pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 5), (2, 3, 2, 2, 2), (0, 3, 1)])
    def test_layouts(self, data_format, shape):
        x = normal(shape, np.float32)
        bias = normal(shape[1] if data_format == "NCHW" else shape[-1], np.float32)
        assert_same(
            run("BiasAdd", x, bias, data_format=data_format),
            tf_op("BiasAdd", value=x, bias=bias, data_format=data_format),
        )
        assert_same(
            run("BiasAddGrad", x, data_format=data_format),
            tf_op("BiasAddGrad", out_backprop=x, data_format=data_format),
            rtol=1e-5,
        )

    @pytest.mark.parametrize(
        "dtype",
        FLOATS + [np.dtype(np.int8), np.dtype(np.uint16), np.dtype(np.int64), np.dtype(np.complex64)],
        ids=str,
    )
    def test_dtypes(self, dtype):
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            x = np.array([[info.max, info.min, 1], [0, 5, info.max]], dtype)
            bias = np.array([1, info.max, 3], dtype)
        else:
            x, bias = normal((4, 3), dtype), normal(3, dtype)
            if dtype.kind == "c":
                x = x + 1j * normal((4, 3), np.float32)
        assert_same(run("BiasAdd", x, bias), tf_op("BiasAdd", value=x, bias=bias))
        assert_same(run("BiasAddV1", x, bias), tf_op("BiasAddV1", value=x, bias=bias))
        close(run("BiasAddGrad", x), tf_op("BiasAddGrad", out_backprop=x), dtype)

    def test_errors(self):
        with pytest.raises(InvalidArgumentError, match=r"at least 2D: \[3\]"):
            run("BiasAdd", np.ones(3, np.float32), np.ones(3, np.float32))
        with pytest.raises(InvalidArgumentError, match=r"as many biases .*\[4\] vs. \[2, 3\]"):
            run("BiasAdd", np.ones((2, 3), np.float32), np.ones(4, np.float32))
        with pytest.raises(InvalidArgumentError, match="Biases must be 1D"):
            run("BiasAdd", np.ones((2, 3), np.float32), np.ones((1, 3), np.float32))


CONV_CASES = [  # (padding, strides, dilations, explicit paddings of H and W)
    ("VALID", 1, 1, None),
    ("SAME", 1, 1, None),
    ("SAME", 2, 1, None),
    ("VALID", 3, 1, None),
    ("SAME", 1, 2, None),
    ("VALID", 1, 2, None),
    ("EXPLICIT", 1, 1, (1, 2, 0, 1)),
    ("EXPLICIT", 2, 1, (2, 0, 1, 1)),
]


def _conv_attrs(padding, stride, dilation, explicit, data_format="NHWC"):
    spatial = [1, stride, stride, 1] if data_format == "NHWC" else [1, 1, stride, stride]
    dil = [1, dilation, dilation, 1] if data_format == "NHWC" else [1, 1, dilation, dilation]
    pads = []
    if explicit:
        hw = [explicit[0], explicit[1], explicit[2], explicit[3]]
        pads = [0, 0, *hw, 0, 0] if data_format == "NHWC" else [0, 0, 0, 0, *hw]
    return {
        "strides": spatial,
        "padding": padding,
        "explicit_paddings": pads,
        "dilations": dil,
        "data_format": data_format,
    }


class TestConv:
    @pytest.mark.parametrize("case", CONV_CASES, ids=str)
    @pytest.mark.parametrize("fshape", [(3, 2, 6, 4), (1, 1, 6, 5), (3, 3, 2, 6)], ids=str)
    @pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
    def test_conv2d(self, case, fshape, data_format):
        x = normal((2, 9, 8, 6), np.float32)
        if data_format == "NCHW":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        f = normal(fshape, np.float32)
        attrs = _conv_attrs(*case, data_format)
        close(run("Conv2D", x, f, **attrs), tf_op("Conv2D", input=x, filter=f, **attrs), x.dtype)

    @pytest.mark.parametrize("case", CONV_CASES, ids=str)
    @pytest.mark.parametrize("multiplier", [1, 3])
    def test_depthwise(self, case, multiplier):
        x = normal((2, 9, 8, 5), np.float32)
        f = normal((3, 2, 5, multiplier), np.float32)
        attrs = _conv_attrs(*case)
        close(
            run("DepthwiseConv2dNative", x, f, **attrs),
            tf_op("DepthwiseConv2dNative", input=x, filter=f, **attrs),
            x.dtype,
        )
        nchw = _conv_attrs(*case, "NCHW")
        xn = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        close(
            run("DepthwiseConv2dNative", xn, f, **nchw),
            tf_op("DepthwiseConv2dNative", input=xn, filter=f, **nchw),
            x.dtype,
        )

    @pytest.mark.parametrize(
        "case", [c for c in CONV_CASES if not (c[0] == "EXPLICIT" and c[2] > 1)], ids=str
    )
    def test_conv2d_backprop_input(self, case):
        x_shape = (2, 9, 8, 6)
        f = normal((3, 2, 6, 4), np.float32)
        attrs = _conv_attrs(*case)
        dy = run("Conv2D", np.zeros(x_shape, np.float32), f, **attrs) + normal(1, np.float32)
        dy = normal(dy.shape, np.float32)
        sizes = np.array(x_shape, np.int32)
        close(
            run("Conv2DBackpropInput", sizes, f, dy, **attrs),
            tf_op("Conv2DBackpropInput", input_sizes=sizes, filter=f, out_backprop=dy, **attrs),
            np.dtype(np.float32),
        )
        spatial = np.array(x_shape[1:3], np.int32)
        close(
            run("Conv2DBackpropInput", spatial, f, dy, **attrs),
            tf_op("Conv2DBackpropInput", input_sizes=spatial, filter=f, out_backprop=dy, **attrs),
            np.dtype(np.float32),
        )

    @pytest.mark.parametrize("padding", ["SAME", "VALID"])
    @pytest.mark.parametrize("data_format", ["NDHWC", "NCDHW"])
    def test_conv3d_and_transpose(self, padding, data_format):
        x = normal((2, 5, 6, 7, 3), np.float32)
        f = normal((2, 3, 2, 3, 4), np.float32)
        strides = [1, 2, 1, 2, 1]
        if data_format == "NCDHW":
            x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
            strides = [1, 1, 2, 1, 2]
        attrs = {"strides": strides, "padding": padding, "data_format": data_format}
        y = run("Conv3D", x, f, **attrs)
        close(y, tf_op("Conv3D", input=x, filter=f, **attrs), x.dtype)
        sizes = np.array(x.shape, np.int64)
        close(
            run("Conv3DBackpropInputV2", sizes, f, y, **attrs),
            tf_op("Conv3DBackpropInputV2", input_sizes=sizes, filter=f, out_backprop=y, **attrs),
            x.dtype,
        )

    @pytest.mark.parametrize(
        "dtype", [np.dtype(np.float16), BF16, np.dtype(np.float64), np.dtype(np.int32)], ids=str
    )
    def test_dtypes(self, dtype):
        x = normal((2, 7, 6, 4), np.float32, 2.0).astype(dtype)
        f = normal((3, 3, 4, 5), np.float32).astype(dtype)
        attrs = {"strides": [1, 1, 1, 1], "padding": "SAME"}
        close(run("Conv2D", x, f, **attrs), tf_op("Conv2D", input=x, filter=f, **attrs), dtype)
        if dtype.kind == "f" or dtype == BF16:
            fd = f[..., :1]
            close(
                run("DepthwiseConv2dNative", x, fd, **attrs),
                tf_op("DepthwiseConv2dNative", input=x, filter=fd, **attrs),
                dtype,
            )

    def test_grouped_and_extra_batch_dims(self):
        x = normal((2, 7, 6, 6), np.float32)
        f = normal((3, 3, 2, 9), np.float32)
        attrs = {"strides": [1, 1, 1, 1], "padding": "SAME"}
        close(run("Conv2D", x, f, **attrs), tf_op("Conv2D", input=x, filter=f, **attrs), x.dtype)
        # Leading batch dimensions; TensorFlow's oneDNN kernel drops them, so compare image by image.
        x5 = normal((2, 3, 7, 6, 2), np.float32)
        ours = run("Conv2D", x5, f, **attrs)
        assert ours.shape == (2, 3, 7, 6, 9)
        theirs = tf_op("Conv2D", input=x5.reshape(6, 7, 6, 2), filter=f, **attrs)
        close(ours.reshape(6, 7, 6, 9), theirs, x.dtype)

    def test_empty_batch_has_output_shape(self):
        out = run(
            "Conv2D",
            np.zeros((0, 5, 5, 3), np.float32),
            np.ones((2, 2, 3, 4), np.float32),
            strides=[1, 1, 1, 1],
            padding="VALID",
        )
        assert out.shape == (0, 4, 4, 4) and out.dtype == np.float32

    def test_errors(self):
        x, f = np.ones((1, 5, 5, 4), np.float32), np.ones((2, 2, 3, 4), np.float32)
        with pytest.raises(InvalidArgumentError, match="evenly divisible by filter depth: 4 vs 3"):
            run("Conv2D", x, f, strides=[1, 1, 1, 1], padding="VALID")
        with pytest.raises(InvalidArgumentError, match="Computed output size would be negative"):
            run(
                "Conv2D",
                x[..., :3],
                np.ones((7, 7, 3, 1), np.float32),
                strides=[1, 1, 1, 1],
                padding="VALID",
            )
        with pytest.raises(UnimplementedError, match="batch and depth dimensions must be 1"):
            run("Conv2D", x[..., :3], f, strides=[2, 1, 1, 1], padding="VALID")
        with pytest.raises(InvalidArgumentError, match="explicit_paddings must have 8 values"):
            run(
                "Conv2D",
                x[..., :3],
                f,
                strides=[1, 1, 1, 1],
                padding="EXPLICIT",
                explicit_paddings=[1, 1],
            )
        with pytest.raises(InvalidArgumentError, match="Size of out_backprop doesn't match computed"):
            run(
                "Conv2DBackpropInput",
                np.array([1, 6, 6, 3], np.int32),
                f,
                np.ones((1, 4, 4, 4), np.float32),
                strides=[1, 1, 1, 1],
                padding="VALID",
            )


class TestPool:
    @pytest.mark.parametrize("padding", ["SAME", "VALID"])
    @pytest.mark.parametrize("window", [(2, 2), (3, 2), (3, 1), (1, 1), (5, 3)], ids=str)
    @pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
    def test_max_and_avg(self, padding, window, data_format):
        k, s = window
        x = normal((2, 9, 8, 3), np.float32)
        x[0, 0, 0, 0], x[1, 2, 3, 1] = np.nan, -np.inf
        attrs = {
            "ksize": [1, k, k, 1],
            "strides": [1, s, s, 1],
            "padding": padding,
            "data_format": data_format,
        }
        if data_format == "NCHW":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
            attrs.update(ksize=[1, 1, k, k], strides=[1, 1, s, s])
        assert_same(run("MaxPool", x, **attrs), tf_op("MaxPool", input=x, **attrs))
        assert_same(run("AvgPool", x, **attrs), tf_op("AvgPool", value=x, **attrs), rtol=1e-6)

    @pytest.mark.parametrize(
        "dtype",
        FLOATS + [np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.int64)],
        ids=str,
    )
    def test_dtypes_and_extremes(self, dtype):
        x = np.array([[-np.inf, -np.inf, 1.0, np.nan], [-np.inf, -np.inf, np.nan, np.nan]])
        x = x.reshape(1, 2, 4, 1)
        if dtype.kind in "iu":
            x = RNG.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, (2, 5, 4, 2), endpoint=True)
        x = x.astype(dtype)
        attrs = {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
        assert_same(run("MaxPool", x, **attrs), tf_op("MaxPool", input=x, **attrs))
        if dtype.kind == "f" or dtype == BF16:
            close(run("AvgPool", x, **attrs), tf_op("AvgPool", value=x, **attrs), dtype)

    @pytest.mark.parametrize("padding", ["SAME", "VALID"])
    def test_3d(self, padding):
        x = normal((2, 5, 6, 7, 3), np.float32)
        attrs = {"ksize": [1, 3, 2, 2, 1], "strides": [1, 2, 1, 2, 1], "padding": padding}
        assert_same(run("MaxPool3D", x, **attrs), tf_op("MaxPool3D", input=x, **attrs))
        assert_same(run("AvgPool3D", x, **attrs), tf_op("AvgPool3D", input=x, **attrs), rtol=1e-6)
        xn = np.ascontiguousarray(np.moveaxis(x, -1, 1))
        attrs.update(ksize=[1, 1, 3, 2, 2], strides=[1, 1, 2, 1, 2], data_format="NCDHW")
        assert_same(run("MaxPool3D", xn, **attrs), tf_op("MaxPool3D", input=xn, **attrs))

    def test_v2_explicit_and_depth(self):
        x = normal((2, 9, 8, 6), np.float32)
        ksize, strides = np.array([1, 3, 3, 1], np.int32), np.array([1, 2, 2, 1], np.int32)
        assert_same(
            run("MaxPoolV2", x, ksize, strides, padding="SAME"),
            tf_op("MaxPoolV2", input=x, ksize=ksize, strides=strides, padding="SAME"),
        )
        explicit = {
            "ksize": [1, 3, 3, 1],
            "strides": [1, 2, 2, 1],
            "padding": "EXPLICIT",
            "explicit_paddings": [0, 0, 1, 2, 0, 1, 0, 0],
        }
        assert_same(run("MaxPool", x, **explicit), tf_op("MaxPool", input=x, **explicit))
        depth = {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3], "padding": "VALID"}
        assert_same(run("MaxPool", x, **depth), tf_op("MaxPool", input=x, **depth))

    @pytest.mark.parametrize("padding", ["SAME", "VALID"])
    @pytest.mark.parametrize("include_batch", [False, True])
    @pytest.mark.parametrize(
        "dtype", [np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.float16)], ids=str
    )
    def test_with_argmax(self, padding, include_batch, dtype):
        x = RNG.integers(0, 4, (2, 7, 6, 3)).astype(dtype)  # many ties: first maximum wins
        if dtype.kind == "f":
            x[0, 0, 0, 0], x[1, 1, 1, 1] = np.nan, 9
        attrs = {
            "ksize": [1, 3, 2, 1],
            "strides": [1, 2, 2, 1],
            "padding": padding,
            "include_batch_in_index": include_batch,
        }
        ours = run("MaxPoolWithArgmax", x, Targmax=sm_dtypes.as_dtype("int32"), **attrs)
        theirs = tf_op("MaxPoolWithArgmax", input=x, Targmax=tf.int32, **attrs)
        assert_same(ours[0], theirs[0])
        assert_same(ours[1], theirs[1])

    def test_errors(self):
        x = np.ones((1, 4, 4, 1), np.float32)
        with pytest.raises(UnimplementedError, match="Pooling is not yet supported on the batch"):
            run("MaxPool", x, ksize=[2, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        with pytest.raises(InvalidArgumentError, match="must be 4-dimensional"):
            run("AvgPool", x[0], ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        with pytest.raises(UnimplementedError, match="NCHW_VECT_C"):
            run(
                "MaxPool",
                x,
                ksize=[1, 2, 2, 1],
                strides=[1, 2, 2, 1],
                padding="SAME",
                data_format="NCHW_VECT_C",
            )


class TestBatchNorm:
    @pytest.mark.parametrize("training", [False, True])
    @pytest.mark.parametrize("factor", [1.0, 0.3])
    @pytest.mark.parametrize(
        "layout",
        [
            ("NHWC", (2, 4, 5, 3)),
            ("NCHW", (2, 3, 4, 5)),
            ("NDHWC", (2, 3, 4, 2, 3)),
            ("NCDHW", (2, 3, 2, 4, 2)),
        ],
        ids=str,
    )
    def test_v3(self, training, factor, layout):
        data_format, shape = layout
        x = normal(shape, np.float32, 3.0) + 1
        scale, offset = normal(3, np.float32), normal(3, np.float32)
        mean, var = normal(3, np.float32), np.abs(normal(3, np.float32)) + 0.5
        attrs = {
            "epsilon": 0.001,
            "exponential_avg_factor": factor,
            "data_format": data_format,
            "is_training": training,
        }
        ours = run("FusedBatchNormV3", x, scale, offset, mean, var, **attrs)
        theirs = tf_op(
            "FusedBatchNormV3", x=x, scale=scale, offset=offset, mean=mean, variance=var, **attrs
        )
        # TensorFlow's oneDNN kernel leaves the statistics of 5-D inputs uninitialized; compare y there.
        for a, b in zip(ours, theirs if len(shape) == 4 else theirs[:1]):
            assert_same(a, b, rtol=2e-5, atol=2e-5)

    @pytest.mark.parametrize(
        "op,dtype",
        [
            ("FusedBatchNorm", np.float32),
            ("FusedBatchNormV2", np.float16),
            ("FusedBatchNormV2", BF16),
            ("FusedBatchNormV3", np.float16),
        ],
        ids=str,
    )
    @pytest.mark.parametrize("training", [False, True])
    def test_versions_and_dtypes(self, op, dtype, training):
        x = normal((3, 4, 4, 2), np.float32, 2.0).astype(dtype)
        vectors = [
            normal(2, np.float32),
            normal(2, np.float32),
            normal(2, np.float32),
            np.abs(normal(2, np.float32)) + 0.5,
        ]
        ours = run(op, x, *vectors, is_training=training)
        theirs = tf_op(
            op,
            x=x,
            scale=vectors[0],
            offset=vectors[1],
            mean=vectors[2],
            variance=vectors[3],
            is_training=training,
        )
        close(ours[0], theirs[0], np.dtype(dtype))
        for a, b in zip(ours[1:], theirs[1:]):
            assert_same(a, b, rtol=1e-5, atol=1e-5)

    def test_empty_input_and_single_element(self):
        vectors = [
            np.ones(3, np.float32),
            np.zeros(3, np.float32),
            np.zeros(3, np.float32),
            np.ones(3, np.float32),
        ]
        for x in (np.zeros((0, 2, 2, 3), np.float32), normal((1, 1, 1, 3), np.float32)):
            ours = run("FusedBatchNormV3", x, *vectors, is_training=True)
            theirs = tf_op(
                "FusedBatchNormV3",
                x=x,
                scale=vectors[0],
                offset=vectors[1],
                mean=vectors[2],
                variance=vectors[3],
                is_training=True,
            )
            for a, b in zip(ours, theirs):
                assert_same(a, b, rtol=1e-6)

    def test_errors(self):
        x = np.ones((1, 2, 2, 3), np.float32)
        ones = np.ones(3, np.float32)
        with pytest.raises(InvalidArgumentError, match="scale must have the same number of elements"):
            run("FusedBatchNormV3", x, np.ones(4, np.float32), ones, ones, ones, is_training=False)
        with pytest.raises(InvalidArgumentError, match="input must be 4-dimensional"):
            run("FusedBatchNormV3", x[None], ones, ones, ones, ones, is_training=False)
        with pytest.raises(InvalidArgumentError, match="mean must have the same number"):
            run("FusedBatchNormV3", x, ones, ones, np.ones(0, np.float32), ones, is_training=False)


class TestLossAndMisc:
    @pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float16)], ids=str)
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"depth_radius": 2, "bias": 2.0, "alpha": 0.3, "beta": 0.75},
            {"depth_radius": 0, "beta": 1.0},
        ],
        ids=str,
    )
    def test_lrn(self, dtype, params):
        x = normal((2, 3, 4, 9), np.float32).astype(dtype)
        close(run("LRN", x, **params), tf_op("LRN", input=x, **params), dtype)

    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    def test_l2_loss(self, dtype):
        x = normal((5, 7), dtype)
        close(run("L2Loss", x), tf_op("L2Loss", t=x), dtype)

    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    def test_softmax_cross_entropy(self, dtype):
        features = normal((4, 6), dtype, 3.0)
        labels = RNG.dirichlet(np.ones(6), 4).astype(dtype)
        for lab in (labels, labels[:1]):
            ours = run("SoftmaxCrossEntropyWithLogits", features, lab)
            theirs = tf_op("SoftmaxCrossEntropyWithLogits", features=features, labels=lab)
            for a, b in zip(ours, theirs):
                close(a, b, dtype, 2e-6)
        sparse = np.array([0, 5, 2, 2], np.int64)
        for lab in (sparse, sparse.astype(np.int32)):
            ours = run("SparseSoftmaxCrossEntropyWithLogits", features, lab)
            theirs = tf_op("SparseSoftmaxCrossEntropyWithLogits", features=features, labels=lab)
            for a, b in zip(ours, theirs):
                close(a, b, dtype, 2e-6)

    def test_cross_entropy_errors(self):
        with pytest.raises(InvalidArgumentError, match="broadcasted to be 2-dimensional"):
            run("SoftmaxCrossEntropyWithLogits", np.zeros(3, np.float32), np.zeros(3, np.float32))
        with pytest.raises(
            InvalidArgumentError, match=r"label value of 5 which is outside the valid range of \[0, 3\)"
        ):
            run("SparseSoftmaxCrossEntropyWithLogits", np.zeros((2, 3), np.float32), np.array([0, 5]))

    @pytest.mark.parametrize(
        "dtype", [np.dtype(np.int32), np.dtype(np.float32), BF16, np.dtype(np.uint8)], ids=str
    )
    @pytest.mark.parametrize("reverse", [False, True])
    def test_nth_element(self, dtype, reverse):
        x = RNG.integers(0, 50, (3, 4, 7)).astype(dtype)
        for n in (0, 3, 6):
            assert_same(
                run("NthElement", x, np.int32(n), reverse=reverse),
                tf_op("NthElement", input=x, n=np.int32(n), reverse=reverse),
            )
        with pytest.raises(InvalidArgumentError, match="last dimension > n = 7"):
            run("NthElement", x, np.int32(7))

    @pytest.mark.parametrize(
        "formats", [("NHWC", "NCHW"), ("NCHW", "NHWC"), ("HWNC", "NHWC"), ("NDHWC", "NCDHW")], ids=str
    )
    @pytest.mark.parametrize("dtype", [np.int32, np.int64])
    def test_data_format_ops(self, formats, dtype):
        src, dst = formats
        n = len(src)
        x = np.arange(-n, 2 * n).astype(dtype)
        assert_same(
            run("DataFormatDimMap", x, src_format=src, dst_format=dst),
            tf_op("DataFormatDimMap", x=x, src_format=src, dst_format=dst),
        )
        for vec in (np.arange(10, 10 + n), np.arange(n - 2), np.arange(2 * n).reshape(n, 2)):
            vec = vec.astype(dtype)
            assert_same(
                run("DataFormatVecPermute", vec, src_format=src, dst_format=dst),
                tf_op("DataFormatVecPermute", x=vec, src_format=src, dst_format=dst),
            )

    def test_data_format_errors(self):
        with pytest.raises(InvalidArgumentError, match="must determine a permutation"):
            run("DataFormatDimMap", np.array([0], np.int32), src_format="NHWC", dst_format="NHWW")
        with pytest.raises(InvalidArgumentError, match=r"vector of size 2 or 4"):
            run("DataFormatVecPermute", np.arange(3, dtype=np.int32))
