"""Names checked at the end of every summary, with a tiny random model: the result's names, its
text, the notice, and the streamed text through both filters agree (issue 14, item 5)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine
from logline.summarize import modes
from logline.summarize.citation_stream import CitationFilter
from logline.summarize.citations import FLAG, apply, validate
from logline.summarize.events import AnswerText, Notice
from logline.summarize.names import NameChecker
from logline.summarize.names_stream import NameFilter
from logline.summarize.runner import SummaryOptions, summarize

SCRIPT = "INT. ROOM - DAY\n\nBOB sits.\n"
# A random model writes capitalised nonsense ("Hri", "Balog"): unknown names to this script.
SEEDS = range(1, 9)


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> Engine:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    return engine


@pytest.fixture
def document(tmp_path: Path):
    path = tmp_path / "room.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return load(path)


def _summaries(engine: Engine, document, policy: str):
    """(result, events) for several seeded summaries at temperature 1."""
    for seed in SEEDS:
        sampling = replace(
            modes.get_mode("synopsis").sampling, max_tokens=64, temperature=1.0, seed=seed
        )
        options = SummaryOptions(mode="synopsis", sampling=sampling, names_policy=policy)  # type: ignore[arg-type]
        events: list[object] = []
        yield summarize(engine, document, CancelToken(), events.append, options), events


@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_the_summary_flags_unknown_names_after_its_citations(
    engine: Engine, document, policy: str
) -> None:
    with_names = 0
    for result, events in _summaries(engine, document, policy):
        assert result.error is None
        cited = apply(result.raw_text, validate(result.raw_text, document), policy)  # type: ignore[arg-type]
        checker = NameChecker.from_document(document)
        expected, flags = checker.apply(cited, policy)  # type: ignore[arg-type]
        assert result.names == flags
        assert result.text == expected
        notices = [e.message for e in events if isinstance(e, Notice) and "name" in e.message]
        if result.names:
            with_names += 1
            count = len(result.names)
            assert notices and notices[0].startswith(f"{count} name")
            done = "marked" if policy == "flag" else "removed"
            assert done in notices[0]
            if policy == "flag":
                assert f"({FLAG} {result.names[0].name} — not in this script)" in result.text
            else:
                assert FLAG not in result.text.replace(FLAG + " Sc", "")
        else:
            assert not notices
        # What streamed, through both filters in the runner's order, is the final text.
        streamed = "".join(e.text for e in events if isinstance(e, AnswerText))
        citations = CitationFilter(document, policy)  # type: ignore[arg-type]
        names = NameFilter(checker, policy)  # type: ignore[arg-type]
        shown = "".join(
            names.feed(citations.feed(e.text)) for e in events if isinstance(e, AnswerText)
        )
        shown += names.feed(citations.flush()) + names.flush()
        assert streamed == result.raw_text
        assert shown == result.text
    assert with_names >= 1, "no seed made the random model write an unknown name"
