"""Final Draft (.fdx) parser: paragraph types, dual dialogue, title page, hostile XML, corpus."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest

from logline.documents.elements import Element, ElementType, build_scenes
from logline.documents.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    UnsupportedFormatError,
)
from logline.documents.fdx import parse_fdx
from logline.documents.fountain_elements import parse_fountain_elements
from timing import limit

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
T = ElementType


def _fdx(body: str, title_page: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n'
        '<FinalDraft DocumentType="Script" Template="No" Version="4">\n'
        f"<Content>{body}</Content>{title_page}</FinalDraft>"
    ).encode()


def _p(kind: str, text: str, **attrs: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attrs.items())
    return f'<Paragraph Type="{kind}"{extra}><Text>{text}</Text></Paragraph>'


def _types(elements: list[Element]) -> list[ElementType]:
    return [element.type for element in elements]


def test_basic_paragraph_types() -> None:
    body = (
        _p("Scene Heading", "INT. HOUSE - DAY", Number="12A")
        + _p("Action", "Tom enters.")
        + _p("Character", "TOM (O.S.) (CONT&apos;D)")
        + _p("Parenthetical", "(quietly)")
        + _p("Dialogue", "Hello.")
        + _p("Transition", "CUT TO:")
        + _p("General", "A general line.")
        + _p("Lyrics", "La la la")
        + _p("New Act", "ACT TWO")
        + _p("End of Act", "END OF ACT TWO")
        + _p("Cast List", "TOM")
        + _p("Action", "THE END", Alignment="Center")
        + _p("Mystery Type", "Unknown becomes action.")
    )
    title, elements = parse_fdx(_fdx(body))
    assert title == {}
    assert _types(elements) == [
        T.SCENE_HEADING,
        T.ACTION,
        T.CHARACTER,
        T.PARENTHETICAL,
        T.DIALOGUE,
        T.TRANSITION,
        T.ACTION,
        T.LYRICS,
        T.SECTION,
        T.SECTION,
        T.SECTION,
        T.CENTERED,
        T.ACTION,
    ]
    heading, _, cue = elements[:3]
    assert heading.text == "INT. HOUSE - DAY" and heading.scene_number == "12A"
    assert (cue.text, cue.extension) == ("TOM", "O.S., CONT'D")
    assert elements[8].depth == 1
    scenes = build_scenes(elements)
    assert len(scenes) == 1 and scenes[0].scene_number_label == "12A"
    assert scenes[0].location == "HOUSE" and scenes[0].time_of_day == "DAY"


def test_text_runs_joined_styles_ignored_empty_skipped() -> None:
    body = (
        '<Paragraph Type="Action"><Text Style="Bold">FADE </Text>'
        '<Text Style="Underline">IN:</Text></Paragraph>'
        '<Paragraph Type="Action"><Text></Text></Paragraph>'
        '<Paragraph Type="Scene Heading"><SceneProperties Length="1/8" Page="1" Title="">'
        "<SceneArcBeats/></SceneProperties><Text>EXT. PARK - NIGHT</Text></Paragraph>"
    )
    _, elements = parse_fdx(_fdx(body))
    assert [(e.type, e.text) for e in elements] == [
        (T.ACTION, "FADE IN:"),
        (T.SCENE_HEADING, "EXT. PARK - NIGHT"),
    ]
    assert elements[1].scene_number is None


def test_shot_is_heading_only_when_it_looks_like_one() -> None:
    body = _p("Shot", "CLOSE ON THE WATCH") + _p("Shot", "EXT. ROOFTOP - CONTINUOUS")
    _, elements = parse_fdx(_fdx(body))
    assert _types(elements) == [T.ACTION, T.SCENE_HEADING]


def test_dual_dialogue() -> None:
    body = (
        _p("Action", "They argue.")
        + "<Paragraph><DualDialogue>"
        + _p("Character", "BRICK")
        + _p("Dialogue", "Screw retirement.")
        + _p("Character", "STEEL")
        + _p("Parenthetical", "(yelling)")
        + _p("Dialogue", "Never.")
        + "</DualDialogue></Paragraph>"
        + _p("Character", "BRICK")
        + _p("Dialogue", "Fine.")
    )
    _, elements = parse_fdx(_fdx(body))
    assert _types(elements) == [
        T.ACTION,
        T.CHARACTER,
        T.DIALOGUE,
        T.CHARACTER,
        T.PARENTHETICAL,
        T.DIALOGUE,
        T.CHARACTER,
        T.DIALOGUE,
    ]
    assert [e.dual for e in elements] == [False, True, True, True, True, True, False, False]


def test_title_page() -> None:
    title_page = (
        "<TitlePage><Content>"
        '<Paragraph Alignment="Left"><Text></Text></Paragraph>'
        '<Paragraph Alignment="Center"><Text Style="Underline">Big Fish</Text></Paragraph>'
        '<Paragraph Alignment="Center"><Text>written by</Text></Paragraph>'
        '<Paragraph Alignment="Center"><Text>John August</Text></Paragraph>'
        '<Paragraph Alignment="Center"><Text>based on the novel by Daniel Wallace</Text>'
        "</Paragraph>"
        '<Paragraph Alignment="Left"><Text>Draft 2003</Text></Paragraph>'
        "</Content></TitlePage>"
    )
    title, _ = parse_fdx(_fdx(_p("Action", "Text."), title_page))
    assert title["title"] == "Big Fish"
    assert title["credit"] == "written by"
    assert title["author"] == "John August"
    assert title["source"] == "based on the novel by Daniel Wallace"
    assert title["raw"].splitlines() == [
        "Big Fish",
        "written by",
        "John August",
        "based on the novel by Daniel Wallace",
        "Draft 2003",
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&lol9;</Text></Paragraph></Content>
</FinalDraft>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE FinalDraft [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&secret;</Text></Paragraph></Content>
</FinalDraft>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE FinalDraft SYSTEM "http://example.invalid/evil.dtd">
<FinalDraft><Content><Paragraph Type="Action"><Text>Hi</Text></Paragraph></Content>
</FinalDraft>"""


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["bomb", "entity", "dtd"]
)
def test_hostile_xml_is_refused_quickly(data: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(CorruptDocumentError, match="refuses to expand") as info:
        parse_fdx(data, name="evil.fdx")
    elapsed = time.perf_counter() - start
    assert elapsed < limit(1.0)
    assert str(info.value).startswith('"evil.fdx" declares a DTD or XML entities')


def test_truncated_xml_is_corrupt() -> None:
    data = _fdx(_p("Action", "Some text.") * 3)[:-40]
    with pytest.raises(CorruptDocumentError, match="damaged or truncated"):
        parse_fdx(data, name="cut.fdx")


def test_not_xml_is_corrupt() -> None:
    with pytest.raises(CorruptDocumentError):
        parse_fdx(b"INT. HOUSE - DAY\n\nNot XML at all.")


def test_other_xml_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormatError, match="not a Final Draft script"):
        parse_fdx(b"<html><body><p>Hi</p></body></html>", name="page.xml")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"  \n ",
        b'<FinalDraft DocumentType="Script"/>',
        _fdx('<Paragraph Type="Action"><Text>  </Text></Paragraph>'),
    ],
)
def test_empty(data: bytes) -> None:
    with pytest.raises(EmptyDocumentError):
        parse_fdx(data)


# --- corpus (read from ../shared/corpus when present; nothing is copied into the repo) -------


def _need(*paths: Path) -> None:
    missing = [path for path in paths if not path.is_file()]
    if missing:
        pytest.skip(f"corpus file absent: {missing[0]}")


def _speakers(elements: list[Element]) -> set[str]:
    return {" ".join(e.text.upper().split()) for e in elements if e.type is T.CHARACTER}


@pytest.mark.parametrize(
    ("fdx_name", "fountain_name"),
    [
        ("big-fish.finaldraft11.fdx", "big-fish.fountain"),
        ("troubled-sleep.finaldraft.fdx", "troubled-sleep.fountain"),
    ],
)
def test_corpus_cross_format(fdx_name: str, fountain_name: str) -> None:
    fdx_path = CORPUS / "scripts" / "fdx" / fdx_name
    fountain_path = CORPUS / "scripts" / "fountain" / fountain_name
    _need(fdx_path, fountain_path)
    start = time.perf_counter()
    _, fdx_elements = parse_fdx(fdx_path.read_bytes(), name=fdx_name)
    elapsed = time.perf_counter() - start
    _, fountain_elements = parse_fountain_elements(fountain_path.read_text(encoding="utf-8-sig"))
    fdx_scenes = len(build_scenes(fdx_elements))
    fountain_scenes = len(build_scenes(fountain_elements))
    fdx_names, fountain_names = _speakers(fdx_elements), _speakers(fountain_elements)
    differences = sorted(fdx_names ^ fountain_names)
    print(
        f"\n[fdx] {fdx_name}: {len(fdx_elements)} elements in {elapsed * 1000:.1f} ms; "
        f"scenes fdx={fdx_scenes} fountain={fountain_scenes}; speakers fdx={len(fdx_names)} "
        f"fountain={len(fountain_names)}; differing={differences}"
    )
    assert abs(fdx_scenes - fountain_scenes) <= 2
    assert len(differences) <= 2, (
        f"speaking characters differ beyond tolerance: only in FDX "
        f"{sorted(fdx_names - fountain_names)}, only in Fountain "
        f"{sorted(fountain_names - fdx_names)}"
    )


def _peer_pairs() -> list[str]:
    folder = CORPUS / "peer-tests" / "scripttool"
    return [f"sample-0{n}" for n in range(1, 5)] if folder.is_dir() else ["absent"]


@pytest.mark.parametrize("stem", _peer_pairs())
def test_corpus_peer_type_sequences(stem: str) -> None:
    folder = CORPUS / "peer-tests" / "scripttool"
    fdx_path, fountain_path = folder / f"{stem}.fdx", folder / f"{stem}.fountain"
    _need(fdx_path, fountain_path)
    _, fdx_elements = parse_fdx(fdx_path.read_bytes(), name=fdx_path.name)
    _, fountain_elements = parse_fountain_elements(fountain_path.read_text(encoding="utf-8-sig"))
    # FDX has no explicit page-break elements; compare everything else.
    fdx_types = [e.type.value for e in fdx_elements if e.type is not T.PAGE_BREAK]
    fountain_types = [e.type.value for e in fountain_elements if e.type is not T.PAGE_BREAK]
    matcher = difflib.SequenceMatcher(None, fdx_types, fountain_types, autojunk=False)
    agreement = matcher.ratio()
    differing = [
        (tag, fdx_types[i1:i2], fountain_types[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    print(
        f"\n[fdx] {stem}: {len(fdx_types)} vs {len(fountain_types)} elements, type agreement "
        f"{agreement:.1%}; differences {differing}"
    )
    assert agreement >= 0.85, differing


_SPT = "peer-tests/screenplay-tools/"
_AW = "peer-tests/afterwriting/screenplays/fdx/"
_ST = "peer-tests/scripttool/"


def _peer_pair_paths() -> list[tuple[str, str]]:
    """More FDX/Fountain pairs of the same content (corpus-relative paths)."""
    return [
        (f"{_SPT}TestFDX-FD.fdx", f"{_SPT}TestFDX-FD.fountain"),
        (f"{_SPT}TestFDX-FI.fdx", f"{_SPT}TestFDX-FI.fountain"),
        (f"{_ST}testplay-01b.fdx", "scripts/fountain/testplay-01.fountain"),
        (
            "scripts/fdx/writers-block-sample-06.finaldraft.fdx",
            "scripts/fountain/writers-block-sample-06.fountain",
        ),
        (f"{_AW}header_note.fdx", f"{_AW}header_note.fountain"),
        (f"{_AW}synopsis.fdx", f"{_AW}synopsis.fountain"),
    ]


@pytest.mark.parametrize(("fdx_rel", "fountain_rel"), _peer_pair_paths())
def test_corpus_more_pairs_types_and_text(fdx_rel: str, fountain_rel: str) -> None:
    fdx_path, fountain_path = CORPUS / fdx_rel, CORPUS / fountain_rel
    _need(fdx_path, fountain_path)
    _, fdx_elements = parse_fdx(fdx_path.read_bytes(), name=fdx_path.name)
    _, fountain_elements = parse_fountain_elements(fountain_path.read_text(encoding="utf-8-sig"))

    def items(elements: list[Element]) -> list[tuple[str, str]]:
        return [
            (e.type.value, " ".join(e.text.split())) for e in elements if e.type is not T.PAGE_BREAK
        ]

    fdx_items, fountain_items = items(fdx_elements), items(fountain_elements)
    matcher = difflib.SequenceMatcher(None, fdx_items, fountain_items, autojunk=False)
    differing = [
        (fdx_items[i1:i2], fountain_items[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    ratio = matcher.ratio()
    print(f"\n[fdx] {fdx_path.name}: type+text agreement {ratio:.1%}; {len(differing)} diffs")
    assert matcher.ratio() >= 0.85, differing


# --- title page ----------------------------------------------------------------------------------


def _title_xml(*paragraphs: tuple[str, str]) -> str:
    body = "".join(
        f'<Paragraph Alignment="{alignment}"><Text>{text}</Text></Paragraph>'
        for alignment, text in paragraphs
    )
    return f"<TitlePage><Content>{body}</Content></TitlePage>"


def test_title_page_corner_blocks_and_keys() -> None:
    blank = ("Left", "")
    title_page = _title_xml(
        *[blank] * 16,
        ("Center", "The Long Night"),
        ("Center", "Part One"),
        blank,
        ("Center", "Screenplay by"),
        blank,
        ("Center", "A. Writer"),
        ("Center", "&amp;"),
        ("Center", "B. Writer"),
        blank,
        ("Center", "Based on the play by C. Author"),
        *[blank] * 15,
        ("Left", "Copyright (c) 2031"),
        ("Right", "Blue Revision"),
        ("Left", "Agency Name\tMay 3, 2031"),
        ("Left", "555-0100"),
    )
    title, _ = parse_fdx(_fdx(_p("Action", "Text."), title_page))
    assert title["title"] == "The Long Night\nPart One"
    assert title["credit"] == "Screenplay by"
    assert title["author"] == "A. Writer\n&\nB. Writer"
    assert title["source"] == "Based on the play by C. Author"
    assert title["copyright"] == "Copyright (c) 2031"
    assert title["draft date"] == "Blue Revision\nMay 3, 2031"
    assert title["contact"] == "Agency Name\n555-0100"
    assert title["raw"].splitlines()[0] == "The Long Night"


def test_title_page_without_credit_and_later_pages() -> None:
    blank = ("Left", "")
    title_page = _title_xml(
        ("Left", "A left-aligned first line"),
        ("Center", "Centered Title"),
        ("Left", "Contact Person"),
        *[blank] * 60,  # pushes what follows onto a second title page
        ("Left", "CAST"),
        ("Left", "ALAN\tA character description"),
    )
    title, _ = parse_fdx(_fdx(_p("Action", "Text."), title_page))
    assert title["title"] == "Centered Title"
    assert "credit" not in title and "author" not in title
    assert title["contact"] == "A left-aligned first line\nContact Person"
    assert "CAST" in title["raw"] and "CAST" not in title.get("contact", "")


def test_title_page_no_centered_lines_uses_first_line() -> None:
    title_page = _title_xml(("Left", "Only Line"))
    title, _ = parse_fdx(_fdx(_p("Action", "Text."), title_page))
    assert title["title"] == "Only Line"


@pytest.mark.parametrize(
    ("fdx_rel", "fountain_rel"),
    [
        ("scripts/fdx/troubled-sleep.finaldraft.fdx", "scripts/fountain/troubled-sleep.fountain"),
        (
            "scripts/fdx/writers-block-sample-06.finaldraft.fdx",
            "scripts/fountain/writers-block-sample-06.fountain",
        ),
        (f"{_ST}sample-03.fdx", f"{_ST}sample-03.fountain"),
        (f"{_ST}sample-04.fdx", f"{_ST}sample-04.fountain"),
        (f"{_SPT}TestFDX-FI.fdx", f"{_SPT}TestFDX-FI.fountain"),
    ],
)
def test_corpus_title_page_matches_fountain(fdx_rel: str, fountain_rel: str) -> None:
    """Final Draft's positioned title page yields the keys the Fountain twin states."""
    fdx_path, fountain_path = CORPUS / fdx_rel, CORPUS / fountain_rel
    _need(fdx_path, fountain_path)
    fdx_title, _ = parse_fdx(fdx_path.read_bytes(), name=fdx_path.name)
    fountain_title, _ = parse_fountain_elements(fountain_path.read_text(encoding="utf-8-sig"))
    keys = {"title", "author", "draft date", "copyright", "contact"} & set(fountain_title)
    assert keys >= {"title", "author"}
    for key in sorted(keys):
        assert fdx_title.get(key, "").split() == fountain_title[key].split(), key


def test_corpus_title_page_real_final_draft_layouts() -> None:
    """Real Final Draft title pages: Big Fish (source line), Power Betas (right-aligned draft
    block and a cast page), jumpcut's multi-page one (tab-separated contact/draft columns)."""
    from defusedxml.ElementTree import fromstring

    from logline.documents.fdx import _title_page

    paths = [
        CORPUS / "scripts" / "fdx" / "big-fish.finaldraft11.fdx",
        CORPUS / "scripts" / "fdx" / "the-power-betas.pilot-excerpt.finaldraft.fdx",
        CORPUS / "peer-tests" / "jumpcut" / "fdx-import" / "title-pages-multi.fdx",
    ]
    _need(*paths)
    big_fish, betas, multi = (_title_page(fromstring(path.read_bytes())) for path in paths)
    assert set(big_fish) == {"title", "credit", "author", "source", "raw"}
    assert set(betas) == {"title", "credit", "author", "draft date", "raw"}
    assert betas["title"].count("\n") == 1 and betas["draft date"].count("\n") == 1
    assert set(multi) == {"title", "credit", "author", "source", "contact", "draft date", "raw"}
    assert multi["contact"].count("\n") == 1 and multi["draft date"].count("\n") == 1
    assert "\t" not in multi["contact"] + multi["draft date"]
    # the cast page / writers' note (page 2) stays in raw only
    for fields in (betas, multi):
        pieces = [value for key, value in fields.items() if key != "raw"]
        assert len(fields["raw"]) > sum(map(len, pieces)) + 100


def test_script_notes_and_summaries() -> None:
    note = '<ScriptNote ID="1"><Paragraph><Text>Check this.</Text></Paragraph></ScriptNote>'
    summary = (
        "<SceneProperties><Summary><Paragraph><Text>What happens.</Text></Paragraph></Summary>"
        "</SceneProperties>"
    )
    body = (
        f'<Paragraph Type="Scene Heading">{summary}<Text>INT. ROOM - DAY</Text></Paragraph>'
        f'<Paragraph Type="Action">{note}<Text>She waits.</Text></Paragraph>'
        f'<Paragraph Type="Character">{note}<Text>ANN</Text></Paragraph>'
        + _p("Dialogue", "Hi.")
        + _p("Action", "Done.")
    )
    _, elements = parse_fdx(_fdx(body))
    assert _types(elements) == [
        T.SCENE_HEADING, T.SYNOPSIS, T.ACTION, T.NOTE, T.CHARACTER, T.DIALOGUE, T.NOTE, T.ACTION,
    ]  # fmt: skip
    assert elements[1].text == "What happens." and elements[3].text == "Check this."
