"""A tiny PDF writer for tests: screenplay pages in several content-stream styles, hostile files.

Nothing here is clever: objects are written in order, then an xref table. Pages are US Letter
(612 × 792 pt) and lines are placed by top-down y, as a layout engine would think of them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

PAGE_WIDTH = 612.0
PAGE_HEIGHT = 792.0
CHAR = 7.2  # Courier 12 pt advance

# Standard screenplay columns (points from the left edge)
ACTION = 108.0
DIALOGUE = 180.0
PAREN = 209.0
CUE = 252.0
TRANSITION_END = 540.0

STYLES = ("simple", "per_glyph", "tj_kern", "cid", "form", "differences")


@dataclass(frozen=True)
class Placed:
    """A line to draw: left x, top-down baseline y, text."""

    x: float
    y: float
    text: str


class PdfBuilder:
    """Collects numbered objects and writes them with a classic xref table."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def set(self, number: int, body: bytes | str) -> int:
        self.objects[number - 1] = body.encode("latin-1") if isinstance(body, str) else body
        return number

    def add(self, body: bytes | str) -> int:
        return self.set(self.reserve(), body)

    def stream(self, data: bytes, extra: str = "", *, compress: bool = False) -> int:
        if compress:
            data = zlib.compress(data)
            extra += " /Filter /FlateDecode"
        head = f"<< /Length {len(data)} {extra} >>\nstream\n".encode("latin-1")
        return self.add(head + data + b"\nendstream")

    def build(self, root: int, info: int | None = None) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + (body or b"null") + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        trailer = f"/Size {len(self.objects) + 1} /Root {root} 0 R"
        if info is not None:
            trailer += f" /Info {info} 0 R"
        out += f"trailer\n<< {trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)


def _escape(raw: bytes) -> bytes:
    out = bytearray()
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes((byte,))
        elif byte < 32 or byte > 126:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out)


def _winansi(text: str) -> bytes:
    return text.encode("cp1252", errors="replace")


# Codes used by the /Differences font for characters outside ASCII
_DIFFERENCES = {"’": (1, "quoteright"), "é": (2, "eacute"), "—": (3, "emdash")}


def _differences_bytes(text: str) -> bytes:
    return bytes(_DIFFERENCES[ch][0] if ch in _DIFFERENCES else ord(ch) for ch in text)


def _cid(ch: str) -> int:
    return 0x100 + (ord(ch) % 0xFE00)


def _content(lines: Iterable[Placed], style: str) -> bytes:
    """The content stream that draws ``lines`` in ``style``."""
    out: list[bytes] = []
    for line in lines:
        baseline = PAGE_HEIGHT - line.y
        if style in ("simple", "form"):
            out.append(
                b"BT /F1 12 Tf %.2f %.2f Td (%s) Tj ET"
                % (line.x, baseline, _escape(_winansi(line.text)))
            )
        elif style == "differences":
            out.append(
                b"BT /F3 12 Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET"
                % (line.x, baseline, _escape(_differences_bytes(line.text)))
            )
        elif style == "per_glyph":
            # Final Draft / Quartz: one flipped block per glyph, rounded positions, no spaces
            for index, ch in enumerate(line.text):
                if ch == " ":
                    continue
                out.append(
                    b"q 1 0 0 -1 0 %d cm BT 12 0 0 -12 %d %d Tm /F1 1 Tf (%s) Tj ET Q"
                    % (
                        int(PAGE_HEIGHT),
                        round(line.x + index * CHAR),
                        round(line.y),
                        _escape(_winansi(ch)),
                    )
                )
        elif style == "tj_kern":
            # words separated only by kerning; a small kern inside the first word
            words = line.text.split(" ")
            items: list[bytes] = []
            for index, word in enumerate(words):
                if index:
                    items.append(b"-600")
                if len(word) > 2 and index == 0:
                    items.append(
                        b"(%s) 0 (%s)" % (_escape(_winansi(word[:2])), _escape(_winansi(word[2:])))
                    )
                else:
                    items.append(b"(%s)" % _escape(_winansi(word)))
            out.append(
                b"BT /F1 12 Tf %.2f %.2f Td [%s] TJ ET" % (line.x, baseline, b" ".join(items))
            )
        elif style == "cid":
            codes = b"".join(_cid(ch).to_bytes(2, "big") for ch in line.text)
            out.append(
                b"BT /F2 12 Tf %.2f %.2f Td <%s> Tj ET" % (line.x, baseline, codes.hex().encode())
            )
        else:
            raise ValueError(style)
    return b"\n".join(out) + b"\n"


def _cid_font(builder: PdfBuilder, characters: set[str]) -> int:
    pairs = "\n".join(
        f"<{_cid(ch):04X}> <{''.join(f'{u:04X}' for u in _utf16(ch))}>" for ch in sorted(characters)
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(characters)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("latin-1")
    to_unicode = builder.stream(cmap)
    descendant = builder.add(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestCourier /CIDSystemInfo "
        "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 600 >>"
    )
    return builder.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /TestCourier /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>"
    )


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def build_pdf(
    pages: list[list[Placed]],
    *,
    style: str = "simple",
    compress: bool = False,
    title: str | None = None,
    extra: dict[int, bytes] | None = None,
    page_entries: str = "",
) -> bytes:
    """A PDF showing ``pages`` (lists of placed lines) in the given content-stream style;
    ``extra`` maps a page index to content appended to that page's stream (``hidden_text``);
    ``page_entries`` are added to every page dictionary (``/CropBox [...]``)."""
    builder = PdfBuilder()
    catalog = builder.reserve()
    tree = builder.reserve()
    courier = builder.add(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
    )
    characters = {ch for page in pages for line in page for ch in line.text}
    cid = _cid_font(builder, characters | {" "})
    differences = builder.add(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding << /Type /Encoding "
        "/BaseEncoding /WinAnsiEncoding /Differences [1 /quoteright /eacute /emdash] >> >>"
    )
    fonts = f"/Font << /F1 {courier} 0 R /F2 {cid} 0 R /F3 {differences} 0 R >>"
    kids = []
    for lines in pages:
        data = _content(lines, style) + (extra or {}).get(len(kids), b"")
        if style == "form":
            # the text sits in a form drawn by another form, shifted back by the outer /Matrix
            inner = builder.stream(
                b"1 0 0 1 -10 0 cm\n" + data,
                f"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << {fonts} >>",
                compress=compress,
            )
            outer = builder.stream(
                b"q /Inner Do Q\n",
                "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Matrix [1 0 0 1 10 0] "
                f"/Resources << /XObject << /Inner {inner} 0 R >> >>",
                compress=compress,
            )
            data = b"q 1 0 0 1 0 0 cm /Fm1 Do Q\n"
            resources = f"<< {fonts} /XObject << /Fm1 {outer} 0 R >> >>"
        else:
            resources = f"<< {fonts} >>"
        content = builder.stream(data, compress=compress)
        kids.append(
            builder.add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 612 792] {page_entries} "
                f"/Resources {resources} /Contents {content} 0 R >>"
            )
        )
    builder.set(
        tree,
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>",
    )
    builder.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")
    info = builder.add(f"<< /Title ({title}) >>") if title else None
    return builder.build(catalog, info)


# --- a small screenplay laid out like Final Draft would print it -------------------------------


def right(text: str, end: float = TRANSITION_END) -> float:
    return end - len(text) * CHAR


def centred(text: str) -> float:
    return (ACTION + TRANSITION_END) / 2 - len(text) * CHAR / 2


def screenplay_pages() -> list[list[Placed]]:
    """Title page + three script pages exercising the layout rules (see test_pdf_layout.py)."""
    title = [
        Placed(PAGE_WIDTH / 2 - 7 * CHAR, 300, "THE LAST TRAIN"),
        Placed(PAGE_WIDTH / 2 - 5 * CHAR, 336, "written by"),
        Placed(PAGE_WIDTH / 2 - 4.5 * CHAR, 360, "Jane Doe"),
        Placed(ACTION, 696, "Draft 3, June 1, 2024"),
        Placed(right("jane@example.com"), 696, "jane@example.com"),
        Placed(right("555-0100"), 708, "555-0100"),
    ]
    page1 = [  # first script page: unnumbered
        Placed(72, 72, "1"),
        Placed(ACTION, 72, "INT. STATION PLATFORM - NIGHT"),
        Placed(TRANSITION_END + 18, 72, "1"),
        Placed(ACTION, 96, "Rain hammers the glass roof. MARY (40s) waits"),
        Placed(ACTION, 108, "with a battered suitcase."),
        Placed(CUE, 132, "MARY(V.O.)"),
        Placed(DIALOGUE, 144, "I always said I would leave on the"),
        Placed(DIALOGUE, 156, "last train."),
        Placed(ACTION, 180, "A CONDUCTOR approaches."),
        Placed(CUE, 204, "CONDUCTOR"),
        Placed(PAREN, 216, "(checking his watch)"),
        Placed(DIALOGUE, 228, "It left ten minutes ago, ma’am."),
        Placed(CUE, 252, "MARY"),
        Placed(DIALOGUE, 264, "Then I will wait for the next one. And"),
        Placed(DIALOGUE, 276, "the one after that, if I have to."),
        Placed(CUE, 288, "(MORE)"),
    ]
    page2 = [
        Placed(right("2."), 44, "2."),
        Placed(CUE, 72, "MARY (CONT'D)"),
        Placed(DIALOGUE, 84, "I have waited longer for less."),
        Placed(ACTION, 108, "The conductor shrugs and leaves. Mary sits."),
        Placed(CUE, 132, "MARY (CONT'D)"),
        Placed(DIALOGUE, 144, "Café au lait, anyone?"),
        Placed(ACTION, 168, "Two PORTERS answer at once."),
        Placed(CUE - 72, 192, "PORTER ONE"),
        Placed(CUE + 144, 192, "PORTER TWO"),
        Placed(ACTION + 18, 204, "Not on this line."),
        Placed(DIALOGUE + 180, 204, "Never."),
        Placed(right("CUT TO:"), 228, "CUT TO:"),
    ]
    page3 = [
        Placed(right("45A."), 44, "45A."),
        Placed(72, 72, "2A"),
        Placed(ACTION, 72, "EXT. STATION - DAWN"),
        Placed(TRANSITION_END + 18, 72, "2A"),
        Placed(ACTION, 96, "The rain has stopped."),
        Placed(centred("THE END"), 132, "THE END"),
    ]
    return [title, page1, page2, page3]


def generic_pages() -> list[list[Placed]]:
    """A two-page report: a heading, paragraphs, a first-line indent, page numbers at the foot."""
    return [
        [
            Placed(72, 72, "Quarterly Report"),
            Placed(72, 100, "Sales rose in every region this quarter, led by strong"),
            Placed(72, 114, "demand for the new product line."),
            Placed(72, 142, "Costs were flat. The board approved the budget for the"),
            Placed(72, 156, "coming year without changes."),
            Placed(90, 170, "An indented paragraph starts here and"),
            Placed(72, 184, "continues on the next line"),
            Placed(PAGE_WIDTH / 2 - 3 * CHAR, 750, "Page 1"),
        ],
        [
            Placed(72, 72, "and ends on the second page."),
            Placed(72, 100, "Outlook: we expect growth to continue."),
            Placed(PAGE_WIDTH / 2 - 3 * CHAR, 750, "Page 2"),
        ],
    ]


# --- hostile files -----------------------------------------------------------------------------


def _one_page(builder: PdfBuilder, content: int, resources: str = "<< >>") -> bytes:
    catalog = builder.reserve()
    tree = builder.reserve()
    page = builder.add(
        f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 612 792] /Resources {resources} "
        f"/Contents {content} 0 R >>"
    )
    builder.set(tree, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    builder.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")
    return builder.build(catalog)


def cyclic_page_tree() -> bytes:
    """A page tree whose /Kids point back at its own root."""
    builder = PdfBuilder()
    catalog = builder.reserve()
    tree = builder.reserve()
    middle = builder.reserve()
    builder.set(tree, f"<< /Type /Pages /Kids [{middle} 0 R] /Count 1 >>")
    builder.set(middle, f"<< /Type /Pages /Parent {tree} 0 R /Kids [{tree} 0 R] /Count 1 >>")
    builder.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")
    return builder.build(catalog)


def self_recursive_form() -> bytes:
    """A page drawing a form XObject that draws itself."""
    builder = PdfBuilder()
    font = builder.add("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
    form = builder.reserve()
    data = b"BT /F1 12 Tf 100 700 Td (loop) Tj ET /Me Do"
    builder.set(
        form,
        f"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length {len(data)} "
        f"/Resources << /Font << /F1 {font} 0 R >> /XObject << /Me {form} 0 R >> >> >>\n"
        "stream\n".encode()
        + data
        + b"\nendstream",
    )
    content = builder.stream(b"/Me Do")
    return _one_page(builder, content, f"<< /XObject << /Me {form} 0 R >> >>")


def flate_bomb(decompressed_mb: int) -> bytes:
    """A small file whose page content inflates to ``decompressed_mb`` MiB of spaces."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    packed = b"".join(compressor.compress(chunk) for _ in range(decompressed_mb))
    packed += compressor.flush()
    builder = PdfBuilder()
    content = builder.add(
        f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
        + packed
        + b"\nendstream"
    )
    return _one_page(builder, content)


def deep_nesting(depth: int) -> bytes:
    """A page dictionary holding an array nested ``depth`` levels deep."""
    builder = PdfBuilder()
    content = builder.stream(b"BT /F1 12 Tf 100 700 Td (deep) Tj ET")
    catalog = builder.reserve()
    tree = builder.reserve()
    nested = b"[" * depth + b"]" * depth
    page = builder.add(
        f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
        "/Deep ".encode()
        + nested
        + b" >>"
    )
    builder.set(tree, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    builder.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")
    return builder.build(catalog)


def many_operators(count: int) -> bytes:
    """A page whose content is ``count`` harmless save/restore pairs (slow to interpret)."""
    builder = PdfBuilder()
    content = builder.stream(b"q Q " * count, compress=True)
    return _one_page(builder, content)


def deep_content_nesting(depth: int) -> bytes:
    """A content stream of ``depth`` nested arrays and saved states."""
    builder = PdfBuilder()
    content = builder.stream(b"[" * depth + b"q " * depth, compress=True)
    return _one_page(builder, content)


def text_export(pages: list[list[Placed]], *, form_feeds: bool = True) -> str:
    """The pages as a fixed-width text export: x → leading spaces, y → line number."""
    out: list[str] = []
    for lines in pages:
        rows: dict[int, list[Placed]] = {}
        for line in lines:
            rows.setdefault(round(line.y / 12), []).append(line)
        text_lines = [""] * (max(rows, default=0) + 1)
        for index, placed in rows.items():
            row = ""
            for line in sorted(placed, key=lambda p: p.x):
                column = max(0, round((line.x - 72) / CHAR))
                row = row.ljust(column if column > len(row) else len(row) + 6) + line.text
            text_lines[index] = row
        out.append("\n".join(text_lines))
    return ("\f" if form_feeds else "\n\n").join(out) + "\n"


# --- text a reader never sees ------------------------------------------------------------------

HIDDEN_KINDS = (
    "invisible",
    "invisible_glyphs",
    "clip",
    "white",
    "white_gray",
    "white_stroke",
    "white_beside_dark",
    "off_page",
    "tiny",
    "white_on_dark",
    "white_on_image",
    "outlined",
)


def hidden_text(kind: str, line: Placed) -> bytes:
    """Content drawing ``line`` so that no reader sees it (except ``white_on_dark`` and
    ``white_on_image``, white text on a black box or image, and ``outlined``, white letters with
    black outlines, which a reader does see). Each is wrapped in q/Q: the state does not leak."""
    raw = _escape(_winansi(line.text))
    baseline = PAGE_HEIGHT - line.y
    show = b"/F1 12 Tf %.2f %.2f Td (%s) Tj" % (line.x, baseline, raw)
    if kind == "invisible":  # text render mode 3: neither filled nor stroked
        return b"q BT 3 Tr " + show + b" ET Q\n"
    if kind == "invisible_glyphs":  # render mode set once, then Final Draft's glyph blocks
        return b"q 3 Tr\n" + _content([line], "per_glyph") + b"Q\n"
    if kind == "clip":  # render mode 7: only adds to the clipping path
        return b"q BT 7 Tr " + show + b" ET Q\n"
    if kind == "white":
        return b"q 1 1 1 rg BT " + show + b" ET Q\n"
    if kind == "white_stroke":  # render mode 1: outlines only, in white
        return b"q 1 G BT 1 Tr " + show + b" ET Q\n"
    if kind == "outlined":  # render mode 2: white fill, black outline: a reader sees it
        return b"q 1 1 1 rg 0 G BT 2 Tr " + show + b" ET Q\n"
    if kind == "white_beside_dark":  # a black dot elsewhere on the page does not hide it
        return b"q 0 0 0 rg 10 10 2 2 re f 1 1 1 rg BT " + show + b" ET Q\n"
    if kind == "white_on_image":  # white letters on a black inline image: a reader sees them
        image = b"q 400 0 0 20 %.2f %.2f cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x00 EI Q " % (
            line.x - 4,
            baseline - 6,
        )
        return b"q " + image + b"1 1 1 rg BT " + show + b" ET Q\n"
    if kind == "white_gray":
        return b"q 1 g BT " + show + b" ET Q\n"
    if kind == "off_page":
        return b"q BT /F1 12 Tf %.2f %.2f Td (%s) Tj ET Q\n" % (PAGE_WIDTH + 200, baseline, raw)
    if kind == "tiny":
        return b"q BT /F1 0.2 Tf %.2f %.2f Td (%s) Tj ET Q\n" % (line.x, baseline, raw)
    if kind == "white_on_dark":
        box = b"0 0 0 rg %.2f %.2f 400 20 re f " % (line.x - 4, baseline - 6)
        return b"q " + box + b"1 1 1 rg BT " + show + b" ET Q\n"
    raise ValueError(kind)


def hidden_layer_pdf(lines: list[Placed], hidden: Placed, *, how: str = "marked") -> bytes:
    """One page showing ``lines``, and ``hidden`` in a layer a viewer hides by default.

    ``how``: "marked" (``/OC /L BDC … EMC``), "form" (a form XObject with ``/OC``), "ocmd" (marked
    content naming a membership dictionary of the hidden layer), "base_off" (every layer off by
    ``/BaseState /OFF``), "on" (the layer is on: the text is seen)."""
    builder = PdfBuilder()
    catalog = builder.reserve()
    tree = builder.reserve()
    font = builder.add(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
    )
    layer = builder.add("<< /Type /OCG /Name (Notes) >>")
    member = builder.add(f"<< /Type /OCMD /OCGs [{layer} 0 R] /P /AnyOn >>")
    secret = _content([hidden], "simple")
    properties = f"/Properties << /L {member if how == 'ocmd' else layer} 0 R >>"
    resources = f"/Font << /F1 {font} 0 R >> {properties}"
    if how == "form":
        form = builder.stream(
            secret,
            f"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /OC {layer} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >>",
        )
        resources += f" /XObject << /Fx {form} 0 R >>"
        drawn = b"q /Fx Do Q\n"
    else:
        drawn = b"/OC /L BDC\n" + secret + b"EMC\n"
    content = builder.stream(_content(lines, "simple") + drawn)
    page = builder.add(
        f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 612 792] "
        f"/Resources << {resources} >> /Contents {content} 0 R >>"
    )
    builder.set(tree, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    default = {
        "base_off": "<< /BaseState /OFF >>",
        "on": f"<< /ON [{layer} 0 R] >>",
    }.get(how, f"<< /OFF [{layer} 0 R] >>")
    builder.set(
        catalog,
        f"<< /Type /Catalog /Pages {tree} 0 R "
        f"/OCProperties << /OCGs [{layer} 0 R] /D {default} >> >>",
    )
    return builder.build(catalog)
