"""Quantization simulation: FakeQuantWithMinMax* and QuantizeAndDequantizeV2/V3/V4.

Mirrors ``fake_quant_ops_functor.h`` (Nudge: a zero point on the integer grid) and
``quantize_and_dequantize_op.h`` bit for bit: float32 arithmetic in TensorFlow's operation order,
Eigen's clamping (a NaN bound is ignored), and flush-to-zero of subnormals as on TensorFlow's CPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, shape_str, widen_small_floats
from savedmodel.ops.registry import add_op, make_op_def, register_op


def _flush_subnormal(x: np.ndarray) -> np.ndarray:
    """Subnormals to signed zero: TF's CPU kernels run with flush-to-zero and denormals-are-zero."""
    tiny = np.finfo(x.dtype).tiny
    return np.where(np.abs(x) < tiny, np.copysign(x.dtype.type(0), x), x)


def _eigen_clamp(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """Eigen's ``x.cwiseMin(hi).cwiseMax(lo)``: a NaN bound is ignored, a NaN in ``x`` stays."""
    x = np.where(hi < x, hi, x)
    return np.where(x < lo, lo, x)


def _std_round_nonnegative(x: np.ndarray) -> np.ndarray:
    """``std::round`` (half away from zero) of non-negative float32 values, computed exactly."""
    return np.floor(x.astype(np.float64) + 0.5)


def _nudge(mins: np.ndarray, maxs: np.ndarray, quant_min: int, quant_max: int) -> tuple:
    """TF's Nudge(): a zero point on the integer grid; returns nudged min/max, scale, 1/scale."""
    f32 = np.float32
    qmin, qmax = f32(quant_min), f32(quant_max)
    with np.errstate(all="ignore"):
        scale = (maxs - mins) / (qmax - qmin)
        inv_scale = (qmax - qmin) / (maxs - mins)
        from_min = qmin - mins / scale
        zero_point = np.where(from_min < qmin, quant_min, np.where(
            from_min > qmax, quant_max, _std_round_nonnegative(np.nan_to_num(from_min))))
        zero_point = zero_point.astype(np.uint16).astype(f32)
        return (qmin - zero_point) * scale, (qmax - zero_point) * scale, scale, inv_scale


def _fake_quant(x: np.ndarray, mins: Any, maxs: Any, num_bits: int, narrow_range: bool,
                divide: bool) -> np.ndarray:
    """Fake quantization of float32 ``x`` with (broadcastable) float32 ``mins``/``maxs``."""
    mins = _flush_subnormal(np.asarray(mins, np.float32))
    maxs = _flush_subnormal(np.asarray(maxs, np.float32))
    nmin, nmax, scale, inv = _nudge(mins, maxs, 1 if narrow_range else 0, (1 << num_bits) - 1)
    with np.errstate(all="ignore"):
        quant_zero = np.floor(-nmin * inv + np.float32(0.5))
        shifted = _eigen_clamp(x, nmin, nmax) - nmin
        steps = shifted / scale if divide else shifted * inv
        out = np.floor(steps - quant_zero + np.float32(0.5)) * scale
    return _flush_subnormal(np.where((mins == 0) & (maxs == 0), np.float32(0), out)
                            .astype(np.float32))


def _check_fake_quant_bits(ctx: Any, num_bits: int) -> None:
    if not 2 <= num_bits <= 16:
        fail(ctx, "num_bits must be between 2 and 16, inclusive")


def _qdq_scales(mins: np.ndarray, maxs: np.ndarray, signed: bool, num_bits: int,
                narrow: bool) -> tuple:
    """TF's ComputeQuantizationRange, vectorized: (min, max, scale, inverse scale) in x's type."""
    kind = mins.dtype.type
    if signed:
        q_min = -(1 << (num_bits - 1)) + (1 if narrow else 0)
        q_max = (1 << (num_bits - 1)) - 1
    else:
        q_min, q_max = 0, (1 << num_bits) - 1
    q_min_t, q_max_t, largest = kind(q_min), kind(q_max), kind(np.finfo(kind).max)
    with np.errstate(all="ignore"):
        from_min = np.where(q_min_t * mins > 0, q_min_t / mins, largest)
        from_max = np.where(q_max_t * maxs > 0, q_max_t / maxs, largest)
        use_min = from_min < from_max
        inverse = np.where(use_min, mins / q_min_t, maxs / q_max_t)
        new_max = np.where(use_min, q_max_t * inverse, maxs)
        new_min = np.where(use_min, mins, q_min_t * inverse)
    return new_min, new_max, np.where(use_min, from_min, from_max), inverse


def _qdq_range_inputs(ctx: Any, input_min: Any, input_max: Any, axis: int, depth: int,
                      dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The given ranges, validated like TF: per-tensor ranges must be ordered scalars."""
    mins, maxs = np.asarray(input_min, dtype), np.asarray(input_max, dtype)
    for name, value in (("input_min", mins), ("input_max", maxs)):
        if axis == -1 and value.ndim != 0:
            fail(ctx, f"{name} must be a scalar.")
        if axis != -1 and value.shape != (depth,):
            fail(ctx, f"{name}_tensor has incorrect shape {shape_str(value.shape)}: expected "
                      f"[{depth}] to match dim {axis} of the input")
    if axis == -1 and mins > maxs:
        fail(ctx, f"Invalid range: input_min {mins:g} > input_max {maxs:g}")
    return mins.reshape(-1), maxs.reshape(-1)


def _quantize_dequantize(ctx: Any, x: Any, input_min: Any, input_max: Any, *, signed_input: bool,
                         num_bits: int, range_given: bool, round_mode: str, narrow_range: bool,
                         axis: int) -> np.ndarray:
    """QuantizeAndDequantizeV2-V4: ``x`` rounded to the integer grid of its (given or observed)
    range, per tensor or per slice along ``axis``."""
    x = np.asarray(x)
    if axis < -1:
        fail(ctx, f"Axis must be at least -1. Found {axis}")
    if axis >= x.ndim:
        fail(ctx, f"Shape must be at least rank {axis + 1} but is rank {x.ndim}")
    work = widen_small_floats(x)  # TF's CPU kernels exist for float and double only
    depth = 1 if axis == -1 else x.shape[axis]
    view = work.reshape(1, 1, -1) if axis == -1 else work.reshape(
        math.prod(x.shape[:axis]), depth, math.prod(x.shape[axis + 1:]))
    if range_given:
        mins, maxs = _qdq_range_inputs(ctx, input_min, input_max, axis, depth, work.dtype)
    elif x.size == 0:
        return x.copy()
    else:  # Eigen's min/max reductions skip NaN here.
        mins, maxs = np.fmin.reduce(view, axis=(0, 2)), np.fmax.reduce(view, axis=(0, 2))
    lo, hi, scale, inverse = (_flush_subnormal(v).reshape(1, depth, 1) for v in _qdq_scales(
        _flush_subnormal(mins), _flush_subnormal(maxs), signed_input, num_bits, narrow_range))
    with np.errstate(all="ignore"):
        values = _eigen_clamp(view, lo, hi) if range_given else view
        scaled = values * scale
        rounded = np.rint(scaled) if round_mode == "HALF_TO_EVEN" else np.floor(scaled + 0.5)
        return _flush_subnormal(rounded * inverse).astype(x.dtype).reshape(x.shape)


def _check_qdq_bits(ctx: Any, num_bits: int, signed_input: bool, flag: str) -> None:
    if not 0 < num_bits < (62 if signed_input else 63):
        fail(ctx, f"num_bits is out of range: {num_bits} with {flag} {int(signed_input)}")


_QDQ_ATTRS = ["signed_input: bool = true", "num_bits: int = 8", "range_given: bool = false",
              "T: type {bfloat16, half, float, double}",
              "round_mode: string {'HALF_TO_EVEN', 'HALF_UP'} = 'HALF_TO_EVEN'",
              "narrow_range: bool = false", "axis: int = -1"]


def _qdq_v2(ctx: Any, x: Any, input_min: Any, input_max: Any, *, signed_input: bool, num_bits: int,
            range_given: bool, round_mode: str, narrow_range: bool, axis: int, **_: Any) -> tuple:
    _check_qdq_bits(ctx, num_bits, signed_input, "signed_input_")
    return (_quantize_dequantize(ctx, x, input_min, input_max, signed_input=signed_input,
                                 num_bits=num_bits, range_given=range_given, round_mode=round_mode,
                                 narrow_range=narrow_range, axis=axis),)


for _name in ("QuantizeAndDequantizeV2", "QuantizeAndDequantizeV4"):
    add_op(make_op_def(_name, ["input: T", "input_min: T", "input_max: T"], ["output: T"],
                       _QDQ_ATTRS), _qdq_v2)


@register_op("FakeQuantWithMinMaxArgs",
             inputs=["inputs: float"],
             outputs=["outputs: float"],
             attrs=["min: float = -6.0", "max: float = 6.0", "num_bits: int = 8",
                    "narrow_range: bool = false"])
def _fake_quant_args(ctx, x, *, num_bits, narrow_range, **attrs):
    low, high = np.float32(attrs["min"]), np.float32(attrs["max"])
    if low >= high:
        fail(ctx, f"min has to be smaller than max, was: {low:g} >= {high:g}")
    _check_fake_quant_bits(ctx, num_bits)
    return (_fake_quant(np.asarray(x), low, high, num_bits, narrow_range, divide=False),)


@register_op("FakeQuantWithMinMaxVars",
             inputs=["inputs: float", "min: float", "max: float"],
             outputs=["outputs: float"],
             attrs=["num_bits: int = 8", "narrow_range: bool = false"])
def _fake_quant_vars(ctx, x, low, high, *, num_bits, narrow_range):
    _check_fake_quant_bits(ctx, num_bits)
    for name, value in (("min", low), ("max", high)):
        if np.ndim(value) != 0:
            fail(ctx, f"`{name}` must be rank 0 but is rank {np.ndim(value)}")
    return (_fake_quant(np.asarray(x), low, high, num_bits, narrow_range, divide=True),)


@register_op("FakeQuantWithMinMaxVarsPerChannel",
             inputs=["inputs: float", "min: float", "max: float"],
             outputs=["outputs: float"],
             attrs=["num_bits: int = 8", "narrow_range: bool = false"])
def _fake_quant_vars_per_channel(ctx, x, low, high, *, num_bits, narrow_range):
    _check_fake_quant_bits(ctx, num_bits)
    x = np.asarray(x)
    if x.ndim < 1:
        fail(ctx, "inputs must be at least 1-D (the last dimension holds the channels), got "
                  "shape []")
    for name, value in (("min", low), ("max", high)):
        if np.shape(value) != (x.shape[-1],):
            fail(ctx, f"{name} has incorrect size, expected {x.shape[-1]} was {np.size(value)}")
    return (_fake_quant(x, low, high, num_bits, narrow_range, divide=False),)


@register_op("QuantizeAndDequantizeV3",
             inputs=["input: T", "input_min: T", "input_max: T", "num_bits: int32"],
             outputs=["output: T"],
             attrs=["signed_input: bool = true", "range_given: bool = true",
                    "T: type {bfloat16, half, float, double}", "narrow_range: bool = false",
                    "axis: int = -1"])
def _qdq_v3(ctx, x, input_min, input_max, num_bits, *, signed_input, range_given, narrow_range,
            axis, **_):
    if np.ndim(num_bits) != 0:
        fail(ctx, "Invalid shape. The `num_bits` tensor should be a scalar. Got dimensions: "
                  f"{np.ndim(num_bits)}")
    bits = int(num_bits)
    _check_qdq_bits(ctx, bits, signed_input, "`signed_input_`")
    return (_quantize_dequantize(ctx, x, input_min, input_max, signed_input=signed_input,
                                 num_bits=bits, range_given=range_given, round_mode="HALF_TO_EVEN",
                                 narrow_range=narrow_range, axis=axis),)
