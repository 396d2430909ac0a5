"""The blocks Logline swaps into mlx-lm models while it runs them, all defined here.

Importing this module imports MLX (through ``mlx_runtime``, so OpenBLAS is chosen first): the
engine imports it lazily, when a model is already loaded. Which blocks a model gets is the
backend plan's decision (``backend.BackendPlan``), made once at load; ``swaps`` puts them in.

- :class:`CancellableLayer`: one transformer layer of a prompt chunk, evaluated on its own, then
  Stop checked (every device).
- :class:`PrefillAttention`, :class:`DecodeAttention`, :class:`NumpyMLP`: mlx-lm's llama blocks
  with the NumPy exponentials of ``cpu_kernels`` (CPU, float32).
- :class:`PerRowAttention`: any attention block, run once per sequence of a batch.
- :class:`BatchedProjectionAttention`: mlx-lm's llama attention with the four projections run
  once for the whole batch, attention per row or over a ``SharedKV`` buffer.
"""

from __future__ import annotations

from typing import Any

from logline.engine import cpu_kernels
from logline.engine.mlx_runtime import import_mlx
from logline.engine.shared_kv import RowCaches, SharedLayer, padded_attention

mx = import_mlx()  # before mlx.nn: OpenBLAS must be loaded before MLX is

import mlx.nn as nn  # noqa: E402  (after import_mlx, see above)
from mlx_lm.models.base import scaled_dot_product_attention  # noqa: E402
from mlx_lm.models.cache import KVCache  # noqa: E402

from logline.engine.cancel import CancelToken  # noqa: E402


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


def _merge_heads(output: Any, batch: int, length: int) -> Any:
    return output.transpose(0, 2, 1, 3).reshape(batch, length, -1)


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
    """mlx-lm's llama attention with ``cpu_kernels.prefill_attention`` for prompt chunks."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
        inner = self.inner
        batch, length, _ = x.shape
        if cache is None or length == 1:
            return inner(x, mask, cache)
        offset = cache.offset
        queries, keys, values = project(inner, x)
        queries = inner.rope(queries, offset=offset)
        keys = inner.rope(keys, offset=offset)
        keys, values = cache.update_and_fetch(keys, values)
        output = cpu_kernels.prefill_attention(queries, keys, values, inner.scale, offset)
        return inner.o_proj(_merge_heads(output, batch, length))


class DecodeAttention(nn.Module):
    """mlx-lm's llama attention; one-token steps with ``cpu_kernels.decode_attention`` over the
    cache's whole buffer."""

    def __init__(self, inner: Any, exact: bool) -> None:
        super().__init__()
        self.inner = inner
        self.exact = exact

    def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
        inner = self.inner
        batch, length, _ = x.shape
        if length != 1 or mask is not None or type(cache) is not KVCache:
            return inner(x, mask, cache)
        queries, keys, values = project(inner, x)
        queries = inner.rope(queries, offset=cache.offset)
        keys = inner.rope(keys, offset=cache.offset)
        cache.update_and_fetch(keys, values)
        output = cpu_kernels.decode_attention(
            queries, cache.keys, cache.values, [cache.offset] * batch, inner.scale, exact=self.exact
        )
        return inner.o_proj(_merge_heads(output, batch, length))


class NumpyMLP(nn.Module):
    """mlx-lm's llama MLP with ``cpu_kernels.swiglu``."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def __call__(self, x: Any) -> Any:
        inner = self.inner
        return inner.down_proj(cpu_kernels.swiglu(inner.gate_proj(x), inner.up_proj(x)))


def _check_step(x: Any, mask: Any, cache: Any) -> None:
    if mask is not None or not isinstance(cache, RowCaches | SharedLayer) or x.shape[1] != 1:
        raise RuntimeError("batched attention expects one-token steps with per-row caches")


class PerRowAttention(nn.Module):
    """Runs the wrapped attention block once per sequence, each with its own KV cache."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def __call__(self, x: Any, mask: Any = None, cache: Any = None, **kwargs: Any) -> Any:
        _check_step(x, mask, cache)
        outputs = [
            self.inner(x[i : i + 1], None, row, **kwargs) for i, row in enumerate(cache.rows)
        ]
        return mx.concatenate(outputs, axis=0)


class BatchedProjectionAttention(nn.Module):
    """mlx-lm's llama attention with the four projections batched over the sequences.

    Attention itself runs over a ``SharedKV`` buffer (``SharedLayer`` cache: NumPy kernels,
    MLX's fused kernel or padded MLX ops, as the buffer says) or per row (``RowCaches``).
    ``numpy_kernels`` and ``exact`` come from the backend plan.
    """

    def __init__(self, inner: Any, *, numpy_kernels: bool, exact: bool) -> None:
        super().__init__()
        self.inner = inner
        self.numpy_kernels = numpy_kernels
        self.exact = exact

    def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
        _check_step(x, mask, cache)
        batch, length, _ = x.shape
        queries, keys, values = project(self.inner, x)
        if isinstance(cache, SharedLayer):
            output = self._over_shared(cache, queries, keys, values)
        else:
            output = self._per_row(cache, queries, keys, values)
        return self.inner.o_proj(_merge_heads(output, batch, length))

    def _over_shared(self, cache: SharedLayer, queries: Any, keys: Any, values: Any) -> Any:
        inner, shared = self.inner, cache.shared
        queries = inner.rope(queries, offset=shared.offsets)
        keys = inner.rope(keys, offset=shared.offsets)
        keys, values = shared.update(cache.layer, keys, values)
        if shared.fused:
            return mx.fast.scaled_dot_product_attention(
                queries, keys, values, scale=inner.scale, mask=shared.mask
            )
        if self.numpy_kernels:
            return cpu_kernels.decode_attention(
                queries,
                shared.keys[cache.layer],
                shared.values[cache.layer],
                [n + 1 for n in shared.lengths],
                inner.scale,
                exact=shared.exact,
            )
        widths = [n + 1 for n in shared.lengths] if shared.exact else None
        return padded_attention(queries, keys, values, inner.scale, shared.mask, widths)

    def _per_row(self, cache: RowCaches, queries: Any, keys: Any, values: Any) -> Any:
        inner = self.inner
        outputs = []
        for i, row in enumerate(cache.rows):
            q = inner.rope(queries[i : i + 1], offset=row.offset)
            k = inner.rope(keys[i : i + 1], offset=row.offset)
            k, v = row.update_and_fetch(k, values[i : i + 1])
            if self.numpy_kernels:
                outputs.append(
                    cpu_kernels.decode_attention(
                        q, row.keys, row.values, [row.offset], inner.scale, exact=self.exact
                    )
                )
            else:
                outputs.append(
                    scaled_dot_product_attention(q, k, v, cache=row, scale=inner.scale, mask=None)
                )
        return mx.concatenate(outputs, axis=0)
