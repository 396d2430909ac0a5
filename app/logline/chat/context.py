"""The context meter and what fits: the script part, as much recent history as fits, the turn.

The script part is never cut here (``session`` chooses the digest before a turn when the whole
script does not fit); earlier turns are left out oldest first, a question and its answer
together, and the caller tells the user how many. On a server the same plan is made with the
messages' lengths (``prompt_length``: counted with the model's tokenizer, or estimated) and the
messages themselves are sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from logline.chat.engines import is_remote
from logline.chat.events import ContextUse
from logline.chat.script_part import ScriptPart
from logline.engine.requests import Message

if TYPE_CHECKING:
    from logline.chat.engines import ChatEngine


class ContextError(ValueError):
    """The turn cannot fit at all (the question alone is too long)."""


@dataclass(frozen=True)
class FittedPrompt:
    tokens: list[int]  # the rendered prompt (empty on a server: it renders the messages)
    use: ContextUse
    messages: list[Message] = field(default_factory=list)


def _render(engine: ChatEngine, messages: list[Message]) -> tuple[list[int], int]:
    """The prompt's tokens (none on a server) and its length."""
    if is_remote(engine):
        return [], engine.prompt_length(messages)
    tokens = engine.render_prompt(messages)  # type: ignore[union-attr]
    return tokens, len(tokens)


def history_messages(pairs: Sequence[tuple[str, str]]) -> list[Message]:
    messages: list[Message] = []
    for question, answer in pairs:
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    return messages


def fit(
    engine: ChatEngine,
    script: ScriptPart,
    history: Sequence[tuple[str, str]],
    question: Message,
    *,
    usable: int,
    reserve: int,
) -> FittedPrompt:
    """The prompt of the turn with the most recent history that fits, and its meter."""
    script_n = script.length
    _, alone = _render(engine, [script.message, question])
    question_n = alone - script_n
    if alone + reserve > usable:
        raise ContextError(
            f"This turn needs {alone + reserve:,} tokens with the answer's room, and the "
            f"model can use {usable:,} here: ask a shorter question"
        )
    kept = list(history)
    while True:
        messages = [script.message, *history_messages(kept), question]
        tokens, length = _render(engine, messages)
        if length + reserve <= usable or not kept:
            break
        kept = kept[1:]
    use = ContextUse(
        script=script_n,
        history=length - alone,
        question=question_n,
        reserve=reserve,
        usable=usable,
        script_mode=script.mode,
        dropped_turns=len(history) - len(kept),
    )
    return FittedPrompt(tokens, use, messages)


def dropped_notice(count: int) -> str:
    turns = "turn" if count == 1 else "turns"
    return (
        f"The {count} earliest {turns} of this conversation no longer fit in what the model can "
        "read at once; this answer does not see them (the script part is always kept)."
    )
