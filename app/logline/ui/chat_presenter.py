"""Wires the chat pane to the store and to ``ChatSession`` turns run as engine jobs.

Every turn is one ``EngineHost.job`` (the app's one background-job path): ask, regenerate and
edit run ``ChatSession`` on the engine thread; their events arrive here on the GUI thread and
are painted by the pane. The store is the truth: when a turn ends (or fails, or stops) the shown
branch is read back from it, so what the window shows is what a restart restores.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication

from logline.chat.events import (
    AnswerText,
    ContextUse,
    Notice,
    Reading,
    TurnFinished,
    TurnStarted,
)
from logline.chat.session import ChatSession
from logline.engine.events import LoadProgress, ModelLoaded
from logline.messages import user_message
from logline.ui.chat_pane import ChatPane
from logline.ui.chat_view import ShownMessage
from logline.ui.engine_jobs import StatusText, chat_work

log = logging.getLogger(__name__)

NO_STORE = "Conversations are not available: the store could not be opened."


def shown_branch(store: Any, thread: list[Any]) -> list[ShownMessage]:
    """The store's branch as the view shows it, with each message's place among its siblings."""
    shown = []
    for message in thread:
        siblings = store.messages.siblings(message.id)
        ids = [s.id for s in siblings]
        index = ids.index(message.id) if message.id in ids else 0
        shown.append(
            ShownMessage(
                message.id,
                message.role,
                message.content,
                message.model,
                message.finish_reason,
                dict(message.stats),
                (index + 1, len(ids)),
                ids[index - 1] if index > 0 else None,
                ids[index + 1] if index + 1 < len(ids) else None,
            )
        )
    return shown


class ChatPresenter(QObject):
    busyChanged = Signal(bool)
    turnFinished = Signal(object)  # the TurnResult
    conversationShown = Signal(int)  # a conversation id (restored or chosen)

    def __init__(self, pane: ChatPane, host: Any, store: Any, status: Any, parent=None) -> None:
        super().__init__(parent)
        self.pane = pane
        self.host = host
        self.store = store
        self.status = status
        self.document: Any = None
        self.session: ChatSession | None = None
        self.job: Any = None
        self._editing: int | None = None  # the question being rewritten
        self._last_model = ""
        view = pane.view
        pane.composer.submitted.connect(self.submit)
        pane.stop_button.clicked.connect(self.stop)
        pane.copy_button.clicked.connect(self.copy_answer)
        pane.regenerate_button.clicked.connect(self.regenerate)
        pane.edit_button.clicked.connect(self.start_edit)
        pane.conversations.chosen.connect(self.show_conversation)
        pane.conversations.newRequested.connect(self.new_conversation)
        pane.conversations.renamed.connect(self.rename)
        pane.conversations.deleted.connect(self.delete)
        pane.model_picker.currentIndexChanged.connect(self._on_model_changed)
        view.branchRequested.connect(self.show_branch)
        self._update()

    # -- state ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None

    def _update(self) -> None:
        ready = self.document is not None and self.store is not None
        self.pane.setEnabled(ready or self.busy)
        has_answer = any(m.role == "assistant" for m in self.pane.view.messages)
        self.pane.regenerate_button.setEnabled(ready and has_answer and not self.busy)
        self.pane.edit_button.setEnabled(ready and has_answer and not self.busy)
        self.pane.copy_button.setEnabled(has_answer)
        self.pane.set_busy(self.busy)

    # -- documents and conversations -------------------------------------------------------
    def open_document(self, document: Any) -> None:
        """Show the document's latest conversation (restored from the store), or none yet."""
        self.document = document
        self.session = None
        self._editing = None
        self.pane.meter.set_use(None)
        self.pane.show_notice("" if self.store is not None else NO_STORE)
        if self.store is None:
            self._update()
            return
        from logline.summarize.stored import register

        record = register(self.store, document)
        conversations = self.store.conversations.list(record.id)
        if conversations:
            self.show_conversation(conversations[0].id)
        else:
            self._refresh_list(None)
            self.pane.view.show_messages([])
        self._update()

    def _refresh_list(self, current: int | None) -> None:
        items = []
        if self.store is not None and self.session is not None:
            items = [
                (c.id, c.title) for c in self.store.conversations.list(self.session.document_id)
            ]
        elif self.store is not None and self.document is not None:
            from logline.summarize.stored import register

            record = register(self.store, self.document)
            items = [(c.id, c.title) for c in self.store.conversations.list(record.id)]
        self.pane.conversations.set_conversations(items, current)

    @Slot(int)
    def show_conversation(self, conversation_id: int) -> None:
        if self.document is None or self.store is None or self.busy:
            return
        self.session = ChatSession.open(self.store, self.document, conversation_id=conversation_id)
        self._refresh_list(conversation_id)
        self._show_thread()
        self.conversationShown.emit(conversation_id)

    def _show_thread(self) -> None:
        thread = self.session.thread() if self.session is not None else []
        self.pane.view.show_messages(shown_branch(self.store, thread))
        models = [m.model for m in thread if m.role == "assistant" and m.model]
        self._last_model = models[-1] if models else ""
        self._update()

    @Slot()
    def new_conversation(self) -> None:
        if self.busy:
            return
        self.session = None  # created with the first question
        self.pane.view.show_messages([])
        self.pane.meter.set_use(None)
        new: list = [(None, "New conversation")]
        self.pane.conversations.set_conversations([*new, *self._items()], None)
        self._update()

    def _items(self) -> list[tuple[int, str]]:
        if self.store is None or self.document is None:
            return []
        from logline.summarize.stored import register

        record = register(self.store, self.document)
        return [(c.id, c.title) for c in self.store.conversations.list(record.id)]

    @Slot(int, str)
    def rename(self, conversation_id: int, title: str) -> None:
        self.store.conversations.rename(conversation_id, title)
        self._refresh_list(conversation_id)

    @Slot(int)
    def delete(self, conversation_id: int) -> None:
        if self.busy:
            return
        self.store.conversations.delete(conversation_id)
        if self.session is not None and self.session.conversation_id == conversation_id:
            self.session = None
        remaining = self._items()
        if remaining:
            self.show_conversation(remaining[0][0])
        else:
            self.new_conversation()

    @Slot(int)
    def show_branch(self, message_id: int) -> None:
        """Show the branch through ``message_id`` (its newest leaf)."""
        if self.session is None or self.busy:
            return
        leaf = self.store.messages.leaf_of(message_id)
        if leaf is not None:
            self.store.conversations.set_leaf(self.session.conversation_id, leaf.id)
            self._show_thread()

    # -- turns ----------------------------------------------------------------------------
    @Slot(str)
    def submit(self, text: str) -> None:
        if self._editing is not None:
            question, self._editing = self._editing, None
            self._run("edit", question, text, shown_question=text)
        else:
            self._run("ask", text, shown_question=text)

    @Slot()
    def regenerate(self) -> None:
        answer = next((m for m in reversed(self.pane.view.messages) if m.role == "assistant"), None)
        if answer is not None and answer.id:
            self._run("regenerate", answer.id, drop_last=True)

    @Slot()
    def start_edit(self) -> None:
        question = next((m for m in reversed(self.pane.view.messages) if m.role == "user"), None)
        if question is None or self.busy:
            return
        self._editing = question.id
        self.pane.composer.setPlainText(question.content)
        self.pane.composer.setFocus()
        self.pane.show_notice("Edit the question and press Enter: the earlier answer is kept.")

    def _run(
        self, action: str, *args: object, shown_question: str = "", drop_last: bool = False
    ) -> None:
        if self.busy or self.document is None or self.store is None:
            return
        if self.session is None:
            self.session = ChatSession.open(self.store, self.document, model_id=self._model_id())
            self._refresh_list(self.session.conversation_id)
        choice = self.pane.model_picker.choice()
        view = self.pane.view
        if action == "edit":
            index = next(
                (i for i, m in enumerate(view.messages) if m.id == args[0]), len(view.messages)
            )
            view.show_messages(view.messages[:index])
        if drop_last and view.messages and view.messages[-1].role == "assistant":
            view.show_messages(view.messages[:-1])
        if shown_question:
            view.add_message(ShownMessage(0, "user", shown_question))
        self.pane.show_notice("")
        job = self.host.job(chat_work(self.session, choice, action, *args), name="chat")
        self.job = job
        job.on_event(self.on_event).success(self._on_result).failure(self._on_failed).done(
            self._on_done
        )
        self.busyChanged.emit(True)
        self._update()
        job.run()

    def _model_id(self) -> str:
        choice = self.pane.model_picker.choice()
        return choice.model_id if choice is not None else ""

    @Slot()
    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel.cancel()
            self.status.message("Stopping the answer…")

    def on_event(self, event: object) -> None:
        view = self.pane.view
        if isinstance(event, AnswerText):
            view.append(event.text, event.retract)
        elif isinstance(event, TurnStarted):
            view.begin_answer(event.assistant_message_id, event.model)
            self.status.message(f"Writing with {event.model}…")
        elif isinstance(event, ContextUse):
            self.pane.meter.set_use(event)
        elif isinstance(event, Reading):
            if event.script:
                self.pane.meter.set_reading(event.done, event.total)
                self.status.message("Reading the script once (kept for next time)…")
        elif isinstance(event, Notice):
            self.pane.show_notice(event.message)
        elif isinstance(event, StatusText):
            self.status.message(event.text)
        elif isinstance(event, LoadProgress) and event.total:
            self.status.message(f"Loading the model… {event.done * 100 // event.total}%")
        elif isinstance(event, ModelLoaded):
            self.status.message(f"{event.model_id} ready", 3000)
        elif isinstance(event, TurnFinished):
            view.end_answer()

    def _on_result(self, result: Any) -> None:
        self.pane.meter.set_reading(0, 0)
        if result is not None and result.error is not None:
            self.pane.show_notice(user_message(result.error, "answer"))
        self.turnFinished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        log.info("Chat turn failed: %s", type(exc).__name__)
        self.pane.meter.set_reading(0, 0)
        self.pane.show_notice(user_message(exc, "answer"))
        self.turnFinished.emit(None)

    def _on_done(self) -> None:
        self.job = None
        self.status.message("")
        if self.session is not None:
            self._refresh_list(self.session.conversation_id)  # a first question names it
        self._show_thread()  # the store is the truth: ids, branches, stats, finish reasons
        self.busyChanged.emit(False)

    @Slot()
    def copy_answer(self) -> None:
        answer = next((m for m in reversed(self.pane.view.messages) if m.role == "assistant"), None)
        if answer is not None:
            QApplication.clipboard().setText(answer.content)
            self.status.message("Answer copied", 3000)

    @Slot(int)
    def _on_model_changed(self, _index: int) -> None:
        choice = self.pane.model_picker.choice()
        if choice is None or not self.pane.view.messages or not self._last_model:
            return
        if choice.model_id != self._last_model:
            self.pane.show_notice(
                f"The next answer uses {choice.label}; the conversation so far is kept."
            )
