"""Batched generation with a shared-prefix cache: equal to one-at-a-time, cancellable, bounded."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from logline.engine import CancelToken, Finished, PromptProgress, SamplingParams
from logline.engine.events import Generated
from logline.engine.prompt_chunks import aligned, common_prefix_length
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.stop_text import StopText
from logline.engine.worker import EngineThread
from timing import limit

STEP = 32
SYSTEM = {
    "role": "system",
    "content": "You read screenplays and write short notes about each scene, citing scenes. " * 2,
}
BODIES = (
    "INT. KITCHEN - NIGHT. The writer reads the script again.",
    "EXT. RIVER - DAY. A father and a son walk by the river, talking about a promise that was "
    "broken long ago, and the town they left behind.",
    "INT. STUDIO - DAY. The readers score every script from 1 to 10 and buy three of them. "
    "Nobody is happy with the ending, and the second act loses the thread.",
)


def _requests(max_tokens: int = 24, **sampling) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            messages=[SYSTEM, {"role": "user", "content": body}],
            sampling=SamplingParams(max_tokens=max_tokens, **sampling),
        )
        for body in BODIES
    ]


@pytest.fixture(scope="module")
def worker(tiny_model_dir: Path):
    thread = EngineThread(Engine(prefill_step=STEP))
    thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
    yield thread
    thread.close()


def _sequential(worker: EngineThread, requests: list[GenerationRequest]) -> list[str]:
    def run(engine: Engine) -> list[str]:
        engine.clear_prefix_cache()
        texts = []
        for request in requests:
            events: list = []
            engine.generate(request, CancelToken(), events.append)
            texts.append("".join(e.text for e in events if isinstance(e, Generated)))
        return texts

    return worker.call(run)


def _batch(worker: EngineThread, requests, cancel=None, clear=True, **kwargs):
    events: list = []

    def run(engine: Engine):
        if clear:
            engine.clear_prefix_cache()
        results = engine.generate_batch(requests, cancel or CancelToken(), events.append, **kwargs)
        return results, engine.last_prefilled_tokens

    results, prefilled = worker.call(run)
    return results, events, prefilled


def _single_stream(engine: Engine):
    """What ``Engine.generate`` decodes one sequence with (the plan's decode blocks)."""
    from logline.engine.swaps import decode_blocks

    return decode_blocks(engine.loaded.model, engine.loaded.plan)


def test_helpers() -> None:
    assert common_prefix_length([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == 2
    assert common_prefix_length([[7, 8]]) == 2
    assert common_prefix_length([[1], [2]]) == 0
    assert aligned(95, 32) == 64 and aligned(31, 32) == 0
    stop = StopText(("END",))
    shown = stop.add("abc E") + stop.add("N") + stop.add("D more")
    assert stop.stopped and shown == "abc " and stop.text == "abc "


def test_batched_greedy_equals_sequential_and_streams_per_item(worker: EngineThread) -> None:
    requests = _requests()
    expected = _sequential(worker, requests)
    results, events, _ = _batch(worker, requests)
    assert [r.text for r in results] == expected
    assert all(r.reason in ("length", "done") and 1 <= r.tokens <= 24 for r in results)
    for index, result in enumerate(results):
        streamed = "".join(e.text for e in events if isinstance(e, Generated) and e.row == index)
        assert streamed == result.text
    ends = [e for e in events if isinstance(e, Generated) and e.finish_reason is not None]
    assert sorted(e.row for e in ends) == [0, 1, 2]
    assert [e.tokens for e in sorted(ends, key=lambda e: e.row)] == [r.tokens for r in results]
    assert events[-1].stats.generation_tokens == sum(r.tokens for r in results)
    assert isinstance(events[-1], Finished) and events[-1].reason == "done"
    assert results.stats is not None and results.stats.prompt_tokens > 0


def test_batch_sizes_do_not_change_outputs(worker: EngineThread) -> None:
    requests = _requests(max_tokens=16)
    whole, _, _ = _batch(worker, requests)
    pairs, _, _ = _batch(worker, requests, max_batch=2)
    single, _, _ = _batch(worker, requests, max_batch=1)
    assert [r.text for r in whole] == [r.text for r in pairs] == [r.text for r in single]


def test_prefix_cache_is_reused_across_calls(worker: EngineThread) -> None:
    requests = _requests(max_tokens=12)
    first, events, prefilled_first = _batch(worker, requests)
    lengths = worker.call(lambda e: [len(e.render_prompt(r.messages)) for r in requests])
    shared = worker.call(
        lambda e: common_prefix_length([e.render_prompt(r.messages) for r in requests])
    )
    prefix = shared  # the whole common prefix, not cut to a chunk boundary
    assert prefix > STEP  # the system prompt spans chunks: there is something to share
    assert prefix % STEP  # ... and ends inside one
    assert prefilled_first == prefix + sum(n - 1 - prefix for n in lengths)
    progress = [e for e in events if isinstance(e, PromptProgress)]
    assert progress[-1].done == progress[-1].total == prefilled_first
    second, _, prefilled_second = _batch(worker, requests, clear=False)
    assert prefilled_second == prefilled_first - prefix
    assert [r.text for r in second] == [r.text for r in first]

    # A single generation that starts with the cached prefix reuses it, with the same output.
    def single(engine: Engine) -> tuple[str, int]:
        events: list = []
        engine.generate(requests[1], CancelToken(), events.append)
        text = "".join(e.text for e in events if isinstance(e, Generated))
        return text, engine.last_prefilled_tokens

    text, prefilled = worker.call(single)
    assert prefilled == lengths[1] - 1 - prefix
    assert text == _sequential(worker, [requests[1]])[0]


def test_stop_strings_and_max_tokens_per_item(worker: EngineThread) -> None:
    plain = _sequential(worker, _requests(max_tokens=30))
    marker = plain[1][4:7]
    assert len(marker) == 3
    requests = _requests(max_tokens=30)
    requests[0] = GenerationRequest(
        messages=requests[0].messages, sampling=SamplingParams(max_tokens=5)
    )
    requests[1] = GenerationRequest(
        messages=requests[1].messages,
        sampling=SamplingParams(max_tokens=30, stop_strings=(marker,)),
    )
    results, _, _ = _batch(worker, requests)
    assert results[0].tokens == 5 and results[0].reason == "length"
    assert plain[0].startswith(results[0].text)
    assert results[1].reason == "done" and marker not in results[1].text
    assert plain[1].startswith(results[1].text)
    assert results[2].text == plain[2]


@pytest.mark.parametrize("share", [0.5, 0.0])
@pytest.mark.parametrize("shared_kv", [True, False])
def test_finished_rows_may_stay_in_the_batch_without_changing_any_text(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch, share: float, shared_kv: bool
) -> None:
    """A GPU keeps finished rows in the batch until half have finished (``COMPACT_SHARE``):
    rows ending at different steps, kept idle in the batch (0.5) or until the very end (0.0),
    give the same texts, reasons and counts as dropping each at once, with the n-gram and
    repetition processors on (their batch-wide history follows the batch)."""
    from dataclasses import replace

    from logline.engine import batch_decode

    bodies = [*BODIES, *(f"Scene {n}. {BODIES[n % 3]}" for n in range(3))]
    guarded = {"repetition_penalty": 1.1, "no_repeat_ngram": 3}
    requests = [
        GenerationRequest(
            messages=[SYSTEM, {"role": "user", "content": body}],
            sampling=SamplingParams(max_tokens=tokens, **guarded),
        )
        for body, tokens in zip(bodies, (3, 7, 30, 11, 5, 19), strict=True)
    ]
    plan = worker.call(lambda e: e.loaded.plan)

    def set_plan(engine: Engine, new) -> None:
        engine.loaded.plan = new

    worker.call(lambda e: set_plan(e, replace(plan, share_kv=shared_kv)))
    try:
        dropped, _, _ = _batch(worker, requests)
        monkeypatch.setitem(batch_decode.COMPACT_SHARE, "cpu", share)
        kept, _, _ = _batch(worker, requests)
    finally:
        worker.call(lambda e: set_plan(e, plan))
    assert [r.tokens for r in dropped] == [3, 7, 30, 11, 5, 19]
    assert [(r.text, r.reason, r.tokens) for r in kept] == [
        (r.text, r.reason, r.tokens) for r in dropped
    ]
    assert [r.text for r in dropped] == _sequential(worker, requests)


def test_cancel_during_prefill_returns_quickly(worker: EngineThread) -> None:
    long = [{"role": "user", "content": "word " * 1500}]
    requests = [GenerationRequest(messages=long, sampling=SamplingParams(max_tokens=20))] * 2
    cancel = CancelToken()
    stopped_at = latency = None
    events: list = []
    job = worker.stream(lambda e, c, emit: e.generate_batch(requests, c, emit), cancel)
    for event in job:
        events.append(event)
        if isinstance(event, PromptProgress) and event.done > 0 and stopped_at is None:
            cancel.cancel()
            stopped_at = time.perf_counter()
        if isinstance(event, Finished):
            latency = time.perf_counter() - stopped_at
    assert events[-1].reason == "stopped" and latency is not None and latency < limit(0.5)
    ends = [e for e in events if isinstance(e, Generated) and e.finish_reason is not None]
    assert [e.finish_reason for e in ends] == ["stopped", "stopped"]


def test_cancel_during_decode_keeps_partial_text(worker: EngineThread) -> None:
    requests = _requests(max_tokens=400)
    cancel = CancelToken()
    pieces: list[Generated] = []
    stopped_at = 0.0
    finished = None
    job = worker.stream(lambda e, c, emit: e.generate_batch(requests, c, emit), cancel)
    for event in job:
        if isinstance(event, Generated) and event.text:
            pieces.append(event)
            if len(pieces) == 12:
                cancel.cancel()
                stopped_at = time.perf_counter()
        if isinstance(event, Finished):
            finished = event
    assert finished is not None and finished.reason == "stopped"
    assert time.perf_counter() - stopped_at < limit(0.5)
    results = worker.call(lambda e: None)  # the engine thread is free again
    assert results is None
    texts = {i: "".join(p.text for p in pieces if p.row == i) for i in range(3)}
    assert sum(len(t) for t in texts.values()) > 0
    assert finished.stats.generation_tokens < 3 * 400


def test_batch_refuses_a_second_thread(worker: EngineThread) -> None:
    errors: list[BaseException] = []

    def other() -> None:
        try:
            worker.engine.generate_batch(_requests(), CancelToken(), lambda e: None)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert errors and "second thread" in str(errors[0])


@pytest.mark.slow
def test_smollm2_batched_map_equals_sequential(smollm2_model_dir: Path) -> None:
    """The real embedded model on four short chunks: batched greedy == one at a time."""
    thread = EngineThread(Engine(prefill_step=64))
    try:
        thread.call(lambda engine: engine.load("smollm2", smollm2_model_dir))
        requests = [
            GenerationRequest(
                messages=[SYSTEM, {"role": "user", "content": f"Scene {n}. {body}"}],
                sampling=SamplingParams(max_tokens=48),
            )
            for n, body in enumerate((*BODIES, BODIES[0] + " " + BODIES[2]), start=1)
        ]
        expected = _sequential(thread, requests)
        results, _, _ = _batch(thread, requests)
        assert [r.text for r in results] == expected
        assert all(len(r.text) > 0 for r in results)
    finally:
        thread.close()


def test_a_follow_up_generation_reuses_the_previous_prompt(worker: EngineThread) -> None:
    """A chat follow-up starts with the previous prompt: its prefill resumes from the kept cache
    (cut to a chunk boundary) and the answer is the same as from scratch."""
    first = [SYSTEM, {"role": "user", "content": BODIES[1]}]
    follow = GenerationRequest(
        messages=[
            *first,
            {"role": "assistant", "content": "A walk."},
            {"role": "user", "content": "Why?"},
        ],
        sampling=SamplingParams(max_tokens=16),
    )

    def run(engine: Engine) -> tuple[str, int, str, int, int]:
        engine.clear_prefix_cache()
        length = len(engine.render_prompt(first))
        engine.generate(GenerationRequest(messages=first), CancelToken(), lambda e: None)
        events: list = []
        engine.generate(follow, CancelToken(), events.append)
        warm = "".join(e.text for e in events if isinstance(e, Generated))
        warm_prefilled = engine.last_prefilled_tokens
        engine.clear_prefix_cache()
        events = []
        engine.generate(follow, CancelToken(), events.append)
        cold = "".join(e.text for e in events if isinstance(e, Generated))
        return warm, warm_prefilled, cold, engine.last_prefilled_tokens, length

    warm, warm_prefilled, cold, cold_prefilled, length = worker.call(run)
    assert warm == cold and len(cold) > 0
    assert warm_prefilled == cold_prefilled - aligned(length - 1, STEP)


def test_batched_step_logits_match_single_stream(worker: EngineThread) -> None:
    """One batched decode step against one-row steps: bit-exact where the BLAS is row-exact."""

    def run(engine: Engine):
        import mlx.core as mx
        from mlx_lm.models.cache import make_prompt_cache

        from logline.engine.shared_kv import RowCaches
        from logline.engine.swaps import batch_blocks

        model, plan = engine.loaded.model, engine.loaded.plan
        prompts = [list(range(3, 3 + n)) for n in (9, 40, 71)]
        last = [5, 6, 7]

        def filled(prompt):
            cache = make_prompt_cache(model)
            model(mx.array([prompt]), cache=cache)
            return cache

        single = []
        for prompt, token in zip(prompts, last, strict=True):
            cache = filled(prompt)
            with _single_stream(engine):
                logits = model(mx.array([[token]]), cache=cache)[:, -1, :]
            mx.eval(logits)
            single.append(logits)
        caches = [filled(p) for p in prompts]
        with batch_blocks(model, plan):
            groups = [RowCaches([c[i] for c in caches]) for i in range(len(model.layers))]
            batched = model(mx.array(last)[:, None], cache=groups)[:, -1, :]
        single_all = mx.concatenate(single, axis=0)
        mx.eval(batched, single_all)
        exact = mx.array_equal(batched, single_all).item()
        diff = mx.abs(batched - single_all).max().item()
        same_argmax = mx.array_equal(mx.argmax(batched, -1), mx.argmax(single_all, -1)).item()
        return exact, diff, same_argmax, plan.row_exact

    exact, diff, same_argmax, row_exact = worker.call(run)
    assert same_argmax and diff < 1e-3
    if row_exact:
        assert exact, diff


@pytest.mark.parametrize("path", ["per-row caches", "per-row attention", "sequential fallback"])
def test_other_model_paths_give_the_same_outputs(worker: EngineThread, path: str) -> None:
    """The plan's other batch paths: llama blocks without the shared buffer keep per-row caches;
    models without llama blocks run attention per row; models whose caches cannot be batched
    decode one by one. All must give the same text as the fast path."""
    from dataclasses import replace

    requests = _requests(max_tokens=16)
    fast, _, _ = _batch(worker, requests)
    plan = worker.call(lambda e: e.loaded.plan)
    assert plan.share_kv and plan.llama_blocks and plan.batch_rows  # the fast path, above
    other_plan = {
        "per-row caches": replace(plan, share_kv=False),
        "per-row attention": replace(plan, share_kv=False, llama_blocks=False),
        "sequential fallback": replace(plan, batch_rows=False),
    }[path]

    def set_plan(engine: Engine, new) -> None:
        engine.loaded.plan = new

    worker.call(lambda e: set_plan(e, other_plan))
    try:
        other, _, _ = _batch(worker, requests)
    finally:
        worker.call(lambda e: set_plan(e, plan))
    assert [r.text for r in other] == [r.text for r in fast]
    assert [r.reason for r in other] == [r.reason for r in fast]
    assert [r.tokens for r in other] == [r.tokens for r in fast]


def test_a_failure_ends_every_item_with_an_error(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logline.engine import batch_generation

    def broken(*args, **kwargs):
        raise RuntimeError("decode failed")

    monkeypatch.setattr(batch_generation, "decode_group", broken)
    results, events, _ = _batch(worker, _requests())
    assert isinstance(events[-1], Finished) and events[-1].reason == "error"
    assert isinstance(events[-1].error, RuntimeError)
    assert [r.reason for r in results] == ["error"] * 3


def test_token_ids_out_of_the_vocabulary_are_refused(worker: EngineThread) -> None:
    bad = GenerationRequest(prompt_tokens=[5, 10**9], sampling=SamplingParams(max_tokens=4))
    with pytest.raises(ValueError, match="vocabulary"):
        _batch(worker, [_requests()[0], bad])
    with pytest.raises(ValueError, match="vocabulary"):
        worker.call(lambda e: e.generate(bad, CancelToken(), lambda event: None))


@pytest.mark.parametrize("fused", [False, True])
def test_shared_kv_steps_match_single_stream(worker: EngineThread, fused: bool) -> None:
    """Several decode steps on the shared right-padded buffer (growing past its first 256
    positions, dropping a finished row) against one-row steps: bit-exact where the BLAS is
    row-exact, the same greedy tokens everywhere. ``fused`` runs MLX's fused attention with
    the mask, as on a GPU."""

    def run(engine: Engine):
        import mlx.core as mx
        from mlx_lm.models.cache import make_prompt_cache

        from logline.engine.shared_kv import SharedKV
        from logline.engine.swaps import batch_blocks

        model, plan = engine.loaded.model, engine.loaded.plan
        assert plan.share_kv
        lengths = (9, 120, 254)
        tokens = [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]

        def filled(n):
            cache = make_prompt_cache(model)
            model(mx.array([list(range(3, 3 + n))]), cache=cache)
            return cache

        single = []
        for n, row in zip(lengths, tokens, strict=True):
            cache = filled(n)
            with _single_stream(engine):
                steps = [model(mx.array([[t]]), cache=cache)[0, -1] for t in row]
                mx.eval(steps)
            single.append(steps)
        row_exact = plan.row_exact and not fused
        exact = row_exact
        diffs, same = [], True
        shared = SharedKV([filled(n) for n in lengths], exact=row_exact, fused=fused)
        with batch_blocks(model, plan):
            rows = [0, 1, 2]
            for step in range(4):
                if step == 2:
                    rows = [0, 2]
                    shared.keep(rows)
                shared.begin_step()
                inputs = mx.array([tokens[r][step] for r in rows])[:, None]
                logits = model(inputs, cache=shared.layers())[:, -1, :]
                shared.end_step()
                expected = mx.stack([single[r][step] for r in rows])
                mx.eval(logits, expected)
                exact = exact and mx.array_equal(logits, expected).item()
                diffs.append(mx.abs(logits - expected).max().item())
                same = same and mx.array_equal(logits.argmax(-1), expected.argmax(-1)).item()
        return exact, max(diffs), same, row_exact, shared.alloc, shared.lengths

    exact, diff, same, row_exact, alloc, lengths = worker.call(run)
    assert same and diff < 1e-3
    assert alloc == 512 and lengths == [13, 258]
    if row_exact:
        assert exact, diff


def test_gpu_decode_steps_wait_while_a_kv_copy_would_be_large(worker: EngineThread) -> None:
    """A decode step queued while the previous one runs makes a GPU copy the shared KV buffers
    (measured on an H100: bench/gpu/probe_map_memory.py). Steps pipeline on the CPU, and on a
    GPU only while such a copy stays within PIPELINED_KV_SHARE of the weights."""

    def run(engine: Engine):
        import mlx.core as mx
        from mlx_lm.models.cache import make_prompt_cache

        from logline.engine import memory
        from logline.engine.shared_kv import PIPELINED_KV_SHARE, SharedKV, pipelines_kv_writes

        model = engine.loaded.model
        caches = []
        for n in (9, 120):
            cache = make_prompt_cache(model)
            model(mx.array([list(range(3, 3 + n))]), cache=cache)
            caches.append(cache)
        shared = SharedKV(caches)
        expected = 2 * shared.alloc * memory.kv_bytes_per_token(model)
        kv = shared.nbytes()
        weights = int(kv / PIPELINED_KV_SHARE)
        decisions = {"cpu": pipelines_kv_writes(shared, None)}
        shared.fused = True
        decisions.update(
            small=pipelines_kv_writes(shared, weights),
            large=pipelines_kv_writes(shared, weights - 8),
            unknown=pipelines_kv_writes(shared, None),
        )
        return kv, expected, decisions

    kv, expected, decisions = worker.call(run)
    assert kv == expected
    assert decisions == {"cpu": True, "small": True, "large": False, "unknown": False}


@pytest.mark.parametrize("pipelined", [True, False])
def test_the_whole_gpu_plan_runs_here_and_writes_what_one_at_a_time_does(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch, pipelined: bool
) -> None:
    """What only a GPU runs, together, on this CPU: the GPU plan (fused attention over the
    shared buffer, GPU prompt chunks), finished rows kept idle until half have finished, the
    batch-wide processors, and decode steps queued ahead (``pipelined``) or waiting for the
    previous one (a large KV cache). Its texts, reasons and counts are those of the same plan
    one request at a time, so the first H200 run cannot be the first to try the combination."""
    from logline.engine import batch_decode, shared_kv
    from logline.engine.backend import plan_backend

    bodies = [*BODIES, *(f"Scene {n}. {BODIES[n % 3]}" for n in range(3))]
    guarded = {"repetition_penalty": 1.1, "no_repeat_ngram": 3}
    requests = [
        GenerationRequest(
            messages=[SYSTEM, {"role": "user", "content": body}],
            sampling=SamplingParams(max_tokens=tokens, **guarded),
        )
        for body, tokens in zip(bodies, (3, 7, 30, 11, 5, 19), strict=True)
    ]
    plan = worker.call(lambda e: e.loaded.plan)
    gpu = worker.call(lambda e: plan_backend(e.loaded.model, device="gpu"))
    assert gpu.device == "gpu" and gpu.fused_attention and not gpu.row_exact and gpu.share_kv
    monkeypatch.setattr(shared_kv, "PIPELINED_KV_SHARE", 1e9 if pipelined else 0.0)
    assert batch_decode.COMPACT_SHARE["gpu"] == 0.5

    def set_plan(engine: Engine, new) -> None:
        engine.loaded.plan = new

    worker.call(lambda e: set_plan(e, gpu))
    try:
        batched, _, _ = _batch(worker, requests)
        alone = _sequential(worker, requests)
    finally:
        worker.call(lambda e: set_plan(e, plan))
    assert [r.tokens for r in batched] == [3, 7, 30, 11, 5, 19]
    assert all(r.reason == "length" for r in batched)
    assert [r.text for r in batched] == alone
