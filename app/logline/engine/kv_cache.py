"""mlx-lm ``KVCache`` lists: copies cut at any length, room reserved ahead, the kept prefix.

Only plain ``KVCache`` layers are handled (``forkable``); rotating or recurrent caches are not
shared or copied. mlx and mlx-lm are imported inside the functions: importing this module must
not load MLX (``logline --help`` and the window start without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def round_up(n: int, step: int) -> int:
    return -(-n // step) * step


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
    import mlx.core as mx  # lazy: MLX (this module imports without it)
    from mlx_lm.models.cache import KVCache

    for layer in cache:
        if type(layer) is not KVCache or layer.keys is None or layer.keys.shape[2] >= tokens:
            continue
        size = round_up(tokens, getattr(layer, "step", 256))
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
    from mlx_lm.models.cache import KVCache  # lazy: mlx-lm

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
    from mlx_lm.models.cache import KVCache  # lazy: mlx-lm

    return bool(cache) and all(type(c) is KVCache for c in cache)
