"""Lexical search over a document's scenes (or pages) for chat turns: BM25 plus name boosts.

Reads ``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from logline.chat.retrieval import Passage, SceneIndex, render_passages, search
from logline.chat.terms import terms, words
from logline.documents import Document, load
from logline.documents.facts import ScriptFacts, script_facts
from test_cross_format import corpus
from test_documents import make_pdf

RIVER_TOWN = """\
Title: River Town
Author: Test

INT. BLOOM HOUSE - KITCHEN - DAY

Sandra pours coffee. The radio hums.

SANDRA
Edward's late again.

===

EXT. BY THE RIVER - NIGHT

Edward wades into the water, looking for the giant catfish.

EDWARD
There you are.

===

INT. GENERAL STORE - DAY

Will counts change at the counter. Nobody mentions the catfish.

WILL
Two dollars.

EXT. BY THE RIVER - DAY

Will stands where his father stood. The water is still.

INT. BLOOM HOUSE - KITCHEN - NIGHT

Sandra waits by the phone.

SANDRA
He'll come home.
"""


def words_count(text: str) -> int:
    return len(text.split())


@pytest.fixture
def river_town(tmp_path: Path) -> tuple[Document, ScriptFacts]:
    path = tmp_path / "river-town.fountain"
    path.write_text(RIVER_TOWN, encoding="utf-8")
    document = load(path)
    assert len(document.scenes) == 5
    return document, script_facts(document)


@pytest.fixture(scope="module")
def big_fish() -> tuple[Document, ScriptFacts, SceneIndex]:
    document = corpus("fountain/big-fish.fountain")
    facts = script_facts(document)
    return document, facts, SceneIndex.build(document, facts)


def test_terms_fold_case_possessives_and_common_words() -> None:
    assert words("Edward’s RIVER, isn't it?") == ["edward", "river", "isn't", "it"]
    assert terms("Which scenes is Edward's father in?") == ["edward", "father"]


def test_a_passage_cites_like_the_facts() -> None:
    assert Passage(3, "12A", "INT. X", "text").citation == "(Sc. 3, p. 12A)"
    assert Passage(None, "4", "Page 4", "text").citation == "(p. 4)"
    assert Passage(2, None, "INT. X", "text").citation == "(Sc. 2)"


def test_one_passage_per_scene_with_its_page(river_town: tuple[Document, ScriptFacts]) -> None:
    document, facts = river_town
    index = SceneIndex.build(document, facts)
    assert [p.scene for p in index.passages] == [1, 2, 3, 4, 5]
    assert [p.page for p in index.passages] == ["1", "2", "3", "3", "3"]
    assert index.passages[1].heading == "EXT. BY THE RIVER - NIGHT"
    assert index.passages[1].text.startswith("EXT. BY THE RIVER - NIGHT")


def test_a_character_question_pulls_the_characters_scenes(
    river_town: tuple[Document, ScriptFacts],
) -> None:
    document, facts = river_town
    index = SceneIndex.build(document, facts)
    found = search(index, "What is EDWARD's plan?", budget_tokens=10_000, count_tokens=words_count)
    boosted = [p.scene for p in found if p.score >= 100]
    # Edward speaks in scene 2 and is named in scene 1 (in dialogue); nowhere else.
    assert boosted == [1, 2]


def test_a_name_made_of_a_common_word_counts_only_as_a_name(
    river_town: tuple[Document, ScriptFacts],
) -> None:
    document, facts = river_town
    index = SceneIndex.build(document, facts)
    as_name = search(index, "What does Will buy?", budget_tokens=10_000, count_tokens=words_count)
    assert [p.scene for p in as_name if p.score >= 100] == [3, 4]
    as_verb = search(index, "what will happen?", budget_tokens=10_000, count_tokens=words_count)
    assert not [p for p in as_verb if p.score >= 100]


def test_a_location_question_pulls_the_scenes_set_there(
    river_town: tuple[Document, ScriptFacts],
) -> None:
    document, facts = river_town
    index = SceneIndex.build(document, facts)
    river = search(index, "What happens by the river?", budget_tokens=10_000, count_tokens=len)
    assert [p.scene for p in river if p.score >= 100] == [2, 4]
    kitchen = search(index, "Who is in the kitchen?", budget_tokens=10_000, count_tokens=len)
    assert [p.scene for p in kitchen if p.score >= 50] == [1, 5]


def test_plain_words_rank_by_bm25(river_town: tuple[Document, ScriptFacts]) -> None:
    document, facts = river_town
    index = SceneIndex.build(document, facts)
    found = search(index, "the giant catfish", budget_tokens=10_000, count_tokens=words_count)
    assert [p.scene for p in found] == [2, 3]  # script order
    assert found[0].score > found[1].score > 0  # "giant" and "catfish" beat "catfish"
    assert search(index, "a spaceship", budget_tokens=10_000, count_tokens=words_count) == []


def test_the_budget_keeps_the_best_in_script_order(
    big_fish: tuple[Document, ScriptFacts, SceneIndex],
) -> None:
    _document, _facts, index = big_fish
    budget = 1_500
    found = search(index, "Who is the witch?", budget_tokens=budget, count_tokens=words_count)
    assert found
    assert words_count(render_passages(found)) <= budget
    assert [p.scene for p in found] == sorted(p.scene for p in found)  # type: ignore[type-var]
    everything = search(index, "Who is the witch?", budget_tokens=10**9, count_tokens=words_count)
    best = max(everything, key=lambda p: p.score)
    if words_count(render_passages([best])) <= budget:
        assert best.scene in [p.scene for p in found]
    assert len(found) < len(everything)
    assert search(index, "Who is the witch?", budget_tokens=0, count_tokens=words_count) == []


def test_a_character_question_on_a_real_script(
    big_fish: tuple[Document, ScriptFacts, SceneIndex],
) -> None:
    _document, facts, index = big_fish
    jenny = next(c for c in facts.characters if c.name == "JENNY")
    found = search(index, "What does jenny want?", budget_tokens=10**9, count_tokens=words_count)
    boosted = {p.scene for p in found if p.score >= 100}
    assert set(jenny.scenes) <= boosted
    # Boosted scenes rank before every other: with a budget, Jenny's scenes come first.
    budget = sum(words_count(render_passages([index.passages[n - 1]])) for n in jenny.scenes[:3])
    small = search(index, "What does jenny want?", budget_tokens=budget, count_tokens=words_count)
    assert small and all(p.scene in boosted for p in small)


def test_an_alias_pulls_the_same_scenes(
    big_fish: tuple[Document, ScriptFacts, SceneIndex],
) -> None:
    _document, facts, index = big_fish
    edward = next(c for c in facts.characters if c.name == "EDWARD")
    assert "YOUNG EDWARD" in edward.aliases
    found = search(
        index, "Why does young edward leave?", budget_tokens=10**9, count_tokens=words_count
    )
    assert set(edward.scenes) <= {p.scene for p in found if p.score >= 100}


def test_a_location_question_on_a_real_script(
    big_fish: tuple[Document, ScriptFacts, SceneIndex],
) -> None:
    _document, facts, index = big_fish
    top = facts.locations[0]  # HOSPITAL ROOM
    question = f"What happens in the {top.name.lower()}?"
    found = search(index, question, budget_tokens=10**9, count_tokens=words_count)
    assert set(top.scenes) <= {p.scene for p in found if p.score >= 100}


def test_the_index_is_built_once_and_searches_fast(
    big_fish: tuple[Document, ScriptFacts, SceneIndex],
) -> None:
    document, facts, index = big_fish
    assert len(index) == len(document.scenes) > 150
    started = time.perf_counter()
    for _ in range(20):
        search(index, "Edward and the giant at the river", budget_tokens=4_000, count_tokens=len)
    assert (time.perf_counter() - started) / 20 < 0.05
    started = time.perf_counter()
    SceneIndex.build(document, facts)
    assert time.perf_counter() - started < 2.0


def test_a_text_document_is_searched_by_page_passages(tmp_path: Path) -> None:
    filler = " ".join(f"word{i}" for i in range(400))
    pages = [f"Gardens need water.\n\n{filler}", "The budget for tulips is small.", "Nothing."]
    path = tmp_path / "report.txt"
    path.write_text("\f".join(pages), encoding="utf-8")
    document = load(path)
    index = SceneIndex.build(document, script_facts(document))
    assert [p.page for p in index.passages] == ["1", "1", "2", "3"]  # page 1 is two passages
    assert all(p.scene is None for p in index.passages)
    found = search(index, "tulip budget", budget_tokens=1_000, count_tokens=words_count)
    assert [(p.citation, p.heading) for p in found] == [("(p. 2)", "Page 2")]
    assert render_passages(found) == "[p. 2]\nThe budget for tulips is small."


def test_a_generic_pdf_cites_its_pages(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(
        make_pdf(["Quarterly report\nSales rose.", "Appendix\nThe lighthouse costs rose."])
    )
    document = load(path)
    assert not document.scenes
    index = SceneIndex.build(document)
    found = search(index, "lighthouse costs", budget_tokens=500, count_tokens=words_count)
    assert [p.citation for p in found] == ["(p. 2)"]
    assert "lighthouse" in found[0].text
