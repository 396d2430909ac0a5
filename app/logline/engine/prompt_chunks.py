"""Where prompts are cut into chunks, and how much of several prompts is shared.

Chunk boundaries depend only on absolute positions, so a prompt computed partly from a cached
prefix and partly fresh uses the same chunks, and so the same numbers, as a fresh run.
"""

from __future__ import annotations

from collections.abc import Sequence


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
# On a GPU the bound on chunk x position follows the memory instead: one chunk's attention scores
# (float32 scores and probabilities, SCORE_BYTES per head, query and key, when the kernel writes
# them out) may take this share of the memory the weights leave free. Never below the CPU's rule.
# An H200 read a 46k-token prompt of Llama-3.2-1B at ~900 tok/s with the CPU's rule: 64-token
# chunks from 16k on, each layer of each evaluated on its own.
GPU_SCORES_SHARE = 1 / 16
SCORE_BYTES = 8


def default_span(step: int) -> int:
    """The largest chunk x position product on a CPU (and the least anywhere)."""
    return step * FULL_CHUNKS_UNTIL


def gpu_span(step: int, *, device_bytes: int, weights_bytes: int, heads: int) -> int:
    """The largest chunk x position product on a GPU with ``device_bytes`` of memory for MLX,
    ``weights_bytes`` of them taken, for a model with ``heads`` attention heads."""
    room = max(device_bytes - weights_bytes, 0) * GPU_SCORES_SHARE
    return max(default_span(step), int(room // (max(heads, 1) * SCORE_BYTES)))


def prefill_chunk(position: int, step: int, span: int | None = None) -> int:
    """The prompt chunk size at ``position``: ``step``, halved as the position grows, so that
    chunk x position stays at most ``span`` (``default_span`` if None).

    Measured: a 1,024-token chunk over ~5k cached keys made the merge phase of an 8B model peak
    ~3.5 GiB above its weights and KV cache on CUDA; 256-token chunks over 5.4k keys on the CPU
    held ~100 MB of scores. Sizes are powers of two fractions of ``step`` and chunks start at
    multiples of their size, so boundaries depend only on positions (``next_boundary``) for a
    given ``span`` (the backend plan's, fixed for a loaded model).
    """
    limit = default_span(step) if span is None else span
    size = step
    while size > MIN_PREFILL_CHUNK and size * position > limit:
        size //= 2
    return size


def next_boundary(position: int, end: int, step: int, span: int | None = None) -> int:
    """Where the prompt chunk that starts at ``position`` ends (at most ``end``)."""
    size = prefill_chunk(position, step, span)
    return min(aligned(position, size) + size, end)
