"""The content-stream interpreter: the text runs of one page, form XObjects included.

Only the operators that move or show text are interpreted: ``q Q cm BT ET Tm Td TD T* TL Tf Tc Tw
Tz Ts Tj TJ ' " Do`` (form XObjects, recursively) and ``BI … ID … EI`` (skipped). Upright text only:
rotated text (diagonal watermarks, vertical margin notes) is dropped.

Text no reader sees is left out and counted (``hidden``): ``Tr`` render modes 3 and 7, white text
(``g rg k G RG K``) on a page that fills nothing darker (``f B b sh``, images), text in a layer
hidden by default (``BDC … EMC``, :mod:`.layers`), under 1 pt, or outside the crop box.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from .fonts import FallbackFont, FontInfo
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
PAINT_OPS = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})  # fill a path
WHITE_TOLERANCE = 0.02  # a fill this close to white counts as white
EDGE = 0.5  # points: a run must reach this far into the page box to count as on the page


class PageScanner:
    """Scans the pages of one document, sharing its font cache; not thread-safe."""

    def __init__(self, *, deadline: float, hidden_layers: frozenset[Any] = frozenset()) -> None:
        self.deadline = deadline
        self.hidden_layers = hidden_layers  # layers off by default (.layers.hidden_layers)
        self._fonts: dict[Any, FontInfo] = {}
        self._fallback_font = FallbackFont()
        # The page being scanned painted something not white (a fill, an image, a shading):
        # white text on it may sit on a dark area, so it is kept.
        self.painted = False
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
        self.painted = False
        self._interpret(b"\n".join(chunks), resources, GraphicsState(), runs, depth=0, forms=())
        # y down from the top of the media box; x from its left edge
        for run in runs:
            run.x -= left
            run.x_end -= left
            run.y = top - run.y
        seen = self._seen(runs, _visible_box(page, (left, bottom, right, top)))
        return seen, right - left, top - bottom

    # internals --------------------------------------------------------------------------------

    def _seen(self, runs: list[TextRun], box: tuple[float, float, float, float]) -> list[TextRun]:
        """The runs a reader sees; the others are counted in ``hidden`` and left out."""
        x0, y0, x1, y1 = box
        seen: list[TextRun] = []
        dropped = False
        for run in runs:
            reason = run.hidden
            if reason == "white" and self.painted:
                reason = ""
            if not reason and (
                run.x_end <= x0 + EDGE
                or run.x >= x1 - EDGE
                or run.y <= y0
                or run.y - run.size >= y1
            ):
                reason = "off-page"
            if reason:
                self.hidden[reason] += sum(1 for ch in run.text if not ch.isspace())
                dropped = True
            else:
                seen.append(run)
        self.hidden_pages += dropped
        return seen

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
                    elif op == b"g" or op == b"rg" or op == b"k":
                        state.fill_white = _white_colour(op, operands)
                    elif op == b"G" or op == b"RG" or op == b"K":
                        state.stroke_white = _white_colour(op.lower(), operands)
                    elif op == b"cs" or op == b"sc" or op == b"scn":
                        state.fill_white = False  # another colour space: not known to be white
                    elif op == b"CS" or op == b"SC" or op == b"SCN":
                        state.stroke_white = False
                    elif op in PAINT_OPS:
                        if not state.fill_white:
                            self.painted = True
                    elif op == b"sh":
                        self.painted = True
                    elif op == b"BDC" or op == b"BMC":
                        if len(marked) < MAX_SAVED_STATES:
                            marked.append(state.layer_off)
                            if op == b"BDC" and self._layer_off(operands, resources):
                                state.layer_off = True
                    elif op == b"EMC":
                        if marked:
                            state.layer_off = marked.pop()
                    elif op == b"BI":
                        self.painted = True
                        found = data.find(b"ID", match.end())
                        end = EI.search(data, found + 2) if found >= 0 else None
                        restart = end.end() if end else n
                    operands.clear()
                    if restart >= 0:
                        break
                elif kind == "name":
                    value = match.group().decode("latin-1")
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
                self.painted = True
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


def _visible_box(
    page: PageObject, media: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """What a viewer shows: the crop box within the media box ``(left, bottom, right, top)``, as
    (x0, y0, x1, y1) with x from the media box's left edge and y down from its top. A crop box
    that is malformed or misses the media box counts as the media box, as viewers treat it."""
    left, bottom, right, top = media
    try:
        box = page.cropbox
        xs, ys = (
            sorted((float(box.left), float(box.right))),
            sorted((float(box.bottom), float(box.top))),
        )
    except Exception:
        xs, ys = [left, right], [bottom, top]
    x0, x1 = max(xs[0], left), min(xs[1], right)
    y0, y1 = max(ys[0], bottom), min(ys[1], top)
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        x0, y0, x1, y1 = left, bottom, right, top
    return x0 - left, top - y1, x1 - left, top - y0


def _white_colour(op: bytes, operands: list[Any]) -> bool:
    """Whether ``g`` / ``rg`` / ``k`` (or their stroke forms, lower-cased) with these operands
    set white."""
    count = {b"g": 1, b"rg": 3, b"k": 4}[op]
    values = operands[-count:]
    if len(values) != count or not all(isinstance(v, float) for v in values):
        return False
    if op == b"k":
        return all(v <= WHITE_TOLERANCE for v in values)
    return all(v >= 1.0 - WHITE_TOLERANCE for v in values)


def _sub_dict(resources: Any, key: str) -> Any:
    if resources is None or not hasattr(resources, "get"):
        return None
    value = resources.get(key)
    if value is None:
        return None
    value = value.get_object()
    return value if hasattr(value, "get") else None
