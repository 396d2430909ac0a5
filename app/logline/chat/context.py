"""The context meter and what fits: the script part, as much recent history as fits, the turn.

The script part is never cut here (``session`` chooses the digest before a turn when the whole
script does not fit); earlier turns are left out oldest first, a question and its answer
together, and the caller tells the user how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logline.chat.events import ContextUse
from logline.chat.script_part import ScriptPart
from logline.engine.requests import Message
from logline.engine.runtime import Engine


class ContextError(ValueError):
    """The turn cannot fit at all (the question alone is too long)."""


@dataclass(frozen=True)
class FittedPrompt:
    tokens: list[int]
    use: ContextUse


def history_messages(pairs: Sequence[tuple[str, str]]) -> list[Message]:
    messages: list[Message] = []
    for question, answer in pairs:
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    return messages


def fit(
    engine: Engine,
    script: ScriptPart,
    history: Sequence[tuple[str, str]],
    question: Message,
    *,
    usable: int,
    reserve: int,
) -> FittedPrompt:
    """The prompt tokens of the turn with the most recent history that fits, and its meter."""
    script_n = len(script.tokens)
    alone = engine.render_prompt([script.message, question])
    question_n = len(alone) - script_n
    if len(alone) + reserve > usable:
        raise ContextError(
            f"This turn needs {len(alone) + reserve:,} tokens with the answer's room, and the "
            f"model can use {usable:,} here: ask a shorter question"
        )
    kept = list(history)
    while True:
        tokens = engine.render_prompt([script.message, *history_messages(kept), question])
        if len(tokens) + reserve <= usable or not kept:
            break
        kept = kept[1:]
    use = ContextUse(
        script=script_n,
        history=len(tokens) - len(alone),
        question=question_n,
        reserve=reserve,
        usable=usable,
        script_mode=script.mode,
        dropped_turns=len(history) - len(kept),
    )
    return FittedPrompt(tokens, use)


def dropped_notice(count: int) -> str:
    turns = "turn" if count == 1 else "turns"
    return (
        f"The {count} earliest {turns} of this conversation no longer fit in what the model can "
        "read at once; this answer does not see them (the script part is always kept)."
    )
