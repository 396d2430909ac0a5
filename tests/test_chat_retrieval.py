"""Lexical search over scenes: names pull their scenes, budgets hold, script order, citations.
Reads ``../shared/corpus`` when present (skips cleanly when not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat_helpers import write_script
from logline.chat.retrieval import SceneIndex, render_passages, search
from logline.documents import load
from logline.documents.facts import script_facts

BIG_FISH = (
    Path(__file__).resolve().parents[1].parent / "shared/corpus/scripts/fountain/big-fish.fountain"
)


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture()
def river(tmp_path: Path):
    document = load(write_script(tmp_path, repeats=3))
    return document, SceneIndex.build(document, script_facts(document))


def test_a_character_question_returns_that_characters_scenes(river) -> None:
    document, index = river
    found = search(index, "What does Edward want?", budget_tokens=10_000, count_tokens=words)
    edward = next(c for c in script_facts(document).characters if c.name == "EDWARD")
    assert [p.scene for p in found][: len(edward.scenes)] == list(edward.scenes)
    assert all(p.score > 0 for p in found)


def test_a_location_question_returns_the_scenes_set_there(river) -> None:
    _, index = river
    found = search(index, "What happens at the diner?", budget_tokens=10_000, count_tokens=words)
    diner = [p for p in found if "DINER" in p.heading]
    assert (len(diner) == 3 and found[0].score >= 10) or diner[0] in found
    top = sorted(found, key=lambda p: -p.score)[:3]
    assert all("DINER" in p.heading for p in top)


def test_the_budget_holds_and_passages_come_in_script_order(river) -> None:
    _, index = river
    found = search(index, "Edward river water pages", budget_tokens=40, count_tokens=words)
    assert found and sum(words(render_passages([p])) for p in found) <= 40
    assert [p.scene for p in found] == sorted(p.scene for p in found)
    text = render_passages(found)
    assert text.startswith(f"[Sc. {found[0].scene}, p. ")
    assert found[0].citation.startswith("(Sc. ")


def test_a_question_matching_nothing_returns_nothing(river) -> None:
    _, index = river
    assert search(index, "quantum chromodynamics", budget_tokens=1000, count_tokens=words) == []


def test_a_generic_document_is_searched_by_page(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Budget overview.\n\nThe lighthouse costs rose sharply.\n", encoding="utf-8")
    document = load(path)
    index = SceneIndex.build(document, script_facts(document))
    found = search(index, "lighthouse costs", budget_tokens=100, count_tokens=words)
    assert found and found[0].scene is None and found[0].citation == "(p. 1)"


@pytest.mark.skipif(not BIG_FISH.is_file(), reason="the shared corpus is not present")
def test_big_fish_a_named_character_and_alias_pull_their_scenes() -> None:
    document = load(BIG_FISH)
    facts = script_facts(document)
    index = SceneIndex.build(document, facts)
    karl = next(c for c in facts.characters if c.name == "KARL")
    found = search(index, "What is Karl's story?", budget_tokens=3000, count_tokens=words)
    assert {p.scene for p in found} & set(karl.scenes)
    top = sorted(found, key=lambda p: -p.score)[: min(3, len(karl.scenes))]
    assert all(p.scene in karl.scenes for p in top)
