"""Unicode ops: UnicodeDecode(WithOffsets), UnicodeEncode, UnicodeTranscode.

Mirrors ``tensorflow/core/kernels/unicode_ops.cc``: decoding with TensorFlow's error modes
(strict/replace/ignore) and byte offsets, and encoding. ``UnicodeScript`` (needs ICU's script data)
is not registered.
"""

from __future__ import annotations

import codecs
import itertools
import re
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops._string_common import _SPLITS, _flat, _map_strings, _obj
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op

_ENCODINGS = {"UTF8": "utf-8", "UTF16BE": "utf-16-be", "UTF32BE": "utf-32-be",
              "UTF16LE": "utf-16-le", "UTF32LE": "utf-32-le", "ISO88591": "latin-1",
              "LATIN1": "latin-1"}
_MARK_ERRORS = "savedmodel.unicode_error_length"


def _mark_decode_error(err: UnicodeError) -> tuple[str, int]:
    """Replaces an undecodable run by one lone surrogate U+DC00+length (never valid text)."""
    assert isinstance(err, UnicodeDecodeError)
    return chr(0xDC00 + err.end - err.start), err.end


codecs.register_error(_MARK_ERRORS, _mark_decode_error)


def _codec(ctx: KernelContext, name: str, what: str) -> str:
    key = re.sub(r"[-_ ]", "", name.upper())
    if key not in _ENCODINGS:
        raise InvalidArgumentError(
            f"{ctx.where}: Could not create converter for {what} encoding: {name} (savedmodel "
            "supports UTF-8, UTF-16-BE/LE, UTF-32-BE/LE and ISO-8859-1).")
    return _ENCODINGS[key]


def _check_replacement(ctx: KernelContext, replacement_char: int) -> None:
    if not 0 <= replacement_char <= 0x10FFFF:
        raise InvalidArgumentError(f"{ctx.where}: replacement_char out of unicode codepoint range")


def _char_lengths(codec: str, codes: np.ndarray) -> np.ndarray:
    """Encoded byte length of each code point (lone surrogates carry an error run's length)."""
    if codec == "utf-8":
        lengths = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
    elif codec.startswith("utf-16"):
        lengths = 2 + 2 * (codes >= 0x10000)
    else:
        lengths = np.full(codes.shape, 4 if codec.startswith("utf-32") else 1)
    errors = (codes & 0xFFFFF800) == 0xD800
    return np.where(errors, codes - 0xDC00, lengths).astype(np.int64)


def _decode_one(ctx: KernelContext, data: bytes, codec: str, errors: str, replacement_char: int,
                replace_control: bool) -> tuple[np.ndarray, np.ndarray]:
    """(code points, byte offsets) of one string under TF's error handling."""
    text = data.decode(codec, _MARK_ERRORS)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    lengths = _char_lengths(codec, codes)
    starts = np.cumsum(lengths) - lengths
    bad = (codes & 0xFFFFF800) == 0xD800
    if errors == "strict" and bad.any():
        raise InvalidArgumentError(f"{ctx.where}: Invalid formatting on input string")
    if replace_control:
        bad |= codes < 0x20
    if errors == "ignore":
        return codes[~bad], starts[~bad]
    return np.where(bad, replacement_char, codes), starts


def _decode(ctx: KernelContext, input: Any, input_encoding: str, errors: str,
            replacement_char: int, replace_control_characters: bool, Tsplits: Any) -> tuple:
    _check_replacement(ctx, replacement_char)
    codec = _codec(ctx, input_encoding, "input")
    decoded = [_decode_one(ctx, s, codec, errors, replacement_char, replace_control_characters)
               for s in _flat(input)]
    counts = [len(codes) for codes, _ in decoded]
    splits = np.concatenate([[0], np.cumsum(counts)]).astype(Tsplits.numpy)
    codes = np.concatenate([c for c, _ in decoded] or [np.zeros(0, np.int64)]).astype(np.int32)
    starts = np.concatenate([s for _, s in decoded] or [np.zeros(0, np.int64)]).astype(np.int64)
    return splits, codes, starts


def _encode(ctx: KernelContext, codes: np.ndarray, codec: str, errors: str,
            replacement_char: int) -> tuple[bytes, np.ndarray]:
    """(encoded bytes, byte end offset of each kept code point) for a flat code point array."""
    codes = np.asarray(codes, dtype=np.int64)
    valid = (codes >= 0) & (codes <= 0x10FFFF) & ((codes & 0xFFFFF800) != 0xD800)
    if errors == "strict" and not valid.all():
        raise InvalidArgumentError(
            f"{ctx.where}: Code point is out of range for Unicode, or is a surrogate.")
    keep = valid if errors == "ignore" else np.ones(codes.shape, bool)
    codes = np.where(valid, codes, replacement_char)
    ends = np.cumsum(np.where(keep, _char_lengths(codec, codes), 0))
    text = codes[keep].astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    return text.encode(codec, "surrogatepass"), ends


_DECODE_ATTRS = ["input_encoding: string",
                 "errors: string {'strict', 'replace', 'ignore'} = 'replace'",
                 "replacement_char: int = 65533", "replace_control_characters: bool = false",
                 _SPLITS]


@register_op("UnicodeDecode", inputs=["input: string"],
             outputs=["row_splits: Tsplits", "char_values: int32"], attrs=_DECODE_ATTRS)
def _unicode_decode(ctx: KernelContext, input: Any, **attrs: Any) -> tuple:
    return _decode(ctx, input, **attrs)[:2]


@register_op("UnicodeDecodeWithOffsets", inputs=["input: string"],
             outputs=["row_splits: Tsplits", "char_values: int32", "char_to_byte_starts: int64"],
             attrs=_DECODE_ATTRS)
def _unicode_decode_with_offsets(ctx: KernelContext, input: Any, **attrs: Any) -> tuple:
    return _decode(ctx, input, **attrs)


@register_op("UnicodeEncode", inputs=["input_values: int32", "input_splits: Tsplits"],
             outputs=["output: string"],
             attrs=["errors: string {'ignore', 'replace', 'strict'} = 'replace'",
                    "output_encoding: string {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}",
                    "replacement_char: int = 65533", _SPLITS])
def _unicode_encode(ctx: KernelContext, input_values: Any, input_splits: Any, *, errors: str,
                    output_encoding: str, replacement_char: int, **_: Any) -> tuple:
    values = np.asarray(input_values).reshape(-1)
    splits = np.asarray(input_splits).reshape(-1).astype(np.int64)
    if splits.size == 0:
        raise InvalidArgumentError(f"{ctx.where}: Input_splits should contain elements, but given "
                                   "input_values has 0 elements")
    if splits[-1] != values.size:
        raise InvalidArgumentError(f"{ctx.where}: Last value in input_splits must be equal to "
                                   "length of input_tensor.")
    if splits[0] != 0:
        raise InvalidArgumentError(f"{ctx.where}: First value in input_splits must be zero.")
    if (np.diff(splits) < 0).any():
        raise InvalidArgumentError(f"{ctx.where}: input_splits must be sorted, got "
                                   f"{splits.tolist()}.")
    _check_replacement(ctx, replacement_char)
    data, ends = _encode(ctx, values, _codec(ctx, output_encoding, "output"), errors,
                         replacement_char)
    bounds = np.concatenate([[0], ends])[splits].tolist()
    return (_obj([data[a:b] for a, b in itertools.pairwise(bounds)], (splits.size - 1,)),)


@register_op("UnicodeTranscode", inputs=["input: string"], outputs=["output: string"],
             attrs=["input_encoding: string",
                    "output_encoding: string {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}",
                    "errors: string {'strict', 'replace', 'ignore'} = 'replace'",
                    "replacement_char: int = 65533", "replace_control_characters: bool = false"])
def _unicode_transcode(ctx: KernelContext, input: Any, *, input_encoding: str,
                       output_encoding: str, errors: str, replacement_char: int,
                       replace_control_characters: bool) -> tuple:
    _check_replacement(ctx, replacement_char)
    source = _codec(ctx, input_encoding, "input")
    target = _codec(ctx, output_encoding, "output")

    def transcode(data: bytes) -> bytes:
        codes, _ = _decode_one(ctx, data, source, errors, replacement_char,
                               replace_control_characters)
        return _encode(ctx, codes, target, "replace", replacement_char)[0]

    return (_map_strings(transcode, input),)
