"""TensorSpec: the dtype and (possibly partial) shape a function argument must have."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from savedmodel.format import dtypes


class TensorSpec:
    """Describes a tensor argument: ``TensorSpec(shape=[None, 3], dtype=tf.float32, name="x")``.

    ``shape=None`` means any rank; ``None`` dims are unknown.
    """

    def __init__(self, shape: Sequence[int | None] | None = None, dtype: Any = "float32",
                 name: str | None = None) -> None:
        self.shape = None if shape is None else tuple(None if d is None or d == -1 else int(d)
                                                      for d in shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.name = name

    def is_compatible_with(self, shape: Sequence[int]) -> bool:
        """True when a concrete shape fits this spec's shape."""
        if self.shape is None:
            return True
        return len(shape) == len(self.shape) and all(
            want is None or want == got for want, got in zip(self.shape, shape))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype and self.name == other.name)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype.enum, self.name))

    def __repr__(self) -> str:
        shape = "<unknown>" if self.shape is None else "(" + ", ".join(
            "None" if d is None else str(d) for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        return f"TensorSpec(shape={shape}, dtype={self.dtype!r}, name={self.name!r})"
