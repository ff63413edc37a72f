"""Bit operations on integers (``tensorflow/core/ops/bitwise_ops.cc``).

Shift counts are clamped to ``[0, bits - 1]`` as TensorFlow's kernels do to avoid undefined
behaviour: a negative count shifts by 0, an oversized one by ``bits - 1``; right shifts of signed
values are arithmetic, left shifts wrap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.ops._math_common import broadcast_shapes
from savedmodel.ops.registry import add_op, make_op_def, register_op

_INTS = "T: type {int8, int16, int32, int64, uint8, uint16, uint32, uint64}"


def _clamped_shift(y: np.ndarray) -> np.ndarray:
    return np.clip(y, 0, 8 * y.dtype.itemsize - 1).astype(y.dtype, copy=False)


def _binary(name: str, fn) -> None:
    def kernel(ctx: Any, x: np.ndarray, y: np.ndarray, **_: Any) -> tuple:
        broadcast_shapes(ctx, x, y)
        return (np.asarray(fn(x, y)),)

    add_op(make_op_def(name, ["x: T", "y: T"], ["z: T"], [_INTS]), kernel)


_binary("BitwiseAnd", np.bitwise_and)
_binary("BitwiseOr", np.bitwise_or)
_binary("BitwiseXor", np.bitwise_xor)
_binary("LeftShift", lambda x, y: np.left_shift(x, _clamped_shift(y)))
_binary("RightShift", lambda x, y: np.right_shift(x, _clamped_shift(y)))


@register_op("Invert", inputs=["x: T"], outputs=["y: T"], attrs=[_INTS])
def _invert(ctx, x, **_):
    return (np.asarray(np.invert(x)),)


@register_op("PopulationCount", inputs=["x: T"], outputs=["y: uint8"], attrs=[_INTS])
def _population_count(ctx, x, **_):
    # The two's-complement bits: NumPy counts the bits of |x| for signed types.
    unsigned = x.view(x.dtype.str.replace("i", "u")) if x.dtype.kind == "i" else x
    return (np.asarray(np.bitwise_count(unsigned)).astype(np.uint8, copy=False),)
