"""Prompt processing on the CPU: Stop between layers, and a softmax that is not the bottleneck.

Two measured problems of MLX's CPU backend, both only on Linux machines without a GPU:

* **Stop was slow.** A prompt is processed in chunks and Stop is checked between chunks, but a
  256-token chunk of a 135M model takes 1.2 s at the start of a prompt and 2.6 s at token 1,300
  (the attention grows with the position). :func:`cpu_prefill` evaluates layer by layer and
  checks the cancel token after each, so Stop answers within one layer (tens of milliseconds).
* **The softmax dominated.** MLX's CPU ``exp`` is a scalar loop (~80 M/s here, 45 ms for the
  3.5 M scores of one layer at 256 x 1,536): in a 1,600-token prompt attention took 60 % of the
  time, almost all of it ``exp``. For llama-style attention blocks :func:`cpu_prefill` computes
  the scores with MLX (BLAS) and the exponentials with NumPy's vectorised ``exp`` (2 ms for the
  same scores). NumPy's ``exp`` is within 1 ulp of the exact value; MLX's own CPU ``exp`` differs
  from it by up to 2e-6 relative, so prompt processing is not bit-identical to mlx-lm's (greedy
  text agrees in the tests; ``fast_attention=False`` keeps MLX's kernel).

On Metal and CUDA none of this is used: the fused attention kernel is fast there, and evaluating
layer by layer would only add synchronisation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from logline.engine.cancel import CancelToken


@contextlib.contextmanager
def cpu_prefill(model: Any, cancel: CancelToken, *, fast_attention: bool = True) -> Iterator[None]:
    """While prompt chunks run through ``model``'s body: check ``cancel`` after every layer and,
    when ``fast_attention``, use the NumPy softmax in llama-style attention blocks."""
    body = getattr(model, "model", model)
    layers = getattr(body, "layers", None)
    if not isinstance(layers, list) or not layers:
        yield
        return
    originals = list(layers)
    attentions = [getattr(layer, "self_attn", None) for layer in originals]
    layer_class, attention_class = _wrappers()
    try:
        for index, layer in enumerate(originals):
            if fast_attention and _is_llama_style(attentions[index]):
                layer.self_attn = attention_class(attentions[index])
            layers[index] = layer_class(layer, cancel)
        yield
    finally:
        for index, layer in enumerate(originals):
            layers[index] = layer
            if attentions[index] is not None:
                layer.self_attn = attentions[index]


def _is_llama_style(attention: Any) -> bool:
    from logline.engine.batch import LLAMA_STYLE_ATTENTION

    return (
        attention is not None
        and type(attention).__name__ == "Attention"
        and type(attention).__module__ in LLAMA_STYLE_ATTENTION
    )


def softmax_attention(q: Any, k: Any, v: Any, scale: float, offset: int) -> Any:
    """Causal attention of ``q`` [B, Hq, L, D] at positions ``offset…`` over ``k``/``v``
    [B, Hkv, S, D] (grouped heads), with NumPy's exponential. Returns [B, Hq, L, D]."""
    import mlx.core as mx
    import numpy as np

    batch, q_heads, length, dim = q.shape
    kv_heads, keys = k.shape[1], k.shape[2]
    group = q_heads // kv_heads
    grouped = (q * scale).reshape(batch, kv_heads, group * length, dim)
    scores = (grouped @ k.swapaxes(-1, -2)).reshape(batch, kv_heads, group, length, keys)
    if length > 1:
        rows = mx.arange(offset, offset + length)[:, None]
        scores = mx.where(mx.arange(keys)[None] > rows, -mx.inf, scores)
    scores = scores - mx.max(scores, axis=-1, keepdims=True)
    mx.eval(scores)
    weights = np.exp(np.asarray(scores, dtype=np.float32))
    weights_mx = mx.array(weights).astype(v.dtype)
    total = mx.sum(weights_mx, axis=-1, keepdims=True)
    flat = weights_mx.reshape(batch, kv_heads, group * length, keys)
    out = (flat @ v).reshape(batch, kv_heads, group, length, dim) / total
    return out.reshape(batch, q_heads, length, dim)


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

    class NumpySoftmaxAttention(nn.Module):
        """mlx-lm's llama attention block with :func:`softmax_attention` for prompt chunks."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
            inner = self.inner
            batch, length, _ = x.shape
            if cache is None or length == 1:
                return inner(x, mask, cache)
            offset = cache.offset
            queries = inner.q_proj(x).reshape(batch, length, inner.n_heads, -1)
            keys = inner.k_proj(x).reshape(batch, length, inner.n_kv_heads, -1)
            values = inner.v_proj(x).reshape(batch, length, inner.n_kv_heads, -1)
            queries = inner.rope(queries.transpose(0, 2, 1, 3), offset=offset)
            keys = inner.rope(keys.transpose(0, 2, 1, 3), offset=offset)
            keys, values = cache.update_and_fetch(keys, values.transpose(0, 2, 1, 3))
            output = softmax_attention(queries, keys, values, inner.scale, offset)
            output = output.transpose(0, 2, 1, 3).reshape(batch, length, -1)
            return inner.o_proj(output)

    return CancellableLayer, NumpySoftmaxAttention
