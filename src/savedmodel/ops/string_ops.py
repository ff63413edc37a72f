"""String ops: joins, splits, regexes, case, substrings, numbers <-> text, hashing, base64, Unicode.

Mirrors ``tensorflow/core/ops/string_ops.cc`` and the kernels in
``tensorflow/core/kernels/*string*``, ``regex_*_op.cc``, ``unicode_ops.cc``, ``base64_ops.cc``.
Strings are object arrays of ``bytes``.

Regular expressions: TensorFlow uses RE2. Patterns are translated to Python ``re`` with RE2's
meaning (``$`` is end of text, ``\\w``/``\\d``/``\\s``/``\\b`` are ASCII, ``\\pL``-style Unicode
general categories, ``[[:alpha:]]``, ``\\Q..\\E``, ``(?i)`` mid-pattern, ``(?U)``, and RE2's
global-replace rule for empty matches); what RE2 rejects (backreferences, lookaround, possessive
repetition) is rejected with RE2's message. Unicode script classes (``\\p{Greek}``) need the
optional ``regex`` package (used only as a Unicode database); ``\\C`` is refused with an
UnimplementedError. Known differences: what a repeated group that can match empty captures
(``(a*)*``), and ``\\B`` inside multi-byte characters (RE2 tests it between bytes). Python's engine
backtracks where RE2 is linear-time, so pathological patterns may be slow. ``UnicodeScript`` (needs
ICU's script data) is not registered.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import itertools
import math
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import farmhash
import numpy as np

from savedmodel.errors import InvalidArgumentError, OutOfRangeError, UnimplementedError
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op

_SPLITS = "Tsplits: type {int32, int64} = DT_INT64"
_MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------------------------------
# Helpers shared by the kernels.

def _obj(values: Sequence[Any], shape: Sequence[int]) -> np.ndarray:
    """An object array of ``shape`` holding ``values`` (bytes) in row-major order."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(tuple(shape))


def _flat(array: Any) -> list:
    """The elements of a string tensor as a flat list of bytes."""
    return [v if isinstance(v, bytes) else str(v).encode() for v in np.asarray(array).reshape(-1)]


def _scalar_string(ctx: KernelContext, value: Any, what: str) -> bytes:
    array = np.asarray(value)
    if array.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: {what} must be scalar, but received "
                                   f"{_shape_str(array.shape)}")
    return _flat(array)[0]


def _shape_str(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _map_strings(fn: Callable[[bytes], Any], array: Any, dtype: Any = object) -> np.ndarray:
    array = np.asarray(array)
    values = [fn(v) for v in _flat(array)]
    if dtype is object:
        return _obj(values, array.shape)
    return np.asarray(values, dtype=dtype).reshape(array.shape)


def _to_str(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _to_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


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
# RE2 -> Python ``re`` translation.

_ASCII_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_PERL_CLASSES = {"d": [(0x30, 0x39)], "w": _ASCII_WORD,
                 "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]}
_POSIX_CLASSES = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0, 0x7F)], "blank": [(0x09, 0x09), (0x20, 0x20)], "cntrl": [(0, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)], "graph": [(0x21, 0x7E)], "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)], "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)], "upper": [(0x41, 0x5A)], "word": _ASCII_WORD,
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_CONTROL_ESCAPES = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_MAX_CODE = 0x10FFFF
# Invalid UTF-8 bytes decode (surrogateescape) to U+DC80..U+DCFF; RE2's "." never matches them.
_INVALID_BYTES = (0xDC80, 0xDCFF)
_WORD_CLASS = "[0-9A-Za-z_]"
_WORD_BOUNDARY = (f"(?:(?<={_WORD_CLASS})(?!{_WORD_CLASS})|(?<!{_WORD_CLASS})(?={_WORD_CLASS}))")
_NOT_WORD_BOUNDARY = (f"(?:(?<={_WORD_CLASS})(?={_WORD_CLASS})|(?<!{_WORD_CLASS})(?!{_WORD_CLASS}))")


class _PatternError(Exception):
    """An RE2 parse error; the message is RE2's."""


class _Unsupported(Exception):
    """Valid RE2 that the translation cannot express in Python ``re``."""


@functools.cache
def _category_runs() -> dict[str, list[tuple[int, int]]]:
    """Every two-letter general category's code point ranges, from one pass over Unicode."""
    runs: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    start, current = 0, category(chr(0))
    for code in range(1, _MAX_CODE + 2):
        cat = category(chr(code)) if code <= _MAX_CODE else ""
        if cat != current:
            runs.setdefault(current, []).append((start, code - 1))
            start, current = code, cat
    return runs


@functools.cache
def _category_ranges(name: str) -> tuple[tuple[int, int], ...]:
    """Code point ranges of a Unicode general category (one or two letters) or ``Any``."""
    if name == "Any":
        return ((0, _MAX_CODE),)
    runs = _category_runs()
    names = ("Cc", "Cf", "Co", "Cs") if name == "C" else [c for c in runs if c.startswith(name)]
    return tuple(sorted(r for cat in names for r in runs.get(cat, [])))


@functools.cache
def _script_ranges(name: str) -> tuple[tuple[int, int], ...]:
    """Code point ranges of a Unicode script (``\\p{Greek}``), from the optional ``regex`` package."""
    try:
        import regex
    except ImportError:
        raise _Unsupported(f"Unicode script class \\p{{{name}}} needs the optional 'regex' package "
                           "(pip install regex); general categories such as L and N work without "
                           "it") from None
    try:
        runs = regex.compile(rf"\p{{Script={name}}}+")
    except regex.error:
        raise _PatternError(f"invalid character class range: \\p{{{name}}}") from None
    return tuple((m.start(), m.end() - 1) for m in runs.finditer(_all_code_points()))


@functools.cache
def _all_code_points() -> str:
    return "".join(map(chr, range(_MAX_CODE + 1)))


_CATEGORIES = frozenset([
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs", "Any"])


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for lo, hi in sorted(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= _MAX_CODE:
        out.append((start, _MAX_CODE))
    return out


def _class_text(ranges: list[tuple[int, int]], negate: bool) -> str:
    """A Python class for the code points in ``ranges`` (or outside them), never invalid bytes.

    A negated class stays negated (``[^...]``) so that ``(?i)`` folds case before negating.
    """
    if negate:
        ranges = ranges + [_INVALID_BYTES]
    else:
        ranges = _complement(_complement(ranges) + [_INVALID_BYTES])
        if not ranges:
            return "(?!)"
    parts = [f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in sorted(ranges)]
    return ("[^" if negate else "[") + "".join(parts) + "]"


class _Re2Translator:
    """One pass over an RE2 pattern, emitting an equivalent Python ``re`` pattern."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.pos = 0
        self.out: list[str] = []
        self.flags = {"i": False, "m": False, "s": False, "U": False}
        self.stack: list[dict[str, bool]] = []
        self.can_repeat = False

    def translate(self) -> str:
        while self.pos < len(self.src):
            self._step()
        if self.stack:
            raise _PatternError(f"missing ): {self.src}")
        return "".join(self.out)

    def _peek(self, n: int = 1) -> str:
        return self.src[self.pos:self.pos + n]

    def _emit_atom(self, text: str, fold: bool = True) -> None:
        self.out.append(f"(?i:{text})" if fold and self.flags["i"] else text)
        self.can_repeat = True

    def _step(self) -> None:
        char = self.src[self.pos]
        self.pos += 1
        if char == "\\":
            self._escape()
        elif char == "[":
            self._emit_atom(_class_text(*self._char_class()))
        elif char == "(":
            self._open_group()
        elif char == ")":
            self._close_group()
        elif char == "|":
            self.out.append("|")
            self.can_repeat = False
        elif char in "*+?{":
            self._repeat(char)
        elif char == ".":
            extra = [] if self.flags["s"] else [(0x0A, 0x0A)]
            self._emit_atom(_class_text(extra, True), fold=False)
        elif char == "^":
            self.out.append("(?m:^)" if self.flags["m"] else "\\A")
            self.can_repeat = True
        elif char == "$":
            self.out.append("(?m:$)" if self.flags["m"] else "\\Z")
            self.can_repeat = True
        else:
            self._emit_atom(re.escape(char))

    def _repeat(self, op: str) -> None:
        start = self.pos - 1
        if op == "{":
            match = re.match(r"(\d+)(,(\d*))?\}", self.src[self.pos:])
            if not match:
                self._emit_atom(re.escape("{"))
                return
            low, high = int(match.group(1)), match.group(3)
            text = self.src[start:self.pos + match.end()]
            if low > 1000 or (high and (int(high) > 1000 or int(high) < low)):
                raise _PatternError(f"invalid repetition size: {text}")
            self.pos += match.end()
        if not self.can_repeat:
            raise _PatternError(f"no argument for repetition operator: {self.src[start:self.pos]}")
        lazy = self._peek() == "?"
        self.pos += lazy
        if self._peek() and self._peek() in "*+?":
            raise _PatternError(f"bad repetition operator: {self.src[start:self.pos + 1]}")
        self.out.append(self.src[start:self.pos - lazy] + ("?" if lazy != self.flags["U"] else ""))
        self.can_repeat = False

    def _open_group(self) -> None:
        self.stack.append(dict(self.flags))
        self.can_repeat = False
        if self._peek() != "?":
            self.out.append("(")
            return
        rest = self.src[self.pos + 1:]
        named = re.match(r"P<([A-Za-z0-9_]+)>", rest)
        if named:
            self.out.append(f"(?P<{named.group(1)}>")
            self.pos += 1 + named.end()
            return
        flags = re.match(r"([imsU]*)(-[imsU]*)?([:)])", rest)
        if not flags or flags.group(0) in ("-:", "-)", ")"):
            raise _PatternError(f"invalid perl operator: {self.src[self.pos - 1:self.pos + 2]}")
        for letter in flags.group(1):
            self.flags[letter] = True
        for letter in (flags.group(2) or "-")[1:]:
            self.flags[letter] = False
        self.pos += 1 + flags.end()
        if flags.group(3) == ")":
            self.stack.pop()  # flags apply to the rest of the enclosing group
        else:
            self.out.append("(?:")

    def _close_group(self) -> None:
        if not self.stack:
            raise _PatternError(f"unexpected ): {self.src}")
        self.flags = self.stack.pop()
        self.out.append(")")
        self.can_repeat = True

    def _escape(self) -> None:
        if self.pos >= len(self.src):
            raise _PatternError("trailing \\")
        char = self.src[self.pos]
        if char in "AzbB":
            self.pos += 1
            anchors = {"A": "\\A", "z": "\\Z", "b": _WORD_BOUNDARY, "B": _NOT_WORD_BOUNDARY}
            self.out.append(anchors[char])
            self.can_repeat = True
        elif char == "Q":
            end = self.src.find("\\E", self.pos + 1)
            literal = self.src[self.pos + 1:] if end < 0 else self.src[self.pos + 1:end]
            self.pos = len(self.src) if end < 0 else end + 2
            for piece in literal:
                self._emit_atom(re.escape(piece))
        elif char == "C":
            raise _Unsupported("\\C (any byte) is not supported")
        else:
            ranges, negate = self._class_escape()
            self._emit_atom(_class_text(ranges, negate))

    def _class_escape(self) -> tuple[list[tuple[int, int]], bool]:
        """An escape that denotes a set of code points (after the backslash)."""
        char = self.src[self.pos]
        if char.lower() in _PERL_CLASSES:
            self.pos += 1
            return list(_PERL_CLASSES[char.lower()]), char.isupper()
        if char in "pP":
            return self._unicode_class()
        code = self._escaped_code()
        return [(code, code)], False

    def _unicode_class(self) -> tuple[list[tuple[int, int]], bool]:
        negate = self.src[self.pos] == "P"
        self.pos += 1
        if self._peek() == "{":
            end = self.src.find("}", self.pos)
            if end < 0:
                raise _PatternError(f"invalid character class range: {self.src[self.pos - 2:]}")
            name = self.src[self.pos + 1:end]
            self.pos = end + 1
        else:
            name = self._peek()
            self.pos += 1
        if name.startswith("^"):
            negate, name = not negate, name[1:]
        if name in _CATEGORIES:
            return list(_category_ranges(name)), negate
        return list(_script_ranges(name)), negate

    def _escaped_code(self) -> int:
        """The code point of a single-character escape (after the backslash)."""
        char = self.src[self.pos]
        self.pos += 1
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if char == "x":
            match = re.match(r"\{([0-9A-Fa-f]+)\}|[0-9A-Fa-f]{2}", self.src[self.pos:])
            if not match:
                raise _PatternError(f"invalid escape sequence: \\x{self.src[self.pos:self.pos + 2]}")
            self.pos += match.end()
            code = int(match.group(1) or match.group(0), 16)
            if code > _MAX_CODE:
                raise _PatternError(f"invalid escape sequence: \\x{match.group(0)}")
            return code
        if char in "01234567":
            if char != "0" and not ("0" <= self._peek() <= "7" and self._peek()):
                raise _PatternError(f"invalid escape sequence: \\{char}")
            digits = char
            while len(digits) < 3 and self._peek() and "0" <= self._peek() <= "7":
                digits += self.src[self.pos]
                self.pos += 1
            return int(digits, 8)
        if ord(char) < 0x80 and not char.isalnum():
            return ord(char)
        raise _PatternError(f"invalid escape sequence: \\{char}")

    def _char_class(self) -> tuple[list[tuple[int, int]], bool]:
        start = self.pos - 1
        negate = self._peek() == "^"
        self.pos += negate
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            if self.pos >= len(self.src):
                raise _PatternError(f"missing ]: {self.src[start:]}")
            char = self.src[self.pos]
            if char == "]" and not first:
                self.pos += 1
                return ranges, negate
            first = False
            if self.src.startswith("[:", self.pos):
                ranges.extend(self._posix_class())
                continue
            if char == "\\" and self.src[self.pos + 1:self.pos + 2].lower() in ("d", "w", "s", "p"):
                self.pos += 1
                items, item_negate = self._class_escape()
                ranges.extend(_complement(items) if item_negate else items)
                continue
            low = self._class_char()
            if self._peek() == "-" and self.src[self.pos + 1:self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self._class_char()
                if high < low:
                    raise _PatternError(f"invalid character class range: "
                                        f"{chr(low)}-{chr(high)}")
                ranges.append((low, high))
            else:
                ranges.append((low, low))

    def _posix_class(self) -> list[tuple[int, int]]:
        match = re.match(r"\[:(\^?)([a-z]+):\]", self.src[self.pos:])
        if not match or match.group(2) not in _POSIX_CLASSES:
            bad = self.src[self.pos:self.src.find(":]", self.pos) + 2]
            raise _PatternError(f"invalid character class range: {bad}")
        self.pos += match.end()
        ranges = list(_POSIX_CLASSES[match.group(2)])
        return _complement(ranges) if match.group(1) else ranges

    def _class_char(self) -> int:
        char = self.src[self.pos]
        self.pos += 1
        if char != "\\":
            return ord(char)
        if self.pos >= len(self.src):
            raise _PatternError("trailing \\")
        return self._escaped_code()


@functools.lru_cache(maxsize=512)
def _compile_re2(pattern: bytes) -> re.Pattern:
    """Compiles an RE2 pattern; raises _PatternError or _Unsupported."""
    text = _Re2Translator(_to_str(pattern)).translate()
    try:
        return re.compile(text)
    except re.error as err:  # a construct the translation let through but Python refuses
        raise _PatternError(str(err)) from None


def _regex(ctx: KernelContext, pattern: bytes) -> re.Pattern:
    try:
        return _compile_re2(pattern)
    except _PatternError as err:
        raise InvalidArgumentError(f"{ctx.where}: Invalid pattern: {_to_str(pattern)}, error: "
                                   f"{err}") from None
    except _Unsupported as err:
        raise UnimplementedError(f"{ctx.where}: regex {_to_str(pattern)!r}: {err}; savedmodel "
                                 "translates RE2 syntax to Python's re.") from None


def _parse_rewrite(rewrite: bytes) -> tuple[list[str | int], int]:
    """RE2 rewrite string -> (literal text and group numbers, highest group referenced).

    RE2 stops at an invalid escape (keeping what came before), and never writes \\<digit> groups
    beyond the pattern's; the caller checks the latter.
    """
    text = _to_str(rewrite)
    parts: list[str | int] = []
    i = 0
    while i < len(text):
        if text[i] != "\\":
            parts.append(text[i])
        elif i + 1 < len(text) and text[i + 1] in "0123456789":
            parts.append(int(text[i + 1]))
            i += 1
        elif i + 1 < len(text) and text[i + 1] == "\\":
            parts.append("\\")
            i += 1
        else:
            break
        i += 1
    highest, j = 0, 0
    while j < len(text):  # RE2::MaxSubmatch scans the whole rewrite
        if text[j] == "\\":
            j += 1
            if j < len(text) and text[j] in "0123456789":
                highest = max(highest, int(text[j]))
        j += 1
    return parts, highest


def _expand(parts: list[str | int], match: re.Match) -> str:
    return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)


def _replace(rx: re.Pattern, text: str, parts: list[str | int], global_: bool) -> str:
    """RE2::GlobalReplace / RE2::Replace: an empty match right after a match is skipped."""
    if not global_:
        match = rx.search(text)
        return text if match is None else text[:match.start()] + _expand(parts, match) + text[
            match.end():]
    out, pos, last_end, count = [], 0, -1, 0
    while pos <= len(text):
        match = rx.search(text, pos)
        if match is None:
            break
        out.append(text[pos:match.start()])
        if match.start() == last_end and match.end() == match.start():
            out.append(text[pos:pos + 1])
            pos += 1
            continue
        out.append(_expand(parts, match))
        pos = last_end = match.end()
        count += 1
    if count == 0:
        return text
    out.append(text[pos:])
    return "".join(out)


def _regex_replace(ctx: KernelContext, inputs: Any, pattern: bytes, rewrite: bytes,
                   replace_global: bool) -> tuple:
    rx = _regex(ctx, pattern)
    parts, highest = _parse_rewrite(rewrite)
    if highest > rx.groups:  # RE2 refuses the rewrite and leaves every string unchanged
        return (_map_strings(lambda s: s, inputs),)
    return (_map_strings(lambda s: _to_bytes(_replace(rx, _to_str(s), parts, replace_global)),
                         inputs),)


def _full_match(ctx: KernelContext, inputs: Any, pattern: bytes) -> tuple:
    rx = _regex(ctx, pattern)
    return (_map_strings(lambda s: rx.fullmatch(_to_str(s)) is not None, inputs, np.bool_),)


# --------------------------------------------------------------------------------------------------
# Hashes: FarmHash Fingerprint64 (StringToHashBucketFast), TF's MurmurHash64A variant
# (StringToHashBucket, ``tensorflow/core/lib/hash/hash.cc``) and SipHash-2-4 (...Strong).

_HASH64_M = 0xC6A4A7935BD1E995


def hash64(data: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TensorFlow's ``Hash64`` (MurmurHash64A with TF's tail handling)."""
    n = len(data)
    h = (seed ^ (n * _HASH64_M)) & _MASK64
    body = n - n % 8
    for (k,) in struct.iter_unpack("<Q", data[:body]):
        k = (k * _HASH64_M) & _MASK64
        k ^= k >> 47
        k = (k * _HASH64_M) & _MASK64
        h = ((h ^ k) * _HASH64_M) & _MASK64
    if n % 8:
        h ^= int.from_bytes(data[body:], "little")
        h = (h * _HASH64_M) & _MASK64
    h ^= h >> 47
    h = (h * _HASH64_M) & _MASK64
    return h ^ (h >> 47)


def hash64_combine(a: int, b: int) -> int:
    """TensorFlow's ``Hash64Combine``."""
    return (a ^ (b + 0x9E3779B97F4A7800 + (a << 10) + (a >> 4))) & _MASK64


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK64


def _sip_rounds(v: list[int], rounds: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 = (v0 + v1) & _MASK64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash24(k0: int, k1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` with the 128-bit key (k0, k1)."""
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]
    tail = len(data) % 8
    words = [w for (w,) in struct.iter_unpack("<Q", data[:len(data) - tail])]
    words.append(((len(data) & 0xFF) << 56) | int.from_bytes(data[len(data) - tail:], "little"))
    for m in words:
        v[3] ^= m
        _sip_rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _buckets(hashes: list[int], num_buckets: int, shape: Sequence[int]) -> np.ndarray:
    out = np.asarray(hashes, dtype=np.uint64) % np.uint64(num_buckets)
    return out.astype(np.int64).reshape(tuple(shape))


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
# Unicode: decoding with TF's error modes and byte offsets, encoding.

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
