"""TensorFlow's Cast semantics on NumPy arrays (``tensorflow/core/kernels/cast_op*.{h,cc}``).

- complex -> real (and -> bool) keep the real part; real -> complex sets the imaginary part to 0;
- -> bool is ``!= 0``; int -> int wraps; float -> int truncates toward zero;
- float -> int out of range (and NaN) follows the x86 conversions of TensorFlow's vectorized CPU
  path: int32/int64 get the minimum value; int8/int16/uint8/uint16 convert through int32 and
  saturate; uint32/uint64 wrap from the signed conversion and get 2**31 / 2**63 out of range. C++
  leaves this undefined and TensorFlow's scalar tail path differs, so only in-range values (and
  NaN -> int32/int64) are guaranteed;
- anything -> float16/bfloat16 goes through float32 (Eigen converts ``double -> float -> half``);
- ``Truncate=True`` zeroes the input mantissa bits the output lacks before rounding, for the pairs
  TensorFlow specializes (double/float/complex -> float/half/bfloat16, see ``SPECIALIZE_CAST``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.errors import UnimplementedError
from savedmodel.ops._math_common import BFLOAT16, FLOAT32, HALF, LOW_FLOATS

_F64, _C64, _C128 = np.dtype(np.float64), np.dtype(np.complex64), np.dtype(np.complex128)
# (source, destination) -> mantissa bits that Truncate clears (TF's LSBZeroSetter pairs).
_TRUNCATE_BITS = {
    (_F64, FLOAT32): 29, (_C128, FLOAT32): 29, (_C128, _C64): 29, (_F64, _C64): 29,
    (_F64, HALF): 42, (FLOAT32, HALF): 13, (_C128, HALF): 42, (_C64, HALF): 13,
    (FLOAT32, BFLOAT16): 16,
}
_UINT_OF = {4: np.uint32, 8: np.uint64}


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or (dtype.kind == "V" and dtype.itemsize <= 2)


def _clear_low_bits(x: np.ndarray, bits: int) -> np.ndarray:
    """Zeroes the ``bits`` lowest bits of every non-NaN float (real and imaginary parts)."""
    parts = np.ascontiguousarray(x)
    floats = parts.view(parts.real.dtype) if parts.dtype.kind == "c" else parts
    as_uint = floats.view(_UINT_OF[floats.dtype.itemsize])
    mask = as_uint.dtype.type(~((1 << bits) - 1) & ((1 << (8 * floats.dtype.itemsize)) - 1))
    cleared = np.where(np.isnan(floats), as_uint, as_uint & mask).view(floats.dtype)
    return cleared.view(parts.dtype).reshape(parts.shape)


def _float_to_int(x: np.ndarray, dst: np.dtype) -> np.ndarray:
    info = np.iinfo(dst)
    if x.size:
        low, high = float(np.min(x)), float(np.max(x))  # NaN makes both NaN
        if low > info.min - 1.0 and high < info.max + 1.0:  # in range: NumPy truncates the same
            return x.astype(dst)
    t = np.trunc(x.astype(_F64))
    if dst.itemsize == 8:
        if dst.kind == "i":
            valid = (t >= -2.0**63) & (t < 2.0**63)
            return np.where(valid, t, -2.0**63).astype(np.int64)
        high = t >= 2.0**63
        valid = (t >= -2.0**63) & (t < 2.0**64)
        low = np.where(valid & ~high, t, 0.0).astype(np.int64).view(np.uint64)
        top = (np.where(high & valid, t - 2.0**63, 0.0).astype(np.int64).view(np.uint64)
               + np.uint64(1 << 63))
        return np.where(~valid, np.uint64(1 << 63), np.where(high, top, low))
    if dst == np.uint32:
        valid = (t >= -2.0**31) & (t < 2.0**32)
        return np.where(valid, t, 2.0**31).astype(np.int64).astype(np.uint32)
    valid = (t >= -2.0**31) & (t < 2.0**31)
    as_int32 = np.where(valid, t, -2.0**31).astype(np.int32)
    if dst == np.int32:
        return as_int32
    return np.clip(as_int32, info.min, info.max).astype(dst)


def cast_array(ctx: Any, x: np.ndarray, dst_type: Any, truncate: bool = False) -> np.ndarray:
    """``x`` converted to TF type ``dst_type`` (a DType) exactly as TensorFlow's CPU Cast does."""
    dst = dst_type.numpy
    src = x.dtype
    if src == dst:
        return x
    if src == object or dst == object:
        raise UnimplementedError(
            f"{ctx.where}: Cast {'string' if src == object else src} to "
            f"{'string' if dst == object else dst_type.name} is not supported.")
    if truncate and (src, dst) in _TRUNCATE_BITS:
        x = _clear_low_bits(x, _TRUNCATE_BITS[(src, dst)])
    if dst == np.bool_:
        return np.asarray((x.real if src.kind == "c" else x) != 0)
    if src.kind == "c" and dst.kind != "c":
        x = np.ascontiguousarray(x.real)
    if dst.kind in "iu" and _is_float(x.dtype):
        return _float_to_int(x, dst)
    if dst in LOW_FLOATS and x.dtype not in LOW_FLOATS and x.dtype != FLOAT32:
        x = x.astype(FLOAT32)
    return x.astype(dst)
