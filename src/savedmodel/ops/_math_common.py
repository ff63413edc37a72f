"""Helpers shared by the math op families (math, reduction, segment, linalg, bitwise).

TensorFlow's CPU kernels (Eigen) compute ``half`` and ``bfloat16`` functions in float32 and round
the result back to 16 bits; ``widen`` and ``in_float32`` do the same here. Type-constraint strings
are kept in one place so that each op's header stays short and greppable against
``tensorflow/core/ops/math_ops.cc``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError, ResourceExhaustedError

HALF = np.dtype(np.float16)
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
LOW_FLOATS = frozenset({HALF, BFLOAT16})
FLOAT32 = np.dtype(np.float32)

# Type constraints, in the order TensorFlow's OpDefs list them.
FLOATS = "bfloat16, half, float, double"
FLOATS_COMPLEX = "bfloat16, half, float, double, complex64, complex128"
NUMBER = ("float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, "
          "bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64")
REAL_NUMBER = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, "
               "uint64")


def widen(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 when it is float16/bfloat16, else unchanged."""
    return x.astype(FLOAT32) if x.dtype in LOW_FLOATS else x


def in_float32(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Wraps an elementwise ``fn`` so 16-bit floats are computed in float32 and rounded back."""

    def apply(*args: np.ndarray) -> np.ndarray:
        dtype = args[0].dtype
        if dtype in LOW_FLOATS:
            return np.asarray(fn(*(a.astype(FLOAT32) for a in args))).astype(dtype)
        return np.asarray(fn(*args))

    return apply


def broadcast_shapes(ctx: Any, *arrays: np.ndarray) -> tuple[int, ...]:
    """The inputs' broadcast shape; InvalidArgumentError like TensorFlow's when incompatible."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " vs. ".join(str(tuple(a.shape)) for a in arrays)
        raise InvalidArgumentError(f"{ctx.where}: Incompatible shapes: {shapes}.") from None


def scalar_int(ctx: Any, name: str, value: np.ndarray) -> int:
    """The value of a scalar (or 1-element) integer input."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise InvalidArgumentError(
            f"{ctx.where}: {name} must be a scalar, got shape {tuple(arr.shape)}.")
    return int(arr.reshape(()))


def check_size(ctx: Any, count: int, dtype: np.dtype) -> None:
    """Refuses outputs over the runtime's ``max_tensor_bytes`` (a hostile Range or Bincount)."""
    limit = getattr(getattr(ctx, "options", None), "max_tensor_bytes", None)
    if limit is not None and count * max(np.dtype(dtype).itemsize, 1) > limit:
        raise ResourceExhaustedError(
            f"{ctx.where}: output of {count} elements of {np.dtype(dtype)} exceeds the "
            f"{limit}-byte tensor limit; raise RuntimeOptions.max_tensor_bytes if intended.")
