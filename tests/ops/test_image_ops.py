"""Image kernels (resize, crop, colour, patches, NMS, codecs) against tf.raw_ops.

Float32 resizing, cropping and colour kernels are compared bit for bit (TensorFlow's kernels are plain
float32 scalar code, replayed in the same operation order); ScaleAndTranslate's Lanczos kernels use
``sin`` and are allowed 4 ulps. PNG, BMP and GIF decoding and JPEG encoding are exact; JPEG decoding
is exact except for the two libjpeg flag pairs Pillow cannot select (see ``JPEG_TOLERANCE``).
"""

from __future__ import annotations

import io
import itertools
import struct
import sys
import zlib

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import savedmodel.ops.image_ops  # noqa: F401  (registers the image family)
from savedmodel.errors import InvalidArgumentError, OutOfRangeError, UnimplementedError
from savedmodel.format import dtypes as sm_dtypes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


from tests.ops.conftest import assert_same, run  # noqa: E402
RNG = np.random.default_rng(7)
BF16 = np.dtype(ml_dtypes.bfloat16)
# Largest |ours - TensorFlow's| pixel difference measured for a JPEG decoded with TensorFlow's default
# (fast IDCT + fancy upsampling) or (accurate IDCT, no fancy upsampling) when chroma is subsampled:
# Pillow can only pick (accurate, fancy) or (fast, plain) for those. Every other case is exact.
JPEG_TOLERANCE = 24


def tf_op(name: str, **kwargs):
    pinned = {
        k: tf.constant(v) if isinstance(v, np.ndarray) and v.dtype != object else v
        for k, v in kwargs.items()
    }
    return getattr(tf.raw_ops, name)(**pinned)


def exact(ours, theirs) -> None:
    assert_same(ours, theirs, rtol=0, atol=0)


def scalar_bytes(data: bytes) -> np.ndarray:
    return np.array(data, dtype=object)


class TestResize:
    SIZES = (
        ((5, 7), (3, 4)),
        ((5, 7), (10, 14)),
        ((1, 1), (3, 4)),
        ((8, 8), (8, 8)),
        ((13, 4), (26, 3)),
        ((4, 9), (1, 1)),
    )

    @pytest.mark.parametrize("op", ["ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic"])
    @pytest.mark.parametrize("corners", [(False, False), (True, False), (False, True)], ids=str)
    @pytest.mark.parametrize("sizes", SIZES, ids=str)
    def test_float32_bit_exact(self, op, corners, sizes):
        (h, w), out = sizes
        x = RNG.uniform(-10, 10, (2, h, w, 3)).astype(np.float32)
        size = np.array(out, np.int32)
        attrs = {"align_corners": corners[0], "half_pixel_centers": corners[1]}
        exact(run(op, x, size, **attrs), tf_op(op, images=x, size=size, **attrs))

    @pytest.mark.parametrize("align_corners", [False, True])
    @pytest.mark.parametrize("sizes", SIZES, ids=str)
    def test_area_bit_exact(self, align_corners, sizes):
        (h, w), out = sizes
        x = RNG.uniform(-10, 10, (2, h, w, 4)).astype(np.float32)
        size = np.array(out, np.int32)
        exact(
            run("ResizeArea", x, size, align_corners=align_corners),
            tf_op("ResizeArea", images=x, size=size, align_corners=align_corners),
        )

    @pytest.mark.parametrize(
        "dtype",
        [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.int64, np.float16, BF16, np.float64],
        ids=str,
    )
    @pytest.mark.parametrize(
        "op", ["ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea"]
    )
    def test_dtypes(self, op, dtype):
        x = RNG.uniform(0, 120, (1, 5, 6, 2)).astype(dtype)
        size = np.array([7, 4], np.int32)
        attrs = {} if op == "ResizeArea" else {"half_pixel_centers": True}
        exact(run(op, x, size, **attrs), tf_op(op, images=x, size=size, **attrs))

    def test_empty_batch_and_errors(self):
        empty = np.zeros((0, 4, 4, 3), np.float32)
        exact(
            run("ResizeBilinear", empty, np.array([2, 2], np.int32)),
            tf_op("ResizeBilinear", images=empty, size=np.array([2, 2], np.int32)),
        )
        x = np.ones((1, 4, 4, 1), np.float32)
        with pytest.raises(
            InvalidArgumentError, match="half_pixel_centers is True, align_corners must be"
        ):
            run(
                "ResizeBilinear",
                x,
                np.array([2, 2], np.int32),
                align_corners=True,
                half_pixel_centers=True,
            )
        with pytest.raises(InvalidArgumentError, match="output dimensions must be positive"):
            run("ResizeNearestNeighbor", x, np.array([0, 2], np.int32))
        with pytest.raises(InvalidArgumentError, match="input must be 4-dimensional"):
            run("ResizeArea", x[0], np.array([2, 2], np.int32))

    @pytest.mark.parametrize(
        "kernel",
        [
            "lanczos1",
            "lanczos3",
            "lanczos5",
            "gaussian",
            "box",
            "triangle",
            "keyscubic",
            "mitchellcubic",
        ],
    )
    @pytest.mark.parametrize("antialias", [True, False])
    def test_scale_and_translate(self, kernel, antialias):
        x = RNG.uniform(0, 255, (2, 12, 9, 3)).astype(np.float32)
        for size, scale, shift in [
            ((9, 3), (1.7, 0.4), (0.3, -1.2)),
            ((4, 5), (0.31, 0.5), (0.0, 0.0)),
            ((20, 18), (2.0, 2.0), (0.0, 1.0)),
        ]:
            args = (np.array(size, np.int32), np.array(scale, np.float32), np.array(shift, np.float32))
            ours = run("ScaleAndTranslate", x, *args, kernel_type=kernel, antialias=antialias)
            theirs = tf_op(
                "ScaleAndTranslate",
                images=x,
                size=args[0],
                scale=args[1],
                translation=args[2],
                kernel_type=kernel,
                antialias=antialias,
            )
            assert_same(ours, theirs, rtol=5e-7, atol=1e-4 if kernel.startswith("lanczos") else 0)

    def test_scale_and_translate_errors(self):
        x = np.ones((1, 4, 4, 1), np.float32)
        size, scale, shift = (
            np.array([2, 2], np.int32),
            np.array([1, 1], np.float32),
            np.zeros(2, np.float32),
        )
        with pytest.raises(InvalidArgumentError, match="Unrecognized kernel type: cubic"):
            run("ScaleAndTranslate", x, size, scale, shift, kernel_type="cubic")
        with pytest.raises(InvalidArgumentError, match="Scale must be greater than zero"):
            run("ScaleAndTranslate", x, size, np.array([0, 1], np.float32), shift)


class TestCropAndPatches:
    @pytest.mark.parametrize("method", ["bilinear", "nearest"])
    @pytest.mark.parametrize("crop", [(1, 1), (5, 7), (1, 4)], ids=str)
    @pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float16, np.int64, np.float64], ids=str)
    def test_crop_and_resize(self, method, crop, dtype):
        image = RNG.uniform(0, 255, (3, 9, 11, 2)).astype(dtype)
        boxes = RNG.uniform(-0.3, 1.3, (12, 4)).astype(np.float32)
        box_ind = RNG.integers(0, 3, 12).astype(np.int32)
        crop = np.array(crop, np.int32)
        ours = run(
            "CropAndResize", image, boxes, box_ind, crop, method=method, extrapolation_value=-1.0
        )
        theirs = tf_op(
            "CropAndResize",
            image=image,
            boxes=boxes,
            box_ind=box_ind,
            crop_size=crop,
            method=method,
            extrapolation_value=-1.0,
        )
        exact(ours, theirs)

    def test_crop_errors(self):
        image = np.ones((2, 4, 4, 1), np.float32)
        boxes, crop = np.array([[0, 0, 1, 1]], np.float32), np.array([2, 2], np.int32)
        with pytest.raises(OutOfRangeError, match=r"box_index has values outside \[0, batch_size\)"):
            run("CropAndResize", image, boxes, np.array([2], np.int32), crop)
        with pytest.raises(InvalidArgumentError, match="not finite"):
            run(
                "CropAndResize",
                image,
                np.array([[0, np.nan, 1, 1]], np.float32),
                np.array([0], np.int32),
                crop,
            )
        empty = run("CropAndResize", image, np.zeros((0, 4), np.float32), np.zeros(0, np.int32), crop)
        assert empty.shape == (0, 2, 2, 1) and empty.dtype == np.float32

    @pytest.mark.parametrize("padding", ["SAME", "VALID"])
    @pytest.mark.parametrize(
        "geometry",
        [((2, 3), (1, 1), (1, 1)), ((3, 3), (2, 3), (1, 1)), ((2, 2), (1, 2), (2, 3))],
        ids=str,
    )
    @pytest.mark.parametrize("dtype", [np.float32, np.int8, np.complex64, np.bool_], ids=str)
    def test_extract_image_patches(self, padding, geometry, dtype):
        k, s, r = geometry
        x = (
            RNG.integers(-5, 5, (2, 7, 8, 3)) > 0
            if dtype == np.bool_
            else RNG.integers(-50, 50, (2, 7, 8, 3))
        ).astype(dtype)
        attrs = {"ksizes": [1, *k, 1], "strides": [1, *s, 1], "rates": [1, *r, 1], "padding": padding}
        if dtype == np.bool_:  # TensorFlow has no CPU kernel for bool; compare through int8
            ours = run("ExtractImagePatches", x, **attrs)
            assert ours.dtype == np.bool_
            exact(ours.astype(np.int8), tf_op("ExtractImagePatches", images=x.astype(np.int8), **attrs))
            return
        exact(run("ExtractImagePatches", x, **attrs), tf_op("ExtractImagePatches", images=x, **attrs))


class TestColor:
    @staticmethod
    def image(dtype=np.float32) -> np.ndarray:
        x = RNG.uniform(0, 1, (2, 6, 5, 3)).astype(np.float32)
        x[0, 0, :5] = [[0.5, 0.5, 0.5], [0.2, 0.5, 0.5], [0.5, 0.2, 0.5], [0.5, 0.5, 0.2], [0, 0, 0]]
        return x.astype(dtype)

    @pytest.mark.parametrize("delta", [0.0, 0.3, -0.7, 1.0, -1.0, 0.999])
    def test_adjust_hue(self, delta):
        x = self.image()
        exact(
            run("AdjustHue", x, np.float32(delta)),
            tf_op("AdjustHue", images=x, delta=np.float32(delta)),
        )

    @pytest.mark.parametrize("scale", [0.0, 0.5, 1.3, 5.0])
    def test_adjust_saturation(self, scale):
        x = self.image()
        exact(
            run("AdjustSaturation", x, np.float32(scale)),
            tf_op("AdjustSaturation", images=x, scale=np.float32(scale)),
        )

    @pytest.mark.parametrize("factor", [0.0, 0.5, 1.7, -2.0])
    @pytest.mark.parametrize("shape", [(2, 7, 5, 3), (7, 5, 3), (1, 1, 1, 2), (3, 64, 33, 4)], ids=str)
    def test_adjust_contrast(self, factor, shape):
        x = RNG.uniform(0, 255, shape).astype(np.float32)
        exact(
            run("AdjustContrastv2", x, np.float32(factor)),
            tf_op("AdjustContrastv2", images=x, contrast_factor=np.float32(factor)),
        )

    def test_half_inputs_follow_float32(self):
        x = self.image(np.float16)
        for op, arg, value in [
            ("AdjustHue", "delta", 0.2),
            ("AdjustSaturation", "scale", 0.7),
            ("AdjustContrastv2", "contrast_factor", 1.5),
        ]:
            theirs = tf_op(op, images=x.astype(np.float32), **{arg: np.float32(value)})
            ours = run(op, x, np.float32(value))
            assert ours.dtype == np.float16
            exact(ours, tf.cast(theirs, tf.float16))

    @pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, BF16], ids=str)
    def test_hsv_round_trip(self, dtype):
        x = self.image(dtype)
        hsv = tf_op("RGBToHSV", images=x)
        exact(run("RGBToHSV", x), hsv)
        exact(run("HSVToRGB", hsv.numpy()), tf_op("HSVToRGB", images=hsv.numpy()))

    def test_errors(self):
        with pytest.raises(InvalidArgumentError, match="must have 3 channels but instead has 4"):
            run("AdjustHue", np.ones((2, 2, 4), np.float32), np.float32(0.1))
        with pytest.raises(InvalidArgumentError, match="at least 3-D"):
            run("AdjustContrastv2", np.ones((2, 3), np.float32), np.float32(0.1))
        with pytest.raises(InvalidArgumentError, match="must have 3 channels"):
            run("RGBToHSV", np.ones((2, 2), np.float32))


def _boxes(n: int, flip: bool) -> np.ndarray:
    center, half = RNG.uniform(0, 1, (n, 2)), RNG.uniform(0.02, 0.4, (n, 2))
    boxes = np.concatenate([center - half, center + half], 1).astype(np.float32)
    return boxes[:, [2, 1, 0, 3]] if flip else boxes


class TestNonMaxSuppression:
    PARAMS = ((10, 0.5, 0.0), (100, 0.3, 0.4), (0, 0.5, -np.inf), (5, 0.0, 0.1), (50, 1.0, 0.2))

    @pytest.mark.parametrize("trial", range(6))
    @pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=str)
    def test_v3_v4_v5(self, trial, dtype):
        n = [0, 1, 7, 30, 45, 60][trial]
        boxes, scores = _boxes(n, trial % 2 == 1).astype(dtype), RNG.uniform(0, 1, n).astype(dtype)
        if trial % 3 == 0:
            scores = (np.round(scores * 4) / 4).astype(dtype)  # ties: lower index first
        for max_out, iou, score in self.PARAMS:
            args = (np.int32(max_out), np.array(iou, dtype), np.array(score, dtype))
            tf_args = {
                "boxes": boxes,
                "scores": scores,
                "max_output_size": args[0],
                "iou_threshold": args[1],
                "score_threshold": args[2],
            }
            exact(
                run("NonMaxSuppressionV3", boxes, scores, *args),
                tf_op("NonMaxSuppressionV3", **tf_args),
            )
            for pad in (False, True):
                ours = run("NonMaxSuppressionV4", boxes, scores, *args, pad_to_max_output_size=pad)
                theirs = tf_op("NonMaxSuppressionV4", pad_to_max_output_size=pad, **tf_args)
                exact(ours[0], theirs[0])
                exact(ours[1], theirs[1])
            for sigma in (0.0, 0.5, 0.1):
                ours = run(
                    "NonMaxSuppressionV5",
                    boxes,
                    scores,
                    *args,
                    np.array(sigma, dtype),
                    pad_to_max_output_size=True,
                )
                theirs = tf_op(
                    "NonMaxSuppressionV5",
                    soft_nms_sigma=np.array(sigma, dtype),
                    pad_to_max_output_size=True,
                    **tf_args,
                )
                exact(ours[0], theirs[0])
                assert_same(ours[1], theirs[1], rtol=3e-7)  # soft scores: exp() within an ulp
                exact(ours[2], theirs[2])

    def test_with_overlaps_is_directional(self):
        overlaps = RNG.uniform(0, 1, (40, 40)).astype(np.float32)  # not symmetric
        scores = RNG.uniform(0, 1, 40).astype(np.float32)
        args = (np.int32(20), np.float32(0.5), np.float32(0.1))
        exact(
            run("NonMaxSuppressionWithOverlaps", overlaps, scores, *args),
            tf_op(
                "NonMaxSuppressionWithOverlaps",
                overlaps=overlaps,
                scores=scores,
                max_output_size=args[0],
                overlap_threshold=args[1],
                score_threshold=args[2],
            ),
        )

    def test_nan_boxes_replay_tensorflow(self):
        boxes = _boxes(12, False)
        boxes[3] = np.nan
        boxes[7, 0] = np.inf
        scores = RNG.uniform(0, 1, 12).astype(np.float32)
        for score_threshold in (-np.inf, 0.2):
            args = (np.int32(12), np.float32(0.4), np.float32(score_threshold), np.float32(0))
            ours = run("NonMaxSuppressionV5", boxes, scores, *args)
            theirs = tf_op(
                "NonMaxSuppressionV5",
                boxes=boxes,
                scores=scores,
                max_output_size=args[0],
                iou_threshold=args[1],
                score_threshold=args[2],
                soft_nms_sigma=args[3],
            )
            for a, b in zip(ours, theirs):
                exact(a, b)

    @pytest.mark.parametrize("trial", range(8))
    def test_combined(self, trial):
        batch, n, classes = 1 + trial % 2, [1, 5, 17, 30, 39, 12, 25, 8][trial], 1 + trial % 5
        q = 1 if trial % 2 else classes
        center, half = (
            RNG.uniform(-0.1, 1.1, (batch, n, q, 2)),
            RNG.uniform(0.02, 0.4, (batch, n, q, 2)),
        )
        boxes = np.concatenate([center - half, center + half], -1).astype(np.float32)
        scores = RNG.uniform(0, 1, (batch, n, classes)).astype(np.float32)
        if trial % 3 == 0:
            scores = (np.round(scores * 3) / 3).astype(
                np.float32
            )  # ties: libstdc++ heap and sort order
        for per_class, total, iou, score, pad, clip in [
            (5, 10, 0.5, 0.1, False, True),
            (20, 7, 0.3, 0.0, True, False),
            (3, 100, 0.7, 0.5, True, True),
        ]:
            args = (np.int32(per_class), np.int32(total), np.float32(iou), np.float32(score))
            ours = run(
                "CombinedNonMaxSuppression", boxes, scores, *args, pad_per_class=pad, clip_boxes=clip
            )
            theirs = tf_op(
                "CombinedNonMaxSuppression",
                boxes=boxes,
                scores=scores,
                max_output_size_per_class=args[0],
                max_total_size=args[1],
                iou_threshold=args[2],
                score_threshold=args[3],
                pad_per_class=pad,
                clip_boxes=clip,
            )
            for a, b in zip(ours, theirs):
                exact(a, b)

    def test_errors(self):
        boxes, scores = _boxes(4, False), np.ones(4, np.float32)
        with pytest.raises(InvalidArgumentError, match=r"iou_threshold must be in \[0, 1\]"):
            run("NonMaxSuppressionV3", boxes, scores, np.int32(3), np.float32(1.5), np.float32(0))
        with pytest.raises(InvalidArgumentError, match="output size must be non-negative"):
            run("NonMaxSuppressionV3", boxes, scores, np.int32(-1), np.float32(0.5), np.float32(0))
        with pytest.raises(InvalidArgumentError, match="scores must be 1-D with one score per box"):
            run("NonMaxSuppressionV3", boxes, scores[:3], np.int32(3), np.float32(0.5), np.float32(0))
        with pytest.raises(InvalidArgumentError, match="soft_nms_sigma_val must be >= 0"):
            run(
                "NonMaxSuppressionV5",
                boxes,
                scores,
                np.int32(3),
                np.float32(0.5),
                np.float32(0),
                np.float32(-1),
            )
        with pytest.raises(
            InvalidArgumentError, match="max_size_per_class and max_total_size must be positive"
        ):
            run(
                "CombinedNonMaxSuppression",
                boxes[None, :, None],
                scores[None, :, None],
                np.int32(0),
                np.int32(3),
                np.float32(0.5),
                np.float32(0),
            )


def _pil_bytes(array: np.ndarray, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, fmt, **options)
    return out.getvalue()


def _png_cases() -> list[tuple[str, bytes]]:
    """PNGs of every colour type and depth, with and without tRNS, from Pillow and TensorFlow."""
    cases = []
    arrays = {
        "L": RNG.integers(0, 256, (6, 9), np.uint8),
        "LA": RNG.integers(0, 256, (6, 9, 2), np.uint8),
        "RGB": RNG.integers(0, 256, (6, 9, 3), np.uint8),
        "RGBA": RNG.integers(0, 256, (6, 9, 4), np.uint8),
    }
    cases += [(mode, _pil_bytes(a, "PNG")) for mode, a in arrays.items()]
    cases.append(("gray16", _pil_bytes(RNG.integers(0, 65536, (6, 9)).astype(np.uint16), "PNG")))
    cases.append(("1bit", _pil_bytes(arrays["L"] > 128, "PNG")))
    palette = Image.fromarray(arrays["RGB"]).convert("P", palette=Image.ADAPTIVE, colors=16)
    for name, options in [("P", {}), ("P+tRNS", {"transparency": bytes(range(0, 256, 16))})]:
        out = io.BytesIO()
        palette.save(out, "PNG", **options)
        cases.append((name, out.getvalue()))
    cases.append(("L+tRNS", _pil_bytes(arrays["L"], "PNG", transparency=int(arrays["L"][0, 0]))))
    cases.append(
        (
            "RGB+tRNS",
            _pil_bytes(arrays["RGB"], "PNG", transparency=tuple(int(v) for v in arrays["RGB"][0, 0])),
        )
    )
    for channels in (1, 2, 3, 4):
        deep = RNG.integers(0, 65536, (6, 9, channels)).astype(np.uint16)
        cases.append((f"tf16x{channels}", tf.io.encode_png(deep).numpy()))
    cases.append(
        ("interlaced16", _interlaced_png16(RNG.integers(0, 65536, (9, 11, 3)).astype(np.uint16)))
    )
    return cases


def _interlaced_png16(image: np.ndarray) -> bytes:
    """An Adam7-interlaced 16-bit RGB PNG using every filter type (written here; Pillow can't)."""

    def paeth(a, b, c):
        p = a + b - c
        return (
            a
            if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
            else (b if abs(p - b) <= abs(p - c) else c)
        )

    raw = b""
    passes = (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    )
    for kind, (x0, y0, dx, dy) in enumerate(passes):
        sub = image[y0::dy, x0::dx]
        prior = bytes(sub.shape[1] * 6)
        for row in (sub[i].astype(">u2").tobytes() for i in range(sub.shape[0])):
            out = bytearray([kind % 5])
            for i, value in enumerate(row):
                a, b = row[i - 6] if i >= 6 else 0, prior[i]
                c = prior[i - 6] if i >= 6 else 0
                out.append((value - [0, a, b, (a + b) >> 1, paeth(a, b, c)][kind % 5]) & 255)
            raw, prior = raw + bytes(out), row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 16, 2, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG_CASES = _png_cases()


class TestCodecs:
    @pytest.mark.parametrize("case", PNG_CASES, ids=[name for name, _ in PNG_CASES])
    def test_decode_png_exact(self, case):
        _name, data = case
        for channels, dtype in itertools.product([0, 1, 3, 4], ["uint8", "uint16"]):
            exact(
                run(
                    "DecodePng", scalar_bytes(data), channels=channels, dtype=sm_dtypes.as_dtype(dtype)
                ),
                tf_op("DecodePng", contents=data, channels=channels, dtype=dtype),
            )
        exact(
            run("DecodeImage", scalar_bytes(data), dtype=sm_dtypes.as_dtype("float32")),
            tf_op("DecodeImage", contents=data, dtype=tf.float32),
        )
        exact(run("DecodeGif", scalar_bytes(data)), tf_op("DecodeGif", contents=data))

    @pytest.mark.parametrize("channels", [1, 2, 3, 4])
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
    def test_encode_png_round_trips_through_tensorflow(self, channels, dtype):
        x = RNG.integers(0, np.iinfo(dtype).max, (7, 5, channels), endpoint=True).astype(dtype)
        for level in (-1, 0, 9):
            data = run("EncodePng", x, compression=level).item()
            exact(tf.io.decode_png(data, dtype=tf.as_dtype(dtype)), x)

    @pytest.mark.parametrize("image", ["smooth", "noisy", "gray"])
    @pytest.mark.parametrize("subsampling", [0, 2])
    def test_decode_jpeg(self, image, subsampling):
        yy, xx = np.mgrid[0:67, 0:93]
        smooth = np.stack([(yy * 3 + xx * 2) % 256, (xx * 5) % 256, (yy * 7 + 50) % 256], -1).astype(
            np.uint8
        )
        pixels = {
            "smooth": smooth,
            "gray": smooth[..., 0],
            "noisy": np.clip(smooth + RNG.normal(0, 20, smooth.shape), 0, 255).astype(np.uint8),
        }[image]
        data = _pil_bytes(pixels, "JPEG", quality=90, subsampling=subsampling)
        for dct, fancy, channels, ratio in itertools.product(
            ["", "INTEGER_ACCURATE"], [True, False], [0, 1, 3], [1, 2, 8]
        ):
            attrs = {"channels": channels, "dct_method": dct, "fancy_upscaling": fancy, "ratio": ratio}
            ours = run("DecodeJpeg", scalar_bytes(data), **attrs)
            theirs = tf_op("DecodeJpeg", contents=data, **attrs)
            approximate = (
                subsampling
                and image != "gray"
                and channels != 1
                and ratio == 1
                and fancy == (dct != "INTEGER_ACCURATE")
            )
            assert ours.dtype == np.uint8 and ours.shape == tuple(theirs.shape)
            worst = np.abs(ours.astype(int) - theirs.numpy().astype(int)).max()
            assert worst <= (JPEG_TOLERANCE if approximate else 0), (attrs, worst)
        exact(
            run("DecodeImage", scalar_bytes(data), dtype=sm_dtypes.as_dtype("uint16"), channels=1),
            tf_op("DecodeImage", contents=data, dtype=tf.uint16, channels=1),
        )

    @pytest.mark.parametrize(
        "options",
        [
            {},
            {"quality": 50},
            {"chroma_downsampling": False},
            {"progressive": True, "optimize_size": True},
            {"density_unit": "cm", "x_density": 10, "y_density": 20, "xmp_metadata": "<x/>"},
        ],
        ids=str,
    )
    def test_encode_jpeg_bytes_match(self, options):
        yy, xx = np.mgrid[0:40, 0:50]
        image = np.stack([(yy * 3 + xx * 2) % 256, (xx * 3) % 256, (yy * 2 + 50) % 256], -1).astype(
            np.uint8
        )
        for pixels in (image, image[..., :1]):
            ours = run("EncodeJpeg", pixels, **options).item()
            assert ours == tf_op("EncodeJpeg", image=pixels, **options).numpy()

    @pytest.mark.parametrize("channels", [0, 3, 4])
    @pytest.mark.parametrize("source", [3, 4])
    def test_decode_bmp(self, channels, source):
        data = _pil_bytes(RNG.integers(0, 256, (5, 7, source)).astype(np.uint8), "BMP")
        exact(
            run("DecodeBmp", scalar_bytes(data), channels=channels),
            tf_op("DecodeBmp", contents=data, channels=channels),
        )
        exact(
            run(
                "DecodeImage",
                scalar_bytes(data),
                channels=channels,
                dtype=sm_dtypes.as_dtype("float32"),
            ),
            tf_op("DecodeImage", contents=data, channels=channels, dtype=tf.float32),
        )

    def test_decode_gif(self):
        frames = [
            Image.fromarray(RNG.integers(0, 256, (8, 10, 3)).astype(np.uint8)).convert(
                "P", palette=Image.ADAPTIVE, colors=32
            )
            for _ in range(3)
        ]
        out = io.BytesIO()
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
        gif = out.getvalue()
        exact(run("DecodeGif", scalar_bytes(gif)), tf_op("DecodeGif", contents=gif))
        exact(
            run("DecodeImage", scalar_bytes(gif), expand_animations=False),
            tf_op("DecodeImage", contents=gif, expand_animations=False),
        )
        with pytest.raises(InvalidArgumentError, match="Got 3 frames, but animated gifs"):
            run("DecodeJpeg", scalar_bytes(gif))

    @pytest.mark.parametrize("mode", ["RGB", "RGBA"])
    @pytest.mark.parametrize("lossless", [True, False])
    def test_decode_webp(self, mode, lossless):
        pixels = RNG.integers(0, 256, (9, 13, len(mode))).astype(np.uint8)
        data = _pil_bytes(pixels, "WEBP", lossless=lossless, quality=80)
        for expand in (True, False):
            exact(
                run("DecodeImage", scalar_bytes(data), expand_animations=expand),
                tf_op("DecodeImage", contents=data, expand_animations=expand),
            )
        with pytest.raises(InvalidArgumentError, match="Number of channels requested does not match"):
            run("DecodeImage", scalar_bytes(data), channels=7 - len(mode))

    def test_errors(self):
        with pytest.raises(InvalidArgumentError, match="Unknown image file format"):
            run("DecodeImage", scalar_bytes(b"not an image"))
        with pytest.raises(InvalidArgumentError, match="Input is empty"):
            run("DecodePng", scalar_bytes(b""))
        png = tf.io.encode_png(np.zeros((2, 2, 3), np.uint8)).numpy()
        with pytest.raises(InvalidArgumentError, match="Trying to decode PNG format using DecodeBmp"):
            run("DecodeBmp", scalar_bytes(png))
        with pytest.raises(InvalidArgumentError, match="JPEG does not support 4 channels"):
            run(
                "DecodeJpeg",
                scalar_bytes(_pil_bytes(np.zeros((4, 4, 3), np.uint8), "JPEG")),
                channels=4,
            )
        with pytest.raises(InvalidArgumentError, match=r"compression should be in \[-1,9\]"):
            run("EncodePng", np.zeros((2, 2, 1), np.uint8), compression=11)

    def test_missing_pillow_names_the_extra(self, monkeypatch):
        jpeg = _pil_bytes(np.zeros((4, 4, 3), np.uint8), "JPEG")
        monkeypatch.setitem(sys.modules, "PIL", None)
        with pytest.raises(UnimplementedError, match=r"pip install 'savedmodel\[images\]'"):
            run("DecodeJpeg", scalar_bytes(jpeg))
