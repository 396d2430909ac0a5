"""Script facts from the parser (issue 14, item 3) on small synthetic scripts: names, aliases,
settings, acts, writers, pages, and the three renderings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pdf_factory
from logline.documents import load
from logline.documents.elements import Element, ElementType, build_scenes
from logline.documents.facts import (
    CharacterFacts,
    ScriptFacts,
    cue_name,
    day_or_night,
    facts_json,
    facts_prompt,
    facts_report,
    scene_setting,
    script_facts,
    writers,
)
from logline.documents.structure import screenplay_document

E = ElementType


def fountain(tmp_path: Path, text: str, name: str = "script.fountain") -> ScriptFacts:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return script_facts(load(path))


def cast(facts: ScriptFacts) -> dict[str, CharacterFacts]:
    return {character.name: character for character in facts.characters}


AGES = """\
Title: Big Kid
Author: Jo Writer

INT. BLOOM HOUSE - KITCHEN - DAY

EDWARD BLOOM (60s) cooks. Across the table, his son waits for Edward to speak.

EDWARD
Eat up.

YOUNG EDWARD (V.O.)
I was small once.

The Girl in the River swims past the window. A LITTLE GIRL points.

LITTLE GIRL
Look!

GIRL
Hello.

EXT. BY THE RIVER - NIGHT - CONTINUOUS

Kim waves. A boy named Lou nods.

KIM
Over here.

YOUNG KIM
Me too.

YOUNG LOU
Wait.

EDWARD AND WILL
Together!

ADULT EDWARD (CONT'D)
Grown now.

OLD EDWARD
Older still, and longer winded than ever.
"""


def test_age_prefixed_cue_is_an_alias_only_where_the_script_names_the_person(
    tmp_path: Path,
) -> None:
    characters = cast(fountain(tmp_path, AGES))
    edward = characters["EDWARD"]
    # Edward is written as a name in the action ("waits for Edward"): age forms fold into him.
    # (aliases: most speeches first, then by name)
    assert edward.aliases == ("ADULT EDWARD", "OLD EDWARD", "YOUNG EDWARD")
    assert edward.names == ("EDWARD", *edward.aliases)
    assert edward.speeches == 4 and edward.words == 2 + 4 + 2 + 7
    assert edward.scenes == (1, 2) and edward.first_scene == 1 and edward.last_scene == 2
    # "the Girl in the River" is a role, not a name: LITTLE GIRL stays apart from GIRL.
    assert "LITTLE GIRL" in characters and characters["GIRL"].aliases == ()
    # Kim is only named at the start of a sentence: not enough to merge YOUNG KIM.
    assert "YOUNG KIM" in characters and characters["KIM"].aliases == ()
    # Lou is named mid-sentence but never speaks as LOU: YOUNG LOU has no one to join.
    assert "YOUNG LOU" in characters
    # A joint cue is not an alias of either speaker.
    assert "EDWARD AND WILL" in characters


def test_cue_names_lose_leftover_extensions_and_keep_numbered_parts_apart() -> None:
    assert cue_name("Edward (CONT'D)") == "EDWARD"
    assert cue_name("EDWARD  CONT’D") == "EDWARD"
    assert cue_name("MOM (O.S.) (CONT'D)") == "MOM"
    assert cue_name("COP#2") == "COP #2" and cue_name("cop # 2") == "COP #2"
    assert cue_name("WILL’S DATE") == "WILL'S DATE"


def test_cues_a_parser_left_extensions_on_fold_into_one_character() -> None:
    elements = [
        Element(E.SCENE_HEADING, "INT. DINER - NIGHT"),
        Element(E.CHARACTER, "MAVIS"),
        Element(E.DIALOGUE, "One two."),
        Element(E.CHARACTER, "MAVIS (CONT'D)"),
        Element(E.DIALOGUE, "Three."),
        Element(E.CHARACTER, "COP #2"),
        Element(E.DIALOGUE, "Hands up."),
        Element(E.CHARACTER, "COP"),
        Element(E.DIALOGUE, "Easy."),
    ]
    document = screenplay_document(Path("x.fountain"), "fountain", {}, elements)
    assert {c.name for c in document.characters} >= {"MAVIS", "MAVIS (CONT'D)"}
    characters = cast(script_facts(document))
    assert set(characters) == {"MAVIS", "COP #2", "COP"}
    assert characters["MAVIS"].speeches == 2 and characters["MAVIS"].words == 3


@pytest.mark.parametrize(
    ("heading", "location", "time", "previous", "expected"),
    [
        ("INT. BLOOM HOUSE - KITCHEN - DAY", "BLOOM HOUSE - KITCHEN", "DAY", "other", "day"),
        ("EXT. BY THE RIVER - NIGHT - CONTINUOUS", "BY THE RIVER", "NIGHT - CONTINUOUS",
         "day", "night"),
        ("INT. HALL - CONTINUOUS", "HALL", "CONTINUOUS", "night", "night"),
        ("INT. HALL - MOMENTS LATER", "HALL", "MOMENTS LATER", "day", "day"),
        ("INT. HALL - LATER", "HALL", "LATER", "other", "other"),
        ("int. hall - morning", "HALL", "morning", "night", "day"),
        ("INT. HALL - [THE NEXT] MORNING", "HALL", "[THE NEXT] MORNING", "other", "day"),
        ("INT. HALL - EVENING", "HALL", "EVENING", "day", "night"),
        ("EXT. FIELD - DUSK", "FIELD", "DUSK", "day", "other"),
        ("EXT. FIELD - MAGIC HOUR", "FIELD", "MAGIC HOUR", "day", "other"),
        ("EXT. HOUSE - DAY TO NIGHT", "HOUSE", "DAY TO NIGHT", "day", "other"),
        ("INT. CAR - DAY / DRIVING", "CAR", "DAY / DRIVING", "night", "day"),
        ("INT. CAR - NIGHT - [THE STORM]", "CAR", "NIGHT - [THE STORM]", "day", "night"),
        ("EXT. BLOOM HOUSE [1973] - DAY", "BLOOM HOUSE", "DAY", "other", "day"),
        ("EXT. TOWN - VARIOUS SHOTS", "TOWN", "VARIOUS SHOTS", "day", "other"),
        ("INT. OFFICE", "OFFICE", "", "day", "other"),
        ("EXT. WOODS - ROUGH PATH", "WOODS - ROUGH PATH", "", "day", "other"),
        ("INT. DAY CARE", "DAY CARE", "", "other", "other"),
        ("INT. NIGHT (1973)", "NIGHT (1973)", "", "other", "other"),
        ("SNIPER SCOPE POV", "", "", "day", "other"),
    ],
)  # fmt: skip
def test_scene_setting_and_day_or_night_follow_the_documented_rule(
    heading: str, location: str, time: str, previous: str, expected: str
) -> None:
    (scene,) = build_scenes([Element(E.SCENE_HEADING, heading)])
    assert scene_setting(scene) == (location, time)
    assert day_or_night(time, previous) == expected  # type: ignore[arg-type]


SPLITS = """\
Title: Splits

INT. HALL - NIGHT

Quiet.

INT. HALL - CONTINUOUS

Quieter.

EXT. YARD - DAY

Sun.

INT./EXT. CAR - DUSK

Dusk.

EXT. YARD - NIGHT

Dark.

.MONTAGE OF FACES

Faces.
"""


def test_splits_and_locations_ranked_by_scenes(tmp_path: Path) -> None:
    facts = fountain(tmp_path, SPLITS)
    assert facts.scene_count == 6
    split = facts.int_ext
    assert (split.interior, split.exterior, split.both, split.other) == (2, 2, 1, 1)
    time = facts.day_night
    assert (time.day, time.night, time.other) == (1, 3, 2)
    assert [(p.name, p.scenes) for p in facts.locations] == [
        ("HALL", (1, 2)),
        ("YARD", (3, 5)),
        ("CAR", (4,)),
    ]


ACTS = """\
Title: Acts

# Act One

## A subsection that is not an act

INT. ONE - DAY

Action.

> END OF ACT ONE <

> ACT TWO <

EXT. TWO - DAY

Action.

EXT. THREE - NIGHT

ACT THREE

INT. FOUR - DAY

Act three of the play is not a marker in action.
"""


def test_acts_from_depth_one_sections_and_act_markers(tmp_path: Path) -> None:
    facts = fountain(tmp_path, ACTS)
    assert [(s.title, s.first_scene) for s in facts.sections] == [
        ("Act One", 1),
        ("ACT TWO", 2),
        ("ACT THREE", 4),
    ]
    assert all(s.page == "1" for s in facts.sections)
    assert "Acts: Act One, ACT TWO, ACT THREE" in facts_prompt(facts)


def test_a_section_and_a_centred_marker_saying_the_same_count_once(tmp_path: Path) -> None:
    facts = fountain(tmp_path, "# ACT ONE\n\n> ACT ONE <\n\nINT. ONE - DAY\n\nAction.\n")
    assert [s.title for s in facts.sections] == ["ACT ONE"]


@pytest.mark.parametrize(
    ("title_page", "expected"),
    [
        ({"author": "Aaron Brownstein & Simon Ganz"}, ("Aaron Brownstein", "Simon Ganz")),
        ({"authors": "Ann Lee and Bo Park\nCy Diaz"}, ("Ann Lee", "Bo Park", "Cy Diaz")),
        ({"credit": "Written by", "author": "John Smith, Jr."}, ("John Smith, Jr.",)),
        ({"credit": "Written by Jo Writer"}, ("Jo Writer",)),
        ({"credit": "written by"}, ()),
        ({}, ()),
    ],
)
def test_writers_from_the_title_page(title_page: dict[str, str], expected: tuple[str, ...]) -> None:
    assert writers(title_page) == expected


def test_title_page_facts_and_renderings(tmp_path: Path) -> None:
    text = "Title: Night Shift\nCredit: by\nAuthor: Jo Writer\nSource: a story by Al\n"
    text += "Draft date:\n    June 1\n    2024\n\n" + AGES.split("\n\n", 1)[1]
    facts = fountain(tmp_path, text)
    assert facts.title == "Night Shift" and facts.writers == ("Jo Writer",)
    assert facts.source == "a story by Al" and facts.draft_date == "June 1 / 2024"
    assert facts.kind == "screenplay" and facts.format == "fountain"
    assert facts.page_source == "estimated" and facts.pages == 1

    data = facts_json(facts)
    assert json.loads(json.dumps(data)) == data
    edward = data["characters"][0]
    assert edward["name"] == "EDWARD" and edward["scene_count"] == 2
    assert edward["first_scene"] == 1 and edward["last_scene"] == 2
    assert edward["first_page"] == "1" and edward["scenes"] == [1, 2]

    prompt = facts_prompt(facts, max_cast=2, max_locations=1)
    assert prompt.splitlines()[1:4] == ["Title: Night Shift", "Writers: Jo Writer", "Scenes: 2"]
    assert "Characters (use only these names): EDWARD (also " in prompt
    rest = len(facts.characters) - 2
    assert prompt.count("(also") == 1 and f"; {rest} minor speaking parts" in prompt
    assert "Main locations: BLOOM HOUSE - KITCHEN\n" in prompt + "\n"
    assert "p." not in prompt  # page numbers differ between formats: never in the prompt

    report = facts_report(facts, max_cast=3)
    assert "- Writers: Jo Writer" in report and "- Draft date: June 1 / 2024" in report
    assert "- Scenes: 2 (INT. 1, EXT. 1)" in report and "- Day/night: day 1, night 1" in report
    assert "| Character | Speeches | Words | Scenes | First appearance |" in report
    assert "| EDWARD (also " in report and "| 4 | 15 | 2 | Sc. 1, p. 1 |" in report
    assert report.count("\n| ") == 1 + 3 and f"{len(facts.characters) - 3} more" in report


def test_generic_documents_have_title_pages_and_words_but_no_cast(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_factory.build_pdf(pdf_factory.generic_pages()))
    text = tmp_path / "notes.txt"
    text.write_text("Meeting notes\n\nWe met. Nothing happened.\n", encoding="utf-8")
    for path, pages in ((pdf, 2), (text, 1)):
        facts = script_facts(load(path))
        assert facts.kind == "generic" and not facts.is_screenplay
        assert facts.pages == pages and facts.words > 0 and facts.title
        assert facts.characters == () and facts.locations == () and facts.scene_count == 0
        assert facts_prompt(facts).splitlines()[1:] == [f"Title: {facts.title}", f"Pages: {pages}"]
        report = facts_report(facts)
        assert f"- Pages: {pages} (" in report and "| Character |" not in report
        assert "Scenes" not in report and facts_json(facts)["characters"] == []


def test_pdf_title_pages_are_not_script_pages(tmp_path: Path) -> None:
    path = tmp_path / "last-train.pdf"
    path.write_bytes(pdf_factory.build_pdf(pdf_factory.screenplay_pages()))
    document = load(path)
    facts = script_facts(document)
    assert document.is_screenplay and facts.page_source == "printed"
    assert facts.pages == len(document.pages) - 1  # the title page holds no script element
    assert facts.writers == ("Jane Doe",)
    mary = cast(facts)["MARY"]
    assert mary.first_scene == 1 and mary.first_page == document.page_label(2)
