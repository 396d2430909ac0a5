"""CPU prompt processing: the NumPy-softmax attention and Stop between layers."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from logline.engine.cancel import CancelToken
from logline.engine.events import Generated
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.sampling import SamplingParams
from timing import limit


@pytest.mark.parametrize(("length", "offset"), [(7, 0), (16, 40), (1, 9)])
def test_prefill_attention_matches_mlx_attention(length: int, offset: int) -> None:
    from logline.engine.cpu_kernels import prefill_attention
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    mx.random.seed(3)
    keys = offset + length
    q = mx.random.normal((1, 6, length, 16))
    k = mx.random.normal((1, 2, keys, 16))
    v = mx.random.normal((1, 2, keys, 16))
    ours = prefill_attention(q, k, v, 0.25, offset)
    rows = mx.arange(offset, offset + length)[:, None]
    mask = mx.arange(keys)[None] <= rows
    expected = mx.fast.scaled_dot_product_attention(q, k, v, scale=0.25, mask=mask)
    assert ours.shape == expected.shape
    assert float(mx.abs(ours - expected).max()) < 1e-5


def _generate(engine: Engine, ids: list[int], n: int) -> str:
    parts: list[str] = []

    def emit(event: object) -> None:
        if isinstance(event, Generated):
            parts.append(event.text)

    request = GenerationRequest(prompt_tokens=ids, sampling=SamplingParams(max_tokens=n))
    finished = engine.generate(request, CancelToken(), emit)
    assert finished.error is None
    return "".join(parts)


def test_fast_and_exact_prompt_processing_write_the_same_text(tiny_model_dir: Path) -> None:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    ids = [(i * 37) % 250 + 3 for i in range(300)]
    plan = engine.loaded.plan
    assert plan.numpy_prompts  # a float32 llama on the CPU: the NumPy prompt kernels apply
    engine.loaded.plan = replace(plan, numpy_prompts=False)
    exact = _generate(engine, ids, 24)
    engine.clear_prefix_cache()
    engine.loaded.plan = plan
    fast = _generate(engine, ids, 24)
    assert fast == exact and exact


class _CancelAtCheck(CancelToken):
    """Cancels itself at its ``at``-th check, and counts the checks the engine makes."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.checks = 0

    def raise_if_cancelled(self) -> None:
        self.checks += 1
        if self.checks == self.at:
            self.cancel()
        super().raise_if_cancelled()


def test_stop_during_one_long_prompt_chunk_answers_between_layers(tiny_model_dir: Path) -> None:
    """The whole prompt is one chunk, so only the checks between layers can stop it: a Stop that
    arrives while the first layer runs ends the prompt at the next check, before the second
    layer. Counted, not timed (a timed version flaked on a busy machine)."""
    engine = Engine(prefill_step=8192)
    engine.load("tiny", tiny_model_dir)
    layers = len(engine.loaded.model.model.layers)
    assert layers >= 2
    ids = [(i * 37) % 250 + 3 for i in range(3000)]
    request = GenerationRequest(prompt_tokens=ids, sampling=SamplingParams(max_tokens=4))
    # Check 1: before the (only) chunk; check 2: after layer 1, where this Stop lands.
    cancel = _CancelAtCheck(at=2)
    seen: list[object] = []
    started = time.perf_counter()
    finished = engine.generate(request, cancel, seen.append)
    elapsed = time.perf_counter() - started
    assert finished.reason == "stopped"
    assert cancel.checks == 2  # no layer ran after the Stop
    assert engine.last_prefilled_tokens == 0  # the chunk was never completed
    assert not any(isinstance(e, Generated) and e.text for e in seen)
    assert elapsed < limit(10)  # bounded, not a timing target


def test_prompt_chunks_shrink_far_into_long_prompts() -> None:
    """Chunks: the step up to FULL_CHUNKS_UNTIL, then halving, never below the minimum, each
    starting at a multiple of its own size (boundaries depend on positions only)."""
    from logline.engine.prompt_chunks import (
        FULL_CHUNKS_UNTIL,
        MIN_PREFILL_CHUNK,
        next_boundary,
        prefill_chunk,
    )

    step = 256
    assert prefill_chunk(0, step) == prefill_chunk(FULL_CHUNKS_UNTIL, step) == step
    assert prefill_chunk(FULL_CHUNKS_UNTIL + 1, step) == step // 2
    assert prefill_chunk(10**6, step) == MIN_PREFILL_CHUNK
    position, chunks = 0, []
    while position < 9000:
        end = next_boundary(position, 9000, step)
        size = end - position
        chunks.append(size)
        assert position % prefill_chunk(position, step) == 0
        assert size * position <= step * FULL_CHUNKS_UNTIL or size == MIN_PREFILL_CHUNK
        position = end
    assert chunks[:8] == [step] * 8 and chunks == sorted(chunks, reverse=True)
    # A prompt resumed from any boundary (a cached prefix) meets the same later boundaries.
    assert next_boundary(2304, 9000, step) == 2432
    assert next_boundary(239, 9000, step) == 256


def test_small_models_get_smaller_prompt_chunks_on_a_gpu():
    from logline.engine import memory

    assert memory.gpu_prefill_step(663 * 2**20) == memory.SMALL_MODEL_PREFILL_STEP  # 1B 4-bit
    assert memory.gpu_prefill_step(15 * 2**30) == memory.GPU_PREFILL_STEP  # 8B bf16


def test_layer_by_layer_prompt_fills_the_same_cache_and_stops_between_layers(
    tiny_model_dir: Path,
) -> None:
    """The GPU's prompt path (one layer evaluated at a time, for bounded temporaries) computes
    what one graph of the whole body computes, and a Stop lands after the current layer."""
    from mlx_lm.models.cache import make_prompt_cache

    from logline.engine.cancel import GenerationCancelled
    from logline.engine.mlx_runtime import import_mlx
    from logline.engine.swaps import layered_prefill

    mx = import_mlx()
    engine = Engine()
    engine.load("tiny", tiny_model_dir)
    model = engine.loaded.model
    tokens = mx.array([[(i * 11) % 250 + 3 for i in range(40)]])
    whole = make_prompt_cache(model)
    model.model(tokens, cache=whole)
    mx.eval([c.state for c in whole])
    layered = make_prompt_cache(model)
    cancel = CancelToken()
    with layered_prefill(model, cancel):
        model.model(tokens, cache=layered)
    mx.eval([c.state for c in layered])
    for ours, reference in zip(layered, whole, strict=True):
        assert mx.array_equal(ours.keys[..., :40, :], reference.keys[..., :40, :])
        assert mx.array_equal(ours.values[..., :40, :], reference.values[..., :40, :])
    assert all(type(layer).__name__ != "CancellableLayer" for layer in model.model.layers)

    stopped = make_prompt_cache(model)
    cancel.cancel()
    with pytest.raises(GenerationCancelled), layered_prefill(model, cancel):
        model.model(tokens, cache=stopped)
    evaluated = [c.offset for c in stopped]
    assert evaluated[0] == 40 and evaluated[-1] == 0  # the first layer ran, the last did not


def test_on_a_gpu_chunks_shrink_by_the_memory_the_weights_leave() -> None:
    """The GPU's bound on chunk x position follows the memory: an H200-sized device keeps
    512-token chunks 40k deep for a 32-head model where the CPU's rule is down to 64; a small
    device never gets a looser bound than the CPU's rule."""
    from logline.engine.prompt_chunks import (
        MIN_PREFILL_CHUNK,
        default_span,
        gpu_span,
        next_boundary,
        prefill_chunk,
    )

    step = 512
    big = gpu_span(step, device_bytes=139 * 2**30, weights_bytes=3 * 2**30, heads=32)
    small = gpu_span(step, device_bytes=5 * 2**30, weights_bytes=4 * 2**30, heads=32)
    assert small == default_span(step) < big
    assert prefill_chunk(40_000, step) == MIN_PREFILL_CHUNK
    assert prefill_chunk(40_000, step, big) == 512
    assert prefill_chunk(40_000, step, small) == MIN_PREFILL_CHUNK
    # The scores of one chunk stay within the share of free memory the rule allows.
    for position in (1_000, 20_000, 46_000, 120_000):
        size = prefill_chunk(position, step, big)
        assert size * position * 32 * 8 <= 136 * 2**30 / 16 or size == MIN_PREFILL_CHUNK
    # Boundaries still depend on positions only: resuming at any boundary meets the same ones.
    position, boundaries = 0, []
    while position < 60_000:
        position = next_boundary(position, 60_000, step, big)
        boundaries.append(position)
    resumed = [next_boundary(b, 60_000, step, big) for b in boundaries[:-1]]
    assert resumed == boundaries[1:]


def test_the_plan_carries_the_span_for_its_device(tiny_model_dir: Path) -> None:
    from logline.engine import memory
    from logline.engine.backend import plan_backend
    from logline.engine.prompt_chunks import default_span

    engine = Engine()
    engine.load("tiny", tiny_model_dir)
    model = engine.loaded.model
    assert engine.loaded.plan.prefill_span == default_span(engine.loaded.plan.prefill_step)
    gpu = plan_backend(model, device="gpu")
    assert gpu.prefill_step == memory.SMALL_MODEL_PREFILL_STEP
    assert gpu.prefill_span >= default_span(gpu.prefill_step)
