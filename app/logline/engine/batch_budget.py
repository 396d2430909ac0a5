"""How many sequences decode together: as many as the job's memory budget holds.

A batch's memory is its KV caches (every sequence's prompt and answer, in the activation type)
plus a few per-row temporaries (logits, sampling). The budget is what the device lets MLX use
(:func:`memory.device_memory_bytes`: Metal's recommended working set, MLX's limit on CUDA and
the CPU) less what is already in use (the weights, a kept prompt prefix) and a safety margin for
the runtime's own temporaries. The number of sequences is that budget over one sequence's bytes,
bounded by the most that measurably pays off on this kind of device (:data:`MAX_ROWS`): on a CPU
a batch is bound by arithmetic, so beyond 8 rows nothing is gained; a GPU reads each weight
once for the whole batch, so wider batches pay (64 rows on CUDA, measured; 16 on Metal).

Memory does not grow with the script's length: a long script runs more batches, not larger
ones. ``LOGLINE_MEMORY_BUDGET`` (bytes, or with a K/M/G suffix) replaces the device's figure,
to see what a smaller machine would do; ``LOGLINE_MAX_ROWS`` replaces the device kind's ceiling,
to measure where wider batches stop paying.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from logline.engine import memory
from logline.units import format_bytes

log = logging.getLogger(__name__)

# The most rows that pay off per device kind (:func:`ceiling_kind`).
# CPU: 8, where decoding stops gaining.
# CUDA: 64, measured on an H200 (bench/gpu/results/issue19): all of Big Fish's 58 map notes as
# one batch took the 8B's whole summary to 22.2 s (map 13.6 s), where a ceiling of 16 took
# 29.1 s (map 19.6 s); a step reads the weights once for every row, and finished rows idle
# cheaply until half are done.
# Metal: 16, unmeasured beyond that. An Apple GPU's quantized products batch well, but it has
# far less arithmetic than an H200, so a wide batch turns compute-bound and the rows kept idle
# until half finish would cost real time there.
MAX_ROWS = {"cpu": 8, "metal": 16, "cuda": 64}
MARGIN_SHARE = 0.1  # of the device's memory, kept free for the runtime and other temporaries
MIN_MARGIN = 512 * 2**20
ROW_TEMPORARY_FACTOR = 3  # logits in float32, their softmax and the sampler's copy, per row
ENV = "LOGLINE_MEMORY_BUDGET"
ROWS_ENV = "LOGLINE_MAX_ROWS"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class BatchBudget:
    """The memory figures behind a batch size (reported with a summary's statistics)."""

    device_bytes: int  # what MLX may use on this device (or the simulated budget)
    in_use_bytes: int  # weights and kept caches when the batch was sized
    budget_bytes: int  # what the batch may take: device less in use less the margin
    per_sequence_bytes: int  # one sequence's KV cache and temporaries
    maximum: int  # the device kind's ceiling
    size: int  # sequences decoded together

    def describe(self) -> str:
        return (
            f"{self.size} sequences at once ({format_bytes(self.per_sequence_bytes, memory=True)}"
            f" each, budget {format_bytes(self.budget_bytes, memory=True)} of "
            f"{format_bytes(self.device_bytes, memory=True)})"
        )


def simulated_device_bytes() -> int | None:
    """``LOGLINE_MEMORY_BUDGET`` in bytes, when set and valid."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    match = _SIZE.fullmatch(text)
    if match is None:
        log.warning("%s=%r is not a size (such as 8G); ignored", ENV, text)
        return None
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def ceiling_kind(mx: Any, device: str) -> str:
    """The key of :data:`MAX_ROWS` for ``device`` ("cpu" or "gpu") here: a GPU is Metal or CUDA."""
    if device != "gpu":
        return "cpu"
    return "metal" if memory.metal_available(mx) else "cuda"


def max_rows(kind: str) -> int:
    """The most rows decoded together on a device of ``kind`` (a :data:`MAX_ROWS` key), or
    ``LOGLINE_MAX_ROWS``."""
    text = os.environ.get(ROWS_ENV, "").strip()
    if text:
        if text.isdigit() and int(text) >= 1:
            return int(text)
        log.warning("%s=%r is not a whole number of rows; ignored", ROWS_ENV, text)
    return MAX_ROWS.get(kind, MAX_ROWS["cpu"])


def per_sequence_bytes(model: Any, tokens: int) -> int:
    """One sequence of ``tokens`` (prompt and answer): its KV cache and per-row temporaries."""
    args = getattr(model, "args", None)
    vocab = int(getattr(args, "vocab_size", 0) or 0)
    return memory.kv_bytes_per_token(model) * max(tokens, 1) + vocab * 4 * ROW_TEMPORARY_FACTOR


def batch_budget(
    mx: Any,
    model: Any,
    *,
    device: str,
    tokens_per_sequence: int,
    sequences: int,
    device_bytes: int | None = None,
) -> BatchBudget:
    """The batch size for ``sequences`` sequences of ``tokens_per_sequence`` tokens each."""
    total = device_bytes or simulated_device_bytes() or memory.device_memory_bytes(mx)
    in_use = max(memory.memory_stat(mx, "get_active_memory"), memory.model_bytes(model))
    margin = max(MIN_MARGIN, int(total * MARGIN_SHARE))
    budget = max(total - in_use - margin, 0)
    each = per_sequence_bytes(model, tokens_per_sequence)
    maximum = max_rows(ceiling_kind(mx, device))
    size = max(1, min(maximum, sequences, budget // max(each, 1)))
    return BatchBudget(total, in_use, budget, each, maximum, size)
