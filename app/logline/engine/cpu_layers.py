"""Wrappers that run mlx-lm's llama-style blocks with the NumPy kernels of ``cpu_kernels``.

Only for MLX's CPU backend (Metal and CUDA have fast fused kernels) and only for float32 models
(the format ``precision`` gives small models on CPU); anything else goes to the wrapped block
unchanged. ``cpu_decode`` is for single-stream decoding; the prompt path (``prefill``) and the
batched decoder (``batch``) use the same blocks, so all of the engine's paths compute alike.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

# Modules whose ``Attention`` / ``MLP`` are mlx-lm's llama ones (projections, RoPE at the cache
# offset, cache update, SDPA, output projection; ``down(silu(gate(x)) * up(x))``), the same in
# mlx-lm 0.30 and 0.32.
LLAMA_STYLE_MODULES = frozenset({"mlx_lm.models.llama", "mlx_lm.models.qwen2"})


def is_llama_style(block: Any, name: str = "Attention") -> bool:
    return (
        block is not None
        and type(block).__name__ == name
        and type(block).__module__ in LLAMA_STYLE_MODULES
    )


def is_llama_mlp(block: Any) -> bool:
    return is_llama_style(block, "MLP") and all(
        hasattr(block, name) for name in ("gate_proj", "up_proj", "down_proj")
    )


@contextlib.contextmanager
def cpu_decode(model: Any) -> Iterator[None]:
    """While ``model`` decodes one sequence: NumPy exponentials in llama-style attention and
    MLP blocks, attention over the cache's whole buffer."""
    from logline.engine.batch import products_row_exact

    exact = products_row_exact()
    attention_class, mlp_class = layer_classes()
    with swapped_blocks(
        model,
        attention=lambda inner: attention_class(inner, exact),
        mlp=mlp_class,
    ):
        yield


@contextlib.contextmanager
def swapped_blocks(model: Any, *, attention: Any = None, mlp: Any = None) -> Iterator[None]:
    """Temporarily replace each layer's llama-style ``self_attn`` / ``mlp`` by ``attention(inner)``
    / ``mlp(inner)`` (either may be None: left alone)."""
    body = getattr(model, "model", model)
    layers = list(getattr(body, "layers", None) or getattr(model, "layers", None) or [])
    swapped: list[tuple[Any, str, Any]] = []
    try:
        for layer in layers:
            inner = getattr(layer, "self_attn", None)
            if attention is not None and is_llama_style(inner):
                swapped.append((layer, "self_attn", inner))
                layer.self_attn = attention(inner)
            inner = getattr(layer, "mlp", None)
            if mlp is not None and is_llama_mlp(inner):
                swapped.append((layer, "mlp", inner))
                layer.mlp = mlp(inner)
        yield
    finally:
        for layer, name, inner in reversed(swapped):
            setattr(layer, name, inner)


@functools.cache
def layer_classes() -> tuple[type, type]:
    """(DecodeAttention, NumpyMLP), built on first use so that importing needs no MLX."""
    import mlx.nn as nn
    from mlx_lm.models.cache import KVCache

    from logline.engine import cpu_kernels

    class DecodeAttention(nn.Module):
        """mlx-lm's llama attention; one-token steps with ``cpu_kernels.decode_attention``."""

        def __init__(self, inner: Any, exact: bool) -> None:
            super().__init__()
            self.inner = inner
            self.exact = exact

        def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
            inner = self.inner
            batch, length, _ = x.shape
            if (
                length != 1
                or mask is not None
                or type(cache) is not KVCache
                or not cpu_kernels.is_float32(x)
            ):
                return inner(x, mask, cache)
            queries, keys, values = project(inner, x)
            queries = inner.rope(queries, offset=cache.offset)
            keys = inner.rope(keys, offset=cache.offset)
            cache.update_and_fetch(keys, values)
            output = cpu_kernels.decode_attention(
                queries,
                cache.keys,
                cache.values,
                [cache.offset] * batch,
                inner.scale,
                exact=self.exact,
            )
            return inner.o_proj(output.transpose(0, 2, 1, 3).reshape(batch, length, -1))

    class NumpyMLP(nn.Module):
        """mlx-lm's llama MLP with ``cpu_kernels.swiglu``."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def __call__(self, x: Any) -> Any:
            inner = self.inner
            if not cpu_kernels.is_float32(x):
                return inner(x)
            return inner.down_proj(cpu_kernels.swiglu(inner.gate_proj(x), inner.up_proj(x)))

    return DecodeAttention, NumpyMLP


def project(inner: Any, x: Any) -> tuple[Any, Any, Any]:
    """Queries, keys and values of a llama attention block, as [B, heads, L, head_dim]."""
    batch, length, _ = x.shape
    queries = inner.q_proj(x).reshape(batch, length, inner.n_heads, -1)
    keys = inner.k_proj(x).reshape(batch, length, inner.n_kv_heads, -1)
    values = inner.v_proj(x).reshape(batch, length, inner.n_kv_heads, -1)
    return (
        queries.transpose(0, 2, 1, 3),
        keys.transpose(0, 2, 1, 3),
        values.transpose(0, 2, 1, 3),
    )
