"""The final answer's shape in each mode: free prose, or a structure Logline enforces.

``coverage`` (sections and a verdict, :mod:`~logline.summarize.coverage`) and ``characters`` on a
screenplay (one arc per top character, :mod:`~logline.summarize.arcs`) are written as a
:class:`~logline.summarize.structured.Conversation`; the scene breakdown is one entry per scene
group under its real citation (:func:`scene_entries`). Every other answer is free prose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from logline.documents.facts import ScriptFacts, character_table, facts_header
from logline.engine.sampling import SamplingParams
from logline.summarize import arcs, coverage, modes
from logline.summarize.chunks import Chunk
from logline.summarize.structured import Conversation, unrepeated

__all__ = ["TURN_FRAME_TOKENS", "AnswerShape", "scene_entries"]

TURN_FRAME_TOKENS = 16  # a structured answer's turn: the chat template's role markers
ENTRY_SEPARATOR = "\n\n"


class AnswerShape:
    """What the final answer of one summary looks like, and what it costs in tokens."""

    def __init__(self, mode: modes.Mode, facts: ScriptFacts, *, title: str, kind: str) -> None:
        self.mode = mode
        self.facts = facts
        self.title = title
        self.kind = kind
        # Characters whose arcs are described (the characters mode, screenplays only).
        self.arc_names = (
            arcs.arc_characters(facts.characters)
            if mode.id == "characters" and facts.is_screenplay
            else []
        )

    @property
    def structured(self) -> bool:
        return self.mode.id == "coverage" or bool(self.arc_names)

    def answer_tokens(self, free_prose: int) -> int:
        """The most tokens the model writes in the answer (what the planner reserves);
        ``free_prose``: the mode's own limit, for an answer in free prose."""
        if self.mode.id == "coverage":
            return coverage.answer_tokens()
        if self.arc_names:
            return arcs.answer_tokens(len(self.arc_names))
        return free_prose

    def structure_tokens(self, count_tokens: Callable[[str], int]) -> int:
        """Tokens a structured answer adds to its prompt besides the model's text: the turns'
        instructions and chat-template frames, Logline's headings and tables (0: free prose)."""
        if not self.structured:
            return 0
        kw = {"title": self.title, "kind": self.kind}
        if self.mode.id == "coverage":
            turns = [modes.turn_text(s.template, **kw) for s in coverage.SECTIONS]
            turns += [modes.turn_text("coverage.verdict", **kw)]
            turns += [modes.turn_text("coverage.reasons", verdict="Recommend", **kw)]
            turns += [*self.report_facts()]
        else:
            turns = [modes.turn_text("characters.arc", name=n, **kw) for n in self.arc_names]
        return sum(count_tokens(t) + TURN_FRAME_TOKENS for t in turns)

    def report_facts(self) -> tuple[str, str]:
        """(header block, character table) that Logline writes into a report itself."""
        table = character_table(self.facts) if self.facts.characters else ""
        return facts_header(self.facts), table

    def write(self, talk: Conversation, sampling: SamplingParams) -> str | None:
        """Write the structured answer into ``talk``; a coverage report's verdict (else None)."""
        if self.mode.id == "coverage":
            header, table = self.report_facts()
            return coverage.write_coverage(
                talk, sampling, title=self.title, kind=self.kind, header=header, cast_table=table
            )
        arcs.write_arcs(talk, sampling, self.arc_names, title=self.title, kind=self.kind)
        return None


def scene_entries(chunks: Sequence[Chunk], entries: Sequence[str]) -> tuple[str, bool]:
    """The scene breakdown: each scene group's entry under a heading Logline writes, with the
    group's real citation (``### Sc. 12–14, pp. 34–40``); an entry that repeats an earlier one
    is cut where the repetition starts. (text, whether an entry was cut)."""
    text, cut = "", False
    for index, (chunk, entry) in enumerate(zip(chunks, entries, strict=True)):
        heading = ("" if index == 0 else ENTRY_SEPARATOR) + f"### {chunk.label}\n\n"
        body, repeated = unrepeated(text + heading, entry.strip())
        cut = cut or repeated
        text += heading + (body or "(no entry was written for these scenes)")
    return text, cut
