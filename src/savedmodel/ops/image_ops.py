"""The image op family: resizing, cropping, patches; colour, NMS and codec kernels are imported.

Mirrors ``tensorflow/core/ops/image_ops.cc`` (OpDefs) and the CPU kernels in
``tensorflow/core/kernels/image/`` (``resize_*_op.cc``, ``image_resizer_state.h``,
``scale_and_translate_op.cc``, ``sampling_kernels.h``, ``crop_and_resize_op.cc``,
``extract_image_patches_op.cc``). Coordinates, weights and interpolation are computed in float32 with
TensorFlow's operation order (e.g. ``top + (bottom - top) * lerp``), so results are bit-identical
where TensorFlow's kernel is plain scalar code. Integer and float64 images resize to float32, like
TensorFlow. ``image_color_ops``, ``image_nms_ops`` and ``image_codec_ops`` are imported here so
importing this module registers the whole family.
"""

from __future__ import annotations

import functools

import numpy as np

from savedmodel.errors import InvalidArgumentError, OutOfRangeError
from savedmodel.ops import _windows as W
from savedmodel.ops import image_codec_ops, image_color_ops, image_nms_ops  # noqa: F401  (register)
from savedmodel.ops.registry import register_op

f32 = np.float32
_RESIZE_TYPES = "{int8, uint8, int16, uint16, int32, int64, half, float, double, bfloat16}"
_RESIZE_ATTRS = [f"T: type {_RESIZE_TYPES}", "align_corners: bool = false",
                 "half_pixel_centers: bool = false"]


def _resize_state(ctx, images: np.ndarray, size: np.ndarray, align_corners: bool,
                  half_pixel_centers: bool) -> tuple[int, int, np.float32, np.float32]:
    """Output size and float32 scales, validated like TensorFlow's ImageResizerState."""
    if half_pixel_centers and align_corners:
        raise InvalidArgumentError(
            f"{ctx.where}: If half_pixel_centers is True, align_corners must be False.")
    if images.ndim != 4:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be 4-dimensional, got shape {list(images.shape)}.")
    if images.shape[3] <= 0:
        raise InvalidArgumentError(f"{ctx.where}: image must have at least one channel.")
    if images.shape[1] <= 0 or images.shape[2] <= 0:
        raise InvalidArgumentError(f"{ctx.where}: input image must be of non-zero size, got shape "
                                   f"{list(images.shape)}.")
    size = np.asarray(size)
    if size.shape != (2,):
        raise InvalidArgumentError(f"{ctx.where}: size must be a 1-D tensor of two elements, got shape "
                                   f"{list(size.shape)}.")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise InvalidArgumentError(
            f"{ctx.where}: output dimensions must be positive, got {[out_h, out_w]}.")
    return (out_h, out_w, resize_scale(images.shape[1], out_h, align_corners),
            resize_scale(images.shape[2], out_w, align_corners))


def resize_scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    """TensorFlow's CalculateResizeScale, in float32."""
    if align_corners and in_size > 1 and out_size > 1:
        return f32(in_size - 1) / f32(out_size - 1)
    return f32(in_size) / f32(out_size)


def _source_coords(out_size: int, scale: np.float32, half_pixel: bool, offset: float = 0.5) -> np.ndarray:
    """Float32 source coordinate of each output pixel (HalfPixelScaler or LegacyScaler)."""
    i = np.arange(out_size, dtype=f32)
    if half_pixel:
        return (i + f32(0.5)) * scale - f32(offset)
    return i * scale


def _roundf(x: np.ndarray) -> np.ndarray:
    """C's roundf (half away from zero) without the double-rounding error of floor(x + 0.5)."""
    a = np.abs(x)
    r = np.floor(a)
    r = np.where(a - r >= f32(0.5), r + 1, r)
    return np.copysign(r, x)


def _lerp_axis(lo: np.ndarray, hi: np.ndarray, t: np.ndarray) -> np.ndarray:
    return lo + (hi - lo) * t


@register_op("ResizeBilinear", inputs=["images: T", "size: int32"], outputs=["resized_images: float"],
             attrs=[("T: type {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double, "
                     "bfloat16}"), "align_corners: bool = false", "half_pixel_centers: bool = false"])
def _resize_bilinear(ctx, images, size, *, align_corners, half_pixel_centers, **_):
    out_h, out_w, sh, sw = _resize_state(ctx, images, size, align_corners, half_pixel_centers)
    n, in_h, in_w, _c = images.shape
    if (out_h, out_w) == (in_h, in_w) or images.size == 0:
        if images.size == 0:
            return (np.zeros((n, out_h, out_w, _c), f32),)
        return (images.astype(f32),)

    def weights(out_size, in_size, scale):
        pos = _source_coords(out_size, scale, half_pixel_centers)
        floor = np.floor(pos)
        lower = np.maximum(floor.astype(np.int64), 0)
        upper = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
        return lower, upper, (pos - floor).astype(f32)

    y0, y1, ly = weights(out_h, in_h, sh)
    x0, x1, lx = weights(out_w, in_w, sw)
    img = images.astype(f32, copy=False)
    top_rows, bottom_rows = img[:, y0], img[:, y1]
    lx = lx[None, None, :, None]
    top = _lerp_axis(top_rows[:, :, x0], top_rows[:, :, x1], lx)
    bottom = _lerp_axis(bottom_rows[:, :, x0], bottom_rows[:, :, x1], lx)
    return (_lerp_axis(top, bottom, ly[None, :, None, None]),)


@register_op("ResizeNearestNeighbor", inputs=["images: T", "size: int32"],
             outputs=["resized_images: T"], attrs=_RESIZE_ATTRS)
def _resize_nearest(ctx, images, size, *, align_corners, half_pixel_centers, **_):
    out_h, out_w, sh, sw = _resize_state(ctx, images, size, align_corners, half_pixel_centers)
    if images.shape[1] >= 1 << 24 or images.shape[2] >= 1 << 24:
        raise InvalidArgumentError(
            f"{ctx.where}: nearest neighbor requires max height & width of 2^24.")

    def indices(out_size, in_size, scale):
        pos = _source_coords(out_size, scale, half_pixel_centers, offset=0.0)
        index = (_roundf(pos) if align_corners else np.floor(pos)).astype(np.int64)
        index = np.minimum(index, in_size - 1)
        return np.maximum(index, 0) if half_pixel_centers else index

    rows = indices(out_h, images.shape[1], sh)
    cols = indices(out_w, images.shape[2], sw)
    return (images[:, rows][:, :, cols],)


@functools.lru_cache(maxsize=2)
def _cubic_table(a: float) -> np.ndarray:
    """TensorFlow's 1025-entry bicubic table: [i, 0] weight for |t| < 1, [i, 1] for 1 <= |t| < 2."""
    x = (np.arange(1025) * 1.0 / 1024).astype(f32).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x = (x + 1.0).astype(f32).astype(np.float64)
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.stack([near, far], axis=1).astype(f32)


def _cubic_weights(out_size: int, in_size: int, scale: np.float32, half_pixel: bool):
    """(indices (4, out), weights (4, out)) of TensorFlow's bicubic GetWeightsAndIndices."""
    table = _cubic_table(-0.5 if half_pixel else -0.75)
    pos = _source_coords(out_size, scale, half_pixel)
    base = np.floor(pos).astype(np.int64)
    delta = pos - base.astype(f32)
    offset = np.rint(delta * f32(1024)).astype(np.int64)
    weights = np.stack([table[offset, 1], table[offset, 0], table[1024 - offset, 0],
                        table[1024 - offset, 1]])
    raw = np.stack([base - 1, base, base + 1, base + 2])
    index = np.clip(raw, 0, in_size - 1)
    if half_pixel:
        weights = np.where(index == raw, weights, f32(0))
        total = ((weights[0] + weights[1]) + weights[2]) + weights[3]
        scale_by = np.where(np.abs(total) >= f32(1000) * np.finfo(f32).tiny, f32(1) / total, f32(1))
        weights = weights * scale_by
    return index, weights.astype(f32)


@register_op("ResizeBicubic", inputs=["images: T", "size: int32"], outputs=["resized_images: float"],
             attrs=_RESIZE_ATTRS)
def _resize_bicubic(ctx, images, size, *, align_corners, half_pixel_centers, **_):
    out_h, out_w, sh, sw = _resize_state(ctx, images, size, align_corners, half_pixel_centers)
    if images.size == 0:
        return (np.zeros((images.shape[0], out_h, out_w, images.shape[3]), f32),)
    yi, yw = _cubic_weights(out_h, images.shape[1], sh, half_pixel_centers)
    xi, xw = _cubic_weights(out_w, images.shape[2], sw, half_pixel_centers)
    img = images.astype(f32, copy=False)
    column = None
    for k in range(4):
        term = img[:, yi[k]] * yw[k][None, :, None, None]
        column = term if column is None else column + term
    out = None
    for k in range(4):
        term = column[:, :, xi[k]] * xw[k][None, None, :, None]
        out = term if out is None else out + term
    return (out,)


def _area_spans(out_size: int, in_size: int, scale: np.float32):
    """Per output pixel: first source index, source count, and the scale of each source pixel."""
    o = np.arange(out_size)
    start_f = o.astype(f32) * scale
    end_f = (o + 1).astype(f32) * scale
    start = np.floor(start_f).astype(np.int64)
    end = np.ceil(end_f).astype(np.int64)
    count = end - start
    taps = np.arange(max(1, int(count.max())))[None, :]
    src = start[:, None] + taps
    srcf = src.astype(f32)
    inside = np.where(srcf + 1 > end_f[:, None], end_f[:, None] - srcf, f32(1))
    first = np.where(srcf + 1 > end_f[:, None], scale, srcf + 1 - start_f[:, None])
    part = np.where(srcf < start_f[:, None], first, inside).astype(f32)
    return start, count, np.clip(src, 0, in_size - 1), part


def _area_sum(img: np.ndarray, axis: int, spans) -> np.ndarray:
    """Weighted sums along ``axis`` in TensorFlow's order: first*scale, middle ones, last*scale."""
    start, count, src, part = spans
    shape = [1] * img.ndim
    shape[axis] = len(start)

    def pick(t):
        return np.take(img, src[:, t], axis=axis)

    total = pick(0) * part[:, 0].reshape(shape)
    for t in range(1, src.shape[1]):
        last = (count - 1 == t).reshape(shape)
        middle = (t < count - 1).reshape(shape)
        value = pick(t)
        term = np.where(last, value * part[:, t].reshape(shape), np.where(middle, value, f32(0)))
        total = total + term
    return total


@register_op("ResizeArea", inputs=["images: T", "size: int32"], outputs=["resized_images: float"],
             attrs=[f"T: type {_RESIZE_TYPES}", "align_corners: bool = false"])
def _resize_area(ctx, images, size, *, align_corners, **_):
    out_h, out_w, sh, sw = _resize_state(ctx, images, size, align_corners, False)
    if images.size == 0:
        return (np.zeros((images.shape[0], out_h, out_w, images.shape[3]), f32),)
    img = images.astype(f32, copy=False)
    row_sums = _area_sum(img, 2, _area_spans(out_w, images.shape[2], sw))
    _start, count, src, part = _area_spans(out_h, images.shape[1], sh)
    total = np.zeros((images.shape[0], out_h, out_w, images.shape[3]), f32)
    for t in range(src.shape[1]):
        term = np.take(row_sums, src[:, t], axis=1) * part[:, t].reshape(1, -1, 1, 1)
        total = total + np.where((t < count).reshape(1, -1, 1, 1), term, f32(0))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = f32(np.float64(1.0) / np.float64(sh * sw))
        return (total * scale,)


def _sinf(x: np.ndarray) -> np.ndarray:
    """float32 sine rounded from float64, like glibc's correctly rounded ``sinf``."""
    return np.sin(x.astype(np.float64)).astype(f32)


def _sampling_kernel(name: str):
    """(radius, float32 kernel function) of a ScaleAndTranslate ``kernel_type``."""
    pi = f32(3.14159265359)

    def lanczos(radius):
        r = f32(radius)

        def fn(x):
            with np.errstate(divide="ignore", invalid="ignore"):
                value = r * _sinf(pi * x) * _sinf(pi * x / r) / (pi * pi * x * x)
            return np.where(x > r, f32(0), np.where(x <= f32(1e-3), f32(1), value))
        return radius, fn

    def gaussian(x):
        return np.where(x >= f32(1.5), f32(0), np.exp((-x * x).astype(np.float64) / 0.5).astype(f32))

    def keys(x):
        return np.where(x >= 2, f32(0), np.where(
            x >= 1, ((f32(-0.5) * x + f32(2.5)) * x - f32(4.0)) * x + f32(2.0),
            ((f32(1.5) * x - f32(2.5)) * x) * x + f32(1.0)))

    def mitchell(x):
        return np.where(x >= 2, f32(0), np.where(
            x >= 1, ((f32(-7.0) / f32(18.0) * x + f32(2.0)) * x - f32(10.0) / f32(3.0)) * x
            + f32(16.0) / f32(9.0),
            ((f32(7.0) / f32(6.0) * x - f32(2.0)) * x) * x + f32(8.0) / f32(9.0)))

    kernels = {
        "lanczos1": lanczos(1), "lanczos3": lanczos(3), "lanczos5": lanczos(5),
        "gaussian": (1.5, gaussian),
        "box": (1, lambda x: np.where(x < f32(0.5), f32(1), np.where(x == f32(0.5), f32(0.5), f32(0)))),
        "triangle": (1, lambda x: np.where(x < f32(1), f32(1) - x, f32(0))),
        "keyscubic": (2, keys), "mitchellcubic": (2, mitchell),
    }
    return kernels.get(name.lower())


def _spans(kernel, out_size: int, in_size: int, scale: float, translate: float, antialias: bool):
    """(starts, weights (out, span)) of TensorFlow's ComputeSpansCore, in float32."""
    radius, fn = kernel
    inv_scale = f32(1.0 / float(f32(scale)))
    inv_translate = -inv_scale * f32(translate)
    kernel_scale = max(inv_scale, f32(1)) if antialias else f32(1)
    reach = f32(radius) * kernel_scale
    span = min(2 * int(np.ceil(reach)) + 1, in_size)
    sample = (np.arange(out_size, dtype=f32) + f32(0.5)) * inv_scale + inv_translate
    outside = (sample < 0) | (sample > in_size)
    start = np.clip(np.ceil(sample - reach - f32(0.5)).astype(np.int64), 0, in_size - 1)
    end = np.clip(np.floor(sample + reach - f32(0.5)).astype(np.int64), 0, in_size - 1) + 1
    source = start[:, None] + np.arange(span)[None, :]
    pos = (source.astype(f32) + f32(0.5)) - sample[:, None]
    weights = np.where(source < end[:, None], fn(np.abs(pos * (f32(1) / kernel_scale))), f32(0))
    total = np.zeros(out_size, f32)
    for j in range(span):
        total = total + weights[:, j]
    usable = (np.abs(total) >= f32(1000) * np.finfo(f32).tiny) & ~outside
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(usable[:, None], weights * (f32(1) / total)[:, None], f32(0))
    return np.where(outside, 0, start), weights.astype(f32)


def _gather_spans(img: np.ndarray, axis: int, starts, weights) -> np.ndarray:
    """out[..., o, ...] = sum_j weights[o, j] * img[..., starts[o] + j, ...] over in-range j."""
    size = img.shape[axis]
    shape = [1] * img.ndim
    shape[axis] = len(starts)
    out = np.zeros(img.shape[:axis] + (len(starts),) + img.shape[axis + 1:], f32)
    for j in range(weights.shape[1]):
        source = starts + j
        valid = (source < size).reshape(shape)
        term = np.take(img, np.minimum(source, size - 1), axis=axis) * weights[:, j].reshape(shape)
        out = out + np.where(valid, term, f32(0))
    return out


def _pair(ctx, value: np.ndarray, name: str) -> tuple[float, float]:
    value = np.asarray(value)
    if value.shape != (2,):
        raise InvalidArgumentError(
            f"{ctx.where}: {name} must be a 1-D tensor with two elements, got shape "
            f"{list(value.shape)}.")
    return float(value[0]), float(value[1])


@register_op("ScaleAndTranslate",
             inputs=["images: T", "size: int32", "scale: float", "translation: float"],
             outputs=["resized_images: float"],
             attrs=["T: type {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double}",
                    "kernel_type: string = 'lanczos3'", "antialias: bool = true"])
def _scale_and_translate(ctx, images, size, scale, translation, *, kernel_type, antialias, **_):
    kernel = _sampling_kernel(kernel_type)
    if kernel is None:
        raise InvalidArgumentError(f"{ctx.where}: Unrecognized kernel type: {kernel_type}.")
    if images.ndim != 4:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be 4-dimensional, got shape {list(images.shape)}.")
    out_h, out_w = (int(v) for v in _pair(ctx, size, "size"))
    if out_h <= 0 or out_w <= 0:
        raise InvalidArgumentError(f"{ctx.where}: output dimensions must be positive.")
    if images.shape[3] <= 0 or images.shape[1] <= 0 or images.shape[2] <= 0:
        raise InvalidArgumentError(
            f"{ctx.where}: input image must be of non-zero size with at least one "
            f"channel, got shape {list(images.shape)}.")
    row_scale, col_scale = _pair(ctx, scale, "scale")
    if not (row_scale > 0 and col_scale > 0):
        raise InvalidArgumentError(f"{ctx.where}: Scale must be greater than zero.")
    row_shift, col_shift = _pair(ctx, translation, "translation")
    img = images.astype(f32, copy=False)
    rows = _spans(kernel, out_h, images.shape[1], row_scale, row_shift, antialias)
    cols = _spans(kernel, out_w, images.shape[2], col_scale, col_shift, antialias)
    return (_gather_spans(_gather_spans(img, 1, *rows), 2, *cols),)


def _check_crop_inputs(ctx, image, boxes, box_ind, crop_size) -> tuple[int, int]:
    if image.ndim != 4:
        raise InvalidArgumentError(
            f"{ctx.where}: input image must be 4-D, got shape {list(image.shape)}.")
    if image.shape[1] <= 0 or image.shape[2] <= 0:
        raise InvalidArgumentError(f"{ctx.where}: image dimensions must be positive.")
    if boxes.ndim != 2:
        raise InvalidArgumentError(f"{ctx.where}: boxes must be 2-D, got: {list(boxes.shape)}.")
    if box_ind.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: box_indices must be rank 1 but is shape "
                                   f"{list(box_ind.shape)}.")
    if boxes.size or box_ind.size:
        if boxes.shape[1] != 4:
            raise InvalidArgumentError(f"{ctx.where}: boxes must have 4 columns.")
        if box_ind.shape[0] != boxes.shape[0]:
            raise InvalidArgumentError(f"{ctx.where}: box_index has incompatible shape.")
    crop = np.asarray(crop_size)
    if crop.shape != (2,):
        raise InvalidArgumentError(f"{ctx.where}: crop_size must have two elements, got shape "
                                   f"{list(crop.shape)}.")
    if crop[0] <= 0 or crop[1] <= 0:
        raise InvalidArgumentError(f"{ctx.where}: crop dimensions must be positive.")
    if np.any((box_ind < 0) | (box_ind >= image.shape[0])):
        raise OutOfRangeError(f"{ctx.where}: box_index has values outside [0, batch_size).")
    if not np.all(np.isfinite(boxes)):
        raise InvalidArgumentError(
            f"{ctx.where}: Boxes contains at least one element that is not finite.")
    return int(crop[0]), int(crop[1])


def _crop_coords(lo: np.ndarray, hi: np.ndarray, crop: int, size: int) -> np.ndarray:
    """(num_boxes, crop) float32 source coordinates of CropAndResize along one axis."""
    if crop > 1:
        scale = (hi - lo) * f32(size - 1) / f32(crop - 1)
        return lo[:, None] * f32(size - 1) + np.arange(crop, dtype=f32)[None, :] * scale[:, None]
    return (0.5 * (lo + hi).astype(np.float64) * (size - 1)).astype(f32)[:, None]


@register_op("CropAndResize", inputs=["image: T", "boxes: float", "box_ind: int32", "crop_size: int32"],
             outputs=["crops: float"],
             attrs=["T: type {uint8, uint16, int8, int16, int32, int64, half, float, double}",
                    "method: string {'bilinear', 'nearest'} = 'bilinear'",
                    "extrapolation_value: float = 0.0"])
def _crop_and_resize(ctx, image, boxes, box_ind, crop_size, *, method, extrapolation_value, **_):
    crop_h, crop_w = _check_crop_inputs(ctx, image, boxes, box_ind, crop_size)
    n_boxes = boxes.shape[0] if boxes.size or box_ind.size else 0
    if n_boxes == 0:
        return (np.zeros((0, crop_h, crop_w, image.shape[3]), f32),)
    height, width = image.shape[1], image.shape[2]
    boxes = boxes.astype(f32, copy=False)
    in_y = _crop_coords(boxes[:, 0], boxes[:, 2], crop_h, height)
    in_x = _crop_coords(boxes[:, 1], boxes[:, 3], crop_w, width)
    rows_ok = (in_y >= 0) & (in_y <= height - 1)
    ok = rows_ok[:, :, None] & ((in_x >= 0) & (in_x <= width - 1))[:, None, :]
    b = box_ind[:, None, None]
    if method == "nearest":
        ys = np.clip(_roundf(in_y), 0, height - 1).astype(np.int64)[:, :, None]
        xs = np.clip(_roundf(in_x), 0, width - 1).astype(np.int64)[:, None, :]
        out = image[b, ys, xs].astype(f32)
    else:
        y0 = np.clip(np.floor(in_y), 0, height - 1).astype(np.int64)
        y1 = np.clip(np.ceil(in_y), 0, height - 1).astype(np.int64)
        x0 = np.clip(np.floor(in_x), 0, width - 1).astype(np.int64)
        x1 = np.clip(np.ceil(in_x), 0, width - 1).astype(np.int64)
        ly = (in_y - y0.astype(f32))[:, :, None, None]
        lx = (in_x - x0.astype(f32))[:, None, :, None]

        def at(ys, xs):
            return image[b, ys[:, :, None], xs[:, None, :]].astype(f32)

        top = _lerp_axis(at(y0, x0), at(y0, x1), lx)
        bottom = _lerp_axis(at(y1, x0), at(y1, x1), lx)
        out = _lerp_axis(top, bottom, ly)
    return (np.where(ok[..., None], out, f32(extrapolation_value)),)


@register_op("ExtractImagePatches", inputs=["images: T"], outputs=["patches: T"],
             attrs=["ksizes: list(int) >= 4", "strides: list(int) >= 4", "rates: list(int) >= 4",
                    ("T: type {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, "
                     "uint32, uint64, complex64, complex128, bool}"),
                    "padding: string {'SAME', 'VALID'}"])
def _extract_image_patches(ctx, images, *, ksizes, strides, rates, padding, **_):
    if images.ndim != 4:
        raise InvalidArgumentError(
            f"{ctx.where}: input must be 4-dimensional, got shape {list(images.shape)}.")
    k = W.spatial_attr(ksizes, 4, True, "ksizes", ctx.where)
    s = W.spatial_attr(strides, 4, True, "strides", ctx.where)
    r = W.spatial_attr(rates, 4, True, "rates", ctx.where)
    geometry = W.windows(images.shape[1:3], k, s, r, padding, None, ctx.where)
    padded = W.pad_spatial(images, geometry)
    view = W.window_view(padded, geometry, k, s, r)
    return (view.reshape(*view.shape[:3], -1),)
