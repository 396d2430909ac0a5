"""Tests for logline.documents: Fountain, PDF and plain-text ingestion and every error class."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from logline.documents import (
    CorruptDocumentError,
    Document,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    UnsupportedFormatError,
    load,
)
from logline.documents.elements import ElementType
from logline.documents.fountain import fountain_document, looks_like_screenplay

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SCRIPTS = CORPUS / "scripts"


def corpus_file(relative: str) -> Path:
    path = SCRIPTS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {relative} is not present")
    return path


def make_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A minimal valid PDF: one Helvetica text object per page, one line per ``\\n``."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for index, text in enumerate(pages):
        operators = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            operators.append(f"({escaped}) Tj T*")
        operators.append("ET")
        stream = "\n".join(operators).encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * index)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    info = ""
    if title is not None:
        objects.append(f"<< /Title ({title}) >>".encode("latin-1"))
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n"
    out += trailer.encode() + b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def encrypted_pdf(user_password: str, owner_password: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["SECRET PAGE"]))))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SCRIPT = """\
Title:
\t_**THE HEIST**_
\tPart Two
Credit: Written by
Author: Jo Writer
Draft date: 1/1/2024

# ACT ONE

= The crew gathers.

INT. WAREHOUSE - NIGHT #12#

Rain hammers the **tin roof**. [[check the weather]]

@McCLANE
(quietly)
*We go* at _midnight_.
[[a note between the parenthetical and the line]]
Not a minute later.

BOB ^
Agreed.

/* A cut scene
EXT. ROOF - NIGHT
*/
.FLASHBACK

!INT. IS NOT A HEADING HERE.
...and then silence.

> CUT TO:
> THE END <
~Row, row, row your boat
Price: 5 \\* 3 \\_units\\_

===

EXT. STREET - DAY

A car waits.
"""


# --- Fountain parsing -------------------------------------------------------------------------


def parse_fountain(text: str) -> tuple[dict[str, str], str, list[str]]:
    """``(title_page, text, page texts)`` of Fountain source, through the document builder."""
    document = fountain_document(Path("script.fountain"), text)
    return document.title_page, document.text, [page.text for page in document.pages]


def test_title_page_fields_with_multiline_values() -> None:
    metadata, body, _ = parse_fountain(SCRIPT)
    assert metadata == {
        "title": "THE HEIST\nPart Two",
        "credit": "Written by",
        "author": "Jo Writer",
        "draft date": "1/1/2024",
    }
    assert "Jo Writer" not in body  # the title page lives in metadata only


def test_markup_removed_and_lines_kept() -> None:
    _, body, _ = parse_fountain(SCRIPT)
    lines = body.split("\n")
    assert lines[0] == "INT. WAREHOUSE - NIGHT"  # sections, synopses and scene numbers dropped
    assert "Rain hammers the tin roof." in lines
    # A note alone on its line disappears with the line, keeping the dialogue block together.
    assert "McCLANE\n(quietly)\nWe go at midnight.\nNot a minute later." in body
    assert "BOB\nAgreed." in body
    for gone in ("ACT ONE", "crew gathers", "check the weather", "ROOF", "#", "[[", "/*", "*", "^"):
        assert gone not in body.replace("5 * 3", ""), gone
    assert "FLASHBACK" in lines
    assert "INT. IS NOT A HEADING HERE." in lines
    assert "...and then silence." in lines  # an ellipsis is not a forced scene heading
    assert "CUT TO:" in lines and "THE END" in lines
    assert "Row, row, row your boat" in lines
    assert "Price: 5 * 3 _units_" in lines  # escaped markers stay literal


def test_blank_lines_separate_elements() -> None:
    _, body, _ = parse_fountain(SCRIPT)
    assert "\n\n\n" not in body
    assert "INT. WAREHOUSE - NIGHT\n\nRain hammers" in body


def test_pages_split_on_page_breaks() -> None:
    _, body, pages = parse_fountain(SCRIPT)
    assert len(pages) == 2
    assert pages[1] == "EXT. STREET - DAY\n\nA car waits."
    assert body == pages[0] + "\n\n" + pages[1]


def test_emphasis_spanning_lines_within_an_element() -> None:
    _, body, _ = parse_fountain(
        "PING\n*Sometimes a girl\ncan feel so alone.*\n\nA *star\n\nstays*."
    )
    assert body == "PING\nSometimes a girl\ncan feel so alone.\n\nA *star\n\nstays*."


def test_unpaired_markers_are_kept() -> None:
    _, body, _ = parse_fountain("He multiplies 2 * 3 and writes snake_case_names.")
    assert body == "He multiplies 2 * 3 and writes snake_case_names."


def test_no_title_page_when_script_opens_with_transition() -> None:
    metadata, body, pages = parse_fountain("FADE IN:\n\nEXT. FIELD - DAY\n\nWind.")
    assert metadata == {}
    assert body.startswith("FADE IN:\n\nEXT. FIELD - DAY")
    assert len(pages) == 1


def test_screenplay_sniffing() -> None:
    assert looks_like_screenplay("Title\n\nEXT. PARK - DAY\n\nA dog.")
    assert not looks_like_screenplay("Meeting notes\n\nInterior design budget: 5k.")
    assert not looks_like_screenplay("Notes\n\nint. lowercase is prose here")


# --- Loading text and Fountain files ----------------------------------------------------------


def test_fountain_file(tmp_path: Path) -> None:
    document = load(write(tmp_path, "heist.fountain", SCRIPT))
    assert isinstance(document, Document)
    assert document.format == "fountain"
    assert document.title == "The Heist"  # the first title line, ALL CAPS softened
    assert document.title_page["author"] == "Jo Writer"
    assert document.path == tmp_path / "heist.fountain"
    assert len(document.pages) == 2


def test_spmd_extension_is_fountain(tmp_path: Path) -> None:
    assert load(write(tmp_path, "a.spmd", "Just action.\n")).format == "fountain"


def test_txt_screenplay_is_a_screenplay_titled_from_first_line(tmp_path: Path) -> None:
    document = load(write(tmp_path, "s.txt", "My Script\n\nINT. ROOM - DAY\n\nBOB\nHi.\n"))
    assert document.format == "text" and document.is_screenplay
    assert [c.name for c in document.characters] == ["BOB"]
    assert document.title == "My Script"


def test_plain_text_with_form_feed_pages(tmp_path: Path) -> None:
    document = load(write(tmp_path, "notes.txt", "Chapter one\nIt begins.\fChapter two\n"))
    assert document.format == "text"
    assert document.title == "Chapter one"
    assert [page.text for page in document.pages] == ["Chapter one\nIt begins.", "Chapter two"]
    assert [page.label for page in document.pages] == ["1", "2"]
    assert document.kind == "generic" and document.scenes == [] and document.characters == []
    assert [element.type for element in document.elements] == [ElementType.PARAGRAPH] * 2
    assert document.text == "Chapter one\nIt begins.\n\nChapter two"
    assert document.title_page == {}


def test_markdown_is_never_sniffed_as_screenplay(tmp_path: Path) -> None:
    document = load(write(tmp_path, "plan.md", "# Plan\n\nINT. HOUSE - DAY\n\n*draft*\n"))
    assert document.format == "text"
    assert "# Plan" in document.text and "*draft*" in document.text


def test_unknown_extension_text_is_read(tmp_path: Path) -> None:
    assert load(write(tmp_path, "readme", "Hello there.")).format == "text"


def test_word_count(tmp_path: Path) -> None:
    assert load(write(tmp_path, "w.txt", "one two\nthree\n\nfour")).word_count == 4


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufeffcafé\r\nline two\rline three".encode(), "café\nline two\nline three"),
        ("“café” – naïve".encode("cp1252"), "“café” – naïve"),
        (b"caf\xe9 \x81", "café \x81"),  # 0x81 is undefined in cp1252: latin-1
        ("héllo wörld".encode("utf-16"), "héllo wörld"),
    ],
    ids=["utf8-bom-crlf", "cp1252", "latin1", "utf16"],
)
def test_decoding_and_newlines(tmp_path: Path, raw: bytes, expected: str) -> None:
    assert load(write(tmp_path, "t.txt", raw)).text == expected


def test_title_falls_back_to_file_name(tmp_path: Path) -> None:
    document = load(write(tmp_path, "night-shift.fountain", "EXT. ROAD - NIGHT\n\nFog."))
    assert document.title == "night shift"


def test_document_text_is_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    load(write(tmp_path, "secret.fountain", "INT. VAULT - NIGHT\n\nThe code is Zebra-42."))
    load(write(tmp_path, "secret.txt", "The code is Zebra-42.".encode("cp1252") + b"\xe9"))
    load(write(tmp_path, "secret.pdf", make_pdf(["The code is Zebra-42."])))
    assert "Zebra" not in caplog.text


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_pages_and_title(tmp_path: Path) -> None:
    path = write(tmp_path, "s.pdf", make_pdf(["THE HEIST\nby Jo", "INT. BANK - DAY\nBOB\nHi."]))
    document = load(path)
    assert document.format == "pdf"
    assert len(document.pages) == 2
    assert document.pages[1].text.split("\n")[:2] == ["INT. BANK - DAY", "BOB"]
    assert [page.label for page in document.pages] == ["1", "2"]
    assert document.title == "The Heist"
    # Flush-left lines in one column are no screenplay layout: a generic document.
    assert document.kind == "generic"
    assert document.text == document.pages[0].text + "\n\n" + document.pages[1].text


def test_pdf_info_title_wins_unless_placeholder(tmp_path: Path) -> None:
    assert load(write(tmp_path, "a.pdf", make_pdf(["x"], title="Real Title"))).title == "Real Title"
    assert load(write(tmp_path, "b.pdf", make_pdf(["Page Line"], title="(anonymous)"))).title == (
        "Page Line"
    )
    assert load(
        write(tmp_path, "c.pdf", make_pdf(["Page Line"], title="draft-v2_final"))
    ).title == ("Page Line")


def test_pdf_sniffed_by_content_not_extension(tmp_path: Path) -> None:
    assert load(write(tmp_path, "script.txt", make_pdf(["Hello PDF"]))).format == "pdf"


def test_encrypted_pdf_needs_password(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.pdf", encrypted_pdf("secret"))
    with pytest.raises(EncryptedPdfError, match="password-protected") as info:
        load(path)
    assert info.value.password_given is False
    assert info.value.path == path


def test_encrypted_pdf_wrong_password(tmp_path: Path) -> None:
    with pytest.raises(EncryptedPdfError, match=r"password .* is incorrect") as info:
        load(write(tmp_path, "locked.pdf", encrypted_pdf("secret")), password="guess")
    assert info.value.password_given is True


def test_encrypted_pdf_right_password(tmp_path: Path) -> None:
    document = load(write(tmp_path, "locked.pdf", encrypted_pdf("secret")), password="secret")
    assert "SECRET PAGE" in document.text


def test_owner_only_encryption_opens_without_password(tmp_path: Path) -> None:
    document = load(write(tmp_path, "restricted.pdf", encrypted_pdf("", "owner")))
    assert "SECRET PAGE" in document.text


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(NoTextLayerError, match="OCR is not supported"):
        load(write(tmp_path, "scan.pdf", buffer.getvalue()))


def test_pdf_without_pages_is_empty(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    with pytest.raises(EmptyDocumentError, match="no pages"):
        load(write(tmp_path, "nothing.pdf", buffer.getvalue()))


def test_garbage_after_pdf_header_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptDocumentError, match="damaged"):
        load(write(tmp_path, "bad.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8))


def test_pdf_extension_without_pdf_content_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptDocumentError, match="not one"):
        load(write(tmp_path, "fake.pdf", "just some text"))


def test_truncated_pdf_raises_only_document_errors(tmp_path: Path) -> None:
    data = make_pdf([f"PAGE {n}\nSome words here." for n in range(6)])
    sources = [data]
    corpus_pdf = SCRIPTS / "pdf" / "brick-and-steel.screenplain.pdf"
    if corpus_pdf.is_file():
        sources.append(corpus_pdf.read_bytes())
    for index, source in enumerate(sources):
        for cut in (len(source) // 2, len(source) // 5, 40):
            path = write(tmp_path, f"cut-{index}-{cut}.pdf", source[:cut])
            try:
                document = load(path)
            except (CorruptDocumentError, NoTextLayerError):
                continue
            assert document.text  # pypdf may recover the pages it still has


def test_pdf_page_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "long.pdf", make_pdf(["one", "two", "three"]))
    with pytest.raises(DocumentTooLargeError, match="3 pages"):
        load(path, max_pages=2)
    assert len(load(path, max_pages=3).pages) == 3


# --- Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("blank.txt", b" \n\r\n\t\n"),
        ("empty.fountain", b""),
        ("only-title-page.fountain", b"Title: Nothing Else\nAuthor: Me\n\n/* all cut */\n"),
    ],
)
def test_empty_documents(tmp_path: Path, name: str, content: bytes) -> None:
    with pytest.raises(EmptyDocumentError, match="is empty"):
        load(write(tmp_path, name, content))


FDX = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FinalDraft DocumentType="Script" Template="No" Version="4">
  <Content>
    <Paragraph Number="7" Type="Scene Heading"><Text>INT. DINER - NIGHT</Text></Paragraph>
    <Paragraph Type="Action"><Text>Rain on the glass.</Text></Paragraph>
    <Paragraph Type="Character"><Text>MAVIS(CONT'D)</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Coffee. Black.</Text></Paragraph>
  </Content>
</FinalDraft>
"""


def test_final_draft_is_sniffed_by_content(tmp_path: Path) -> None:
    for name in ("script.fdx", "script.xml", "script.txt"):
        document = load(write(tmp_path, name, FDX))
        assert document.format == "fdx" and document.is_screenplay
        assert [scene.heading for scene in document.scenes] == ["INT. DINER - NIGHT"]
        assert document.scenes[0].scene_number_label == "7"
        assert [(c.name, c.speeches, c.scenes) for c in document.characters] == [("MAVIS", 1, (1,))]
        assert "MAVIS (CONT'D)\nCoffee. Black." in document.text


def test_final_draft_errors_name_the_file(tmp_path: Path) -> None:
    empty = '<?xml version="1.0"?>\n<FinalDraft DocumentType="Script"><Content/></FinalDraft>'
    with pytest.raises(EmptyDocumentError, match="no script text") as caught:
        load(write(tmp_path, "blank.fdx", empty))
    assert caught.value.path == tmp_path / "blank.fdx"
    with pytest.raises(CorruptDocumentError, match="truncated"):
        load(write(tmp_path, "cut.fdx", FDX[: len(FDX) // 2]))
    with pytest.raises(UnsupportedFormatError, match="not a Final Draft script"):
        load(write(tmp_path, "other.fdx", "<?xml version='1.0'?><root/>"))


def test_other_xml_and_binary_are_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match="XML file"):
        load(write(tmp_path, "data.xml", "<?xml version='1.0'?><root/>"))
    with pytest.raises(UnsupportedFormatError, match="not a format Logline reads"):
        load(write(tmp_path, "script.docx", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"))


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "word " * 1000)
    with pytest.raises(DocumentTooLargeError, match="up to 1 KB"):
        load(path, max_bytes=1000)
    assert load(path, max_bytes=5000).word_count == 1000


def test_missing_file_and_directory_are_document_errors(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot be opened"):
        load(tmp_path / "missing.fountain")
    with pytest.raises(DocumentError, match="not a file"):
        load(tmp_path)


def test_error_hierarchy() -> None:
    for error in (
        EmptyDocumentError,
        UnsupportedFormatError,
        EncryptedPdfError,
        NoTextLayerError,
        CorruptDocumentError,
        DocumentTooLargeError,
    ):
        assert issubclass(error, DocumentError)
    assert DocumentError("Shown as is.").message == "Shown as is."


def test_import_is_light_and_qt_free() -> None:
    code = (
        "import sys, logline.documents; "
        "print(sorted(m for m in ('pypdf', 'PySide6') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- The shared corpus ------------------------------------------------------------------------


def test_corpus_fountain() -> None:
    document = load(corpus_file("fountain/brick-and-steel.fountain"))
    assert document.format == "fountain"
    assert document.title == "Brick & Steel"
    assert "BRICK" in document.text and "STEEL" in document.text
    assert "**" not in document.text and "_" not in document.text
    assert document.title_page["author"] == "Stu Maschwitz"
    assert "\nSNIPER SCOPE POV\n" in document.text and "\nBRICK\nScrew retirement." in document.text


def test_corpus_pdf() -> None:
    document = load(corpus_file("pdf/brick-and-steel.screenplain.pdf"))
    assert document.format == "pdf"
    assert len(document.pages) == 4
    assert "BRICK" in document.text
    assert document.title == "Brick & Steel"  # the info title "(anonymous)" is ignored


def test_corpus_txt() -> None:
    document = load(corpus_file("txt/troubled-sleep.txt"))
    assert document.format == "text" and document.is_screenplay  # a plain-text export
    assert document.title == "Troubled Sleep"
    assert "EXT. APARTMENT - DAY" in document.text
    assert "\n\n\n" not in document.text


def test_corpus_final_draft() -> None:
    document = load(corpus_file("fdx/troubled-sleep.finaldraft.fdx"))
    assert document.format == "fdx"
    assert document.title == "Troubled Sleep"
    assert {character.name for character in document.characters} == {"AUTHOR", "DOG"}


@pytest.mark.parametrize(
    "head", [b"PK\x03\x04garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", b"\x1f\x8bzz"]
)
def test_small_container_files_are_refused_not_read_as_text(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "script.docx"
    path.write_bytes(head)
    with pytest.raises(UnsupportedFormatError, match="not a format Logline reads"):
        load(path)
