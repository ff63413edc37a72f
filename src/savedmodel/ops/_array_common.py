"""Helpers shared by the array op modules: TensorFlow-worded errors, shape text, small input checks.

Errors carry TensorFlow's kernel message after the node (``ctx.where``), so a user can search for
either. Strings are object arrays of ``bytes``, whose "zero" is ``b""``.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from savedmodel.errors import InvalidArgumentError


def fail(ctx: Any, message: str) -> NoReturn:
    """Raises InvalidArgumentError: the node, then TensorFlow's message."""
    raise InvalidArgumentError(f"{ctx.where}: {message}")


def shape_str(shape: Any) -> str:
    """A shape as TensorFlow's TensorShape::DebugString prints it: ``[2,?,3]``."""
    return "[" + ",".join("?" if d is None or d < 0 else str(d) for d in shape) + "]"


def int_vector(ctx: Any, value: Any, what: str) -> list[int]:
    """A 1-D integer input (a shape, begin, paddings, ...) as Python ints."""
    arr = np.asarray(value)
    if arr.ndim != 1:
        fail(ctx, f"{what} must be 1-D, got shape {shape_str(arr.shape)}")
    return arr.reshape(-1).tolist()


def scalar(ctx: Any, value: Any, what: str, allow_one: bool = False) -> Any:
    """A scalar input (an axis, a depth, ...) as a Python number."""
    arr = np.asarray(value)
    if arr.ndim != 0 and not (allow_one and arr.size == 1):
        fail(ctx, f"{what} must be a scalar, got shape {shape_str(arr.shape)}")
    return arr.reshape(-1)[0].item()


def zero(dtype: np.dtype) -> Any:
    """The zero scalar of ``dtype`` (``b""`` for strings)."""
    return b"" if dtype.kind == "O" else np.zeros((), dtype)[()]


def zeros(shape: Any, dtype: np.dtype) -> np.ndarray:
    """A zero-filled array (``b""`` for strings)."""
    if dtype.kind == "O":
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, dtype)


def normalize_axis(ctx: Any, axis: int, rank: int, message: str) -> int:
    """``axis`` in ``[0, rank)``; fails with ``message`` when outside ``[-rank, rank)``."""
    if not -rank <= axis < rank:
        fail(ctx, message)
    return axis % rank


def widen_small_floats(x: np.ndarray) -> np.ndarray:
    """float16/bfloat16 values widened to float32 (exactly) for sorting, hashing and comparing."""
    return x.astype(np.float32) if x.dtype.kind == "V" or x.dtype == np.float16 else x


def index_string(position: Any) -> str:
    """A multi-index as TensorFlow prints it in errors: ``[0,1]``."""
    return "[" + ",".join(str(int(p)) for p in position) + "]"
