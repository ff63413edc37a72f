"""Colour kernels of the image family: AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV, HSVToRGB.

Mirrors ``tensorflow/core/kernels/image/adjust_contrast_op.cc``, ``adjust_hue_op.cc``,
``adjust_saturation_op.cc`` and ``colorspace_op.h``. The per-pixel branches of TensorFlow's scalar
code become ``np.select``/``np.where`` over whole images, keeping its float32 operation order (the
contrast mean is summed by the same halving folds), so float32 results are bit-identical.
RGBToHSV/HSVToRGB run in the input dtype, one rounding per operation like Eigen. Imported by
``image_ops``.
"""

from __future__ import annotations

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops.registry import register_op

f32 = np.float32


def _check_rgb(ctx, images: np.ndarray, scalar: np.ndarray, name: str) -> None:
    if images.ndim < 3:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be at least 3-D, got shape {list(images.shape)}.")
    if np.ndim(scalar) != 0:
        raise InvalidArgumentError(f"{ctx.where}: {name} must be scalar: {list(np.shape(scalar))}.")
    if images.shape[-1] != 3:
        raise InvalidArgumentError(f"{ctx.where}: input must have 3 channels but instead has "
                                   f"{images.shape[-1]} channels.")


def _folded_mean(planes: np.ndarray) -> np.ndarray:
    """Per (batch, channel) mean of (B, P, C) planes, summed by TensorFlow's halving folds."""
    size = planes.shape[1]
    right = size // 2
    left = size - right
    acc = planes[:, :left].copy()
    acc[:, :right] = planes[:, left:left + right] + planes[:, :right]
    remaining = left
    while remaining > 1:
        right = remaining // 2
        left = remaining - right
        acc[:, :right] += acc[:, left:left + right]
        remaining = left
    return acc[:, 0] * (f32(1) / f32(size))


@register_op("AdjustContrastv2", inputs=["images: T", "contrast_factor: float"], outputs=["output: T"],
             attrs=["T: type {half, float} = DT_FLOAT"])
def _adjust_contrast_v2(ctx, images, contrast_factor, **_):
    if images.ndim < 3:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be at least 3-D, got shape {list(images.shape)}.")
    if np.ndim(contrast_factor) != 0:
        raise InvalidArgumentError(f"{ctx.where}: contrast_factor must be scalar: "
                                   f"{list(np.shape(contrast_factor))}.")
    if images.size == 0:
        return (images.copy(),)
    h, w, c = images.shape[-3:]
    planes = images.astype(f32).reshape(-1, h * w, c)
    mean = _folded_mean(planes)[:, None, :]
    out = mean + f32(contrast_factor) * (planes - mean)
    return (out.reshape(images.shape).astype(images.dtype, copy=False),)


def _rgb_to_hv_range(r, g, b):
    """TensorFlow's adjust_hue rgb_to_hv_range: hue in [0, 6) and the value range, vectorized."""
    cases = [(r < g) & (b < r), (r < g) & (b > g), r < g, ~(r < g) & (b < g), ~(r < g) & (b > r)]
    v_max = np.select(cases, [g, b, g, r, b], r)
    v_mid = np.select(cases, [r, g, b, g, r], b)
    v_min = np.select(cases, [b, r, r, b, g], g)
    category = np.select(cases, [1, 3, 2, 0, 4], 5)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (v_mid - v_min) / (v_max - v_min)
    hue = category.astype(f32) + np.where(category % 2 == 0, ratio, f32(1) - ratio)
    return np.where(v_max == v_min, f32(0), hue), v_min, v_max


def _hv_range_to_rgb(h, v_min, v_max):
    category = h.astype(np.int64)
    ratio = h - category.astype(f32)
    ratio = np.where(category % 2 == 0, ratio, f32(1) - ratio)
    v_mid = v_min + ratio * (v_max - v_min)
    cases = [category == k for k in range(5)]
    r = np.select(cases, [v_max, v_mid, v_min, v_min, v_mid], v_max)
    g = np.select(cases, [v_mid, v_max, v_max, v_mid, v_min], v_min)
    b = np.select(cases, [v_min, v_min, v_mid, v_max, v_max], v_mid)
    return r, g, b


def _wrap(h: np.ndarray, period: float) -> np.ndarray:
    """TensorFlow's ``while (h < 0) h += p; while (h >= p) h -= p`` (fmod when that would not end)."""
    p = f32(period)
    for _ in range(64):
        low, high = h < 0, h >= p
        if not (low.any() or high.any()):
            return h
        h = np.where(low, h + p, np.where(high, h - p, h))
    return np.mod(h, p)


@register_op("AdjustHue", inputs=["images: T", "delta: float"], outputs=["output: T"],
             attrs=["T: type {half, float} = DT_FLOAT"])
def _adjust_hue(ctx, images, delta, **_):
    _check_rgb(ctx, images, delta, "delta")
    rgb = images.astype(f32, copy=False)
    h, v_min, v_max = _rgb_to_hv_range(rgb[..., 0], rgb[..., 1], rgb[..., 2])
    h = _wrap(h + f32(delta) * f32(6), 6)
    return (np.stack(_hv_range_to_rgb(h, v_min, v_max), axis=-1).astype(images.dtype, copy=False),)


def _rgb_to_hsv_scalar_code(r, g, b):
    """adjust_saturation's float32 rgb_to_hsv (differs from RGBToHSV in its double constants)."""
    v = np.maximum(r, np.maximum(g, b))
    span = v - np.minimum(r, np.minimum(g, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(v > 0, span / v, f32(0))
        norm = f32(1) / (f32(6) * span)
        h = np.where(r == v, norm * (g - b),
                     np.where(g == v, (norm * (b - r)).astype(np.float64) + 2.0 / 6.0,
                              (norm * (r - g)).astype(np.float64) + 4.0 / 6.0)).astype(f32)
    h = np.where(span <= 0, f32(0), h)
    return np.where(h < 0, h + f32(1), h), s, v


def _hsv_to_rgb_scalar_code(h, s, v):
    c = s * v
    m = v - c
    dh = h * f32(6)
    category = dh.astype(np.int64)
    fmodu = _positive_fmod2(dh)
    x = c * (f32(1) - np.abs(fmodu - f32(1)))
    zero = np.zeros_like(c)
    cases = [category == k for k in range(6)]
    r = np.select(cases, [c, x, zero, zero, x, c], zero)
    g = np.select(cases, [x, c, c, x, zero, zero], zero)
    b = np.select(cases, [zero, zero, x, c, c, x], zero)
    return r + m, g + m, b + m


def _positive_fmod2(dh: np.ndarray) -> np.ndarray:
    """``while (f <= 0) f += 2; while (f >= 2) f -= 2`` of adjust_saturation's hsv_to_rgb."""
    f = dh
    for _ in range(64):
        low, high = f <= 0, f >= 2
        if not (low.any() or high.any()):
            return f
        f = np.where(low, f + f32(2), np.where(high, f - f32(2), f))
    return f


@register_op("AdjustSaturation", inputs=["images: T", "scale: float"], outputs=["output: T"],
             attrs=["T: type {half, float} = DT_FLOAT"])
def _adjust_saturation(ctx, images, scale, **_):
    _check_rgb(ctx, images, scale, "scale")
    rgb = images.astype(f32, copy=False)
    h, s, v = _rgb_to_hsv_scalar_code(rgb[..., 0], rgb[..., 1], rgb[..., 2])
    s = np.minimum(f32(1), np.maximum(f32(0), s * f32(scale)))
    return (np.stack(_hsv_to_rgb_scalar_code(h, s, v), axis=-1).astype(images.dtype, copy=False),)


def _check_last3(ctx, images: np.ndarray) -> None:
    if images.ndim < 1 or images.shape[-1] != 3:
        raise InvalidArgumentError(f"{ctx.where}: input must have 3 channels but input only has "
                                   f"{images.shape[-1] if images.ndim else 0} channels.")


@register_op("HSVToRGB", inputs=["images: T"], outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double} = DT_FLOAT"])
def _hsv_to_rgb(ctx, images, **_):
    _check_last3(ctx, images)
    h, s, v = images[..., 0], images[..., 1], images[..., 2]
    one, two = images.dtype.type(1), images.dtype.type(2)
    dh = h * images.dtype.type(6)

    def clamp(x):
        return np.minimum(np.maximum(x, images.dtype.type(0)), one)

    dr = clamp(np.abs(dh - images.dtype.type(3)) - one)
    dg = clamp(-np.abs(dh - two) + two)
    db = clamp(-np.abs(dh - images.dtype.type(4)) + two)
    one_s = -s + one
    return (np.stack([(one_s + s * d) * v for d in (dr, dg, db)], axis=-1),)


@register_op("RGBToHSV", inputs=["images: T"], outputs=["output: T"],
             attrs=["T: type {half, bfloat16, float, double} = DT_FLOAT"])
def _rgb_to_hsv(ctx, images, **_):
    _check_last3(ctx, images)
    t = images.dtype.type
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    v = np.max(images, axis=-1)
    span = v - np.min(images, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(v > t(0), span / v, t(0))
        norm = (t(1) / span) * (t(1) / t(6))
        h = np.where(r == v, norm * (g - b),
                     np.where(g == v, norm * (b - r) + t(2) / t(6), norm * (r - g) + t(4) / t(6)))
    h = np.where(span > t(0), h, t(0))
    h = np.where(h < t(0), h + t(1), h)
    return (np.stack([h, s, v], axis=-1).astype(images.dtype, copy=False),)
