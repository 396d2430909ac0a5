"""The chat pane: its model picker at the top, the conversation list, the transcript, the
context meter, the question box and the answer's actions (Stop, Copy, Regenerate, Edit)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from logline.ui.chat_composer import ChatComposer
from logline.ui.chat_view import ChatView
from logline.ui.context_meter import ContextMeter
from logline.ui.conversation_list import ConversationList
from logline.ui.model_picker import ModelPicker


class ChatPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 0, 10, 10)
        layout.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:", self))
        self.model_picker = ModelPicker(self)
        self.model_picker.setToolTip("The model that writes the next answer")
        top.addWidget(self.model_picker, 1)
        layout.addLayout(top)
        self.conversations = ConversationList(self)
        layout.addWidget(self.conversations)
        self.view = ChatView(self)
        layout.addWidget(self.view, 1)
        self.notice = QLabel("", self)
        self.notice.setObjectName("chatNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.meter = ContextMeter(self)
        layout.addWidget(self.meter)
        self.composer = ChatComposer(self)
        layout.addWidget(self.composer)
        actions = QHBoxLayout()
        self.send_button = QPushButton("Send", self)
        self.stop_button = QPushButton("Stop", self)
        self.copy_button = QPushButton("Copy answer", self)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.edit_button = QPushButton("Edit question", self)
        self.stop_button.hide()
        for button in (
            self.send_button,
            self.stop_button,
            self.copy_button,
            self.regenerate_button,
            self.edit_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.send_button.clicked.connect(self.composer.submit)

    def set_busy(self, busy: bool) -> None:
        """While an answer is written: Stop instead of Send, the other actions off."""
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        for widget in (self.regenerate_button, self.edit_button, self.conversations):
            widget.setEnabled(not busy)
        self.composer.setReadOnly(busy)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
