"""Array ops on diagonals and bands: MatrixDiag*, MatrixSetDiag*, MatrixBandPart, Diag, DiagPart.

Mirrors ``tensorflow/core/kernels/linalg/matrix_diag_op.cc``, ``matrix_set_diag_op.cc``,
``matrix_band_part_op.cc`` and ``diag_op.cc``, including the V3 ``align`` rules: a diagonal shorter
than the longest one is padded on the right when left-aligned, on the left otherwise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, shape_str, zero
from savedmodel.ops.registry import register_op

_ALIGN_ATTR = ("align: string {'LEFT_RIGHT', 'RIGHT_LEFT', 'LEFT_LEFT', 'RIGHT_RIGHT'} = "
               "'RIGHT_LEFT'")


def _diag_range(ctx: Any, k: Any) -> tuple[int, int]:
    """(lower, upper) diagonal indices from ``k``: a scalar or a vector of one or two."""
    k = np.asarray(k)
    if k.ndim > 1:
        fail(ctx, f"diag_index must be a scalar or vector, received shape: {shape_str(k.shape)}")
    if k.size == 0:
        fail(ctx, "Expected diag_index to have at least 1 element")
    if k.ndim == 1 and k.size > 2:
        fail(ctx, f"diag_index must have only one or two elements, received {k.size} elements.")
    values = k.reshape(-1).tolist()
    return int(values[0]), int(values[-1])


def _diag_offsets(diags: np.ndarray, max_len: int, rows: int, cols: int, align: str) -> np.ndarray:
    """Content offset of each diagonal inside its ``max_len`` slot (0 when left-aligned)."""
    left_super = align in ("LEFT_LEFT", "LEFT_RIGHT")
    left_sub = align in ("LEFT_LEFT", "RIGHT_LEFT")
    left = ((diags >= 0) & left_super) | ((diags <= 0) & left_sub)
    lengths = np.minimum(rows + np.minimum(diags, 0), cols - np.maximum(diags, 0))
    return np.where(left, 0, max_len - lengths)


def _band_coordinates(rows: int, cols: int, lower: int, upper: int, max_len: int,
                      align: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (row, col): inside the band?, diagonal slot (upper - d), position in that slot."""
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    d = c - r
    inside = (d >= lower) & (d <= upper)
    offsets = _diag_offsets(np.arange(upper, lower - 1, -1), max_len, rows, cols, align)
    slot = np.clip(upper - d, 0, upper - lower)
    position = c - np.maximum(d, 0) + offsets[slot]
    return inside, slot, np.clip(position, 0, max(max_len - 1, 0))


def _check_diag_bounds(ctx: Any, lower: int, upper: int, rows: int, cols: int, sep: str) -> None:
    """Diagonals must lie inside a ``rows x cols`` matrix (``k == 0`` always passes)."""
    for name, k in (("lower_diag_index", lower), ("upper_diag_index", upper)):
        if not (-rows < k < cols or k == 0):
            fail(ctx, f"{name} is out of bound: {k}{sep} It must be between {-rows} and {cols}")
    if lower > upper:
        fail(ctx, f"lower_diag_index must not be larger than upper_diag_index: {lower} > {upper}")


def _matrix_diag(ctx: Any, diagonal: Any, k: Any, num_rows: Any, num_cols: Any, padding: Any,
                 align: str) -> np.ndarray:
    """MatrixDiag V1-V3: a batch of matrices with the given diagonals, ``padding`` elsewhere."""
    diagonal = np.asarray(diagonal)
    lower, upper = _diag_range(ctx, k)
    if np.ndim(padding) != 0:
        fail(ctx, "padding_value must be a scalar")
    if diagonal.ndim < 1:
        fail(ctx, f"diagonal must be at least 1-dim, received shape: {shape_str(diagonal.shape)}")
    if lower > upper:
        fail(ctx, f"lower_diag_index must not be larger than upper_diag_index: {lower} > {upper}")
    num_diags = upper - lower + 1
    if lower != upper and (diagonal.ndim < 2 or diagonal.shape[-2] != num_diags):
        fail(ctx, "The number of diagonals provided in the input does not match the "
                  "lower_diag_index and upper_diag_index range.")
    max_len = diagonal.shape[-1]
    min_rows, min_cols = max_len - min(upper, 0), max_len + max(lower, 0)
    rows, cols = int(num_rows), int(num_cols)
    if rows != -1 and rows < min_rows:
        fail(ctx, "The number of rows is too small.")
    if cols != -1 and cols < min_cols:
        fail(ctx, "The number of columns is too small.")
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    rows = min_rows if rows == -1 else rows
    cols = min_cols if cols == -1 else cols
    if rows != min_rows and cols != min_cols:
        fail(ctx, "The number of rows or columns is not consistent with the specified d_lower, "
                  "d_upper, and diagonal.")
    stacked = diagonal[..., None, :] if lower == upper else diagonal
    inside, slot, position = _band_coordinates(rows, cols, lower, upper, max_len, align)
    if max_len == 0:
        return np.full(stacked.shape[:-2] + (rows, cols), padding, dtype=diagonal.dtype)
    return np.where(inside, stacked[..., slot, position], np.asarray(padding, diagonal.dtype))


def _matrix_diag_part(ctx: Any, x: Any, k: Any, padding: Any, align: str) -> np.ndarray:
    """MatrixDiagPart V1-V3: diagonals ``k`` of each matrix, aligned and padded to one length."""
    x = np.asarray(x)
    lower, upper = _diag_range(ctx, k)
    if x.ndim < 2:
        fail(ctx, f"input must be at least 2-dim, received shape: {shape_str(x.shape)}")
    rows, cols = x.shape[-2:]
    _check_diag_bounds(ctx, lower, upper, rows, cols, ".")
    max_len = max(min(rows + min(upper, 0), cols - max(lower, 0)), 0)
    diags = np.arange(upper, lower - 1, -1)[:, None]
    n = np.arange(max_len)[None, :] - _diag_offsets(diags, max_len, rows, cols, align)
    r, c = n + np.maximum(-diags, 0), n + np.maximum(diags, 0)
    valid = (n >= 0) & (r < rows) & (c < cols)
    if rows and cols:
        picked = x[..., np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)]
        out = np.where(valid, picked, np.asarray(padding, x.dtype))
    else:
        out = np.full(x.shape[:-2] + valid.shape, padding, dtype=x.dtype)
    return out[..., 0, :] if lower == upper else out


def _matrix_set_diag(ctx: Any, x: Any, diagonal: Any, k: Any, align: str) -> np.ndarray:
    """MatrixSetDiag V1-V3: ``x`` with diagonals ``k`` replaced by ``diagonal``."""
    x, diagonal = np.asarray(x), np.asarray(diagonal)
    lower, upper = _diag_range(ctx, k)
    if x.ndim < 2:
        fail(ctx, f"input must be at least 2-dim, received shape: {shape_str(x.shape)}")
    if diagonal.ndim < 1:
        fail(ctx, f"diagonal must be at least 1-dim, received shape: {shape_str(diagonal.shape)}")
    rows, cols = x.shape[-2:]
    _check_diag_bounds(ctx, lower, upper, rows, cols, "")
    num_diags = upper - lower + 1
    max_len = min(rows + min(upper, 0), cols - max(lower, 0))
    expected = x.shape[:-2] + ((num_diags,) if num_diags > 1 else ()) + (max_len,)
    if diagonal.shape != expected:
        fail(ctx, "Either first dimensions of diagonal don't match input.shape[:-2], or "
                  "diagonal.shape[:-1] is not equal to the longests diagonal in range "
                  f"[lower_diag_index:upper_diag_index].\nInput shape: {shape_str(x.shape)}\n"
                  f"Diagonal shape: {shape_str(diagonal.shape)}\nExpected diagonal shape: "
                  f"{shape_str(expected)}")
    if x.size == 0:
        return x
    stacked = diagonal[..., None, :] if lower == upper else diagonal
    inside, slot, position = _band_coordinates(rows, cols, lower, upper, max_len, align)
    return np.where(inside, stacked[..., slot, position], x)


@register_op("Diag",
             inputs=["diagonal: T"],
             outputs=["output: T"],
             attrs=["T: type {bfloat16, half, float, double, int32, int64, complex64, complex128}"])
def _diag(ctx, diagonal, **_):
    diagonal = np.asarray(diagonal)
    if diagonal.ndim < 1:
        fail(ctx, f"Input must be at least rank 1, got {diagonal.ndim}")
    n = diagonal.size
    out = np.zeros((n, n), dtype=diagonal.dtype)
    out[np.arange(n), np.arange(n)] = diagonal.reshape(-1)
    return (out.reshape(diagonal.shape + diagonal.shape),)


@register_op("DiagPart",
             inputs=["input: T"],
             outputs=["diagonal: T"],
             attrs=["T: type {bfloat16, half, float, double, int32, int64, complex64, complex128}"])
def _diag_part(ctx, x, **_):
    x = np.asarray(x)
    if x.ndim % 2:
        fail(ctx, f"The rank of the tensor should be even and positive, got shape "
                  f"{shape_str(x.shape)}")
    half = x.ndim // 2
    for i in range(half):
        if x.shape[i] != x.shape[i + half]:
            fail(ctx, f"Invalid shape {shape_str(x.shape)}: dimensions {i} and {i + half} do "
                      "not match.")
    n = math.prod(x.shape[:half])
    return (x.reshape(n, n)[np.arange(n), np.arange(n)].reshape(x.shape[:half]),)


@register_op("MatrixBandPart",
             inputs=["input: T", "num_lower: Tindex", "num_upper: Tindex"],
             outputs=["band: T"],
             attrs=["T: type", "Tindex: type {int32, int64} = DT_INT64"])
def _matrix_band_part(ctx, x, num_lower, num_upper, **_):
    x = np.asarray(x)
    if x.ndim < 2:
        fail(ctx, f"input must be at least 2-dim, received shape: {shape_str(x.shape)}")
    rows, cols = x.shape[-2:]
    limits = []
    for name, value, size, what in (("num_lower", num_lower, rows, "rows"),
                                    ("num_upper", num_upper, cols, "columns")):
        if np.ndim(value) != 0:
            fail(ctx, f"{name} must be scalar, got shape {shape_str(np.shape(value))}")
        limit = int(value)
        if limit > size:
            fail(ctx, f"{name} must be negative or less or equal to number of {what} ({size}) "
                      f"got: {limit}")
        limits.append(limit)
    lower, upper = limits
    d = np.arange(cols)[None, :] - np.arange(rows)[:, None]
    keep = ((lower < 0) | (-d <= lower)) & ((upper < 0) | (d <= upper))
    return (np.where(keep, x, zero(x.dtype)),)


@register_op("MatrixDiag",
             inputs=["diagonal: T"],
             outputs=["output: T"],
             attrs=["T: type"])
def _matrix_diag_v1(ctx, diagonal, **_):
    padding = zero(np.asarray(diagonal).dtype)
    return (_matrix_diag(ctx, diagonal, 0, -1, -1, padding, "LEFT_LEFT"),)


@register_op("MatrixDiagPart",
             inputs=["input: T"],
             outputs=["diagonal: T"],
             attrs=["T: type"])
def _matrix_diag_part_v1(ctx, x, **_):
    return (_matrix_diag_part(ctx, x, 0, zero(np.asarray(x).dtype), "LEFT_LEFT"),)


@register_op("MatrixDiagPartV2",
             inputs=["input: T", "k: int32", "padding_value: T"],
             outputs=["diagonal: T"],
             attrs=["T: type"])
def _matrix_diag_part_v2(ctx, x, k, padding_value, **_):
    return (_matrix_diag_part(ctx, x, k, padding_value, "LEFT_LEFT"),)


@register_op("MatrixDiagPartV3",
             inputs=["input: T", "k: int32", "padding_value: T"],
             outputs=["diagonal: T"],
             attrs=["T: type", _ALIGN_ATTR])
def _matrix_diag_part_v3(ctx, x, k, padding_value, *, align, **_):
    return (_matrix_diag_part(ctx, x, k, padding_value, align),)


@register_op("MatrixDiagV2",
             inputs=["diagonal: T", "k: int32", "num_rows: int32", "num_cols: int32",
                     "padding_value: T"],
             outputs=["output: T"],
             attrs=["T: type"])
def _matrix_diag_v2(ctx, diagonal, k, num_rows, num_cols, padding_value, **_):
    return (_matrix_diag(ctx, diagonal, k, num_rows, num_cols, padding_value, "LEFT_LEFT"),)


@register_op("MatrixDiagV3",
             inputs=["diagonal: T", "k: int32", "num_rows: int32", "num_cols: int32",
                     "padding_value: T"],
             outputs=["output: T"],
             attrs=["T: type", _ALIGN_ATTR])
def _matrix_diag_v3(ctx, diagonal, k, num_rows, num_cols, padding_value, *, align, **_):
    return (_matrix_diag(ctx, diagonal, k, num_rows, num_cols, padding_value, align),)


@register_op("MatrixSetDiag",
             inputs=["input: T", "diagonal: T"],
             outputs=["output: T"],
             attrs=["T: type"])
def _matrix_set_diag_v1(ctx, x, diagonal, **_):
    return (_matrix_set_diag(ctx, x, diagonal, 0, "LEFT_LEFT"),)


@register_op("MatrixSetDiagV2",
             inputs=["input: T", "diagonal: T", "k: int32"],
             outputs=["output: T"],
             attrs=["T: type"])
def _matrix_set_diag_v2(ctx, x, diagonal, k, **_):
    return (_matrix_set_diag(ctx, x, diagonal, k, "LEFT_LEFT"),)


@register_op("MatrixSetDiagV3",
             inputs=["input: T", "diagonal: T", "k: int32"],
             outputs=["output: T"],
             attrs=["T: type", _ALIGN_ATTR])
def _matrix_set_diag_v3(ctx, x, diagonal, k, *, align, **_):
    return (_matrix_set_diag(ctx, x, diagonal, k, align),)
