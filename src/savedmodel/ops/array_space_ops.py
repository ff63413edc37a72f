"""Array ops moving blocks between space, batch and depth: SpaceToBatch*, DepthToSpace, ...

Mirrors ``spacetobatch_op.cc``, ``batchtospace_op.cc``, ``spacetodepth_op.cc`` and
``depthtospace_op.cc``. TensorFlow's CPU kernels take only NHWC for the depth ops; NCHW and
NCHW_VECT_C are computed here as the NHWC op between layout transposes (what TensorFlow's GPU
kernels produce).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, shape_str
from savedmodel.ops.registry import register_op


def _block_args(ctx: Any, x: np.ndarray, block_shape: Any, pads: Any, what: str) -> tuple:
    """Validated block sizes and ``[M, 2]`` paddings/crops as Python lists."""
    block = np.asarray(block_shape)
    if block.ndim != 1:
        fail(ctx, f"block_shape must be 1-D, not {shape_str(block.shape)}")
    m = block.size
    if x.ndim < 1 + m:
        fail(ctx, f"input rank should be >= {1 + m} instead of {x.ndim}")
    pads = np.asarray(pads)
    if pads.shape != (m, 2):
        fail(ctx, f"{what} should have shape [{m}, 2] instead of {shape_str(pads.shape)}")
    blocks = block.tolist()
    for i, b in enumerate(blocks):
        if b < 1:
            fail(ctx, f"All values in block_shape must be positive, got value, {b} at index {i}.")
    return blocks, pads.tolist()


def _space_to_batch(ctx: Any, x: Any, block_shape: Any, paddings: Any) -> np.ndarray:
    """Pads the spatial dims, then moves each block offset into the batch (offsets major)."""
    x = np.asarray(x)
    blocks, pads = _block_args(ctx, x, block_shape, paddings, "paddings")
    if all(b == 1 and p == [0, 0] for b, p in zip(blocks, pads)):
        return x
    m = len(blocks)
    for i, (b, (start, end)) in enumerate(zip(blocks, pads)):
        if start < 0 or end < 0:
            fail(ctx, "Paddings must be non-negative")
        padded = x.shape[i + 1] + start + end
        if padded % b:
            fail(ctx, f"padded_shape[{i}]={padded} is not divisible by block_shape[{i}]={b}")
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - m))
    batch, rest = x.shape[0], x.shape[1 + m:]
    outer = [padded.shape[1 + i] // b for i, b in enumerate(blocks)]
    interleaved = [v for o, b in zip(outer, blocks) for v in (o, b)]
    split = padded.reshape([batch, *interleaved, *rest])
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += list(range(1 + 2 * m, split.ndim))
    return split.transpose(perm).reshape([batch * math.prod(blocks)] + outer + list(rest))


def _batch_to_space(ctx: Any, x: Any, block_shape: Any, crops: Any) -> np.ndarray:
    """The inverse of SpaceToBatchND: batch blocks back into space, then the crops removed."""
    x = np.asarray(x)
    blocks, crop = _block_args(ctx, x, block_shape, crops, "crops")
    product = math.prod(blocks)
    if x.shape[0] % product:
        fail(ctx, f"Input batch dimension ({x.shape[0]}) is not divisible by product of block "
                  f"sizes ({product})")
    if all(b == 1 and c == [0, 0] for b, c in zip(blocks, crop)):
        return x
    m = len(blocks)
    for i, (b, (start, end)) in enumerate(zip(blocks, crop)):
        if start < 0 or end < 0:
            fail(ctx, "Crops must be non-negative")
        cropped = x.shape[i + 1] * b - start - end
        if cropped < 0:
            fail(ctx, f"cropped_shape[{i}]={cropped} must be non-negative")
    batch, spatial, rest = x.shape[0] // product, x.shape[1:1 + m], x.shape[1 + m:]
    split = x.reshape(blocks + [batch] + list(spatial) + list(rest))
    perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)] + list(range(2 * m + 1, split.ndim))
    full = split.transpose(perm).reshape([batch] + [s * b for s, b in zip(spatial, blocks)]
                                         + list(rest))
    index = tuple(slice(c0, full.shape[1 + i] - c1) for i, (c0, c1) in enumerate(crop))
    return full[(slice(None),) + index]


def _to_nhwc(x: np.ndarray, data_format: str) -> np.ndarray:
    """A view of an image batch in NHWC layout."""
    if data_format == "NCHW":
        return x.transpose(0, 2, 3, 1)
    if data_format == "NCHW_VECT_C":  # [N, C/4, H, W, 4] with channel = outer * 4 + inner
        return x.transpose(0, 2, 3, 1, 4).reshape(x.shape[0], x.shape[2], x.shape[3], -1)
    return x


def _from_nhwc(y: np.ndarray, data_format: str) -> np.ndarray:
    """An NHWC image batch back in ``data_format``."""
    if data_format == "NCHW":
        return y.transpose(0, 3, 1, 2)
    if data_format == "NCHW_VECT_C":
        n, h, w, c = y.shape
        return y.reshape(n, h, w, c // 4, 4).transpose(0, 3, 1, 2, 4)
    return y


def _check_image_rank(ctx: Any, x: np.ndarray, data_format: str) -> None:
    rank = 5 if data_format == "NCHW_VECT_C" else 4
    if x.ndim != rank:
        fail(ctx, f"Input rank should be {rank} instead of {x.ndim}")
    if data_format == "NCHW_VECT_C" and x.shape[-1] != 4:
        fail(ctx, f"NCHW_VECT_C input must end in a dimension of 4, got shape {shape_str(x.shape)}")


@register_op("BatchToSpace",
             inputs=["input: T", "crops: Tidx"],
             outputs=["output: T"],
             attrs=["T: type", "block_size: int >= 2", "Tidx: type {int32, int64} = DT_INT32"])
def _batch_to_space_v1(ctx, x, crops, *, block_size, **_):
    x = np.asarray(x)
    if x.ndim != 4:
        fail(ctx, f"Input rank should be: 4instead of: {x.ndim}")
    return (_batch_to_space(ctx, x, np.array([block_size, block_size]), crops),)


@register_op("BatchToSpaceND",
             inputs=["input: T", "block_shape: Tblock_shape", "crops: Tcrops"],
             outputs=["output: T"],
             attrs=["T: type", "Tblock_shape: type {int32, int64} = DT_INT32",
                    "Tcrops: type {int32, int64} = DT_INT32"])
def _batch_to_space_nd(ctx, x, block_shape, crops, **_):
    return (_batch_to_space(ctx, x, block_shape, crops),)


@register_op("DepthToSpace",
             inputs=["input: T"],
             outputs=["output: T"],
             attrs=["T: type", "block_size: int >= 2",
                    "data_format: string {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'"])
def _depth_to_space(ctx, x, *, block_size, data_format, **_):
    x = np.asarray(x)
    _check_image_rank(ctx, x, data_format)
    nhwc = _to_nhwc(x, data_format)
    n, h, w, c = nhwc.shape
    if c % (block_size * block_size):
        fail(ctx, f"Input depth dimension {c} should be divisible by: {block_size * block_size}")
    depth = c // (block_size * block_size)
    if data_format == "NCHW_VECT_C" and depth % 4:
        fail(ctx, f"NCHW_VECT_C output depth {depth} must be a multiple of 4")
    y = nhwc.reshape(n, h, w, block_size, block_size, depth).transpose(0, 1, 3, 2, 4, 5)
    return (_from_nhwc(y.reshape(n, h * block_size, w * block_size, depth), data_format),)


@register_op("SpaceToBatch",
             inputs=["input: T", "paddings: Tpaddings"],
             outputs=["output: T"],
             attrs=["T: type", "Tpaddings: type {int32, int64} = DT_INT32", "block_size: int >= 2"])
def _space_to_batch_v1(ctx, x, paddings, *, block_size, **_):
    x = np.asarray(x)
    if x.ndim != 4:
        fail(ctx, f"Input rank should be: 4instead of: {x.ndim}")
    return (_space_to_batch(ctx, x, np.array([block_size, block_size]), paddings),)


@register_op("SpaceToBatchND",
             inputs=["input: T", "block_shape: Tblock_shape", "paddings: Tpaddings"],
             outputs=["output: T"],
             attrs=["T: type", "Tblock_shape: type {int32, int64} = DT_INT32",
                    "Tpaddings: type {int32, int64} = DT_INT32"])
def _space_to_batch_nd(ctx, x, block_shape, paddings, **_):
    return (_space_to_batch(ctx, x, block_shape, paddings),)


@register_op("SpaceToDepth",
             inputs=["input: T"],
             outputs=["output: T"],
             attrs=["T: type", "block_size: int >= 2",
                    "data_format: string {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'"])
def _space_to_depth(ctx, x, *, block_size, data_format, **_):
    x = np.asarray(x)
    _check_image_rank(ctx, x, data_format)
    nhwc = _to_nhwc(x, data_format)
    n, h, w, c = nhwc.shape
    if h % block_size or w % block_size:
        fail(ctx, f"Image width {w} and height {h} should be divisible by block_size: "
                  f"{block_size}")
    y = nhwc.reshape(n, h // block_size, block_size, w // block_size, block_size, c)
    y = y.transpose(0, 1, 3, 2, 4, 5).reshape(n, h // block_size, w // block_size,
                                              block_size * block_size * c)
    return (_from_nhwc(y, data_format),)
