"""Checkpoints: the KV caches of token sequences kept between calls, for conversations.

A chat turn's prompt is the previous turn's prompt, its answer and a new question. After a
``GenerationRequest(keep_cache=True)`` the engine keeps the cache of everything the model read
and wrote (prompt and answer tokens) as a ``Checkpoint``; the next prompt starts from the
longest common token prefix of any checkpoint, so a follow-up reads only its own new tokens. One
checkpoint serves every earlier point of its conversation: a regenerate or an edit forks it at
the end of the shared turns (plain ``KVCache`` layers can be cut at any length), which is the
"checkpoint at the end of the shared turns" without keeping one per turn.

Checkpoints are compact copies (a kept slice would pin the whole decode buffer), bounded by a
byte budget and a count, least recently used first out. They also travel to and from disk as
mlx-lm prompt-cache files (safetensors, with the token ids in their metadata).
mlx and mlx-lm are imported inside the functions, as everywhere in the engine.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logline.engine.kv_cache import forkable

log = logging.getLogger(__name__)

MAX_CHECKPOINTS = 4
TOKENS_KEY = "logline_tokens"  # metadata key of the token ids (no dots: mlx-lm nests them)


class CheckpointFileError(ValueError):
    """A prompt-cache file that cannot be used with the loaded model."""


@dataclass
class Checkpoint:
    tokens: tuple[int, ...]
    cache: list[Any]
    nbytes: int
    last_used: float = field(default_factory=time.monotonic)


def shared_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def compact_copy(cache: list[Any], length: int) -> tuple[list[Any], int]:
    """Contiguous copies of plain ``KVCache`` layers cut to ``length``; (copies, their bytes)."""
    import mlx.core as mx  # lazy: MLX
    from mlx_lm.models.cache import KVCache

    copies: list[Any] = []
    arrays = []
    for layer in cache:
        copy = KVCache()
        if layer.keys is not None:
            n = min(length, layer.offset)
            copy.keys = mx.contiguous(layer.keys[..., :n, :])
            copy.values = mx.contiguous(layer.values[..., :n, :])
            copy.offset = n
            arrays += [copy.keys, copy.values]
        copies.append(copy)
    mx.eval(arrays)
    return copies, sum(a.nbytes for a in arrays)


class Checkpoints:
    """The kept checkpoints of one loaded model (owned by the engine thread)."""

    def __init__(self, budget_bytes: int, max_count: int = MAX_CHECKPOINTS) -> None:
        self.budget_bytes = budget_bytes
        self.max_count = max_count
        self._items: list[Checkpoint] = []

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._items)

    def clear(self) -> None:
        self._items.clear()

    def best(self, prompt: Sequence[int], limit: int) -> tuple[Checkpoint | None, int]:
        """The checkpoint sharing the longest prefix with ``prompt``, and how much of it to use
        (at most ``limit`` tokens)."""
        found, best = None, 0
        for item in self._items:
            n = min(shared_length(item.tokens, prompt), limit)
            if n > best:
                found, best = item, n
        if found is not None:
            found.last_used = time.monotonic()
        return found, best

    def covering(self, tokens: Sequence[int]) -> Checkpoint | None:
        """A checkpoint that holds all of ``tokens`` (they are a prefix of its own)."""
        found, n = self.best(tokens, len(tokens))
        return found if found is not None and n == len(tokens) else None

    def add(self, tokens: Sequence[int], cache: list[Any]) -> Checkpoint | None:
        """Keep a compact copy of ``cache`` holding ``tokens``; None when it cannot be kept."""
        tokens = tuple(tokens)
        if not tokens or not forkable(cache):
            return None
        existing = self.covering(tokens)
        if existing is not None:
            return existing
        copy, nbytes = compact_copy(cache, len(tokens))
        if nbytes > self.budget_bytes:
            log.info("A checkpoint of %d tokens is over the budget; not kept", len(tokens))
            return None
        # A checkpoint that is a prefix of the new one is covered by it.
        self._items = [c for c in self._items if c.tokens != tokens[: len(c.tokens)]]
        item = Checkpoint(tokens, copy, nbytes)
        self._items.append(item)
        self._evict()
        return item

    def _evict(self) -> None:
        self._items.sort(key=lambda c: c.last_used)
        while self._items and (
            len(self._items) > self.max_count or self.nbytes > self.budget_bytes
        ):
            self._items.pop(0)


def save_checkpoint(
    checkpoint: Checkpoint, length: int, path: Path, metadata: dict[str, str]
) -> int:
    """Write the first ``length`` tokens of ``checkpoint`` to ``path`` (an mlx-lm prompt-cache
    file, written to a temporary name and renamed, so a crash never leaves half a file); its
    size in bytes."""
    from mlx_lm.models.cache import save_prompt_cache  # lazy: mlx-lm

    from logline.engine.kv_cache import fork_cache

    if path.suffix != ".safetensors":
        raise ValueError("A prompt-cache file name must end in .safetensors")
    tokens = checkpoint.tokens[:length]
    data = {**metadata, TOKENS_KEY: json.dumps(list(tokens), separators=(",", ":"))}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.safetensors")
    save_prompt_cache(str(partial), fork_cache(checkpoint.cache, length), data)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path.stat().st_size


def load_checkpoint(path: Path, layers: int) -> tuple[tuple[int, ...], list[Any], dict[str, str]]:
    """Read a prompt-cache file saved by ``save_checkpoint``: (tokens, cache, metadata).

    Raises ``CheckpointFileError`` for a file that is not one, or whose layers do not match a
    model of ``layers`` layers.
    """
    from mlx_lm.models.cache import KVCache, load_prompt_cache  # lazy: mlx-lm

    try:
        cache, metadata = load_prompt_cache(str(path), return_metadata=True)
        tokens = tuple(int(t) for t in json.loads(metadata.pop(TOKENS_KEY)))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointFileError(f"{path.name} is not a usable prompt cache ({exc})") from exc
    if len(cache) != layers or not all(type(c) is KVCache for c in cache):
        raise CheckpointFileError(f"{path.name} was saved for a different model")
    if not tokens or any(c.offset != len(tokens) for c in cache):
        raise CheckpointFileError(f"{path.name} does not hold the tokens it names")
    return tokens, cache, dict(metadata)
