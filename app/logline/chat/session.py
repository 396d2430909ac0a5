"""A conversation over one document, run on the engine thread: ask, regenerate, edit.

``ChatSession`` is to chat what ``summarize.runner`` is to summaries: it plans each turn's
prompt (the script part first, byte-stable, then the history that fits, then the question),
runs the engine's ``generate``, turns engine events into chat events at one place
(``turn_stream.TurnStream``), checks citations and names as summaries are checked, and writes
every message to the store as it streams (a crash loses at most the last fraction of a second).
Questions the parser can answer exactly are answered from the script facts, without the model.
Regenerate and edit add a sibling branch in the store's message tree; the old branch is kept.

On this machine (``Engine``) the turn runs with ``keep_cache``, so the next one reads only its
own tokens, and regenerate and edit fork the checkpoint at the end of the shared turns. On a
server (``RemoteEngine``, see ``chat.engines``) every turn sends its whole messages, the script
part first and byte-identical, so the server's own prefix cache serves it; answers are stored
under the server's label and their stats say ``on_server``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from logline.chat import script_part
from logline.chat.context import ContextError, dropped_notice, fit
from logline.chat.engines import answering_model, is_remote
from logline.chat.events import (
    AnswerText,
    ContextUse,
    Notice,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from logline.chat.facts_answers import FactAnswer, answer_from_facts, scene_pages
from logline.chat.options import ChatOptions
from logline.chat.preparing import PASSAGES_SHARE, QUESTION_ROOM, Prepared, prepare_part
from logline.chat.prompts import question_message
from logline.chat.retrieval import SceneIndex, render_passages, search
from logline.chat.turn_stream import FACTS_MODEL, TurnStream, history_pairs, message_stats
from logline.documents.facts import script_facts
from logline.documents.model import Document
from logline.engine.cancel import CancelToken
from logline.engine.events import Finished
from logline.engine.requests import GenerationRequest, Message
from logline.models.loading import load_with_events
from logline.summarize.citations import apply as apply_citations
from logline.summarize.citations import validate
from logline.summarize.names import for_summary
from logline.summarize.stored import register

if TYPE_CHECKING:
    from logline.chat.engines import ChatEngine, ChatModel

log = logging.getLogger(__name__)

Emit = Callable[[object], None]
NEW_TITLE = "New conversation"
TITLE_CHARS = 48


@dataclass
class ChatSession:
    store: Any
    document: Document
    document_id: int
    document_hash: str
    conversation_id: int
    options: ChatOptions = field(default_factory=ChatOptions)
    _prepared: Prepared | None = None
    _index: SceneIndex | None = None
    last_prompt_tokens: list[int] = field(default_factory=list)  # the last turn's prompt
    last_messages: list[Message] = field(default_factory=list)  # ... as messages

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
        self, engine: ChatEngine, model: ChatModel, cancel: CancelToken, emit: Emit
    ) -> script_part.Source:
        """Load ``model`` and make sure the script part is read (from memory, disk or now).
        On a server nothing is loaded or read here: the script part is only planned
        ("server")."""
        if is_remote(engine):
            self._prepare(engine, answering_model(engine, model), cancel, emit)
            return "server"
        load_with_events(engine, model, emit)  # type: ignore[arg-type]
        model_id = answering_model(engine, model)
        prepared = self._prepare(engine, model_id, cancel, emit)
        return script_part.ensure_read(
            engine,  # type: ignore[arg-type]
            prepared.part,
            self.store,
            self.document_id,
            model_id,
            self.document_hash,
            cancel,
            emit,
        )

    def _prepare(
        self, engine: ChatEngine, model_id: str, cancel: CancelToken, emit: Emit
    ) -> Prepared:
        prepared = self._prepared
        if prepared is None or prepared.model_id != model_id:
            prepared = prepare_part(
                engine,
                model_id,
                self.document,
                self.document_hash,
                self.store,
                self.document_id,
                self.options,
                cancel,
                emit,
            )
            self._prepared = prepared
        return prepared

    # -- turns ------------------------------------------------------------------------------
    def ask(
        self,
        engine: ChatEngine,
        model: ChatModel,
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
        engine: ChatEngine,
        model: ChatModel,
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
        engine: ChatEngine,
        model: ChatModel,
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

    def measure(self, engine: ChatEngine, question: str) -> ContextUse | None:
        """The context meter for ``question`` asked next on the shown branch, before it is
        sent (None until the script part is prepared for the engine's model). Cheap: renders
        and counts tokens, reads nothing, sends nothing."""
        prepared = self._prepared
        if prepared is None or prepared.model_id != self._engine_model(engine):
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
            alone = engine.prompt_length([prepared.part.message, message])
            script = prepared.part.length
            return ContextUse(
                script, 0, alone - script, reserve, prepared.usable, prepared.part.mode
            )

    @staticmethod
    def _engine_model(engine: ChatEngine) -> str | None:
        """The model the engine answers with now: the server's label, or the loaded model."""
        if is_remote(engine):
            return str(engine.label)  # type: ignore[union-attr]
        loaded = engine.loaded  # type: ignore[union-attr]
        return loaded.model_id if loaded is not None else None

    def _answer(
        self, engine: ChatEngine, model: ChatModel, user: Any, cancel: CancelToken, emit: Emit
    ) -> TurnResult:
        found = self.facts_answer(user.content)
        if found is not None:
            return self._facts_turn(user, found.text, emit)
        self.prepare(engine, model, cancel, emit)
        model_id = answering_model(engine, model)
        prepared = self._prepare(engine, model_id, cancel, emit)
        question = question_message(user.content, self._passages(engine, prepared, user.content))
        reserve = self.options.reserve(prepared.usable)
        try:
            fitted = fit(
                engine,
                prepared.part,
                self._history(user),
                question,
                usable=prepared.usable,
                reserve=reserve,
            )
        except ContextError as exc:
            return self._failed_turn(user, model_id, exc, emit)
        if reserve < self.options.answer_tokens:
            emit(Notice(f"Answers are limited to {reserve:,} tokens."))
        self.last_prompt_tokens, self.last_messages = fitted.tokens, fitted.messages
        emit(fitted.use)
        if fitted.use.dropped_turns:
            emit(Notice(dropped_notice(fitted.use.dropped_turns)))
        answer = self.store.messages.add(
            self.conversation_id, user.id, "assistant", "", model=model_id
        )
        self.store.conversations.set_model(self.conversation_id, model_id)
        emit(TurnStarted(self.conversation_id, user.id, answer.id, model_id))
        turn = TurnStream(self.store.messages.stream(answer.id), emit)
        sampling = self.options.sampling(prepared.usable)
        if is_remote(engine):  # the whole messages each turn; the server caches the prefix
            request = GenerationRequest(messages=fitted.messages, sampling=sampling)
        else:
            request = GenerationRequest(
                prompt_tokens=fitted.tokens, sampling=sampling, keep_cache=True
            )
        finished = engine.generate(request, cancel, turn.relay)
        return self._finish(model_id, user, answer.id, turn, finished, fitted.use, emit)

    def _passages(self, engine: ChatEngine, prepared: Prepared, question: str) -> str:
        if prepared.part.mode != "digest":
            return ""
        if self._index is None:
            self._index = SceneIndex.build(self.document, script_facts(self.document))
        room = prepared.usable - prepared.part.length - self.options.reserve(prepared.usable)
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
        turn: TurnStream,
        finished: Finished,
        use: ContextUse,
        emit: Emit,
    ) -> TurnResult:
        text, invalid, names = self._check(turn.text, user.content)
        stats = message_stats(model_id, finished.stats)
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


__all__ = [
    "FACTS_MODEL",
    "QUESTION_ROOM",
    "ChatOptions",
    "ChatSession",
    "Prepared",
    "history_pairs",
]
