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
