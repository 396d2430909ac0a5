"""Sampling parameters and the mlx-lm sampler / logits processors they build.

Two guards against degenerate repetition, both off by default:
``no_repeat_ngram`` (n >= 2) bans any token that would complete an n-gram the sequence has
already generated (``ngram.NoRepeatNGram``; the prompt's n-grams stay allowed), and
``loop_guard`` ends a sequence whose text repeats a span of sentences or words, with finish
reason ``repetition`` and the repeated tail withdrawn (``loop_guard.LoopGuard``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logline.engine.ngram import NoRepeatNGram


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
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 <= self.top_p <= 1:
            raise ValueError("top_p must be between 0 and 1")
        if self.max_tokens <= 0:
            raise ValueError("max_tokens must be positive")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be positive")
        if self.no_repeat_ngram < 0 or self.no_repeat_ngram == 1:
            raise ValueError("no_repeat_ngram must be 0 (off) or at least 2")


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
