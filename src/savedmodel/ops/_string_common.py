"""Helpers shared by the string op modules: bytes object arrays, text views and shape strings.

Strings are object arrays of ``bytes``; text is decoded with ``surrogateescape`` so invalid UTF-8
survives a round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops.context import KernelContext

_SPLITS = "Tsplits: type {int32, int64} = DT_INT64"


def _obj(values: Sequence[Any], shape: Sequence[int]) -> np.ndarray:
    """An object array of ``shape`` holding ``values`` (bytes) in row-major order."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(tuple(shape))


def _flat(array: Any) -> list:
    """The elements of a string tensor as a flat list of bytes."""
    return [v if isinstance(v, bytes) else str(v).encode() for v in np.asarray(array).reshape(-1)]


def _scalar_string(ctx: KernelContext, value: Any, what: str) -> bytes:
    array = np.asarray(value)
    if array.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: {what} must be scalar, but received "
                                   f"{_shape_str(array.shape)}")
    return _flat(array)[0]


def _shape_str(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _map_strings(fn: Callable[[bytes], Any], array: Any, dtype: Any = object) -> np.ndarray:
    array = np.asarray(array)
    values = [fn(v) for v in _flat(array)]
    if dtype is object:
        return _obj(values, array.shape)
    return np.asarray(values, dtype=dtype).reshape(array.shape)


def _to_str(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _to_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")
