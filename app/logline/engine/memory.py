"""MLX memory hygiene: buffer-cache limit, wired limit on Metal, clearing, and memory stats.

Every function takes the ``mlx.core`` module and tolerates backends and MLX versions that lack a
call (CPU, CUDA, mlx 0.29 where some of these live under ``mx.metal``): memory management is
best effort and must never fail a generation.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from logline.engine.events import GenerationStats

log = logging.getLogger(__name__)

# MLX keeps freed buffers for reuse; bound that cache so a long job does not hold on to memory
# the rest of the machine needs. A quarter of the model size, at least 512 MiB, at most 4 GiB.
MIN_CACHE_LIMIT = 512 * 2**20
MAX_CACHE_LIMIT = 4 * 2**30
# Jobs that produced more than this many KV-cache bytes clear MLX's buffer cache when they end.
LARGE_JOB_BYTES = 512 * 2**20
# A prompt prefix's KV cache is kept between calls only while it is at most this large.
MAX_PREFIX_BYTES = 1 * 2**30
# A GPU prompt chunk's temporaries (attention scores, MLP activations, and with quantized weights
# MLX's dequantized copies) grow faster than linearly with the chunk: on an H100, Llama-3.2-1B
# 4-bit peaked 526 MiB above its 663 MiB of weights for a 1,024-token chunk and about half that
# for 512, at the same speed (bench/gpu/probe_memory.py). Models under SMALL_MODEL_BYTES get
# the smaller chunk, so that temporaries stay a small share of what the model needs.
GPU_PREFILL_STEP = 1024
SMALL_MODEL_PREFILL_STEP = 512
SMALL_MODEL_BYTES = 4 * 2**30


def _fn(mx: Any, name: str) -> Any:
    return getattr(mx, name, None) or getattr(getattr(mx, "metal", None), name, None)


def memory_stat(mx: Any, name: str) -> int:
    """``get_peak_memory`` / ``get_active_memory`` / ``get_cache_memory`` in bytes, 0 if absent."""
    fn = _fn(mx, name)
    try:
        return int(fn()) if fn else 0
    except Exception:  # memory stats are best effort on every backend
        return 0


def reset_peak_memory(mx: Any) -> None:
    fn = _fn(mx, "reset_peak_memory")
    if fn:
        try:
            fn()
        except Exception:  # best effort
            log.debug("reset_peak_memory failed", exc_info=True)


def clear_cache(mx: Any) -> None:
    """Return MLX's cached (freed) buffers to the system."""
    fn = _fn(mx, "clear_cache")
    if fn:
        fn()


def metal_available(mx: Any) -> bool:
    metal = getattr(mx, "metal", None)
    try:
        return bool(metal and metal.is_available())
    except Exception:
        return False


def model_bytes(model: Any) -> int:
    from mlx.utils import tree_flatten

    return sum(int(array.nbytes) for _, array in tree_flatten(model.parameters()))


def cache_limit_for(weights: int) -> int:
    return max(MIN_CACHE_LIMIT, min(MAX_CACHE_LIMIT, weights // 4))


def configure_for_model(mx: Any, model: Any) -> None:
    """Set the buffer-cache limit for ``model`` and, on Metal, the wired limit as mlx-lm does.

    mlx-lm raises the wired limit to the device's recommended working set so a large model's
    weights stay resident (its ``wired_limit`` context manager); Logline keeps one model loaded
    for a long time, so it sets the limit once at load when the weights are a large part of it.
    """
    weights = model_bytes(model)
    set_cache_limit = _fn(mx, "set_cache_limit")
    if set_cache_limit:
        try:
            set_cache_limit(cache_limit_for(weights))
        except Exception:
            log.debug("set_cache_limit failed", exc_info=True)
    if not metal_available(mx):
        return
    set_wired = _fn(mx, "set_wired_limit")
    try:
        recommended = int(mx.metal.device_info()["max_recommended_working_set_size"])
    except Exception:
        return
    if set_wired and weights > recommended // 4:
        try:
            set_wired(recommended)
            log.info("Wired limit set to %.1f GiB", recommended / 2**30)
        except Exception:
            log.debug("set_wired_limit failed", exc_info=True)


def release_model(mx: Any) -> None:
    """After a model is dropped: clear cached buffers and give the wired memory back."""
    clear_cache(mx)
    if metal_available(mx):
        set_wired = _fn(mx, "set_wired_limit")
        if set_wired:
            try:
                set_wired(0)
            except Exception:
                log.debug("set_wired_limit(0) failed", exc_info=True)


def gpu_prefill_step(weights: int) -> int:
    """Prompt chunk size (tokens) on a GPU for a model of ``weights`` bytes."""
    return SMALL_MODEL_PREFILL_STEP if weights < SMALL_MODEL_BYTES else GPU_PREFILL_STEP


def activation_bytes(model: Any) -> int:
    """Bytes per element of ``model``'s activations, hence of its KV cache: the item size of its
    floating-point parameters (a quantized model's scales are in the activation type too)."""
    from mlx.utils import tree_flatten

    for _, array in tree_flatten(model.parameters()):
        dtype = getattr(array, "dtype", None)
        if dtype is not None and "float" in str(dtype):
            return int(dtype.size)
    return 4


def kv_bytes_per_token(model: Any, dtype_bytes: int | None = None) -> int:
    """KV-cache bytes one token takes in ``model`` (keys and values, every layer), in its
    activation type unless ``dtype_bytes`` is given."""
    if dtype_bytes is None:
        dtype_bytes = activation_bytes(model)
    args = getattr(model, "args", None)
    layers = len(getattr(model, "layers", ()) or ()) or int(getattr(args, "num_hidden_layers", 0))
    hidden = int(getattr(args, "hidden_size", 0) or 0)
    heads = int(getattr(args, "num_attention_heads", 0) or 0)
    kv_heads = int(getattr(args, "num_key_value_heads", 0) or heads)
    head_dim = int(getattr(args, "head_dim", 0) or (hidden // heads if heads else 0))
    return 2 * layers * kv_heads * head_dim * dtype_bytes


def device_memory_bytes(mx: Any) -> int:
    """All the memory MLX may use on this device: Metal's recommended working set, else MLX's
    memory limit (on CUDA derived from the GPU's memory, on the CPU ~80% of RAM), else RAM."""
    if metal_available(mx):
        try:
            return int(mx.metal.device_info()["max_recommended_working_set_size"])
        except Exception:  # an older MLX without the key
            log.debug("No recommended working set size", exc_info=True)
    limit = _fn(mx, "get_memory_limit")
    if limit:
        try:
            value = int(limit())
            if value > 0:
                return value
        except Exception:
            log.debug("get_memory_limit failed", exc_info=True)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


# A dequantized copy of the weights may take at most this share of the device's memory, so that
# KV caches and batches keep room beside it.
MAX_WEIGHTS_SHARE = 0.6


def weights_growth_budget(mx: Any, model: Any) -> int:
    """Bytes the loaded weights may still grow by (a dequantized copy replacing them)."""
    return int(device_memory_bytes(mx) * MAX_WEIGHTS_SHARE) - model_bytes(model)


def generation_stats(
    mx: Any, prompt_tokens: int, prompt_s: float, generated: int, generation_s: float
) -> GenerationStats:
    """A call's figures, with MLX's memory counters as they stand now."""
    return GenerationStats(
        prompt_tokens=prompt_tokens,
        prompt_seconds=prompt_s,
        generation_tokens=generated,
        generation_seconds=generation_s,
        peak_memory_bytes=memory_stat(mx, "get_peak_memory"),
        active_memory_bytes=memory_stat(mx, "get_active_memory"),
        cache_memory_bytes=memory_stat(mx, "get_cache_memory"),
    )
