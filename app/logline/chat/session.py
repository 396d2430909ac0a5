"""A conversation over one document, run on the engine thread: ask, regenerate, edit.

``ChatSession`` is to chat what ``summarize.runner`` is to summaries: it plans each turn's
prompt (the script part first, byte-stable, then the history that fits, then the question),
runs ``Engine.generate`` with ``keep_cache`` so the next turn reads only its own tokens, turns
engine events into chat events at one place (``_Turn.relay``), checks citations and names as
summaries are checked, and writes every message to the store as it streams (a crash loses at
most the last fraction of a second). Questions the parser can answer exactly are answered from
the script facts, without the model. Regenerate and edit add a sibling branch in the store's
message tree; the old branch is kept, and the engine forks its checkpoint at the end of the
shared turns instead of reading them again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from logline.chat import script_part
from logline.chat.context import ContextError, dropped_notice, fit
from logline.chat.digest import digest_body
from logline.chat.events import (
    AnswerText,
    ContextUse,
    MessageStats,
    Notice,
    Reading,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from logline.chat.facts_answers import FactAnswer, answer_from_facts, scene_pages
from logline.chat.prompts import digest_text, marked_text, question_message
from logline.chat.retrieval import SceneIndex, render_passages, search
from logline.documents.facts import script_facts
from logline.documents.model import Document
from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, Generated, PromptProgress
from logline.engine.requests import GenerationRequest
from logline.engine.runtime import Engine
from logline.engine.sampling import SamplingParams
from logline.models.loading import load_with_events
from logline.models.registry import InstalledModel
from logline.summarize.citations import apply as apply_citations
from logline.summarize.citations import validate
from logline.summarize.names import for_summary
from logline.summarize.runner import usable_context
from logline.summarize.stored import register

log = logging.getLogger(__name__)

Emit = Callable[[object], None]
# Room kept for a question when deciding whether the whole script fits.
QUESTION_ROOM = 256
NEW_TITLE = "New conversation"
TITLE_CHARS = 48
# The "model" of an answer Logline wrote from the parser's facts.
FACTS_MODEL = "script facts"
# In digest mode, the share of what is left after the script part given to retrieved scenes.
PASSAGES_SHARE = 0.6


@dataclass(frozen=True)
class ChatOptions:
    answer_tokens: int = 512
    temperature: float = 0.0
    max_context: int | None = None  # read at most this many tokens at once (None: all usable)
    citation_policy: str = "flag"
    names_policy: str = "flag"
    facts_answers: bool = True  # answer parser questions from the facts

    def reserve(self, usable: int) -> int:
        """Tokens kept for an answer: ``answer_tokens``, at most half of what the model reads
        (an excessive ``--max-tokens`` never starves the script or reserves gigabytes)."""
        return max(1, min(self.answer_tokens, usable // 2))

    def sampling(self, usable: int | None = None) -> SamplingParams:
        return SamplingParams(
            max_tokens=self.answer_tokens if usable is None else self.reserve(usable),
            temperature=self.temperature,
            repetition_penalty=1.1,
            no_repeat_ngram=16,
            loop_guard=True,
        )


@dataclass
class _Prepared:
    model_id: str
    part: script_part.ScriptPart
    usable: int


@dataclass
class ChatSession:
    store: Any
    document: Document
    document_id: int
    document_hash: str
    conversation_id: int
    options: ChatOptions = field(default_factory=ChatOptions)
    _prepared: _Prepared | None = None
    _index: SceneIndex | None = None
    last_prompt_tokens: list[int] = field(default_factory=list)  # the last turn's prompt

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        store: Any,
        document: Document,
        *,
        conversation_id: int | None = None,
        options: ChatOptions | None = None,
        model_id: str = "",
    ) -> ChatSession:
        """The conversation ``conversation_id`` over ``document``, or a new one when None."""
        record = register(store, document)
        if conversation_id is None:
            conversation = store.conversations.create(record.id, NEW_TITLE, model_id)
            conversation_id = conversation.id
        elif store.conversations.get(conversation_id) is None:
            raise KeyError(f"No conversation {conversation_id}")
        return cls(
            store,
            document,
            record.id,
            record.content_hash,
            conversation_id,
            options or ChatOptions(),
        )

    def facts_answer(self, question: str) -> FactAnswer | None:
        """The exact answer from the script facts, or None when the model must answer."""
        if not self.options.facts_answers:
            return None
        facts = script_facts(self.document)
        return answer_from_facts(question, facts, scene_pages=scene_pages(self.document))

    def answers_from_facts(self, question: str) -> bool:
        """Whether ``question`` is answered from the script facts (no model needed)."""
        return self.facts_answer(question) is not None

    def thread(self) -> list[Any]:
        """The shown branch, root to leaf (``MessageRecord`` s)."""
        conversation = self.store.conversations.get(self.conversation_id)
        leaf = conversation.current_leaf_id if conversation else None
        return self.store.messages.path(leaf) if leaf is not None else []

    # -- the script part --------------------------------------------------------------------
    def prepare(
        self, engine: Engine, model: InstalledModel, cancel: CancelToken, emit: Emit
    ) -> script_part.Source:
        """Load ``model`` and make sure the script part is read (from memory, disk or now)."""
        load_with_events(engine, model, emit)
        prepared = self._prepare(engine, model.model_id, cancel, emit)
        return script_part.ensure_read(
            engine,
            prepared.part,
            self.store,
            self.document_id,
            model.model_id,
            self.document_hash,
            cancel,
            emit,
        )

    def _prepare(self, engine: Engine, model_id: str, cancel: CancelToken, emit: Emit) -> _Prepared:
        prepared = self._prepared
        if prepared is not None and prepared.model_id == model_id:
            return prepared
        usable = usable_context(engine, self.options.max_context)
        reserve = self.options.reserve(usable)
        whole = script_part.build(
            engine, model_id, self.document_hash, "whole", marked_text(self.document), self.document
        )
        part = whole
        if len(whole.tokens) + reserve + QUESTION_ROOM > usable:
            # The notes get their share of what is left after the frame (instructions and
            # facts), the answer and the question; the scenes retrieved per question the rest.
            frame = script_part.build(
                engine, model_id, self.document_hash, "digest", digest_text([]), self.document
            )
            left = usable - reserve - QUESTION_ROOM - len(frame.tokens)
            if left <= 0:
                raise ContextError(
                    f"{model_id} can read {usable:,} tokens at once here: too few for the "
                    "script's facts and a question. Choose a model with a longer context."
                )
            budget = int(left * (1 - PASSAGES_SHARE))
            body = digest_body(
                engine,
                self.store,
                self.document,
                self.document_id,
                model_id,
                budget,
                cancel,
                emit,
                max_context=self.options.max_context,
            )
            part = script_part.build(
                engine, model_id, self.document_hash, "digest", body, self.document
            )
            emit(
                Notice(
                    f"The script ({len(whole.tokens):,} tokens) does not fit in what "
                    f"{model_id} can read at once here ({usable:,}): answers read notes on the "
                    "whole script, the scenes that match each question, and the script facts."
                )
            )
        self._prepared = _Prepared(model_id, part, usable)
        return self._prepared

    # -- turns ------------------------------------------------------------------------------
    def ask(
        self,
        engine: Engine,
        model: InstalledModel,
        question: str,
        cancel: CancelToken,
        emit: Emit,
        *,
        parent_id: int | None = None,
    ) -> TurnResult:
        """Ask ``question`` after ``parent_id`` (default: the shown branch's last message)."""
        question = question.strip()
        if not question:
            raise ValueError("The question is empty")
        if parent_id is None:
            thread = self.thread()
            parent_id = thread[-1].id if thread else None
            if not thread:
                self._title_from(question)
        user = self.store.messages.add(self.conversation_id, parent_id, "user", question)
        return self._answer(engine, model, user, cancel, emit)

    def _title_from(self, question: str) -> None:
        """A new conversation is named after its first question."""
        conversation = self.store.conversations.get(self.conversation_id)
        if conversation is not None and conversation.title == NEW_TITLE:
            title = " ".join(question.split())
            if len(title) > TITLE_CHARS:
                title = title[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
            self.store.conversations.rename(self.conversation_id, title)

    def regenerate(
        self,
        engine: Engine,
        model: InstalledModel,
        assistant_message_id: int,
        cancel: CancelToken,
        emit: Emit,
    ) -> TurnResult:
        """A new answer to the same question, beside the old one (a new branch)."""
        answer = self.store.messages.get(assistant_message_id)
        if answer is None or answer.role != "assistant" or answer.parent_id is None:
            raise ValueError("Only an answer can be regenerated")
        user = self.store.messages.get(answer.parent_id)
        return self._answer(engine, model, user, cancel, emit)

    def edit(
        self,
        engine: Engine,
        model: InstalledModel,
        user_message_id: int,
        text: str,
        cancel: CancelToken,
        emit: Emit,
    ) -> TurnResult:
        """The question rewritten and answered, beside the old one (the old branch is kept)."""
        old = self.store.messages.get(user_message_id)
        if old is None or old.role != "user":
            raise ValueError("Only a question can be edited")
        text = text.strip()
        if not text:
            raise ValueError("The question is empty")
        user = self.store.messages.add(self.conversation_id, old.parent_id, "user", text)
        return self._answer(engine, model, user, cancel, emit)

    def _history(self, user: Any) -> list[tuple[str, str]]:
        """The question-and-answer pairs before ``user`` on its branch."""
        return history_pairs(self.store.messages.path(user.id)[:-1])

    def measure(self, engine: Engine, question: str) -> ContextUse | None:
        """The context meter for ``question`` asked next on the shown branch, before it is
        sent (None until the script part is prepared for the loaded model). Cheap: renders and
        counts tokens, reads nothing."""
        loaded, prepared = engine.loaded, self._prepared
        if loaded is None or prepared is None or prepared.model_id != loaded.model_id:
            return None
        passages = self._passages(engine, prepared, question) if question.strip() else ""
        message = question_message(question, passages)
        reserve = self.options.reserve(prepared.usable)
        try:
            return fit(
                engine,
                prepared.part,
                history_pairs(self.thread()),
                message,
                usable=prepared.usable,
                reserve=reserve,
            ).use
        except ContextError:
            alone = len(engine.render_prompt([prepared.part.message, message]))
            script = len(prepared.part.tokens)
            return ContextUse(
                script, 0, alone - script, reserve, prepared.usable, prepared.part.mode
            )

    def _answer(
        self, engine: Engine, model: InstalledModel, user: Any, cancel: CancelToken, emit: Emit
    ) -> TurnResult:
        found = self.facts_answer(user.content)
        if found is not None:
            return self._facts_turn(user, found.text, emit)
        self.prepare(engine, model, cancel, emit)
        prepared = self._prepare(engine, model.model_id, cancel, emit)
        question = question_message(user.content, self._passages(engine, prepared, user.content))
        try:
            fitted = fit(
                engine,
                prepared.part,
                self._history(user),
                question,
                usable=prepared.usable,
                reserve=self.options.reserve(prepared.usable),
            )
        except ContextError as exc:
            return self._failed_turn(user, model.model_id, exc, emit)
        if self.options.reserve(prepared.usable) < self.options.answer_tokens:
            emit(
                Notice(f"Answers are limited to {self.options.reserve(prepared.usable):,} tokens.")
            )
        self.last_prompt_tokens = fitted.tokens
        emit(fitted.use)
        if fitted.use.dropped_turns:
            emit(Notice(dropped_notice(fitted.use.dropped_turns)))
        answer = self.store.messages.add(
            self.conversation_id, user.id, "assistant", "", model=model.model_id
        )
        self.store.conversations.set_model(self.conversation_id, model.model_id)
        emit(TurnStarted(self.conversation_id, user.id, answer.id, model.model_id))
        turn = _Turn(self.store.messages.stream(answer.id), emit)
        request = GenerationRequest(
            prompt_tokens=fitted.tokens,
            sampling=self.options.sampling(prepared.usable),
            keep_cache=True,
        )
        finished = engine.generate(request, cancel, turn.relay)
        return self._finish(model.model_id, user, answer.id, turn, finished, fitted.use, emit)

    def _passages(self, engine: Engine, prepared: _Prepared, question: str) -> str:
        if prepared.part.mode != "digest":
            return ""
        if self._index is None:
            self._index = SceneIndex.build(self.document, script_facts(self.document))
        room = prepared.usable - len(prepared.part.tokens) - self.options.reserve(prepared.usable)
        budget = max(int((room - QUESTION_ROOM) * PASSAGES_SHARE), 0)
        found = search(
            self._index, question, budget_tokens=budget, count_tokens=engine.count_tokens
        )
        return render_passages(found)

    def _check(self, raw: str, question: str) -> tuple[str, int, list[str]]:
        report = validate(raw, self.document)
        text = apply_citations(raw, report, self.options.citation_policy)  # type: ignore[arg-type]
        names = for_summary(self.document, question)
        text, flags = names.apply(text, self.options.names_policy)  # type: ignore[arg-type]
        return text, len(report.invalid), [flag.name for flag in flags]

    def _finish(
        self,
        model_id: str,
        user: Any,
        answer_id: int,
        turn: _Turn,
        finished: Finished,
        use: ContextUse,
        emit: Emit,
    ) -> TurnResult:
        text, invalid, names = self._check(turn.text, user.content)
        stats = None
        if finished.stats is not None:
            s = finished.stats
            stats = MessageStats(
                model=model_id,
                prompt_tokens=s.prompt_tokens,
                cached_tokens=s.cached_tokens,
                ttft_s=s.time_to_first_token,
                generation_tokens=s.generation_tokens,
                tokens_per_s=s.generation_tps,
                peak_memory_bytes=s.peak_memory_bytes,
            )
        turn.writer.close(finished.reason, stats.to_json() if stats else {})
        if text != turn.text:  # the model reads its own words in later turns
            self.store.messages.set_content(answer_id, text, model_text=turn.text)
        if invalid:
            emit(
                Notice(
                    f"{invalid} citation(s) in the answer do not match the script and are marked."
                )
            )
        result = TurnResult(
            self.conversation_id,
            answer_id,
            text,
            turn.text,
            finished.reason,
            stats,
            use,
            invalid_citations=invalid,
            unknown_names=names,
            error=finished.error,
        )
        emit(TurnFinished(result))
        return result

    def _facts_turn(self, user: Any, text: str, emit: Emit) -> TurnResult:
        answer = self.store.messages.add(
            self.conversation_id,
            user.id,
            "assistant",
            text,
            model=FACTS_MODEL,
            finish_reason="done",
            stats={"model": FACTS_MODEL},
        )
        emit(TurnStarted(self.conversation_id, user.id, answer.id, FACTS_MODEL))
        emit(AnswerText(text))
        result = TurnResult(self.conversation_id, answer.id, text, text, "done", source="facts")
        emit(TurnFinished(result))
        return result

    def _failed_turn(self, user: Any, model_id: str, exc: BaseException, emit: Emit) -> TurnResult:
        answer = self.store.messages.add(
            self.conversation_id, user.id, "assistant", "", model=model_id, finish_reason="error"
        )
        emit(TurnStarted(self.conversation_id, user.id, answer.id, model_id))
        result = TurnResult(self.conversation_id, answer.id, "", "", "error", error=exc)
        emit(TurnFinished(result))
        return result


def history_pairs(path: list[Any]) -> list[tuple[str, str]]:
    """The question-and-answer pairs of a branch, each answer as the model wrote it (so the
    next prompt extends its checkpoint); answers that failed or are empty, and answers written
    from the facts (already in the script part), are left out with their question."""
    talk = [m for m in path if m.role in ("user", "assistant")]
    return [
        (question.content, answer.text_for_model)
        for question, answer in pairwise(talk)
        if question.role == "user"
        and answer.role == "assistant"
        and answer.content.strip()
        and answer.finish_reason != "error"
        and answer.model != FACTS_MODEL
    ]


class _Turn:
    """One answer streaming: engine events become chat events, and the text goes to the store."""

    def __init__(self, writer: Any, emit: Emit) -> None:
        self.writer = writer
        self.emit = emit
        self.text = ""
        self._start: int | None = None
        self.first_token_at: float | None = None

    def relay(self, event: EngineEvent) -> None:
        if isinstance(event, PromptProgress):
            if self._start is None:
                self._start = event.done
            start = self._start
            self.emit(Reading(event.done - start, max(event.total - 1 - start, 0)))
        elif isinstance(event, Generated) and (event.text or event.retract):
            if event.retract:
                self.text = self.text[: max(len(self.text) - event.retract, 0)]
                self.writer.retract(event.retract)
            self.text += event.text
            self.writer.append(event.text)
            if self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            self.emit(AnswerText(event.text, event.retract))


__all__ = ["ChatOptions", "ChatSession"]
