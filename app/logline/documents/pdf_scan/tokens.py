"""The content-stream tokenizer: one regular expression, whose first alternative swallows a whole
Final Draft glyph block (``q … cm BT … Tm … Tf (x) Tj ET Q``) in a single match, and the decoding
of string and number operands."""

from __future__ import annotations

import math
import re
from typing import Any

_NUMS = rb"[-+.\d][-+.\d\s]*"  # a run of numbers; validated when parsed
_NUM = rb"[-+]?(?:\d+\.?\d*|\.\d+)"
# a literal string with one level of nested parentheses (deeper: see scan_literal)
_STR = rb"\([^()\\]*(?:(?:\\.|\([^()\\]*(?:\\.[^()\\]*)*\))[^()\\]*)*\)"
_HEX = rb"<[0-9A-Fa-f\s]*>"
_NAME = rb"/[^\s/\[\]()<>{}%]*"
# One whole "[q [a b c d e f cm]] BT a b c d e f Tm [/F s Tf] (..) Tj ET [Q]" glyph block.
_FAST = (
    rb"(?P<fast>(?:(?P<fq>q)\s+(?:(?P<fcm>"
    + _NUMS
    + rb")cm\s+)?)?BT\s+(?P<ftm>"
    + _NUMS
    + rb")Tm\s+(?:(?P<ffont>"
    + _NAME
    + rb")\s+(?P<fsize>[-+.\d]+)\s+Tf\s+)?(?P<fstr>"
    + _STR
    + rb"|"
    + _HEX
    + rb")\s*Tj\s+ET(?P<fQ>\s+Q)?)(?![^\s/\[\]()<>{}%])"
)
TOKEN = re.compile(
    _FAST
    + rb"|(?P<str>"
    + _STR
    + rb")"
    + rb"|(?P<lpar>\()"
    + rb"|(?P<hex>"
    + _HEX
    + rb")"
    + rb"|(?P<dict><<|>>)"
    + rb"|(?P<lt><)"
    + rb"|(?P<open>\[)|(?P<close>\])"
    + rb"|(?P<name>"
    + _NAME
    + rb")"
    + rb"|(?P<num>"
    + _NUM
    + rb")"
    + rb"|(?P<op>[A-Za-z'\"][A-Za-z0-9*'\"]*)"
    + rb"|(?P<comment>%[^\r\n]*)",
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|(.))", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
EI = re.compile(rb"[\s\x00]EI(?=[\s\x00]|$)")


def _unescape(body: bytes) -> bytes:
    """The bytes of a literal string's body (between the outer parentheses)."""
    if b"\\" not in body:
        return body

    def replace(match: re.Match[bytes]) -> bytes:
        octal, newline, char = match.groups()
        if octal is not None:
            return bytes((int(octal, 8) & 0xFF,))
        if newline is not None:
            return b""
        return _ESCAPES.get(char, char)

    return _ESCAPE.sub(replace, body)


def _hex_bytes(token: bytes) -> bytes:
    digits = bytes(c for c in token[1:-1] if c not in b" \t\r\n\x0c\x00")
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def string_operand(token: bytes) -> bytes:
    """The bytes of a string token as written: ``(literal)`` or ``<hex>``."""
    return _hex_bytes(token) if token[:1] == b"<" else _unescape(token[1:-1])


def scan_literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A literal string with arbitrarily nested parentheses from ``start`` ("("): (body, end)."""
    depth, i, n = 0, start, len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return _unescape(data[start + 1 : i]), i + 1
        i += 1
    return _unescape(data[start + 1 :]), n


def number_or(value: Any, default: float) -> float:
    """A parsed number operand, or ``default`` when it is not a finite number."""
    return value if isinstance(value, float) and math.isfinite(value) else default


def parse_float_or(value: bytes, default: float) -> float:
    """The number written in ``value``, or ``default`` when it is not a finite number."""
    try:
        result = float(value)
    except ValueError:
        return default
    return result if math.isfinite(result) else default
