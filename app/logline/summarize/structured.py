"""Answers whose structure Logline enforces: it writes the headings, the model fills each part.

A small model asked for "these six sections" skips some, reorders them or loops inside one.
Instead, the answer is a conversation: the first user message is the briefing (the document or
the notes, and the facts), then each part is one bounded turn ("The synopsis: ..."). Logline
writes every heading itself and streams it with the model's text, so the structure holds
whatever the model does. Every turn's prompt extends the previous one, so the engine's kept
prompt prefix (:meth:`Engine.generate`) saves reading the document again.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, GenerationStats
from logline.engine.loop_guard import LoopGuard
from logline.engine.requests import GenerationRequest, Message
from logline.engine.sampling import SamplingParams
from logline.engine.surface import TextEngine
from logline.summarize.events import AnswerText, SummaryEvent

log = logging.getLogger(__name__)

# What a part says when the model's reply was cut to nothing, or was empty.
NOTHING_NEW = "_(Nothing new: the model only repeated what it had already written.)_"
NOTHING_WRITTEN = "_(The model wrote nothing for this part.)_"
# Worst first: the reason a structured answer reports is the worst of its turns'.
_SEVERITY = ("error", "stopped", "repetition", "done")
_SENTENCE_END = re.compile(r"(?:[.!?][\"')\]]*|\))(?=\s|$)|\n")


class Host(Protocol):
    """What a conversation needs from the summary session running it."""

    engine: TextEngine
    cancel: CancelToken
    answer: list[str]

    def relay(self, event: EngineEvent) -> None: ...

    def emit(self, event: SummaryEvent) -> None: ...


@dataclass
class TurnLog:
    """The figures of a conversation's turns, for the phase's stats."""

    started: float = field(default_factory=time.perf_counter)
    turns: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    last_stats: GenerationStats | None = None
    reason: str = "done"
    error: BaseException | None = None


class Conversation:
    """One structured answer: Logline's own text and the model's bounded turns, in order."""

    def __init__(self, host: Host, briefing: list[Message]) -> None:
        if not briefing or briefing[-1]["role"] != "user":
            raise ValueError("A conversation starts with a user message (the briefing)")
        self.host = host
        self.messages: list[Message] = [dict(m) for m in briefing]
        self.log = TurnLog()
        self.parts: list[str] = []  # the answer as kept: Logline's text and the shaped replies
        self._asked = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def reason(self) -> str:
        return self.log.reason

    @property
    def ended(self) -> bool:
        """True once a turn stopped, failed or was cancelled: nothing more is asked."""
        return self.log.reason in ("error", "stopped") or self.host.cancel.cancelled

    def write(self, text: str) -> None:
        """Text Logline writes itself (a heading, a table): streamed as part of the answer."""
        if text:
            self.parts.append(text)
            self.host.answer.append(text)
            self.host.emit(AnswerText(text))

    def ask(
        self,
        instruction: str,
        sampling: SamplingParams,
        shape: Callable[[str], str] | None = None,
    ) -> str:
        """One bounded turn: ``instruction`` as the next user message, the model's reply streamed.

        A reply cut by its bound (finish reason ``length``) is trimmed back to its last whole
        sentence: the bound is Logline's structure, not a failure. ``shape`` rewrites the kept
        reply (e.g. into bullets); the shaped reply is what the answer keeps (the final text
        replaces what streamed). Returns it.
        """
        if self.ended:
            return ""
        self._add_user(instruction)
        host = self.host
        before = len("".join(host.answer))
        finished = host.engine.generate(
            GenerationRequest(messages=self.messages, sampling=sampling), host.cancel, host.relay
        )
        reply = "".join(host.answer)[before:]
        if finished.reason == "length":
            kept = whole_sentences(reply)
            if kept != reply:
                _truncate(host.answer, before + len(kept))
                reply = kept
        self._record(finished)
        reply, repeated = unrepeated(self.text, reply)
        if repeated:  # this turn said again what an earlier one said: cut, and say so
            self._worsen("repetition")
        if shape is not None:
            reply = shape(reply)
        if not reply.strip():  # never an empty section under its heading: say why
            reply = NOTHING_NEW if repeated else NOTHING_WRITTEN
            self.messages.append({"role": "assistant", "content": "(no answer)"})
        else:
            self.messages.append({"role": "assistant", "content": reply.strip()})
        self.parts.append(reply)
        return reply

    def choose(self, instruction: str, options: Sequence[str]) -> str:
        """The option the model scores highest as its whole reply to ``instruction`` (never
        free text: always exactly one of ``options``). The choice becomes its reply."""
        self._add_user(instruction)
        scores = self.host.engine.choose(self.messages, options, self.host.cancel, self.host.relay)
        choice = options[max(range(len(options)), key=scores.__getitem__)]
        log.info(
            "Choice scores: %s", dict(zip(options, (round(s, 3) for s in scores), strict=True))
        )
        self.messages.append({"role": "assistant", "content": choice})
        return choice

    def _add_user(self, instruction: str) -> None:
        if not self._asked:  # the first instruction joins the briefing: roles must alternate
            self.messages[-1]["content"] = f"{self.messages[-1]['content']}\n\n{instruction}"
            self._asked = True
        else:
            self.messages.append({"role": "user", "content": instruction})

    def _record(self, finished: Finished) -> None:
        turn = self.log
        turn.turns += 1
        if finished.stats is not None:
            turn.prompt_tokens += finished.stats.prompt_tokens
            turn.generated_tokens += finished.stats.generation_tokens
            turn.last_stats = finished.stats
        self._worsen("done" if finished.reason == "length" else finished.reason)
        if finished.error is not None:
            turn.error = finished.error

    def _worsen(self, reason: str) -> None:
        if _SEVERITY.index(reason) < _SEVERITY.index(self.log.reason):
            self.log.reason = reason


def unrepeated(earlier: str, reply: str) -> tuple[str, bool]:
    """``reply`` cut where it starts repeating ``earlier`` text or itself (the loop guard's
    patterns, across turns: each turn's own guard sees only its turn); (kept, whether cut).

    A repetition that the reply completes (its first sentence repeating a pair whose other half
    ends ``earlier``) cuts the reply from its start. When ``earlier`` already repeats itself
    (not the reply's doing), the reply is judged on its own.
    """
    if _repeat_cut(earlier) is not None:
        earlier = ""
    cut = _repeat_cut(earlier + reply)
    if cut is None:
        return reply, False
    return reply[: max(0, cut - len(earlier))].rstrip(), True


def _repeat_cut(text: str) -> int | None:
    guard = LoopGuard()
    guard.take(text)
    guard.finish()
    return guard.cut


def bounded(sampling: SamplingParams, max_tokens: int) -> SamplingParams:
    """``sampling`` with a turn's own bound (never above the answer's)."""
    return replace(sampling, max_tokens=max(1, min(max_tokens, sampling.max_tokens)))


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence, line or citation (all of it when it
    has none: better a cut sentence than nothing)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends:
        return text
    return text[: ends[-1]].rstrip()


def as_bullets(text: str) -> str:
    """Every non-empty line as a Markdown bullet ("- "), numbering and other markers replaced."""
    lines = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        line = _MARKER.sub("", line, count=1).strip()
        if line:
            lines.append(f"- {line}")
    return "\n".join(lines)


_MARKER = re.compile(r"^(?:[-*•+]\s+|\d{1,2}[.)]\s+)")


def _truncate(parts: list[str], length: int) -> None:
    """Cut the joined ``parts`` to ``length`` characters, in place."""
    text = "".join(parts)[:length]
    parts[:] = [text]
