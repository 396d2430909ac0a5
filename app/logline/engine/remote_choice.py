"""A closed choice asked of a server: the option the model's short reply names (Qt-free).

The local engine scores each option by the model's own probabilities (:mod:`.choices`). A
chat-completions server gives no such scores for arbitrary continuations, so the remote engine
asks for a short greedy reply and scores the option it names first (whole words, any case) 1.0,
the others 0.0. A reply that names none scores all options 0.0: the caller's first option wins,
as it does for a tie, and the fact is logged. Nothing of the reply streams as answer text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, Generated, PromptProgress
from logline.engine.requests import GenerationRequest, Message
from logline.engine.sampling import SamplingParams

__all__ = ["choose_by_reply", "named_option"]

log = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]
Generate = Callable[[GenerationRequest, CancelToken, Emit], Finished]
REPLY_TOKENS = 16  # "Consider." and a little more; a longer reply is rambling


def named_option(reply: str, options: Sequence[str]) -> int | None:
    """The index of the option ``reply`` names first (a whole word, any case), or None."""
    best: tuple[int, int] | None = None
    for index, option in enumerate(options):
        found = re.search(rf"(?<!\w){re.escape(option.strip())}(?!\w)", reply, re.IGNORECASE)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), index)
    return None if best is None else best[1]


def choose_by_reply(
    generate: Generate,
    messages: Sequence[Message],
    options: Sequence[str],
    cancel: CancelToken,
    emit: Emit,
) -> list[float]:
    """Each option's score (1.0 for the one the reply names, else 0.0); see the docstring."""
    pieces: list[str] = []

    def keep(event: EngineEvent) -> None:
        if isinstance(event, Generated):
            pieces.append(event.text)
        elif isinstance(event, PromptProgress):
            emit(event)

    request = GenerationRequest(
        messages=messages, sampling=SamplingParams(temperature=0.0, max_tokens=REPLY_TOKENS)
    )
    generate(request, cancel, keep)
    chosen = named_option("".join(pieces), options)
    if chosen is None:
        log.warning("The server's reply named none of the %d options", len(options))
        return [0.0] * len(options)
    return [1.0 if index == chosen else 0.0 for index in range(len(options))]
