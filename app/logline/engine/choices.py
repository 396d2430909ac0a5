"""Score a closed set of answers by the model's own probabilities (a constrained choice).

A coverage verdict must be exactly one of Pass / Consider / Recommend. Parsing free text for it
fails whenever a small model rambles; instead each option is scored as the WHOLE answer: the
log-probability of its tokens after the prompt, plus the log-probability that the answer ends
there (any end-of-turn token). The highest score wins. The prompt is prefilled once; each option
runs on a copy of its KV cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logline.engine.kv_cache import fork_cache, forkable
from logline.engine.mlx_runtime import import_mlx

__all__ = ["answer_tokens", "continuation_scores", "end_token_ids"]


def end_token_ids(tokenizer: Any) -> list[int]:
    """The ids that end an assistant turn (mlx-lm's wrapper knows the chat template's ones)."""
    ids = set(getattr(tokenizer, "eos_token_ids", None) or ())
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is not None:
        ids.add(int(eos))
    return sorted(int(i) for i in ids)


def answer_tokens(tokenizer: Any, option: str) -> list[int]:
    """The tokens of ``option`` as an assistant's whole answer (no special tokens)."""
    tokens = list(tokenizer.encode(option, add_special_tokens=False))
    if not tokens:
        raise ValueError(f"The option {option!r} has no tokens")
    return tokens


def continuation_scores(
    model: Any,
    cache: list[Any],
    last_prompt_token: int,
    options: Sequence[Sequence[int]],
    end_ids: Sequence[int],
) -> list[float]:
    """Log P(option, then the end of the answer | prompt) for each option's tokens.

    ``cache`` holds every prompt token but ``last_prompt_token``; it is never modified (each
    option runs on a fork, or on a recomputation when the cache cannot be forked).
    """
    mx = import_mlx()
    if not forkable(cache):
        raise ValueError("Scoring options needs a plain KV cache")
    scores: list[float] = []
    for tokens in options:
        branch = fork_cache(cache)
        inputs = mx.array([last_prompt_token, *tokens])[None]
        logits = model(inputs, cache=branch)[0].astype(mx.float32)
        logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        picked = mx.take_along_axis(logprobs[:-1], mx.array(list(tokens))[:, None], axis=-1)
        total = picked.sum()
        if end_ids:
            total = total + mx.logsumexp(logprobs[-1][mx.array(list(end_ids))])
        scores.append(float(total.item()))
    return scores
