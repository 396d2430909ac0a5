"""The same script as Fountain, Final Draft, PDF and text gives the same structure.

Reads ``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logline.documents import Document, load

SCRIPTS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"

# Each script and the files it exists as; the first is the reference.
FAMILIES = {
    "big-fish": [
        "fountain/big-fish.fountain",
        "fdx/big-fish.finaldraft11.fdx",
        "pdf/big-fish.finaldraft11.pdf",
        "pdf/big-fish.screenplain.pdf",
    ],
    "the-power-betas": [
        "fdx/the-power-betas.pilot-excerpt.finaldraft.fdx",
        "pdf/the-power-betas.pilot-excerpt.finaldraft.pdf",
    ],
    "troubled-sleep": [
        "fountain/troubled-sleep.fountain",
        "fdx/troubled-sleep.finaldraft.fdx",
        "txt/troubled-sleep.txt",
    ],
    "writers-block": [
        "fountain/writers-block-sample-06.fountain",
        "fdx/writers-block-sample-06.finaldraft.fdx",
        "txt/writers-block-sample-06.txt",
    ],
    "brick-and-steel": ["fountain/brick-and-steel.fountain", "pdf/brick-and-steel.screenplain.pdf"],
    "my-living-memory": [
        "fountain/my-living-memory.fountain",
        "pdf/my-living-memory.afterwriting.pdf",
    ],
    "printing-trouble": [
        "fountain/printing-trouble.fountain",
        "pdf/printing-trouble.screenplain.pdf",
    ],
}
_CACHE: dict[str, Document] = {}


def corpus(relative: str) -> Document:
    path = SCRIPTS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {relative} is not present")
    if relative not in _CACHE:
        _CACHE[relative] = load(path)
    return _CACHE[relative]


def speakers(document: Document) -> set[str]:
    return {character.name for character in document.characters}


CASES = [
    pytest.param(family, other, id=f"{family}:{Path(other).suffix[1:]}:{Path(other).stem}")
    for family, files in FAMILIES.items()
    for other in files[1:]
]


@pytest.mark.parametrize(("family", "other"), CASES)
def test_same_scenes_and_speaking_characters(family: str, other: str) -> None:
    reference = corpus(FAMILIES[family][0])
    document = corpus(other)
    assert document.is_screenplay
    expected = reference.scenes
    slack = 0
    if document.format == "pdf":
        # A forced Fountain heading without INT./EXT. (".SNIPER SCOPE POV") prints as a plain
        # capitalised line: nothing on the page says it is a heading.
        expected = [scene for scene in expected if scene.int_ext]
        slack = 1
    assert abs(len(document.scenes) - len(expected)) <= slack, (
        len(document.scenes),
        len(expected),
    )
    assert speakers(document) == speakers(reference), (
        sorted(speakers(document) - speakers(reference)),
        sorted(speakers(reference) - speakers(document)),
    )


def test_big_fish_scene_headings_agree_in_order() -> None:
    fountain = [scene.heading for scene in corpus("fountain/big-fish.fountain").scenes]
    fdx = [scene.heading for scene in corpus("fdx/big-fish.finaldraft11.fdx").scenes]
    assert fdx == fountain


_PRINTED = re.compile(r"^\s*(\d+[A-Z]?)\.\s*$")


def _printed_number(reader: object, index: int) -> str | None:
    """The page number printed at the top of a page, read independently with pypdf."""
    text = reader.pages[index].extract_text()  # type: ignore[attr-defined]
    for line in text.splitlines()[:3]:
        match = _PRINTED.match(line)
        if match:
            return match.group(1)
    return None


def test_big_fish_pdf_scene_pages_are_the_printed_page_numbers() -> None:
    from pypdf import PdfReader

    document = corpus("pdf/big-fish.finaldraft11.pdf")
    assert document.page_source == "printed"
    reader = PdfReader(SCRIPTS / "pdf/big-fish.finaldraft11.pdf")
    scenes = document.scenes
    sample = [*scenes[:: max(1, len(scenes) // 24)], scenes[-1]]
    checked = 0
    for scene in sample:
        assert scene.page_start is not None
        printed = _printed_number(reader, scene.page_start - 1)
        if printed is None:  # the first page of the script prints no number
            continue
        assert document.page_label(scene.page_start) == printed, scene.heading
        checked += 1
    assert checked >= 20
    labels = [page.label for page in document.pages]
    assert labels[-1] == "127"  # 128 sheets: a title page, then pages 1 to 127


def test_estimated_pages_track_the_printed_pages() -> None:
    """Fountain pagination is an estimate; it stays within a few pages of Final Draft's."""
    estimated = corpus("fountain/big-fish.fountain")
    printed = corpus("pdf/big-fish.finaldraft11.pdf")
    assert estimated.page_source == "estimated"
    if len(estimated.scenes) != len(printed.scenes):
        pytest.skip("scene lists differ; covered by the agreement test")
    gaps = sorted(
        abs(int(estimated.page_label(a.page_start) or 0) - int(printed.page_label(b.page_start)))
        for a, b in zip(estimated.scenes, printed.scenes, strict=True)
        if (printed.page_label(b.page_start) or "").isdigit()
    )
    assert gaps[len(gaps) // 2] <= 3  # median
    assert gaps[-1] <= 8


# Page counts that screenplain and afterwriting print for these Fountain files (SOURCES.md):
# the title page plus the script pages.
PRINTED_PAGE_COUNTS = {
    "fountain/big-fish.fountain": 122,
    "fountain/brick-and-steel.fountain": 4,
    "fountain/my-living-memory.fountain": 16,
    "fountain/printing-trouble.fountain": 12,
}


@pytest.mark.parametrize(("relative", "printed"), PRINTED_PAGE_COUNTS.items())
def test_estimated_page_count_is_close_to_rendered(relative: str, printed: int) -> None:
    document = corpus(relative)
    script_pages = printed - 1
    assert abs(len(document.pages) - script_pages) <= max(1, round(script_pages * 0.05))
