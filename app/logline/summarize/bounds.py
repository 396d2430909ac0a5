"""The bounds of a summary's knobs, in one place for the core API, the CLI and the window.

* :func:`options_problem`: why a :class:`~logline.summarize.runner.SummaryOptions` cannot work
  (a context too small to read anything, no batch, chunks smaller than a page), as one sentence.
* :func:`longest_answer`: the most tokens an answer may take in a usable context. The usable
  context is already the smaller of the model's trained limit and what memory allows
  (:func:`logline.models.fit.usable_context`), so an answer held within it can neither run past
  the model's positions nor reserve a KV cache the machine cannot hold (a 135M model asked for
  100,000 tokens used to reserve 5.3 GB; 10**9 crashed the process).

Qt-free and MLX-free.
"""

from __future__ import annotations

from typing import Any

from logline.engine.sampling import SamplingParams
from logline.summarize.planner import MIN_CHUNK_TOKENS

# Below this no prompt frame, chunk of a page and its notes fit together.
MIN_CONTEXT_TOKENS = 512
# The answer may take at most this share of the usable context: the rest is for reading.
ANSWER_SHARE = 2
POLICIES = ("flag", "remove")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def options_problem(options: Any) -> str | None:
    """Why ``options`` (a ``SummaryOptions``) cannot be used (one sentence naming the field),
    or None."""
    context = options.max_context
    if context is not None and (not _whole(context) or context < MIN_CONTEXT_TOKENS):
        return (
            f"max_context must be at least {MIN_CONTEXT_TOKENS} tokens (or None for all the "
            f"model can use), not {context!r}"
        )
    if not _whole(options.chunk_tokens) or options.chunk_tokens < MIN_CHUNK_TOKENS:
        return f"chunk_tokens must be at least {MIN_CHUNK_TOKENS}, not {options.chunk_tokens!r}"
    if options.max_batch is not None and (not _whole(options.max_batch) or options.max_batch < 1):
        return f"max_batch must be at least 1, not {options.max_batch!r}"
    for name in ("sampling", "map_sampling"):
        value = getattr(options, name)
        if value is not None and not isinstance(value, SamplingParams):
            return f"{name} must be SamplingParams or None, not {type(value).__name__}"
    for name in ("citation_policy", "names_policy"):
        if getattr(options, name) not in POLICIES:
            return f"{name} must be 'flag' or 'remove', not {getattr(options, name)!r}"
    return None


def longest_answer(usable_context: int) -> int:
    """The most tokens one answer may take in ``usable_context`` (at least one)."""
    return max(1, usable_context // ANSWER_SHARE)


def answer_limited(longest: int, usable_context: int) -> str:
    """The notice for an answer length lowered to ``longest``."""
    return (
        f"The answer is limited to {longest:,} tokens: half of the {usable_context:,} tokens "
        "this model can use here (its context and the memory available)."
    )
