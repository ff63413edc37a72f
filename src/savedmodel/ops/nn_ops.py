"""The nn op family: activations and their gradients, softmax, bias, batch norm, LRN, losses, formats.

Mirrors ``tensorflow/core/ops/nn_ops.cc`` (OpDefs) and the CPU kernels in ``relu_op_functor.h``,
``softplus_op.h``, ``softmax_op_functor.h``, ``bias_op.cc``, ``fused_batch_norm_op.cc``, ``lrn_op.cc``,
``xent_op.cc``, ``nth_element_op.cc`` and ``data_format_ops.cc``. Elementwise formulas run in the
input dtype, one rounding per operation like Eigen (so float16/bfloat16 results match); reductions of
float16/bfloat16 accumulate in float32. Convolutions live in ``nn_conv_ops`` and pooling in
``nn_pool_ops``, imported here so that importing this module registers the whole family.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops import _windows as W
from savedmodel.ops import nn_conv_ops, nn_pool_ops  # noqa: F401  (register convolutions and pooling)
from savedmodel.ops.registry import add_op, make_op_def, register_op

_FLOATS = "{half, bfloat16, float, double}"
_RELU_TYPES = ("{float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, "
               "uint64}")
_BIAS_TYPES = ("{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, "
               "bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALE_ALPHA = 1.7580993408473768599402175208123


def _c(x: np.ndarray, value: float):
    """``value`` as a scalar of x's dtype, so NumPy keeps x's dtype."""
    return x.dtype.type(value)


def _relu(x):
    return np.maximum(x, _c(x, 0))


def _relu6(x):
    return np.minimum(np.maximum(x, _c(x, 0)), _c(x, 6))


def _elu(x):
    return np.where(x < _c(x, 0), np.exp(x) - _c(x, 1), x)


def _selu(x):
    return np.where(x < _c(x, 0), _c(x, _SELU_SCALE_ALPHA) * (np.exp(x) - _c(x, 1)),
                    _c(x, _SELU_SCALE) * x)


def _softplus(x):
    threshold = np.log(_c(x, ml_dtypes.finfo(x.dtype).eps)) + _c(x, 2)
    with np.errstate(over="ignore"):
        exp = np.exp(x)
        return np.where(x > -threshold, x, np.where(x < threshold, exp, np.log1p(exp)))


def _softsign(x):
    return x / (np.abs(x) + _c(x, 1))


def _relu_grad(g, x):
    return g * (x > _c(x, 0)).astype(g.dtype)


def _relu6_grad(g, x):
    return g * ((x > _c(x, 0)) & (x < _c(x, 6))).astype(g.dtype)


def _elu_grad(g, y):
    return np.where(y < _c(y, 0), (y + _c(y, 1)) * g, g)


def _selu_grad(g, y):
    return np.where(y < _c(y, 0), g * (y + _c(y, _SELU_SCALE_ALPHA)), g * _c(g, _SELU_SCALE))


def _softplus_grad(g, x):
    with np.errstate(over="ignore"):
        return g / (np.exp(-x) + _c(x, 1))


def _softsign_grad(g, x):
    return g / np.square(np.abs(x) + _c(x, 1))


_ACTIVATIONS = [("Relu", _relu, _RELU_TYPES), ("Relu6", _relu6, _RELU_TYPES), ("Elu", _elu, _FLOATS),
                ("Selu", _selu, _FLOATS), ("Softplus", _softplus, _FLOATS),
                ("Softsign", _softsign, _FLOATS)]
_ACTIVATION_GRADS = [("ReluGrad", _relu_grad, _RELU_TYPES, "features"),
                     ("Relu6Grad", _relu6_grad, _RELU_TYPES, "features"),
                     ("EluGrad", _elu_grad, _FLOATS, "outputs"),
                     ("SeluGrad", _selu_grad, _FLOATS, "outputs"),
                     ("SoftplusGrad", _softplus_grad, _FLOATS, "features"),
                     ("SoftsignGrad", _softsign_grad, _FLOATS, "features")]


def _unary(fn):
    def kernel(ctx, features, **_):
        return (np.asarray(fn(features)),)
    return kernel


def _binary(fn):
    def kernel(ctx, gradients, features, **_):
        if gradients.shape != features.shape:
            raise InvalidArgumentError(f"{ctx.where}: gradients and features must have the same shape, "
                                       f"got {gradients.shape} and {features.shape}.")
        return (np.asarray(fn(gradients, features)),)
    return kernel


for _name, _fn, _types in _ACTIVATIONS:
    add_op(make_op_def(_name, ["features: T"], ["activations: T"], [f"T: type {_types}"]), _unary(_fn))
for _name, _fn, _types, _second in _ACTIVATION_GRADS:
    add_op(make_op_def(_name, ["gradients: T", f"{_second}: T"], ["backprops: T"], [f"T: type {_types}"]),
           _binary(_fn))


def _check_min_rank(ctx, x: np.ndarray, rank: int, what: str = "Input tensor") -> None:
    if x.ndim < rank:
        raise InvalidArgumentError(f"{ctx.where}: {what} must be at least {rank}D: {list(x.shape)}.")


def _channel_axis(x: np.ndarray, data_format: str) -> int:
    return 1 if data_format.startswith("NC") and x.ndim >= 2 else x.ndim - 1


def _softmax_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logits - max, sum(exp(logits - max))) along the last axis, in float32 for 16-bit floats."""
    x = x.astype(W.compute_dtype(x.dtype), copy=False)
    with np.errstate(invalid="ignore"):
        shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted, np.sum(np.exp(shifted), axis=-1, keepdims=True)


def _check_logits(ctx, logits: np.ndarray) -> None:
    if logits.ndim < 1:
        raise InvalidArgumentError(
            f"{ctx.where}: logits must have >= 1 dimension, got shape {logits.shape}.")


def _batch_norm_layout(ctx, x: np.ndarray, data_format: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """x moved to channels-last, and the axes a batch norm reduces over."""
    rank = 5 if data_format in ("NDHWC", "NCDHW") else 4
    if x.ndim != rank:
        raise InvalidArgumentError(f"{ctx.where}: input must be {rank}-dimensional for data_format "
                                   f"{data_format!r}, got shape {x.shape}.")
    xc = W.to_channels_last(x, data_format)
    return xc, tuple(range(rank - 1))


def _check_vectors(ctx, channels: int, scale, offset, mean, variance, needs_stats: bool) -> None:
    for name, value in (("scale", scale), ("offset", offset)):
        if value.ndim != 1 or value.shape[0] != channels:
            raise InvalidArgumentError(
                f"{ctx.where}: {name} must have the same number of elements as the "
                f"channels of x, got {value.size} and {channels}.")
    for name, value in (("mean", mean), ("variance", variance)):
        if needs_stats and (value.ndim != 1 or value.shape[0] != channels):
            raise InvalidArgumentError(
                f"{ctx.where}: When is_training=false or exponential_avg_factor != 1, {name} must "
                f"have the same number of elements as the channels of x, got {value.size} and "
                f"{channels}.")


def _fused_batch_norm(ctx, x, scale, offset, mean, variance, epsilon: float, factor: float,
                      data_format: str, is_training: bool) -> tuple[np.ndarray, ...]:
    """(y, batch_mean, batch_variance, reserve_1, reserve_2) of TensorFlow's FusedBatchNorm."""
    xc, axes = _batch_norm_layout(ctx, x, data_format)
    channels = xc.shape[-1]
    _check_vectors(ctx, channels, scale, offset, mean, variance, not is_training or factor != 1.0)
    u = np.float32
    xf = xc.astype(u, copy=False)
    if xc.size == 0:
        nan = np.full(channels, np.nan, u)
        zero = np.zeros(channels, u)
        return x.copy(), nan, nan.copy(), zero, zero.copy()
    if is_training:
        n = xc.size // channels
        batch_mean = np.mean(xf, axis=axes, dtype=u)
        centered = xf - batch_mean
        batch_var = np.mean(np.square(centered), axis=axes, dtype=u)
        unbiased = batch_var * u(n / max(n - 1, 1))
        running_mean, running_var = batch_mean, unbiased
        if factor != 1.0:
            f = u(factor)
            running_mean = (u(1) - f) * mean.astype(u) + f * batch_mean
            running_var = (u(1) - f) * variance.astype(u) + f * unbiased
        stats = (running_mean, running_var, batch_mean, batch_var)
    else:
        batch_mean, batch_var = mean.astype(u), variance.astype(u)
        centered = xf - batch_mean
        stats = (batch_mean, batch_var, batch_mean, batch_var)
    y = centered * (u(1) / np.sqrt(batch_var + u(epsilon)) * scale.astype(u)) + offset.astype(u)
    y = W.from_channels_last(y.astype(x.dtype, copy=False), data_format)
    return (y, *(np.array(s, u) for s in stats))


def _labels_2d(ctx, features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        shape = np.broadcast_shapes(features.shape, labels.shape)
    except ValueError:
        shape = ()
    if len(shape) != 2:
        raise InvalidArgumentError(
            f"{ctx.where}: logits and labels must be either 2-dimensional, or broadcasted to be "
            f"2-dimensional, got shapes {features.shape} and {labels.shape}.")
    return np.broadcast_to(features, shape), np.broadcast_to(labels, shape)


def _format_permutation(ctx, src: str, dst: str) -> None:
    for name, fmt in (("Source", src), ("Destination", dst)):
        if len(fmt) not in (4, 5):
            raise InvalidArgumentError(
                f"{ctx.where}: {name} format must be of length 4 or 5, got {fmt!r}.")
    if sorted(src) != sorted(dst) or len(set(src)) != len(src):
        raise InvalidArgumentError(f"{ctx.where}: Destination and source format must determine a "
                                   f"permutation, got {src!r} and {dst!r}.")


# --- Non-trivial kernels, alphabetical -------------------------------------------------------------

@register_op("BiasAdd", inputs=["value: T", "bias: T"], outputs=["output: T"],
             attrs=[f"T: type {_BIAS_TYPES}", "data_format: string {'NHWC', 'NCHW'} = 'NHWC'"])
def _bias_add(ctx, value, bias, *, data_format, **_):
    _check_min_rank(ctx, value, 2)
    if bias.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: Biases must be 1D: {list(bias.shape)}.")
    axis = _channel_axis(value, data_format)
    if bias.shape[0] != value.shape[axis]:
        raise InvalidArgumentError(
            f"{ctx.where}: Must provide as many biases as the channel dimension of the input tensor: "
            f"{list(bias.shape)} vs. {list(value.shape)}.")
    shape = [1] * value.ndim
    shape[axis] = bias.shape[0]
    return (np.add(value, bias.reshape(shape), dtype=value.dtype),)


@register_op("BiasAddGrad", inputs=["out_backprop: T"], outputs=["output: T"],
             attrs=[f"T: type {_BIAS_TYPES}", "data_format: string {'NHWC', 'NCHW'} = 'NHWC'"])
def _bias_add_grad(ctx, out_backprop, *, data_format, **_):
    _check_min_rank(ctx, out_backprop, 2)
    axis = _channel_axis(out_backprop, data_format)
    axes = tuple(a for a in range(out_backprop.ndim) if a != axis)
    acc = W.compute_dtype(out_backprop.dtype)
    return (np.sum(out_backprop, axis=axes, dtype=acc).astype(out_backprop.dtype, copy=False),)


@register_op("BiasAddV1", inputs=["value: T", "bias: T"], outputs=["output: T"],
             attrs=[f"T: type {_BIAS_TYPES}"])
def _bias_add_v1(ctx, value, bias, **_):
    return _bias_add(ctx, value, bias, data_format="NHWC")


@register_op("DataFormatDimMap", inputs=["x: T"], outputs=["y: T"],
             attrs=["T: type {int32, int64} = DT_INT32", "src_format: string = 'NHWC'",
                    "dst_format: string = 'NCHW'"])
def _data_format_dim_map(ctx, x, *, src_format, dst_format, **_):
    _format_permutation(ctx, src_format, dst_format)
    table = np.array([dst_format.index(c) for c in src_format], x.dtype)
    return (table[np.mod(x, len(src_format))],)


@register_op("DataFormatVecPermute", inputs=["x: T"], outputs=["y: T"],
             attrs=["T: type {int32, int64} = DT_INT32", "src_format: string = 'NHWC'",
                    "dst_format: string = 'NCHW'"])
def _data_format_vec_permute(ctx, x, *, src_format, dst_format, **_):
    _format_permutation(ctx, src_format, dst_format)
    full, spatial = len(src_format), len(src_format) - 2
    if x.ndim not in (1, 2) or x.shape[0] not in (spatial, full) or (x.ndim == 2 and x.shape[1] != 2):
        raise InvalidArgumentError(
            f"{ctx.where}: input must be a vector of size {spatial} or {full}, or a 2D tensor of shape "
            f"[{spatial} or {full}, 2], got shape {list(x.shape)}.")
    if x.shape[0] == spatial:
        src_format = "".join(c for c in src_format if c not in "NC")
        dst_format = "".join(c for c in dst_format if c not in "NC")
    return (x[[src_format.index(c) for c in dst_format]],)


@register_op("FusedBatchNorm",
             inputs=["x: T", "scale: T", "offset: T", "mean: T", "variance: T"],
             outputs=["y: T", "batch_mean: T", "batch_variance: T", "reserve_space_1: T",
                      "reserve_space_2: T"],
             attrs=["T: type {float}", "epsilon: float = 9.999999747378752e-05",
                    "exponential_avg_factor: float = 1.0",
                    "data_format: string {'NHWC', 'NCHW'} = 'NHWC'",
                    "is_training: bool = true"])
def _fused_batch_norm_v1(ctx, x, scale, offset, mean, variance, *, epsilon, exponential_avg_factor,
                         data_format, is_training, **_):
    return _fused_batch_norm(ctx, x, scale, offset, mean, variance, epsilon, exponential_avg_factor,
                             data_format, is_training)


@register_op("FusedBatchNormV2",
             inputs=["x: T", "scale: U", "offset: U", "mean: U", "variance: U"],
             outputs=["y: T", "batch_mean: U", "batch_variance: U", "reserve_space_1: U",
                      "reserve_space_2: U"],
             attrs=["T: type {half, bfloat16, float}", "U: type {float}",
                    "epsilon: float = 9.999999747378752e-05", "exponential_avg_factor: float = 1.0",
                    "data_format: string {'NHWC', 'NCHW'} = 'NHWC'", "is_training: bool = true"])
def _fused_batch_norm_v2(ctx, x, scale, offset, mean, variance, *, epsilon, exponential_avg_factor,
                         data_format, is_training, **_):
    return _fused_batch_norm(ctx, x, scale, offset, mean, variance, epsilon, exponential_avg_factor,
                             data_format, is_training)


@register_op("FusedBatchNormV3",
             inputs=["x: T", "scale: U", "offset: U", "mean: U", "variance: U"],
             outputs=["y: T", "batch_mean: U", "batch_variance: U", "reserve_space_1: U",
                      "reserve_space_2: U", "reserve_space_3: U"],
             attrs=["T: type {half, bfloat16, float}", "U: type {bfloat16, float}",
                    "epsilon: float = 9.999999747378752e-05", "exponential_avg_factor: float = 1.0",
                    "data_format: string {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = 'NHWC'",
                    "is_training: bool = true"])
def _fused_batch_norm_v3(ctx, x, scale, offset, mean, variance, *, U, epsilon, exponential_avg_factor,
                         data_format, is_training, **_):
    outputs = _fused_batch_norm(ctx, x, scale, offset, mean, variance, epsilon, exponential_avg_factor,
                                data_format, is_training)
    stats = tuple(s.astype(U.numpy, copy=False) for s in outputs[1:])
    return (outputs[0], *stats, np.zeros(0, U.numpy))


@register_op("L2Loss", inputs=["t: T"], outputs=["output: T"], attrs=[f"T: type {_FLOATS}"])
def _l2_loss(ctx, t, **_):
    acc = W.compute_dtype(t.dtype)
    tf = t.astype(acc, copy=False)
    return (np.asarray(np.sum(tf * tf, dtype=acc) * acc.type(0.5)).astype(t.dtype),)


@register_op("LeakyRelu", inputs=["features: T"], outputs=["activations: T"],
             attrs=["alpha: float = 0.20000000298023224", f"T: type {_FLOATS} = DT_FLOAT"])
def _leaky_relu(ctx, features, *, alpha, **_):
    return (np.where(features > _c(features, 0), features, features * _c(features, np.float32(alpha))),)


@register_op("LeakyReluGrad", inputs=["gradients: T", "features: T"], outputs=["backprops: T"],
             attrs=["alpha: float = 0.20000000298023224", f"T: type {_FLOATS} = DT_FLOAT"])
def _leaky_relu_grad(ctx, gradients, features, *, alpha, **_):
    alpha = _c(gradients, np.float32(alpha))
    return (np.where(features > _c(features, 0), gradients, gradients * alpha),)


@register_op("LogSoftmax", inputs=["logits: T"], outputs=["logsoftmax: T"], attrs=[f"T: type {_FLOATS}"])
def _log_softmax(ctx, logits, **_):
    _check_logits(ctx, logits)
    if logits.size == 0:
        return (logits.copy(),)
    shifted, total = _softmax_parts(logits)
    return ((shifted - np.log(total)).astype(logits.dtype, copy=False),)


@register_op("LRN", inputs=["input: T"], outputs=["output: T"],
             attrs=["depth_radius: int = 5", "bias: float = 1.0", "alpha: float = 1.0",
                    "beta: float = 0.5",
                    "T: type {half, bfloat16, float} = DT_FLOAT"])
def _lrn(ctx, x, *, depth_radius, bias, alpha, beta, **_):
    if x.ndim != 4:
        raise InvalidArgumentError(f"{ctx.where}: in must be 4-dimensional, got shape {x.shape}.")
    if depth_radius < 0:
        raise InvalidArgumentError(
            f"{ctx.where}: depth_radius must be non-negative, got {depth_radius}.")
    xf = x.astype(np.float32)
    squares = np.pad(np.square(xf), [(0, 0)] * 3 + [(depth_radius, depth_radius)])
    total = np.zeros_like(xf)
    for offset in range(2 * depth_radius + 1):
        total += squares[..., offset:offset + x.shape[-1]]
    scale = np.float32(bias) + np.float32(alpha) * total
    return ((xf * np.power(scale, np.float32(-beta))).astype(x.dtype, copy=False),)


@register_op("NthElement", inputs=["input: T", "n: int32"], outputs=["values: T"],
             attrs=["reverse: bool = false", f"T: type {_RELU_TYPES}"])
def _nth_element(ctx, x, n, *, reverse, **_):
    if np.ndim(n) != 0:
        raise InvalidArgumentError(f"{ctx.where}: n must be scalar, got shape {np.shape(n)}.")
    n = int(n)
    if n < 0:
        raise InvalidArgumentError(f"{ctx.where}: Need n >= 0, got {n}.")
    if x.ndim < 1:
        raise InvalidArgumentError(f"{ctx.where}: Input must be >= 1-D, got shape {x.shape}.")
    if x.shape[-1] <= n:
        raise InvalidArgumentError(f"{ctx.where}: Input must have last dimension > n = {n}, got shape "
                                   f"{x.shape}.")
    k = x.shape[-1] - 1 - n if reverse else n
    work = x.astype(np.float32) if x.dtype.itemsize == 2 and x.dtype.kind not in "iu" else x
    return (np.partition(work, k, axis=-1)[..., k].astype(x.dtype, copy=False),)


@register_op("Softmax", inputs=["logits: T"], outputs=["softmax: T"], attrs=[f"T: type {_FLOATS}"])
def _softmax(ctx, logits, **_):
    _check_logits(ctx, logits)
    if logits.size == 0:
        return (logits.copy(),)
    shifted, total = _softmax_parts(logits)
    with np.errstate(invalid="ignore"):
        out = np.exp(shifted) * (1 / total)
    return (out.astype(logits.dtype, copy=False),)


@register_op("SoftmaxCrossEntropyWithLogits", inputs=["features: T", "labels: T"],
             outputs=["loss: T", "backprop: T"], attrs=[f"T: type {_FLOATS}"])
def _softmax_xent(ctx, features, labels, **_):
    features, labels = _labels_2d(ctx, features, labels)
    if features.size == 0:
        return np.zeros(features.shape[0], features.dtype), np.zeros(features.shape, features.dtype)
    shifted, total = _softmax_parts(features)
    lf = labels.astype(shifted.dtype, copy=False)
    loss = np.sum(lf * (np.log(total) - shifted), axis=-1)
    backprop = np.exp(shifted) / total - lf
    return loss.astype(features.dtype), backprop.astype(features.dtype)


@register_op("SparseSoftmaxCrossEntropyWithLogits", inputs=["features: T", "labels: Tlabels"],
             outputs=["loss: T", "backprop: T"],
             attrs=[f"T: type {_FLOATS}", "Tlabels: type {int32, int64} = DT_INT64"])
def _sparse_softmax_xent(ctx, features, labels, **_):
    if features.ndim != 2 or labels.ndim != 1 or features.shape[0] != labels.shape[0]:
        raise InvalidArgumentError(
            f"{ctx.where}: logits must be 2-D and labels 1-D with the same first dimension, got logits "
            f"shape {list(features.shape)} and labels shape {list(labels.shape)}.")
    classes = features.shape[1]
    if classes == 0 and labels.size:
        raise InvalidArgumentError(f"{ctx.where}: Must have at least one class, but got logits shape "
                                   f"{list(features.shape)}.")
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise InvalidArgumentError(
            f"{ctx.where}: Received a label value of {labels[bad][0]} which is outside the valid range "
            f"of [0, {classes}).  Label values: {' '.join(str(v) for v in labels)}")
    if features.size == 0:
        return np.zeros(features.shape[0], features.dtype), np.zeros(features.shape, features.dtype)
    shifted, total = _softmax_parts(features)
    rows = np.arange(features.shape[0])
    loss = np.log(total[:, 0]) - shifted[rows, labels]
    backprop = np.exp(shifted) / total
    backprop[rows, labels] -= 1
    return loss.astype(features.dtype), backprop.astype(features.dtype)
