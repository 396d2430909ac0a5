"""A batch's keys and values in one right-padded buffer per layer (``SharedKV``).

Batched decoding of llama-style models keeps every sequence's KV cache in one buffer per layer:
one RoPE call at per-row offsets, one scatter for the new keys, one masked attention call per
layer. ``layers.BatchedProjectionAttention`` reads a :class:`SharedLayer` as its cache. mlx is
imported inside the methods: this module loads without MLX.
"""

from __future__ import annotations

from typing import Any

from logline.engine.kv_cache import round_up


class RowCaches:
    """One layer's caches for every sequence in the step (attention per row, no shared buffer).

    No ``make_mask``: a one-token step needs no mask."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows


# Shared buffers grow in steps of this many positions, like mlx-lm's ``KVCache``.
SHARED_KV_STEP = 256
# Decode steps are pipelined (the next one is queued while the current one runs) except where
# that would copy the whole KV cache. With ``SharedKV`` on a GPU each step writes its keys into
# the buffers the previous step reads: queued while that step still runs, the write cannot be
# done in place (the running kernels still hold the buffers), so MLX writes a copy, a transient
# second KV cache. An H100 measured the map phase of Llama-3.2-1B 4-bit (five 1.5k-token rows,
# 248 MiB of KV) at 558 MiB above the weights pipelined, 273-306 MiB waiting, with batched decode
# ~10% slower (bench/gpu/probe_map_memory.py). So a step waits for the previous one while the
# buffers exceed this share of the weights (then the copy would cost more memory than that).
PIPELINED_KV_SHARE = 1 / 8


class SharedKV:
    """Every sequence's keys and values in one right-padded buffer per layer.

    Layer ``i`` holds ``[rows, kv_heads, alloc, head_dim]`` arrays, row ``r`` filled up to its own
    length ``lengths[r]``. A decode step ropes all rows at their own offsets in one call, writes
    each row's new key and value at its own position in one scatter, and runs one attention
    call with a mask that hides each row's padding (``padded_attention``).

    Masked positions get exact zero weights, but whether a padded product keeps each row's
    single-stream bits depends on the BLAS kernels. OpenBLAS's row-exact (Haswell/Zen) kernels
    give every score the same bits with padding, but sum the probabilities-times-values product
    in an order that depends on the key length: with them (``exact``) that product runs per row
    on the row's own length, and a step's logits equal single-stream ones bit for bit. Elsewhere
    the batched projections already differ from single-stream ones in the last bits, and all of
    the attention runs padded: on the CPU as ``padded_attention`` (as fast as MLX's own there),
    on a GPU (``fused``) as MLX's fused attention kernel with the mask.
    """

    def __init__(
        self, caches: list[list[Any]], *, exact: bool = False, fused: bool = False
    ) -> None:
        """Move the rows' ``KVCache`` contents (``caches[row][layer]``) into shared buffers.

        Each row's cache list is emptied layer by layer as it is copied, so the keys are not
        held twice. ``exact`` and ``fused`` come from the backend plan (``row_exact``,
        ``fused_attention``).
        """
        import mlx.core as mx  # lazy: MLX

        self.exact = exact
        self.fused = fused
        self.lengths = [int(rows[0].offset) for rows in caches]
        self.alloc = round_up(max(self.lengths) + 1, SHARED_KV_STEP)
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.offsets: Any = None
        self.mask: Any = None
        self.width = 0
        for i in range(len(caches[0])):
            layers = [rows[i] for rows in caches]
            keys = mx.stack([self._padded(c.keys, c.offset) for c in layers])
            values = mx.stack([self._padded(c.values, c.offset) for c in layers])
            mx.eval(keys, values)
            self.keys.append(keys)
            self.values.append(values)
            for rows in caches:
                rows[i] = None

    def _padded(self, array: Any, length: int) -> Any:
        import mlx.core as mx  # lazy: MLX

        part = array[0, :, :length, :]
        return mx.pad(part, [(0, 0), (0, self.alloc - length), (0, 0)])

    def layers(self) -> list[SharedLayer]:
        return [SharedLayer(self, i) for i in range(len(self.keys))]

    def begin_step(self) -> None:
        """Make room for one more token per row and build this step's offsets and mask."""
        import mlx.core as mx  # lazy: MLX

        need = max(self.lengths) + 1
        if need > self.alloc:
            grow = round_up(need, SHARED_KV_STEP) - self.alloc
            for i, (keys, values) in enumerate(zip(self.keys, self.values, strict=True)):
                pad = [(0, 0), (0, 0), (0, grow), (0, 0)]
                self.keys[i] = mx.pad(keys, pad)
                self.values[i] = mx.pad(values, pad)
                del keys, values
                # One layer at a time: growing every layer in the step's graph would hold the
                # old and the new buffers of all layers at once (twice the KV cache).
                mx.eval(self.keys[i], self.values[i])
            self.alloc += grow
        self.offsets = mx.array(self.lengths, dtype=mx.int32)
        self.width = need
        positions = mx.arange(need, dtype=mx.int32)
        self.mask = (positions[None, :] <= self.offsets[:, None])[:, None, None, :]

    def nbytes(self) -> int:
        """Bytes of the key and value buffers."""
        return sum(k.nbytes + v.nbytes for k, v in zip(self.keys, self.values, strict=True))

    def end_step(self) -> None:
        self.lengths = [n + 1 for n in self.lengths]

    def keep(self, indices: list[int]) -> None:
        """Drop the rows not in ``indices`` (finished sequences)."""
        import mlx.core as mx  # lazy: MLX

        if len(indices) == len(self.lengths):
            return
        take = mx.array(indices, dtype=mx.int32)
        for i, (keys, values) in enumerate(zip(self.keys, self.values, strict=True)):
            self.keys[i], self.values[i] = keys[take], values[take]
            mx.eval(self.keys[i], self.values[i])  # one layer at a time: no second full copy
        self.lengths = [self.lengths[i] for i in indices]

    def update(self, layer: int, keys: Any, values: Any) -> tuple[Any, Any]:
        """Write each row's new (one-token) keys and values at its own position."""
        import mlx.core as mx  # lazy: MLX

        index = mx.broadcast_to(self.offsets[:, None, None, None], keys.shape)
        self.keys[layer] = mx.put_along_axis(self.keys[layer], index, keys, axis=2)
        self.values[layer] = mx.put_along_axis(self.values[layer], index, values, axis=2)
        width = self.width
        return self.keys[layer][..., :width, :], self.values[layer][..., :width, :]


def padded_attention(
    queries: Any, keys: Any, values: Any, scale: float, mask: Any, widths: list[int] | None = None
) -> Any:
    """One-token attention of every row over its own keys, the padding masked out.

    The same operations, in the same layouts, as MLX's CPU ``scaled_dot_product_attention``
    for one query (scaled queries times transposed keys, a precise softmax, times values), with
    the query heads that share a key head as the rows of one product. Masked positions get
    exact zero weights. With ``widths`` (each row's own key count) the weights-times-values
    product runs per row on exactly those keys, as single-stream attention does.
    """
    import mlx.core as mx  # lazy: MLX

    batch, heads, length, dim = queries.shape
    kv_heads = keys.shape[1]
    grouped = (queries * scale).reshape(batch, kv_heads, heads // kv_heads * length, dim)
    scores = grouped @ keys.swapaxes(-1, -2)
    scores = mx.where(mask, scores, mx.array(-float("inf"), scores.dtype))
    weights = mx.softmax(scores, axis=-1, precise=True)
    if widths is None:
        output = weights @ values
    else:
        output = mx.concatenate(
            [weights[i : i + 1, ..., :n] @ values[i : i + 1, :, :n] for i, n in enumerate(widths)]
        )
    return output.reshape(batch, heads, length, dim)


class SharedLayer:
    """One layer's view of a ``SharedKV`` (what the wrapped attention gets as its cache)."""

    def __init__(self, shared: SharedKV, layer: int) -> None:
        self.shared = shared
        self.layer = layer


def pipelines_kv_writes(shared: SharedKV, weights_bytes: int | None) -> bool:
    """Whether the next decode step may be queued while the current one runs
    (``PIPELINED_KV_SHARE``): always on the CPU, on a GPU only while a copy of the KV buffers
    would be a small share of the weights (``weights_bytes``; None: unknown, never)."""
    if not shared.fused:
        return True
    if weights_bytes is None:
        return False
    return shared.nbytes() <= weights_bytes * PIPELINED_KV_SHARE
