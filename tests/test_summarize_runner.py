"""Whole-document summaries with a tiny random model: plans, batched maps, cancel, memory."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine
from logline.resources_access import resource
from logline.summarize import modes
from logline.summarize.events import (
    AnswerText,
    ChunkDone,
    ChunkText,
    PhaseStarted,
    PlanChosen,
    SummaryFinished,
)
from logline.summarize.runner import SummaryOptions, summarize
from timing import limit

FAST = replace(modes.get_mode("synopsis").sampling, max_tokens=8)
FAST_NOTES = replace(modes.get_mode("synopsis").map_sampling, max_tokens=8)


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> Engine:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    return engine


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    return load(Path(str(resource("sample.fountain"))))


def _options(**changes: object) -> SummaryOptions:
    base = SummaryOptions(mode="synopsis", sampling=FAST, map_sampling=FAST_NOTES)
    return replace(base, **changes)


def _run(engine: Engine, document, options: SummaryOptions, cancel: CancelToken | None = None):
    events: list[object] = []
    result = summarize(engine, document, cancel or CancelToken(), events.append, options)
    return result, events


def test_a_short_script_is_summarized_in_one_pass(engine: Engine, sample) -> None:
    result, events = _run(engine, sample, _options())
    assert result.error is None and result.reason in ("done", "length")
    assert result.plan is not None and result.plan.strategy == "single"
    assert isinstance(events[0], PlanChosen) and events[0].strategy == "single"
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert streamed == result.raw_text and result.raw_text


def test_a_script_longer_than_the_context_goes_through_map_reduce(engine: Engine, sample) -> None:
    result, events = _run(engine, sample, _options(max_context=1400, chunk_tokens=400))
    assert result.error is None, result.error
    plan = result.plan
    assert plan is not None and plan.strategy == "map_reduce" and len(plan.chunks) > 1
    started = [e for e in events if isinstance(e, PhaseStarted)]
    assert started[0].phase == "map" and started[0].items == len(plan.chunks)
    assert started[-1].phase == "reduce"
    done = [e for e in events if isinstance(e, ChunkDone) and e.phase == "map"]
    assert sorted(e.index for e in done) == list(range(len(plan.chunks)))
    assert [e.done for e in done] == list(range(1, len(plan.chunks) + 1))
    assert len(result.notes) == len(plan.chunks) and all(result.notes)
    partial = {e.index for e in events if isinstance(e, ChunkText)}
    assert partial == set(range(len(plan.chunks)))  # every chunk's notes were shown live
    assert result.raw_text == "".join(e.text for e in events if isinstance(e, AnswerText))
    assert {p.phase for p in result.phases} >= {"map", "reduce"}


def test_batched_and_sequential_map_phases_write_the_same_notes(engine: Engine, sample) -> None:
    options = _options(max_context=1400, chunk_tokens=300)
    batched, _ = _run(engine, sample, replace(options, max_batch=8))
    sequential, _ = _run(engine, sample, replace(options, max_batch=1))
    assert len(batched.notes) > 2
    assert batched.notes == sequential.notes
    assert batched.raw_text == sequential.raw_text


def test_cancel_during_the_map_phase_returns_fast_with_partial_notes(
    engine: Engine, sample
) -> None:
    cancel = CancelToken()
    options = _options(
        max_context=1600, chunk_tokens=300, map_sampling=replace(FAST_NOTES, max_tokens=400)
    )
    cancelled_at: list[float] = []

    def emit(event: object) -> None:
        if isinstance(event, ChunkText) and not cancelled_at:
            cancel.cancel()
            cancelled_at.append(time.perf_counter())

    result = summarize(engine, sample, cancel, emit, options)
    assert cancelled_at and time.perf_counter() - cancelled_at[0] < limit(0.5)
    assert result.reason == "stopped"
    assert any(result.notes), "the notes written before Stop are kept"


def test_cancel_from_another_thread_during_prefill(engine: Engine, sample) -> None:
    cancel = CancelToken()
    timer = threading.Timer(0.05, cancel.cancel)
    timer.start()
    started = time.perf_counter()
    result, _ = _run(engine, sample, _options(), cancel)
    timer.join()
    assert result.reason == "stopped"
    assert time.perf_counter() - started < 0.05 + 0.5


def test_peak_memory_does_not_grow_with_the_document(engine: Engine, tmp_path: Path) -> None:
    text = Path(str(resource("sample.fountain"))).read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]
    short = tmp_path / "short.fountain"
    long = tmp_path / "long.fountain"
    short.write_text(text, encoding="utf-8")
    long.write_text(text + ("\n\n" + body) * 3, encoding="utf-8")
    options = _options(max_context=1400, chunk_tokens=300)
    short_result, _ = _run(engine, load(short), options)
    long_result, _ = _run(engine, load(long), options)
    assert len(long_result.plan.chunks) >= 3 * len(short_result.plan.chunks)
    assert long_result.peak_memory_bytes <= short_result.peak_memory_bytes * 1.15


def test_unknown_mode_and_missing_instruction_are_clear(engine: Engine, sample) -> None:
    with pytest.raises(ValueError, match="Unknown summary mode"):
        _run(engine, sample, _options(mode="haiku"))
    result, _ = _run(engine, sample, _options(mode="custom"))
    assert result.reason == "error" and "instruction" in str(result.error)


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts" / "fountain"


@pytest.mark.slow
def test_the_embedded_model_summarizes_a_corpus_script_end_to_end(smollm2_model_dir: Path) -> None:
    """The real SmolLM2 through the whole map-reduce on a real script: every chunk gets notes,
    the answer streams, and its citations are checked against the script."""
    script = CORPUS / "brick-and-steel.fountain"
    if not script.is_file():
        pytest.skip(f"{script} is not here (../shared/corpus)")
    document = load(script)
    engine = Engine()
    engine.load("smollm2", smollm2_model_dir)
    options = SummaryOptions(
        mode="synopsis",
        max_context=1024,  # force map-reduce on this short script
        chunk_tokens=384,
        sampling=replace(modes.get_mode("synopsis").sampling, max_tokens=96),
        map_sampling=replace(modes.get_mode("synopsis").map_sampling, max_tokens=64),
    )
    result, events = _run(engine, document, options)
    assert result.error is None, result.error
    assert result.plan is not None and result.plan.strategy == "map_reduce"
    assert len(result.notes) == len(result.plan.chunks) >= 2
    assert all(note.strip() for note in result.notes)
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert streamed == result.raw_text and len(result.raw_text.split()) >= 10
    assert result.citations is not None  # checked, whatever the model cited
    assert result.peak_memory_bytes > 0


def test_a_summary_speaks_only_summary_events_and_ends_with_its_result(
    engine: Engine, sample
) -> None:
    from logline.engine import events as engine_events

    result, events = _run(engine, sample, _options(max_context=1400, chunk_tokens=400))
    assert isinstance(events[-1], SummaryFinished) and events[-1].result is result
    assert sum(isinstance(e, SummaryFinished) for e in events) == 1
    leaked = [
        e
        for e in events
        if isinstance(e, (engine_events.Generated, engine_events.Finished))
        or type(e) is engine_events.PromptProgress
    ]
    assert leaked == []
    assert result.stats is not None and result.stats.generation_tokens > 0


def test_the_map_batch_follows_the_memory_budget_and_is_reported(
    engine: Engine, sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roomy machine decodes every chunk together (up to the CPU's ceiling); a simulated small
    one fewer; each phase reports its batch and budget; the user's --batch caps it."""
    from logline.engine import batch_budget

    options = _options(max_context=1400, chunk_tokens=400)
    roomy, _ = _run(engine, sample, options)
    chunks = len(roomy.plan.chunks)
    roomy_map = next(p for p in roomy.phases if p.phase == "map")
    assert roomy_map.batch_size == min(chunks, batch_budget.MAX_ROWS["cpu"])
    assert roomy_map.budget_bytes > 0 and roomy_map.to_json()["batch_size"] == roomy_map.batch_size
    tokens = 400 + 300 + FAST_NOTES.max_tokens  # a chunk, its frame (generous) and its notes
    each = batch_budget.per_sequence_bytes(engine.loaded.model, tokens)
    import mlx.core as mx

    in_use = max(mx.get_active_memory(), engine.loaded.weights_bytes)
    room = in_use + batch_budget.MIN_MARGIN + 2 * each  # two generous sequences: at most two
    monkeypatch.setenv(batch_budget.ENV, str(room))
    small, _ = _run(engine, sample, options)
    small_map = next(p for p in small.phases if p.phase == "map")
    assert 1 <= small_map.batch_size <= 2 < roomy_map.batch_size
    assert small.notes == roomy.notes  # greedy notes do not depend on the batch
    monkeypatch.delenv(batch_budget.ENV)
    capped, _ = _run(engine, sample, replace(options, max_batch=1))
    assert next(p for p in capped.phases if p.phase == "map").batch_size == 1
