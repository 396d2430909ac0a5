"""Citations checked while a summary streams: an invalid one is never shown unmarked."""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.documents import load
from logline.summarize.citation_stream import CitationFilter
from logline.summarize.citations import apply, validate

SCRIPT = """Title: Three Rooms

INT. KITCHEN - DAY

ANNA makes tea.

INT. HALL - DAY

BEN waits by the door.

EXT. GARDEN - NIGHT

They talk under the stars.
"""

ANSWER = (
    "Anna makes tea (Sc. 1, p. 1). Ben waits [Sc. 2, p. 1] (and he is patient). "
    "They argue in the cellar (Sc. 99, p. 1) and leave (Sc. 3 (continued), p. 1).\n"
    "- An unclosed aside (which never ends\n"
    "Done."
)


@pytest.fixture
def document(tmp_path: Path):
    path = tmp_path / "three-rooms.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_streamed_text_equals_the_checked_whole(document, piece: int, policy: str) -> None:
    checker = CitationFilter(document, policy)  # type: ignore[arg-type]
    shown = "".join(checker.feed(ANSWER[i : i + piece]) for i in range(0, len(ANSWER), piece))
    shown += checker.flush()
    expected = apply(ANSWER, validate(ANSWER, document), policy)  # type: ignore[arg-type]
    assert shown == expected
    assert checker.invalid == 1 and checker.checked >= 3
    assert "Sc. 99, p. 1)" not in shown or "not in this script" in shown


def test_nothing_is_held_back_longer_than_needed(document) -> None:
    checker = CitationFilter(document)
    assert checker.feed("Plain words flow through.") == "Plain words flow through."
    assert checker.feed(" Held (Sc. 1") == " Held"
    assert checker.feed(", p. 1) now.") == " (Sc. 1, p. 1) now."
    long_aside = "(" + "x" * 200
    assert checker.feed(long_aside) == long_aside  # too long to be a citation: let it through
