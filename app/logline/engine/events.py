"""Small immutable events the engine emits while it works (the UI adapts them to Qt signals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FinishReason = Literal["done", "stopped", "length", "error"]


@dataclass(frozen=True)
class ModelLoaded:
    model_id: str
    seconds: float
    precision: str  # e.g. "float32 (dequantized for CPU)" or "4-bit"
    context_length: int


@dataclass(frozen=True)
class LoadProgress:
    """Model weights read into memory so far (bytes), while a model loads."""

    done: int
    total: int


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (e.g. a document was shortened)."""

    message: str


@dataclass(frozen=True)
class PromptProgress:
    done: int
    total: int


@dataclass(frozen=True)
class TokenText:
    text: str


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    prompt_seconds: float
    generation_tokens: int
    generation_seconds: float
    peak_memory_bytes: int
    active_memory_bytes: int = 0
    cache_memory_bytes: int = 0

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.prompt_seconds if self.prompt_seconds > 0 else 0.0

    @property
    def generation_tps(self) -> float:
        if self.generation_seconds <= 0:
            return 0.0
        return self.generation_tokens / self.generation_seconds

    @property
    def time_to_first_token(self) -> float:
        return self.prompt_seconds

    def one_line(self) -> str:
        return (
            f"{self.prompt_tokens} prompt tokens at {self.prompt_tps:.0f} tok/s, "
            f"{self.generation_tokens} generated at {self.generation_tps:.1f} tok/s, "
            f"first token after {self.time_to_first_token:.1f} s, "
            f"peak memory {self.peak_memory_bytes / 2**20:.0f} MiB"
        )


@dataclass(frozen=True)
class Finished:
    reason: FinishReason
    stats: GenerationStats | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class BatchTokenText:
    """Text generated for request ``index`` of a batch (``Engine.generate_batch``)."""

    index: int
    text: str


@dataclass(frozen=True)
class BatchItemFinished:
    """Request ``index`` of a batch ended (its partial text is kept when ``reason`` is stopped)."""

    index: int
    reason: FinishReason
    tokens: int


EngineEvent = (
    ModelLoaded
    | LoadProgress
    | Notice
    | PromptProgress
    | TokenText
    | GenerationStats
    | Finished
    | BatchTokenText
    | BatchItemFinished
)
