"""Sampling parameters and the mlx-lm sampler / logits processors they build.

Two guards against degenerate repetition, both off by default:
``no_repeat_ngram`` (n >= 2) bans any token that would complete an n-gram the sequence has
already generated (``ngram.NoRepeatNGram``; the prompt's n-grams stay allowed), and
``loop_guard`` ends a sequence whose text repeats a span of sentences or words, with finish
reason ``repetition`` and the repeated tail withdrawn (``loop_guard.LoopGuard``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from logline.engine.ngram import NoRepeatNGram

# No answer is ever this long: a larger ``max_tokens`` is a mistake (10**9 used to crash the
# process reserving its KV cache). The summarizer lowers it further to what the loaded model's
# context and the memory allow.
MAX_TOKENS_LIMIT = 131_072
MAX_SEED = 2**64 - 1  # MLX's random seed is an unsigned 64-bit integer


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.0
    top_p: float = 0.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    repetition_context_size: int = 64
    max_tokens: int = 512
    seed: int | None = None
    stop_strings: tuple[str, ...] = field(default_factory=tuple)
    no_repeat_ngram: int = 0  # 0: off; n >= 2: no generated n-gram is generated twice
    loop_guard: bool = False  # end a sequence that repeats itself ("repetition"), tail trimmed

    def __post_init__(self) -> None:
        problem = sampling_problem(self)
        if problem:
            raise ValueError(problem)


def sampling_problem(params: SamplingParams) -> str | None:
    """Why ``params`` cannot be used (one sentence naming the field), or None."""
    for name in ("temperature", "top_p", "min_p", "repetition_penalty"):
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{name} must be a number, not {value!r}"
        if not math.isfinite(value):
            return f"{name} must be a finite number, not {value!r}"
    if params.temperature < 0:
        return "temperature must be >= 0"
    if not 0 <= params.top_p <= 1:
        return "top_p must be between 0 and 1"
    if not 0 <= params.min_p <= 1:
        return "min_p must be between 0 and 1"
    if params.repetition_penalty <= 0:
        return "repetition_penalty must be positive"
    integers = {
        "top_k": (0, None),
        "repetition_context_size": (1, None),
        "max_tokens": (1, MAX_TOKENS_LIMIT),
        "no_repeat_ngram": (0, None),
    }
    for name, (low, high) in integers.items():
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{name} must be a whole number, not {value!r}"
        if value < low or (high is not None and value > high):
            limit = f"at least {low}" if high is None else f"between {low} and {high:,}"
            return f"{name} must be {limit}, not {value:,}"
    if params.no_repeat_ngram == 1:
        return "no_repeat_ngram must be 0 (off) or at least 2"
    seed = params.seed
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
    ):
        return f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}"
    return None


def build_sampler(params: SamplingParams) -> tuple[Any, list[Any]]:
    """(sampler, logits_processors) for ``mlx_lm.stream_generate``. Call on the engine thread,
    once per sequence: the no-repeat n-gram processor keeps that sequence's state."""
    from mlx_lm.sample_utils import make_logits_processors, make_sampler

    sampler = make_sampler(
        temp=params.temperature, top_p=params.top_p, min_p=params.min_p, top_k=params.top_k
    )
    processors: list[Any] = []
    if params.repetition_penalty != 1.0:
        processors = make_logits_processors(
            repetition_penalty=params.repetition_penalty,
            repetition_context_size=params.repetition_context_size,
        )
    if params.no_repeat_ngram:
        processors.append(NoRepeatNGram(params.no_repeat_ngram))
    return sampler, processors
