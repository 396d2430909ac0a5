"""The engine on a tiny random llama: streaming, stats, cancel, stop strings, thread ownership."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from logline.engine import (
    CancelToken,
    Finished,
    Generated,
    GenerationStats,
    PromptProgress,
    SamplingParams,
)
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.worker import EngineThread
from timing import limit


@pytest.fixture(scope="module")
def worker(tiny_model_dir: Path):
    thread = EngineThread(Engine(prefill_step=64))
    thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
    yield thread
    thread.close()


def _collect(worker: EngineThread, request: GenerationRequest, cancel: CancelToken | None = None):
    events = list(
        worker.stream(lambda e, c, emit: e.generate(request, c, emit), cancel or CancelToken())
    )
    text = "".join(e.text for e in events if isinstance(e, Generated))
    finished = [e for e in events if isinstance(e, Finished)]
    assert len(finished) == 1, events
    return events, text, finished[0]


PROMPT = [{"role": "user", "content": "The quick brown fox jumps over the lazy dog. " * 3}]


def test_streams_tokens_and_reports_stats(worker: EngineThread) -> None:
    request = GenerationRequest(messages=PROMPT, sampling=SamplingParams(max_tokens=12))
    events, _text, finished = _collect(worker, request)
    assert finished.reason in ("length", "done")
    assert finished.error is None
    stats = finished.stats
    assert isinstance(stats, GenerationStats)
    assert stats.prompt_tokens > 10
    assert 1 <= stats.generation_tokens <= 12
    assert stats.peak_memory_bytes > 0
    assert any(isinstance(e, Generated) and e.text for e in events)
    last = [e for e in events if isinstance(e, Generated)][-1]
    assert last.finish_reason == finished.reason and last.tokens == stats.generation_tokens
    progress = [e for e in events if isinstance(e, PromptProgress)]
    assert progress[0].done == 0 and progress[-1].done == stats.prompt_tokens - 1
    assert "tok/s" in stats.one_line()


def test_greedy_output_matches_raw_mlx_lm(worker: EngineThread) -> None:
    """Logline's prefill (body only, chunked) + decode gives the same text as mlx-lm itself."""
    n = 24

    def raw(engine: Engine) -> tuple[list[int], str]:
        from mlx_lm import stream_generate

        loaded = engine.loaded
        ids = engine.render_prompt(PROMPT * 4)
        text = "".join(
            r.text for r in stream_generate(loaded.model, loaded.tokenizer, ids, max_tokens=n)
        )
        return ids, text

    ids, expected = worker.call(raw)
    assert len(ids) > 64  # more than one prefill chunk
    request = GenerationRequest(prompt_tokens=ids, sampling=SamplingParams(max_tokens=n))
    _, ours, finished = _collect(worker, request)
    assert finished.stats.generation_tokens == n
    assert ours == expected
    assert len(ours) > 0


def test_seeded_sampling_is_deterministic(worker: EngineThread) -> None:
    sampling = SamplingParams(temperature=1.0, top_p=0.95, max_tokens=16, seed=1234)
    request = GenerationRequest(messages=PROMPT, sampling=sampling)
    _, first, _ = _collect(worker, request)
    _, second, _ = _collect(worker, request)
    assert first == second
    other = GenerationRequest(
        messages=PROMPT, sampling=SamplingParams(temperature=1.0, max_tokens=16, seed=99)
    )
    _, third, _ = _collect(worker, other)
    assert third != first


def test_cancel_during_prefill_returns_quickly(worker: EngineThread) -> None:
    long_prompt = [{"role": "user", "content": "word " * 1500}]
    request = GenerationRequest(messages=long_prompt, sampling=SamplingParams(max_tokens=50))
    cancel = CancelToken()
    stopped_at = None
    finished = None
    for event in worker.stream(lambda e, c, emit: e.generate(request, c, emit), cancel):
        if isinstance(event, PromptProgress) and event.done > 0 and stopped_at is None:
            cancel.cancel()
            stopped_at = time.perf_counter()
        if isinstance(event, Finished):
            finished = event
            latency = time.perf_counter() - stopped_at
    assert finished is not None and finished.reason == "stopped"
    assert finished.stats.generation_tokens == 0
    assert latency < limit(0.5)


def test_cancel_during_decode_keeps_partial_text(worker: EngineThread) -> None:
    request = GenerationRequest(messages=PROMPT, sampling=SamplingParams(max_tokens=400))
    cancel = CancelToken()
    pieces: list[str] = []
    finished = None
    stopped_at = 0.0
    for event in worker.stream(lambda e, c, emit: e.generate(request, c, emit), cancel):
        if isinstance(event, Generated) and event.text:
            pieces.append(event.text)
            if len(pieces) == 5:
                cancel.cancel()
                stopped_at = time.perf_counter()
        if isinstance(event, Finished):
            finished = event
    assert finished is not None and finished.reason == "stopped"
    assert time.perf_counter() - stopped_at < limit(0.5)
    assert 5 <= len(pieces) < 400
    assert finished.stats.generation_tokens >= 5


def test_stop_strings_end_generation_and_are_not_emitted(worker: EngineThread) -> None:
    request = GenerationRequest(messages=PROMPT, sampling=SamplingParams(max_tokens=40))
    _, text, _ = _collect(worker, request)
    assert len(text) > 6
    marker = text[3:6]
    stopping = GenerationRequest(
        messages=PROMPT, sampling=SamplingParams(max_tokens=40, stop_strings=(marker,))
    )
    _, cut, finished = _collect(worker, stopping)
    assert finished.reason == "done"
    assert marker not in cut
    assert text.startswith(cut)


def test_text_held_back_for_stop_strings_is_shown_when_the_model_ends(
    worker: EngineThread,
) -> None:
    """A sequence that ends on EOS shows the text held back in case it began a stop string:
    stop strings that never appear change nothing, one at a time or batched."""

    def greedy_ids(engine: Engine) -> list[int]:
        import mlx.core as mx
        from mlx_lm.generate import generate_step

        ids = engine.render_prompt(PROMPT)
        steps = generate_step(mx.array(ids), engine.loaded.model, max_tokens=16)
        return [int(token) for token, _ in steps]

    tokens = worker.call(greedy_ids)
    end = next(t for t in tokens[4:] if t not in tokens[:4])  # a token first seen after 4
    tokenizer = worker.call(lambda e: e.loaded.tokenizer)
    original = set(tokenizer.eos_token_ids)
    tokenizer.eos_token_ids = original | {end}
    try:
        plain = GenerationRequest(messages=PROMPT, sampling=SamplingParams(max_tokens=16))
        _, expected, finished = _collect(worker, plain)
        assert finished.reason == "done" and expected
        # Held back: up to 16 characters, more than the model writes before it ends here.
        never = SamplingParams(max_tokens=16, stop_strings=("<never seen stop>",))
        held = GenerationRequest(messages=PROMPT, sampling=never)
        _, text, finished = _collect(worker, held)
        batch = worker.call(
            lambda e: e.generate_batch([held, held], CancelToken(), lambda event: None)
        )
    finally:
        tokenizer.eos_token_ids = original
    assert finished.reason == "done"
    assert text == expected
    assert [r.text for r in batch] == [expected, expected]


def test_engine_refuses_a_second_thread(worker: EngineThread) -> None:
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            worker.engine.count_tokens("hello")
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert errors and "second thread" in str(errors[0])


def test_a_failing_job_raises_its_error_after_its_events(worker: EngineThread) -> None:
    def broken(engine: Engine, cancel: CancelToken, emit) -> None:
        emit(PromptProgress(1, 2))
        raise ValueError("bad request")

    seen = []
    with pytest.raises(ValueError, match="bad request"):
        for event in worker.stream(broken, CancelToken()):
            seen.append(event)
    assert seen == [PromptProgress(1, 2)]
    assert worker.call(lambda engine: "free") == "free"  # the thread goes on with the next job


def test_sampling_params_are_validated() -> None:
    with pytest.raises(ValueError):
        SamplingParams(temperature=-1)
    with pytest.raises(ValueError):
        SamplingParams(max_tokens=0)
    with pytest.raises(ValueError):
        SamplingParams(top_p=1.5)


def test_switching_models_reports_load_progress_and_frees_the_previous(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    thread = EngineThread(Engine(prefill_step=64))
    try:
        reports: list[tuple[int, int]] = []

        def load_both(engine: Engine) -> tuple[bool, str, int]:
            import gc
            import weakref

            engine.load("a", tiny_model_dir, lambda d, t: reports.append((d, t)))
            first = weakref.ref(engine.loaded.model)
            engine.load("b", other)
            gc.collect()
            return first() is None, engine.loaded.model_id, len(reports)

        freed, second, count = thread.call(load_both)
        assert freed and second == "b"  # the first model's weights are gone, not kept around
        total = reports[-1][1]
        assert reports[0] == (0, total) and reports[-1] == (total, total) and count >= 3
        assert [d for d, _ in reports] == sorted(d for d, _ in reports)
        weights = sum(p.stat().st_size for p in tiny_model_dir.glob("*.safetensors"))
        assert total >= weights * 0.5  # bytes of the arrays in memory, of the order of the file
    finally:
        thread.close()


def test_kv_estimate_matches_the_cache_the_model_fills(tiny_model_dir: Path):
    """Batch sizes and the large-job cache clear rest on this estimate: it must count the
    bytes the model really writes, in its own activation type (float32 here, bf16 on Metal)."""

    def measure(engine: Engine) -> list[tuple[int, int]]:
        import mlx.core as mx
        from mlx_lm.models.cache import make_prompt_cache

        from logline.engine import memory

        model = engine.loaded.model
        figures = []
        for dtype in (None, mx.bfloat16):
            if dtype is not None:
                model.set_dtype(dtype)
            cache = make_prompt_cache(model)
            model(mx.array([[1, 2, 3, 4, 5, 6, 7]]), cache=cache)
            real = sum(
                c.keys[..., : c.offset, :].nbytes + c.values[..., : c.offset, :].nbytes
                for c in cache
            )
            figures.append((memory.kv_bytes_per_token(model) * 7, real))
        return figures

    thread = EngineThread(Engine())  # its own model: this one is cast to bf16
    try:
        thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
        figures = thread.call(measure)
    finally:
        thread.close()
    assert [estimate for estimate, _ in figures] == [real for _, real in figures]
    assert figures[1][1] * 2 == figures[0][1]  # bf16 halves it: the dtype is really read
