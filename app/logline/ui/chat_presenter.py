"""The chat on screen: runs a conversation's turns as engine jobs and drives the chat pane.

:class:`ChatPresenter` is the one place the window's chat meets the core: it opens a
:class:`~logline.chat.session.ChatSession` over the open document (the document's latest
conversation, restored from the store), runs ``ask`` / ``regenerate`` / ``edit`` through
``EngineHost.job`` (the app's one background-job path: one engine job at a time, in order),
translates the chat events into view calls, and keeps the conversation list in step with the
store. Stop cancels the job; the partial answer is kept (the session stores it as ``stopped``).

Token path: ``Engine`` -> ``ChatSession``'s ``_Turn.relay`` (``AnswerText``) -> ``Job.yielded``
(queued to the GUI thread) -> :meth:`ChatPresenter.on_event` -> ``ChatView.append_answer``
(which batches repaints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

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
from logline.chat.session import FACTS_MODEL, ChatOptions, ChatSession
from logline.engine.events import LoadProgress, ModelLoaded
from logline.messages import user_message
from logline.summarize.stored import register
from logline.ui.chat_view import ShownMessage
from logline.ui.engine_jobs import StatusText, resolve_model
from logline.ui.model_picker import check_fit_before_load
from logline.ui.remote_jobs import remote_turn_job
from logline.ui.server_records import mark_stored_answer, server_record, stored_answer_badge

if TYPE_CHECKING:
    from logline.documents import Document
    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import Engine
    from logline.models.choice import ModelChoice
    from logline.models.registry import InstalledModel
    from logline.ui.chat_pane import ChatPane
    from logline.ui.engine_worker import EngineHost
    from logline.ui.jobs import Emit, Job

__all__ = ["ChatPresenter", "shown_message", "stats_line"]

log = logging.getLogger(__name__)

MEASURE_DELAY_MS = 400  # typing pause before the meter is measured again

# A turn's work on the engine thread, given the session and the resolved model.
Turn = Callable[[ChatSession, "Engine", "InstalledModel", "CancelToken", "Emit"], TurnResult]


def stats_line(record: Any) -> str:
    """The line under a stored answer: its stats, or where a facts answer came from."""
    if record.model == FACTS_MODEL:
        return "Answered from the script facts (no model)"
    if not record.stats.get("prompt_tokens"):
        return record.model or ""
    return MessageStats.from_json(record.stats).one_line()


def shown_message(store: Any, record: Any) -> ShownMessage:
    """A stored message as the transcript shows it, with its place among its branches."""
    siblings = [m.id for m in store.messages.siblings(record.id)] or [record.id]
    position = siblings.index(record.id) if record.id in siblings else 0
    return ShownMessage(
        record.id,
        record.role,
        record.content,
        record.finish_reason if record.role == "assistant" else "done",
        stats_line(record) if record.role == "assistant" else "",
        (position + 1, len(siblings)),
        siblings[position - 1] if position > 0 else None,
        siblings[position + 1] if position + 1 < len(siblings) else None,
        stored_answer_badge(record.stats) if record.role == "assistant" else "",
    )


class ChatPresenter(QObject):
    """Runs one turn at a time. ``busyChanged`` says when a turn starts and ends;
    ``turnFinished(TurnResult)`` follows each turn, after the views show it."""

    busyChanged = Signal(bool)
    turnFinished = Signal(object)  # TurnResult
    conversationShown = Signal(int)  # a conversation id, restored or switched to

    def __init__(
        self,
        pane: ChatPane,
        host: EngineHost,
        store: Any,
        *,
        status: Callable[[str], None] = lambda _text: None,
        tell: Callable[[str], None] = lambda _text: None,
        options: ChatOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.pane, self.host, self.store = pane, host, store
        self.status, self.tell = status, tell
        self.options = options or ChatOptions()
        self.document: Document | None = None
        self.document_id: int | None = None
        self.session: ChatSession | None = None
        self.job: Job | None = None
        self.prepare_job: Job | None = None  # reading the script ahead, while a question is typed
        self._prepared: tuple[int, str] | None = None  # (conversation, model id) read ahead
        self._question: ShownMessage | None = None  # the question of the turn starting
        self._cut_at: int | None = None  # the message the new branch replaces on screen
        self._model_label = ""
        self._server: dict[str, Any] | None = None  # the server record of a remote turn
        self._notices: list[str] = []  # this turn's notices (the store keeps none)
        # The meter before sending: measured on the engine thread once typing pauses.
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.setInterval(MEASURE_DELAY_MS)
        self._measure_timer.timeout.connect(self.measure)
        self._connect()
        pane.set_document_open(False)
        if store is None:
            pane.setEnabled(False)
            pane.view.setPlaceholderText("Conversations are off: the store could not be opened.")

    def _connect(self) -> None:
        pane = self.pane
        pane.askRequested.connect(self.ask)
        pane.editRequested.connect(self.edit)
        pane.regenerateRequested.connect(self.regenerate)
        pane.deleteRequested.connect(self.delete_answer)
        pane.stopRequested.connect(self.stop)
        pane.composer.typingStarted.connect(self.prepare)
        pane.composer.edit.textChanged.connect(self._measure_timer.start)
        pane.model_picker.choiceLost.connect(self._on_model_lost)
        pane.view.branchRequested.connect(self.show_branch)
        lists = pane.conversations
        lists.chosen.connect(self.show_conversation)
        lists.newRequested.connect(self.new_conversation)
        lists.renameRequested.connect(self.rename)
        lists.deleteRequested.connect(self.delete)

    def _on_model_lost(self, lost: str, now: str) -> None:
        """The chat's model disappeared (deleted, a drive unplugged): say so, never silently."""
        self.pane.view.add_notice(
            f"{lost} is no longer available: the next answer uses {now or 'no model'}."
        )

    @property
    def busy(self) -> bool:
        return self.job is not None

    # -- documents and conversations -------------------------------------------------------
    def open_document(self, document: Document) -> None:
        """Show ``document``'s latest conversation (restored from the store), or none yet."""
        self.stop()
        self.document, self.session = document, None
        self.pane.meter.reset()
        self.pane.set_document_open(self.store is not None)
        if self.store is None:
            return
        self.document_id = register(self.store, document).id
        latest = self.store.conversations.list(self.document_id)
        if latest:
            self.show_conversation(latest[0].id)
        else:
            self.pane.view.set_messages([])
            self._refresh_list()
        self.pane.update_actions()

    def show_conversation(self, conversation_id: int) -> None:
        if self.document is None or self.busy:
            return
        if self.session is None or self.session.conversation_id != conversation_id:
            self.session = ChatSession.open(
                self.store, self.document, conversation_id=conversation_id, options=self.options
            )
            self.pane.meter.reset()
        self.refresh_thread()
        self._refresh_list()
        self.conversationShown.emit(conversation_id)

    @Slot(int)
    def delete_answer(self, answer_id: int) -> None:
        """Delete one answer (its subtree); the branch shows what is left, or a sibling."""
        if self.busy or self.session is None:
            return
        self.store.messages.delete(answer_id)
        self.refresh_thread()

    def refresh_thread(self) -> None:
        """Show the session's current branch as the store has it."""
        thread = self.session.thread() if self.session is not None else []
        shown = [shown_message(self.store, m) for m in thread if m.role in ("user", "assistant")]
        self.pane.view.set_messages(shown)
        self.pane.update_actions()

    def _refresh_list(self) -> None:
        if self.document_id is None:
            return
        items = [(c.id, c.title) for c in self.store.conversations.list(self.document_id)]
        current = self.session.conversation_id if self.session is not None else None
        self.pane.conversations.set_conversations(items, current)

    def new_conversation(self) -> None:
        if self.document is None or self.busy:
            return
        self.session = ChatSession.open(self.store, self.document, options=self.options)
        self.pane.meter.reset()
        self.refresh_thread()
        self._refresh_list()

    def rename(self, conversation_id: int, title: str) -> None:
        self.store.conversations.rename(conversation_id, title)
        self._refresh_list()

    def delete(self, conversation_id: int) -> None:
        if self.busy:
            return
        self.store.conversations.delete(conversation_id)
        if self.session is not None and self.session.conversation_id == conversation_id:
            self.session = None
            rest = self.store.conversations.list(self.document_id)
            if rest:
                self.show_conversation(rest[0].id)
                return
            self.refresh_thread()
        self._refresh_list()

    def show_branch(self, message_id: int) -> None:
        """Show the branch through ``message_id`` (its newest leaf)."""
        if self.session is None or self.busy:
            return
        leaf = self.store.messages.leaf_of(message_id)
        if leaf is not None:
            self.store.conversations.set_leaf(self.session.conversation_id, leaf.id)
            self.refresh_thread()

    # -- turns -----------------------------------------------------------------------------
    def ask(self, question: str) -> Job | None:
        if self.document is None or self.store is None:
            return None
        if self.session is None:
            self.new_conversation()
        self._question = ShownMessage(-1, "user", question)
        self._cut_at = None

        def turn(s: ChatSession, engine: Engine, model: InstalledModel, c: Any, e: Any) -> Any:
            return s.ask(engine, model, question, c, e)

        return self._run(turn, question)

    def regenerate(self, answer_id: int) -> Job | None:
        self._question, self._cut_at = None, answer_id

        def turn(s: ChatSession, engine: Engine, model: InstalledModel, c: Any, e: Any) -> Any:
            return s.regenerate(engine, model, answer_id, c, e)

        return self._run(turn)

    def edit(self, question_id: int, text: str) -> Job | None:
        self._question, self._cut_at = ShownMessage(-1, "user", text), question_id

        def turn(s: ChatSession, engine: Engine, model: InstalledModel, c: Any, e: Any) -> Any:
            return s.edit(engine, model, question_id, text, c, e)

        return self._run(turn)

    def _run(self, turn: Turn, question: str | None = None) -> Job | None:
        """Run ``turn`` as an engine job (``question``: a new question, which the script facts
        may answer without a model)."""
        choice = self.pane.model_picker.choice()
        session = self.session
        if self.busy or session is None or choice is None:
            if choice is None:
                self.tell("Choose a model for the chat first.")
            return None
        if not check_fit_before_load(self.pane, choice, tell=lambda _w, text: self.tell(text)):
            return None
        self._model_label = choice.label
        self._server = None
        if choice.is_remote:  # on a server: opened on the engine thread, no local model
            self._server = _server_of(choice)
            job = remote_turn_job(self.host, session, choice, turn, question)
        else:
            job = self.host.job(self._work(session, choice, turn, question), name="chat turn")
        self.job = job
        job.on_event(self.on_event).failure(self._on_failed).done(self._on_done)
        self.pane.set_busy(True)
        self.busyChanged.emit(True)
        if self._question is not None:  # the question shows at once, before the model loads
            self._cut()
            self.pane.view.messages.append(self._question)
            self.pane.view.flush(force=True)
        self.status("Starting…")
        job.run()
        return job

    @staticmethod
    def _work(session: ChatSession, choice: ModelChoice, turn: Turn, question: str | None) -> Any:
        def work(engine: Engine, cancel: CancelToken, emit: Emit) -> TurnResult:
            facts = question is not None and session.answers_from_facts(question)
            model = None if facts else resolve_model(engine, choice, emit)  # facts: no model
            return turn(session, engine, model, cancel, emit)  # type: ignore[arg-type]

        return work

    def prepare(self) -> Job | None:
        """Load the model and read the script part while the first question is typed (once per
        conversation and model); the question then queues behind it on the engine thread."""
        choice = self.pane.model_picker.choice()
        if self.document is None or self.store is None or self.busy or choice is None:
            return None
        if self.prepare_job is not None or choice.is_remote:  # a server reads with the question
            return None
        if self.session is None:
            self.new_conversation()
        session = self.session
        if session is None:  # (new_conversation always makes one)
            return None
        if self._prepared == (session.conversation_id, choice.model_id):
            return None
        self._prepared = (session.conversation_id, choice.model_id)
        self._model_label = choice.label

        def work(engine: Engine, cancel: CancelToken, emit: Emit) -> object:
            return session.prepare(engine, resolve_model(engine, choice, emit), cancel, emit)

        job = self.host.job(work, name="chat prepare")
        self.prepare_job = job
        job.on_event(self.on_event).failure(self._on_prepare_failed).done(self._on_prepared)
        job.run()
        return job

    def _on_prepare_failed(self, exc: BaseException) -> None:
        self._prepared = None
        if self.prepare_job is not None and not self.prepare_job.cancel.cancelled:
            self.tell(user_message(exc))

    def _on_prepared(self) -> None:
        self.prepare_job = None
        self.pane.meter.hide_reading()
        if self.job is None:
            self.status("")
            self._measure_timer.start()

    def measure(self) -> Job | None:
        """Update the meter for the question being typed (script, history, question and the
        answer's room against the usable context), before it is sent. Skipped while the
        engine is busy: the turn reports its own figures when it starts."""
        session, choice = self.session, self.pane.model_picker.choice()
        if session is None or self.busy or self.prepare_job is not None or self.host.busy:
            return None
        if choice is not None and choice.is_remote:  # measured against the local model only
            return None
        text = self.pane.composer.text

        def work(engine: Engine, _cancel: CancelToken, _emit: Emit) -> object:
            return session.measure(engine, text)

        job = self.host.job(work, name="chat meter")
        job.success(lambda use: use is not None and self.pane.meter.show_use(use))
        job.run()
        return job

    def stop(self) -> None:
        if self.prepare_job is not None:
            self.prepare_job.cancel.cancel()
        if self.job is not None:
            self.job.cancel.cancel()
            self.status("Stopping…")

    def _cut(self) -> None:
        """Drop, on screen, the message the new branch replaces and everything after it."""
        view = self.pane.view
        if self._cut_at is not None:
            ids = [m.id for m in view.messages]
            if self._cut_at in ids:
                view.messages = view.messages[: ids.index(self._cut_at)]
            self._cut_at = None

    # -- events ----------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        view, meter = self.pane.view, self.pane.meter
        if isinstance(event, AnswerText):
            if meter.reading:
                meter.hide_reading()
                self.status(f"{self._model_label} is answering…")
            view.append_answer(event.text, event.retract)
        elif isinstance(event, TurnStarted):
            self._cut()
            if view.messages and view.messages[-1].id == -1:
                view.messages[-1] = ShownMessage(
                    event.user_message_id, "user", view.messages[-1].text
                )
            view.begin_answer(event.assistant_message_id)
            if self._server is not None and event.model != FACTS_MODEL:  # facts: nothing sent
                view.set_badge(stored_answer_badge({"server": self._server}))
            self.status(f"{self._model_label} is answering…")
        elif isinstance(event, ContextUse):
            meter.show_use(event)
        elif isinstance(event, Reading):
            meter.show_reading(event)
            if event.script:
                self.status("Reading the script (once: it is kept for the next questions)…")
        elif isinstance(event, TurnFinished):
            self._on_turn_finished(event.result)
        elif isinstance(event, Notice):
            self._notices.append(event.message)
            view.add_notice(event.message)
        elif isinstance(event, LoadProgress):
            percent = event.done * 100 // event.total if event.total else 100
            self.status(f"Loading {self._model_label}… {percent}%")
        elif isinstance(event, StatusText):
            self.status(event.text)
        elif isinstance(event, ModelLoaded):
            self.status(f"{self._model_label} loaded")
        else:
            log.debug("Unhandled chat event %s", type(event).__name__)

    def _on_turn_finished(self, result: TurnResult) -> None:
        server = self._server if result.source == "model" else None  # facts: nothing sent
        if server is not None and result.message_id and self.store is not None:
            mark_stored_answer(self.store, result.message_id, server)
        stats = result.stats.one_line() if result.stats is not None else ""
        self.pane.view.finish_answer(result.text, result.reason, stats, result.message_id or None)
        self.pane.meter.hide_reading()
        if result.error is not None:
            self.tell(user_message(result.error))
        self.turnFinished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        """The turn failed before it began (e.g. the model did not load)."""
        self.pane.view.finish_answer(None, "error")
        self.tell(user_message(exc))

    def _on_done(self) -> None:
        self.job = None
        self.pane.meter.hide_reading()
        self.refresh_thread()  # the store's view: checked text, ids, branches
        for notice in self._notices:  # notices are not stored: keep this turn's on screen
            self.pane.view.add_notice(notice)
        self._notices = []
        self.pane.view.flush()
        self._refresh_list()
        self.pane.set_busy(False)
        self.status("")
        self.busyChanged.emit(False)
        self._measure_timer.start()  # the next question's meter (this exchange is history now)


def _server_of(choice: ModelChoice) -> dict[str, Any] | None:
    """The server record of a remote choice's entry, for its answers' badge (None: it is gone;
    the turn then fails with the reason)."""
    from logline.models.servers import ServerEntryError, get_server

    try:
        return server_record(get_server(choice.server or ""))
    except (ServerEntryError, OSError):
        return None
