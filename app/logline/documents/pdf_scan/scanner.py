"""The content-stream interpreter: the text runs of one page, form XObjects included.

Only the operators that move or show text are interpreted: ``q Q cm BT ET Tm Td TD T* TL Tf Tc Tw
Tz Ts Tj TJ ' " Do`` (form XObjects, recursively) and ``BI … ID … EI`` (skipped). Upright text only:
rotated text (diagonal watermarks, vertical margin notes) is dropped.

Text no reader sees is left out and counted (``hidden``): ``Tr`` render modes 3 and 7, white text
(``g rg k G RG K``) with no dark paint under it (paths filled in a dark colour, images,
shadings: :mod:`.hidden`), text in a layer hidden by default (``BDC … EMC``, :mod:`.layers`),
under 1 pt, or outside the crop box.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from .fonts import FallbackFont, FontInfo
from .hidden import (
    END_PATH_OPS,
    PAINT_OPS,
    PATH_OPS,
    PagePaint,
    seen_runs,
    visible_box,
    white_colour,
)
from .layers import is_hidden
from .limits import MAX_CONTENT_STREAMS, MAX_FORM_DEPTH, MAX_STREAM_BYTES, ScanLimitError
from .matrices import IDENTITY, Matrix, advance_matrix, multiply, parse_matrix, translate
from .runs import TextRun, show_text
from .state import GraphicsState
from .tokens import EI, TOKEN, number_or, parse_float_or, scan_literal, string_operand

if TYPE_CHECKING:
    from pypdf import PageObject

logger = logging.getLogger(__name__)

CHECK_EVERY = 2048  # tokens between deadline checks
MAX_SAVED_STATES = 10_000  # nested q without Q: deeper saves are ignored
MAX_ARRAY_DEPTH = 64  # nested [ without ]: deeper arrays are ignored
MAX_OPERANDS = 10_000  # operands waiting for an operator: more are dropped


class PageScanner:
    """Scans the pages of one document, sharing its font cache; not thread-safe."""

    def __init__(self, *, deadline: float, hidden_layers: frozenset[Any] = frozenset()) -> None:
        self.deadline = deadline
        self.hidden_layers = hidden_layers  # layers off by default (.layers.hidden_layers)
        self._fonts: dict[Any, FontInfo] = {}
        self._fallback_font = FallbackFont()
        # Dark paint on the page being scanned: white text over it is seen, so it is kept.
        self.paint = PagePaint()
        # Characters of text no reader sees, left out, by reason ("invisible", "white", "tiny",
        # "off-page"), and how many of the scanned pages held some.
        self.hidden: Counter[str] = Counter()
        self.hidden_pages = 0

    # public -----------------------------------------------------------------------------------

    def scan_page(self, page: PageObject) -> tuple[list[TextRun], float, float]:
        """The text runs of ``page`` and its (width, height) in points."""
        # lazy on purpose: pypdf loads only when a PDF is opened (the window must appear fast)
        from pypdf.generic import ArrayObject, IndirectObject

        box = page.mediabox
        left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
        contents = page.get("/Contents")
        if contents is None:
            return [], right - left, top - bottom
        parts = contents.get_object() if isinstance(contents, IndirectObject) else contents
        if isinstance(parts, ArrayObject):
            if len(parts) > MAX_CONTENT_STREAMS:
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
        self.paint = PagePaint()
        self._interpret(b"\n".join(chunks), resources, GraphicsState(), runs, depth=0, forms=())
        box = visible_box(page, (left, bottom, right, top))
        seen, dropped = seen_runs(runs, box, self.paint, self.hidden)
        self.hidden_pages += dropped
        # y down from the top of the media box; x from its left edge
        for run in seen:
            run.x -= left
            run.x_end -= left
            run.y = top - run.y
        return seen, right - left, top - bottom

    # internals --------------------------------------------------------------------------------

    def _check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise ScanLimitError("deadline", "reading the PDF took too long")

    def _font(self, resources: Any, name: bytes) -> FontInfo:
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
                found = FontInfo(ref.get_object())
            except Exception as exc:  # a broken font costs its text's accuracy, not the page
                logger.debug("Unusable font resource: %s", type(exc).__name__)
                found = self._fallback_font
            self._fonts[cache_key] = found
        return found

    def _interpret(  # one dispatch loop, kept flat for speed
        self,
        data: bytes,
        resources: Any,
        state: GraphicsState,
        runs: list[TextRun],
        *,
        depth: int,
        forms: tuple[Any, ...],
    ) -> None:
        stack: list[GraphicsState] = []
        marked: list[bool] = []  # BDC/BMC … EMC: layer_off as it was before each
        operands: list[Any] = []
        arrays: list[list[Any]] = []
        tm: Matrix = IDENTITY  # text matrix
        tlm: Matrix = IDENTITY  # text line matrix
        counter = 0
        pos = 0
        n = len(data)
        finditer = TOKEN.finditer
        fonts: dict[bytes, FontInfo] = {}
        products: dict[tuple[bytes, Matrix], Matrix] = {}
        sizes: dict[bytes, float] = {}
        emit = self._emit  # local names: the loop below runs once per glyph in Final Draft files
        show = show_text
        fallback = self._fallback_font

        def font_named(name: bytes) -> FontInfo:
            found = fonts.get(name)
            if found is None:
                found = fonts[name] = self._font(resources, name)
            return found

        while pos < n:
            restart = -1
            for match in finditer(data, pos):
                counter += 1
                if counter % CHECK_EVERY == 0:
                    self._check_deadline()
                kind = match.lastgroup
                if kind == "fast":  # a whole glyph block, placed by show_text like any Tj
                    fq, fcm, ftm, ffont, fsize, fstr, fclose = match.group(
                        "fq", "fcm", "ftm", "ffont", "fsize", "fstr", "fQ"
                    )
                    operands.clear()
                    matrix = parse_matrix(ftm)
                    if matrix is None:
                        continue
                    if fq and fclose:  # self-contained: the state is untouched afterwards
                        ctm = state.ctm
                        if fcm:
                            key = (fcm, ctm)
                            product = products.get(key)
                            if product is None:
                                cm = parse_matrix(fcm)
                                product = multiply(cm, ctm) if cm else ctm
                                products[key] = product
                            ctm = product
                        if ffont:
                            font = font_named(ffont[1:])
                            size = sizes.get(fsize)
                            if size is None:
                                size = sizes[fsize] = parse_float_or(fsize, state.size)
                        else:
                            font = state.font or fallback
                            size = state.size
                        decoded = font.tokens.get(fstr)
                        if decoded is None:
                            decoded = font.decode_token(fstr)
                        text, width, spaces, count = decoded
                        show(runs, text, width, spaces, count, size, matrix, ctm, state)
                        continue
                    if fq:
                        if len(stack) < MAX_SAVED_STATES:
                            stack.append(state)
                            state = state.copy()
                        cm = parse_matrix(fcm) if fcm else None
                        if cm:
                            state.ctm = multiply(cm, state.ctm)
                    if ffont:
                        state.font = font_named(ffont[1:])
                        state.size = parse_float_or(fsize, state.size)
                    emit(
                        string_operand(fstr),
                        state.font,
                        state.size,
                        matrix,
                        state.ctm,
                        state,
                        runs,
                    )
                    tm = tlm = IDENTITY
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
                            state.word_spacing = number_or(operands[-3], state.word_spacing)
                            state.char_spacing = number_or(operands[-2], state.char_spacing)
                        if op != b"Tj":
                            tlm = translate(tlm, 0.0, -state.leading)
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
                                    tm = advance_matrix(tm, shift)
                    elif op == b"Tm":
                        if len(operands) >= 6 and all(isinstance(v, float) for v in operands[-6:]):
                            tm = tlm = tuple(operands[-6:])  # type: ignore[assignment]
                    elif op == b"Td" or op == b"TD":
                        if len(operands) >= 2:
                            tx, ty = number_or(operands[-2], 0.0), number_or(operands[-1], 0.0)
                            if op == b"TD":
                                state.leading = -ty
                            tlm = translate(tlm, tx, ty)
                            tm = tlm
                    elif op == b"T*":
                        tlm = translate(tlm, 0.0, -state.leading)
                        tm = tlm
                    elif op == b"Tf":
                        if len(operands) >= 2 and isinstance(operands[-2], str):
                            state.font = font_named(operands[-2][1:].encode("latin-1"))
                            state.size = number_or(operands[-1], state.size)
                    elif op == b"BT":
                        tm = tlm = IDENTITY
                    elif op == b"q":
                        if len(stack) < MAX_SAVED_STATES:
                            stack.append(state)
                            state = state.copy()
                    elif op == b"Q":
                        if stack:
                            state = stack.pop()
                    elif op == b"cm":
                        if len(operands) >= 6 and all(isinstance(v, float) for v in operands[-6:]):
                            state.ctm = multiply(tuple(operands[-6:]), state.ctm)  # type: ignore[arg-type]
                    elif op == b"TL":
                        if operands:
                            state.leading = number_or(operands[-1], state.leading)
                    elif op == b"Tc":
                        if operands:
                            state.char_spacing = number_or(operands[-1], state.char_spacing)
                    elif op == b"Tw":
                        if operands:
                            state.word_spacing = number_or(operands[-1], state.word_spacing)
                    elif op == b"Tz":
                        if operands:
                            state.scale = number_or(operands[-1], 100.0) / 100.0
                    elif op == b"Ts":
                        if operands:
                            state.rise = number_or(operands[-1], 0.0)
                    elif op == b"Do":
                        if operands and isinstance(operands[-1], str):
                            self._form(operands[-1], resources, state, runs, depth, forms)
                    elif op == b"Tr":
                        if operands:
                            state.render_mode = int(number_or(operands[-1], 0.0))
                    elif op in PATH_OPS:
                        self.paint.path(op, operands, state.ctm)
                    elif op in PAINT_OPS:
                        self.paint.fill(state.fill_white)
                    elif op in END_PATH_OPS:
                        self.paint.end_path()
                    elif op == b"g" or op == b"rg" or op == b"k":
                        state.fill_white = white_colour(op, operands)
                    elif op == b"G" or op == b"RG" or op == b"K":
                        state.stroke_white = white_colour(op.lower(), operands)
                    elif op == b"cs" or op == b"sc" or op == b"scn":
                        state.fill_white = False  # another colour space: not known to be white
                    elif op == b"CS" or op == b"SC" or op == b"SCN":
                        state.stroke_white = False
                    elif op == b"sh":
                        self.paint.shading()
                    elif op == b"BDC" or op == b"BMC":
                        if len(marked) < MAX_SAVED_STATES:
                            marked.append(state.layer_off)
                            if op == b"BDC" and self._layer_off(operands, resources):
                                state.layer_off = True
                    elif op == b"EMC":
                        if marked:
                            state.layer_off = marked.pop()
                    elif op == b"BI":
                        self.paint.image(state.ctm)
                        found = data.find(b"ID", match.end())
                        end = EI.search(data, found + 2) if found >= 0 else None
                        restart = end.end() if end else n
                    operands.clear()
                    if restart >= 0:
                        break
                elif kind == "name":
                    value = match.group().decode("latin-1")  # type: ignore[assignment]  # (a name operand: str)
                    (arrays[-1] if arrays else operands).append(value)
                elif kind == "str" or kind == "hex":
                    raw = string_operand(match.group())
                    (arrays[-1] if arrays else operands).append(raw)
                elif kind == "open":
                    if len(arrays) < MAX_ARRAY_DEPTH:
                        arrays.append([])
                elif kind == "close":
                    if arrays:
                        done = arrays.pop()
                        (arrays[-1] if arrays else operands).append(done)
                elif kind == "lpar":
                    raw, restart = scan_literal(data, match.start())
                    (arrays[-1] if arrays else operands).append(raw)
                    break
                # dictionaries (inline-image parameters, marked content), comments: ignored
                if len(operands) > MAX_OPERANDS:
                    operands.clear()
            else:
                break
            pos = restart

    def _emit(
        self,
        raw: bytes,
        font: FontInfo | None,
        size: float,
        tm: Matrix,
        ctm: Matrix,
        state: GraphicsState,
        runs: list[TextRun],
    ) -> Matrix:
        """Record the run ``raw`` shows (see :func:`.runs.show_text`); return the advanced text
        matrix."""
        font = font or self._fallback_font
        text, width, spaces = font.decode(raw)
        count = len(raw) if font.single_byte else len(text)
        shift = show_text(runs, text, width, spaces, count, size, tm, ctm, state)
        return advance_matrix(tm, shift)

    def _layer_off(self, operands: list[Any], resources: Any) -> bool:
        """Whether ``/OC /Name BDC`` opens content of a layer hidden by default."""
        if not self.hidden_layers or len(operands) < 2 or operands[-2] != "/OC":
            return False
        properties = _sub_dict(resources, "/Properties")
        name = operands[-1]
        if properties is None or not isinstance(name, str):
            return False
        return is_hidden(
            properties.raw_get(name) if name in properties else None, self.hidden_layers
        )

    def _form(
        self,
        name: str,
        resources: Any,
        state: GraphicsState,
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
            if hasattr(form, "get") and form.get("/Subtype") == "/Image":
                self.paint.image(state.ctm)
            return
        if key in forms:
            raise ScanLimitError("depth", "a drawing in the PDF contains itself")
        if depth + 1 > MAX_FORM_DEPTH:
            raise ScanLimitError("depth", "drawings in the PDF are nested too deeply")
        data = form.get_data()
        if len(data) > MAX_STREAM_BYTES:
            raise ScanLimitError("size", "a drawing's content stream is too large")
        inner = state.copy()
        inner.layer_off = inner.layer_off or is_hidden(form.get("/OC"), self.hidden_layers)
        raw_matrix = form.get("/Matrix")
        if raw_matrix is not None and len(raw_matrix) == 6:
            try:
                matrix = tuple(float(v) for v in raw_matrix)
                inner.ctm = multiply(matrix, inner.ctm)  # type: ignore[arg-type]
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
