"""Prompt processing on the CPU: Stop between layers, and a softmax that is not the bottleneck.

Two measured problems of MLX's CPU backend, both only on Linux machines without a GPU:

* **Stop was slow.** A prompt is processed in chunks and Stop is checked between chunks, but a
  256-token chunk of a 135M model takes 1.2 s at the start of a prompt and 2.6 s at token 1,300
  (the attention grows with the position). :func:`cpu_prefill` evaluates layer by layer and
  checks the cancel token after each, so Stop answers within one layer (tens of milliseconds).
* **The exponentials dominated.** MLX's CPU ``exp`` is a scalar loop (~80 M/s here): in a
  1,600-token prompt attention took 60 % of the time, almost all of it ``exp``, and the SiLU of
  the MLPs another 18 %. For llama-style blocks :func:`cpu_prefill` uses ``cpu_kernels``: matrix
  products in MLX (BLAS), exponentials in NumPy (vectorised). Prompt processing is then not
  bit-identical to mlx-lm's (greedy text agrees in the tests; ``fast_attention=False`` keeps
  MLX's kernels).

On Metal and CUDA none of this is used: the fused attention kernel is fast there, and evaluating
layer by layer would only add synchronisation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from logline.engine import cpu_kernels
from logline.engine.cancel import CancelToken
from logline.engine.cpu_layers import layer_classes, project, swapped_blocks


@contextlib.contextmanager
def cpu_prefill(model: Any, cancel: CancelToken, *, fast_attention: bool = True) -> Iterator[None]:
    """While prompt chunks run through ``model``'s body: evaluate and check ``cancel`` after
    every layer (``layered_prefill``) and, when ``fast_attention``, use the NumPy kernels
    (``cpu_kernels``) in llama-style attention and MLP blocks."""
    _, mlp_class = layer_classes()
    blocks = (
        swapped_blocks(model, attention=_wrappers()[1], mlp=mlp_class)
        if fast_attention
        else contextlib.nullcontext()
    )
    with blocks, layered_prefill(model, cancel):
        yield


@contextlib.contextmanager
def layered_prefill(model: Any, cancel: CancelToken) -> Iterator[None]:
    """While prompt chunks run through ``model``'s body, evaluate every layer on its own and
    check ``cancel`` after it.

    Stop then answers within one layer of a chunk, and a chunk's temporaries (attention scores,
    MLP activations, dequantized weights) are freed layer by layer: evaluated as one graph, a GPU
    keeps them until the whole command buffer completes (an H100 held 526 MiB for one
    1,024-token chunk of Llama-3.2-1B 4-bit, ``bench/gpu/probe_memory.py``).
    """
    body = getattr(model, "model", model)
    layers = getattr(body, "layers", None)
    if not isinstance(layers, list) or not layers:
        yield
        return
    originals = list(layers)
    layer_class, _ = _wrappers()
    try:
        for index, layer in enumerate(originals):
            layers[index] = layer_class(layer, cancel)
        yield
    finally:
        for index, layer in enumerate(originals):
            layers[index] = layer


def _wrappers() -> tuple[type, type]:
    import mlx.core as mx
    import mlx.nn as nn

    class CancellableLayer(nn.Module):
        """Runs one transformer layer, evaluates it, and stops the prompt if asked to."""

        def __init__(self, inner: Any, cancel: CancelToken) -> None:
            super().__init__()
            self.inner = inner
            self._cancel = cancel

        def __getattr__(self, key: str) -> Any:
            # Model bodies read layer attributes (e.g. llama's ``use_sliding``): pass them on.
            try:
                return super().__getattr__(key)
            except AttributeError:
                return getattr(super().__getattr__("inner"), key)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            out = self.inner(*args, **kwargs)
            mx.eval(out)
            self._cancel.raise_if_cancelled()
            return out

    class PrefillAttention(nn.Module):
        """mlx-lm's llama attention block with ``cpu_kernels.prefill_attention`` for prompt
        chunks."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
            inner = self.inner
            batch, length, _ = x.shape
            if cache is None or length == 1 or not cpu_kernels.is_float32(x):
                return inner(x, mask, cache)
            offset = cache.offset
            queries, keys, values = project(inner, x)
            queries = inner.rope(queries, offset=offset)
            keys = inner.rope(keys, offset=offset)
            keys, values = cache.update_and_fetch(keys, values)
            output = cpu_kernels.prefill_attention(queries, keys, values, inner.scale, offset)
            output = output.transpose(0, 2, 1, 3).reshape(batch, length, -1)
            return inner.o_proj(output)

    return CancellableLayer, PrefillAttention
