"""How much a summary may read at once, and how many requests run together, on either engine.

The local engine (``Engine``): the usable context is the smaller of the model's trained limit
and what this machine's memory allows (:func:`logline.models.fit.usable_context`), and a batch
holds as many sequences as fit one context window's worth of KV cache. A server
(``RemoteEngine``): the context is its entry's (the server's own figure, or the user's), memory
is the server's business, and a batch is as many requests as the entry allows at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from logline.models import fit

__all__ = ["batch_width", "usable_context"]

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


def batch_width(
    engine: Any,
    prompt_lengths: Sequence[int],
    answer_tokens: int,
    context: int,
    max_batch: int,
) -> int:
    """Requests run together (at least one, at most ``max_batch`` and the prompts' number).

    Local: as many sequences as fit one context window's worth of KV cache (five 1k-token map
    chunks, but one ~5k-token merge at a time). Remote: the server entry's concurrency."""
    if max_batch <= 1:
        return 1
    if engine.is_remote:
        fits = int(engine.concurrency)
    else:
        per_sequence = max(prompt_lengths) + answer_tokens
        fits = max(1, context // per_sequence)
    return max(1, min(max_batch, len(prompt_lengths), fits))
