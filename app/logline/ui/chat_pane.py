"""The chat pane: a model picker on top, the document's conversations, the transcript, the context
meter, the question box and the answer's actions (Copy, Regenerate, Edit).

The pane only shows and asks; :class:`~logline.ui.chat_presenter.ChatPresenter` runs the turns.
Choosing another model mid-conversation keeps the conversation and says which model the next
answer uses.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from logline.ui.chat_composer import ChatComposer
from logline.ui.chat_view import IDLE_HINT, NO_DOCUMENT_HINT, ChatView, ShownMessage
from logline.ui.context_meter import ContextMeter
from logline.ui.conversation_list import ConversationList
from logline.ui.model_picker import ModelPicker

__all__ = ["ChatPane", "switch_notice"]


def switch_notice(label: str) -> str:
    return f"The next answer uses {label}."


class ChatPane(QWidget):
    askRequested = Signal(str)
    editRequested = Signal(int, str)  # the question's message id, the new text
    regenerateRequested = Signal(int)  # the answer's message id
    deleteRequested = Signal(int)  # the answer's message id (after the user confirmed)
    stopRequested = Signal()
    modelSwitched = Signal(str)  # the label of the model the next answer uses

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model_picker = ModelPicker(self)
        self.model_picker.setObjectName("chatModelPicker")
        self.model_picker.setAccessibleName("Model for the chat")
        self.model_picker.setToolTip("The model that writes the answers")
        self.model_picker.setAccessibleDescription("The model that writes the chat's answers")
        self.conversations = ConversationList(self)
        self.view = ChatView(self)
        self.meter = ContextMeter(self)
        self.composer = ChatComposer(self)
        self.copy_button = self._action("Copy answer", "Copy the last answer as Markdown")
        self.regenerate_button = self._action("Regenerate", "Write the last answer again")
        self.edit_button = self._action("Edit question", "Rewrite the last question and resend")
        self.delete_button = self._action(
            "Delete answer", "Delete the last answer (other answers to its question are kept)"
        )
        self.confirm: QMessageBox | None = None
        self.edit_note = QLabel(self)
        self.edit_note.setObjectName("chatEditNote")
        self.edit_note.setWordWrap(True)
        self.edit_note.hide()
        self.editing: int | None = None  # the question being edited
        self._build()
        self.composer.submitted.connect(self._on_submitted)
        self.composer.stopRequested.connect(self.stopRequested)
        self.copy_button.clicked.connect(self.copy_answer)
        self.regenerate_button.clicked.connect(self._on_regenerate)
        self.edit_button.clicked.connect(self.start_edit)
        self.delete_button.clicked.connect(self.ask_delete)
        self.composer.edit.textChanged.connect(self._maybe_cancel_edit)
        self.model_picker.activated.connect(self._on_model_activated)
        self.set_busy(False)

    def _action(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        return button

    def _build(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        model_label = QLabel("Model", self)
        model_label.setObjectName("chatModelLabel")
        top.addWidget(model_label)
        top.addWidget(self.model_picker, 1)
        actions = QHBoxLayout()
        actions.setContentsMargins(8, 0, 8, 0)
        for button in (
            self.copy_button,
            self.regenerate_button,
            self.edit_button,
            self.delete_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.conversations)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.meter)
        layout.addLayout(actions)
        layout.addWidget(self.edit_note)
        layout.addWidget(self.composer)

    # -- state -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        """While a turn runs: Stop instead of Send, no other action, no switching."""
        self.composer.set_busy(busy)
        self.conversations.setEnabled(not busy)
        self.model_picker.setEnabled(not busy)
        self.update_actions()

    def set_document_open(self, is_open: bool) -> None:
        if self.view.placeholderText() in (IDLE_HINT, NO_DOCUMENT_HINT):  # not a warning's
            self.view.setPlaceholderText(IDLE_HINT if is_open else NO_DOCUMENT_HINT)
        self.composer.setEnabled(is_open)
        self.conversations.setEnabled(is_open and not self.composer.busy)
        self.update_actions()

    def update_actions(self) -> None:
        idle = not self.composer.busy and self.composer.isEnabled()
        answer = self.last_message("assistant")
        self.copy_button.setEnabled(answer is not None and bool(answer.text))
        self.regenerate_button.setEnabled(idle and answer is not None and answer.id > 0)
        self.edit_button.setEnabled(idle and self.last_message("user") is not None)
        self.delete_button.setEnabled(idle and answer is not None and answer.id > 0)

    def last_message(self, role: str) -> ShownMessage | None:
        for message in reversed(self.view.messages):
            if message.role == role and message.id > 0:
                return message
        return None

    # -- actions ---------------------------------------------------------------------------
    @Slot(str)
    def _on_submitted(self, text: str) -> None:
        editing, self.editing = self.editing, None
        self.edit_note.hide()
        if editing is not None:
            self.editRequested.emit(editing, text)
        else:
            self.askRequested.emit(text)

    @Slot()
    def copy_answer(self) -> None:
        answer = self.last_message("assistant")
        if answer is not None:
            QApplication.clipboard().setText(answer.text)

    @Slot()
    def _on_regenerate(self) -> None:
        answer = self.last_message("assistant")
        if answer is not None:
            self.regenerateRequested.emit(answer.id)

    @Slot()
    def ask_delete(self) -> None:
        """Confirm (without blocking the window), then ask for the last answer's deletion."""
        answer = self.last_message("assistant")
        if answer is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete answer",
            "Delete this answer? Other answers to the same question are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(
            lambda button: button is yes and self.deleteRequested.emit(answer.id)
        )
        self.confirm = box
        box.open()

    @Slot()
    def start_edit(self) -> None:
        """Put the last question in the box; sending it makes a new branch (the old is kept)."""
        question = self.last_message("user")
        if question is None:
            return
        self.editing = question.id
        self.composer.set_text(question.text)
        self.edit_note.setText(
            "Editing your last question: Enter sends it as a new branch (the earlier one is "
            "kept). Clear the box to cancel."
        )
        self.edit_note.show()

    @Slot()
    def _maybe_cancel_edit(self) -> None:
        if not self.composer.text.strip() and self.editing is not None:
            self.cancel_edit()

    def cancel_edit(self) -> None:
        self.editing = None
        self.edit_note.hide()

    @Slot(int)
    def _on_model_activated(self, _index: int) -> None:
        choice = self.model_picker.choice()
        if choice is None:
            return
        if any(message.role == "assistant" for message in self.view.messages):
            self.view.add_notice(switch_notice(choice.label))
            self.view.flush()
        self.modelSwitched.emit(choice.label)
