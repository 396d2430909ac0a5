"""Property tests: the Fountain and FDX parsers never crash, keep their output invariants, and
stay linear on adversarial input.

Inputs are built from format-significant fragments (not from any corpus file). Hypothesis runs
derandomized with bounded example counts so the file stays well under 15 s on a 2-core machine.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logline.documents.elements import Element, ElementType, build_scenes
from logline.documents.errors import DocumentError
from logline.documents.fdx import parse_fdx
from logline.documents.fountain_elements import clean_emphasis, parse_fountain_elements
from timing import limit

T = ElementType
_SPOKEN = {T.PARENTHETICAL, T.DIALOGUE, T.LYRICS}
_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

# The reference emphasis remover: the regular expressions Logline used before the linear scanner.
# Paired emphasis may span lines within one element (a blank line ends it), as in lyrics.
_SPAN = r"(?=\S)((?:(?!\n\n).)+?)(?<=\S)"
_EMPHASIS = tuple(
    re.compile(pattern, re.DOTALL)
    for pattern in (
        rf"\*\*\*{_SPAN}\*\*\*",  # bold italic
        rf"\*\*{_SPAN}\*\*",  # bold
        rf"\*{_SPAN}\*",  # italic
        rf"(?<!\w)_{_SPAN}_(?!\w)",  # underline
    )
)
# Escaped markers survive emphasis removal as private-use placeholders.
_ESCAPES = (("\\*", "\ue000", "*"), ("\\_", "\ue001", "_"))


def reference_clean_inline(text: str) -> str:
    """Remove paired emphasis markers, keeping escaped ``\\*`` and ``\\_`` as literal characters."""
    for escaped, placeholder, _ in _ESCAPES:
        text = text.replace(escaped, placeholder)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    for _, placeholder, literal in _ESCAPES:
        text = text.replace(placeholder, literal)
    return text


# --- invariants shared by both parsers -----------------------------------------------------------


def check_invariants(elements: list[Element]) -> None:
    """Output invariants every parser must keep, whatever the input."""
    for index, element in enumerate(elements):
        assert isinstance(element.text, str)
        if element.type is T.PAGE_BREAK:
            assert element.text == ""
            continue
        assert element.text.strip(), f"empty {element.type.value} at {index}"
        assert "\x00" not in element.text and "\ue000" not in element.text  # internal markers
        if element.type is T.CHARACTER:
            assert element.text.strip(), "character cue without a name"
            following = elements[index + 1].type if index + 1 < len(elements) else None
            assert following in _SPOKEN, f"cue at {index} followed by {following}"
    scenes = build_scenes(elements)
    headings = [i for i, e in enumerate(elements) if e.type is T.SCENE_HEADING]
    covered = [i for scene in scenes for i in range(scene.first_element, scene.last_element + 1)]
    expected = list(range(headings[0], len(elements))) if headings else []
    assert covered == expected, "scenes must cover every element after the first heading once"


# --- Fountain ------------------------------------------------------------------------------------

_FOUNTAIN_PIECES = (
    "INT. HOUSE - DAY", "EXT. PARK", "INT./EXT. CAR", "I/E TRAIN", "EST", "int. x", ".", "..",
    ".FORCED", "!", "!ACTION", "@", "@McNAME", "BOB", "BOB (V.O.)", "ANN ^", "^", "(", ")",
    "(beat)", ">", "<", "> CENTER <", "CUT TO:", "~", "~la la", "#", "##", "=", "= synopsis",
    "===", "====", "/*", "*/", "[[", "]]", "[[note]]", "*", "**", "***", "_", "\\*", "\\_",
    "Title:", "Title: X", "Author: Y", "Draft date:", "Contact:", "#1A#", "  ", "    ", "\t",
    "\n", "\n\n", "\r\n", "\r", "\f", "\ufeff", "word", "Hello there.", "é", "日本語", "😀",
    "\u200b", "\u2028", "x" * 300,
)  # fmt: skip
_SEPARATORS = ("", " ", "\n", "\n\n")
fountain_text = st.lists(
    st.tuples(st.sampled_from(_FOUNTAIN_PIECES), st.sampled_from(_SEPARATORS)), max_size=80
).map(lambda pairs: "".join(piece + sep for piece, sep in pairs))


@settings(max_examples=400, **_SETTINGS)
@given(fountain_text)
def test_fountain_fragments_never_raise(source: str) -> None:
    metadata, elements = parse_fountain_elements(source)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    check_invariants(elements)


@settings(max_examples=150, **_SETTINGS)
@given(st.text(max_size=400) | st.just("\x00note:7\n\nx\x00"))
def test_fountain_arbitrary_text_never_raises(source: str) -> None:
    _, elements = parse_fountain_elements(source)
    check_invariants(elements)


@settings(max_examples=300, **_SETTINGS)
@given(st.text(alphabet=st.sampled_from(["*", "_", "a", " ", "\n", "\\", "é", "1"]), max_size=40))
def test_linear_emphasis_matches_reference(text: str) -> None:
    """The linear emphasis remover gives exactly what the regex reference gives."""
    assert clean_emphasis(text) == reference_clean_inline(text)


_FOUNTAIN_ADVERSARIAL = {
    "unclosed-italics": "*a " * 70_000,
    "unclosed-bold": "**a " * 50_000,
    "unclosed-underline": "_a " * 70_000,
    "boneyard-openers": "/*" * 100_000,
    "boneyard-closers": "*/" * 100_000,
    "note-openers": "[[" * 100_000,
    "notes-over-blank-lines": "[[a\n\n" * 40_000 + "]]",
    "inline-spans-one-line": "a /*b*/ [[c]] " * 15_000,
    "cue-lines": "BOB\n" * 50_000,
    "dual-pairs": "ANN\nhi\n\nBOB ^\nho\n\n" * 11_000,
    "two-space-dialogue": "BOB\nhi\n" + "  \n" * 67_000,
    "title-page": "Title: " + "*a " * 67_000,
    "long-line": "x" * 200_000,
    "carriage-returns": "\r" * 200_000,
}


@pytest.mark.parametrize("name", list(_FOUNTAIN_ADVERSARIAL))
def test_fountain_linear_time(name: str) -> None:
    source = _FOUNTAIN_ADVERSARIAL[name]
    assert len(source) >= 190_000
    start = time.perf_counter()
    _, elements = parse_fountain_elements(source)
    elapsed = time.perf_counter() - start
    assert elapsed < limit(2.0), f"{name}: {elapsed:.2f} s for {len(source)} chars"
    check_invariants(elements)


# --- FDX -----------------------------------------------------------------------------------------

_TYPES = (
    "Scene Heading", "Action", "Character", "Parenthetical", "Dialogue", "Transition", "General",
    "Shot", "Lyrics", "New Act", "Cast List", "", "Bogus",
)  # fmt: skip
_TEXTS = (
    "INT. HOUSE - DAY", "BOB (V.O.)", "(beat)", "Hello.", "", "  ", "@", "^", "&amp;", "&lt;x&gt;",
    "CUT TO:", "é 日本", "&#x1F600;", "a\nb", "(", "x" * 200,
)  # fmt: skip


def _paragraph(kind: str, text: str, extra: str = "") -> str:
    type_attr = f' Type="{kind}"' if kind else ""
    return f"<Paragraph{type_attr}>{extra}<Text>{text}</Text></Paragraph>"


_paragraphs = st.builds(_paragraph, st.sampled_from(_TYPES), st.sampled_from(_TEXTS))
_special = st.sampled_from(
    [
        "<Paragraph><DualDialogue>"
        + _paragraph("Character", "ANN")
        + _paragraph("Dialogue", "Hi.")
        + "</DualDialogue></Paragraph>",
        _paragraph("Action", "Note here.", '<ScriptNote><Paragraph><Text>n</Text></Paragraph>'
                   "</ScriptNote>"),
        _paragraph("Scene Heading", "EXT. X", "<SceneProperties><Summary><Paragraph><Text>s"
                   "</Text></Paragraph></Summary></SceneProperties>"),
        '<Paragraph Type="Action" Alignment="Center"><Text>THE END</Text></Paragraph>',
        '<Paragraph Type="Scene Heading" Number="12A"><Text>INT. A</Text></Paragraph>',
        "<Paragraph/>",
        "<Text>stray</Text>",
    ]
)  # fmt: skip
_title = st.lists(
    st.builds(
        lambda align, text: f'<Paragraph Alignment="{align}"><Text>{text}</Text></Paragraph>',
        st.sampled_from(["Center", "Left", "Right", "Full", ""]),
        st.sampled_from(["Title", "Written by", "by", "A. Writer", "Draft\tMay 1, 2020", ""]),
    ),
    max_size=12,
)


def _document(paragraphs: list[str], title: list[str], root: str) -> bytes:
    title_page = f"<TitlePage><Content>{''.join(title)}</Content></TitlePage>" if title else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} DocumentType="Script"><Content>{"".join(paragraphs)}</Content>'
        f"{title_page}</{root}>"
    ).encode()


fdx_documents = st.builds(
    _document,
    st.lists(st.one_of(_paragraphs, _special), max_size=40),
    _title,
    st.sampled_from(["FinalDraft", "FinalDraft", "FinalDraft", "Other"]),
)


def _parse_fdx_checked(data: bytes) -> None:
    try:
        title, elements = parse_fdx(data, name="fuzz.fdx")
    except DocumentError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in title.items())
    assert elements
    check_invariants(elements)


@settings(max_examples=300, **_SETTINGS)
@given(fdx_documents)
def test_fdx_fragments(data: bytes) -> None:
    _parse_fdx_checked(data)


@settings(max_examples=300, **_SETTINGS)
@given(
    fdx_documents,
    st.lists(
        st.tuples(
            st.sampled_from(["cut", "flip", "insert", "delete"]),
            st.integers(min_value=0, max_value=10**6),
            st.sampled_from([b"<", b">", b"&", b"\x00", b"\xff", b"</Content>", b"<!DOCTYPE x>",
                             b"<!ENTITY a 'b'>", b"&a;", b"]]>", b"<![CDATA[", b'"', b"\r\n"]),
        ),
        min_size=1,
        max_size=4,
    ),
)  # fmt: skip
def test_fdx_mutated_bytes(data: bytes, mutations: list[tuple[str, int, bytes]]) -> None:
    """Truncated, bit-flipped and spliced FDX raises a DocumentError or parses cleanly."""
    buffer = bytearray(data)
    for kind, at, piece in mutations:
        at %= max(1, len(buffer))
        if kind == "cut":
            del buffer[at:]
        elif kind == "flip" and buffer:
            buffer[at] ^= 0x55
        elif kind == "insert":
            buffer[at:at] = piece
        else:
            del buffer[at : at + len(piece) * 7]
    _parse_fdx_checked(bytes(buffer))


@settings(max_examples=100, **_SETTINGS)
@given(st.binary(max_size=300))
def test_fdx_arbitrary_bytes(data: bytes) -> None:
    _parse_fdx_checked(data)


def test_fdx_deep_nesting_is_refused_or_parsed() -> None:
    depth = 5_000
    nested = "<Paragraph><DualDialogue>" * depth + "</DualDialogue></Paragraph>" * depth
    data = _document([nested, _paragraph("Action", "Hi.")], [], "FinalDraft")
    start = time.perf_counter()
    _parse_fdx_checked(data)
    assert time.perf_counter() - start < limit(2.0)


def test_fdx_linear_time() -> None:
    paragraphs = [
        _paragraph("Character", "BOB") + _paragraph("Dialogue", "Hi " * 20) for _ in range(2_000)
    ]
    data = _document(paragraphs, [], "FinalDraft")
    assert len(data) >= 200_000
    start = time.perf_counter()
    _, elements = parse_fdx(data)
    assert time.perf_counter() - start < limit(2.0)
    check_invariants(elements)
