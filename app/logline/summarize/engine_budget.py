"""How much a summary may read at once, and how many requests run together, on either engine.

The local engine (``Engine``): the usable context is the smaller of the model's trained limit
and what this machine's memory allows (:func:`logline.models.fit.usable_context`), and a batch
holds as many sequences as the job's memory budget holds (:mod:`logline.engine.batch_budget`).
A server (``RemoteEngine``): the context is its entry's (the server's own figure, or the
user's), memory is the server's business, and a batch is as many requests as the entry allows
at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logline.models import fit

__all__ = ["BatchWidth", "batch_width", "usable_context"]

log = logging.getLogger(__name__)


def usable_context(engine: Any, cap: int | None = None) -> int:
    """The most tokens one prompt plus its answer may use (``cap``: the user's lower limit)."""
    if engine.is_remote:
        context = engine.context_length
        if not context:
            raise ValueError(
                f"The context length of {engine.label} is not known; set it on the server entry."
            )
        return int(min(context, cap) if cap else context)
    loaded = engine.loaded
    if loaded is None:
        raise RuntimeError("No model is loaded")
    limit: int = min(loaded.context_length, cap) if cap else loaded.context_length
    try:
        config = json.loads((loaded.path / "config.json").read_text(encoding="utf-8"))
        weights = fit.weights_bytes(loaded.path)
        usable = fit.usable_context(config, None, limit, weights=weights)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("No memory-based context limit (%s); using the model's own", exc)
        return limit
    return max(usable, 0) or limit


@dataclass(frozen=True)
class BatchWidth:
    """How many requests run together, and the memory budget behind it (local engine)."""

    size: int
    budget_bytes: int = 0  # what the batch may take (0: a server, whose memory is its own)
    per_sequence_bytes: int = 0


def batch_width(
    engine: Any,
    prompt_lengths: Sequence[int],
    answer_tokens: int,
    max_batch: int | None,
) -> BatchWidth:
    """Requests run together: at least one, at most ``max_batch`` (the user's cap, None for
    none) and the prompts' number.

    Local: as many sequences as the job's memory budget holds, up to the device's ceiling
    (:mod:`logline.engine.batch_budget`): a Mac with 8 GB decodes a few map chunks together, a
    GPU with 141 GB all of them. Remote: the server entry's concurrency."""
    cap = len(prompt_lengths) if max_batch is None else min(max_batch, len(prompt_lengths))
    if cap <= 1:
        return BatchWidth(1)
    if engine.is_remote:
        return BatchWidth(max(1, min(cap, int(engine.concurrency))))
    budget = engine.batch_budget(max(prompt_lengths) + answer_tokens, cap)
    return BatchWidth(max(1, min(cap, budget.size)), budget.budget_bytes, budget.per_sequence_bytes)
