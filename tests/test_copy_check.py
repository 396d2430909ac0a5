"""Map notes that copy their chunk are rewritten once, then reported if they still copy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine
from logline.resources_access import resource
from logline.summarize import copy_check, modes
from logline.summarize.events import Notice, PhaseStarted
from logline.summarize.runner import SummaryOptions, summarize

CHUNK = (
    "[Sc. 1, p. 1]\nINT. DINER - NIGHT\nScott slides a gun across the table to Baxter, "
    "who does not touch it. The waitress pours coffee and pretends not to see."
)


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> Engine:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    return engine


def test_a_note_that_copies_its_chunk_is_found() -> None:
    copied = "- Scott slides a gun across the table to Baxter, who does not touch it (Sc. 1, p. 1)"
    summary = "- Scott offers Baxter a weapon; Baxter refuses it (Sc. 1, p. 1)"
    assert copy_check.copied([copied, summary], [CHUNK, CHUNK], 0.5) == [0]


def _summary(engine: Engine, threshold: float, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(copy_check, "COPY_THRESHOLD", threshold)
    mode = modes.get_mode("synopsis")
    options = SummaryOptions(
        mode="synopsis",
        sampling=replace(mode.sampling, max_tokens=8),
        map_sampling=replace(mode.map_sampling, max_tokens=8),
        max_context=1400,
        chunk_tokens=400,
    )
    batches: list[int] = []
    generate_batch = engine.generate_batch

    def counting(requests, *args, **kwargs):  # a spy: the real batch runs
        batches.append(len(requests))
        return generate_batch(requests, *args, **kwargs)

    monkeypatch.setattr(engine, "generate_batch", counting)
    events: list[object] = []
    document = load(Path(str(resource("sample.fountain"))))
    result = summarize(engine, document, CancelToken(), events.append, options)
    assert result.error is None, result.error
    return result, events, batches


def test_notes_over_the_threshold_are_regenerated_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Threshold below every ratio: every note "copies", is rewritten once, and still copies.
    result, events, batches = _summary(engine, -1.0, monkeypatch)
    chunks = len(result.plan.chunks)
    assert batches[:2] == [chunks, chunks]  # the map, then one quiet rewrite of every note
    phases = [e.phase for e in events if isinstance(e, PhaseStarted)]
    assert phases.count("map") == 1
    assert len(batches) == _batched_phases(events) + 1  # one rewrite, once
    assert result.copied_notes == list(range(chunks))
    assert any(isinstance(e, Notice) and "copy the script" in e.message for e in events)


def test_notes_under_the_threshold_are_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, events, batches = _summary(engine, 1.1, monkeypatch)
    assert batches[0] == len(result.plan.chunks)
    assert len(batches) == _batched_phases(events)  # no rewrite
    assert result.copied_notes == []
    assert not any(isinstance(e, Notice) and "copy the script" in e.message for e in events)


def _batched_phases(events: list[object]) -> int:
    return sum(isinstance(e, PhaseStarted) and e.phase in ("map", "merge") for e in events)
