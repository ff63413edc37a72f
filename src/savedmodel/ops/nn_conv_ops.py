"""Convolution kernels: Conv2D, Conv3D, DepthwiseConv2dNative and the transposed convolutions.

Part of the nn family (``tensorflow/core/ops/nn_ops.cc``; kernels in
``tensorflow/core/kernels/conv_ops*.cc``, ``depthwise_conv_op.cc``, ``conv_grad_input_ops.cc``).
Regular convolutions build im2col patches from a strided view and run one matmul per chunk (chunks
bound the patch buffer); depthwise convolutions accumulate one broadcast multiply per filter tap;
transposed convolutions run one matmul and scatter-add per tap. float16/bfloat16 accumulate in
float32 and round once, as TensorFlow's CPU kernels do. Besides NHWC, NCHW and leading batch
dimensions are accepted (TensorFlow's oneDNN CPU kernels take NCHW too). Imported by ``nn_ops``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops import _windows as W
from savedmodel.ops.registry import register_op

_CONV_ATTRS_TAIL = ["explicit_paddings: list(int) = []", "data_format: string {'NHWC', 'NCHW'} = 'NHWC'",
                    "dilations: list(int) = [1, 1, 1, 1]"]


def _check_rank(x: np.ndarray, rank: int, name: str, where: str, at_least: bool = False) -> None:
    ok = x.ndim >= rank if at_least else x.ndim == rank
    if not ok:
        qualifier = "at least " if at_least else ""
        raise InvalidArgumentError(
            f"{where}: {name} must be {qualifier}{rank}-dimensional, got shape {x.shape}.")


def _geometry(ctx, spatial, ksize, strides, dilations, padding, explicit_paddings,
              data_format: str, rank: int) -> tuple[list[W.Window], tuple, tuple]:
    """Window geometry for input spatial sizes ``spatial`` and the op's attrs."""
    channels_last = not data_format.startswith("NC")
    st = W.spatial_attr(strides, rank, channels_last, "strides", ctx.where)
    dl = W.spatial_attr(dilations, rank, channels_last, "dilations", ctx.where)
    explicit = (W.explicit_pairs(explicit_paddings, rank, channels_last, ctx.where)
                if padding == "EXPLICIT" else None)
    return W.windows(spatial, ksize, st, dl, padding, explicit, ctx.where), st, dl


def _blocks(n: int, first_out: int, row_bytes: int):
    """(batch slice, first-output-dim slice) blocks whose im2col buffers fit the budget."""
    per_item = row_bytes * max(first_out, 1)
    if per_item <= W.IM2COL_BUDGET or first_out <= 1:
        step = W.chunk_rows(n, per_item)
        for start in range(0, n, step):
            yield slice(start, start + step), slice(None)
        return
    step = W.chunk_rows(first_out, row_bytes)
    for b in range(n):
        for start in range(0, first_out, step):
            yield slice(b, b + 1), slice(start, start + step)


def conv_channels_last(x: np.ndarray, f: np.ndarray, geometry, strides, dilations) -> np.ndarray:
    """Grouped N-D convolution of a channels-last ``x`` with an HWIO filter, in x's dtype."""
    ksize = f.shape[:-2]
    cin, cout = f.shape[-2], f.shape[-1]
    groups = x.shape[-1] // cin
    per_group = cout // groups
    xp = W.pad_spatial(x, geometry)
    out = np.empty((x.shape[0], *(w.out for w in geometry), cout), x.dtype)
    if out.size == 0:
        return out
    if groups == 1 and all(k == 1 for k in ksize):
        cols = np.ascontiguousarray(W.tap_view(xp, [0] * len(ksize), geometry, strides))
        np.matmul(cols.reshape(-1, cin), f.reshape(cin, cout), out=out.reshape(-1, cout))
        return out
    view = W.window_view(xp, geometry, ksize, strides, dilations)
    view = view.reshape(*view.shape[:-1], groups, cin)
    taps = math.prod(ksize) * cin
    row_bytes = math.prod(out.shape[2:-1]) * taps * groups * x.itemsize
    for bs, hs in _blocks(out.shape[0], out.shape[1], row_bytes):
        for g in range(groups):
            cols = view[bs, hs, ..., g, :].reshape(-1, taps)
            fg = f[..., g * per_group:(g + 1) * per_group].reshape(taps, per_group)
            block = out[bs, hs, ..., g * per_group:(g + 1) * per_group]
            block[...] = (cols @ fg).reshape(block.shape)
    return out


def _conv(ctx, x: np.ndarray, f: np.ndarray, rank: int, strides, padding, explicit_paddings,
          data_format: str, dilations) -> np.ndarray:
    nd = rank - 2
    _check_rank(x, rank, "input", ctx.where, at_least=(rank == 4))
    _check_rank(f, rank, "filter", ctx.where)
    batch_shape = x.shape[:x.ndim - nd - 1]
    xc = W.to_channels_last(x.reshape(math.prod(batch_shape), *x.shape[len(batch_shape):]), data_format)
    if f.size == 0:
        raise InvalidArgumentError(
            f"{ctx.where}: filter must not have zero elements (i.e. all dimensions must be non-zero), "
            f"got shape {f.shape}.")
    channels, cin, cout = xc.shape[-1], f.shape[-2], f.shape[-1]
    if channels % cin:
        raise InvalidArgumentError(f"{ctx.where}: input depth must be evenly divisible by filter depth: "
                                   f"{channels} vs {cin}.")
    if cout % (channels // cin):
        raise InvalidArgumentError(f"{ctx.where}: output depth must be evenly divisible by number of "
                                   f"groups: {cout} vs {channels // cin}.")
    geometry, st, dl = _geometry(ctx, xc.shape[1:-1], f.shape[:-2], strides, dilations, padding,
                                 explicit_paddings, data_format, rank)
    cdt = W.compute_dtype(x.dtype)
    out = conv_channels_last(xc.astype(cdt, copy=False), f.astype(cdt, copy=False), geometry, st, dl)
    out = W.from_channels_last(out.astype(x.dtype, copy=False), data_format)
    return out.reshape(*batch_shape, *out.shape[1:])


def depthwise_channels_last(x: np.ndarray, f: np.ndarray, geometry, strides, dilations) -> np.ndarray:
    """Depthwise convolution (N, *out, C*M) of channels-last ``x`` with an (*k, C, M) filter."""
    ksize, (channels, mult) = f.shape[:-2], f.shape[-2:]
    xp = W.pad_spatial(x, geometry)
    out = np.zeros((x.shape[0], *(w.out for w in geometry), channels * mult), x.dtype)
    if out.size == 0:
        return out
    # Chunks over the batch keep each accumulator in cache across all the taps.
    step = W.chunk_rows(x.shape[0], out[0].nbytes, 1 << 21)
    for start in range(0, x.shape[0], step):
        acc = out[start:start + step]
        if mult > 1:
            acc = acc.reshape(*acc.shape[:-1], channels, mult)
        tmp = np.empty_like(acc)
        for offsets in itertools.product(*(range(k) for k in ksize)):
            tap = W.tap_view(xp[start:start + step], [o * d for o, d in zip(offsets, dilations)],
                             geometry, strides)
            if mult > 1:
                np.multiply(tap[..., None], f[offsets], out=tmp)
            else:
                np.multiply(tap, f[offsets][:, 0], out=tmp)
            acc += tmp
    return out


def conv_backprop_input(dy: np.ndarray, f: np.ndarray, in_spatial, geometry, strides,
                        dilations) -> np.ndarray:
    """Gradient of a convolution w.r.t. its channels-last input: the transposed convolution."""
    ksize, (cin, cout) = f.shape[:-2], f.shape[-2:]
    padded = [max(n + w.pad_before + w.pad_after, (w.out - 1) * s + (k - 1) * d + 1)
              for n, w, s, k, d in zip(in_spatial, geometry, strides, ksize, dilations)]
    dxp = np.zeros((dy.shape[0], *padded, cin), dy.dtype)
    fmat = f.reshape(-1, cout).T
    row_bytes = math.prod(dy.shape[1:-1]) * math.prod(ksize) * cin * dy.itemsize
    step = W.chunk_rows(dy.shape[0], row_bytes)
    for start in range(0, dy.shape[0], step):
        block = dy[start:start + step]
        cols = (block.reshape(-1, cout) @ fmat).reshape(*block.shape[:-1], *ksize, cin)
        for offsets in itertools.product(*(range(k) for k in ksize)):
            target = W.tap_view(dxp[start:start + step], [o * d for o, d in zip(offsets, dilations)],
                                geometry, strides)
            target += cols[(Ellipsis, *offsets, slice(None))]
    crop = tuple(slice(w.pad_before, w.pad_before + n) for w, n in zip(geometry, in_spatial))
    return dxp[(slice(None), *crop, slice(None))]


def _input_shape(ctx, sizes: np.ndarray, dy_cl: np.ndarray, f: np.ndarray, rank: int,
                 data_format: str) -> tuple[int, ...]:
    """Channels-last input shape from ``input_sizes`` (full shape, or spatial sizes only)."""
    sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
    nd = rank - 2
    if len(sizes) == nd:
        return (dy_cl.shape[0], *sizes, f.shape[-2])
    if len(sizes) != rank:
        raise InvalidArgumentError(f"{ctx.where}: input_sizes must have {rank} or {nd} elements, "
                                   f"got {sizes}.")
    if data_format.startswith("NC"):
        sizes = [sizes[0], *sizes[2:], sizes[1]]
    return tuple(sizes)


def _conv_backprop(ctx, input_sizes, f, dy, rank: int, strides, padding, explicit_paddings,
                   data_format: str, dilations) -> np.ndarray:
    _check_rank(f, rank, "filter", ctx.where)
    _check_rank(dy, rank, "out_backprop", ctx.where)
    dy_cl = W.to_channels_last(dy, data_format)
    shape = _input_shape(ctx, input_sizes, dy_cl, f, rank, data_format)
    if shape[-1] != f.shape[-2] or dy_cl.shape[-1] != f.shape[-1] or shape[0] != dy_cl.shape[0]:
        raise InvalidArgumentError(
            f"{ctx.where}: input, filter and out_backprop shapes disagree: input {shape}, filter "
            f"{f.shape}, out_backprop {dy.shape}; expected input depth == filter in-depth and "
            "out_backprop depth == filter out-depth.")
    geometry, st, dl = _geometry(ctx, shape[1:-1], f.shape[:-2], strides, dilations, padding,
                                 explicit_paddings, data_format, rank)
    computed = tuple(w.out for w in geometry)
    if computed != dy_cl.shape[1:-1]:
        raise InvalidArgumentError(
            f"{ctx.where}: Size of out_backprop doesn't match computed: actual = {dy_cl.shape[1:-1]}, "
            f"computed = {computed} (input {shape}, filter {f.shape}, strides {st}, dilations {dl}).")
    cdt = W.compute_dtype(dy.dtype)
    dx = conv_backprop_input(dy_cl.astype(cdt, copy=False), f.astype(cdt, copy=False), shape[1:-1],
                             geometry, st, dl)
    return W.from_channels_last(dx.astype(dy.dtype, copy=False), data_format)


# Conv2D(input: T, filter: T) -> output: T
@register_op("Conv2D", inputs=["input: T", "filter: T"], outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double, int32}", "strides: list(int)",
                    "use_cudnn_on_gpu: bool = true", "padding: string {'SAME', 'VALID', 'EXPLICIT'}",
                    *_CONV_ATTRS_TAIL])
def _conv2d(ctx, x, f, *, strides, padding, explicit_paddings, data_format, dilations, **_):
    return (_conv(ctx, x, f, 4, strides, padding, explicit_paddings, data_format, dilations),)


@register_op("Conv2DBackpropInput", inputs=["input_sizes: int32", "filter: T", "out_backprop: T"],
             outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double, int32}", "strides: list(int)",
                    "use_cudnn_on_gpu: bool = true", "padding: string {'SAME', 'VALID', 'EXPLICIT'}",
                    *_CONV_ATTRS_TAIL])
def _conv2d_backprop_input(ctx, input_sizes, f, dy, *, strides, padding, explicit_paddings,
                           data_format, dilations, **_):
    return (_conv_backprop(ctx, input_sizes, f, dy, 4, strides, padding, explicit_paddings,
                           data_format, dilations),)


@register_op("Conv3D", inputs=["input: T", "filter: T"], outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double}", "strides: list(int) >= 5",
                    "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NDHWC', 'NCDHW'} = 'NDHWC'",
                    "dilations: list(int) = [1, 1, 1, 1, 1]"])
def _conv3d(ctx, x, f, *, strides, padding, data_format, dilations, **_):
    return (_conv(ctx, x, f, 5, strides, padding, [], data_format, dilations),)


@register_op("Conv3DBackpropInputV2", inputs=["input_sizes: Tshape", "filter: T", "out_backprop: T"],
             outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double}", "strides: list(int) >= 5",
                    "padding: string {'SAME', 'VALID'}",
                    "data_format: string {'NDHWC', 'NCDHW'} = 'NDHWC'",
                    "dilations: list(int) = [1, 1, 1, 1, 1]", "Tshape: type {int32, int64} = DT_INT32"])
def _conv3d_backprop_input(ctx, input_sizes, f, dy, *, strides, padding, data_format, dilations, **_):
    return (_conv_backprop(ctx, input_sizes, f, dy, 5, strides, padding, [], data_format, dilations),)


@register_op("DepthwiseConv2dNative", inputs=["input: T", "filter: T"], outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double}", "strides: list(int)",
                    "padding: string {'SAME', 'VALID', 'EXPLICIT'}", *_CONV_ATTRS_TAIL])
def _depthwise_conv2d(ctx, x, f, *, strides, padding, explicit_paddings, data_format, dilations, **_):
    _check_rank(x, 4, "input", ctx.where)
    _check_rank(f, 4, "filter", ctx.where)
    xc = W.to_channels_last(x, data_format)
    if xc.shape[-1] != f.shape[2]:
        raise InvalidArgumentError(f"{ctx.where}: input and filter must have the same depth: "
                                   f"{xc.shape[-1]} vs {f.shape[2]}.")
    geometry, st, dl = _geometry(ctx, xc.shape[1:-1], f.shape[:2], strides, dilations, padding,
                                 explicit_paddings, data_format, 4)
    cdt = W.compute_dtype(x.dtype)
    out = depthwise_channels_last(xc.astype(cdt, copy=False), f.astype(cdt, copy=False), geometry,
                                  st, dl)
    return (W.from_channels_last(out.astype(x.dtype, copy=False), data_format),)
