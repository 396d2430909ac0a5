"""The document model built from elements: scenes, characters, pages, model text, inspect."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import offline_cli
from logline.cli import main
from logline.documents import load
from logline.documents.elements import Element, ElementType
from logline.documents.outline import outline
from logline.documents.paginate import LINES_PER_PAGE, estimate_pages
from logline.documents.render import cue_text, render_elements
from logline.documents.structure import build_characters, character_key, screenplay_document

E = ElementType

SCRIPT = """\
Title: Night Shift
Author: Jo Writer

INT. DINER - NIGHT #1#

MAVIS pours coffee.

MAVIS (V.O.)
(tired)
Another night.
Same faces.

CARL
Refill.

EXT. PARKING LOT - NIGHT #2#

Rain.

CARL
Mavis?

MAVIS ^
Go home, Carl.

===

INT. DINER - LATER

Empty booths.

MAVIS (cont'd)
Nobody.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_scenes_characters_and_title(tmp_path: Path) -> None:
    document = load(write(tmp_path, "night.fountain", SCRIPT))
    assert document.kind == "screenplay" and document.is_screenplay
    assert document.title == "Night Shift"
    assert document.title_page == {"title": "Night Shift", "author": "Jo Writer"}
    assert [(s.number, s.scene_number_label, s.int_ext, s.location, s.time_of_day)
            for s in document.scenes] == [
        (1, "1", "INT.", "DINER", "NIGHT"),
        (2, "2", "EXT.", "PARKING LOT", "NIGHT"),
        (3, None, "INT.", "DINER", "LATER"),
    ]  # fmt: skip
    characters = {c.name: c for c in document.characters}
    # "MAVIS (cont'd)" is the same speaker as "MAVIS (V.O.)"; dual dialogue counts too.
    assert characters["MAVIS"].speeches == 3
    assert characters["MAVIS"].scenes == (1, 2, 3)
    assert characters["MAVIS"].words == 4 + 3 + 1  # dialogue only, not the parenthetical
    assert characters["CARL"].speeches == 2 and characters["CARL"].scenes == (1, 2)
    assert [c.name for c in document.characters] == ["MAVIS", "CARL"]  # most speeches first


def test_model_text_keeps_speeches_together(tmp_path: Path) -> None:
    document = load(write(tmp_path, "night.fountain", SCRIPT))
    assert document.text.startswith("INT. DINER - NIGHT\n\nMAVIS pours coffee.\n\n")
    assert "MAVIS (V.O.)\n(tired)\nAnother night.\nSame faces.\n\nCARL\nRefill." in document.text
    assert "Jo Writer" not in document.text and "#1#" not in document.text
    assert document.scene_text(document.scenes[1]).startswith("EXT. PARKING LOT - NIGHT")


def test_forced_page_break_and_page_labels(tmp_path: Path) -> None:
    document = load(write(tmp_path, "night.fountain", SCRIPT))
    assert document.page_source == "estimated"
    assert [page.label for page in document.pages] == ["1", "2"]
    assert [s.page_start for s in document.scenes] == [1, 1, 2]
    # The forced break closing scene 2 does not stretch that scene onto page 2.
    assert [s.page_end for s in document.scenes] == [1, 1, 2]
    assert document.pages[1].text.startswith("INT. DINER - LATER")
    assert document.page_label(2) == "2" and document.page_label(3) is None


def test_cue_text_and_hidden_elements() -> None:
    cue = Element(E.CHARACTER, "MOM", extension="O.S., CONT'D")
    assert cue_text(cue) == "MOM (O.S.) (CONT'D)"
    elements = [
        Element(E.SECTION, "ACT ONE", depth=1),
        Element(E.SYNOPSIS, "They meet."),
        Element(E.SCENE_HEADING, "INT. ROOM - DAY"),
        Element(E.NOTE, "fix this"),
        cue,
        Element(E.DIALOGUE, "Dinner!"),
        Element(E.TRANSITION, "CUT TO:"),
        Element(E.PARENTHETICAL, "(stray)"),  # not after a cue: a block of its own
    ]
    assert render_elements(elements) == (
        "INT. ROOM - DAY\n\nMOM (O.S.) (CONT'D)\nDinner!\n\nCUT TO:\n\n(stray)"
    )


def test_character_identity_and_speech_boundaries() -> None:
    assert character_key(" dr.  Bennett: ") == "DR. BENNETT"
    elements = [
        Element(E.SCENE_HEADING, "INT. A - DAY"),
        Element(E.CHARACTER, "ANA"),
        Element(E.DIALOGUE, "one two"),
        Element(E.ACTION, "She leaves."),
        Element(E.DIALOGUE, "orphan words do not count"),
        Element(E.CHARACTER, "  "),  # an empty cue names nobody
        Element(E.DIALOGUE, "nor these"),
    ]
    from logline.documents.elements import build_scenes

    [ana] = build_characters(elements, build_scenes(elements))
    assert (ana.name, ana.speeches, ana.words, ana.scenes) == ("ANA", 1, 2, (1,))


def test_pagination_fills_pages_and_keeps_headings_with_what_follows() -> None:
    action = Element(E.ACTION, "Line.")
    # Each action costs its line plus one blank: 55 lines hold 28 actions.
    pages = estimate_pages([action] * 60)
    assert pages.count(1) == (LINES_PER_PAGE + 1) // 2
    assert pages[-1] == 3
    # A heading that would be the last line of a page moves to the next one.
    filler = [action] * 27  # 53 lines used
    heading = Element(E.SCENE_HEADING, "INT. HALL - DAY")
    assert estimate_pages([*filler, heading, action])[-2:] == [2, 2]
    # A long speech splits across pages instead of leaving the page empty.
    speech = [Element(E.CHARACTER, "BOB"), Element(E.DIALOGUE, "word " * 400)]
    assert estimate_pages([*filler[:10], *speech]) == [1] * 12


def test_pdf_style_pages_keep_their_labels() -> None:
    elements = [
        Element(E.SCENE_HEADING, "INT. A - DAY", page=2),
        Element(E.ACTION, "Go.", page=3),
    ]
    document = screenplay_document(
        Path("s.pdf"), "pdf", {}, elements, page_labels=["1", "1", "2"], fallback_title="Info"
    )
    assert document.title == "Info" and document.page_source == "printed"
    assert [page.label for page in document.pages] == ["1", "1", "2"]
    assert document.scenes[0].page_start == 2 and document.scenes[0].page_end == 3
    assert outline(document)["scenes"][0]["page_end"] == "2"


def test_generic_text_is_paragraphs(tmp_path: Path) -> None:
    document = load(write(tmp_path, "memo.txt", "Budget\n\nWe spent 5k.\nOn lights.\f\nThanks."))
    assert document.kind == "generic" and not document.is_screenplay
    assert [(e.type, e.text, e.page) for e in document.elements] == [
        (E.PARAGRAPH, "Budget", 1),
        (E.PARAGRAPH, "We spent 5k.\nOn lights.", 1),
        (E.PARAGRAPH, "Thanks.", 2),
    ]
    assert document.scenes == [] and document.characters == []


def test_outline_json_is_complete(tmp_path: Path) -> None:
    document = load(write(tmp_path, "night.fountain", SCRIPT))
    data = outline(document, elements=True)
    json.dumps(data)  # serialisable
    assert data["kind"] == "screenplay" and data["pages"]["count"] == 2
    assert data["scenes"][1]["heading"] == "EXT. PARKING LOT - NIGHT"
    assert data["characters"][0] == {
        "name": "MAVIS",
        "speeches": 3,
        "words": 8,
        "scenes": [1, 2, 3],
    }
    cues = [e for e in data["elements"] if e["type"] == "character"]
    assert cues[0]["extension"] == "V.O." and cues[3].get("dual") is True


def test_inspect_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "night.fountain", SCRIPT)
    assert main(["inspect", str(path), "--scenes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Night Shift  (fountain, screenplay)")
    assert "- Scenes: 3 (INT. 2, EXT. 1)" in out and "- Speaking characters: 2" in out
    assert "| MAVIS | 3 | 8 | 3 | Sc. 1, p. 1 |" in out and "p.    2  INT. DINER - LATER" in out
    assert main(["inspect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Night Shift"
    assert main(["inspect", str(tmp_path / "missing.pdf")]) == 1
    assert "cannot be opened" in capsys.readouterr().err


def test_inspect_runs_offline_in_a_subprocess(tmp_path: Path) -> None:
    path = write(tmp_path, "night.fountain", SCRIPT)
    result = offline_cli.run(tmp_path, "inspect", str(path), "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["scenes"]) == 3


def test_structure_logging_never_contains_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    load(write(tmp_path, "night.fountain", SCRIPT.replace("Refill.", "Zebra-42.")))
    assert "Zebra" not in caplog.text and "MAVIS" not in caplog.text


def test_indented_text_export_loads_as_a_screenplay(tmp_path: Path) -> None:
    import pdf_factory

    path = tmp_path / "last-train.txt"
    path.write_text(pdf_factory.text_export(pdf_factory.screenplay_pages()), encoding="utf-8")
    document = load(path)
    assert document.format == "text" and document.is_screenplay
    assert document.title == "The Last Train"
    assert document.title_page["author"] == "Jane Doe"
    assert document.scenes and document.scenes[0].heading == "INT. STATION PLATFORM - NIGHT"
    assert document.page_source == "estimated"
    # The same pages as a PDF give the same scenes and speakers.
    pdf = tmp_path / "last-train.pdf"
    pdf.write_bytes(pdf_factory.build_pdf(pdf_factory.screenplay_pages()))
    from_pdf = load(pdf)
    assert [s.heading for s in from_pdf.scenes] == [s.heading for s in document.scenes]
    assert {c.name for c in from_pdf.characters} == {c.name for c in document.characters}


def test_sung_lines_belong_to_the_speech_and_i_e_headings_split() -> None:
    from logline.documents.elements import split_heading

    assert split_heading("I./E. TRUCK - MOVING") == ("INT./EXT.", "TRUCK", "MOVING")
    elements = [
        Element(E.SCENE_HEADING, "INT. BAR - NIGHT"),
        Element(E.CHARACTER, "ROSA"),
        Element(E.LYRICS, "Blue moon, you saw me"),
        Element(E.ACTION, "Applause."),
    ]
    assert render_elements(elements) == (
        "INT. BAR - NIGHT\n\nROSA\nBlue moon, you saw me\n\nApplause."
    )
    from logline.documents.elements import build_scenes

    [rosa] = build_characters(elements, build_scenes(elements))
    assert rosa.words == 5
