"""The loop guard and the no-repeat n-gram processor in every decoding path of the engine and
through a summary: a tiny model rewired to write the same two sentences forever is stopped after
the first time, with ``repetition``; the tiny random model (whose greedy text repeats tokens but
not sentences) is unchanged by the guards where its text does not repeat."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from logline.documents import load
from logline.engine import CancelToken, Finished, Generated, SamplingParams
from logline.engine.loop_guard import LoopGuard
from logline.engine.ngram import NoRepeatNGram
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.worker import EngineThread
from logline.resources_access import resource
from logline.summarize import modes
from logline.summarize.answer_shapes import scene_entries
from logline.summarize.events import AnswerText, ChunkDone, ChunkText
from logline.summarize.runner import SummaryOptions, _Session, summarize
from tiny_models import LOOPING_TEXT, make_looping_mlx_model

SYSTEM = {"role": "system", "content": "You read screenplays and write short notes on each scene."}
BODIES = (
    "INT. KITCHEN - NIGHT. The writer reads the script again.",
    "EXT. RIVER - DAY. A father and a son walk by the river, talking about a promise.",
    "INT. STUDIO - DAY. The readers score every script from 1 to 10 and buy three of them.",
    "Hello",
)
PATHS = ("shared buffers", "per-row caches", "per-row attention", "sequential fallback")


LOOP = LOOPING_TEXT
FIRST = LOOP.strip()  # the text starts without the first token's space


@pytest.fixture(scope="module")
def looping_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny llama rewired to write ``LOOP`` again and again, whatever the prompt."""
    return make_looping_mlx_model(tmp_path_factory.mktemp("looping"), LOOP)


@pytest.fixture(scope="module")
def worker(tiny_model_dir: Path):
    thread = EngineThread(Engine(prefill_step=32))
    thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def looping(looping_model_dir: Path):
    thread = EngineThread(Engine(prefill_step=32))
    thread.call(lambda engine: engine.load("looping", looping_model_dir))
    yield thread
    thread.close()


def _messages(body: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": body}]


def _requests(max_tokens: int, **sampling: object) -> list[GenerationRequest]:
    params = SamplingParams(max_tokens=max_tokens, **sampling)  # type: ignore[arg-type]
    return [GenerationRequest(messages=_messages(b), sampling=params) for b in BODIES]


def _received(events: list[object], row: int = 0) -> str:
    """A row's text as a consumer that honours ``retract`` ends up with."""
    text = ""
    for event in events:
        if isinstance(event, Generated) and event.row == row:
            text = text[: len(text) - event.retract] + event.text
    return text


def _single(worker: EngineThread, request: GenerationRequest) -> tuple[str, str]:
    def run(engine: Engine) -> tuple[list[object], Finished]:
        engine.clear_prefix_cache()
        events: list[object] = []
        return events, engine.generate(request, CancelToken(), events.append)

    events, finished = worker.call(run)
    ends = [e for e in events if isinstance(e, Generated) and e.finish_reason]
    assert [e.finish_reason for e in ends] == [finished.reason]
    return _received(events), finished.reason


def _batch(worker: EngineThread, requests: list[GenerationRequest], path: str = PATHS[0]):
    """``generate_batch`` on the plan's fast path or one of its others; (results, events)."""

    def run(engine: Engine):
        plan = engine.loaded.plan
        engine.loaded.plan = {
            "shared buffers": plan,
            "per-row caches": replace(plan, share_kv=False),
            "per-row attention": replace(plan, share_kv=False, llama_blocks=False),
            "sequential fallback": replace(plan, batch_rows=False),
        }[path]
        try:
            engine.clear_prefix_cache()
            events: list[object] = []
            return engine.generate_batch(requests, CancelToken(), events.append), events
        finally:
            engine.loaded.plan = plan

    return worker.call(run)


def _guard(text: str) -> LoopGuard:
    guard = LoopGuard()
    guard.take(text)
    guard.finish()
    return guard


def _raw(worker: EngineThread, body: str, max_tokens: int, processors=None):
    """mlx-lm's own greedy loop on the same prompt: (token ids, text)."""

    def run(engine: Engine):
        from mlx_lm import stream_generate

        loaded = engine.loaded
        ids = engine.render_prompt(_messages(body))
        responses = list(
            stream_generate(
                loaded.model,
                loaded.tokenizer,
                ids,
                max_tokens=max_tokens,
                logits_processors=processors,
            )
        )
        eos = set(loaded.tokenizer.eos_token_ids)
        tokens = [r.token for r in responses if r.token not in eos]
        return tokens, "".join(r.text for r in responses)

    return worker.call(run)


def _longest_repeated_ngram(tokens: list[int]) -> int:
    """The largest n such that some n-gram occurs twice in ``tokens`` (0: none repeats)."""
    for n in range(len(tokens) - 1, 0, -1):
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        if len(grams) != len(set(grams)):
            return n
    return 0


@pytest.mark.parametrize("path", PATHS)
def test_a_looping_model_ends_with_repetition_and_its_tail_trimmed(
    looping: EngineThread, path: str
) -> None:
    """Every sequence ends once its two sentences come again, with the second time withdrawn
    (``retract``), in every batch path and in a single stream."""
    plain, _ = _batch(looping, _requests(64))
    assert all(r.text.startswith(FIRST + LOOP * 2) and r.reason == "length" for r in plain)
    results, events = _batch(looping, _requests(64, loop_guard=True), path)
    assert [(r.text, r.reason) for r in results] == [(FIRST, "repetition")] * len(BODIES)
    assert all(r.tokens < 2 * 16 + 3 for r in results)  # ended early: 16 tokens per loop
    assert [_received(events, row) for row in range(len(BODIES))] == [FIRST] * len(BODIES)
    assert any(isinstance(e, Generated) and e.retract for e in events)
    if path == PATHS[0]:
        for request in _requests(64, loop_guard=True):
            assert _single(looping, request) == (FIRST, "repetition")


def test_the_guard_checks_the_text_once_more_when_it_ends(looping: EngineThread) -> None:
    """A repeat that completes only with the last token (at the length limit) is caught."""
    tokens = 2 * 16  # the loop twice: its last "!" is decided only when the text ends
    requests = _requests(tokens, loop_guard=True)
    results, events = _batch(looping, requests)
    assert [(r.text, r.reason) for r in results] == [(FIRST, "repetition")] * len(BODIES)
    assert _received(events, 0) == FIRST
    assert _single(looping, requests[0]) == (FIRST, "repetition")


def test_no_repeat_ngram_leaves_no_generated_ngram_twice_and_matches_mlx_lm(
    worker: EngineThread,
) -> None:
    """The processor in the engine's paths gives mlx-lm's own greedy text with it (which
    passes the whole prompt, the engine only its last token): no trigram generated twice."""
    size, tokens = 3, 64
    expected = []
    for body in BODIES:
        ids, text = _raw(worker, body, tokens, [NoRepeatNGram(size)])
        assert _longest_repeated_ngram(ids) < size
        expected.append(text)
    plain, _ = _batch(worker, _requests(tokens))
    assert [r.text for r in plain] != expected  # without it, the tiny model repeats
    requests = _requests(tokens, no_repeat_ngram=size)
    for path in PATHS:
        results, _ = _batch(worker, requests, path)
        assert [r.text for r in results] == expected, path
    assert [_single(worker, r)[0] for r in requests] == expected


def test_greedy_text_that_does_not_repeat_is_unchanged_by_the_guards(
    worker: EngineThread,
) -> None:
    """Byte-identical: each request bans only n-grams longer than any its text repeats, and
    the loop guard is on; where the text does not loop, nothing changes."""
    tokens = 32
    sizes = []
    for body in BODIES:
        ids, _ = _raw(worker, body, tokens)
        sizes.append(max(_longest_repeated_ngram(ids) + 1, 2))
    plain, _ = _batch(worker, _requests(tokens))
    guards = [_guard(r.text) for r in plain]
    assert not all(g.fired for g in guards)
    requests = [
        replace(r, sampling=replace(r.sampling, no_repeat_ngram=n, loop_guard=True))
        for r, n in zip(_requests(tokens), sizes, strict=True)
    ]
    for path in PATHS:
        results, _ = _batch(worker, requests, path)
        for result, before, guard in zip(results, plain, guards, strict=True):
            if not guard.fired:
                assert (result.text, result.reason, result.tokens) == (
                    before.text,
                    before.reason,
                    before.tokens,
                ), path
            else:
                assert result.text == guard.kept
    for request, before in zip(requests, plain, strict=True):
        assert _single(worker, request)[0] == _guard(before.text).kept


# -- through a summary ----------------------------------------------------------------------

# The modes' own guards off: each test turns on the one it is about.
UNGUARDED = {"loop_guard": False, "no_repeat_ngram": 0}
FAST = replace(modes.get_mode("synopsis").sampling, max_tokens=160, **UNGUARDED)
NOTES = replace(modes.get_mode("synopsis").map_sampling, max_tokens=120, **UNGUARDED)


@pytest.fixture(scope="module")
def engine(looping_model_dir: Path) -> Engine:
    engine = Engine(prefill_step=64)
    engine.load("looping", looping_model_dir)
    return engine


@pytest.fixture(scope="module")
def sample():
    return load(Path(str(resource("sample.fountain"))))


def _summary(engine: Engine, document, **options: object):
    engine.clear_prefix_cache()
    events: list[object] = []
    result = summarize(engine, document, CancelToken(), events.append, SummaryOptions(**options))
    return result, events


def test_relay_drops_withdrawn_text_from_the_answer_and_the_notes(engine: Engine, sample) -> None:
    events: list[object] = []
    session = _Session(engine, sample, SummaryOptions(), CancelToken(), events.append)
    session.relay(Generated("Ida leaves. Theo stays. Ida leaves. Theo", 5))
    session.relay(Generated(" waits.", 7, retract=len(" Ida leaves. Theo")))
    assert "".join(session.answer) == "Ida leaves. Theo stays. waits."  # dropped, then added
    assert [e.text for e in events] == ["Ida leaves. Theo stays. Ida leaves. Theo", " waits."]

    events.clear()
    session.phase, session.notes = "map", ["", ""]
    session.relay(Generated("- Ida leaves\n- Ida leaves", 4, row=1))
    session.relay(Generated("", 5, row=1, finish_reason="repetition", retract=13))
    assert session.notes == ["", "- Ida leaves"]
    assert events[1] == ChunkText("map", 1, "", 13)
    assert events[2] == ChunkDone("map", 1, 1, 2, "repetition")


def test_a_looping_summary_ends_with_repetition_and_its_answer_trimmed(
    engine: Engine, sample
) -> None:
    plain, _ = _summary(engine, sample, mode="synopsis", sampling=FAST, map_sampling=NOTES)
    assert plain.plan is not None and plain.plan.strategy == "single"
    assert plain.raw_text.startswith(FIRST + LOOP * 2) and plain.reason == "length"
    guarded = replace(FAST, loop_guard=True)
    result, events = _summary(engine, sample, mode="synopsis", sampling=guarded, map_sampling=NOTES)
    assert (result.raw_text, result.reason) == (FIRST, "repetition")
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText))
    assert streamed.startswith(FIRST + LOOP)  # already shown: the result's text replaces it


def test_looping_notes_are_trimmed_and_a_breakdown_of_them_is_not_done(
    engine: Engine, sample
) -> None:
    """Map notes end with ``repetition``, trimmed in the result and in the stream; a mode
    that reduces them goes on to its answer, a mode whose answer is the notes reports it."""
    small = {"max_context": 1400, "chunk_tokens": 400}
    notes = replace(NOTES, loop_guard=True)
    result, events = _summary(
        engine, sample, mode="synopsis", sampling=FAST, map_sampling=notes, **small
    )
    assert result.plan is not None and result.plan.strategy == "map_reduce"
    chunks = len(result.plan.chunks)
    assert result.notes == [FIRST] * chunks
    assert result.reason == "length"  # the answer's own end (its sampling has no guard)
    assert any(isinstance(e, AnswerText) for e in events)  # the reduce ran
    received = [""] * chunks
    for event in events:
        if isinstance(event, ChunkText) and event.phase == "map":
            text = received[event.index]
            received[event.index] = text[: len(text) - event.retract] + event.text
    assert received == [FIRST] * chunks
    ends = [e.reason for e in events if isinstance(e, ChunkDone) and e.phase == "map"]
    assert ends == ["repetition"] * chunks

    scenes = modes.get_mode("scenes")
    breakdown = replace(scenes.map_sampling, max_tokens=120, no_repeat_ngram=0, loop_guard=True)
    result, _ = _summary(
        engine, sample, mode="scenes", sampling=FAST, map_sampling=breakdown, **small
    )
    assert result.reason == "repetition"  # never "done" with a trimmed note
    expected, repeated = scene_entries(result.plan.chunks, [FIRST] * len(result.plan.chunks))
    assert result.raw_text == expected and repeated


@pytest.mark.slow
def test_the_embedded_models_answer_is_unchanged_by_the_guards(smollm2_model_dir: Path) -> None:
    """The real model on short scene notes, greedy, with both guards on: a no-repeat size of
    10 (more where its text repeats a longer n-gram) and the loop guard, which does not fire
    on its text: byte-identical, one at a time and batched."""
    thread = EngineThread(Engine(prefill_step=64))
    try:
        thread.call(lambda engine: engine.load("smollm2", smollm2_model_dir))
        bodies = [f"Scene {n}. {body}" for n, body in enumerate(BODIES[:3], start=1)]
        longest = [_longest_repeated_ngram(_raw(thread, body, 96)[0]) for body in bodies]
        assert sum(n < 10 for n in longest) >= 2  # most of its answers repeat no 10-gram
        plain = [
            GenerationRequest(messages=_messages(body), sampling=SamplingParams(max_tokens=96))
            for body in bodies
        ]
        guarded = [
            replace(
                r, sampling=replace(r.sampling, no_repeat_ngram=max(10, n + 1), loop_guard=True)
            )
            for r, n in zip(plain, longest, strict=True)
        ]
        expected, _ = _batch(thread, plain)
        assert not any(_guard(r.text).fired for r in expected)
        assert all(len(r.text) > 40 for r in expected)
        results, _ = _batch(thread, guarded)
        assert [r.text for r in results] == [r.text for r in expected]
        assert [_single(thread, r) for r in guarded] == [(r.text, r.reason) for r in expected]
    finally:
        thread.close()
