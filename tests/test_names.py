"""Names checked like citations (issue 14): unknown names flagged or removed, whole or streamed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from logline.documents import load
from logline.summarize.citation_stream import CitationFilter
from logline.summarize.citations import FLAGGED_RE, apply, validate
from logline.summarize.names import NameChecker, NameFlag, common_words, flagged_names
from logline.summarize.names_stream import NameFilter, safe_cut

SCRIPT = """Title: Harbour Lights
Author: Ana Cole

INT. HARBOUR OFFICE - NIGHT

MARA checks the ledger. Her uncle Tobias sailed to Lisbon years ago.

MARA
Sheriff Dunn says the boat came back empty.

YOUNG MARA (V.O.)
I remember the lighthouse.

EXT. PIER - DAWN

OLD PETE mends a net.
"""

ANSWER = (
    "**Logline:** Meanwhile, Mara learns that her uncle Tobias never reached Lisbon. "
    "However, Elena Vasquez's brother Marcus claims the boat (Sc. 1, p. 1) was sold in "
    "Ashford (Sc. 9, p. 1).\n"
    "## Characters\n"
    "- **Mara**: the harbour clerk. Young Mara (V.O.) remembers the lighthouse.\n"
    "- **Old Pete**: mends nets on the pier; Sheriff Dunn and Dr. Elena Vasquez doubt him.\n"
    "The Verdict: Consider. In March, on a Monday, INT. HARBOUR OFFICE is where it ends."
)
INVENTED = ["Elena Vasquez", "Marcus", "Ashford", "Elena Vasquez"]


@pytest.fixture
def document(tmp_path: Path):
    path = tmp_path / "harbour.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return load(path)


@pytest.fixture
def checker(document) -> NameChecker:
    return NameChecker.from_document(document)


def test_invented_names_are_found_and_known_ones_are_not(checker: NameChecker) -> None:
    flags = checker.unknown(ANSWER)
    assert [flag.name for flag in flags] == INVENTED
    for flag in flags:
        assert ANSWER[flag.start : flag.end] == flag.name
    # A possessive resolves to the name; a multi-word name counts once.
    assert flags[0] == NameFlag("Elena Vasquez", ANSWER.index("Elena"), ANSWER.index("'s"))


def test_flags_are_written_inline_and_match_the_citation_flag_style(checker) -> None:
    text, flags = checker.apply(ANSWER, "flag")
    assert "(⚠ Elena Vasquez — not in this script)'s brother" in text
    assert "(⚠ Marcus — not in this script) claims" in text
    assert "Dr. (⚠ Elena Vasquez — not in this script) doubt" in text
    assert all(FLAGGED_RE.fullmatch(f"(⚠ {f.name} — not in this script)") for f in flags)
    assert flagged_names(text) == INVENTED
    # Checking a checked text again changes nothing: flags are left alone.
    assert checker.apply(text, "flag") == (text, [])


def test_remove_deletes_the_name_and_tidies_the_spaces(checker) -> None:
    text, flags = checker.apply(ANSWER, "remove")
    assert len(flags) == 4
    assert "However, brother claims" in text
    assert "sold in (Sc. 9, p. 1)" in text
    assert "Dr. doubt him" in text
    assert "  " not in text and "Elena" not in text and "Ashford" not in text
    assert checker.apply("Elena walks in.", "remove")[0] == "walks in."
    assert checker.apply("Mara met Elena.", "remove")[0] == "Mara met."


def test_unknown_policy_is_refused(checker) -> None:
    with pytest.raises(ValueError):
        checker.apply(ANSWER, "hide")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Meanwhile, However, The Story, Therefore, Overall, Ultimately, Despite that.",
        "**Logline** **Synopsis** **Strengths** **Weaknesses** **Verdict**: Pass / Consider / "
        "Recommend. Protagonist: Mara. Antagonist: the sea.",
        "Mr. Dunn, Mrs. Dunn, Dr. Pete and Sheriff Dunn; Sergeant Mara.",
        "In January, February, May and December; on Monday, Tuesday and Sunday.",
        "INT. EXT. INT./EXT. Scene 1, Sc. 1, Act II, Act Three, V.O., O.S., CONT'D.",
        "FADE IN. CUT TO: Montage. Flashback. Intercut. Close on Mara. Title card.",
        "The boat (Sc. 1, p. 1) and (Sc. 1–2, pp. 1–2); see (Scene 1, page 1).",
        "I think It's Mara's story. Don't forget: Let's go. They're back.",
        "Young Mara, Old Pete, MARA, Tobias's letter, the Harbour Office, Lisbon's streets.",
    ],
)
def test_common_words_labels_and_script_words_are_never_flagged(checker, text: str) -> None:
    assert checker.unknown(text) == []


def test_words_of_the_instruction_and_the_title_page_are_known(document) -> None:
    text = "Compare Mara with Captain Ahab, as Ana Cole intended."
    assert [f.name for f in NameChecker.from_document(document).unknown(text)] == ["Ahab"]
    checker = NameChecker.from_document(document, extra_known=["How is Mara like Ahab?"])
    assert checker.unknown(text) == []


def test_a_generic_document_says_document(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("A report about the gardens of Kew.\n", encoding="utf-8")
    checker = NameChecker.from_document(load(path))
    assert checker.apply("Kew and Elena.", "flag")[0] == (
        "Kew and (⚠ Elena — not in this document)."
    )


def test_the_common_word_list_ships_without_first_names() -> None:
    words = common_words()
    assert {"meanwhile", "synopsis", "verdict", "int", "cont'd", "january"} <= words
    assert not {"will", "grace", "jack", "elena", "marcus", "rose"} & words


# -- streaming ------------------------------------------------------------------------------


def _stream(checker: NameChecker, text: str, sizes: list[int], policy: str) -> tuple[str, list]:
    name_filter = NameFilter(checker, policy)  # type: ignore[arg-type]
    shown, position = [], 0
    for size in sizes:
        shown.append(name_filter.feed(text[position : position + size]))
        position += size
    shown.append(name_filter.feed(text[position:]))
    shown.append(name_filter.flush())
    return "".join(shown), name_filter.flags


@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_streamed_names_equal_the_whole_text_char_by_char_random_and_whole(
    checker, policy: str
) -> None:
    expected, flags = checker.apply(ANSWER, policy)  # type: ignore[arg-type]
    rng = random.Random(14)
    chunkings = [[1] * len(ANSWER), [len(ANSWER)]]
    chunkings += [[rng.randint(1, 12) for _ in range(len(ANSWER))] for _ in range(30)]
    for sizes in chunkings:
        shown, streamed = _stream(checker, ANSWER, sizes, policy)
        assert shown == expected
        assert streamed == flags


def test_only_a_partial_word_or_name_is_held_back(checker) -> None:
    name_filter = NameFilter(checker)
    assert name_filter.feed("Mara sails") == "Mara "
    assert name_filter.feed(" away. Then Elena") == "sails away."
    assert name_filter.feed(" Vasquez") == ""  # the name may go on
    assert name_filter.feed(" waits") == " Then (⚠ Elena Vasquez — not in this script) "
    assert name_filter.flush() == "waits"
    assert safe_cut("An open flag (⚠ Sc. 9 — not in") == len("An open flag ")
    assert safe_cut("Text (") == len("Text ")


@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_names_filter_chains_after_the_citation_filter(document, checker, policy: str) -> None:
    """The order the runner uses: citations first, then names on the checked text."""
    cited = apply(ANSWER, validate(ANSWER, document), policy)  # type: ignore[arg-type]
    expected, _ = checker.apply(cited, policy)  # type: ignore[arg-type]
    assert ("(⚠ Sc. 9" in expected) == (policy == "flag")
    rng = random.Random(7)
    for _ in range(20):
        citations = CitationFilter(document, policy)  # type: ignore[arg-type]
        names = NameFilter(checker, policy)  # type: ignore[arg-type]
        shown, position = [], 0
        while position < len(ANSWER):
            size = rng.randint(1, 9)
            shown.append(names.feed(citations.feed(ANSWER[position : position + size])))
            position += size
        shown.append(names.feed(citations.flush()) + names.flush())
        assert "".join(shown) == expected
        assert [f.name for f in names.flags] == INVENTED


def test_citation_checks_leave_name_flags_alone(document, checker) -> None:
    flagged, _ = checker.apply(ANSWER, "flag")
    report = validate(flagged, document)
    assert all("Elena" not in c.raw for c in report.citations)
    assert apply(flagged, report, "flag").count("(⚠ Elena Vasquez — not in this script)") == 2
    citations = CitationFilter(document)
    assert citations.feed(flagged) + citations.flush() == apply(flagged, report, "flag")
    # flagged_names tells a name flag from a citation flag of the same shape.
    assert flagged_names("(⚠ Sc. 99 — not in this script) (⚠ Elena — not in this script)") == [
        "Elena"
    ]


FRAGMENTS = [
    "Elena",
    "Vasquez",
    "Mara",
    "Tobias",
    "the",
    "walks",
    "The",
    "However",
    "'s",
    "’s",
    "'",
    "-",
    " ",
    " ",
    " ",
    "  ",
    "\n",
    ".",
    ",",
    ":",
    "(",
    ")",
    "[",
    "]",
    "**",
    "#",
    "(⚠ ",
    " — not in this script)",
    "(Sc. 1, p. 1)",
    "(Sc. 9)",
    "ÉLODIE",
    "iPhone",
    "O'Brien",
    "x2",
    "—",
    "\t",
    "Dr.",
    "INT.",
]


@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_streaming_equals_the_whole_text_on_random_texts(checker, policy: str) -> None:
    rng = random.Random(1414)
    for _ in range(300):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 40)))
        expected, flags = checker.apply(text, policy)  # type: ignore[arg-type]
        sizes = [rng.randint(1, 6) for _ in range(len(text))]
        assert _stream(checker, text, sizes, policy) == (expected, flags), repr(text)
