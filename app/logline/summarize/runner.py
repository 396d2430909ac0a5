"""Summarize a whole document of any length: plan, map (batched), merge, reduce (streamed), check.

One call, :func:`summarize`, on the engine thread:

1. **Plan** (:mod:`~logline.summarize.planner`) against the model's *usable* context: the smaller
   of its trained limit and what memory allows; on a server, its entry's context length
   (:mod:`~logline.summarize.engine_budget`).
2. **Single pass** when the whole document fits: the answer streams as ``AnswerText``.
3. Otherwise **map**: notes on every chunk, generated as one batch (the engine shares the prompt
   prefix — system prompt and instructions — through a prompt cache and decodes the chunks
   together). Every batch (map or merge) is sized so the tokens in flight never exceed one
   context window: memory stays flat however long the document is. On a server
   (``RemoteEngine``) a batch is up to the entry's concurrency of requests at once, and the
   prompts' shared prefix (system prompt and instructions first, the chunk last) stays byte
   for byte the same, so the server's prefix cache serves it.
4. **Merge** notes in groups while they do not fit one prompt, then **reduce**: the final answer
   streams as ``AnswerText``. Modes whose answer is the notes themselves (the scene breakdown)
   concatenate instead.
5. **Citations** in the answer are checked against the document; invalid ones are flagged (or
   removed), never passed off as fact. Then **names** the document does not know are flagged
   (or removed) the same way (:mod:`~logline.summarize.names`).

Cancel is honoured everywhere the engine checks it; a cancelled summary returns what it has with
``reason == "stopped"``.

Events: the engine's events are translated into summary events (:mod:`~logline.summarize.events`)
in one place, :meth:`_Session.relay`; every summary ends with one ``SummaryFinished``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from logline.documents import Document
from logline.documents.facts import facts_prompt, script_facts
from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, Generated, GenerationStats, PromptProgress
from logline.engine.requests import GenerationRequest, Message
from logline.engine.sampling import SamplingParams
from logline.engine.surface import TextEngine
from logline.summarize import bounds, modes
from logline.summarize.answer_shapes import AnswerShape, scene_entries
from logline.summarize.citations import apply, validate
from logline.summarize.copy_check import revise_copied_notes
from logline.summarize.engine_budget import BatchWidth, batch_width, usable_context
from logline.summarize.events import (
    AnswerText,
    ChunkDone,
    ChunkText,
    Notice,
    Phase,
    PhaseStarted,
    PlanChosen,
    Reading,
    SummaryEvent,
    SummaryFinished,
)
from logline.summarize.names import for_summary as names_for_summary
from logline.summarize.names import names_message
from logline.summarize.planner import plan_reduce, plan_summary
from logline.summarize.result import PhaseStats, SummaryResult
from logline.summarize.structured import Conversation

log = logging.getLogger(__name__)

TEMPLATE_MARGIN = 32  # chat-template tokens not counted in the rendered frames
DEFAULT_CHUNK_TOKENS = 1024  # map chunks: small models take notes best on a few pages at a time
NOTES_SHARE = 4  # notes on a chunk: at most a quarter of its length (modes that merge notes)
MIN_NOTES_TOKENS = 128
NOTES_SEPARATOR = "\n\n"
WORST_FIRST = ("error", "stopped", "repetition", "length")  # a batch's reason: its worst item's
INTERRUPTED = ("error", "stopped")  # a batch that ended so ends the summary


@dataclass(frozen=True)
class SummaryOptions:
    mode: str = modes.DEFAULT_MODE
    instruction: str | None = None
    sampling: SamplingParams | None = None  # the final answer; None: the mode's defaults
    map_sampling: SamplingParams | None = None  # notes; None: the mode's defaults
    max_context: int | None = None  # read at most this many tokens at once (None: all usable)
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    # At most this many chunks at once (1: one after another); None: as many as the memory
    # budget holds here (a server: its entry's concurrency).
    max_batch: int | None = None
    citation_policy: Literal["flag", "remove"] = "flag"
    names_policy: Literal["flag", "remove"] = "flag"  # names the document does not know

    def __post_init__(self) -> None:
        problem = bounds.options_problem(self)
        if problem:
            raise ValueError(problem)


SummaryEmit = Callable[[SummaryEvent], None]

__all__ = [
    "PhaseStats",
    "SummaryEmit",
    "SummaryOptions",
    "SummaryResult",
    "summarize",
    "usable_context",
]


def notes_sampling(mode: modes.Mode, options: SummaryOptions) -> SamplingParams:
    """The mode's settings for notes, no longer than a quarter of a chunk when they are merged
    later (the less the map phase writes, the sooner the summary is done)."""
    notes = mode.map_sampling
    if mode.combine != "reduce":
        return notes  # e.g. the scene breakdown: the notes are the answer
    limit = max(MIN_NOTES_TOKENS, options.chunk_tokens // NOTES_SHARE)
    return replace(notes, max_tokens=min(notes.max_tokens, limit))


class _Session:
    """The state of one summary while it runs (keeps :func:`summarize` readable)."""

    def __init__(
        self,
        engine: TextEngine,
        document: Document,
        options: SummaryOptions,
        cancel: CancelToken,
        emit: SummaryEmit,
    ) -> None:
        self.engine = engine
        self.document = document
        self.options = options
        self.cancel = cancel
        self.emit = emit
        self.mode = modes.get_mode(options.mode)
        self.title = document.title or document.path.stem
        self.kind = "screenplay" if document.is_screenplay else "document"
        self.sampling = options.sampling or self.mode.sampling
        self.map_sampling = options.map_sampling or notes_sampling(self.mode, options)
        # What the parser knows: ground truth in every prompt, Logline's own text in reports.
        facts = script_facts(document)
        self.facts = facts_prompt(facts)
        self.shape = AnswerShape(self.mode, facts, title=self.title, kind=self.kind)
        self.phases: list[PhaseStats] = []
        self.last_stats: GenerationStats | None = None
        self.phase: Phase = "single"  # the phase running, for relayed events
        self.answer: list[str] = []  # the final answer's text so far
        self.notes: list[str] = []  # each item's text so far in a map or merge batch
        self.items_done = 0

    # -- the one place engine events become summary events ----------------------------------
    def relay(self, event: EngineEvent) -> None:
        """The engine's ``emit`` during a summary: translate, keep the text, pass it on.

        Text the loop guard withdraws (``Generated.retract``) leaves the kept answer and notes;
        the answer's stream does not take it back (the result's text replaces it at the end).
        """
        if isinstance(event, Generated):
            if self.phase in ("single", "reduce"):
                if event.retract:
                    self.answer = [_drop("".join(self.answer), event.retract)]
                if event.text:
                    self.answer.append(event.text)
                    self.emit(AnswerText(event.text))
                return
            if event.text or event.retract:
                self.notes[event.row] = _drop(self.notes[event.row], event.retract) + event.text
                self.emit(ChunkText(self.phase, event.row, event.text, event.retract))
            if event.finish_reason is not None:
                self.items_done += 1
                total = len(self.notes)
                self.emit(
                    ChunkDone(self.phase, event.row, self.items_done, total, event.finish_reason)
                )
        elif isinstance(event, PromptProgress):
            self.emit(Reading(self.phase, event.done, event.total))
        elif isinstance(event, Notice):
            self.emit(event)
        # Finished: the call's return value carries it (stats recorded per phase)

    def relay_progress(self, event: EngineEvent) -> None:
        """Relay reading progress and notices only (a quiet batch's text is not streamed)."""
        if not isinstance(event, Generated):
            self.relay(event)

    def start_phase(self, phase: Phase, items: int, level: int = 0) -> None:
        self.phase = phase
        self.emit(PhaseStarted(phase, items, level))

    # -- prompts ----------------------------------------------------------------------------
    def messages(self, role: str, value: str, template: str | None = None) -> list[Message]:
        builders: dict[str, Callable[..., list[Message]]] = {
            "single": modes.single_messages,
            "map": modes.map_messages,
            "merge": modes.merge_messages,
            "reduce": modes.reduce_messages,
        }
        builder = builders[role]
        key = {"single": "document", "map": "chunk"}.get(role, "notes")
        return builder(
            self.mode,
            title=self.title,
            kind=self.kind,
            instruction=self.options.instruction,
            facts=self.facts,
            template=template,
            **{key: value},
        )

    def frame_tokens(self, role: str) -> int:
        frame = self.engine.prompt_length(self.messages(role, "")) + TEMPLATE_MARGIN
        if role in ("single", "reduce"):
            frame += self.shape.structure_tokens(self.engine.count_tokens)
        return frame

    def final_answer(
        self, phase: Phase, messages: list[Message]
    ) -> tuple[str, str, BaseException | None]:
        """Write the final answer (single pass or reduce) in its shape; (text, reason, error)."""
        if not self.shape.structured:
            text, finished = self.stream(phase, messages, self.sampling)
            return text, finished.reason, finished.error
        self.start_phase(phase, 1)
        self.answer = []
        talk = Conversation(self, messages)
        self.verdict = self.shape.write(talk, self.sampling)
        turns = talk.log
        self.last_stats = turns.last_stats or self.last_stats
        peak = turns.last_stats.peak_memory_bytes if turns.last_stats else 0
        seconds = time.perf_counter() - turns.started
        self.phases.append(
            PhaseStats(
                phase, turns.turns, seconds, turns.prompt_tokens, turns.generated_tokens, peak
            )
        )
        reason = "stopped" if self.cancel.cancelled else turns.reason
        return talk.text, reason, turns.error

    # -- generation -------------------------------------------------------------------------
    def stream(
        self, phase: Phase, messages: Sequence[Message], sampling: SamplingParams
    ) -> tuple[str, Finished]:
        """Generate the final answer, streaming it as ``AnswerText``; (text, Finished)."""
        self.start_phase(phase, 1)
        self.answer = []
        started = time.perf_counter()
        finished = self.engine.generate(
            GenerationRequest(messages=messages, sampling=sampling), self.cancel, self.relay
        )
        self.record(phase, 1, started, finished.stats)
        return "".join(self.answer), finished

    def batch(
        self,
        phase: Phase,
        prompts: list[list[Message]],
        sampling: SamplingParams,
        level: int = 0,
        quiet: bool = False,
    ) -> tuple[list[str], str]:
        """Notes for every prompt (map or merge), batched; (texts, worst finish reason).

        ``quiet``: a second attempt at some notes (their text is not streamed as notes again;
        reading progress and notices still are)."""
        if not quiet:
            self.start_phase(phase, len(prompts), level)
        # Chat messages, which both engines take: the local one renders them in the model's
        # template (as it renders every prompt), a server applies its own.
        requests = [GenerationRequest(messages=m, sampling=sampling) for m in prompts]
        lengths = [self.engine.prompt_length(m) for m in prompts]
        self.notes = [""] * len(prompts)
        self.items_done = 0
        started = time.perf_counter()
        relay = self.relay if not quiet else self.relay_progress
        width = batch_width(self.engine, lengths, sampling.max_tokens, self.options.max_batch)
        results = self.engine.generate_batch(requests, self.cancel, relay, max_batch=width.size)
        items = list(results)
        texts = [item.text for item in items]
        self.record(phase, len(prompts), started, results.stats, width)
        self.error = self.error or results.finished.error
        reasons: set[str] = {item.reason for item in items}
        if self.cancel.cancelled:
            reasons.add("stopped")
        # The worst: an error, a stop, then a note trimmed or cut short; "done" only if all are.
        reason = next((r for r in WORST_FIRST if r in reasons), "done")
        return texts, reason

    context = 0  # the usable context, set once planned
    verdict: str | None = None  # a coverage report's, once chosen
    error: BaseException | None = None  # the first failed batch's (map or merge)

    def record(
        self,
        phase: str,
        items: int,
        started: float,
        stats: GenerationStats | None,
        width: BatchWidth | None = None,
    ) -> None:
        self.last_stats = stats or self.last_stats
        self.phases.append(
            PhaseStats(
                phase,
                items,
                time.perf_counter() - started,
                stats.prompt_tokens if stats else 0,
                stats.generation_tokens if stats else 0,
                stats.peak_memory_bytes if stats else 0,
                batch_size=width.size if width else 1,
                budget_bytes=width.budget_bytes if width else 0,
            )
        )


def summarize(
    engine: TextEngine,
    document: Document,
    cancel: CancelToken,
    emit: SummaryEmit,
    options: SummaryOptions | None = None,
) -> SummaryResult:
    """Summarize ``document`` in ``options.mode`` with the loaded model (engine thread only), or
    on a server (``engine`` a ``RemoteEngine``: any one thread).

    ``emit`` receives summary events (:mod:`~logline.summarize.events`), the last one always a
    ``SummaryFinished`` carrying the returned result.
    """
    options = options or SummaryOptions()
    started = time.perf_counter()
    session = _Session(engine, document, options, cancel, emit)
    result = SummaryResult("", "", "done", session.mode.id, None)
    try:
        _run(session, result)
    except Exception as exc:
        log.exception("Summary failed")
        result.reason, result.error = "error", exc
    result.error = result.error or session.error
    result.phases = session.phases
    result.stats = session.last_stats
    result.verdict = session.verdict
    loaded = getattr(engine, "loaded", None)  # None on a server
    if loaded is not None:
        result.precision, result.precision_reason = loaded.precision, loaded.precision_reason
    result.seconds = time.perf_counter() - started
    if result.raw_text:  # also modes that ask for none: an invented one is still caught
        result.citations = validate(result.raw_text, document)
        result.text = apply(result.raw_text, result.citations, options.citation_policy)
        if result.citations.invalid:
            emit(
                Notice(
                    f"{len(result.citations.invalid)} citation(s) in the summary do not match "
                    "the document and are marked."
                )
            )
        # Names after citations (the order the streaming filters use): an invented person or
        # place is marked (or removed) like an invented citation.
        names = names_for_summary(document, options.instruction)
        result.text, result.names = names.apply(result.text, options.names_policy)
        if result.names:
            noun = "script" if document.is_screenplay else "document"
            emit(Notice(names_message(len(result.names), noun, options.names_policy) + "."))
    else:
        result.text = result.raw_text
    emit(SummaryFinished(result))
    return result


def _run(session: _Session, result: SummaryResult) -> None:
    engine, options = session.engine, session.options
    context = usable_context(engine, options.max_context)
    _answers_within(session, context)
    plan = plan_summary(
        session.document,
        count_tokens=engine.count_tokens,
        usable_context=context,
        frame_tokens=session.frame_tokens("single"),
        answer_tokens=session.shape.answer_tokens(session.sampling.max_tokens),
        map_frame_tokens=session.frame_tokens("map"),
        map_answer_tokens=session.map_sampling.max_tokens,
        max_chunk_tokens=options.chunk_tokens,
        reduce_frame_tokens=session.frame_tokens("reduce"),
        # The scene breakdown is one entry per scene group, each under its real citation.
        single_pass=session.mode.combine != "concat",
    )
    result.plan = plan
    labels = tuple(c.label for c in plan.chunks) if plan.strategy == "map_reduce" else ()
    session.emit(PlanChosen(plan.strategy, len(plan.chunks), plan.describe(), labels))
    log.info("Summary plan: %s", plan.describe())
    if plan.strategy == "single":
        messages = session.messages("single", plan.chunks[0].text)
        result.raw_text, result.reason, error = session.final_answer("single", messages)
        result.error = error or result.error
        return

    # Every batch (map, then each merge level) holds at most one context window's worth of
    # tokens (``batch_width``): the KV cache in flight never grows with the document's length.
    session.context = context

    prompts = [session.messages("map", c.text) for c in plan.chunks]
    notes, reason = session.batch("map", prompts, session.map_sampling)
    if reason not in INTERRUPTED and session.mode.combine == "reduce":
        revision = revise_copied_notes(session, notes, [c.text for c in plan.chunks])
        notes, result.copied_notes = revision.notes, revision.still_copied
    result.notes = notes
    if reason in INTERRUPTED:
        result.reason = reason
        result.raw_text = _concat(notes)
        return

    if session.mode.combine == "concat":  # the notes are the answer: a cut one makes it so
        result.raw_text, repeated = scene_entries(plan.chunks, notes)
        result.reason = "repetition" if repeated and reason == "done" else reason
        session.emit(AnswerText(result.raw_text))
        return

    notes = _merge_until_it_fits(session, notes, context)
    if session.cancel.cancelled:
        result.reason, result.raw_text = "stopped", _concat(notes)
        return
    messages = session.messages("reduce", _concat(notes))
    result.raw_text, result.reason, error = session.final_answer("reduce", messages)
    result.error = error or result.error


def _answers_within(session: _Session, context: int) -> None:
    """No answer (nor note) longer than the usable context allows, with a notice: the KV cache
    reserved for it stays within what the model and the memory hold."""
    longest = bounds.longest_answer(context)
    if session.sampling.max_tokens > longest:
        session.sampling = replace(session.sampling, max_tokens=longest)
        session.emit(Notice(bounds.answer_limited(longest, context)))
    if session.map_sampling.max_tokens > longest:
        session.map_sampling = replace(session.map_sampling, max_tokens=longest)


def _merge_until_it_fits(session: _Session, notes: list[str], context: int) -> list[str]:
    """Merge notes in consecutive groups until all of them fit one reduce prompt."""
    engine = session.engine
    reduce_budget = (
        context
        - session.frame_tokens("reduce")
        - session.shape.answer_tokens(session.sampling.max_tokens)
    )
    merge_budget = context - session.frame_tokens("merge") - session.map_sampling.max_tokens
    level = 0
    while True:
        sizes = [engine.count_tokens(n) + 2 for n in notes]
        if sum(sizes) <= reduce_budget or len(notes) == 1:
            return notes
        level += 1
        groups = plan_reduce(sizes, budget=merge_budget)
        if len(groups) >= len(notes):  # no progress possible: keep the most that fits
            raise ValueError(
                "The notes on this document do not shrink when merged; use a model with a "
                "longer context or a shorter summary mode."
            )
        prompts = [session.messages("merge", _concat([notes[i] for i in g])) for g in groups]
        merged, reason = session.batch("merge", prompts, session.map_sampling, level)
        if reason in INTERRUPTED:
            return merged
        notes = merged


def _drop(text: str, characters: int) -> str:
    """``text`` without its last ``characters`` characters."""
    return text[: max(len(text) - characters, 0)]


def _concat(notes: Sequence[str]) -> str:
    return NOTES_SEPARATOR.join(n.strip() for n in notes if n.strip())
