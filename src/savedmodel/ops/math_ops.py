"""Elementwise math: unary and binary arithmetic, comparisons, complex parts, Cast, AddN, ranges.

Mirrors ``tensorflow/core/ops/math_ops.cc`` with the CPU kernels' semantics (``cwise_ops.h``,
Eigen): ``half``/``bfloat16`` functions are computed in float32 and rounded back; arithmetic is
done in the element type (rounded per operation, integers wrap); Maximum/Minimum propagate NaN;
Round is half-to-even; integer division by zero is an InvalidArgumentError; FloorDiv/FloorMod round
toward negative infinity while TruncateDiv/TruncateMod/Mod round toward zero; complex division,
reciprocal, sign, expm1, log1p and pow follow Eigen's formulas so that zero, inf and NaN parts give
TensorFlow's results. Reductions live in ``reduction_ops``, matrix products in ``linalg_ops``, bit
operations in ``bitwise_ops``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.ops import _special
from savedmodel.ops._cast import cast_array
from savedmodel.ops._math_common import (
    FLOAT32,
    FLOATS,
    FLOATS_COMPLEX,
    LOW_FLOATS,
    NUMBER,
    broadcast_shapes,
    check_size,
    in_float32,
)
from savedmodel.ops.registry import add_op, elementwise, make_op_def, register_op

_INT_TYPES = frozenset(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8,
                                             np.uint16, np.uint32, np.uint64))
_ZERO: dict[np.dtype, np.ndarray] = {}  # 0-d zeros, for np.where without promotion


def _zero(dtype: np.dtype) -> np.ndarray:
    if dtype not in _ZERO:
        _ZERO[dtype] = np.zeros((), dtype)
    return _ZERO[dtype]


# Complex arithmetic the way Eigen computes it (NumPy follows C99 Annex G instead, e.g. 1/0 = inf
# and 0**0 = 1 where TensorFlow has NaN).
def _make_complex(real: np.ndarray, imag: np.ndarray, dtype: np.dtype) -> np.ndarray:
    out = np.empty(np.broadcast_shapes(np.shape(real), np.shape(imag)), dtype)
    out.real = real
    out.imag = imag
    return out


def _divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x / y; complex division scaled by max(|re y|, |im y|) like Eigen's pdiv."""
    if x.dtype.kind != "c":
        return np.divide(x, y)
    scale = np.maximum(np.abs(y.real), np.abs(y.imag))
    xr, xi, yr, yi = x.real / scale, x.imag / scale, y.real / scale, y.imag / scale
    denom = yr * yr + yi * yi
    return _make_complex((xr * yr + xi * yi) / denom, (xi * yr - xr * yi) / denom, x.dtype)


def _reciprocal(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "c":
        return _divide(np.ones((), x.dtype), x)
    return in_float32(np.reciprocal)(x)


def _sign(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind != "c":
        return in_float32(np.sign)(x)
    magnitude = np.abs(x)
    inverse = 1 / np.where(magnitude == 0, 1, magnitude)
    unit = _make_complex(x.real * inverse, x.imag * inverse, x.dtype)
    return np.where(magnitude == 0, _zero(x.dtype), unit)


def _expm1(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind != "c":
        return in_float32(np.expm1)(x)
    # exp(a+ib) - 1 = (expm1(a) - 2 e^a sin^2(b/2)) + i e^a sin(b): no cancellation near 0.
    em1 = np.expm1(x.real)
    half_sin = np.sin(x.imag / 2)
    real = em1 - 2 * (em1 + 1) * half_sin * half_sin
    return _make_complex(real, (em1 + 1) * np.sin(x.imag), x.dtype)


def _log1p(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind != "c":
        return in_float32(np.log1p)(x)
    # Eigen's generic_log1p: x * (log(u) / (u - 1)) with u = 1 + x, x itself where u == 1 or inf.
    u = 1 + x
    log_u = np.log(u)
    return np.where((u == 1) | (u == log_u), x, x * _divide(log_u, u - 1))


def _special_fn(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A float64 special function on any float dtype (16-bit results rounded via float32)."""

    def apply(x: np.ndarray) -> np.ndarray:
        y = fn(x.astype(np.float64))
        return (y.astype(FLOAT32) if x.dtype in LOW_FLOATS else y).astype(x.dtype)

    return apply


def _single_or_double(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    """``fn`` in double for float64, else in float32 (Eigen's float version), rounded back."""

    def apply(x: np.ndarray) -> np.ndarray:
        wide = x if x.dtype == np.float64 else x.astype(FLOAT32, copy=False)
        return np.asarray(fn(wide)).astype(x.dtype, copy=False)

    return apply


def _erfinv(x: np.ndarray) -> np.ndarray:
    """ndtri((x + 1) / 2) / sqrt(2) in x's precision, as Eigen computes it."""
    wide = x if x.dtype == np.float64 else x.astype(FLOAT32, copy=False)
    y = _special.ndtri(wide * wide.dtype.type(0.5) + wide.dtype.type(0.5))
    if wide.dtype == np.float64:
        return np.asarray(y / np.sqrt(2.0))
    return np.asarray(y * np.float32(1 / np.sqrt(2.0))).astype(x.dtype, copy=False)


def _special_binary(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """A float64 special function of two arguments on any float dtype (float's variant below 64)."""

    def apply(ctx: Any, a: np.ndarray, x: np.ndarray) -> np.ndarray:
        wide_a, wide_x = a.astype(np.float64), x.astype(np.float64)
        y = fn(wide_a, wide_x) if a.dtype == np.float64 else fn(wide_a, wide_x, single=True)
        return (y.astype(FLOAT32) if a.dtype in LOW_FLOATS else y).astype(a.dtype)

    return apply


def _sigmoid(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "c":
        return np.asarray(1 / (1 + np.exp(-x)))
    wide = x.astype(FLOAT32) if x.dtype in LOW_FLOATS else x
    with np.errstate(over="ignore"):
        y = 1 / (1 + np.exp(-wide))
    if wide.dtype == FLOAT32:  # Eigen's float logistic flushes results below the normal range
        y = np.where(y < np.finfo(np.float32).tiny, np.float32(0), y)
    return np.asarray(y).astype(x.dtype, copy=False)


def _round(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind in "iu" else np.asarray(np.rint(x))


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.asarray(1 / np.sqrt(x))


_FLOAT_COMPLEX_TYPE = f"type {{{FLOATS_COMPLEX}}}"
_SIGNED_FLOAT_COMPLEX = ("type {bfloat16, half, float, double, int8, int16, int32, int64, "
                         "complex64, complex128}")

elementwise([
    ("Acos", in_float32(np.arccos)), ("Acosh", in_float32(np.arccosh)),
    ("Asin", in_float32(np.arcsin)), ("Asinh", in_float32(np.arcsinh)),
    ("Atan", in_float32(np.arctan)), ("Atanh", in_float32(np.arctanh)),
    ("Cos", in_float32(np.cos)), ("Cosh", in_float32(np.cosh)), ("Exp", in_float32(np.exp)),
    ("Expm1", _expm1), ("Log", in_float32(np.log)), ("Log1p", _log1p),
    ("Rsqrt", in_float32(_rsqrt)), ("Sigmoid", _sigmoid), ("Sin", in_float32(np.sin)),
    ("Sinh", in_float32(np.sinh)), ("Sqrt", in_float32(np.sqrt)), ("Tan", in_float32(np.tan)),
    ("Tanh", in_float32(np.tanh)),
], 1, _FLOAT_COMPLEX_TYPE)
elementwise([("Inv", _reciprocal), ("Reciprocal", _reciprocal), ("Neg", in_float32(np.negative)),
             ("Round", _round), ("Sign", _sign)],
            1, _SIGNED_FLOAT_COMPLEX)
elementwise([("Abs", in_float32(np.abs))], 1,
            "type {bfloat16, half, float, double, int8, int16, int32, int64}")
elementwise([("Square", lambda x: np.asarray(x * x))], 1,
            "type {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, "
            "uint32, uint64, complex64, complex128}")
elementwise([
    ("Ceil", in_float32(np.ceil)), ("Digamma", _special_fn(_special.digamma)),
    ("Erf", _single_or_double(_special.erf)), ("Erfc", _single_or_double(_special.erfc)),
    ("Erfinv", _erfinv),
    ("Floor", in_float32(np.floor)),
    ("Lgamma", _special_fn(_special.lgamma)), ("Ndtri", _single_or_double(_special.ndtri)),
    ("Rint", in_float32(np.rint)),
], 1, f"type {{{FLOATS}}}")
elementwise([("IsFinite", lambda x: np.asarray(np.isfinite(x))),
             ("IsInf", lambda x: np.asarray(np.isinf(x))),
             ("IsNan", lambda x: np.asarray(np.isnan(x)))],
            1, f"type {{{FLOATS}}}", out_type="bool")


# Binary ops: ``fn(ctx, x, y)``; the kernel turns NumPy's broadcasting failure into TF's error.
def _binary_kernel(fn: Callable[..., np.ndarray]) -> Callable[..., tuple]:
    def kernel(ctx: Any, x: np.ndarray, y: np.ndarray, **_: Any) -> tuple:
        try:
            return (np.asarray(fn(ctx, x, y)),)
        except ValueError:
            broadcast_shapes(ctx, x, y)
            raise

    return kernel


def _binary(names_fns: list[tuple[str, Callable[..., Any]]], types: str, out: str = "T",
            args: tuple[str, str] = ("x", "y")) -> None:
    for name, fn in names_fns:
        inputs = [f"{args[0]}: T", f"{args[1]}: T"]
        op_def = make_op_def(name, inputs, [f"z: {out}"], [f"T: type {{{types}}}"])
        add_op(op_def, _binary_kernel(fn))


def _check_divisor(ctx: Any, y: np.ndarray) -> None:
    if y.dtype in _INT_TYPES and not np.all(y):
        raise InvalidArgumentError(f"{ctx.where}: Integer division by zero.")


def _trunc_div_int(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C integer division (toward zero) on NumPy's floor division."""
    q = np.floor_divide(x, y)
    if x.dtype.kind == "u":
        return q
    inexact = (q * y != x) & ((x < 0) != (y < 0))
    return q + inexact.astype(q.dtype)


def _div(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype in _INT_TYPES:
        _check_divisor(ctx, y)
        return _trunc_div_int(x, y)
    return _divide(x, y)


def _floor_div(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype in _INT_TYPES:
        _check_divisor(ctx, y)
        return np.floor_divide(x, y)
    _refuse_complex(ctx, x)
    return np.floor(np.divide(x, y))


def _floor_mod(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype in _INT_TYPES:
        _check_divisor(ctx, y)
        return np.remainder(x, y)
    r = np.fmod(x, y)
    return np.where((r != 0) & ((y < 0) != (r < 0)), r + y, r)


def _truncate_div(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype in _INT_TYPES:
        _check_divisor(ctx, y)
        return _trunc_div_int(x, y)
    _refuse_complex(ctx, x)
    return np.trunc(np.divide(x, y))


def _truncate_mod(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    _check_divisor(ctx, y)
    return np.fmod(x, y)


def _refuse_complex(ctx: Any, x: np.ndarray) -> None:
    if x.dtype.kind == "c":
        raise UnimplementedError(f"{ctx.where}: {ctx.op} has no kernel for {x.dtype}.")


def _pow(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype in _INT_TYPES:
        if np.any(y < 0):
            raise InvalidArgumentError(
                f"{ctx.where}: Integers to negative integer powers are not allowed.")
        return np.power(x, y)
    if x.dtype.kind == "c":
        return np.exp(y * np.log(x))  # std::pow on complex: exp(y log x), so 0**0 is NaN
    return in_float32(np.power)(x, y)


def _no_nan(op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    """``op(x, y)``, or 0 where ``y == 0`` (MulNoNan, DivNoNan)."""

    def fn(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(y == 0, _zero(x.dtype), op(x, y))

    return fn


def _x_zero_safe(op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    """``op(x, y)``, or 0 where ``x == 0`` (Xlogy, Xdivy, Xlog1py)."""

    def fn(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(x == 0, _zero(x.dtype), op(x, y))

    return fn


def _squared_difference(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = x - y
    return d * np.conj(d) if d.dtype.kind == "c" else d * d


def _log_times(log: Callable[[np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda x, y: x * log(y)


_ALL_NUMERIC = ("bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, "
                "int64, complex64, complex128")
_ARITH = ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, "
          "int64, complex64, complex128")
_REAL_ARITH = ("bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, "
               "uint64")
_COMPARABLE = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, "
               "uint64")
_XFUNCS = "half, bfloat16, float, double, complex64, complex128"

_binary([("AddV2", lambda ctx, x, y: np.add(x, y))], _ALL_NUMERIC)
_binary([("Add", lambda ctx, x, y: np.add(x, y))],
        "bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128, "
        "string")
_binary([("Sub", lambda ctx, x, y: np.subtract(x, y))],
        "bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, "
        "complex128, uint32, uint64")
_binary([("Mul", lambda ctx, x, y: np.multiply(x, y)), ("Div", _div), ("FloorDiv", _floor_div),
         ("RealDiv", _div), ("TruncateDiv", _truncate_div)], _ARITH)
_binary([("FloorMod", _floor_mod)],
        "int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double")
_binary([("TruncateMod", _truncate_mod)], "int32, int64, bfloat16, half, float, double")
_binary([("Mod", _truncate_mod)], "int32, int64, half, half, bfloat16, float, double")
_binary([("Maximum", lambda ctx, x, y: np.maximum(x, y)),
         ("Minimum", lambda ctx, x, y: np.minimum(x, y))], _REAL_ARITH)
_binary([("MulNoNan", _no_nan(np.multiply))], FLOATS_COMPLEX)
_binary([("DivNoNan", _no_nan(_divide))], "half, float, bfloat16, double, complex64, complex128")
_binary([("Pow", _pow)],
        "bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128")
_binary([("SquaredDifference", _squared_difference)],
        "bfloat16, half, float, double, int32, int64, complex64, complex128")
_binary([("Atan2", lambda ctx, y, x: in_float32(np.arctan2)(y, x))], FLOATS, args=("y", "x"))
_binary([("Xdivy", _x_zero_safe(_divide)),
         ("Xlog1py", _x_zero_safe(_log_times(in_float32(np.log1p)))),
         ("Xlogy", _x_zero_safe(_log_times(in_float32(np.log))))], _XFUNCS)
_binary([("Igamma", _special_binary(_special.igamma)),
         ("Igammac", _special_binary(_special.igammac))], FLOATS, args=("a", "x"))
_binary([("Polygamma", _special_binary(_special.polygamma))], "float, double", args=("a", "x"))
_binary([("Zeta", _special_binary(_special.zeta))], "float, double", args=("x", "q"))
_binary([("Greater", lambda ctx, x, y: np.greater(x, y)),
         ("GreaterEqual", lambda ctx, x, y: np.greater_equal(x, y)),
         ("Less", lambda ctx, x, y: np.less(x, y)),
         ("LessEqual", lambda ctx, x, y: np.less_equal(x, y))], _COMPARABLE, out="bool")


def _grad_kernel(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., tuple]:
    def kernel(ctx: Any, y: np.ndarray, dy: np.ndarray, **_: Any) -> tuple:
        if y.shape != dy.shape:
            raise InvalidArgumentError(
                f"{ctx.where}: y and dy must have the same shape, got {y.shape} and {dy.shape}.")
        return (np.asarray(fn(y, dy)),)

    return kernel


def _safe_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b, or 0 where b == 0 (Eigen's mul_no_nan packet op, as the grad kernels use it)."""
    return np.where(b == 0, _zero(a.dtype), a * b)


def _inverse_grad(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    cy = np.conj(y)
    return _safe_mul(-(cy * cy), dy)


def _rsqrt_grad(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    cy = np.conj(y)
    return _safe_mul(np.asarray(-0.5, y.dtype) * (cy * cy), _safe_mul(cy, dy))


def _sqrt_grad(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return _safe_mul(_divide(np.asarray(0.5, y.dtype), np.conj(y)), dy)


def _sigmoid_grad(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy * (y * (np.asarray(1, y.dtype) - y))


def _tanh_grad(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy * (np.asarray(1, y.dtype) - y * y)


for _name, _fn in [("InvGrad", _inverse_grad), ("ReciprocalGrad", _inverse_grad),
                   ("RsqrtGrad", _rsqrt_grad), ("SigmoidGrad", _sigmoid_grad),
                   ("SqrtGrad", _sqrt_grad), ("TanhGrad", _tanh_grad)]:
    add_op(make_op_def(_name, ["y: T", "dy: T"], ["z: T"], [f"T: type {{{FLOATS_COMPLEX}}}"]),
           _grad_kernel(_fn))


def _same_shape_or_scalar(ctx: Any, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    for bound in (lo, hi):
        if bound.ndim and bound.shape != t.shape:
            raise InvalidArgumentError(
                f"{ctx.where}: clip_value_min and clip_value_max must be either of the same shape "
                f"as input, or a scalar. input shape: {t.shape}, clip_value_min shape: "
                f"{lo.shape}, clip_value_max shape: {hi.shape}.")


def _clip(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    # Eigen's cwiseMin/cwiseMax keep the left operand when a comparison involves NaN.
    upper = np.where(hi < t, hi, t)
    return np.where(upper < lo, lo, upper)


@register_op("AddN", inputs=["inputs: N * T"], outputs=["sum: T"],
             attrs=["N: int >= 1", f"T: type {{{NUMBER}, variant}}"])
def _add_n(ctx, inputs, **_):
    first = inputs[0]
    for i, value in enumerate(inputs[1:], 1):
        if value.shape != first.shape:
            raise InvalidArgumentError(
                f"{ctx.where}: Inputs to operation AddN must have the same size and shape. "
                f"Input 0: {first.shape} != input {i}: {value.shape}.")
    return (_add_n_in_tf_order(inputs),)


def _add_n_in_tf_order(inputs: list[np.ndarray]) -> np.ndarray:
    """Sums like TensorFlow's AddN kernel, so rounding matches: a first group of ``n % 8`` inputs
    (8 or 9 when that leaves 0 or 1), then ``out + (next 8 summed left to right)``."""
    n = len(inputs)
    first = {0: 8, 1: 9}.get(n % 8, n % 8) if n > 9 else n
    total = _sum_left_to_right(inputs[:first])
    for start in range(first, n, 8):
        total += _sum_left_to_right(inputs[start:start + 8])
    return total


def _sum_left_to_right(values: list[np.ndarray]) -> np.ndarray:
    total = values[0].copy()
    for value in values[1:]:
        total += value
    return total


@register_op("Angle", inputs=["input: T"], outputs=["output: Tout"],
             attrs=["T: type {complex64, complex128} = DT_COMPLEX64",
                    "Tout: type {float, double} = DT_FLOAT"])
def _angle(ctx, x, *, Tout, **_):
    return (np.asarray(np.angle(x)).astype(Tout.numpy, copy=False),)


@register_op("ApproximateEqual", inputs=["x: T", "y: T"], outputs=["z: bool"],
             attrs=[f"T: type {{{NUMBER}}}", "tolerance: float = 9.999999747378752e-06"])
def _approximate_equal(ctx, x, y, *, tolerance, **_):
    if x.shape != y.shape:
        raise InvalidArgumentError(
            f"{ctx.where}: x and y must be of the same shape. x shape: {x.shape}. "
            f"y shape: {y.shape}.")
    # The attr is a float32 in the GraphDef; compare in x's dtype like the kernel.
    return (np.asarray(np.abs(x - y) <= np.float32(tolerance).astype(x.dtype)),)


@register_op("Cast", inputs=["x: SrcT"], outputs=["y: DstT"],
             attrs=["SrcT: type", "DstT: type", "Truncate: bool = false"])
def _cast(ctx, x, *, DstT, Truncate, **_):
    return (cast_array(ctx, x, DstT, Truncate),)


@register_op("ClipByValue", inputs=["t: T", "clip_value_min: T", "clip_value_max: T"],
             outputs=["output: T"], attrs=[f"T: type {{{NUMBER}}}"])
def _clip_by_value(ctx, t, lo, hi, **_):
    _same_shape_or_scalar(ctx, t, lo, hi)
    if t.dtype.kind == "c":  # componentwise, as Eigen's min/max do on std::complex
        parts = _clip(t.real, lo.real, hi.real), _clip(t.imag, lo.imag, hi.imag)
        return (_make_complex(*parts, t.dtype),)
    return (np.asarray(_clip(t, lo, hi)),)


@register_op("Complex", inputs=["real: T", "imag: T"], outputs=["out: Tout"],
             attrs=["T: type {float, double} = DT_FLOAT",
                    "Tout: type {complex64, complex128} = DT_COMPLEX64"])
def _complex(ctx, real, imag, *, Tout, **_):
    out = np.empty(broadcast_shapes(ctx, real, imag), Tout.numpy)
    out.real = real
    out.imag = imag
    return (out,)


@register_op("ComplexAbs", inputs=["x: T"], outputs=["y: Tout"],
             attrs=["T: type {complex64, complex128} = DT_COMPLEX64",
                    "Tout: type {float, double} = DT_FLOAT"])
def _complex_abs(ctx, x, *, Tout, **_):
    return (np.asarray(np.abs(x)).astype(Tout.numpy, copy=False),)


@register_op("Conj", inputs=["input: T"], outputs=["output: T"],
             attrs=["T: type {complex64, complex128, variant} = DT_COMPLEX64"])
def _conj(ctx, x, **_):
    if x.dtype.kind != "c":
        raise UnimplementedError(f"{ctx.where}: Conj of {x.dtype} (a variant) is not supported.")
    return (np.asarray(np.conj(x)),)


def _equality(ufunc: np.ufunc, fallback: bool) -> Callable[..., tuple]:
    def kernel(ctx, x, y, *, incompatible_shape_error, **_):
        try:
            return (np.asarray(ufunc(x, y), dtype=bool),)
        except ValueError:
            if incompatible_shape_error:
                broadcast_shapes(ctx, x, y)
                raise
            return (np.asarray(fallback),)

    return kernel


for _name, _ufunc, _fallback in [("Equal", np.equal, False), ("NotEqual", np.not_equal, True)]:
    add_op(make_op_def(_name, ["x: T", "y: T"], ["z: bool"],
                       ["T: type", "incompatible_shape_error: bool = true"]),
           _equality(_ufunc, _fallback))


@register_op("Imag", inputs=["input: T"], outputs=["output: Tout"],
             attrs=["T: type {complex64, complex128} = DT_COMPLEX64",
                    "Tout: type {float, double} = DT_FLOAT"])
def _imag(ctx, x, *, Tout, **_):
    return (np.ascontiguousarray(x.imag).astype(Tout.numpy, copy=False),)


@register_op("LinSpace", inputs=["start: T", "stop: T", "num: Tidx"], outputs=["output: T"],
             attrs=[f"T: type {{{FLOATS}}}", "Tidx: type {int32, int64} = DT_INT32"])
def _lin_space(ctx, start, stop, num, **_):
    for name, value in (("start", start), ("stop", stop), ("num", num)):
        if value.ndim:
            raise InvalidArgumentError(
                f"{ctx.where}: {name} must be a scalar, not shape {value.shape}.")
    count = int(num)
    if count <= 0:
        raise InvalidArgumentError(f"{ctx.where}: Requires num > 0: {count}.")
    dtype = start.dtype
    out = np.empty(count, dtype)
    if count > 1:
        step = (stop - start) / np.asarray(count - 1, dtype)
        out[:] = start + step * np.arange(count).astype(dtype)
        out[-1] = stop  # TensorFlow pins the end point exactly
    out[0] = start
    return (out,)


@register_op("LogicalAnd", inputs=["x: bool", "y: bool"], outputs=["z: bool"])
def _logical_and(ctx, x, y):
    return _binary_kernel(lambda c, a, b: np.logical_and(a, b))(ctx, x, y)


@register_op("LogicalNot", inputs=["x: bool"], outputs=["y: bool"])
def _logical_not(ctx, x):
    return (np.asarray(np.logical_not(x)),)


@register_op("LogicalOr", inputs=["x: bool", "y: bool"], outputs=["z: bool"])
def _logical_or(ctx, x, y):
    return _binary_kernel(lambda c, a, b: np.logical_or(a, b))(ctx, x, y)


@register_op("NextAfter", inputs=["x1: T", "x2: T"], outputs=["output: T"],
             attrs=["T: type {double, float} = DT_FLOAT"])
def _next_after(ctx, x1, x2, **_):
    return _binary_kernel(lambda c, a, b: np.nextafter(a, b))(ctx, x1, x2)


@register_op("Range", inputs=["start: Tidx", "limit: Tidx", "delta: Tidx"],
             outputs=["output: Tidx"],
             attrs=[("Tidx: type {bfloat16, half, float, double, int8, int16, int32, int64, "
                     "uint16, uint32, uint64} = DT_INT32")])
def _range(ctx, start, limit, delta, **_):
    for name, value in (("start", start), ("limit", limit), ("delta", delta)):
        if value.ndim > 1 or value.size != 1:
            raise InvalidArgumentError(
                f"{ctx.where}: {name} must be a scalar, not shape {value.shape}.")
    start, limit, delta = (v.reshape(()) for v in (start, limit, delta))
    if delta == 0:
        raise InvalidArgumentError(f"{ctx.where}: Requires delta != 0: {delta}.")
    if delta > 0 and not start <= limit:
        raise InvalidArgumentError(
            f"{ctx.where}: Requires start <= limit when delta > 0: {start}/{limit}.")
    if delta < 0 and not start >= limit:
        raise InvalidArgumentError(
            f"{ctx.where}: Requires start >= limit when delta < 0: {start}/{limit}.")
    if start.dtype.kind in "iu":
        span, step = abs(int(limit) - int(start)), abs(int(delta))
        size = (span + step - 1) // step
    else:
        size = int(np.ceil(np.abs((limit - start) / delta)))
    check_size(ctx, size, start.dtype)
    # start + T(i) * delta, rounded per operation in the dtype, exactly as the kernel computes it.
    return (start + np.arange(size).astype(start.dtype) * delta,)


@register_op("Real", inputs=["input: T"], outputs=["output: Tout"],
             attrs=["T: type {complex64, complex128} = DT_COMPLEX64",
                    "Tout: type {float, double} = DT_FLOAT"])
def _real(ctx, x, *, Tout, **_):
    return (np.ascontiguousarray(x.real).astype(Tout.numpy, copy=False),)
