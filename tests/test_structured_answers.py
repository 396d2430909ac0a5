"""Answers whose structure Logline enforces, with a tiny random model (the structure must hold
whatever the model writes): coverage sections and verdict, character arcs, scene entries."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from logline.documents import load
from logline.documents.facts import script_facts
from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine
from logline.resources_access import resource
from logline.summarize import arcs, coverage, modes
from logline.summarize.answer_shapes import scene_entries
from logline.summarize.events import AnswerText, PhaseStarted
from logline.summarize.quality import COVERAGE_SECTIONS, VERDICTS, coverage_structure
from logline.summarize.runner import SummaryOptions, summarize
from logline.summarize.structured import as_bullets, unrepeated, whole_sentences


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> Engine:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    return engine


@pytest.fixture(scope="module")
def sample():
    return load(Path(str(resource("sample.fountain"))))


def _summary(engine: Engine, document, mode: str, max_tokens: int = 24, **changes):
    sampling = replace(modes.get_mode(mode).sampling, max_tokens=max_tokens)
    notes = replace(modes.get_mode(mode).map_sampling, max_tokens=16)
    options = SummaryOptions(mode=mode, sampling=sampling, map_sampling=notes, **changes)
    events: list[object] = []
    result = summarize(engine, document, CancelToken(), events.append, options)
    assert result.error is None, result.error
    return result, events


def test_the_sections_are_the_ones_the_benchmark_checks() -> None:
    headings = (*(s.heading for s in coverage.SECTIONS), coverage.VERDICT_HEADING)
    assert headings == COVERAGE_SECTIONS


@pytest.mark.parametrize("context", [None, 1400], ids=["single", "map_reduce"])
def test_a_coverage_report_has_every_section_in_order_and_one_verdict(
    engine: Engine, sample, context: int | None
) -> None:
    result, events = _summary(engine, sample, "coverage", max_context=context, chunk_tokens=400)
    structure = coverage_structure(result.text)
    assert structure.in_order, structure
    assert len(structure.verdicts) == 1 and structure.verdicts[0] in VERDICTS
    assert result.reason in ("done", "repetition")
    # Logline's own facts open the report; the character table opens the Characters section.
    facts = script_facts(sample)
    assert result.text.startswith(f"- Title: {facts.title}")
    characters = result.text.split("## Characters", 1)[1].split("## Strengths", 1)[0]
    assert characters.lstrip().startswith("| Character |")
    # What streamed is what the report says (the final text only checks citations and names).
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert structure.in_order == coverage_structure(streamed).in_order
    if context:
        assert result.plan is not None and result.plan.strategy == "map_reduce"


def test_the_verdict_is_the_models_best_scored_option(engine: Engine) -> None:
    """Engine.choose's scores equal the log-probabilities of a plain forward pass."""
    import mlx.core as mx

    from logline.engine.choices import answer_tokens, end_token_ids

    loaded = engine.loaded
    assert loaded is not None
    messages = [{"role": "user", "content": "Is this script good? One word."}]
    scores = engine.choose(messages, VERDICTS, CancelToken(), lambda event: None)
    prompt = engine.render_prompt(messages)
    ends = end_token_ids(loaded.tokenizer)
    for option, score in zip(VERDICTS, scores, strict=True):
        tokens = answer_tokens(loaded.tokenizer, option)
        logits = loaded.model(mx.array(prompt + tokens)[None])[0].astype(mx.float32)
        logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        expected = sum(
            logprobs[len(prompt) - 1 + i, token].item() for i, token in enumerate(tokens)
        )
        expected += mx.logsumexp(logprobs[-1][mx.array(ends)]).item()
        assert score == pytest.approx(expected, abs=2e-3)


def test_character_arcs_cover_the_top_characters_one_bullet_list_each(
    engine: Engine, sample
) -> None:
    result, _ = _summary(engine, sample, "characters", max_tokens=1000)
    names = arcs.arc_characters(script_facts(sample).characters)
    assert names
    headings = re.findall(r"^### (.+)$", result.text, re.MULTILINE)
    assert headings == names
    for block in re.split(r"^### .+$", result.text, flags=re.MULTILINE)[1:]:
        lines = [line for line in block.strip().splitlines() if line.strip()]
        assert all(line.startswith("- ") for line in lines), block


def test_the_scene_breakdown_has_one_entry_per_scene_group_with_its_citation(
    engine: Engine, sample
) -> None:
    result, events = _summary(engine, sample, "scenes", chunk_tokens=400)
    plan = result.plan
    assert plan is not None and plan.strategy == "map_reduce"  # even though the script fits
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["map"]
    headings = re.findall(r"^### (.+)$", result.text, re.MULTILINE)
    assert headings == [chunk.label for chunk in plan.chunks]


def test_other_modes_keep_free_prose(engine: Engine, sample) -> None:
    result, _ = _summary(engine, sample, "synopsis")
    assert "## Logline" not in result.text and "### " not in result.text


def test_a_reply_cut_by_its_bound_ends_at_its_last_whole_sentence() -> None:
    assert whole_sentences("One. Two is") == "One."
    assert whole_sentences("A point (Sc. 3, p. 4) and more") == "A point (Sc. 3, p. 4)"
    assert whole_sentences("- first\n- second is cut") == "- first"
    assert whole_sentences("no end at all") == "no end at all"


def test_replies_become_bullet_lists() -> None:
    text = "1. Wants out.\n* Leaves home.\n\nReturns changed.\n- Done."
    assert as_bullets(text) == "- Wants out.\n- Leaves home.\n- Returns changed.\n- Done."


ARC = "- A retired detective hunts a gang of thieves. He wins in the end (Sc. 3, p. 2)."


def test_a_turn_that_repeats_an_earlier_one_is_cut() -> None:
    """Each turn's own loop guard sees only that turn: the same bullets for two characters
    (a small model's favourite loop) are caught across turns."""
    earlier = f"### BRICK\n\n{ARC}\n\n### STEEL\n\n"
    assert unrepeated(earlier, ARC) == ("", True)
    assert unrepeated(earlier, "- Steel drives the car. He is loyal (Sc. 4, p. 3).") == (
        "- Steel drives the car. He is loyal (Sc. 4, p. 3).",
        False,
    )
    kept, cut = unrepeated(earlier, "- Steel drives the car.\n" + ARC)
    assert (kept, cut) == ("- Steel drives the car.", True)
    # Repetition inside the earlier text alone is not the reply's doing.
    assert unrepeated(ARC + "\n" + ARC + "\n", "- New.") == ("- New.", False)
    # A reply whose first sentence completes a repeated pair (its other half ends the earlier
    # text) is cut from its start.
    pair = "The hero leaves home today. She is afraid of the dark."
    assert unrepeated(f"{pair}\n- She is afraid of the dark.\n", "- The hero leaves home.") == (
        "- The hero leaves home.",
        False,
    )
    earlier = f"{pair}\n### NEXT\n\nThe hero leaves home today."
    assert unrepeated(earlier, " She is afraid of the dark. Then more.") == ("", True)


def test_a_scene_entry_that_repeats_an_earlier_one_is_cut(sample) -> None:
    from logline.summarize.planner import plan_summary

    plan = plan_summary(
        sample,
        count_tokens=lambda text: len(text) // 2,
        usable_context=2000,
        frame_tokens=100,
        answer_tokens=100,
        map_frame_tokens=100,
        map_answer_tokens=100,
        max_chunk_tokens=300,
        single_pass=False,
    )
    first, second = plan.chunks[:2]
    text, cut = scene_entries([first, second], [ARC, "- Others.\n" + ARC])
    assert cut and text == f"### {first.label}\n\n{ARC}\n\n### {second.label}\n\n- Others."
    text, cut = scene_entries([first, second], [ARC, "- Something new happens here."])
    assert not cut and text.endswith("- Something new happens here.")


def test_a_looping_model_gives_a_report_with_every_section_and_says_where_it_repeated(
    tmp_path_factory: pytest.TempPathFactory, sample
) -> None:
    """A model that writes the same two sentences whatever it is asked: the first section keeps
    them once, every later one would repeat them and says so instead of staying empty; the
    report keeps its structure and ends as ``repetition``, never ``done``."""
    from logline.summarize.structured import NOTHING_NEW
    from tiny_models import LOOPING_TEXT, make_looping_mlx_model

    engine = Engine(prefill_step=64)
    engine.load("looping", make_looping_mlx_model(tmp_path_factory.mktemp("loop"), LOOPING_TEXT))
    result, _ = _summary(engine, sample, "coverage", max_tokens=1500)
    structure = coverage_structure(result.text)
    assert structure.in_order and len(structure.verdicts) == 1
    assert result.reason == "repetition"
    assert result.text.count(LOOPING_TEXT.strip()) == 1
    assert result.text.count(NOTHING_NEW) == len(coverage.SECTIONS) - 1 + 1  # and the reasons


def test_what_logline_writes_itself_is_never_flagged_as_an_unknown_name(sample, tmp_path) -> None:
    """A report's facts block and character table are Logline's own words ("Source",
    "Speeches", "Top locations"): the name check knows them (it flagged them in a real report)."""
    from logline.documents.facts import character_table, facts_header, script_facts
    from logline.summarize.names import for_summary

    script = tmp_path / "novel.fountain"
    script.write_text(
        "Title: The Pier\nSource: based on a story by Ada Quill\nAuthor: Sam Vale\n\n"
        "EXT. PIER - NIGHT\n\nWAVES crash.\n\nMARA\nWe go now.\n\nTOBIAS\nNot yet.\n\n"
        "INT. BOATHOUSE - DAY\n\nMARA\nNow.\n",
        encoding="utf-8",
    )
    for document in (sample, load(script)):
        facts = script_facts(document)
        own = f"{facts_header(facts)}\n\n{character_table(facts)}"
        assert "Source" in own or document is sample
        assert for_summary(document).unknown(own) == []
    assert [f.name for f in for_summary(load(script)).unknown("Elena meets Mara.")] == ["Elena"]
