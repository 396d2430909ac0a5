"""Parser questions ("how many scenes", "who speaks the most", "which scenes is X in") are
answered from the script facts, with citations; every other question is left to the model.

Reads ``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from logline.chat.facts_answers import (
    MAX_LISTED,
    FactAnswer,
    answer_from_facts,
    find_character,
    scene_pages,
)
from logline.cli import main
from logline.documents import Document, load
from logline.documents.facts import ScriptFacts, script_facts
from test_cross_format import SCRIPTS, corpus

THREE_ROOMS = """\
Title: Three Rooms
Author: Jo Writer & Sam Other

INT. KITCHEN - DAY

Mara pours coffee for Tom.

MARA
Morning.

TOM (O.S.)
Coming!

===

EXT. GARDEN - NIGHT

Tom digs.

YOUNG TOM
I'll find it.

===

INT. KITCHEN - NIGHT

MARA
Found it?

TOM
No.
"""


@pytest.fixture
def three_rooms(tmp_path: Path) -> tuple[ScriptFacts, dict[int, str | None]]:
    path = tmp_path / "three-rooms.fountain"
    path.write_text(THREE_ROOMS, encoding="utf-8")
    document = load(path)
    return script_facts(document), scene_pages(document)


def ask(question: str, facts: tuple[ScriptFacts, dict[int, str | None]]) -> FactAnswer:
    answer = answer_from_facts(question, facts[0], scene_pages=facts[1])
    assert answer is not None, question
    return answer


@pytest.mark.parametrize(
    "question",
    [
        "How many scenes are there?",
        "how many scenes",
        "How many scenes does the script have?",
        "What is the number of scenes?",
        "the scene count",
        "HOW MANY SCENES ARE IN THE SCRIPT?",
    ],
)
def test_scene_count(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    assert ask(question, three_rooms) == FactAnswer("The script has 3 scenes.", "scene_count")


@pytest.mark.parametrize(
    "question", ["How many pages?", "How long is the script?", "what is the page count?"]
)
def test_page_count(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    assert ask(question, three_rooms) == FactAnswer("The script is 3 pages long.", "page_count")


@pytest.mark.parametrize(
    "question",
    ["How many characters are there?", "how many speaking parts?", "How many speaking roles"],
)
def test_character_count(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask(question, three_rooms)
    assert answer == FactAnswer("The script has 2 speaking characters.", "character_count")


@pytest.mark.parametrize(
    "question",
    [
        "Who speaks the most?",
        "who has the most lines",
        "Who has the most dialogue?",
        "Which character speaks the most?",
        "who talks the most?",
    ],
)
def test_top_speakers(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask(question, three_rooms)
    assert answer.kind == "top_speakers"
    # TOM, YOUNG TOM folded together: 3 speeches, ahead of MARA's 2.
    assert answer.text.startswith("**TOM** speaks the most: 3 speeches, 5 words of dialogue")
    assert "1. TOM — 3 speeches, 5 words\n2. MARA — 2 speeches, 3 words" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Which scenes is Tom in?",
        "which scenes is TOM in",
        "What scenes does Tom appear in?",
        "Where does Tom appear?",
        "In which scenes does young Tom speak?",
        "Tom's scenes",
        "How many scenes is Tom in?",
    ],
)
def test_a_characters_scenes(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask(question, three_rooms)
    assert answer == FactAnswer(
        "**TOM** (also YOUNG TOM) speaks in 3 scenes: (Sc. 1, p. 1), (Sc. 2, p. 2), (Sc. 3, p. 3).",
        "character_scenes",
    )


@pytest.mark.parametrize(
    "question",
    ["When does Mara first appear?", "What is Mara's first scene?", "Mara’s first appearance"],
)
def test_a_characters_first_appearance(
    question: str, three_rooms: tuple[ScriptFacts, dict]
) -> None:
    answer = ask(question, three_rooms)
    assert answer == FactAnswer("**MARA** first speaks in (Sc. 1, p. 1).", "character_first")


@pytest.mark.parametrize(
    "question", ["Which scenes is Zed in?", "When does Zed first appear?", "where does zed appear"]
)
def test_an_unknown_character_is_said_to_be_unknown(
    question: str, three_rooms: tuple[ScriptFacts, dict]
) -> None:
    answer = ask(question, three_rooms)
    assert answer.kind == "unknown_character"
    assert "no speaking character named **zed**" in answer.text.lower()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("List the locations", "location_list"),
        ("What are the locations?", "location_list"),
        ("Where is it set?", "location_list"),
        ("Where does the story take place?", "location_list"),
        ("How many locations are there?", "location_count"),
    ],
)
def test_locations(question: str, kind: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask(question, three_rooms)
    assert answer == FactAnswer(
        "The script has 2 locations: KITCHEN (2 scenes), GARDEN (1 scene).", kind
    )


def test_the_scenes_at_a_location(three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask("Which scenes are set in the kitchen?", three_rooms)
    assert answer == FactAnswer(
        "2 scenes are set at **KITCHEN**: (Sc. 1, p. 1), (Sc. 3, p. 3).", "location_scenes"
    )
    assert answer_from_facts("Which scenes are in act two?", three_rooms[0]) is None


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How many night scenes are there?", "2 night scenes of 3."),
        ("how many day scenes", "1 day scene of 3."),
        ("How many interior scenes?", "2 interior scenes of 3."),
        ("how many EXT. scenes?", "1 exterior scene of 3."),
    ],
)
def test_setting_counts(question: str, text: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    assert ask(question, three_rooms) == FactAnswer(text, "setting_count")


@pytest.mark.parametrize(
    "question", ["Who wrote it?", "Who is the writer?", "who wrote the script"]
)
def test_writers(question: str, three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask(question, three_rooms)
    assert answer == FactAnswer("Written by Jo Writer, Sam Other (from the title page).", "writers")


@pytest.mark.parametrize(
    "question",
    [
        "Why does Tom leave?",
        "How does Act 2 end?",
        "Who betrays Mara?",
        "What happens in the garden?",
        "How many times does Tom dig?",
        "Summarize the kitchen scenes.",
        "Is Tom in love with Mara?",
        "how many scenes until Tom finds it?",
        "Where does the money appear?",
        "Which scenes is the storm in?",
        "Who is the main villain?",
        "",
    ],
)
def test_other_questions_go_to_the_model(
    question: str, three_rooms: tuple[ScriptFacts, dict]
) -> None:
    assert answer_from_facts(question, three_rooms[0], scene_pages=three_rooms[1]) is None


def test_without_page_labels_scenes_are_cited_by_number(
    three_rooms: tuple[ScriptFacts, dict],
) -> None:
    answer = answer_from_facts("Which scenes is Mara in?", three_rooms[0])
    assert answer is not None and "(Sc. 1), (Sc. 3)" in answer.text


def test_a_generic_document_says_it_has_no_scenes(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("A report.\f\nPage two.", encoding="utf-8")
    facts = script_facts(load(path))
    assert answer_from_facts("How many pages?", facts) == FactAnswer(
        "The script is 2 pages long.", "page_count"
    )
    answer = answer_from_facts("How many scenes are there?", facts)
    assert answer is not None and answer.kind == "not_a_screenplay"
    assert answer_from_facts("What is the report about?", facts) is None


# --- a real script, against `logline inspect --json` ---------------------------------------
def _inspect(relative: str, capsys: pytest.CaptureFixture[str]) -> dict:
    corpus(relative)  # skips when absent
    assert main(["inspect", str(SCRIPTS / relative), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["facts"]


@pytest.mark.parametrize(
    "relative",
    [
        "fountain/big-fish.fountain",
        "fdx/big-fish.finaldraft11.fdx",
        "pdf/brick-and-steel.screenplain.pdf",
    ],
)
def test_answers_equal_logline_inspect(relative: str, capsys: pytest.CaptureFixture[str]) -> None:
    inspected = _inspect(relative, capsys)
    document: Document = corpus(relative)
    facts, pages = script_facts(document), scene_pages(document)

    count = answer_from_facts("How many scenes are there?", facts, scene_pages=pages)
    assert count is not None
    assert count.text == f"The script has {inspected['scene_count']:,} scenes."

    top = answer_from_facts("Who speaks the most?", facts, scene_pages=pages)
    assert top is not None
    ranking = re.findall(r"^\d+\. (.+?) — ([\d,]+) speech(?:es)?, ([\d,]+) words?$", top.text, re.M)
    expected = [
        (c["name"], f"{c['speeches']:,}", f"{c['words']:,}") for c in inspected["characters"][:5]
    ]
    assert ranking == expected

    lead = inspected["characters"][0]
    scenes = answer_from_facts(
        f"Which scenes is {lead['name'].title()} in?", facts, scene_pages=pages
    )
    assert scenes is not None and scenes.kind == "character_scenes"
    assert f"speaks in {lead['scene_count']:,} scene" in scenes.text
    cited = [int(n) for n in re.findall(r"\(Sc\. (\d+), p\. [^)]+\)", scenes.text)]
    assert cited == lead["scenes"][:MAX_LISTED]
    rest = lead["scene_count"] - MAX_LISTED
    assert (f"… and {rest} more" in scenes.text) == (rest > 0)

    places = answer_from_facts("How many locations are there?", facts)
    assert places is not None
    assert places.text.startswith(f"The script has {len(inspected['locations']):,} location")

    night = answer_from_facts("How many night scenes?", facts)
    assert night is not None
    assert night.text.startswith(f"{inspected['day_night']['night']:,} night scene")


def test_a_location_question_gathers_every_location_naming_it() -> None:
    facts = script_facts(corpus("fountain/big-fish.fountain"))
    answer = answer_from_facts("Which scenes are at the river?", facts)
    assert answer is not None and answer.kind == "location_scenes"
    rivers = [p for p in facts.locations if "RIVER" in p.name.split()]
    assert len(rivers) > 1
    expected = sorted({n for place in rivers for n in place.scenes})
    assert answer.text.startswith(f"{len(expected)} scenes are set at **RIVER**")
    assert [int(n) for n in re.findall(r"\(Sc\. (\d+)\)", answer.text)] == expected


def test_an_unknown_name_is_echoed_as_asked(three_rooms: tuple[ScriptFacts, dict]) -> None:
    answer = ask("Which scenes is Edward's father in?", three_rooms)
    assert "no speaking character named **Edward's father**" in answer.text


def test_every_alias_finds_its_character() -> None:
    facts = script_facts(corpus("fountain/big-fish.fountain"))
    for character in facts.characters:
        for name in character.names:
            assert find_character(facts, name.lower()) is character, name
            assert find_character(facts, f"{name.title()}'s") is character, name
