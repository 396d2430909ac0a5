"""Copy that keeps formatting: a summary's selection (or all of it) goes to the clipboard as rich
text (``text/html``), Markdown (``text/markdown``) and plain text, so it pastes with its headings
and lists into a word processor, as Markdown into an editor, and as text anywhere else.

Ctrl+C (Cmd+C) in a view given :func:`install_rich_copy`, Edit > Copy and Edit > Copy Summary
all end here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QTextDocumentFragment
from PySide6.QtWidgets import QTextEdit

MARKDOWN_MIME = "text/markdown"


def fragment_mime(fragment: QTextDocumentFragment) -> QMimeData:
    """``fragment`` as HTML, Markdown and plain text."""
    mime = QMimeData()
    mime.setHtml(fragment.toHtml())
    mime.setData(MARKDOWN_MIME, fragment.toMarkdown().encode("utf-8"))
    mime.setText(fragment.toPlainText())
    return mime


def view_mime(view: QTextEdit, whole: bool = False) -> QMimeData | None:
    """The view's selection (its whole text with ``whole``) as rich data; None when empty."""
    cursor = view.textCursor()
    if whole or not cursor.hasSelection():
        if not whole:
            return None
        fragment = QTextDocumentFragment(view.document())
    else:
        fragment = cursor.selection()
    if fragment.isEmpty() or not fragment.toPlainText().strip():
        return None
    return fragment_mime(fragment)


def copy_rich(view: QTextEdit, whole: bool = False) -> bool:
    """Put the view's selection (or all of it) on the clipboard; False when there was none."""
    mime = view_mime(view, whole)
    if mime is None:
        return False
    QGuiApplication.clipboard().setMimeData(mime)
    return True


class _CopyKeys(QObject):
    """Takes the Copy key of one text view, so it copies the rich data too."""

    def __init__(self, view: QTextEdit) -> None:
        super().__init__(view)
        self._view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key_event = event if isinstance(event, QKeyEvent) else None
            if key_event is not None and key_event.matches(QKeySequence.StandardKey.Copy):
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()  # the view, not the window's Edit > Copy, takes the key
                    return True
                if self._view.textCursor().hasSelection():
                    copy_rich(self._view)
                return True
        return super().eventFilter(watched, event)


def install_rich_copy(view: QTextEdit) -> None:
    """Make the Copy key in ``view`` copy HTML, Markdown and plain text."""
    view.installEventFilter(_CopyKeys(view))
