"""Differences between the MLX versions Logline supports, in one place.

The oldest supported stack is mlx 0.29.3 (the last with macOS 13 wheels) with mlx-lm 0.30.2
(`make test-oldest`); the newest is whatever pyproject's ranges allow. Every behaviour that
differs between them, and what Logline does about it:

- **Q4_1 in GGUF files** (``mx.load``): before mlx PR #3664 (merged 2026-06-12; mlx 0.29.x has
  the bug) MLX skipped two bytes of each 20-byte Q4_1 block instead of four, so the block's
  minimum was decoded as its first quants and its last two quant bytes were lost: scales and
  shapes right, weights silently wrong (the embedded SmolLM2 Q4_1 then writes noise).
  :func:`load_gguf` re-reads Q4_1 weights from the file on every version, so an import gives the
  same bytes whichever MLX made it.

The other differences are feature checks at the one place each is used, listed here so that this
file stays the map of them all (``make test-oldest`` runs every one on the oldest stack):

- ``mx.fast.rope`` with per-row offsets needs ``mx.put_along_axis`` (newer MLX):
  ``backend.rope_takes_row_offsets`` checks, and without it the backend plan leaves the shared
  KV buffers of batched decoding off (``share_kv``).
- The memory functions moved from ``mx.metal`` to ``mx``: ``memory._fn`` looks in both.
- ``mlx_lm.utils.quantize_model``'s signature changed between mlx-lm 0.30 and 0.32:
  ``models.hf_convert`` passes only the arguments both accept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GGML_Q4_1 = 3  # the ggml tensor type id
Q4_1_BLOCK = 32  # weights per block
Q4_1_BLOCK_BYTES = 20  # f16 scale, f16 minimum, 16 bytes of 4-bit quants


def load_gguf(path: Path, header: Any) -> dict[str, Any]:
    """``mx.load`` of a GGUF file, with every Q4_1 weight packed from the file's own bytes.

    ``header`` is the file's parsed header (``tensors`` with ``name``, ``shape`` (ggml order),
    ``type_id``, ``offset``; ``data_offset``). MLX's own scales and biases are kept: it reads
    those right on every version."""
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    tensors: dict[str, Any] = mx.load(str(path))
    q4_1 = [t for t in header.tensors if t.type_id == GGML_Q4_1]
    if q4_1:
        import numpy as np

        data = np.memmap(path, dtype=np.uint8, mode="r")
        for tensor in q4_1:
            start = header.data_offset + tensor.offset
            tensors[tensor.name] = mx.array(_pack_q4_1(data, start, tuple(tensor.shape)))
    return tensors


def _pack_q4_1(data: Any, start: int, shape: tuple[int, ...]) -> Any:
    """One Q4_1 tensor's quants in MLX's affine 4-bit layout: uint32 rows, eight weights each,
    the first weight in the lowest bits. In a Q4_1 block, quant byte j holds weight j in its low
    nibble and weight j + 16 in its high one."""
    import numpy as np

    row = shape[0]
    count = int(np.prod(shape))
    blocks = count // Q4_1_BLOCK
    raw = np.asarray(data[start : start + blocks * Q4_1_BLOCK_BYTES]).reshape(blocks, -1)
    quants = raw[:, 4:]
    weights = np.concatenate([quants & 0x0F, quants >> 4], axis=1)  # (blocks, 32) in order
    packed = (weights[:, 0::2] | (weights[:, 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed).view("<u4").reshape(count // row, row // 8)
