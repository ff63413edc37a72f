"""Image codec kernels: DecodeJpeg/Png/Gif/Bmp/Image, EncodePng and EncodeJpeg.

Mirrors ``tensorflow/core/kernels/image/decode_image_op.cc`` (one kernel for every decode op: the
format comes from the magic bytes, and e.g. DecodeJpeg also decodes PNG and single-frame GIF),
``encode_png_op.cc``, ``encode_jpeg_op.cc`` and ``tensorflow/core/lib/png/png_io.cc``. JPEG, GIF and
WebP are decoded by Pillow, imported lazily (``pip install 'savedmodel[images]'``). PNG pixels come
from Pillow or, for 16-bit colour images that Pillow reduces to 8 bits, from our own inflate and
unfilter; TensorFlow's libpng transformations (tRNS to alpha, alpha filler, ``rgb_to_gray`` with
its fixed-point coefficients, 16 to 8 bit by dropping the low byte, 8 to 16 by ``* 257``) are then
applied here, so PNG output is exact. BMP is decoded exactly like TensorFlow's own small decoder.
JPEG output matches TensorFlow exactly when Pillow's libjpeg settings can match TensorFlow's (the
DCT method, and upsampling only where chroma is subsampled); otherwise pixels differ by a few levels.
PNG files we encode differ in bytes from TensorFlow's but decode to the same pixels.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.ops.registry import register_op

_INSTALL = "pip install 'savedmodel[images]'"
_MAGIC = [(b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF8", "GIF"), (b"BM", "BMP")]
_PNG_GRAY_COEFFS = (9797, 19234, 32768 - 9797 - 19234)  # libpng's rgb_to_gray(0.299, 0.587)


def _pillow(ctx):
    try:
        from PIL import Image
    except ImportError:
        raise UnimplementedError(
            f"{ctx.where}: decoding JPEG, PNG, GIF and WebP images and encoding JPEG needs Pillow, "
            f"which is not installed. Install it with: {_INSTALL}") from None
    return Image


def _image_format(data: bytes) -> str:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data.startswith(b"RIFF") and len(data) > 12 and data[8:12] == b"WEBP":
        return "WebP"
    return "UNKNOWN"


def _contents(ctx, contents) -> bytes:
    value = np.asarray(contents, dtype=object)
    if value.ndim != 0:
        raise InvalidArgumentError(
            f"{ctx.where}: `contents` must be scalar but got shape {list(value.shape)}.")
    data = value.item()
    data = data.encode() if isinstance(data, str) else bytes(data)
    if not data:
        raise InvalidArgumentError(f"{ctx.where}: Input is empty.")
    return data


# --- PNG ------------------------------------------------------------------------------------------

def _png_chunks(data: bytes) -> dict[bytes, bytes]:
    """First occurrence of each chunk type, and all IDAT data joined (key b'IDAT')."""
    chunks: dict[bytes, bytes] = {}
    idat = []
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        pos += 12 + length
        if kind == b"IEND":
            break
    chunks[b"IDAT"] = b"".join(idat)
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter_row(kind: int, raw: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    """One reconstructed PNG scanline (filter types 0-4 of the PNG specification)."""
    if kind == 0:
        return raw
    if kind == 2:
        return raw + prior
    if kind == 1:
        lanes = raw.astype(np.int64).reshape(-1, bpp)
        return (np.cumsum(lanes, axis=0) & 0xFF).astype(np.uint8).reshape(-1)
    out = bytearray(raw.tobytes())
    up = prior.tobytes()
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 3:
            out[i] = (out[i] + ((left + up[i]) >> 1)) & 0xFF
        else:
            out[i] = (out[i] + _paeth(left, up[i], up[i - bpp] if i >= bpp else 0)) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # (x0, y0, dx, dy) of the seven interlace passes


def _unfilter(ctx, stream: np.ndarray, width: int, height: int, bpp: int) -> tuple[np.ndarray, int]:
    """(rows (height, width * bpp), bytes used) of one filtered PNG (sub)image."""
    stride = width * bpp + 1
    if stream.size < stride * height:
        raise InvalidArgumentError(f"{ctx.where}: Invalid PNG data: image data is truncated.")
    rows = stream[:stride * height].reshape(height, stride)
    out = np.zeros((height, width * bpp), np.uint8)
    prior = np.zeros(width * bpp, np.uint8)
    for y in range(height):
        prior = out[y] = _unfilter_row(int(rows[y, 0]), rows[y, 1:], prior, bpp)
    return out, stride * height


def _png_16bit(ctx, chunks: dict, width: int, height: int, channels: int, interlace: int) -> np.ndarray:
    """Samples of a 16-bit colour PNG, decoded here because Pillow keeps only their high bytes."""
    bpp = 2 * channels
    try:
        stream = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8)
    except zlib.error as err:
        raise InvalidArgumentError(f"{ctx.where}: Invalid PNG data: {err}.") from None
    if not interlace:
        rows, _ = _unfilter(ctx, stream, width, height, bpp)
        return rows.view(">u2").astype(np.uint16).reshape(height, width, channels)
    out = np.zeros((height, width, channels), np.uint16)
    for x0, y0, dx, dy in _ADAM7:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w <= 0 or h <= 0:
            continue
        rows, used = _unfilter(ctx, stream, w, h, bpp)
        out[y0::dy, x0::dx] = rows.view(">u2").reshape(h, w, channels)
        stream = stream[used:]
    return out


class _Png:
    """A PNG's pixels at the file's own depth: colour (H, W, 1|3), alpha and tRNS-derived alpha."""

    def __init__(self, ctx, data: bytes) -> None:
        chunks = _png_chunks(data)
        ihdr = chunks.get(b"IHDR", b"")
        if len(ihdr) < 13:
            raise InvalidArgumentError(f"{ctx.where}: Invalid PNG. Failed to initialize decoder.")
        width, height, depth, color_type, _c, _f, interlace = struct.unpack(">IIBBBBB", ihdr[:13])
        self.gray, self.palette = not color_type & 2, color_type == 3
        self.native_channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(color_type, 0)
        if depth == 16 and color_type in (2, 4, 6):
            samples = _png_16bit(ctx, chunks, width, height, self.native_channels, interlace)
        else:
            samples = _pillow_png(ctx, data)
        self.depth = 16 if samples.dtype == np.uint16 else 8
        self.filler = (1 << depth) - 1  # libpng's add_alpha filler uses the file's bit depth
        trns = chunks.get(b"tRNS")
        self.alpha = None
        if color_type in (4, 6):
            samples, self.alpha = samples[..., :-1], samples[..., -1:]
        self.trns_alpha = None
        if self.palette:
            samples, self.trns_alpha = self._expand_palette(samples, chunks.get(b"PLTE", b""), trns)
            self.native_channels = 4 if trns is not None else 3
        elif trns is not None and self.alpha is None:
            self.trns_alpha = self._key_alpha(samples, trns, depth)
        self.color = samples

    @staticmethod
    def _expand_palette(indices: np.ndarray, plte: bytes, trns: bytes | None):
        table = np.zeros((256, 3), np.uint8)
        entries = np.frombuffer(plte[:len(plte) // 3 * 3], np.uint8).reshape(-1, 3)[:256]
        table[:len(entries)] = entries
        alpha = np.full(256, 255, np.uint8)
        if trns is not None:
            alpha[:min(len(trns), 256)] = np.frombuffer(trns[:256], np.uint8)
        flat = indices[..., 0]
        return table[flat], (alpha[flat][..., None] if trns is not None else None)

    def _key_alpha(self, samples: np.ndarray, trns: bytes, depth: int) -> np.ndarray:
        """Alpha 0 where a pixel equals the tRNS colour key, else opaque."""
        key = np.array(struct.unpack(">" + "H" * (len(trns) // 2), trns[:len(trns) // 2 * 2]), np.int64)
        key = key[:samples.shape[-1]]
        if depth < 8:
            key = key * (255 // ((1 << depth) - 1))
        top = (1 << self.depth) - 1
        hit = np.all(samples.astype(np.int64) == key, axis=-1, keepdims=True)
        return np.where(hit, 0, top).astype(samples.dtype)

    def to_tensorflow(self, channels: int, bits: int) -> np.ndarray:
        """TensorFlow's libpng transformations: the image with ``channels`` at ``bits`` per sample."""
        want = channels or self.native_channels
        color, alpha = self.color, None
        if want % 2 == 0:
            alpha = self.alpha if self.alpha is not None else self.trns_alpha
            if alpha is None:
                alpha = np.full(color.shape[:2] + (1,), self.filler, color.dtype)
        if want < 3 and not self.gray:
            color = _rgb_to_gray(color, self.depth)
        if self.depth == 16 and bits == 8:
            color = color >> 8
            alpha = None if alpha is None else alpha >> 8
        if want >= 3 and self.gray:
            color = np.repeat(color, 3, axis=-1)
        out = color if alpha is None else np.concatenate([color, alpha], axis=-1)
        out = out.astype(np.uint16 if bits == 16 else np.uint8)
        return out * np.uint16(257) if self.depth == 8 and bits == 16 else out


def _pillow_png(ctx, data: bytes) -> np.ndarray:
    """Samples Pillow decodes exactly: palette indices, 1-8 bit gray (scaled to 8), 16-bit gray, 8-bit."""
    image = _pillow(ctx).open(io.BytesIO(data))
    try:
        image.load()
    except Exception as err:  # noqa: BLE001  (Pillow raises several types for corrupt data)
        raise InvalidArgumentError(f"{ctx.where}: Invalid PNG data: {err}.") from None
    array = np.asarray(image)
    if image.mode == "1":
        array = array.astype(np.uint8) * np.uint8(255)
    elif image.mode.startswith("I"):
        array = array.astype(np.uint16)
    return array[..., None] if array.ndim == 2 else array


def _rgb_to_gray(rgb: np.ndarray, depth: int) -> np.ndarray:
    r, g, b = (rgb[..., i:i + 1].astype(np.int64) for i in range(3))
    rc, gc, bc = _PNG_GRAY_COEFFS
    mixed = (rc * r + gc * g + bc * b + (16384 if depth == 16 else 0)) >> 15
    return np.where((r == g) & (r == b), r, mixed).astype(rgb.dtype)


# --- JPEG, GIF, WebP (Pillow) and BMP ---------------------------------------------------------------

def _jpeg_needs_upsampling(image, ratio: int) -> bool:
    """Whether libjpeg must upsample chroma at this scale (only then does fancy upsampling matter)."""
    layers = getattr(image, "layer", None) or []
    if len(layers) < 2:
        return False
    h_max = max(layer[1] for layer in layers)
    v_max = max(layer[2] for layer in layers)
    return any(h_max // layer[1] > ratio or v_max // layer[2] > ratio for layer in layers)


def _decode_jpeg(ctx, data: bytes, channels: int, ratio: int, fancy: bool, dct_method: str) -> np.ndarray:
    """JPEG pixels via Pillow's libjpeg, with the IDCT/upsampling pair closest to TensorFlow's flags.

    Pillow offers (accurate IDCT, fancy upsampling) or, in draft mode, (fast IDCT, plain upsampling);
    TensorFlow's default is (fast IDCT, fancy upsampling). Both agree exactly whenever no chroma
    upsampling happens (grayscale output or source, 4:4:4, or a ratio undoing the subsampling).
    """
    image = _pillow(ctx).open(io.BytesIO(data))
    fast = dct_method != "INTEGER_ACCURATE"
    gray_out = channels == 1 or (channels == 0 and image.mode == "L")
    upsampling = not gray_out and _jpeg_needs_upsampling(image, ratio)
    draft = fast if not upsampling else not fancy
    tile = image.tile[0]
    if channels == 1 and image.mode == "RGB":
        image._mode = "L"
        tile = type(tile)(tile[0], tile[1], tile[2], ("L", ""))
    if ratio > 1:
        box = tile[1]
        box = (box[0], box[1], (box[2] - box[0] + ratio - 1) // ratio + box[0],
               (box[3] - box[1] + ratio - 1) // ratio + box[1])
        image._size = ((image.size[0] + ratio - 1) // ratio, (image.size[1] + ratio - 1) // ratio)
        tile = type(tile)(tile[0], box, tile[2], tile[3])
    image.tile = [tile]
    image.decoderconfig = (ratio, int(draft))
    try:
        image.load()
    except Exception as err:  # noqa: BLE001
        raise InvalidArgumentError(
            f"{ctx.where}: jpeg::Uncompress failed. Invalid JPEG data: {err}.") from None
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    array = np.asarray(image)
    array = array[..., None] if array.ndim == 2 else array
    if channels == 3 and array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    return array


def _decode_gif(ctx, data: bytes, first_only: bool) -> np.ndarray:
    """(frames, H, W, 3) composited RGB frames, like TensorFlow's GIF decoder."""
    image = _pillow(ctx).open(io.BytesIO(data))
    frames = []
    try:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
            if first_only:
                break
    except Exception as err:  # noqa: BLE001
        raise InvalidArgumentError(
            f"{ctx.where}: Invalid GIF data (size {len(data)}), {err}.") from None
    return np.stack(frames)


def _decode_webp(ctx, data: bytes, channels: int, dtype, expand: bool) -> np.ndarray:
    """(frames, H, W, C) or (H, W, C) WebP pixels; like TensorFlow, only the file's own channels."""
    if dtype != np.uint8:
        raise InvalidArgumentError(f"{ctx.where}: WebP only supports uint8 for dtype.")
    image = _pillow(ctx).open(io.BytesIO(data))
    native = 4 if "A" in image.mode or image.info.get("transparency") is not None else 3
    if channels not in (0, native):
        raise InvalidArgumentError(f"{ctx.where}: Number of channels requested does not match input "
                                   f"({channels} vs {native}).")
    mode = "RGBA" if native == 4 else "RGB"
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(np.asarray(image.convert(mode)))
    return np.stack(frames) if expand else frames[0]


def _decode_bmp(ctx, data: bytes, channels: int) -> np.ndarray:
    """TensorFlow's own BMP decoder: uncompressed 8/24/32-bit rows, bottom-up unless height < 0."""
    if len(data) < 32:
        raise InvalidArgumentError(
            f"{ctx.where}: Incomplete bmp content, requires at least 32 bytes to find "
            f"the header size, width, height, and bpp, got {len(data)} bytes.")
    offset, = struct.unpack_from("<i", data, 10)
    width, height = struct.unpack_from("<ii", data, 18)
    bpp, = struct.unpack_from("<h", data, 28)
    src = bpp // 8
    if src not in (1, 3, 4):
        raise InvalidArgumentError(
            f"{ctx.where}: Number of channels inherent in the image must be 1, 3 or 4, "
            f"was {src}.")
    if width <= 0 or height == 0 or offset < 0:
        raise InvalidArgumentError(
            f"{ctx.where}: BMP width must be positive, height nonzero and header size "
            f"nonnegative, got {width}, {height}, {offset}.")
    row = (src * width + 3) // 4 * 4
    rows = abs(height)
    if len(data) - offset - row * rows != 0:
        raise InvalidArgumentError(
            f"{ctx.where}: Input size should match (header_size + row_size * abs_height) "
            f"but they differ by {len(data) - offset - row * rows}.")
    pixels = np.frombuffer(data, np.uint8, row * rows, offset).reshape(rows, row)[:, :width * src]
    pixels = pixels.reshape(rows, width, src)
    if height > 0:
        pixels = pixels[::-1]
    want = channels or src
    if src == 1:
        out = np.repeat(pixels, 3, axis=-1) if want >= 3 else pixels
    else:
        out = pixels[..., 2::-1]
    if want == 4:
        alpha = pixels[..., 3:4] if src == 4 else np.full((rows, width, 1), 255, np.uint8)
        out = np.concatenate([out, alpha], axis=-1)
    return np.ascontiguousarray(out)


def _from_uint8(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """uint8 pixels in the requested dtype: uint16 scales by 256, float32 by 1/255 (TensorFlow's)."""
    if dtype == np.uint16:
        return image.astype(np.uint16) * np.uint16(256)
    if dtype == np.float32:
        return image.astype(np.float32) * np.float32(1.0 / 255)
    return image


def _check_channels(ctx, channels: int, allowed=(0, 1, 3, 4)) -> None:
    if channels not in allowed:
        raise InvalidArgumentError(
            f"{ctx.where}: `channels` must be one of {list(allowed)} but got {channels}.")


def _decode(ctx, op: str, contents, channels: int = 0, dtype: type = np.uint8,
            expand_animations: bool = True, jpeg: tuple = (1, True, "")) -> np.ndarray:
    """DecodeImageV2Op: dispatch on the magic bytes, with each op's shape and format rules."""
    data = _contents(ctx, contents)
    fmt = _image_format(data)
    if fmt == "UNKNOWN":
        raise InvalidArgumentError(
            f"{ctx.where}: Unknown image file format. One of JPEG, PNG, GIF, BMP required.")
    if (fmt == "BMP") != (op == "DecodeBmp") and op != "DecodeImage":
        raise InvalidArgumentError(f"{ctx.where}: Trying to decode {fmt} format using {op}. Use "
                                   f"`decode_{fmt.lower()}` or `decode_image` instead.")
    if fmt == "PNG":
        image = _Png(ctx, data).to_tensorflow(channels, 8 if dtype == np.uint8 else 16)
        if dtype == np.float32:
            image = image.astype(np.float32) * np.float32(1.0 / 65535)
        return image[None] if op == "DecodeGif" else image
    if fmt == "JPEG":
        if channels == 4:
            raise InvalidArgumentError(f"{ctx.where}: JPEG does not support 4 channels.")
        image = _decode_jpeg(ctx, data, channels, *jpeg)
        return _from_uint8(image[None] if op == "DecodeGif" else image, dtype)
    if fmt == "BMP":
        if channels == 1:
            raise InvalidArgumentError(f"{ctx.where}: `channels` must be 0, 3 or 4 for BMP, but got 1.")
        return _from_uint8(_decode_bmp(ctx, data, channels), dtype)
    if fmt == "WebP":
        if op != "DecodeImage":
            raise InvalidArgumentError(f"{ctx.where}: WebP images can only be decoded by DecodeImage.")
        return _decode_webp(ctx, data, channels, dtype, expand_animations)
    if channels not in (0, 3):
        raise InvalidArgumentError(f"{ctx.where}: channels must be 0 or 3 for GIF, got {channels}.")
    frames = _decode_gif(ctx, data, op == "DecodeImage" and not expand_animations)
    if op in ("DecodeJpeg", "DecodePng"):
        if len(frames) != 1:
            raise InvalidArgumentError(
                f"{ctx.where}: Got {len(frames)} frames, but animated gifs can only be "
                "decoded by tf.io.decode_gif or tf.io.decode_image.")
        frames = frames[0]
    elif op == "DecodeImage" and not expand_animations:
        frames = frames[0]
    return _from_uint8(frames, dtype)


@register_op("DecodeBmp", inputs=["contents: string"], outputs=["image: uint8"],
             attrs=["channels: int = 0"])
def _decode_bmp_op(ctx, contents, *, channels, **_):
    _check_channels(ctx, channels)
    return (_decode(ctx, "DecodeBmp", contents, channels),)


@register_op("DecodeGif", inputs=["contents: string"], outputs=["image: uint8"])
def _decode_gif_op(ctx, contents, **_):
    return (_decode(ctx, "DecodeGif", contents, 3),)


@register_op("DecodeImage", inputs=["contents: string"], outputs=["image: dtype"],
             attrs=["channels: int = 0", "dtype: type {uint8, uint16, float} = DT_UINT8",
                    "expand_animations: bool = true"])
def _decode_image_op(ctx, contents, *, channels, dtype, expand_animations, **_):
    _check_channels(ctx, channels)
    return (_decode(ctx, "DecodeImage", contents, channels, dtype.numpy, expand_animations),)


@register_op("DecodeJpeg", inputs=["contents: string"], outputs=["image: uint8"],
             attrs=["channels: int = 0", "ratio: int = 1", "fancy_upscaling: bool = true",
                    "try_recover_truncated: bool = false", "acceptable_fraction: float = 1.0",
                    "dct_method: string = ''"])
def _decode_jpeg_op(ctx, contents, *, channels, ratio, fancy_upscaling, dct_method, **_):
    _check_channels(ctx, channels)
    if ratio not in (1, 2, 4, 8):
        raise InvalidArgumentError(f"{ctx.where}: ratio must be 1, 2, 4, or 8, got {ratio}.")
    if dct_method not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        raise InvalidArgumentError(f"{ctx.where}: dct_method must be one of {{'', 'INTEGER_FAST', "
                                   f"'INTEGER_ACCURATE'}}, got {dct_method!r}.")
    return (_decode(ctx, "DecodeJpeg", contents, channels, jpeg=(ratio, fancy_upscaling, dct_method)),)


@register_op("DecodePng", inputs=["contents: string"], outputs=["image: dtype"],
             attrs=["channels: int = 0", "dtype: type {uint8, uint16} = DT_UINT8"])
def _decode_png_op(ctx, contents, *, channels, dtype, **_):
    _check_channels(ctx, channels)
    return (_decode(ctx, "DecodePng", contents, channels, dtype.numpy),)


def _png_bytes(image: np.ndarray, level: int) -> bytes:
    """A PNG of ``image`` (H, W, C uint8/uint16): one IDAT, every row with the 'Up' filter."""
    height, width, channels = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    rows = image.astype(">u2" if depth == 16 else np.uint8).reshape(height, -1).view(np.uint8)
    up = np.concatenate([rows[:1], rows[1:] - rows[:-1]]) if height else rows
    raw = np.concatenate([np.full((height, 1), 2, np.uint8), up], axis=1).tobytes()
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, level))
            + chunk(b"IEND", b""))


@register_op("EncodePng", inputs=["image: T"], outputs=["contents: string"],
             attrs=["compression: int = -1", "T: type {uint8, uint16} = DT_UINT8"])
def _encode_png(ctx, image, *, compression, **_):
    if image.ndim != 3:
        raise InvalidArgumentError(
            f"{ctx.where}: image must be 3-dimensional, got shape {list(image.shape)}.")
    if not -1 <= compression <= 9:
        raise InvalidArgumentError(f"{ctx.where}: compression should be in [-1,9], got {compression}.")
    if not 1 <= image.shape[2] <= 4:
        raise InvalidArgumentError(f"{ctx.where}: image must have 1, 2, 3, or 4 channels, got "
                                   f"{image.shape[2]}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidArgumentError(f"{ctx.where}: PNG encoding failed: the image has no pixels "
                                   f"(shape {list(image.shape)}).")
    return (np.array(_png_bytes(image, compression), dtype=object),)


def _jfif_patch(data: bytes, unit: int, x_density: int, y_density: int, xmp: str) -> bytes:
    """Sets the JFIF density fields and inserts an XMP APP1 segment after APP0, as TensorFlow writes."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        data = data[:13] + struct.pack(">BHH", unit, x_density, y_density) + data[18:]
    if xmp:
        end = 4 + struct.unpack(">H", data[4:6])[0] if data[2:4] == b"\xff\xe0" else 2
        body = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
        data = data[:end] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[end:]
    return data


@register_op("EncodeJpeg", inputs=["image: uint8"], outputs=["contents: string"],
             attrs=["format: string {'', 'grayscale', 'rgb'} = ''", "quality: int = 95",
                    "progressive: bool = false", "optimize_size: bool = false",
                    "chroma_downsampling: bool = true", "density_unit: string {'in', 'cm'} = 'in'",
                    "x_density: int = 300", "y_density: int = 300", "xmp_metadata: string = ''"])
def _encode_jpeg(ctx, image, *, format, quality, progressive, optimize_size, chroma_downsampling,
                 density_unit, x_density, y_density, xmp_metadata, **_):
    if image.ndim != 3:
        raise InvalidArgumentError(
            f"{ctx.where}: image must be 3-dimensional, got shape {list(image.shape)}.")
    channels = {"grayscale": 1, "rgb": 3}.get(format, image.shape[2])
    if image.shape[2] != channels or channels not in (1, 3):
        raise InvalidArgumentError(f"{ctx.where}: image must have {channels if format else '1 or 3'} "
                                   f"channels, got {image.shape[2]} (format {format!r}).")
    if not 0 <= quality <= 100:
        raise InvalidArgumentError(f"{ctx.where}: quality must be in [0,100], got {quality}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidArgumentError(f"{ctx.where}: JPEG encoding failed: the image has no pixels.")
    pil = _pillow(ctx).fromarray(np.ascontiguousarray(image[..., 0] if channels == 1 else image))
    out = io.BytesIO()
    options = {"quality": quality, "progressive": progressive, "optimize": optimize_size}
    if channels == 3:
        options["subsampling"] = 2 if chroma_downsampling else 0
    pil.save(out, "JPEG", **options)
    data = _jfif_patch(out.getvalue(), 1 if density_unit == "in" else 2, x_density, y_density,
                       xmp_metadata)
    return (np.array(data, dtype=object),)
