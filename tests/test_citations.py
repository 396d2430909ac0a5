"""Citations in summaries: parsed in every accepted form, checked against the document, and
invalid ones flagged or removed.

Reads ``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.documents import Document, load
from logline.summarize.citations import (
    FLAGGED_RE,
    apply,
    find_citations,
    validate,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"

THREE_ROOMS = """\
Title: Three Rooms
Author: Test

INT. KITCHEN - DAY

Mara pours coffee.

MARA
Morning.

===

EXT. GARDEN - DAY

Tom digs.

===

Tom keeps digging.

INT. ATTIC - NIGHT

Dust everywhere.
"""


@pytest.fixture
def three_rooms(tmp_path: Path) -> Document:
    """Three scenes on three pages (explicit page breaks): the attic is scene 3, on page 3."""
    path = tmp_path / "three-rooms.fountain"
    path.write_text(THREE_ROOMS, encoding="utf-8")
    document = load(path)
    assert [s.number for s in document.scenes] == [1, 2, 3]
    assert (document.scenes[2].page_start, document.scenes[2].page_end) == (3, 3)
    return document


@pytest.fixture
def report_pdf(tmp_path: Path) -> Document:
    path = tmp_path / "report.txt"
    path.write_text("A report about gardens.\n\nIt has no scenes at all.\n", encoding="utf-8")
    document = load(path)
    assert not document.scenes
    return document


@pytest.fixture(scope="module")
def big_fish() -> Document:
    path = CORPUS / "fountain" / "big-fish.fountain"
    if not path.is_file():
        pytest.skip("corpus file fountain/big-fish.fountain is not present")
    return load(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Sc. 12, p. 34)", [((12,), ("34",))]),
        ("(Sc. 12)", [((12,), ())]),
        ("(p. 34)", [((), ("34",))]),
        ("(Sc. 12–14, pp. 34–36)", [((12, 13, 14), ("34", "35", "36"))]),
        ("(Sc. 12-14, pp. 34-36)", [((12, 13, 14), ("34", "35", "36"))]),
        ("(Sc. 12, 14)", [((12, 14), ())]),
        ("(Scene 12, page 34)", [((12,), ("34",))]),
        ("(Scenes 3 and 5, pages 4-5)", [((3, 5), ("4", "5"))]),
        ("(sc.12,p.34)", [((12,), ("34",))]),
        ("(Sc. 3, p. 4; Sc. 7, p. 9)", [((3,), ("4",)), ((7,), ("9",))]),
        ("(Sc. 3, p. 4, Sc. 7, p. 9)", [((3,), ("4",)), ((7,), ("9",))]),
        ("(see Sc. 3)", [((3,), ())]),
        ("(pp. 45A–46)", [((), ("45A", "46"))]),
        ("[Sc. 12, p. 34]", [((12,), ("34",))]),  # the marker form, echoed by a model
        ("[Sc. 12 (continued), p. 35]", [((12,), ("35",))]),
        ("(Sc. 12, p. 34.)", [((12,), ("34",))]),
    ],
)
def test_every_accepted_form_is_parsed(
    text: str, expected: list[tuple[tuple[int, ...], tuple[str, ...]]]
) -> None:
    line = f"- **Edward** leaves home {text}\n"
    found = find_citations(line)
    assert [(c.scenes, c.pages) for c in found] == expected
    for citation in found:
        assert line[citation.span[0] : citation.span[1]] == citation.raw
        assert line[citation.group[0]] in "([" and line[citation.group[1] - 1] in ")]"


@pytest.mark.parametrize(
    "text",
    [
        "He is (as always) late.",
        "(p. 3 and the diner)",
        "(Sc. 3, p.)",
        "(Sc. 3 p 4 onwards)",
        "See [Sc. 3](https://example.com).",
        "(12, 34)",
        "(Sc. twelve)",
    ],
)
def test_prose_in_brackets_is_not_a_citation(text: str) -> None:
    assert find_citations(text) == []


def test_a_fabricated_scene_number_is_caught(three_rooms: Document) -> None:
    report = validate("Mara climbs to the attic (Sc. 3, p. 3), then the roof (Sc. 9).", three_rooms)
    assert [c.valid for c in report.checks] == [True, False]
    huge = validate("The roof (Sc. 1234567, p. 0).", three_rooms)
    assert [c.reason for c in huge.checks] == ["unknown_scene"]
    assert report.invalid[0].reason == "unknown_scene"
    assert report.to_json() == {
        "total": 2,
        "valid": 1,
        "invalid": 1,
        "problems": [
            {"citation": "Sc. 9", "reason": "unknown_scene", "message": "not in this script"}
        ],
    }


def test_pages_are_checked_against_the_document_and_the_scene(three_rooms: Document) -> None:
    text = (
        "Attic (Sc. 3, p. 3). Wrong page (Sc. 3, p. 1). No such page (p. 40). "
        "Range (Sc. 2–3, pp. 2–3). Range too far (Sc. 2–3, pp. 1–3). Page only (p. 2)."
    )
    report = validate(text, three_rooms)
    assert [(c.citation.raw, c.reason) for c in report.checks] == [
        ("Sc. 3, p. 3", None),
        ("Sc. 3, p. 1", "page_outside_scene"),
        ("p. 40", "unknown_page"),
        ("Sc. 2–3, pp. 2–3", None),
        ("Sc. 2–3, pp. 1–3", "page_outside_scene"),
        ("p. 2", None),
    ]
    assert report.checks[1].message == "Sc. 3 is on p. 3"
    assert (report.valid_count, report.invalid_count) == (3, 3)


def test_scenes_cited_in_a_document_without_scenes_are_invalid(report_pdf: Document) -> None:
    report = validate("Gardens matter (p. 1). Weeds (Sc. 2, p. 1).", report_pdf)
    assert [c.reason for c in report.checks] == [None, "no_scenes"]
    assert report.checks[1].message == "this document has no scenes"


def test_citations_against_a_real_script(big_fish: Document) -> None:
    last = big_fish.scenes[-1]
    scene = next(
        s
        for s in big_fish.scenes
        if s.page_start and s.page_start == s.page_end and s.page_start + 5 <= len(big_fish.pages)
    )
    real = f"(Sc. {scene.number}, p. {big_fish.page_label(scene.page_start)})"
    wrong_page = f"(Sc. {scene.number}, p. {big_fish.page_label(scene.page_start + 5)})"
    fabricated = f"(Sc. {last.number + 1}, p. 1)"
    text = f"Edward tells the tale {real}. He marries {wrong_page}. He flies {fabricated}."
    report = validate(text, big_fish)
    assert [c.reason for c in report.checks] == [None, "page_outside_scene", "unknown_scene"]

    flagged = apply(text, report, "flag")
    assert real in flagged
    assert f"(⚠ Sc. {last.number + 1}, p. 1 — not in this script)" in flagged
    assert len(FLAGGED_RE.findall(flagged)) == 2
    assert validate(flagged, big_fish).invalid_count == 0  # a flag is not a citation any more

    removed = apply(text, report, "remove")
    assert removed == f"Edward tells the tale {real}. He marries. He flies."


def test_remove_tidies_the_spacing_in_markdown(three_rooms: Document) -> None:
    text = (
        "## Synopsis\n"
        "MARA pours coffee (Sc. 1, p. 1). TOM digs (Sc. 8).\n"
        "**The attic (Sc. 9)** is dusty (Sc. 3, p. 3)\n"
        "- (Sc. 7, p. 2) **GARDEN** — Tom digs.\n"
        "(Sc. 8) Opening line.\n"
        "Ends here (Sc. 9)\n"
        "Two in a row (Sc. 8) (Sc. 9), then more.\n"
    )
    report = validate(text, three_rooms)
    assert report.invalid_count == 7
    assert apply(text, report, "remove") == (
        "## Synopsis\n"
        "MARA pours coffee (Sc. 1, p. 1). TOM digs.\n"
        "**The attic** is dusty (Sc. 3, p. 3)\n"
        "- **GARDEN** — Tom digs.\n"
        "Opening line.\n"
        "Ends here\n"
        "Two in a row, then more.\n"
    )


def test_one_bad_reference_in_a_group_keeps_the_good_ones(three_rooms: Document) -> None:
    text = "Both rooms (Sc. 1, p. 1; Sc. 12, p. 2; Sc. 3, p. 3)."
    report = validate(text, three_rooms)
    assert [c.valid for c in report.checks] == [True, False, True]
    assert apply(text, report, "remove") == "Both rooms (Sc. 1, p. 1; Sc. 3, p. 3)."
    assert apply(text, report, "flag") == (
        "Both rooms (Sc. 1, p. 1; Sc. 3, p. 3) (⚠ Sc. 12, p. 2 — not in this script)."
    )


def test_valid_text_is_left_exactly_as_written(three_rooms: Document) -> None:
    text = "Mara (Sc. 1, p. 1) and Tom (Scene 2, page 2; Sc. 3).\n"
    report = validate(text, three_rooms)
    assert report.invalid_count == 0
    assert apply(text, report, "flag") == text == apply(text, report, "remove")


def test_a_report_for_another_text_is_refused(three_rooms: Document) -> None:
    report = validate("Roof (Sc. 9).", three_rooms)
    with pytest.raises(ValueError, match="does not belong"):
        apply("Roof (Sc. 8).", report, "flag")
    with pytest.raises(ValueError, match="policy"):
        apply("Roof (Sc. 9).", report, "hide")  # type: ignore[arg-type]
