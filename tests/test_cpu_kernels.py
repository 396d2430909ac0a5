"""NumPy kernels for MLX's CPU backend: the same results as MLX's own, within float32 rounding."""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.sampling import SamplingParams


@pytest.fixture(scope="module")
def mx():
    from logline.engine.mlx_runtime import import_mlx

    return import_mlx()


def _reference(mx, q, k, v, scale, lengths):
    """MLX's attention, row by row, over exactly each row's keys."""
    rows = [
        mx.fast.scaled_dot_product_attention(
            q[i : i + 1], k[i : i + 1, :, :n], v[i : i + 1, :, :n], scale=scale
        )
        for i, n in enumerate(lengths)
    ]
    return mx.concatenate(rows)


@pytest.mark.parametrize("exact", [False, True])
def test_decode_attention_ignores_the_buffer_past_each_row(mx, exact: bool) -> None:
    from logline.engine.cpu_kernels import decode_attention

    mx.random.seed(7)
    lengths = [5, 130, 1]
    alloc = 256
    q = mx.random.normal((3, 6, 1, 16))
    k = mx.random.normal((3, 2, alloc, 16))
    v = mx.random.normal((3, 2, alloc, 16))
    # Whatever lies past a row's length (stale keys, zeros) must not count: make it loud.
    positions = mx.arange(alloc)[None, None, :, None]
    past = positions >= mx.array(lengths)[:, None, None, None]
    k = mx.where(past, 50.0, k)
    v = mx.where(past, 1e4, v)
    ours = decode_attention(q, k, v, lengths, 0.25, exact=exact)
    expected = _reference(mx, q, k, v, 0.25, lengths)
    assert ours.shape == expected.shape == (3, 6, 1, 16)
    assert float(mx.abs(ours - expected).max()) < 1e-5


def test_swiglu_matches_mlx_lm(mx) -> None:
    from mlx_lm.models.activations import swiglu as mlx_swiglu

    from logline.engine.cpu_kernels import swiglu

    mx.random.seed(1)
    gate = mx.random.normal((2, 9, 64)) * 6
    up = mx.random.normal((2, 9, 64))
    ours = swiglu(gate, up)
    assert ours.dtype == mx.float32
    assert float(mx.abs(ours - mlx_swiglu(gate, up)).max()) < 1e-5


def test_prefill_attention_with_keys_before_the_chunk(mx) -> None:
    """A chunk at position 40 sees all 40 earlier keys and, causally, its own."""
    from logline.engine.cpu_kernels import prefill_attention

    mx.random.seed(2)
    q = mx.random.normal((1, 4, 8, 16))
    k = mx.random.normal((1, 2, 48, 16))
    v = mx.random.normal((1, 2, 48, 16))
    ours = prefill_attention(q, k, v, 0.25, 40)
    mask = mx.arange(48)[None] <= mx.arange(40, 48)[:, None]
    expected = mx.fast.scaled_dot_product_attention(q, k, v, scale=0.25, mask=mask)
    assert float(mx.abs(ours - expected).max()) < 1e-5


def test_decode_blocks_swap_blocks_and_restore_them(tiny_model_dir: Path, mx) -> None:
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    from logline.engine.backend import plan_backend
    from logline.engine.swaps import decode_blocks

    model, _ = load(str(tiny_model_dir))
    model.set_dtype(mx.float32)
    plan = plan_backend(model, device="cpu")
    assert plan.numpy_kernels
    originals = [(layer.self_attn, layer.mlp) for layer in model.layers]
    cache = make_prompt_cache(model)
    model(mx.array([[3, 4, 5, 6, 7]]), cache=cache)
    reference_cache = make_prompt_cache(model)
    model(mx.array([[3, 4, 5, 6, 7]]), cache=reference_cache)
    expected = model(mx.array([[9]]), cache=reference_cache)
    with decode_blocks(model, plan):
        assert all(
            layer.self_attn is not attn and layer.mlp is not mlp
            for layer, (attn, mlp) in zip(model.layers, originals, strict=True)
        )
        ours = model(mx.array([[9]]), cache=cache)
    assert [(layer.self_attn, layer.mlp) for layer in model.layers] == originals
    assert float(mx.abs(ours - expected).max()) < 1e-4
    assert mx.array_equal(ours.argmax(-1), expected.argmax(-1)).item()


def test_other_dtypes_go_to_mlx_unchanged(tiny_model_dir: Path, mx) -> None:
    """NumPy has no bfloat16: the plan gives such models MLX's own blocks, bit for bit."""
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    from logline.engine.backend import plan_backend
    from logline.engine.swaps import decode_blocks

    model, _ = load(str(tiny_model_dir))
    model.set_dtype(mx.bfloat16)
    plan = plan_backend(model, device="cpu")
    assert plan.llama_blocks and not plan.float32
    assert not plan.numpy_kernels and not plan.numpy_prompts
    prompt = mx.array([[3, 4, 5, 6, 7]])
    caches = [make_prompt_cache(model), make_prompt_cache(model)]
    for cache in caches:
        model(prompt, cache=cache)
    expected = model(mx.array([[9]]), cache=caches[0])
    originals = [(layer.self_attn, layer.mlp) for layer in model.layers]
    with decode_blocks(model, plan):
        assert [(layer.self_attn, layer.mlp) for layer in model.layers] == originals
        ours = model(mx.array([[9]]), cache=caches[1])
    assert mx.array_equal(ours, expected).item()


def test_engine_decodes_the_same_text_with_and_without_the_numpy_kernels(
    tiny_model_dir: Path,
) -> None:
    """Single-stream decoding through the plan's NumPy blocks writes what MLX's kernels
    write."""
    from dataclasses import replace

    ids = [(i * 37) % 250 + 3 for i in range(200)]
    request = GenerationRequest(prompt_tokens=ids, sampling=SamplingParams(max_tokens=32))

    def text(engine: Engine) -> str:
        parts: list[str] = []
        engine.clear_prefix_cache()
        finished = engine.generate(
            request, CancelToken(), lambda e: parts.append(getattr(e, "text", ""))
        )
        assert finished.error is None
        return "".join(parts)

    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    plan = engine.loaded.plan
    assert plan.numpy_kernels and plan.numpy_prompts
    fast = text(engine)
    engine.loaded.plan = replace(plan, numpy_kernels=False, numpy_prompts=False)
    plain = text(engine)
    assert fast == plain and fast
