"""The Settings window's Prompts page: the prompt templates, each shipped with the app or
overridden by the user's copy in ``data_dir()/prompts`` (which the summarizer and the chat read
when present and valid, see :mod:`logline.summarize.prompt_files`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from logline.summarize.prompt_files import (
    SUFFIX,
    shipped_names,
    shipped_template,
    user_prompts_dir,
)
from logline.ui.settings_form import InlineMessage, described, note

log = logging.getLogger(__name__)

USER_MARK = " — your copy"

Opener = Callable[[Path], object]


def open_in_system(path: Path) -> bool:
    """Open ``path`` with the system's app for it (a text editor, a file manager)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def user_copy(name: str) -> Path:
    return user_prompts_dir() / f"{name}{SUFFIX}"


def make_user_copy(name: str) -> Path:
    """The user's copy of template ``name``, written from the shipped one when missing."""
    path = user_copy(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(shipped_template(name) + "\n", encoding="utf-8")
        log.info("Wrote an editable copy of the prompt template %s", name)
    return path


class PromptsPage(QWidget):
    """The templates, with Open User Copy, Reset and Show Folder."""

    def __init__(self, parent: QWidget | None = None, opener: Opener = open_in_system) -> None:
        super().__init__(parent)
        self.opener = opener
        self.confirm: QMessageBox | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Summaries and answers are written from these templates. Your copy of one, "
                "once saved, replaces the shipped one (a copy with a mistake is ignored and "
                "the log says why)."
            )
        )
        self.list = described(
            QListWidget(),
            "Prompt templates",
            "The prompt templates; those marked “your copy” use the copy in your data folder.",
        )
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.open_button = described(
            QPushButton("&Open User Copy"),
            "Open user copy",
            "Open your editable copy of the selected template (made from the shipped one "
            "the first time).",
        )
        self.reset_button = described(
            QPushButton("&Reset…"),
            "Reset template",
            "Delete your copy of the selected template: the shipped one is used again.",
        )
        self.folder_button = described(
            QPushButton("Show &Folder"),
            "Show prompts folder",
            f"Open the folder of your copies ({user_prompts_dir()}).",
        )
        for button in (self.open_button, self.reset_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = InlineMessage(self)
        layout.addWidget(self.message)
        self.list.currentRowChanged.connect(self._update_buttons)
        self.open_button.clicked.connect(self.open_copy)
        self.reset_button.clicked.connect(self.ask_reset)
        self.folder_button.clicked.connect(self.show_folder)
        self.fill()

    def fill(self) -> None:
        current = self.current_name()
        self.list.clear()
        for name in shipped_names():
            text = name + (USER_MARK if user_copy(name).is_file() else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(str(user_copy(name)) if user_copy(name).is_file() else "Shipped")
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    @Slot()
    def _update_buttons(self) -> None:
        name = self.current_name()
        self.open_button.setEnabled(name is not None)
        self.reset_button.setEnabled(name is not None and user_copy(name).is_file())

    @Slot()
    def open_copy(self) -> Path | None:
        name = self.current_name()
        if name is None:
            return None
        try:
            path = make_user_copy(name)
        except OSError as exc:
            self.message.say(f"Could not write your copy of {name}: {exc.strerror or exc}.")
            return None
        self.message.say(None)
        self.fill()
        self.opener(path)
        return path

    @Slot()
    def ask_reset(self) -> QMessageBox | None:
        """Ask (without blocking) before deleting the user's copy of the selected template."""
        name = self.current_name()
        if name is None or not user_copy(name).is_file():
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reset the template?",
            f"Delete your copy of “{name}”? The shipped template is used again.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        reset = box.addButton("Delete My Copy", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("resetPromptBox")
        box.buttonClicked.connect(lambda button: self.reset(name) if button is reset else None)
        self.confirm = box
        box.open()
        return box

    def reset(self, name: str) -> None:
        try:
            user_copy(name).unlink(missing_ok=True)
        except OSError as exc:
            self.message.say(f"Could not delete your copy of {name}: {exc.strerror or exc}.")
            return
        self.message.say(None)
        log.info("Deleted the user's copy of the prompt template %s", name)
        self.fill()

    @Slot()
    def show_folder(self) -> None:
        folder = user_prompts_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self.opener(folder)
