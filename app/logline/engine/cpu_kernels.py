"""NumPy versions of the MLX CPU operations that are slow on Linux machines without a GPU.

MLX's CPU backend evaluates ``exp`` (in softmax and in SiLU) with a scalar, single-threaded
loop: ~80 M values a second here, against ~1.5 G for NumPy's vectorised ``exp``. Measured on the
embedded SmolLM2-135M (float32, 2 cores):

* a 256-token prompt chunk at position 768: attention 438 ms and SiLU 188 ms of 1,050 ms;
* one decode step of 8 sequences at ~1,300 tokens: softmax 37 ms of ~190 ms, and the keys'
  product 48 ms, most of it a copy MLX makes of the cache's sliced (non-contiguous) buffer.

The functions here keep the matrix products in MLX (BLAS) and do the exponentials in NumPy.
NumPy's ``exp`` is within 1 ulp of the exact value and MLX's CPU ``exp`` within ~2e-6 relative, so
results differ from MLX's in the last bits; the engine uses these functions on every CPU path
(prompt, single-stream decode, batched decode) so its paths agree with one another. They take
float32 arrays only (NumPy has no bfloat16); callers fall back to MLX for other types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def is_float32(*arrays: Any) -> bool:
    import mlx.core as mx

    return all(a.dtype == mx.float32 for a in arrays)


def swiglu(gate: Any, up: Any) -> Any:
    """``silu(gate) * up`` (mlx-lm's ``swiglu``) with NumPy's exponential."""
    import mlx.core as mx
    import numpy as np

    mx.eval(gate, up)
    g = np.asarray(gate)
    out = np.negative(g)
    np.exp(out, out=out)
    out += 1
    np.divide(g, out, out=out)
    out *= np.asarray(up)
    return mx.array(out)


def prefill_attention(q: Any, k: Any, v: Any, scale: float, offset: int) -> Any:
    """Causal attention of ``q`` [B, Hq, L, D] at positions ``offset…`` over ``k``/``v``
    [B, Hkv, S, D] (grouped heads; S = offset + L). Returns [B, Hq, L, D]."""
    import mlx.core as mx
    import numpy as np

    batch, q_heads, length, dim = q.shape
    kv_heads, keys = k.shape[1], k.shape[2]
    group = q_heads // kv_heads
    grouped = (q * scale).reshape(batch, kv_heads, group * length, dim)
    scores_mx = grouped @ k.swapaxes(-1, -2)
    mx.eval(scores_mx)
    scores = np.array(scores_mx, copy=True).reshape(batch, kv_heads, group, length, keys)
    if length > 1:
        # Keys before this chunk are all visible; within it, position i sees keys up to i.
        start = keys - length
        scores[..., start:] += _causal_block(length, offset - start)
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    weights = mx.array(scores.reshape(batch, kv_heads, group * length, keys))
    out = (weights @ v).reshape(batch, kv_heads, group, length, dim) / mx.array(total)
    return out.reshape(batch, q_heads, length, dim)


def _causal_block(length: int, shift: int) -> Any:
    """[L, L] additive mask: 0 where key j <= query i + shift, -inf elsewhere."""
    import numpy as np

    return np.triu(np.full((length, length), -np.inf, dtype=np.float32), k=1 + shift)


def decode_attention(
    queries: Any,
    keys: Any,
    values: Any,
    lengths: Sequence[int],
    scale: float,
    *,
    exact: bool = False,
) -> Any:
    """One-token attention of every row over its first ``lengths[row]`` keys.

    ``keys``/``values`` are whole cache buffers [B, Hkv, A, D] (A >= every length), not slices:
    a product with a slice makes MLX copy it first. Positions past a row's length get exactly
    zero weight. With ``exact`` the weights-times-values product runs per row on exactly its
    own keys (OpenBLAS's row-exact kernels sum it in an order that depends on the key count),
    so a row gives the same bits alone as in a batch. Returns [B, Hq, 1, D].
    """
    import mlx.core as mx
    import numpy as np

    batch, q_heads, length, dim = queries.shape
    kv_heads = keys.shape[1]
    grouped = (queries * scale).reshape(batch, kv_heads, q_heads // kv_heads * length, dim)
    # keys @ queries^T (the cache buffer as the left operand) is twice as fast as
    # queries @ keys^T on OpenBLAS for these shapes.
    scores_t = keys @ mx.contiguous(grouped.swapaxes(-1, -2))
    mx.eval(scores_t)
    scores = np.ascontiguousarray(np.asarray(scores_t).swapaxes(-1, -2))
    for row, n in enumerate(lengths):
        part = scores[row, ..., :n]
        part -= part.max(axis=-1, keepdims=True)
        np.exp(part, out=part)
        part /= part.sum(axis=-1, keepdims=True)
        scores[row, ..., n:] = 0.0
    weights = mx.array(scores)
    if exact:
        output = mx.concatenate(
            [weights[i : i + 1, ..., :n] @ values[i : i + 1, :, :n] for i, n in enumerate(lengths)]
        )
    else:
        output = weights @ values
    return output.reshape(batch, q_heads, length, dim)
