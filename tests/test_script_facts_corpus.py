"""Script facts agree across formats of the same script and with ``logline inspect``.

Uses the cross-format families of ``test_cross_format.py`` (the corpus in ``../shared/corpus``;
skips cleanly when absent). What cannot agree, and so is not asserted:

* page counts and page labels: a PDF prints its own, Fountain and Final Draft pages are
  estimates (first appearances stay within the 8 pages ``test_cross_format`` allows);
* word counts: PDF text extraction joins or splits a few words (within 1%);
* a forced Fountain heading without INT./EXT. is a plain line in a PDF, so the PDF has fewer
  scenes and later scene numbers shift (brick-and-steel); scene numbers are compared only
  where the scene lists have the same length, and the ``other`` INT/EXT and day/night buckets
  may lose those scenes;
* a plain-text export has no title page: no writers or draft date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logline.cli import main
from logline.documents.facts import ScriptFacts, facts_json, facts_prompt, facts_report
from logline.documents.facts import script_facts as build_facts
from test_cross_format import CASES, FAMILIES, SCRIPTS, corpus

_FACTS: dict[str, ScriptFacts] = {}


def facts(relative: str) -> ScriptFacts:
    if relative not in _FACTS:
        _FACTS[relative] = build_facts(corpus(relative))
    return _FACTS[relative]


def _page_gap(a: str | None, b: str | None) -> int:
    if a is None or b is None or not a.isdigit() or not b.isdigit():
        return 0
    return abs(int(a) - int(b))


@pytest.mark.parametrize(("family", "other"), CASES)
def test_facts_agree_across_formats(family: str, other: str) -> None:
    reference, facts_other = facts(FAMILIES[family][0]), facts(other)
    assert facts_other.title == reference.title
    if corpus(other).title_page:
        assert facts_other.writers == reference.writers
    else:
        assert facts_other.writers == ()
    same_scenes = facts_other.scene_count == reference.scene_count

    # Characters: the same names, aliases and ranking, the same speeches, words within 1%.
    assert [c.names for c in facts_other.characters] == [c.names for c in reference.characters]
    for mine, theirs in zip(facts_other.characters, reference.characters, strict=True):
        assert mine.speeches == theirs.speeches, mine.name
        assert abs(mine.words - theirs.words) <= max(2, theirs.words // 100), mine.name
        assert _page_gap(mine.first_page, theirs.first_page) <= 8, mine.name
        if same_scenes:
            assert mine.scenes == theirs.scenes, mine.name
        else:
            assert mine.scene_count <= theirs.scene_count, mine.name

    # Locations: the same names ranked the same, set in as many scenes.
    assert [(p.name, p.scene_count) for p in facts_other.locations] == [
        (p.name, p.scene_count) for p in reference.locations
    ]
    lost = reference.scene_count - facts_other.scene_count
    split, ref_split = facts_other.int_ext, reference.int_ext
    assert (split.interior, split.exterior, split.both) == (
        ref_split.interior,
        ref_split.exterior,
        ref_split.both,
    )
    assert split.other == ref_split.other - lost
    time, ref_time = facts_other.day_night, reference.day_night
    assert (time.day, time.night) == (ref_time.day, ref_time.night)
    assert [s.title.upper() for s in facts_other.sections] == [
        s.title.upper() for s in reference.sections
    ]
    if same_scenes:
        assert [s.first_scene for s in facts_other.sections] == [
            s.first_scene for s in reference.sections
        ]
        if facts_other.writers == reference.writers:
            # What the model reads is the same whatever the format.
            assert facts_prompt(facts_other) == facts_prompt(reference)


def test_big_fish_aliases_follow_the_rule() -> None:
    characters = {c.name: c for c in facts("fountain/big-fish.fountain").characters}
    assert set(characters["EDWARD"].aliases) == {"YOUNG EDWARD", "ADULT EDWARD"}
    assert characters["WILL"].aliases == ("YOUNG WILL",)
    assert characters["DR. BENNETT"].aliases == ("YOUNG DR. BENNETT",)
    # Roles, joint cues and names without a speaking base stay their own entries.
    for name in ("GIRL", "LITTLE GIRL", "LITTLE BRAVE", "EDWARD AND WILL", "WILL'S DATE"):
        assert name in characters and characters[name].aliases == ()
    edward = characters["EDWARD"]
    assert edward.speeches == 293 + 3 + 1 and edward.first_scene == 1
    assert [c.name for c in facts("fountain/big-fish.fountain").characters[:4]] == [
        "EDWARD",
        "WILL",
        "SANDRA",
        "JENNY",
    ]


def test_big_fish_prompt_is_small() -> None:
    prompt = facts_prompt(facts("fountain/big-fish.fountain"))
    assert "Characters (use only these names): EDWARD (also " in prompt
    assert "Main locations: HOSPITAL ROOM, " in prompt
    # SmolLM2's tokenizer reads this block as 186 tokens (2.5 characters a token): keep it
    # under 250 tokens with room to spare.
    assert len(prompt) <= 600


@pytest.mark.slow
def test_big_fish_prompt_is_under_250_tokens(smollm2_model_dir: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(smollm2_model_dir / "tokenizer.json"))
    prompt = facts_prompt(facts("fountain/big-fish.fountain"))
    assert len(tokenizer.encode(prompt).ids) < 250


@pytest.mark.parametrize(
    "relative", ["fountain/big-fish.fountain", "pdf/the-power-betas.pilot-excerpt.finaldraft.pdf"]
)
def test_inspect_prints_the_same_facts(relative: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = facts(relative)
    path = str(SCRIPTS / relative)
    assert main(["inspect", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["facts"] == facts_json(expected)
    assert [c["name"] for c in data["characters"]][:3] == [c.name for c in expected.characters][:3]
    assert main(["inspect", path]) == 0
    assert facts_report(expected) in capsys.readouterr().out
