"""The text metrics of logline.summarize.quality (the quality benchmark's and the runner's)."""

from __future__ import annotations

import time

import pytest

from logline.summarize.quality import (
    COVERAGE_SECTIONS,
    CoverageStructure,
    RepeatedSpan,
    copy_ratio,
    coverage_structure,
    distinct_ngram_ratio,
    longest_repeated_span,
    ngrams,
    sentences,
    words,
)

SOURCE = (
    "EDWARD stands at the edge of the river, holding the wedding ring his father gave him. "
    "He throws it into the water and watches it sink without a sound."
)


# -- words ---------------------------------------------------------------------------------------
def test_words_are_lower_case_letters_and_digits() -> None:
    assert words("INT. Diner - NIGHT, 1962: Edward's pie!") == [
        "int",
        "diner",
        "night",
        "1962",
        "edward's",
        "pie",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Edward leaves [Sc. 12, p. 34] town.",
        "Edward leaves (Sc. 12, p. 34) town.",
        "Edward leaves (pp. 3–4) town.",
        "Edward leaves [p. 7] town.",
        "Edward leaves (Scenes 4-6) town.",
        "Edward leaves (⚠ Sc. 3, p. 4 — not in this script) town.",
    ],
)
def test_citation_markers_are_not_words(text: str) -> None:
    assert words(text) == ["edward", "leaves", "town"]


def test_parentheses_that_cite_nothing_keep_their_words() -> None:
    assert words("He smiles (drowsy) [beat]") == ["he", "smiles", "drowsy", "beat"]


def test_words_of_nothing() -> None:
    assert words("") == []
    assert words(" -- ... !! ") == []


def test_curly_apostrophes_read_as_straight_ones() -> None:
    assert words("Don’t") == words("don't") == ["don't"]


def test_ngrams() -> None:
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert ngrams(["a"], 2) == []
    with pytest.raises(ValueError):
        ngrams(["a"], 0)


# -- copy_ratio ----------------------------------------------------------------------------------
def test_a_verbatim_note_copies_everything() -> None:
    assert copy_ratio(SOURCE, SOURCE) == 1.0


def test_a_paraphrase_copies_nothing() -> None:
    note = "Edward throws away his father's ring at the river, letting go of the past."
    assert copy_ratio(note, SOURCE) == 0.0


def test_copy_ratio_ignores_case_punctuation_and_added_citations() -> None:
    note = "edward STANDS at the edge of the river [Sc. 2, p. 3], holding the wedding ring"
    assert copy_ratio(note, SOURCE) == 1.0


def test_copy_ratio_is_the_share_of_copied_ngrams() -> None:
    copied = "he throws it into the water and watches it sink"  # 10 words: 3 8-grams, all found
    invented = "then a dragon arrives from the hills and eats the town"  # 11 words
    note = f"{copied} {invented}"  # 21 words: 14 8-grams, 3 of them in the source
    assert copy_ratio(note, SOURCE) == pytest.approx(3 / 14)


def test_notes_shorter_than_n_words_copy_nothing() -> None:
    assert copy_ratio("Edward stands at the edge", SOURCE) == 0.0
    assert copy_ratio("", SOURCE) == 0.0
    assert copy_ratio("Edward stands at the edge", SOURCE, n=3) == 1.0


def test_copy_ratio_against_an_empty_source() -> None:
    assert copy_ratio(SOURCE, "") == 0.0


# -- sentences -----------------------------------------------------------------------------------
def test_sentences_split_at_end_marks_and_line_breaks() -> None:
    text = "Edward runs. Does he win? Yes!\nKarl waits\n\nThe end."
    assert sentences(text) == ["Edward runs.", "Does he win?", "Yes!", "Karl waits", "The end."]


def test_bullets_and_numbers_are_not_part_of_sentences() -> None:
    text = "- Edward runs.\n* Karl waits\n• Jenny sings\n1. Sandra laughs\n2) Will leaves"
    assert sentences(text) == [
        "Edward runs.",
        "Karl waits",
        "Jenny sings",
        "Sandra laughs",
        "Will leaves",
    ]


def test_citations_do_not_end_sentences() -> None:
    assert sentences("Edward leaves (Sc. 12, p. 34) at dawn. He returns.") == [
        "Edward leaves   at dawn.",
        "He returns.",
    ]


def test_pieces_without_words_are_left_out() -> None:
    assert sentences("") == []
    assert sentences("...\n---\n[Sc. 1, p. 1]\n") == []


# -- longest_repeated_span -----------------------------------------------------------------------
def test_no_repetition() -> None:
    assert longest_repeated_span("Edward runs. Karl waits.") == RepeatedSpan(0, 0)
    assert longest_repeated_span("") == RepeatedSpan(0, 0)


def test_a_looping_pair_of_sentences() -> None:
    loop = "He went home. She stayed behind. "
    text = "It began at dawn. " + loop * 3 + "Then it rained."
    span = longest_repeated_span(text)
    # Three copies of the pair: a run of three sentences starts at copies 1 and 2 and overlaps.
    assert span.sentences == 2
    assert span.words == 6


def test_repeats_are_found_through_case_punctuation_and_citations() -> None:
    text = (
        "Edward leaves town (Sc. 3, p. 4). Karl follows him! Something else happens. "
        "EDWARD LEAVES TOWN. Karl follows him [Sc. 5, p. 9]."
    )
    assert longest_repeated_span(text) == RepeatedSpan(2, 6)


def test_overlapping_occurrences_do_not_count() -> None:
    assert longest_repeated_span("Go. Go. Go.").sentences == 1
    assert longest_repeated_span("a a a").words == 1
    assert longest_repeated_span("a a a a").words == 2


def test_a_repeated_phrase_inside_different_sentences() -> None:
    text = "Edward finds the old witch in the swamp. Later Karl finds the old witch in the town."
    assert longest_repeated_span(text) == RepeatedSpan(0, 6)  # "finds the old witch in the"


def test_a_long_loop_is_measured_quickly() -> None:
    text = "Intro line here. " + "The same two sentences again. And again they come. " * 2000
    started = time.perf_counter()
    span = longest_repeated_span(text)
    assert time.perf_counter() - started < 5
    assert span.sentences == 2000
    assert span.words == 9 * 1000


# -- distinct_ngram_ratio ------------------------------------------------------------------------
def test_distinct_ngrams() -> None:
    assert distinct_ngram_ratio(SOURCE) == 1.0
    assert distinct_ngram_ratio("a b c d a b c d") == pytest.approx(4 / 5)
    assert distinct_ngram_ratio("the same thing " * 200) < 0.02


def test_distinct_ngrams_of_short_texts() -> None:
    assert distinct_ngram_ratio("") == 1.0
    assert distinct_ngram_ratio("too short") == 1.0
    assert distinct_ngram_ratio("a a", n=1) == 0.5


# -- coverage_structure --------------------------------------------------------------------------
def report(sections: tuple[str, ...] = COVERAGE_SECTIONS, verdict: str = "**Consider**") -> str:
    parts = []
    for name in sections:
        body = (
            f"{verdict}\nThe reasons follow. A Pass would be unfair."
            if name == "Verdict"
            else (f"Text of {name.lower()} [Sc. 1, p. 1].")
        )
        parts.append(f"## {name}\n\n{body}\n")
    return "\n".join(parts)


def test_a_complete_report() -> None:
    assert coverage_structure(report()) == CoverageStructure(COVERAGE_SECTIONS, True, ("Consider",))


def test_a_missing_section() -> None:
    found = coverage_structure(report(COVERAGE_SECTIONS[:2] + COVERAGE_SECTIONS[3:]))
    assert found.sections == ("Logline", "Synopsis", "Strengths", "Weaknesses", "Verdict")
    assert not found.in_order
    assert found.verdicts == ("Consider",)


def test_sections_out_of_order_or_repeated() -> None:
    swapped = ("Synopsis", "Logline", *COVERAGE_SECTIONS[2:])
    assert not coverage_structure(report(swapped)).in_order
    repeated = (*COVERAGE_SECTIONS[:3], "Characters", *COVERAGE_SECTIONS[3:])
    found = coverage_structure(report(repeated))
    assert found.sections == repeated
    assert not found.in_order


def test_headings_of_another_level_or_name_do_not_count() -> None:
    text = "# Logline\n### Synopsis\n## Main Characters\nLogline\n**Strengths**\n## Weaknesses\n"
    assert coverage_structure(text) == CoverageStructure(("Weaknesses",), False, ())


def test_heading_case_bold_and_colon_are_cosmetic() -> None:
    text = (
        report().replace("## Strengths", "## **strengths:**").replace("## Logline", "##  LOGLINE")
    )
    assert coverage_structure(text).in_order


def test_verdict_words_on_the_first_line_only() -> None:
    assert coverage_structure(report(verdict="Pass or Consider")).verdicts == ("Pass", "Consider")
    assert coverage_structure(report(verdict="**Verdict: Recommend**")).verdicts == ("Recommend",)
    assert coverage_structure(report(verdict="No decision")).verdicts == ()
    # "passes", "recommended": not the verdict words
    assert coverage_structure(report(verdict="It passes; recommended")).verdicts == ()


def test_a_verdict_in_the_heading() -> None:
    text = report(COVERAGE_SECTIONS[:-1]) + "\n## Verdict: Pass\n\nWeak third act.\n"
    found = coverage_structure(text)
    assert found.in_order
    assert found.verdicts == ("Pass",)


def test_an_empty_verdict_section_and_no_report() -> None:
    text = "## Verdict\n\n## Logline\nRecommend it.\n"
    assert coverage_structure(text).verdicts == ()
    assert coverage_structure("") == CoverageStructure((), False, ())
