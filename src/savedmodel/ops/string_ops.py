"""String ops: joins, splits, regexes, case, substrings, numbers <-> text, hashing, base64.

Mirrors ``tensorflow/core/ops/string_ops.cc`` and the kernels in
``tensorflow/core/kernels/*string*``, ``regex_*_op.cc``, ``base64_ops.cc``.
Strings are object arrays of ``bytes``. Regexes are RE2 patterns translated by ``_re2``; the hashes
live in ``_string_hash``. Importing this module also registers the Unicode* ops (``unicode_ops``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import farmhash
import numpy as np

from savedmodel.errors import InvalidArgumentError, OutOfRangeError
from savedmodel.ops import unicode_ops  # noqa: F401  (registers the Unicode* ops with this family)
from savedmodel.ops._re2 import _full_match, _regex_replace
from savedmodel.ops._string_common import (
    _SPLITS,
    _flat,
    _map_strings,
    _obj,
    _scalar_string,
    _shape_str,
    _to_bytes,
    _to_str,
)
from savedmodel.ops._string_hash import _MASK64, _buckets, hash64, siphash24
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op

_C_NAMED = {0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t", 0x22: b'\\"', 0x27: b"\\'", 0x5C: b"\\\\"}


def _c_escape(data: bytes, *, hex_escape: bool) -> bytes:
    """absl::CHexEscape (``hex_escape``) or absl::Utf8SafeCEscape of ``data``."""
    out = bytearray()
    last_hex = False
    for byte in data:
        named = _C_NAMED.get(byte)
        if named is not None:
            out += named
            last_hex = False
        elif (hex_escape or byte < 0x80) and (not 0x20 <= byte < 0x7F or (
                last_hex and byte in b"0123456789abcdefABCDEF")):
            out += (b"\\x%02x" % byte) if hex_escape else (b"\\%03o" % byte)
            last_hex = hex_escape
        else:
            out.append(byte)
            last_hex = False
    return bytes(out)


# --------------------------------------------------------------------------------------------------
# Text <-> numbers.

_WHITESPACE = b" \t\n\v\f\r"
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|"
    rb"\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|(?i:inf(?:inity)?)|((?i:nan)(?:\([0-9A-Za-z_]*\))?))")
_INT_RE = re.compile(rb"[+-]?\d+")
_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _tf_name(dtype: Any) -> str:
    """DataTypeString: TensorFlow's spelling of a dtype in messages."""
    return _TF_TYPE_NAMES.get(dtype.name, dtype.name)


def _parse_float(text: bytes) -> float | None:
    """strtod over the whole (whitespace-trimmed) text, or None when it is not a number."""
    text = text.strip(_WHITESPACE)
    match = _FLOAT_RE.fullmatch(text)
    if match is None:
        return None
    if match.group(1) is not None:
        return float.fromhex(text.decode())
    if match.group(2) is not None:
        return -math.nan if text[:1] == b"-" else math.nan
    return float(text)


def _float32_from_text(text: bytes, value: float) -> np.float32:
    """strtof: the decimal text correctly rounded to float32.

    Rounding the correctly rounded float64 again is exact unless that float64 lies exactly halfway
    between two float32 values (or FLT_MAX and 2**128); such ties are settled with the exact
    decimal value.
    """
    with np.errstate(over="ignore"):
        single = np.float32(value)
    if not math.isfinite(value) or value == 0 or b"x" in text.lower():
        return single
    exponent = max(math.frexp(value)[1], -125)
    scaled = math.ldexp(abs(value), 25 - exponent)
    if scaled != int(scaled) or int(scaled) % 2 == 0:
        return single
    from fractions import Fraction

    half = math.ldexp(1.0, exponent - 25)
    with np.errstate(over="ignore"):
        down, up = np.float32(abs(value) - half), np.float32(abs(value) + half)
    exact, tie = abs(Fraction(text.strip(_WHITESPACE).decode())), Fraction(abs(value))
    if exact == tie:
        chosen = down if int(down.view(np.uint32)) % 2 == 0 else up
    else:
        chosen = up if exact > tie else down
    return np.float32(-chosen) if value < 0 else chosen


def parse_number(text: bytes, dtype: Any) -> Any:
    """TF's SafeStringToNumeric: ``text`` as a number of ``dtype`` (a DType), or None if not one.

    Leading and trailing ASCII whitespace are allowed; floats follow strtod (hex, inf, nan), ints
    must be in range.
    """
    if dtype.numpy.kind == "f":
        value = _parse_float(text)
        if value is None or dtype.numpy != np.float32:
            return value
        return _float32_from_text(text, value)
    stripped = text.strip(_WHITESPACE)
    if not _INT_RE.fullmatch(stripped) or (dtype.numpy.kind == "u" and stripped[:1] == b"-"):
        return None
    value = int(stripped)
    info = np.iinfo(dtype.numpy)
    return value if info.min <= value <= info.max else None


def _parse_number(ctx: KernelContext, text: bytes, dtype: Any) -> Any:
    value = parse_number(text, dtype)
    if value is None:
        raise InvalidArgumentError(f"{ctx.where}: StringToNumberOp could not correctly convert "
                                   f"string: {_to_str(text)}")
    return value


def _fp_to_buffer(value: float, digits: int, max_digits: int, parse: Callable[[float], Any]) -> str:
    """tsl::strings::FloatToBuffer / DoubleToBuffer (shortest of %.{digits}g that round-trips)."""
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    text = f"{value:.{digits}g}"
    if math.isfinite(value) and parse(float(text)) == parse(value):
        return text
    return f"{value:.{max_digits}g}"


def _summary_element(dtype: np.dtype) -> Callable[[Any], str]:
    """How Tensor::SummarizeValue prints one element of ``dtype`` (print_v2 mode)."""
    if dtype == object:
        return lambda v: '"' + _to_str(_c_escape(v, hex_escape=False)) + '"'
    if dtype == np.float64:
        return lambda v: _fp_to_buffer(v, 15, 17, float)
    if dtype.kind == "f" or dtype.name == "bfloat16" or dtype.name.startswith("float8"):
        return lambda v: _fp_to_buffer(v, 6, 9, np.float32)
    if dtype == np.bool_:
        return lambda v: "1" if v else "0"
    return str


def _summarize(array: np.ndarray, summarize: int) -> str:
    """Tensor::SummarizeValue(summarize, print_v2=true)."""
    size = array.size
    limit = size if summarize < 0 else min(summarize, size)
    small_float = array.dtype.name in ("bfloat16", "float16") or array.dtype.name.startswith("float8")
    if array.dtype.kind not in "biufO" and not small_float or array.dtype.kind == "c":
        text = " ".join("?" for _ in range(limit)) + ("..." if 0 <= summarize < size else "")
        return f"[{text}]" if array.ndim else text
    values = array.astype(np.float32) if small_float else array
    element = _summary_element(values.dtype)
    flat = _flat(values) if values.dtype == object else values.reshape(-1).tolist()
    if array.ndim == 0:
        return " ".join(element(v) for v in flat[:limit]) + ("..." if size > limit else "")
    return _print_dim(array.shape, 0, limit, flat, 0, element)


def _dim_spacing(dim: int, ndim: int) -> str:
    return " " if dim == ndim - 1 else "\n" * (ndim - dim - 1) + " " * (dim + 1)


def _print_dim(shape: Sequence[int], dim: int, ends: int, flat: list, index: int,
               element: Callable[[Any], str]) -> str:
    """PrintOneDimV2: the first and last ``ends`` entries of each dimension."""
    if dim == len(shape):
        return element(flat[index])
    count = shape[dim]
    stride = int(np.prod(shape[dim + 1:], dtype=np.int64))
    parts = ["["]
    for i in range(min(ends, count)):
        if i > 0:
            parts.append(_dim_spacing(dim, len(shape)))
        parts.append(_print_dim(shape, dim + 1, ends, flat, index + stride * i, element))
    if count > 2 * ends:
        parts.append(_dim_spacing(dim, len(shape)) + "...")
    for i in range(max(ends, count - ends), count):
        parts.append(_dim_spacing(dim, len(shape)))
        parts.append(_print_dim(shape, dim + 1, ends, flat, index + stride * i, element))
    parts.append("]")
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Elementwise ops.

def _lower_upper(upper: bool) -> Callable[..., tuple]:
    def kernel(ctx: KernelContext, input: Any, *, encoding: str) -> tuple:
        if encoding not in ("", "utf-8"):
            raise InvalidArgumentError(f"{ctx.where}: only utf-8 or '' (no encoding) is supported, "
                                       f"received {encoding}")
        if encoding:  # ICU reads the input as a C string: it stops at the first NUL
            case = str.upper if upper else str.lower
            fn = lambda s: case(s.split(b"\0", 1)[0].decode("utf-8", "replace")).encode()
        else:
            fn = bytes.upper if upper else bytes.lower
        return (_map_strings(fn, input),)
    return kernel


for _name, _upper in (("StringLower", False), ("StringUpper", True)):
    register_op(_name, inputs=["input: string"], outputs=["output: string"],
                attrs=["encoding: string = ''"])(_lower_upper(_upper))


def _base64_decode(ctx: KernelContext, data: bytes) -> bytes:
    """tsl::Base64Decode: web-safe alphabet, padding optional, stray bits ignored."""
    body = data
    if len(body) % 4 == 0 and body.endswith(b"=="):
        body = body[:-2]
    elif len(body) % 4 == 0 and body.endswith(b"="):
        body = body[:-1]
    if len(body) % 4 == 1 and re.fullmatch(rb"[A-Za-z0-9_-]*", body[:-1]):
        raise InvalidArgumentError(f"{ctx.where}: Base64 string length cannot be 1 modulo 4.")
    if not re.fullmatch(rb"[A-Za-z0-9_-]*", body):
        raise InvalidArgumentError(f"{ctx.where}: Invalid character found in base64.")
    padded = body.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(body) % 4)
    return binascii.a2b_base64(padded)


@register_op("AsString", inputs=["input: T"], outputs=["output: string"],
             attrs=[("T: type {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, "
                     "half, uint32, uint64, complex64, complex128, bool, variant, string}"),
                    "precision: int = -1", "scientific: bool = false", "shortest: bool = false",
                    "width: int = -1", "fill: string = ''"])
def _as_string(ctx: KernelContext, input: Any, *, T: Any, precision: int, scientific: bool,
               shortest: bool, width: int, fill: str) -> tuple:
    array = np.asarray(input)
    floating = array.dtype.kind in "fc" or array.dtype.name == "bfloat16"
    if not floating and array.dtype != object:
        if scientific or shortest:
            raise InvalidArgumentError(f"{ctx.where}: scientific and shortest format not supported "
                                       f"for datatype {_tf_name(T)}")
        if precision > -1:
            raise InvalidArgumentError(f"{ctx.where}: precision not supported for datatype "
                                       f"{_tf_name(T)}")
    if len(fill) > 1:
        raise InvalidArgumentError(f"{ctx.where}: Fill string must be one or fewer characters")
    if scientific and shortest:
        raise InvalidArgumentError(f"{ctx.where}: Cannot select both scientific and shortest "
                                   "notation")
    if fill not in ("", " ", "+", "-", "0", "#"):
        raise InvalidArgumentError(f'{ctx.where}: Fill argument not supported: "{fill}"')
    spec = "%" + (f"{fill}{width}" if width > -1 else "")
    if array.dtype == object:
        return (_map_strings(lambda s: (spec + "s").encode() % s, array),)
    if array.dtype == np.bool_:
        return (_obj([b"true" if v else b"false" for v in array.reshape(-1).tolist()], array.shape),)
    if not floating:  # unsigned types print with %u, which ignores the sign flags
        spec = spec.replace("+", "").replace("% ", "%") if array.dtype.kind == "u" else spec
        return (_obj([((spec + "d") % v).encode() for v in array.reshape(-1).tolist()], array.shape),)
    spec += (f".{precision}" if precision > -1 else "") + ("g" if shortest else "e" if scientific
                                                            else "f")
    plain = spec.replace("%0", "%", 1)  # C ignores the 0 flag for inf and nan

    def fmt(v: float) -> str:
        if math.isfinite(v):
            return spec % v
        text = plain % (v if not math.isnan(v) else math.copysign(math.inf, v))
        return text.replace("inf", "nan") if math.isnan(v) else text

    if array.dtype.kind == "c":
        values = [f"({fmt(v.real)},{fmt(v.imag)})" for v in array.reshape(-1).tolist()]
    else:
        values = [fmt(v) for v in array.astype(np.float64).reshape(-1).tolist()]
    return (_obj([v.encode() for v in values], array.shape),)


@register_op("DecodeBase64", inputs=["input: string"], outputs=["output: string"], attrs=[])
def _decode_base64(ctx: KernelContext, input: Any) -> tuple:
    return (_map_strings(lambda s: _base64_decode(ctx, s), input),)


@register_op("EncodeBase64", inputs=["input: string"], outputs=["output: string"],
             attrs=["pad: bool = false"])
def _encode_base64(ctx: KernelContext, input: Any, *, pad: bool) -> tuple:
    encode = base64.urlsafe_b64encode
    if pad:
        return (_map_strings(encode, input),)
    return (_map_strings(lambda s: encode(s).rstrip(b"="), input),)


def _attr_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


@register_op("ReduceJoin", inputs=["inputs: string", "reduction_indices: int32"],
             outputs=["output: string"], attrs=["keep_dims: bool = false", "separator: string = ''"])
def _reduce_join(ctx: KernelContext, inputs: Any, reduction_indices: Any, *, keep_dims: bool,
                 separator: str) -> tuple:
    array = np.asarray(inputs, dtype=object)
    axes: list[int] = []
    for axis in np.asarray(reduction_indices).reshape(-1).tolist():
        real = axis + array.ndim if axis < 0 else axis
        if not 0 <= real < array.ndim:
            raise OutOfRangeError(f"{ctx.where}: Invalid reduction dimension {axis} for input with "
                                  f"{array.ndim} dimension(s)")
        if real in axes:
            raise InvalidArgumentError(f"{ctx.where}: Duplicate reduction dimension {axis}")
        axes.append(real)
    kept = [d for d in range(array.ndim) if d not in axes]
    kept_shape = [array.shape[d] for d in kept]
    reduced = int(np.prod([array.shape[d] for d in axes], dtype=np.int64))
    # The first listed axis varies fastest in the joined sequence.
    rows = array.transpose(kept + axes[::-1]).reshape(int(np.prod(kept_shape, dtype=np.int64)),
                                                        reduced)
    sep = _attr_bytes(separator)
    joined = [sep.join(row) for row in rows.tolist()]
    shape = [1 if d in axes else n for d, n in enumerate(array.shape)] if keep_dims else kept_shape
    return (_obj(joined, shape),)


@register_op("RegexFullMatch", inputs=["input: string", "pattern: string"], outputs=["output: bool"])
def _regex_full_match(ctx: KernelContext, input: Any, pattern: Any) -> tuple:
    return _full_match(ctx, input, _scalar_string(ctx, pattern, "Pattern"))


@register_op("RegexReplace", inputs=["input: string", "pattern: string", "rewrite: string"],
             outputs=["output: string"], attrs=["replace_global: bool = true"])
def _regex_replace_op(ctx: KernelContext, input: Any, pattern: Any, rewrite: Any, *,
                      replace_global: bool) -> tuple:
    pattern_text = _scalar_string(ctx, pattern, "Pattern")
    return _regex_replace(ctx, input, pattern_text, _scalar_string(ctx, rewrite, "Rewrite"),
                          replace_global)


@register_op("StaticRegexFullMatch", inputs=["input: string"], outputs=["output: bool"],
             attrs=["pattern: string"])
def _static_regex_full_match(ctx: KernelContext, input: Any, *, pattern: str) -> tuple:
    return _full_match(ctx, input, _attr_bytes(pattern))


@register_op("StaticRegexReplace", inputs=["input: string"], outputs=["output: string"],
             attrs=["pattern: string", "rewrite: string", "replace_global: bool = true"])
def _static_regex_replace(ctx: KernelContext, input: Any, *, pattern: str, rewrite: str,
                          replace_global: bool) -> tuple:
    return _regex_replace(ctx, input, _attr_bytes(pattern), _attr_bytes(rewrite), replace_global)


@register_op("StringFormat", inputs=["inputs: T"], outputs=["output: string"],
             attrs=["T: list(type) >= 0", "template: string = '%s'", "placeholder: string = '%s'",
                    "summarize: int = 3"])
def _string_format(ctx: KernelContext, inputs: list, *, template: str, placeholder: str,
                   summarize: int, **_: Any) -> tuple:
    if not placeholder:
        raise InvalidArgumentError(f"{ctx.where}: placeholder must not be empty.")
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise InvalidArgumentError(f"{ctx.where}: num placeholders in template and num inputs must "
                                   f"match: {len(pieces) - 1} vs. {len(inputs)}")
    out = [pieces[0]]
    for piece, value in zip(pieces[1:], inputs):
        out += [_summarize(np.asarray(value), summarize), piece]
    return (_obj([_to_bytes("".join(out))], ()),)


@register_op("StringJoin", inputs=["inputs: N * string"], outputs=["output: string"],
             attrs=["N: int >= 0", "separator: string = ''"])
def _string_join(ctx: KernelContext, inputs: list, *, separator: str, **_: Any) -> tuple:
    arrays = [np.asarray(x, dtype=object) for x in inputs]
    shape: tuple[int, ...] | None = None
    for array in arrays:
        if array.ndim and shape is None:
            shape = array.shape
        elif array.ndim and array.shape != shape:
            raise InvalidArgumentError(f"{ctx.where}: Input shapes do not match: "
                                       f"{_shape_str(shape or ())} vs. {_shape_str(array.shape)}")
    shape = shape or ()
    columns = [np.broadcast_to(a, shape).reshape(-1).tolist() for a in arrays]
    sep = _attr_bytes(separator)
    size = int(np.prod(shape, dtype=np.int64))
    return (_obj([sep.join(row) for row in zip(*columns)] if columns else [b""] * size, shape),)


@register_op("StringLength", inputs=["input: string"], outputs=["output: int32"],
             attrs=["unit: string {'BYTE', 'UTF8_CHAR'} = 'BYTE'"])
def _string_length(ctx: KernelContext, input: Any, *, unit: str) -> tuple:
    array = np.asarray(input)
    values = _flat(array)
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    if unit == "UTF8_CHAR" and values:
        data = np.frombuffer(b"".join(values), dtype=np.uint8)
        counted = np.concatenate([[0], np.cumsum((data & 0xC0) != 0x80)])
        ends = np.cumsum(lengths)
        lengths = counted[ends] - counted[ends - lengths]
    return (lengths.astype(np.int32).reshape(array.shape),)


def _check_splits(ctx: KernelContext, splits: list[int], size: int) -> None:
    if not splits:
        return
    if splits[0] != 0:
        raise InvalidArgumentError(f"{ctx.where}: First split value must be 0, got {splits[0]}")
    for prev, cur in itertools.pairwise(splits):
        if not prev <= cur <= size:
            raise InvalidArgumentError(f"{ctx.where}: Invalid split value {cur}, must be in "
                                       f"[{prev}, {size}]")
    if splits[-1] != size:
        raise InvalidArgumentError(f"{ctx.where}: Last split value must be data size. Expected "
                                   f"{size}, got {splits[-1]}")


def _ngrams(tokens: list[bytes], width: int, pad: int, count: int, sep: bytes, left: bytes,
            right: bytes) -> list[bytes]:
    """StringNGramsOp::CreateNgrams for one row and one width."""
    out = []
    for index in range(count):
        n_left = max(0, pad - index)
        n_right = max(0, pad - (count - index - 1))
        start = 0 if n_left else index - pad
        middle = tokens[start:start + width - n_left - n_right]
        out.append(sep.join([left] * n_left + middle + [right] * n_right))
    return out


@register_op("StringNGrams", inputs=["data: string", "data_splits: Tsplits"],
             outputs=["ngrams: string", "ngrams_splits: Tsplits"],
             attrs=["separator: string", "ngram_widths: list(int) >= 0", "left_pad: string",
                    "right_pad: string", "pad_width: int", "preserve_short_sequences: bool",
                    _SPLITS])
def _string_ngrams(ctx: KernelContext, data: Any, data_splits: Any, *, separator: str,
                   ngram_widths: list[int], left_pad: str, right_pad: str, pad_width: int,
                   preserve_short_sequences: bool, Tsplits: Any) -> tuple:
    if any(width <= 0 for width in ngram_widths):
        raise InvalidArgumentError(f"{ctx.where}: ngram_widths must contain positive values")
    tokens = _flat(data)
    splits = np.asarray(data_splits).reshape(-1).tolist()
    _check_splits(ctx, splits, len(tokens))
    if not tokens or not splits:
        shape = np.asarray(data).shape
        return _obj([b""] * len(tokens), shape), np.zeros(len(splits), Tsplits.numpy)
    sep, left, right = _attr_bytes(separator), _attr_bytes(left_pad), _attr_bytes(right_pad)
    out: list[bytes] = []
    out_splits = [0]
    for start, end in itertools.pairwise(splits):
        row = tokens[start:end]
        before = len(out)
        for width in ngram_widths:
            pad = min(pad_width if pad_width >= 0 else width - 1, width - 1)
            count = max(0, len(row) + 2 * pad - width + 1)
            out += _ngrams(row, width, pad, count, sep, left, right)
        if preserve_short_sequences and len(out) == before and row:
            if pad_width < 0:
                raise InvalidArgumentError(
                    f"{ctx.where}: Pad width should be >= 0 when preserve_short_sequences is True "
                    f"and ngram_widths are not provided, got {pad_width}")
            out += _ngrams(row, len(row) + 2 * pad_width, pad_width, 1, sep, left, right)
        out_splits.append(len(out))
    return _obj(out, (len(out),)), np.asarray(out_splits, dtype=Tsplits.numpy)


def _sparse_rows(rows: list[list[bytes]]) -> tuple:
    """(indices, values, dense_shape) of a [len(rows), max row length] SparseTensor."""
    counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    row_ids = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(rows) else counts
    cols = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    values = [token for row in rows for token in row]
    shape = np.asarray([len(rows), int(counts.max()) if len(rows) else 0], dtype=np.int64)
    return np.stack([row_ids, cols], axis=1).reshape(-1, 2), _obj(values, (len(values),)), shape


def _split_inputs(ctx: KernelContext, input: Any, sep: Any, what: str) -> tuple[list, bytes]:
    array = np.asarray(input)
    if array.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: input must be a vector, got shape: "
                                   f"{_shape_str(array.shape)}")
    sep_array = np.asarray(sep)
    if sep_array.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: {what} must be a scalar, got shape: "
                                   f"{_shape_str(sep_array.shape)}")
    return _flat(array), _flat(sep_array)[0]


@register_op("StringSplit", inputs=["input: string", "delimiter: string"],
             outputs=["indices: int64", "values: string", "shape: int64"],
             attrs=["skip_empty: bool = true"])
def _string_split(ctx: KernelContext, input: Any, delimiter: Any, *, skip_empty: bool) -> tuple:
    strings, delim = _split_inputs(ctx, input, delimiter, "delimiter")
    if delim:
        splitter = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in set(delim)) + b"]")
        rows = [splitter.split(s) if s else [] for s in strings]
    else:
        rows = [[bytes([c]) for c in s] for s in strings]
    if skip_empty:
        rows = [[t for t in row if t] for row in rows]
    return _sparse_rows(rows)


_NON_SPACE = re.compile(rb"[^ \t\n\v\f\r]+")


def _split_whitespace(text: bytes, maxsplit: int) -> list[bytes]:
    """SplitV2 on whitespace runs with a split limit: the rest (maybe empty) is the last token."""
    if maxsplit == 0:
        return [text]
    tokens: list[bytes] = []
    text = text.lstrip(_WHITESPACE)
    while text:
        token = _NON_SPACE.match(text).group(0)  # type: ignore[union-attr]
        tokens.append(token)
        text = text[len(token):].lstrip(_WHITESPACE)
        if len(tokens) == maxsplit:
            tokens.append(text)
            break
    return tokens


@register_op("StringSplitV2", inputs=["input: string", "sep: string"],
             outputs=["indices: int64", "values: string", "shape: int64"],
             attrs=["maxsplit: int = -1"])
def _string_split_v2(ctx: KernelContext, input: Any, sep: Any, *, maxsplit: int) -> tuple:
    strings, separator = _split_inputs(ctx, input, sep, "sep")
    if separator or maxsplit < 0:
        return _sparse_rows([s.split(separator or None, maxsplit) for s in strings])
    return _sparse_rows([_split_whitespace(s, maxsplit) for s in strings])


@register_op("StringStrip", inputs=["input: string"], outputs=["output: string"])
def _string_strip(ctx: KernelContext, input: Any) -> tuple:
    return (_map_strings(lambda s: s.strip(_WHITESPACE), input),)


@register_op("StringToHashBucket", inputs=["string_tensor: string"], outputs=["output: int64"],
             attrs=["num_buckets: int >= 1"])
def _string_to_hash_bucket(ctx: KernelContext, string_tensor: Any, *, num_buckets: int) -> tuple:
    array = np.asarray(string_tensor)
    return (_buckets([hash64(s) for s in _flat(array)], num_buckets, array.shape),)


@register_op("StringToHashBucketFast", inputs=["input: string"], outputs=["output: int64"],
             attrs=["num_buckets: int >= 1"])
def _string_to_hash_bucket_fast(ctx: KernelContext, input: Any, *, num_buckets: int) -> tuple:
    array = np.asarray(input)
    fingerprint = farmhash.Fingerprint64
    return (_buckets([fingerprint(s) for s in _flat(array)], num_buckets, array.shape),)


@register_op("StringToHashBucketStrong", inputs=["input: string"], outputs=["output: int64"],
             attrs=["num_buckets: int >= 1", "key: list(int)"])
def _string_to_hash_bucket_strong(ctx: KernelContext, input: Any, *, num_buckets: int,
                                  key: list[int]) -> tuple:
    if len(key) != 2:
        raise InvalidArgumentError(f"{ctx.where}: Key must have 2 elements")
    k0, k1 = key[0] & _MASK64, key[1] & _MASK64
    array = np.asarray(input)
    return (_buckets([siphash24(k0, k1, s) for s in _flat(array)], num_buckets, array.shape),)


@register_op("StringToNumber", inputs=["string_tensor: string"], outputs=["output: out_type"],
             attrs=["out_type: type {float, double, int32, int64, uint32, uint64} = DT_FLOAT"])
def _string_to_number(ctx: KernelContext, string_tensor: Any, *, out_type: Any) -> tuple:
    array = np.asarray(string_tensor)
    values = [_parse_number(ctx, s, out_type) for s in _flat(array)]
    return (np.asarray(values, dtype=out_type.numpy).reshape(array.shape),)


def _is_trail(data: bytes, index: int) -> bool:
    return index < len(data) and 0x80 <= data[index] < 0xC0


def _utf8_forward(data: bytes, count: int, pos: int) -> tuple[bool, int]:
    """ForwardNUTF8CharPositions: move ``count`` characters right from byte ``pos``."""
    moved = 0
    while moved < count and pos < len(data):
        pos += 1
        while _is_trail(data, pos):
            pos += 1
        moved += 1
    return moved == count, pos


def _utf8_back(data: bytes, count: int, pos: int) -> tuple[bool, int]:
    """BackNUTF8CharPositions: move ``count`` characters left from byte ``pos``."""
    moved = 0
    while moved < count and pos > 0:
        pos -= 1
        while _is_trail(data, pos) and pos > 0:
            pos -= 1
        moved += 1
    return moved == count, pos


def _utf8_span(data: bytes, pos: int, length: int) -> tuple[int, int] | None:
    """Byte (start, length) of a character-unit substring, or None when ``pos`` is out of range."""
    if pos >= 0:
        ok, start = _utf8_forward(data, pos, 0)
        if not ok:
            return None
        return start, _utf8_forward(data, length, start)[1] - start
    skip = max(0, -pos - length)
    ok, end = _utf8_back(data, skip, len(data))
    if not ok:
        return None
    ok, start = _utf8_back(data, -pos - skip, end)
    return (start, end - start) if ok else None


def _substr_one(ctx: KernelContext, data: bytes, pos: int, length: int, utf8: bool,
                index: int) -> bytes:
    if utf8:
        span = _utf8_span(data, pos, length)
        if span is None:
            raise InvalidArgumentError(f"{ctx.where}: pos {pos} out of range for string at index "
                                       f"{index}")
        start, length = span
    else:
        start = pos + len(data) if pos < 0 else pos
        if not 0 <= start <= len(data):
            raise InvalidArgumentError(
                f"{ctx.where}: pos {pos} out of range for string "
                f"b'{_c_escape(data, hex_escape=True).decode('latin-1')}' at index {index}")
    return data[start:] if length < 0 else data[start:start + length]


@register_op("Substr", inputs=["input: string", "pos: T", "len: T"], outputs=["output: string"],
             attrs=["T: type {int32, int64}", "unit: string {'BYTE', 'UTF8_CHAR'} = 'BYTE'"])
def _substr(ctx: KernelContext, input: Any, pos: Any, len: Any, *, unit: str, **_: Any) -> tuple:
    strings, positions, lengths = np.asarray(input), np.asarray(pos), np.asarray(len)
    if positions.shape != lengths.shape:
        raise InvalidArgumentError(f"{ctx.where}: pos and len should have the same shape, got: "
                                   f"{_shape_str(positions.shape)} vs. {_shape_str(lengths.shape)}")
    try:
        shape = np.broadcast_shapes(strings.shape, positions.shape)
    except ValueError:
        raise InvalidArgumentError(f"{ctx.where}: Incompatible shapes: {_shape_str(strings.shape)} "
                                   f"vs. {_shape_str(positions.shape)}") from None
    columns = [np.broadcast_to(a, shape).reshape(-1).tolist() for a in (strings, positions, lengths)]
    utf8 = unit == "UTF8_CHAR"
    out = [_substr_one(ctx, s, p, n, utf8, i) for i, (s, p, n) in enumerate(zip(*columns))]
    return (_obj(out, shape),)
