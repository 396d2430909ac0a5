"""Parser questions are answered from the script facts, with the numbers ``logline inspect``
prints; questions about the story are left to the model. Reads ``../shared/corpus`` when present
(skips cleanly when not); nothing from it is copied here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chat_helpers import write_script
from logline.chat.facts_answers import answer_from_facts
from logline.cli.parser import main
from logline.documents import load

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"
BIG_FISH = CORPUS / "fountain" / "big-fish.fountain"


@pytest.fixture()
def river(tmp_path: Path):
    return load(write_script(tmp_path, repeats=2))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many scenes are there?", "scene_count"),
        ("how many scenes", "scene_count"),
        ("What's the number of scenes?", "scene_count"),
        ("How many pages is it?", "page_count"),
        ("How many speaking characters are there?", "character_count"),
        ("Who speaks the most?", "speakers"),
        ("Who has the most lines?", "speakers"),
        ("Which scenes is Edward in?", "character_scenes"),
        ("Where does Mavis appear?", "character_scenes"),
        ("When does edward first appear?", "character_scenes"),
        ("List the locations", "locations"),
        ("Where is the story set?", "locations"),
        ("How many night scenes are there?", "split_count"),
        ("How many exterior scenes?", "split_count"),
        ("Who wrote it?", "writers"),
    ],
)
def test_parser_questions_are_recognised(river, question: str, kind: str) -> None:
    answer = answer_from_facts(question, river)
    assert answer is not None and answer.kind == kind, question


@pytest.mark.parametrize(
    "question",
    [
        "Why does Edward leave the river?",
        "How does the story end?",
        "What happens in the diner?",
        "Describe Mavis.",
        "Is the print shop important?",
        "",
    ],
)
def test_story_questions_are_left_to_the_model(river, question: str) -> None:
    assert answer_from_facts(question, river) is None


def test_answers_cite_scenes_and_count_exactly(river) -> None:
    assert "**8 scenes**" in answer_from_facts("How many scenes?", river).text
    edward = answer_from_facts("Which scenes is Edward in?", river).text
    assert "speaks in 4 scenes" in edward
    assert re.findall(r"Sc\. (\d+)", edward)[:4] == ["2", "4", "6", "8"]
    assert "(Sc. 2, p. 1" in edward
    night = answer_from_facts("How many night scenes?", river).text
    assert "**6 night scenes** of 8" in night
    assert "Test Writer" in answer_from_facts("Who wrote it?", river).text


def test_an_unknown_name_gets_a_clear_answer(river) -> None:
    answer = answer_from_facts("Which scenes is Zed in?", river)
    assert "no speaking character called Zed" in answer.text
    assert "EDWARD" in answer.text and "MAVIS" in answer.text


def test_a_generic_document_has_no_parser_answers(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("A quarterly report.\n\nSales rose.\n", encoding="utf-8")
    assert answer_from_facts("How many scenes are there?", load(path)) is None


@pytest.mark.skipif(not BIG_FISH.is_file(), reason="the shared corpus is not present")
@pytest.mark.parametrize(
    "relative", ["fountain/big-fish.fountain", "fdx/the-power-betas.pilot-excerpt.finaldraft.fdx"]
)
def test_counts_and_rankings_equal_logline_inspect(
    relative: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = CORPUS / relative
    assert main(["inspect", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)["facts"]
    document = load(path)
    scenes = answer_from_facts("How many scenes are in the script?", document).text
    assert f"**{facts['scene_count']:,} scene" in scenes
    ranking = answer_from_facts("Who speaks the most?", document).text
    names = re.findall(r"^\d+\. \*\*(.+?)\*\*: ([\d,]+) speech", ranking, flags=re.M)
    expected = [(c["name"], f"{c['speeches']:,}") for c in facts["characters"][: len(names)]]
    assert names == expected and len(names) == min(5, len(facts["characters"]))
    lead = facts["characters"][0]
    answer = answer_from_facts(f"Which scenes is {lead['name'].title()} in?", document).text
    assert f"speaks in {lead['scene_count']} scene" in answer
    listed = [int(n) for n in re.findall(r"Sc\. (\d+)", answer.split(";")[0])]
    assert listed == lead["scenes"][: len(listed)]
    locations = answer_from_facts("How many locations are there?", document).text
    assert f"**{len(facts['locations']):,} location" in locations
