"""What summaries need of an engine, whether it runs here (``Engine``) or on a server
(``RemoteEngine``): one Protocol, so the summarizer is typed without knowing which."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from logline.engine.batch_decode import BatchResults
from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished
from logline.engine.requests import GenerationRequest, Message

__all__ = ["TextEngine"]

Emit = Callable[[EngineEvent], None]


class TextEngine(Protocol):
    """Generation from chat messages, token counts, and whether text leaves this machine."""

    @property
    def is_remote(self) -> bool: ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_length(self, messages: Sequence[Message]) -> int: ...

    def generate(self, request: GenerationRequest, cancel: CancelToken, emit: Emit) -> Finished: ...

    def generate_batch(
        self,
        requests: Sequence[GenerationRequest],
        cancel: CancelToken,
        emit: Emit,
        *,
        max_batch: int | None = None,
    ) -> BatchResults: ...

    def choose(
        self, messages: Sequence[Message], options: Sequence[str], cancel: CancelToken, emit: Emit
    ) -> list[float]: ...
