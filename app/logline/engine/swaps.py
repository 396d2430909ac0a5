"""Put the plan's blocks into a model for the length of one job, and always put them back.

Each context manager reads the backend plan (``backend.BackendPlan``) and swaps the blocks of
``layers`` into the model's layers; nothing here inspects a block's type or a module name.
``layers`` imports MLX, so it is imported inside the functions (this module loads without it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from logline.engine.backend import BackendPlan
from logline.engine.cancel import CancelToken

Wrap = Callable[[Any], Any]


def _layers(model: Any) -> list[Any]:
    body = getattr(model, "model", model)
    return list(getattr(body, "layers", None) or getattr(model, "layers", None) or [])


@contextlib.contextmanager
def swapped_blocks(
    model: Any, *, attention: Wrap | None = None, mlp: Wrap | None = None
) -> Iterator[None]:
    """Replace every layer's ``self_attn`` by ``attention(inner)`` and ``mlp`` by ``mlp(inner)``
    (either None: left alone) while the block runs."""
    swapped: list[tuple[Any, str, Any]] = []
    try:
        for layer in _layers(model):
            for name, wrap in (("self_attn", attention), ("mlp", mlp)):
                inner = getattr(layer, name, None)
                if wrap is not None and inner is not None:
                    swapped.append((layer, name, inner))
                    setattr(layer, name, wrap(inner))
        yield
    finally:
        for layer, name, inner in reversed(swapped):
            setattr(layer, name, inner)


@contextlib.contextmanager
def layered_prefill(model: Any, cancel: CancelToken) -> Iterator[None]:
    """While prompt chunks run through ``model``'s body, evaluate every layer on its own and
    check ``cancel`` after it.

    Stop then answers within one layer of a chunk (a 256-token chunk of a 135M model takes up to
    2.6 s on a CPU), and a chunk's temporaries (attention scores, MLP activations, dequantized
    weights) are freed layer by layer: evaluated as one graph, a GPU keeps them until the whole
    command buffer completes (an H100 held 526 MiB for one 1,024-token chunk of Llama-3.2-1B
    4-bit, ``bench/gpu/probe_memory.py``).
    """
    from logline.engine.layers import CancellableLayer  # lazy: imports MLX

    body = getattr(model, "model", model)
    layers = getattr(body, "layers", None)
    if not isinstance(layers, list) or not layers:
        yield
        return
    originals = list(layers)
    try:
        for index, layer in enumerate(originals):
            layers[index] = CancellableLayer(layer, cancel)
        yield
    finally:
        for index, layer in enumerate(originals):
            layers[index] = layer


@contextlib.contextmanager
def prompt_blocks(model: Any, plan: BackendPlan, cancel: CancelToken) -> Iterator[None]:
    """While a prompt is read: layer by layer with Stop between layers, and with
    ``plan.numpy_prompts`` the NumPy attention and MLP blocks."""
    from logline.engine.layers import NumpyMLP, PrefillAttention  # lazy: imports MLX

    blocks = (
        swapped_blocks(model, attention=PrefillAttention, mlp=NumpyMLP)
        if plan.numpy_prompts
        else contextlib.nullcontext()
    )
    with blocks, layered_prefill(model, cancel):
        yield


@contextlib.contextmanager
def decode_blocks(model: Any, plan: BackendPlan) -> Iterator[None]:
    """While one sequence decodes: with ``plan.numpy_kernels`` the NumPy attention (over the
    cache's whole buffer) and MLP blocks; otherwise the model as it is."""
    if not plan.numpy_kernels:
        yield
        return
    from logline.engine.layers import DecodeAttention, NumpyMLP  # lazy: imports MLX

    exact = plan.row_exact
    with swapped_blocks(model, attention=lambda inner: DecodeAttention(inner, exact), mlp=NumpyMLP):
        yield


@contextlib.contextmanager
def batch_blocks(model: Any, plan: BackendPlan) -> Iterator[None]:
    """While several sequences decode together: llama blocks get their projections batched
    (``BatchedProjectionAttention``), any other attention runs per row (``PerRowAttention``);
    with ``plan.numpy_kernels`` the MLPs use NumPy, as in single-stream decoding."""
    from logline.engine.layers import (  # lazy: imports MLX
        BatchedProjectionAttention,
        NumpyMLP,
        PerRowAttention,
    )

    def attention(inner: Any) -> Any:
        if plan.llama_blocks:
            return BatchedProjectionAttention(
                inner, numpy_kernels=plan.numpy_kernels, exact=plan.row_exact
            )
        return PerRowAttention(inner)

    with swapped_blocks(model, attention=attention, mlp=NumpyMLP if plan.numpy_kernels else None):
        yield
