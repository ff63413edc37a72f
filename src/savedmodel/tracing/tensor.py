"""Eager tensors: NumPy-backed values with TensorFlow's ``.numpy()``, ``.shape`` and ``.dtype``."""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.format import dtypes


class EagerTensor:
    """A concrete value. Strings are object arrays of ``bytes``, as TensorFlow's ``.numpy()`` gives."""

    __slots__ = ("_value",)
    __array_priority__ = 100

    def __init__(self, value: Any) -> None:
        self._value = value if isinstance(value, np.ndarray) else np.asarray(value)

    def numpy(self) -> Any:
        """The value as NumPy: an ndarray, or a NumPy scalar / ``bytes`` for rank 0 (like TF)."""
        value = self._value
        if value.ndim == 0:
            return value.item() if value.dtype == object else value[()]
        return value

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.as_dtype(self._value.dtype)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._value if dtype is None else self._value.astype(dtype)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return (EagerTensor(v) for v in self._value)

    def __getitem__(self, item: Any) -> EagerTensor:
        return EagerTensor(self._value[item])

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return EagerTensor(self._value == np.asarray(other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, numpy={self.numpy()!r}>"


def value_of(x: Any) -> Any:
    """The NumPy value behind an EagerTensor; other values unchanged."""
    return x._value if isinstance(x, EagerTensor) else x
