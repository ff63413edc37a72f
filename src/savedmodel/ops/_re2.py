"""RE2 -> Python ``re`` translation, and the regex helpers of the Regex* ops.

TensorFlow uses RE2. Patterns are translated to Python ``re`` with RE2's meaning (``$`` is end of
text, ``\\w``/``\\d``/``\\s``/``\\b`` are ASCII, ``\\pL``-style Unicode general categories,
``[[:alpha:]]``, ``\\Q..\\E``, ``(?i)`` mid-pattern, ``(?U)``, and RE2's global-replace rule for empty
matches); what RE2 rejects (backreferences, lookaround, possessive repetition) is rejected with
RE2's message. Unicode script classes (``\\p{Greek}``) need the optional ``regex`` package (used
only as a Unicode database); ``\\C`` is refused with an UnimplementedError. Known differences: what
a repeated group that can match empty captures (``(a*)*``), and ``\\B`` inside multi-byte characters
(RE2 tests it between bytes). Python's engine backtracks where RE2 is linear-time, so pathological
patterns may be slow.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.ops._string_common import _map_strings, _to_bytes, _to_str
from savedmodel.ops.context import KernelContext

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

