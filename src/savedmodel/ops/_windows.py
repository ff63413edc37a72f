"""Sliding-window geometry shared by convolutions, pooling and image patches.

Mirrors TensorFlow's ``GetWindowedOutputSizeVerbose``
(``tensorflow/core/framework/kernel_shape_util.cc``): for ``VALID`` the window never leaves the
input; for ``SAME`` the output has ``ceil(in / stride)`` positions and the padding total is split with
the odd pixel at the end; ``EXPLICIT`` takes the paddings given. Windows are strided NumPy views (no
copies); callers copy only what a matmul needs. May import ``errors`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from savedmodel.errors import InvalidArgumentError, UnimplementedError

# Bytes of im2col buffer a convolution may build at once; larger problems are processed in chunks.
IM2COL_BUDGET = 1 << 25


@dataclass(frozen=True)
class Window:
    """One spatial dimension of a windowed op: output size and padding before/after."""

    out: int
    pad_before: int
    pad_after: int


def window_1d(in_size: int, ksize: int, stride: int, dilation: int, padding: str,
              explicit: tuple[int, int], where: str) -> Window:
    """Output size and padding of one spatial dimension, as TensorFlow computes them."""
    if stride <= 0 or dilation <= 0 or ksize <= 0:
        raise InvalidArgumentError(
            f"{where}: window sizes, strides and dilations must be positive, got ksize={ksize}, "
            f"stride={stride}, dilation={dilation}.")
    effective = (ksize - 1) * dilation + 1
    if padding == "VALID":
        before = after = 0
        out = (in_size - effective + stride) // stride
    elif padding == "SAME":
        out = (in_size + stride - 1) // stride
        total = max(0, (out - 1) * stride + effective - in_size)
        before, after = total // 2, total - total // 2
    elif padding == "EXPLICIT":
        before, after = explicit
        if before < 0 or after < 0:
            raise InvalidArgumentError(
                f"{where}: explicit paddings must be non-negative, got {explicit}.")
        out = (in_size + before + after - effective + stride) // stride
    else:
        raise InvalidArgumentError(
            f"{where}: unknown padding {padding!r}; expected SAME, VALID or EXPLICIT.")
    if out < 0:
        raise InvalidArgumentError(
            f"{where}: Computed output size would be negative: {out} [input_size: {in_size}, "
            f"effective_filter_size: {effective}, stride: {stride}].")
    return Window(out, before, after)


def spatial_attr(values: Sequence[int], rank: int, channels_last: bool, name: str, where: str,
                 allow_outer: bool = False) -> tuple[int, ...]:
    """The spatial entries of a per-dimension attr (strides, ksize, dilations) of length ``rank``."""
    values = list(values)
    if len(values) != rank:
        raise InvalidArgumentError(
            f"{where}: {name} must have {rank} elements (one per input dimension), got {values}.")
    outer = (values[0], values[-1]) if channels_last else (values[0], values[1])
    spatial = values[1:-1] if channels_last else values[2:]
    if not allow_outer and outer != (1, 1):
        raise UnimplementedError(
            f"{where}: {name} in the batch and depth dimensions must be 1, got {values}; "
            "TensorFlow does not support them either.")
    return tuple(spatial)


def explicit_pairs(explicit_paddings: Sequence[int], rank: int, channels_last: bool,
                   where: str) -> list[tuple[int, int]]:
    """The spatial (before, after) pairs of an ``explicit_paddings`` attr."""
    values = list(explicit_paddings)
    if len(values) != 2 * rank:
        raise InvalidArgumentError(
            f"{where}: explicit_paddings must have {2 * rank} values for padding='EXPLICIT', "
            f"got {len(values)}.")
    pairs = [(values[2 * i], values[2 * i + 1]) for i in range(rank)]
    outer = [pairs[0], pairs[-1]] if channels_last else [pairs[0], pairs[1]]
    if any(p != (0, 0) for p in outer):
        raise InvalidArgumentError(
            f"{where}: explicit padding of the batch and depth dimensions must be 0, got {values}.")
    return pairs[1:-1] if channels_last else pairs[2:]


def windows(in_shape: Sequence[int], ksize: Sequence[int], strides: Sequence[int],
            dilations: Sequence[int], padding: str, explicit: Sequence[tuple[int, int]] | None,
            where: str) -> list[Window]:
    """Per spatial dimension geometry for an input whose spatial sizes are ``in_shape``."""
    explicit = explicit or [(0, 0)] * len(in_shape)
    return [window_1d(n, k, s, d, padding, e, where)
            for n, k, s, d, e in zip(in_shape, ksize, strides, dilations, explicit)]


def pad_spatial(x: np.ndarray, geometry: Sequence[Window], value: float = 0) -> np.ndarray:
    """``x`` (N, *spatial, C) with each spatial dimension padded by its window's padding."""
    widths = [(0, 0)] + [(w.pad_before, w.pad_after) for w in geometry] + [(0, 0)]
    if all(b == 0 and a == 0 for b, a in widths):
        return x
    return np.pad(x, widths, constant_values=value)


def window_view(xp: np.ndarray, geometry: Sequence[Window], ksize: Sequence[int],
                strides: Sequence[int], dilations: Sequence[int]) -> np.ndarray:
    """Read-only view (N, *out, *ksize, C) of the windows of a padded (N, *spatial, C) array."""
    sn, *ss, sc = xp.strides
    shape = (xp.shape[0], *(w.out for w in geometry), *ksize, xp.shape[-1])
    step = [s * st for s, st in zip(ss, strides)]
    tap = [s * d for s, d in zip(ss, dilations)]
    return np.lib.stride_tricks.as_strided(xp, shape, (sn, *step, *tap, sc), writeable=False)


def tap_view(xp: np.ndarray, offsets: Sequence[int], geometry: Sequence[Window],
             strides: Sequence[int]) -> np.ndarray:
    """View (N, *out, C) of the input pixels that window tap ``offsets`` reads at every output."""
    index = [slice(None)]
    for off, w, st in zip(offsets, geometry, strides):
        index.append(slice(off, off + (w.out - 1) * st + 1, st) if w.out else slice(0, 0))
    index.append(slice(None))
    return xp[tuple(index)]


def chunk_rows(n: int, bytes_per_row: int, budget: int = IM2COL_BUDGET) -> int:
    """How many of ``n`` leading rows fit in ``budget`` bytes (at least one)."""
    return max(1, min(n, budget // max(1, bytes_per_row)))


def to_channels_last(x: np.ndarray, data_format: str) -> np.ndarray:
    """NCHW/NCDHW → NHWC/NDHWC view (identity for channels-last formats)."""
    if data_format.startswith("NC"):
        return np.moveaxis(x, 1, -1)
    return x


def from_channels_last(x: np.ndarray, data_format: str) -> np.ndarray:
    """NHWC/NDHWC → the op's ``data_format`` (identity for channels-last formats)."""
    if data_format.startswith("NC"):
        return np.moveaxis(x, -1, 1)
    return x


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype TensorFlow's CPU kernels accumulate in: float32 for float16/bfloat16."""
    if dtype.itemsize <= 2 and dtype.kind not in "iub":
        return np.dtype(np.float32)
    return dtype
