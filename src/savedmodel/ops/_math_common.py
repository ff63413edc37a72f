"""Helpers shared by the math op families (math, reduction, segment, linalg, bitwise).

TensorFlow's CPU kernels (Eigen) compute ``half`` and ``bfloat16`` math in float32 and round the result
back to 16 bits; ``widen``/``narrow`` do the same here. Type-constraint strings are kept in one place
so each op's header stays short and greppable against ``tensorflow/core/ops/math_ops.cc``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError

HALF = np.dtype(np.float16)
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
LOW_FLOATS = frozenset({HALF, BFLOAT16})
FLOAT32 = np.dtype(np.float32)

# Type constraints, in the order TensorFlow's OpDefs list them.
FLOATS = "bfloat16, half, float, double"
FLOATS_COMPLEX = "bfloat16, half, float, double, complex64, complex128"
SIGNED = "int8, int16, int32, int64"
UNSIGNED = "uint8, uint16, uint32, uint64"
NUMBER = ("float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, "
          "bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64")
REAL_NUMBER = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, "
               "uint64")


def is_low_float(dtype: np.dtype) -> bool:
    """True for float16 and bfloat16, which TensorFlow computes in float32."""
    return dtype in LOW_FLOATS


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


def as_array(value: Any, dtype: np.dtype) -> np.ndarray:
    """``value`` as an ndarray of ``dtype`` (NumPy scalars and 0-d results included), no copy if exact."""
    return np.asarray(value, dtype=dtype)


def broadcast_shapes(ctx: Any, *arrays: np.ndarray) -> tuple[int, ...]:
    """The broadcast shape of the inputs; InvalidArgumentError like TensorFlow's when incompatible."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " vs. ".join(str(tuple(a.shape)) for a in arrays)
        raise InvalidArgumentError(f"{ctx.where}: Incompatible shapes: {shapes}.") from None


def int_list(value: np.ndarray) -> list[int]:
    """A small integer tensor (axes, sizes) as Python ints."""
    return [int(v) for v in np.asarray(value).reshape(-1)]


def check_rank(ctx: Any, name: str, value: np.ndarray, ranks: Sequence[int]) -> None:
    """Raises InvalidArgumentError unless ``value`` has one of ``ranks``."""
    if value.ndim not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        raise InvalidArgumentError(
            f"{ctx.where}: {name} must have rank {wanted}, got shape {tuple(value.shape)}.")


def scalar_int(ctx: Any, name: str, value: np.ndarray) -> int:
    """The value of a scalar (or 1-element) integer input."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise InvalidArgumentError(
            f"{ctx.where}: {name} must be a scalar, got shape {tuple(arr.shape)}.")
    return int(arr.reshape(()))
