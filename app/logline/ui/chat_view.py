"""The chat transcript: questions and answers as Markdown, the answer streaming in batches.

Each message is a framed block (the user's tinted with the palette's highlight colour, the
answer on the base colour, notices tinted amber), so both stand apart in light and dark palettes.
Under each answer: its stats line (``MessageStats.one_line``), how it ended when it did not end
normally ("Stopped", "Cut at the length limit"…) and, where the message has sibling branches, a
``‹ 2/3 ›`` indicator whose arrows emit ``branchRequested(sibling message id)``.

Citations such as ``(Sc. 12, p. 34)`` become links (``scene:12``) that emit
``sceneRequested(12)``. Streamed text is buffered and the transcript repainted at most every
``FLUSH_INTERVAL_MS`` (longer when a repaint gets slow), as the summary view does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFrameFormat,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from logline.ui.placeholder import WrappedPlaceholder

__all__ = ["FINISH_LABELS", "ChatView", "ShownMessage", "linkify_citations"]

FLUSH_INTERVAL_MS = 50
MAX_FLUSH_INTERVAL_MS = 500
IDLE_HINT = "Ask a question about the open document: the answers cite its scenes."
NO_DOCUMENT_HINT = "Open a document to ask questions about it: the answers cite its scenes."

# How an answer ended, when it did not simply finish.
FINISH_LABELS = {
    "stopped": "Stopped",
    "length": "Cut at the length limit",
    "repetition": "Ended where the model began repeating itself",
    "error": "Failed",
}
ROLE_TITLES = {"user": "You", "assistant": "Answer", "notice": "Notice"}

# A citation group: "(Sc. 12, p. 34)", "(Scene 3)", "(Sc. 2, p. 1, Sc. 4, p. 1)"; not a flagged
# one ("(⚠ Sc. 99 — not in this script)"). Each scene reference in it becomes a link.
_GROUP_RE = re.compile(r"\((?!⚠)[^()\n\[\]]{0,300}\)")
_SCENE_RE = re.compile(r"\b(Sc\.?|Scenes?)\s*(\d+)\b", re.IGNORECASE)


def linkify_citations(text: str) -> str:
    """``text`` (Markdown) with each scene reference of a citation made a link to ``scene:N``."""

    def group(match: re.Match[str]) -> str:
        return _SCENE_RE.sub(lambda m: f"[{m.group(0)}](scene:{m.group(2)})", match.group(0))

    return _GROUP_RE.sub(group, text)


@dataclass(frozen=True)
class ShownMessage:
    """One message as the transcript shows it.

    ``branch`` is (position from 1, count) among its siblings; ``previous``/``next`` the ids of
    the neighbouring siblings (None at an end). ``finish_reason`` None means still streaming.
    """

    id: int
    role: str  # user | assistant | notice
    text: str
    finish_reason: str | None = "done"
    stats_line: str = ""
    branch: tuple[int, int] = (1, 1)
    previous: int | None = None
    next: int | None = None
    badge: str = ""  # where a server wrote the answer ("on render-01 · sent to 10.0.0.5")


def _mix(a: QColor, b: QColor, share: float) -> QColor:
    """``a`` with ``share`` of ``b`` mixed in."""
    return QColor(
        round(a.red() * (1 - share) + b.red() * share),
        round(a.green() * (1 - share) + b.green() * share),
        round(a.blue() * (1 - share) + b.blue() * share),
    )


class ChatView(WrappedPlaceholder, QTextBrowser):
    """The transcript. Feed it whole messages (:meth:`set_messages`), then stream an answer with
    :meth:`begin_answer`, :meth:`append_answer` and :meth:`finish_answer`."""

    sceneRequested = Signal(int)
    branchRequested = Signal(int)  # the sibling message to show instead

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName("Conversation")
        self.setAccessibleDescription(
            "The questions and answers about the open document; cited scenes are links"
        )
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setPlaceholderText(IDLE_HINT)
        self.messages: list[ShownMessage] = []
        self.renders = 0  # how many times the transcript was painted (for tests and logs)
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        self.anchorClicked.connect(self._on_anchor)

    # -- content ---------------------------------------------------------------------------
    def set_messages(self, messages: list[ShownMessage]) -> None:
        """Show ``messages`` (a conversation's shown branch) now."""
        self._timer.stop()
        self._pending = False
        self.messages = list(messages)
        self._render()

    def add_notice(self, text: str) -> None:
        self.messages.append(ShownMessage(0, "notice", text))
        self._schedule()

    def begin_answer(self, message_id: int, question: ShownMessage | None = None) -> None:
        """An answer starts streaming (after ``question``, when it is not shown yet)."""
        if question is not None and all(m.id != question.id for m in self.messages):
            self.messages.append(question)
        self.messages.append(ShownMessage(message_id, "assistant", "", None))
        self._schedule()

    def set_badge(self, badge: str) -> None:
        """Show ``badge`` (where a server writes it) on the streaming answer."""
        last = self.streaming
        if last is not None:
            self.messages[-1] = replace(last, badge=badge)
            self._schedule()

    @property
    def streaming(self) -> ShownMessage | None:
        last = self.messages[-1] if self.messages else None
        return last if last is not None and last.finish_reason is None else None

    def append_answer(self, text: str, retract: int = 0) -> None:
        """More of the streaming answer: drop ``retract`` characters, then add ``text``."""
        last = self.streaming
        if last is None:
            return
        kept = last.text[: max(len(last.text) - retract, 0)] if retract else last.text
        self.messages[-1] = replace(last, text=kept + text)
        self._schedule()

    def finish_answer(
        self, text: str | None, reason: str, stats_line: str = "", message_id: int | None = None
    ) -> None:
        """The streaming answer ended: ``text`` (checked) replaces what streamed when given."""
        last = self.streaming
        if last is None:
            return
        self.messages[-1] = replace(
            last,
            id=message_id or last.id,
            text=last.text if text is None else text,
            finish_reason=reason,
            stats_line=stats_line,
        )
        self.flush(force=True)

    def answer_text(self, message_id: int | None = None) -> str:
        """The text of answer ``message_id`` (default: the last answer shown)."""
        for message in reversed(self.messages):
            if message.role == "assistant" and message_id in (None, message.id):
                return message.text
        return ""

    # -- painting --------------------------------------------------------------------------
    @property
    def repaint_pending(self) -> bool:
        return self._timer.isActive()

    def _schedule(self) -> None:
        self._pending = True
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def flush(self, force: bool = False) -> None:
        """Paint what is buffered now."""
        self._timer.stop()
        if not self._pending and not force:
            return
        self._pending = False
        started = time.perf_counter()
        self._render()
        spent_ms = (time.perf_counter() - started) * 1000
        # A slow repaint (a long conversation) is done less often: at most ~25 % busy.
        self._timer.setInterval(
            min(MAX_FLUSH_INTERVAL_MS, max(FLUSH_INTERVAL_MS, int(spent_ms * 4)))
        )

    def _render(self) -> None:
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        value = bar.value()
        self.renders += 1
        self.clear()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()  # one layout pass for the whole transcript, not one per insert
        for index, message in enumerate(self.messages):
            self._insert_message(cursor, message, first=index == 0)
        cursor.endEditBlock()
        bar.setValue(bar.maximum() if at_end else value)

    def _colours(self, role: str) -> tuple[QColor, QColor]:
        """(background, border) for a message of ``role`` in the current palette."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        if role == "user":
            tint = palette.color(QPalette.ColorRole.Highlight)
            return _mix(base, tint, 0.16), _mix(base, tint, 0.45)
        if role == "notice":
            amber = QColor("#e0a000")
            return _mix(base, amber, 0.14), _mix(base, amber, 0.5)
        return base, _mix(base, text, 0.18)

    def _insert_message(self, cursor: QTextCursor, message: ShownMessage, *, first: bool) -> None:
        background, border = self._colours(message.role)
        frame = QTextFrameFormat()
        frame.setBackground(background)
        frame.setBorder(1)
        frame.setBorderBrush(border)
        frame.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        frame.setPadding(8)
        frame.setTopMargin(0 if first else 8)
        if message.role == "user":
            frame.setLeftMargin(28)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertFrame(frame)
        palette = self.palette()
        muted = _mix(
            palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.4
        ).name()
        title = ROLE_TITLES.get(message.role, message.role)
        cursor.insertHtml(f'<span style="color:{muted}; font-weight:600">{title}</span>')
        if message.badge:
            cursor.insertHtml(self._badge_html(message.badge))
        cursor.insertBlock()
        body = message.text if message.role == "notice" else linkify_citations(message.text)
        if body.strip():
            cursor.insertMarkdown(body.strip())
        elif message.finish_reason is None:
            cursor.insertHtml(f'<span style="color:{muted}">…</span>')
        footer = self._footer(message)
        if footer:
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())  # out of any list
            cursor.insertHtml(f'<span style="color:{muted}; font-size:small">{footer}</span>')
        cursor.movePosition(QTextCursor.MoveOperation.End)

    def _badge_html(self, badge: str) -> str:
        """The server badge beside an answer's title, tinted from the palette (both themes)."""
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        tint = _mix(base, QColor("#2f80d0"), 0.22).name()
        shown = badge.replace("&", "&amp;").replace("<", "&lt;")
        return (
            f'&nbsp;&nbsp;<span style="background-color:{tint}; color:{text.name()}; '
            f'font-size:small">&nbsp;{shown}&nbsp;</span>'
        )

    @staticmethod
    def _footer(message: ShownMessage) -> str:
        parts = []
        position, count = message.branch
        if count > 1:
            left = f'<a href="branch:{message.previous}">‹</a>' if message.previous else "‹"
            right = f'<a href="branch:{message.next}">›</a>' if message.next else "›"
            parts.append(
                f'<span style="font-size:large; font-weight:600">{left}</span> {position}/{count} '
                f'<span style="font-size:large; font-weight:600">{right}</span>'
            )
        label = FINISH_LABELS.get(message.finish_reason or "")
        if label:
            parts.append(f"<b>{label}</b>")
        if message.stats_line:
            parts.append(message.stats_line.replace("<", "&lt;"))
        return " · ".join(parts)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.messages:
            self._render()  # the frames' colours come from the palette

    # -- links -----------------------------------------------------------------------------
    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        self.open_link(url.toString())

    def open_link(self, href: str) -> None:
        """Act on a link of the transcript (``scene:N`` or ``branch:ID``)."""
        kind, _, value = href.partition(":")
        if not value.isdigit():
            return
        if kind == "scene":
            self.sceneRequested.emit(int(value))
        elif kind == "branch":
            self.branchRequested.emit(int(value))

    def links(self) -> list[str]:
        """Every link in the transcript, in order (for tests and accessibility checks)."""
        found = []
        block = self.document().begin()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                href = fragment.charFormat().anchorHref()
                if fragment.isValid() and href and (not found or found[-1] != href):
                    found.append(href)
                iterator += 1
            block = block.next()
        return found
