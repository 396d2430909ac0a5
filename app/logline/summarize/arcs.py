"""Character arcs for the top characters the parser found, one bullet list each.

Left to itself a small model picks whom to describe, invents a character or writes prose with no
bullets. Here Logline picks the characters (the most speeches, from the script), writes each
heading, and asks for one bounded turn per character; the reply is kept as a bullet list.
"""

from __future__ import annotations

from collections.abc import Sequence

from logline.documents.facts import CharacterFacts
from logline.engine.sampling import SamplingParams
from logline.summarize import modes
from logline.summarize.structured import Conversation, as_bullets, bounded

__all__ = ["ARC_TOKENS", "MAX_CHARACTERS", "arc_characters", "write_arcs"]

MAX_CHARACTERS = 5
MIN_SPEECHES = 2  # a character with one line has no arc to describe
ARC_TOKENS = 200


def arc_characters(characters: Sequence[CharacterFacts], limit: int = MAX_CHARACTERS) -> list[str]:
    """The names whose arcs are described: the most speeches first, at most ``limit``, each
    with at least :data:`MIN_SPEECHES` speeches (the top one always)."""
    chosen = [c.name for c in characters[:limit] if c.speeches >= MIN_SPEECHES]
    if not chosen and characters:
        chosen = [characters[0].name]
    return chosen


def answer_tokens(count: int) -> int:
    """The most tokens the model writes for ``count`` arcs (what the planner reserves)."""
    return max(1, count) * ARC_TOKENS


def write_arcs(
    talk: Conversation,
    sampling: SamplingParams,
    names: Sequence[str],
    *,
    title: str,
    kind: str,
) -> None:
    """One ``### NAME`` heading and one bullet list per character, in ``names`` order."""
    for index, name in enumerate(names):
        if talk.ended:
            return
        talk.write(("\n\n" if index else "") + f"### {name}\n\n")
        instruction = modes.turn_text("characters.arc", title=title, kind=kind, name=name)
        talk.ask(instruction, bounded(sampling, ARC_TOKENS), as_bullets)
