"""Sampling parameters and the mlx-lm sampler / logits processors they build."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 <= self.top_p <= 1:
            raise ValueError("top_p must be between 0 and 1")
        if self.max_tokens <= 0:
            raise ValueError("max_tokens must be positive")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be positive")


def build_sampler(params: SamplingParams) -> tuple[Any, list[Any]]:
    """(sampler, logits_processors) for ``mlx_lm.stream_generate``. Call on the engine thread."""
    from mlx_lm.sample_utils import make_logits_processors, make_sampler

    sampler = make_sampler(
        temp=params.temperature, top_p=params.top_p, min_p=params.min_p, top_k=params.top_k
    )
    processors = []
    if params.repetition_penalty != 1.0:
        processors = make_logits_processors(
            repetition_penalty=params.repetition_penalty,
            repetition_context_size=params.repetition_context_size,
        )
    return sampler, processors
