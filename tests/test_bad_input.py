"""Every kind of bad input the documents layer promises to handle, and the exact error class.

One row per case from the ingestion issue: the user sees ``str(error)`` (one sentence) and a
front end can react to the class (ask for a password, suggest a text export). Pathological PDF
structures (cycles, recursive forms, decompression bombs) are covered in test_pdf_layout.py.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from logline.documents import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    UnsupportedFormatError,
    load,
)
from test_documents import encrypted_pdf, make_pdf
from timing import limit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<FinalDraft DocumentType="Script"><Content><Paragraph Type="Action">
<Text>&lol9;</Text></Paragraph></Content></FinalDraft>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE FinalDraft [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<FinalDraft DocumentType="Script"><Content><Paragraph Type="Action">
<Text>&secret;</Text></Paragraph></Content></FinalDraft>
"""
FDX_OK = (
    b'<?xml version="1.0"?>\n<FinalDraft DocumentType="Script" Version="4"><Content>'
    b'<Paragraph Type="Scene Heading"><Text>INT. ROOM - DAY</Text></Paragraph>'
    b'<Paragraph Type="Action"><Text>Quiet.</Text></Paragraph></Content></FinalDraft>'
)


def scanned_pdf() -> bytes:
    """A PDF whose page is an image and nothing else."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# (file name, content, keyword arguments to load, expected class, words the message must say)
Case = tuple[str, Callable[[], bytes], dict[str, object], type[DocumentError], str]
CASES: dict[str, Case] = {
    "encrypted pdf, no password": (
        "locked.pdf", lambda: encrypted_pdf("pw"), {}, EncryptedPdfError, "password-protected",
    ),
    "encrypted pdf, wrong password": (
        "locked.pdf", lambda: encrypted_pdf("pw"), {"password": "nope"}, EncryptedPdfError,
        "password .* is incorrect",
    ),
    "scanned pdf without text": (
        "scan.pdf", scanned_pdf, {}, NoTextLayerError, "no text layer.*OCR is not supported",
    ),
    "corrupt pdf": (
        "bad.pdf", lambda: b"%PDF-1.4\n" + bytes(range(256)) * 20, {}, CorruptDocumentError,
        "damaged",
    ),
    "truncated pdf": (
        "cut.pdf", lambda: make_pdf(["INT. ROOM - DAY"])[:150], {}, CorruptDocumentError,
        "damaged",
    ),
    "truncated fdx": ("cut.fdx", lambda: FDX_OK[:90], {}, CorruptDocumentError, "truncated"),
    "empty pdf file": ("empty.pdf", lambda: b"", {}, EmptyDocumentError, "is empty"),
    "empty fountain": ("empty.fountain", lambda: b"\n \n", {}, EmptyDocumentError, "is empty"),
    "empty text": ("empty.txt", lambda: b"\xef\xbb\xbf  \r\n", {}, EmptyDocumentError, "empty"),
    "fountain of boneyard only": (
        "gone.fountain", lambda: b"/* everything cut */\n[[ a note ]]\n", {}, EmptyDocumentError,
        "empty",
    ),
    "empty fdx": (
        "empty.fdx", lambda: b'<?xml version="1.0"?><FinalDraft><Content/></FinalDraft>', {},
        EmptyDocumentError, "no script text",
    ),
    "named .pdf but is text": (
        "script.pdf", lambda: b"INT. ROOM - DAY\n", {}, CorruptDocumentError, "not one",
    ),
    "word document": (
        "script.docx", lambda: b"PK\x03\x04" + b"\x00" * 64, {}, UnsupportedFormatError,
        "not a format Logline reads",
    ),
    "rtf": ("script.rtf", lambda: rb"{\rtf1\ansi hello}", {}, UnsupportedFormatError, "not a"),
    "other xml": (
        "data.xml", lambda: b"<?xml version='1.0'?><root/>", {}, UnsupportedFormatError, "XML",
    ),
    "too many bytes": (
        "big.pdf", lambda: make_pdf(["x"] * 3), {"max_bytes": 500}, DocumentTooLargeError,
        "up to",
    ),
    "too many text bytes": (
        "big.fountain", lambda: b"Action.\n\n" * 300, {"max_text_bytes": 1024},
        DocumentTooLargeError, "text and screenplay files up to 1 KB",
    ),
    "too many pages": (
        "long.pdf", lambda: make_pdf(["page"] * 5), {"max_pages": 4}, DocumentTooLargeError,
        "5 pages.*at most 4",
    ),
    "xml bomb": ("bomb.fdx", lambda: BILLION_LAUGHS, {}, CorruptDocumentError, "XML bomb"),
    "external entity": (
        "xxe.fdx", lambda: EXTERNAL_ENTITY, {}, CorruptDocumentError, "refuses to expand",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_raises_its_class_with_a_sentence(tmp_path: Path, case: Case) -> None:
    name, content, kwargs, expected, words = case
    path = tmp_path / name
    path.write_bytes(content())
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load(path, **kwargs)  # type: ignore[arg-type]
    assert time.perf_counter() - started < limit(10)  # bounded, not a timing target
    assert type(caught.value) is expected, (type(caught.value), str(caught.value))
    message = str(caught.value)
    assert __import__("re").search(words, message), message
    assert message.endswith((".", ")")) and "\n" not in message and "Traceback" not in message
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café — “quoted”".encode("cp1252"), "Café — “quoted”"),
        ("Crème brûlée".encode("latin-1"), "Crème brûlée"),
        ("日本語のテキスト".encode("utf-16"), "日本語のテキスト"),
        ("\ufeffBOM then text".encode(), "BOM then text"),
    ],
    ids=["cp1252", "latin-1", "utf-16", "utf-8-bom"],
)
def test_non_utf8_text_is_detected_not_refused(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(raw)
    assert load(path).text == expected


def test_mislabelled_but_valid_files_are_read_by_content(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(make_pdf(["INT. ROOM - DAY"]))
    (tmp_path / "b.xml").write_bytes(FDX_OK)
    (tmp_path / "c.pdf.txt").write_bytes(FDX_OK)
    assert load(tmp_path / "a.txt").format == "pdf"
    assert load(tmp_path / "b.xml").format == "fdx"
    assert load(tmp_path / "c.pdf.txt").format == "fdx"


def test_a_large_fountain_file_parses_in_linear_time(tmp_path: Path) -> None:
    """~20 feature scripts of text: bounded time and no pathological growth."""
    scene = "INT. ROOM {n} - DAY\n\nShe waits.\n\nBOB\n(quietly)\nHello there.\n\n"
    path = tmp_path / "huge.fountain"
    path.write_text("".join(scene.format(n=n) for n in range(40_000)))
    started = time.perf_counter()
    document = load(path)
    assert time.perf_counter() - started < limit(30)
    assert len(document.scenes) == 40_000


def test_compressed_text_bomb_in_a_pdf_is_bounded(tmp_path: Path) -> None:
    """A page whose content stream inflates to 200 MB is refused, not inflated into memory."""
    stream = zlib.compress(b" " * (200 * 1024 * 1024), 9)
    body = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(body, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bytes(out))
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load(path)
    assert time.perf_counter() - started < limit(20)
    assert type(caught.value) is DocumentTooLargeError
    assert "too much content" in str(caught.value)
