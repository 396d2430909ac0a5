"""Batched decoding of several prompts that share a prefix, with results equal to one-at-a-time.

Why not mlx-lm's ``BatchGenerator``: it left-pads every sequence into one ``BatchKVCache``, and
with padding the attention reductions (softmax sums, the probabilities-times-values product) run
over shifted or longer rows, so batched logits differ from single-stream ones in the last bits
and greedy outputs drift apart after a near tie. It is also absent from the mlx-lm 0.30 / mlx
0.29 pair that macOS 13 needs. Here every sequence keeps its own plain ``KVCache``, exactly as a
single-stream generation lays it out; one decode step runs the model once on all sequences, with
each layer's attention block run per sequence (so attention sees exactly the keys it would see
alone) and everything else (MLPs, norms, the vocabulary projection: most of the weights) batched.

Row-exact matrix products are the other half: a batched product must give each row the bits the
one-row product gives. OpenBLAS's AVX-512 (SkylakeX) kernels use a separate small-matrix kernel
for small products, which is not; its Haswell/Zen kernels are. See ``mlx_runtime`` for how the
BLAS core is chosen.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from logline.engine.cpu_layers import LLAMA_STYLE_MODULES, layer_classes, project, swapped_blocks
from logline.engine.events import FinishReason


@dataclass(frozen=True)
class BatchItemResult:
    """One request's outcome in a batch: its text, tokens generated, and why it ended."""

    index: int
    text: str
    tokens: int
    reason: FinishReason


def common_prefix_length(prompts: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix every prompt starts with."""
    if not prompts:
        return 0
    first = prompts[0]
    n = min(len(p) for p in prompts)
    for i in range(n):
        token = first[i]
        if any(p[i] != token for p in prompts):
            return i
    return n


def aligned(length: int, step: int) -> int:
    """``length`` rounded down to a prefill chunk boundary.

    Prefill chunks always start at multiples of ``step`` (absolute positions), so a prompt's
    cache is computed with the same chunks whether or not part of it came from a prefix cache:
    the attention of a position depends on where its chunk ends, and that must not vary.
    """
    return (length // step) * step


# A prompt chunk's attention holds chunk x position scores per head. Past this position, chunks
# shrink (halving, down to MIN_PREFILL_CHUNK) so that product stays at most step x this.
FULL_CHUNKS_UNTIL = 2048
MIN_PREFILL_CHUNK = 64


def prefill_chunk(position: int, step: int) -> int:
    """The prompt chunk size at ``position``: ``step``, halved as the position grows.

    Measured: a 1,024-token chunk over ~5k cached keys made the merge phase of an 8B model peak
    ~3.5 GiB above its weights and KV cache on CUDA; 256-token chunks over 5.4k keys on the CPU
    held ~100 MB of scores. Sizes are powers of two fractions of ``step`` and chunks start at
    multiples of their size, so boundaries depend only on positions (``next_boundary``).
    """
    size = step
    while size > MIN_PREFILL_CHUNK and size * position > step * FULL_CHUNKS_UNTIL:
        size //= 2
    return size


def next_boundary(position: int, end: int, step: int) -> int:
    """Where the prompt chunk that starts at ``position`` ends (at most ``end``)."""
    size = prefill_chunk(position, step)
    return min(aligned(position, size) + size, end)


@dataclass
class PrefixCache:
    """The KV cache of a shared prompt prefix, kept between calls; only its copies are decoded."""

    tokens: tuple[int, ...]
    cache: list[Any]

    def matches(self, prompt: Sequence[int]) -> bool:
        n = len(self.tokens)
        return 0 < n < len(prompt) and tuple(prompt[:n]) == self.tokens

    def fork(self) -> list[Any]:
        return fork_cache(self.cache)


def reserve(cache: list[Any], tokens: int) -> None:
    """Grow plain ``KVCache`` buffers to hold ``tokens`` positions now, layer by layer.

    ``KVCache`` grows by concatenation every 256 tokens, in the graph of a decode step, so all
    layers hold their old and new buffers at once: the peak is twice the KV cache (measured:
    a 6k-token answer peaked 1,036 MiB for 513 MiB of weights). Reserving before decoding makes
    that one layer at a time. Values past ``offset`` are never read, so results do not change.
    """
    import mlx.core as mx
    from mlx_lm.models.cache import KVCache

    for layer in cache:
        if type(layer) is not KVCache or layer.keys is None or layer.keys.shape[2] >= tokens:
            continue
        size = _round_up(tokens, getattr(layer, "step", 256))
        n = layer.offset
        pad = [(0, 0), (0, 0), (0, size - n), (0, 0)]
        layer.keys = mx.pad(layer.keys[..., :n, :], pad)
        layer.values = mx.pad(layer.values[..., :n, :], pad)
        mx.eval(layer.keys, layer.values)


def fork_cache(cache: list[Any], length: int | None = None) -> list[Any]:
    """Independent copies of plain ``KVCache`` layers, cut to ``length`` tokens if given.

    MLX slice assignment replaces the array object's contents, so two caches must never hold the
    same array object: a copy holds sliced arrays, and its first update allocates its own buffer.
    """
    from mlx_lm.models.cache import KVCache

    copies = []
    for layer in cache:
        copy = KVCache()
        if layer.keys is not None:
            n = layer.offset if length is None else min(length, layer.offset)
            copy.keys = layer.keys[..., :n, :]
            copy.values = layer.values[..., :n, :]
            copy.offset = n
        copies.append(copy)
    return copies


def forkable(cache: list[Any]) -> bool:
    """Only plain KV caches can be copied and cut at any length."""
    from mlx_lm.models.cache import KVCache

    return bool(cache) and all(type(c) is KVCache for c in cache)


def supports_row_batching(model: Any, cache: list[Any]) -> bool:
    """True for models this module can batch exactly: plain KV caches and ``self_attn`` layers."""
    from mlx_lm.models.cache import KVCache

    layers = getattr(model, "layers", None)
    if not layers or len(layers) != len(cache):
        return False
    if not all(type(c) is KVCache for c in cache):
        return False
    return all(hasattr(layer, "self_attn") for layer in layers)


def row_batching_kind(model: Any) -> str:
    """How ``decode_rows`` batches this model: "projections" (llama-style attention) or "rows"."""
    layers = getattr(model, "layers", None) or []
    if layers and all(_is_llama_style(layer.self_attn) for layer in layers):
        return "projections"
    return "rows"


class _RowCaches:
    """One layer's caches for every sequence in the step (no ``make_mask``: no mask for N=1)."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows


# Shared buffers grow in steps of this many positions, like mlx-lm's ``KVCache``.
SHARED_KV_STEP = 256
# Set to False to decode llama-style models with per-row caches (the previous path).
USE_SHARED_KV = True
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

    def __init__(self, caches: list[list[Any]], *, exact: bool = False) -> None:
        """Move the rows' ``KVCache`` contents (``caches[row][layer]``) into shared buffers.

        Each row's cache list is emptied layer by layer as it is copied, so the keys are not
        held twice.
        """
        import mlx.core as mx

        from logline.engine.mlx_runtime import device_kind

        self.exact = exact
        self.fused = not exact and device_kind() != "cpu"
        self.lengths = [int(rows[0].offset) for rows in caches]
        self.alloc = _round_up(max(self.lengths) + 1, SHARED_KV_STEP)
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
        import mlx.core as mx

        part = array[0, :, :length, :]
        return mx.pad(part, [(0, 0), (0, self.alloc - length), (0, 0)])

    def layers(self) -> list[SharedLayer]:
        return [SharedLayer(self, i) for i in range(len(self.keys))]

    def begin_step(self) -> None:
        """Make room for one more token per row and build this step's offsets and mask."""
        import mlx.core as mx

        need = max(self.lengths) + 1
        if need > self.alloc:
            grow = _round_up(need, SHARED_KV_STEP) - self.alloc
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
        import mlx.core as mx

        if len(indices) == len(self.lengths):
            return
        take = mx.array(indices, dtype=mx.int32)
        for i, (keys, values) in enumerate(zip(self.keys, self.values, strict=True)):
            self.keys[i], self.values[i] = keys[take], values[take]
            mx.eval(self.keys[i], self.values[i])  # one layer at a time: no second full copy
        self.lengths = [self.lengths[i] for i in indices]

    def update(self, layer: int, keys: Any, values: Any) -> tuple[Any, Any]:
        """Write each row's new (one-token) keys and values at its own position."""
        import mlx.core as mx

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
    import mlx.core as mx

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


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def can_share_kv(model: Any) -> bool:
    """Whether ``SharedKV`` decoding applies: llama-style attention with a RoPE that takes one
    offset per row, on an MLX whose ``fast.rope`` honours them."""
    if not USE_SHARED_KV or row_batching_kind(model) != "projections":
        return False
    ropes = _array_offset_ropes()
    if not ropes or not _rope_takes_row_offsets():
        return False
    return all(type(layer.self_attn.rope) in ropes for layer in model.layers)


def _array_offset_ropes() -> tuple[type, ...]:
    """RoPE classes whose ``__call__`` passes ``offset`` straight to ``mx.fast.rope``."""
    import mlx.nn as nn

    ropes: list[type] = [nn.RoPE]
    try:
        from mlx_lm.models import rope_utils
    except ImportError:
        return tuple(ropes)
    for name in ("Llama3RoPE", "SuScaledRoPE"):
        cls = getattr(rope_utils, name, None)
        if isinstance(cls, type):
            ropes.append(cls)
    return tuple(ropes)


@functools.cache
def _rope_takes_row_offsets() -> bool:
    """Feature check: ``mx.fast.rope`` with a vector offset equals per-row int offsets."""
    import mlx.core as mx

    if not hasattr(mx, "put_along_axis"):
        return False
    x = mx.random.normal((3, 2, 1, 16), key=mx.random.key(0))
    offsets = [0, 5, 300]
    try:
        together = mx.fast.rope(
            x, 16, traditional=False, base=10000.0, scale=1.0, offset=mx.array(offsets)
        )
    except (TypeError, ValueError, RuntimeError):
        return False
    apart = mx.concatenate(
        [
            mx.fast.rope(x[i : i + 1], 16, traditional=False, base=10000.0, scale=1.0, offset=n)
            for i, n in enumerate(offsets)
        ]
    )
    return bool(mx.array_equal(together, apart).item())


# Attention blocks whose ``__call__`` is mlx-lm's llama one (``cpu_layers``). Their projections
# run batched, with RoPE, the cache and attention handled here.
LLAMA_STYLE_ATTENTION = LLAMA_STYLE_MODULES


def _is_llama_style(attention: Any) -> bool:
    return type(attention).__name__ == "Attention" and (
        type(attention).__module__ in LLAMA_STYLE_ATTENTION
    )


def _wrapper_classes() -> tuple[type, type]:
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.models.base import scaled_dot_product_attention

    from logline.engine import cpu_kernels
    from logline.engine.mlx_runtime import device_kind

    on_cpu = device_kind() == "cpu"
    exact = products_row_exact()

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
        """mlx-lm's llama attention with the four projections batched over the sequences."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def __call__(self, x: Any, mask: Any = None, cache: Any = None) -> Any:
            _check_step(x, mask, cache)
            inner = self.inner
            batch, length, _ = x.shape
            queries, keys, values = project(inner, x)
            numpy_kernels = on_cpu and cpu_kernels.is_float32(x)
            if isinstance(cache, SharedLayer):
                shared = cache.shared
                queries = inner.rope(queries, offset=shared.offsets)
                keys = inner.rope(keys, offset=shared.offsets)
                keys, values = shared.update(cache.layer, keys, values)
                if shared.fused:
                    output = mx.fast.scaled_dot_product_attention(
                        queries, keys, values, scale=inner.scale, mask=shared.mask
                    )
                elif numpy_kernels:
                    output = cpu_kernels.decode_attention(
                        queries,
                        shared.keys[cache.layer],
                        shared.values[cache.layer],
                        [n + 1 for n in shared.lengths],
                        inner.scale,
                        exact=shared.exact,
                    )
                else:
                    widths = [n + 1 for n in shared.lengths] if shared.exact else None
                    output = padded_attention(
                        queries, keys, values, inner.scale, shared.mask, widths
                    )
                output = output.transpose(0, 2, 1, 3).reshape(batch, length, -1)
                return inner.o_proj(output)
            outputs = []
            for i, row in enumerate(cache.rows):
                q = inner.rope(queries[i : i + 1], offset=row.offset)
                k = inner.rope(keys[i : i + 1], offset=row.offset)
                k, v = row.update_and_fetch(k, values[i : i + 1])
                if numpy_kernels:
                    outputs.append(
                        cpu_kernels.decode_attention(
                            q, row.keys, row.values, [row.offset], inner.scale, exact=exact
                        )
                    )
                else:
                    outputs.append(
                        scaled_dot_product_attention(
                            q, k, v, cache=row, scale=inner.scale, mask=None
                        )
                    )
            output = mx.concatenate(outputs, axis=0)
            output = output.transpose(0, 2, 1, 3).reshape(batch, length, -1)
            return inner.o_proj(output)

    return PerRowAttention, BatchedProjectionAttention


def _check_step(x: Any, mask: Any, cache: Any) -> None:
    if mask is not None or not isinstance(cache, _RowCaches | SharedLayer) or x.shape[1] != 1:
        raise RuntimeError("batched attention expects one-token steps with per-row caches")


@contextlib.contextmanager
def per_row_attention(model: Any) -> Iterator[None]:
    """Temporarily wrap every layer's ``self_attn`` so attention runs per sequence (and, on the
    CPU, llama-style MLPs with NumPy's exponential, as in single-stream decoding)."""
    from logline.engine.mlx_runtime import device_kind

    per_row, batched = _wrapper_classes()
    layers = model.layers
    originals = [layer.self_attn for layer in layers]
    mlp = layer_classes()[1] if device_kind() == "cpu" else None
    try:
        for layer, inner in zip(layers, originals, strict=True):
            layer.self_attn = batched(inner) if _is_llama_style(inner) else per_row(inner)
        with swapped_blocks(model, mlp=mlp):
            yield
    finally:
        for layer, inner in zip(layers, originals, strict=True):
            layer.self_attn = inner


# OpenBLAS cores whose small-matrix kernels make a one-row product differ (last bits) from the
# same row inside a larger product. Measured with OpenBLAS 0.3.21 on an AVX-512 AMD EPYC.
NOT_ROW_EXACT_CORES = frozenset({"skylakex", "cooperlake", "sapphirerapids"})


def blas_core() -> str | None:
    """The kernel family OpenBLAS chose (``openblas_get_corename``), or None without OpenBLAS."""
    import ctypes

    from logline.engine.mlx_runtime import blas_library

    path = blas_library()
    if path is None:
        return None
    try:
        get = ctypes.CDLL(path).openblas_get_corename
    except (OSError, AttributeError):
        return None
    get.restype = ctypes.c_char_p
    return (get() or b"").decode().strip().lower() or None


def products_row_exact() -> bool:
    """Whether batched decoding reproduces single-stream logits bit for bit on this machine.

    True on the CPU with OpenBLAS kernels that compute each row of a product the same way
    whatever the number of rows (Haswell, Zen, ...; ``OPENBLAS_CORETYPE=Haswell`` selects them
    on AVX-512 CPUs). Elsewhere (AVX-512 kernels, Metal, CUDA, which use different kernels for
    one row and for several) logits can differ in the last bits: greedy outputs still agree
    unless two tokens are within ~1e-5 of each other.
    """
    from logline.engine.mlx_runtime import device_kind

    if device_kind() != "cpu":
        return False
    core = blas_core()
    return core is not None and core not in NOT_ROW_EXACT_CORES


class StopText:
    """Streams one sequence's text, holding back what could be the start of a stop string."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.hold_back = max((len(s) for s in self.stops), default=0)
        self.text = ""
        self.sent = 0
        self.stopped = False

    def add(self, piece: str) -> str:
        """Add decoded text; return the part that is safe to show now."""
        if not piece or self.stopped:
            return ""
        self.text += piece
        if not self.stops:
            self.sent = len(self.text)
            return piece
        cut = min((i for i in (self.text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out = self.text[self.sent : cut] if cut > self.sent else ""
            self.text = self.text[:cut]
            self.sent = len(self.text)
            return out
        safe = len(self.text) - self.hold_back
        if safe > self.sent:
            out = self.text[self.sent : safe]
            self.sent = safe
            return out
        return ""

    def flush(self) -> str:
        out = self.text[self.sent :]
        self.sent = len(self.text)
        return out


@dataclass
class Row:
    """Decode state of one sequence."""

    index: int
    cache: list[Any]
    last_prompt_token: int
    max_tokens: int
    sampler: Any
    processors: list[Any]
    eos: frozenset[int]
    detokenizer: Any
    stop: StopText
    context: Any = None  # token ids the logits processors see (mx.array)
    count: int = 0
    reason: FinishReason | None = None


def decode_rows(
    model: Any,
    rows: list[Row],
    *,
    cancelled: Callable[[], bool],
    on_text: Callable[[Row, str], None],
    on_finish: Callable[[Row], None],
    weights_bytes: int | None = None,
) -> int:
    """Decode all ``rows`` together until each ends; returns the tokens generated in all.

    Mirrors ``mlx_lm.generate_step`` per row (processors see the last prompt token and the tokens
    fed so far; log-probabilities are ``logits - logsumexp``), so a greedy row produces exactly
    the tokens a single-stream ``stream_generate`` would. Steps are pipelined like mlx-lm's: the
    next step is queued before the current tokens are read, unless that would copy the KV cache
    on a GPU (``PIPELINED_KV_SHARE`` of ``weights_bytes``, the model's: ``pipelines_kv_writes``).
    """
    import mlx.core as mx

    filled = bool(rows) and all(row.cache[0].keys is not None for row in rows)
    shared = None
    if filled and can_share_kv(model):
        shared = SharedKV([row.cache for row in rows], exact=products_row_exact())

    def step(active: list[Row], inputs: Any) -> Any:
        if shared is not None:
            shared.begin_step()
            logits = model(inputs[:, None], cache=shared.layers())[:, -1, :]
            shared.end_step()
        else:
            groups = [
                _RowCaches([row.cache[i] for row in active]) for i in range(len(model.layers))
            ]
            logits = model(inputs[:, None], cache=groups)[:, -1, :]
        if any(row.processors for row in active):
            parts = []
            for i, row in enumerate(active):
                piece = logits[i : i + 1]
                if row.processors:
                    token = inputs[i : i + 1]
                    row.context = (
                        token if row.context is None else mx.concatenate([row.context, token])
                    )
                    for processor in row.processors:
                        piece = processor(row.context, piece)
                parts.append(piece)
            logits = mx.concatenate(parts, axis=0)
        if len(active) == 1:
            logprobs = logits - mx.logsumexp(logits, keepdims=True)
        else:
            logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        first = active[0].sampler
        if all(row.sampler is first for row in active):
            return first(logprobs)
        return mx.concatenate([row.sampler(logprobs[i : i + 1]) for i, row in enumerate(active)])

    generated = 0
    active = list(rows)
    if not active:
        return 0

    with per_row_attention(model):
        y = step(active, mx.array([row.last_prompt_token for row in active]))
        mx.async_eval(y)
        while active:
            if cancelled():
                break
            more = any(row.count + 1 < row.max_tokens for row in active)
            next_y = step(active, y) if more else None
            wait = shared is not None and not pipelines_kv_writes(shared, weights_bytes)
            if next_y is not None and not wait:
                mx.async_eval(next_y)
            tokens = y.tolist()
            if next_y is not None and wait:
                mx.async_eval(next_y)
            keep: list[int] = []
            for i, (row, token) in enumerate(zip(active, tokens, strict=True)):
                row.count += 1
                generated += 1
                if take_token(row, int(token), on_text):
                    keep.append(i)
                else:
                    on_finish(row)
            if generated and generated % (256 * max(len(rows), 1)) == 0:
                mx.clear_cache()
            if not keep or next_y is None:
                active = [active[i] for i in keep]
                break
            if len(keep) < len(active):
                active = [active[i] for i in keep]
                next_y = next_y[mx.array(keep)]
                if shared is not None:
                    shared.keep(keep)
            y = next_y
    for row in active:  # cancelled (or ran out of steps while continuing)
        if row.reason is None:
            finish_row(row, "stopped", on_text)
            on_finish(row)
    return generated


def pipelines_kv_writes(shared: SharedKV, weights_bytes: int | None) -> bool:
    """Whether the next decode step may be queued while the current one runs
    (``PIPELINED_KV_SHARE``): always on the CPU, on a GPU only while a copy of the KV buffers
    would be a small share of the weights (``weights_bytes``; None: unknown, never)."""
    if not shared.fused:
        return True
    if weights_bytes is None:
        return False
    return shared.nbytes() <= weights_bytes * PIPELINED_KV_SHARE


def take_token(row: Row, token: int, on_text: Callable[[Row, str], None]) -> bool:
    """Take one sampled token; return False when the row has finished."""
    if token in row.eos:
        finish_row(row, "done", on_text)
        return False
    row.detokenizer.add_token(token)
    if row.count >= row.max_tokens:
        finish_row(row, "length", on_text)
        return False
    shown = row.stop.add(row.detokenizer.last_segment)
    if shown:
        on_text(row, shown)
    if row.stop.stopped:
        row.reason = "done"
        return False
    return True


def finish_row(row: Row, reason: FinishReason, on_text: Callable[[Row, str], None]) -> None:
    row.detokenizer.finalize()
    shown = row.stop.add(row.detokenizer.last_segment)
    if shown:
        on_text(row, shown)
    if row.stop.stopped:
        reason = "done"
    else:
        rest = row.stop.flush()
        if rest:
            on_text(row, rest)
    row.reason = reason
