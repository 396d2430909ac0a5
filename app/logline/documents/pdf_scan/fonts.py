"""Fonts: a PDF font's string operands decoded to Unicode and measured, through pypdf's font
model (encodings, ToUnicode maps, widths); Latin-1 at a fixed width when a font is unusable."""

from __future__ import annotations

import re
from typing import Any

from .tokens import string_operand

DEFAULT_GLYPH_WIDTH = 500.0  # 1/1000 em, for a font that states no usable default width
MAX_DEFAULT_WIDTH = 3000  # 1/1000 em: a larger stated default width is garbage
MAX_GLYPH_WIDTH = 5000  # 1/1000 em: a larger (or negative) glyph width counts as the default
FALLBACK_GLYPH_WIDTH = 600.0  # 1/1000 em: every glyph of the fallback font (Courier's width)
DECODE_CACHE_SIZE = 20_000  # decoded strings (and string tokens) kept per font


class FontInfo:
    """Decodes string operands of one font to Unicode and measures them (in 1/1000 text units)."""

    def __init__(self, font_dict: Any) -> None:
        # pypdf is imported lazily on purpose: the window must appear fast, and only a PDF needs
        # it. Its font model (encoding, ToUnicode, widths) has no public import path (7.x); if
        # it moves, the scanner falls back to Latin-1 at 600/1000 widths for every font.
        from pypdf.generic._font import Font

        font = Font.from_font_resource(font_dict)
        self.encoding: str | dict[int, str] = font.encoding
        self.character_map: dict[Any, Any] = font.character_map
        self.widths: dict[str, float] = font.character_widths
        default = self.widths.get("default", DEFAULT_GLYPH_WIDTH)
        self.default_width = (
            float(default) if isinstance(default, (int, float)) else DEFAULT_GLYPH_WIDTH
        )
        if not 0 < self.default_width < MAX_DEFAULT_WIDTH:
            self.default_width = DEFAULT_GLYPH_WIDTH
        self.single_byte = not isinstance(font.encoding, str) or font.encoding == "charmap"
        self._cache: dict[bytes, tuple[str, float, int]] = {}
        self.tokens: dict[bytes, tuple[str, float, int, int]] = {}

    def decode_token(self, token: bytes) -> tuple[str, float, int, int]:
        """:meth:`decode` of a string token as written ("(..)" or "<..>"), plus its code count."""
        raw = string_operand(token)
        text, width, spaces = self.decode(raw)
        result = (text, width, spaces, len(raw) if self.single_byte else len(text))
        if len(self.tokens) < DECODE_CACHE_SIZE:
            self.tokens[token] = result
        return result

    def decode(self, raw: bytes) -> tuple[str, float, int]:
        """(unicode text, summed glyph width in 1/1000 units, count of single-byte spaces)."""
        found = self._cache.get(raw)
        if found is not None:
            return found
        encoding = self.encoding
        if isinstance(encoding, str):
            try:
                inter = raw.decode(encoding, "surrogatepass")
            except (UnicodeDecodeError, LookupError):
                try:
                    inter = raw.decode(encoding, "replace")
                except LookupError:
                    inter = raw.decode("latin-1")
            width_chars = inter
        else:
            inter = "".join(encoding.get(b, chr(b)) for b in raw)
            width_chars = raw.decode("latin-1")
        cmap = self.character_map
        text = "".join(_as_text(cmap.get(ch, ch)) for ch in inter) if cmap else inter
        widths, default = self.widths, self.default_width
        width = 0.0
        for ch in width_chars:
            w = widths.get(ch, default)
            width += w if isinstance(w, (int, float)) and 0 <= w < MAX_GLYPH_WIDTH else default
        spaces = raw.count(32) if self.single_byte else 0
        result = (_clean(text), width, spaces)
        if len(self._cache) < DECODE_CACHE_SIZE:
            self._cache[raw] = result
        return result


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd\ue000-\uf8ff]")


def _clean(text: str) -> str:
    """Drop control and private-use characters; map tabs/newlines/nbsp to spaces."""
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("\xa0", " ")
    return _CONTROL.sub("", text)


class FallbackFont(FontInfo):
    """Latin-1 bytes at 600/1000 width: for a Tf naming no usable font."""

    def __init__(self) -> None:  # no pypdf font behind it
        self.encoding = {}
        self.character_map = {}
        self.widths = {}
        self.default_width = FALLBACK_GLYPH_WIDTH
        self.single_byte = True
        self._cache = {}
        self.tokens = {}
