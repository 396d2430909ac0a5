"""A fast scanner over decoded PDF content streams: positioned text runs, then lines.

pypdf's own content-stream tokenizer costs ~75 ms per Final Draft page (every glyph is its own
``q … cm BT … Tm … Tf (x) Tj ET Q`` block). This scanner reads the decoded bytes with one regular
expression whose first alternative swallows such a whole glyph block in a single match, and falls
back to plain tokens for everything else. pypdf is still used for what it does well: the xref, the
page tree, resources, and fonts (encodings, ToUnicode maps, widths).

Only the operators that move or show text are interpreted: ``q Q cm BT ET Tm Td TD T* TL Tf Tc Tw
Tz Ts Tj TJ ' " Do`` (form XObjects, recursively) and ``BI … ID … EI`` (skipped). Upright text only:
rotated text (diagonal watermarks, vertical margin notes) is dropped.

Limits raise :class:`ScanLimitError` (never a page-level fallback): a content stream above
``MAX_STREAM_BYTES`` decoded, forms nested deeper than ``MAX_FORM_DEPTH`` or drawing themselves,
more than ``MAX_RUNS_PER_PAGE`` text runs, or the caller's deadline passing.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .layout import PositionedLine

if TYPE_CHECKING:
    from pypdf import PageObject

logger = logging.getLogger(__name__)

MAX_STREAM_BYTES = 32 * 1024 * 1024
MAX_FORM_DEPTH = 12
MAX_RUNS_PER_PAGE = 400_000
_CHECK_EVERY = 2048  # tokens between deadline checks

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class ScanLimitError(Exception):
    """A structural limit or the deadline was hit; ``reason`` is "deadline", "size" or "depth"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(slots=True)
class TextRun:
    """Text shown by one string operand, in page space with y measured down from the top."""

    x: float
    y: float
    x_end: float
    size: float
    text: str


# --- the regular expression -------------------------------------------------------------------

_NUMS = rb"[-+.\d][-+.\d\s]*"  # a run of numbers; validated when parsed
_NUM = rb"[-+]?(?:\d+\.?\d*|\.\d+)"
# a literal string with one level of nested parentheses (deeper: see _scan_literal)
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
_TOKEN = re.compile(
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
_EI = re.compile(rb"[\s\x00]EI(?=[\s\x00]|$)")


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


def _string_operand(token: bytes) -> bytes:
    return _hex_bytes(token) if token[:1] == b"<" else _unescape(token[1:-1])


def _scan_literal(data: bytes, start: int) -> tuple[bytes, int]:
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


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """``m`` × ``n`` (PDF row-vector convention: apply ``m`` first, then ``n``)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


_matrix_cache: dict[bytes, Matrix | None] = {}


def _matrix(blob: bytes) -> Matrix | None:
    """Six numbers as a matrix (None when the blob is not exactly six finite numbers)."""
    try:
        return _matrix_cache[blob]
    except KeyError:
        pass
    found: Matrix | None = None
    parts = blob.split()
    if len(parts) == 6:
        try:
            values = [float(v) for v in parts]
        except ValueError:
            values = []
        if values and all(math.isfinite(v) for v in values):
            found = (values[0], values[1], values[2], values[3], values[4], values[5])
    if len(_matrix_cache) > 100_000:
        _matrix_cache.clear()
    _matrix_cache[blob] = found
    return found


# --- fonts -------------------------------------------------------------------------------------


class _FontInfo:
    """Decodes string operands of one font to Unicode and measures them (in 1/1000 text units)."""

    def __init__(self, font_dict: Any) -> None:
        # pypdf's font model (encoding, ToUnicode, widths) has no public import path (7.x);
        # if it moves, _font() falls back to Latin-1 at 600/1000 widths for every font.
        from pypdf.generic._font import Font

        font = Font.from_font_resource(font_dict)
        self.encoding: str | dict[int, str] = font.encoding
        self.character_map: dict[Any, Any] = font.character_map
        self.widths: dict[str, float] = font.character_widths
        default = self.widths.get("default", 500)
        self.default_width = float(default) if isinstance(default, (int, float)) else 500.0
        if not 0 < self.default_width < 3000:
            self.default_width = 500.0
        self.single_byte = not isinstance(font.encoding, str) or font.encoding == "charmap"
        self._cache: dict[bytes, tuple[str, float, int]] = {}
        self.tokens: dict[bytes, tuple[str, float, int, int]] = {}

    def decode_token(self, token: bytes) -> tuple[str, float, int, int]:
        """:meth:`decode` of a string token as written ("(..)" or "<..>"), plus its code count."""
        raw = _string_operand(token)
        text, width, spaces = self.decode(raw)
        result = (text, width, spaces, len(raw) if self.single_byte else len(text))
        if len(self.tokens) < 20_000:
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
            width += w if isinstance(w, (int, float)) and 0 <= w < 5000 else default
        spaces = raw.count(32) if self.single_byte else 0
        result = (_clean(text), width, spaces)
        if len(self._cache) < 20_000:
            self._cache[raw] = result
        return result


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd\ue000-\uf8ff]")


def _clean(text: str) -> str:
    """Drop control and private-use characters; map tabs/newlines/nbsp to spaces."""
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("\xa0", " ")
    return _CONTROL.sub("", text)


class _FallbackFont(_FontInfo):
    """Latin-1 bytes at 600/1000 width: for a Tf naming no usable font."""

    def __init__(self) -> None:  # no pypdf font behind it
        self.encoding = {}
        self.character_map = {}
        self.widths = {}
        self.default_width = 600.0
        self.single_byte = True
        self._cache = {}
        self.tokens = {}


# --- the interpreter ---------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """Graphics-state parts that matter for text (saved by q, restored by Q)."""

    ctm: Matrix = _IDENTITY
    font: _FontInfo | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0

    def copy(self) -> _State:
        return _State(
            self.ctm,
            self.font,
            self.size,
            self.char_spacing,
            self.word_spacing,
            self.scale,
            self.leading,
            self.rise,
        )


class PageScanner:
    """Scans the pages of one document, sharing its font cache; not thread-safe."""

    def __init__(self, *, deadline: float) -> None:
        self.deadline = deadline
        self._fonts: dict[Any, _FontInfo] = {}
        self._fallback_font = _FallbackFont()

    # public -----------------------------------------------------------------------------------

    def scan_page(self, page: PageObject) -> tuple[list[TextRun], float, float]:
        """The text runs of ``page`` and its (width, height) in points."""
        from pypdf.generic import ArrayObject, IndirectObject

        box = page.mediabox
        left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
        contents = page.get("/Contents")
        if contents is None:
            return [], right - left, top - bottom
        parts = contents.get_object() if isinstance(contents, IndirectObject) else contents
        if isinstance(parts, ArrayObject):
            if len(parts) > 10_000:
                raise ScanLimitError("size", "too many content streams on one page")
            streams = [part.get_object() for part in parts]
        else:
            streams = [parts]
        chunks: list[bytes] = []
        total = 0
        for stream in streams:
            data = stream.get_data()
            total += len(data)
            if total > MAX_STREAM_BYTES:
                raise ScanLimitError("size", "a page's content stream is too large")
            chunks.append(data)
        runs: list[TextRun] = []
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        self._interpret(b"\n".join(chunks), resources, _State(), runs, depth=0, forms=())
        # y down from the top of the media box; x from its left edge
        for run in runs:
            run.x -= left
            run.x_end -= left
            run.y = top - run.y
        return runs, right - left, top - bottom

    # internals --------------------------------------------------------------------------------

    def _check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise ScanLimitError("deadline", "reading the PDF took too long")

    def _font(self, resources: Any, name: bytes) -> _FontInfo:
        fonts = _sub_dict(resources, "/Font")
        if fonts is None:
            return self._fallback_font
        ref = fonts.get("/" + name.decode("latin-1"))
        if ref is None:
            return self._fallback_font
        cache_key: Any = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(ref)
        found = self._fonts.get(cache_key)
        if found is None:
            try:
                found = _FontInfo(ref.get_object())
            except Exception as exc:  # a broken font costs its text's accuracy, not the page
                logger.debug("Unusable font resource: %s", type(exc).__name__)
                found = self._fallback_font
            self._fonts[cache_key] = found
        return found

    def _interpret(  # one dispatch loop, kept flat for speed
        self,
        data: bytes,
        resources: Any,
        state: _State,
        runs: list[TextRun],
        *,
        depth: int,
        forms: tuple[Any, ...],
    ) -> None:
        stack: list[_State] = []
        operands: list[Any] = []
        arrays: list[list[Any]] = []
        tm: Matrix = _IDENTITY  # text matrix
        tlm: Matrix = _IDENTITY  # text line matrix
        counter = 0
        pos = 0
        n = len(data)
        finditer = _TOKEN.finditer
        fonts: dict[bytes, _FontInfo] = {}
        products: dict[tuple[bytes, Matrix], Matrix] = {}
        sizes: dict[bytes, float] = {}
        emit = emit_raw = self._emit
        fallback = self._fallback_font

        def font_named(name: bytes) -> _FontInfo:
            found = fonts.get(name)
            if found is None:
                found = fonts[name] = self._font(resources, name)
            return found

        while pos < n:
            restart = -1
            for match in finditer(data, pos):
                counter += 1
                if counter % _CHECK_EVERY == 0:
                    self._check_deadline()
                kind = match.lastgroup
                if kind == "fast":
                    fq, fcm, ftm, ffont, fsize, fstr, fclose = match.group(
                        "fq", "fcm", "ftm", "ffont", "fsize", "fstr", "fQ"
                    )
                    operands.clear()
                    matrix = _matrix(ftm)
                    if matrix is None:
                        continue
                    if fq and fclose:  # self-contained: the state is untouched afterwards
                        ctm = state.ctm
                        if fcm:
                            key = (fcm, ctm)
                            product = products.get(key)
                            if product is None:
                                cm = _matrix(fcm)
                                product = _mul(cm, ctm) if cm else ctm
                                products[key] = product
                            ctm = product
                        if ffont:
                            font = font_named(ffont[1:])
                            size = sizes.get(fsize)
                            if size is None:
                                size = sizes[fsize] = _float(fsize, state.size)
                        else:
                            font = state.font or fallback
                            size = state.size
                        decoded = font.tokens.get(fstr)
                        if decoded is None:
                            decoded = font.decode_token(fstr)
                        text, width, spaces, count = decoded
                        a, b, c, d, e, f = matrix
                        c0, c1, c2, c3, c4, c5 = ctm
                        ma = a * c0 + b * c2
                        mb = a * c1 + b * c3
                        if not text or ma <= 0 or abs(mb) > 0.05 * ma or state.rise:
                            if text:
                                emit_raw(
                                    _string_operand(fstr), font, size, matrix, ctm, state, runs
                                )
                            continue
                        advance = (
                            width * size / 1000.0
                            + state.char_spacing * count
                            + state.word_spacing * spaces
                        ) * state.scale
                        md = c * c1 + d * c3
                        ox = e * c0 + f * c2 + c4
                        oy = e * c1 + f * c3 + c5
                        height = abs(md * size)
                        x_end = ox + advance * ma
                        if runs:
                            last = runs[-1]
                            if (
                                last.y == oy
                                and last.size == height
                                and -0.25 * height <= ox - last.x_end <= 0.1 * height
                            ):
                                last.text += text
                                last.x_end = x_end
                                continue
                        runs.append(TextRun(ox, oy, x_end, height, text))
                        if len(runs) > MAX_RUNS_PER_PAGE:
                            raise ScanLimitError("size", "a page shows too much text")
                        continue
                    if fq:
                        if len(stack) < 10_000:
                            stack.append(state)
                            state = state.copy()
                        cm = _matrix(fcm) if fcm else None
                        if cm:
                            state.ctm = _mul(cm, state.ctm)
                    if ffont:
                        state.font = font_named(ffont[1:])
                        state.size = _float(fsize, state.size)
                    emit(
                        _string_operand(fstr),
                        state.font,
                        state.size,
                        matrix,
                        state.ctm,
                        state,
                        runs,
                    )
                    tm = tlm = _IDENTITY
                    if fclose and stack:
                        state = stack.pop()
                elif kind == "num":
                    try:
                        value = float(match.group())
                    except ValueError:
                        continue
                    (arrays[-1] if arrays else operands).append(value)
                elif kind == "op":
                    op = match.group()
                    if arrays:  # an operator inside an array: malformed, drop the array
                        arrays.clear()
                    if op == b"Tj" or op == b"'" or op == b'"':
                        if op == b'"' and len(operands) >= 3:
                            state.word_spacing = _num(operands[-3], state.word_spacing)
                            state.char_spacing = _num(operands[-2], state.char_spacing)
                        if op != b"Tj":
                            tlm = _translate(tlm, 0.0, -state.leading)
                            tm = tlm
                        if operands and isinstance(operands[-1], bytes):
                            tm = emit(
                                operands[-1], state.font, state.size, tm, state.ctm, state, runs
                            )
                    elif op == b"TJ":
                        if operands and isinstance(operands[-1], list):
                            for item in operands[-1]:
                                if isinstance(item, bytes):
                                    tm = emit(
                                        item, state.font, state.size, tm, state.ctm, state, runs
                                    )
                                elif isinstance(item, float):
                                    shift = -item / 1000.0 * state.size * state.scale
                                    tm = _advance(tm, shift)
                    elif op == b"Tm":
                        if len(operands) >= 6 and all(isinstance(v, float) for v in operands[-6:]):
                            tm = tlm = tuple(operands[-6:])  # type: ignore[assignment]
                    elif op == b"Td" or op == b"TD":
                        if len(operands) >= 2:
                            tx, ty = _num(operands[-2], 0.0), _num(operands[-1], 0.0)
                            if op == b"TD":
                                state.leading = -ty
                            tlm = _translate(tlm, tx, ty)
                            tm = tlm
                    elif op == b"T*":
                        tlm = _translate(tlm, 0.0, -state.leading)
                        tm = tlm
                    elif op == b"Tf":
                        if len(operands) >= 2 and isinstance(operands[-2], str):
                            state.font = font_named(operands[-2][1:].encode("latin-1"))
                            state.size = _num(operands[-1], state.size)
                    elif op == b"BT":
                        tm = tlm = _IDENTITY
                    elif op == b"q":
                        if len(stack) < 10_000:
                            stack.append(state)
                            state = state.copy()
                    elif op == b"Q":
                        if stack:
                            state = stack.pop()
                    elif op == b"cm":
                        if len(operands) >= 6 and all(isinstance(v, float) for v in operands[-6:]):
                            state.ctm = _mul(tuple(operands[-6:]), state.ctm)  # type: ignore[arg-type]
                    elif op == b"TL":
                        if operands:
                            state.leading = _num(operands[-1], state.leading)
                    elif op == b"Tc":
                        if operands:
                            state.char_spacing = _num(operands[-1], state.char_spacing)
                    elif op == b"Tw":
                        if operands:
                            state.word_spacing = _num(operands[-1], state.word_spacing)
                    elif op == b"Tz":
                        if operands:
                            state.scale = _num(operands[-1], 100.0) / 100.0
                    elif op == b"Ts":
                        if operands:
                            state.rise = _num(operands[-1], 0.0)
                    elif op == b"Do":
                        if operands and isinstance(operands[-1], str):
                            self._form(operands[-1], resources, state, runs, depth, forms)
                    elif op == b"BI":
                        found = data.find(b"ID", match.end())
                        end = _EI.search(data, found + 2) if found >= 0 else None
                        restart = end.end() if end else n
                    operands.clear()
                    if restart >= 0:
                        break
                elif kind == "name":
                    value = match.group().decode("latin-1")
                    (arrays[-1] if arrays else operands).append(value)
                elif kind == "str" or kind == "hex":
                    raw = _string_operand(match.group())
                    (arrays[-1] if arrays else operands).append(raw)
                elif kind == "open":
                    if len(arrays) < 64:
                        arrays.append([])
                elif kind == "close":
                    if arrays:
                        done = arrays.pop()
                        (arrays[-1] if arrays else operands).append(done)
                elif kind == "lpar":
                    raw, restart = _scan_literal(data, match.start())
                    (arrays[-1] if arrays else operands).append(raw)
                    break
                # dictionaries (inline-image parameters, marked content), comments: ignored
                if len(operands) > 10_000:
                    operands.clear()
            else:
                break
            pos = restart

    def _emit(
        self,
        raw: bytes,
        font: _FontInfo | None,
        size: float,
        tm: Matrix,
        ctm: Matrix,
        state: _State,
        runs: list[TextRun],
    ) -> Matrix:
        """Record the run ``raw`` shows (upright text only); return the advanced text matrix.

        Consecutive runs that continue each other on one baseline (one glyph per run in Final
        Draft files) are merged into the previous run right away.
        """
        font = font or self._fallback_font
        text, width, spaces = font.decode(raw)
        count = len(raw) if font.single_byte else len(text)
        advance = (
            width / 1000.0 * size + state.char_spacing * count + state.word_spacing * spaces
        ) * state.scale
        a, b, c, d, e, f = tm
        c0, c1, c2, c3, c4, c5 = ctm
        ma = a * c0 + b * c2
        mb = a * c1 + b * c3
        if text and ma > 0 and abs(mb) <= 0.05 * ma:
            md = c * c1 + d * c3
            ox = e * c0 + f * c2 + c4
            oy = e * c1 + f * c3 + c5
            if state.rise:
                ox += state.rise * (c * c0 + d * c2)
                oy += state.rise * md
            height = abs(md * size)
            x_end = ox + advance * ma
            if runs:
                last = runs[-1]
                if (
                    last.y == oy
                    and last.size == height
                    and -0.25 * height <= ox - last.x_end <= 0.1 * height
                ):
                    last.text += text
                    last.x_end = x_end
                    return (a, b, c, d, e + advance * a, f + advance * b)
            runs.append(TextRun(ox, oy, x_end, height, text))
            if len(runs) > MAX_RUNS_PER_PAGE:
                raise ScanLimitError("size", "a page shows too much text")
        return (a, b, c, d, e + advance * a, f + advance * b)

    def _form(
        self,
        name: str,
        resources: Any,
        state: _State,
        runs: list[TextRun],
        depth: int,
        forms: tuple[Any, ...],
    ) -> None:
        self._check_deadline()
        xobjects = _sub_dict(resources, "/XObject")
        if xobjects is None:
            return
        ref = xobjects.get(name)
        if ref is None:
            return
        key: Any = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(ref)
        form = ref.get_object()
        if not hasattr(form, "get") or form.get("/Subtype") != "/Form":
            return
        if key in forms:
            raise ScanLimitError("depth", "a drawing in the PDF contains itself")
        if depth + 1 > MAX_FORM_DEPTH:
            raise ScanLimitError("depth", "drawings in the PDF are nested too deeply")
        data = form.get_data()
        if len(data) > MAX_STREAM_BYTES:
            raise ScanLimitError("size", "a drawing's content stream is too large")
        inner = state.copy()
        raw_matrix = form.get("/Matrix")
        if raw_matrix is not None and len(raw_matrix) == 6:
            try:
                matrix = tuple(float(v) for v in raw_matrix)
                inner.ctm = _mul(matrix, inner.ctm)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                pass
        form_resources = form.get("/Resources")
        form_resources = form_resources.get_object() if form_resources is not None else resources
        self._interpret(data, form_resources, inner, runs, depth=depth + 1, forms=(*forms, key))


def _sub_dict(resources: Any, key: str) -> Any:
    if resources is None or not hasattr(resources, "get"):
        return None
    value = resources.get(key)
    if value is None:
        return None
    value = value.get_object()
    return value if hasattr(value, "get") else None


def _num(value: Any, default: float) -> float:
    return value if isinstance(value, float) and math.isfinite(value) else default


def _float(value: bytes, default: float) -> float:
    try:
        result = float(value)
    except ValueError:
        return default
    return result if math.isfinite(result) else default


def _advance(m: Matrix, tx: float) -> Matrix:
    a, b, c, d, e, f = m
    return (a, b, c, d, e + tx * a, f + tx * b)


def _translate(m: Matrix, tx: float, ty: float) -> Matrix:
    a, b, c, d, e, f = m
    return (a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f)


# --- runs → lines ------------------------------------------------------------------------------


def runs_to_lines(runs: list[TextRun]) -> list[PositionedLine]:
    """Group runs into lines: same baseline (within a third of the font size), sorted by x.

    Runs closer than 0.3 × size join directly (one glyph per run in Final Draft files), wider gaps
    become a space, and gaps wider than ~2.5 average character widths start a separate segment
    (margin scene numbers, dual-dialogue columns): each segment is its own ``PositionedLine``.
    """
    if not runs:
        return []
    ordered = sorted(runs, key=lambda r: (round(r.y, 1), r.x))
    rows: list[list[TextRun]] = []
    row: list[TextRun] = [ordered[0]]
    base = ordered[0].y
    for run in ordered[1:]:
        tolerance = max(1.0, 0.33 * max(run.size, row[0].size))
        if abs(run.y - base) <= tolerance:
            row.append(run)
        else:
            rows.append(row)
            row = [run]
            base = run.y
    rows.append(row)
    lines: list[PositionedLine] = []
    for row in rows:
        row.sort(key=lambda r: r.x)
        lines.extend(_row_segments(row))
    return lines


def _row_segments(row: list[TextRun]) -> list[PositionedLine]:
    segments: list[PositionedLine] = []
    parts: list[str] = []
    start = row[0]
    end = start.x
    size = start.size
    prev: TextRun | None = None
    for run in row:
        if prev is not None and run.text == prev.text and abs(run.x - prev.x) < 0.5 * run.size:
            continue  # over-printed duplicate (fake bold)
        char_width = _char_width(run)
        gap = run.x - end
        if parts and gap > max(2.5 * char_width, 0.9 * run.size):
            segments.append(_segment(start, parts, end, size))
            parts, start, size = [], run, run.size
        elif (
            parts
            and gap > 0.3 * char_width + 0.1 * run.size
            and not parts[-1].endswith(" ")
            and not run.text.startswith(" ")
        ):
            parts.append(" ")
        parts.append(run.text)
        end = max(end, run.x_end)
        size = max(size, run.size)
        prev = run
    if parts:
        segments.append(_segment(start, parts, end, size))
    return [segment for segment in segments if segment.text]


def _char_width(run: TextRun) -> float:
    count = len(run.text)
    width = (run.x_end - run.x) / count if count else 0.0
    return width if width > 0.1 * run.size else 0.6 * run.size


def _segment(start: TextRun, parts: list[str], end: float, size: float) -> PositionedLine:
    text = "".join(parts)
    stripped = text.lstrip(" ")
    x = start.x + (len(text) - len(stripped)) * _char_width(start)
    return PositionedLine(x=x, y=start.y, text=stripped.rstrip(" "), size=size, x_end=end)
