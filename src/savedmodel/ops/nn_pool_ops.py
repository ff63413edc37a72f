"""Pooling kernels: MaxPool, MaxPoolV2, MaxPool3D, AvgPool, AvgPool3D and MaxPoolWithArgmax.

Part of the nn family (``tensorflow/core/ops/nn_ops.cc``; kernels in ``maxpooling_op.cc``,
``avgpooling_op.cc``, ``pooling_ops_3d.cc``). Each kernel reduces one strided view per window tap, so
the work is a handful of vectorized passes. TensorFlow's semantics kept here: max pooling skips NaN and
starts from the type's lowest finite value (float32/float64) or -inf (float16/bfloat16), padding never
wins; average pooling divides by the number of non-padding pixels in each window; the argmax is the
first maximum in row-major window order (``((b * H + y) * W + x) * C + c``). Imported by ``nn_ops``.
"""

from __future__ import annotations

import itertools

import numpy as np

from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.ops import _windows as W
from savedmodel.ops.registry import register_op

_REAL = "{half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8}"


def _max_initial(dtype: np.dtype):
    """TensorFlow's starting value for a max-pool window."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    if dtype.itemsize <= 2:
        return dtype.type(-np.inf)
    return np.finfo(dtype).min


def _pool_params(ctx, x: np.ndarray, ksize, strides, padding: str, explicit_paddings,
                 data_format: str, rank: int):
    """Channels-last input, spatial ksize/strides and window geometry of a pooling op."""
    if data_format == "NCHW_VECT_C":
        raise UnimplementedError(f"{ctx.where}: data_format 'NCHW_VECT_C' is only supported on GPUs.")
    if x.ndim != rank:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be {rank}-dimensional, got shape {x.shape}.")
    channels_last = not data_format.startswith("NC")
    ksize, strides = list(ksize), list(strides)
    batch_k = ksize[0], strides[0]
    if len(ksize) == rank and len(strides) == rank and batch_k != (1, 1):
        raise UnimplementedError(f"{ctx.where}: Pooling is not yet supported on the batch dimension "
                                 f"(ksize {ksize}, strides {strides}).")
    k = W.spatial_attr(ksize, rank, channels_last, "ksize", ctx.where)
    s = W.spatial_attr(strides, rank, channels_last, "strides", ctx.where)
    xc = W.to_channels_last(x, data_format)
    explicit = (W.explicit_pairs(explicit_paddings, rank, channels_last, ctx.where)
                if padding == "EXPLICIT" else None)
    geometry = W.windows(xc.shape[1:-1], k, s, [1] * len(k), padding, explicit, ctx.where)
    return xc, k, s, geometry


def _taps(ksize):
    return itertools.product(*(range(k) for k in ksize))


def max_pool_channels_last(xc: np.ndarray, ksize, strides, geometry) -> np.ndarray:
    """Max pooling of a channels-last array with TensorFlow's NaN and padding rules."""
    initial = _max_initial(xc.dtype)
    xp = W.pad_spatial(xc, geometry, initial)
    out = np.full((xc.shape[0], *(w.out for w in geometry), xc.shape[-1]), initial, xc.dtype)
    if out.size == 0:
        return out
    combine = np.fmax if xc.dtype.kind not in "iu" else np.maximum
    for offsets in _taps(ksize):
        combine(out, W.tap_view(xp, offsets, geometry, strides), out=out)
    return out


def _window_counts(in_sizes, ksize, strides, geometry) -> np.ndarray:
    """Number of non-padding pixels in each window, shaped (1, *out, 1)."""
    counts = np.ones((1,) * (len(geometry) + 2))
    for axis, (n, k, s, w) in enumerate(zip(in_sizes, ksize, strides, geometry)):
        start = np.arange(w.out) * s - w.pad_before
        per_dim = np.minimum(start + k, n) - np.maximum(start, 0)
        shape = [1] * (len(geometry) + 2)
        shape[axis + 1] = w.out
        counts = counts * per_dim.reshape(shape)
    return counts


def avg_pool_channels_last(xc: np.ndarray, ksize, strides, geometry) -> np.ndarray:
    """Average pooling over the non-padding pixels of each window."""
    cdt = W.compute_dtype(xc.dtype)
    xp = W.pad_spatial(xc.astype(cdt, copy=False), geometry)
    total = np.zeros((xc.shape[0], *(w.out for w in geometry), xc.shape[-1]), cdt)
    if total.size == 0:
        return total.astype(xc.dtype)
    for offsets in _taps(ksize):
        total += W.tap_view(xp, offsets, geometry, strides)
    total /= _window_counts(xc.shape[1:-1], ksize, strides, geometry).astype(cdt)
    return total.astype(xc.dtype, copy=False)


def _depth_max_pool(ctx, x: np.ndarray, ksize, strides) -> np.ndarray:
    """MaxPool across channels only (ksize and strides 1 except in the depth dimension)."""
    depth = ksize[-1]
    if ksize[:-1] != [1, 1, 1] or strides[:-1] != [1, 1, 1] or strides[-1] != depth:
        raise UnimplementedError(
            f"{ctx.where}: depthwise max pooling requires the depth window to equal the depth stride "
            f"and no spatial pooling, got ksize {ksize} and strides {strides}.")
    if x.shape[-1] % depth:
        raise InvalidArgumentError(f"{ctx.where}: Depthwise max pooling requires the depth window to "
                                   f"evenly divide the input depth ({x.shape[-1]} vs {depth}).")
    grouped = x.reshape(*x.shape[:-1], x.shape[-1] // depth, depth)
    out = np.fmax.reduce(grouped, axis=-1) if x.dtype.kind not in "iu" else grouped.max(axis=-1)
    return np.fmax(out, _max_initial(x.dtype)) if x.dtype.kind not in "iu" else out


def _max_pool(ctx, x, ksize, strides, padding, explicit_paddings, data_format, rank: int):
    ksize, strides = list(ksize), list(strides)
    if rank == 4 and data_format == "NHWC" and len(ksize) == 4 and ksize[-1] != 1:
        return _depth_max_pool(ctx, x, ksize, strides)
    xc, k, s, geometry = _pool_params(ctx, x, ksize, strides, padding, explicit_paddings,
                                      data_format, rank)
    return W.from_channels_last(max_pool_channels_last(xc, k, s, geometry), data_format)


def _avg_pool(ctx, x, ksize, strides, padding, data_format, rank: int):
    xc, k, s, geometry = _pool_params(ctx, x, ksize, strides, padding, [], data_format, rank)
    return W.from_channels_last(avg_pool_channels_last(xc, k, s, geometry), data_format)


def _int_list(ctx, value: np.ndarray, name: str) -> list[int]:
    value = np.asarray(value)
    if value.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: {name} must be a vector, got shape {value.shape}.")
    return [int(v) for v in value]


@register_op("AvgPool", inputs=["value: T"], outputs=["output: T"],
             attrs=["ksize: list(int) >= 4", "strides: list(int) >= 4",
                    "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NHWC', 'NCHW'} = 'NHWC'",
                    "T: type {half, bfloat16, float, double}"])
def _avg_pool2d(ctx, x, *, ksize, strides, padding, data_format, **_):
    return (_avg_pool(ctx, x, ksize, strides, padding, data_format, 4),)


@register_op("AvgPool3D", inputs=["input: T"], outputs=["output: T"],
             attrs=["ksize: list(int) >= 5", "strides: list(int) >= 5",
                    "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NDHWC', 'NCDHW'} = 'NDHWC'",
                    "T: type {half, bfloat16, float, double}"])
def _avg_pool3d(ctx, x, *, ksize, strides, padding, data_format, **_):
    return (_avg_pool(ctx, x, ksize, strides, padding, data_format, 5),)


@register_op("MaxPool", inputs=["input: T"], outputs=["output: T"],
             attrs=[f"T: type {_REAL} = DT_FLOAT", "ksize: list(int) >= 4", "strides: list(int) >= 4",
                    "padding: string {'SAME', 'VALID', 'EXPLICIT'}", "explicit_paddings: list(int) = []",
                    "data_format: string {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'"])
def _max_pool2d(ctx, x, *, ksize, strides, padding, explicit_paddings, data_format, **_):
    return (_max_pool(ctx, x, ksize, strides, padding, explicit_paddings, data_format, 4),)


@register_op("MaxPool3D", inputs=["input: T"], outputs=["output: T"],
             attrs=["ksize: list(int) >= 5", "strides: list(int) >= 5",
                    "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NDHWC', 'NCDHW'} = 'NDHWC'",
                    "T: type {half, bfloat16, float}"])
def _max_pool3d(ctx, x, *, ksize, strides, padding, data_format, **_):
    return (_max_pool(ctx, x, ksize, strides, padding, [], data_format, 5),)


@register_op("MaxPoolV2", inputs=["input: T", "ksize: int32", "strides: int32"], outputs=["output: T"],
             attrs=[f"T: type {_REAL} = DT_FLOAT", "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'"])
def _max_pool_v2(ctx, x, ksize, strides, *, padding, data_format, **_):
    k, s = _int_list(ctx, ksize, "ksize"), _int_list(ctx, strides, "strides")
    if len(k) != 4 or len(s) != 4:
        raise InvalidArgumentError(f"{ctx.where}: Sliding window ksize and strides fields must specify "
                                   f"4 dimensions, got ksize {k} and strides {s}.")
    return (_max_pool(ctx, x, k, s, padding, [], data_format, 4),)


@register_op("MaxPoolWithArgmax", inputs=["input: T"], outputs=["output: T", "argmax: Targmax"],
             attrs=["ksize: list(int) >= 4", "strides: list(int) >= 4",
                    "Targmax: type {int32, int64} = DT_INT64", "padding: string {'SAME', 'VALID'}",
                    "include_batch_in_index: bool = false",
                    ("T: type {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, "
                     "uint32, uint64}")])
def _max_pool_with_argmax(ctx, x, *, ksize, strides, Targmax, padding, include_batch_in_index, **_):
    xc, k, s, geometry = _pool_params(ctx, x, ksize, strides, padding, [], "NHWC", 4)
    n, height, width, channels = xc.shape
    out_h, out_w = geometry[0].out, geometry[1].out
    best = np.zeros((n, out_h, out_w, channels), x.dtype)
    index = np.zeros(best.shape, np.int64)
    have = np.zeros(best.shape, bool)
    rows = np.arange(out_h) * s[0] - geometry[0].pad_before
    cols = np.arange(out_w) * s[1] - geometry[1].pad_before
    base = np.arange(channels)[None, None, None, :]
    if include_batch_in_index:
        base = base + (np.arange(n) * height * width * channels)[:, None, None, None]
    for i, j in _taps(k):
        y, xx = rows + i, cols + j
        row_ok = ((y >= 0) & (y < height))[None, :, None, None]
        valid = row_ok & ((xx >= 0) & (xx < width))[None, None, :, None]
        value = xc[:, np.clip(y, 0, height - 1)][:, :, np.clip(xx, 0, width - 1)]
        take = valid & (~have | (value > best))
        np.copyto(best, value, where=take)
        flat = ((y[:, None] * width + xx[None, :]) * channels)[None, :, :, None]
        np.copyto(index, base + flat, where=take)
        have |= valid
    return best, index.astype(Targmax.numpy, copy=False)
