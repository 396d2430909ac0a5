"""The conversation transcript: questions and answers as Markdown, the answer streaming.

Settled messages are rendered once; the streaming answer is buffered and the transcript
repainted at most every ``FLUSH_INTERVAL_MS`` (longer when a repaint gets slow), so a fast
model cannot flood the event loop. Citations ``Sc. N`` are links (``scene:N``) that emit
``sceneRequested``; an answer with other branches shows ``‹ 2/3 ›`` links that emit
``branchRequested`` with the sibling to show. Colours come from the palette, so the text stays
readable in light and dark mode.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from logline.chat.events import MessageStats

FLUSH_INTERVAL_MS = 50
MAX_FLUSH_INTERVAL_MS = 500
EMPTY_HINT = "Ask a question about the script below. Enter sends, Shift+Enter adds a line."
ENDINGS = {
    "stopped": "Stopped.",
    "length": "Cut off at the length limit.",
    "repetition": "Ended where the model began repeating itself.",
    "error": "Failed.",
}
_SCENE = re.compile(r"(?<!⚠ )\bSc\. (\d+)")


@dataclass
class ShownMessage:
    """What the view shows of one message (built from the store's ``MessageRecord``)."""

    id: int
    role: str
    content: str
    model: str | None = None
    finish_reason: str | None = None
    stats: dict = field(default_factory=dict)
    branch: tuple[int, int] = (1, 1)  # (this one's number, how many) among its siblings
    previous_id: int | None = None  # the sibling before / after it, to switch branch
    next_id: int | None = None


def linked(markdown: str) -> str:
    """``markdown`` with every unflagged ``Sc. N`` made a ``scene:N`` link."""
    return _SCENE.sub(lambda m: f"[Sc. {m.group(1)}](scene:{m.group(1)})", markdown)


class ChatView(QTextBrowser):
    sceneRequested = Signal(int)
    branchRequested = Signal(int)  # the message id of the branch to show

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setPlaceholderText(EMPTY_HINT)
        self.anchorClicked.connect(self._on_anchor)
        self.messages: list[ShownMessage] = []
        self.streaming: ShownMessage | None = None
        self._pending = False
        self._interval = FLUSH_INTERVAL_MS
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.paints = 0

    # -- content --------------------------------------------------------------------------
    def show_messages(self, messages: list[ShownMessage]) -> None:
        """Show a whole branch (e.g. restored from the store)."""
        self._timer.stop()
        self.messages = list(messages)
        self.streaming = None
        self._pending = False
        self._render()

    def add_message(self, message: ShownMessage) -> None:
        self.messages.append(message)
        self._render()

    def begin_answer(self, message_id: int, model: str) -> None:
        self.streaming = ShownMessage(message_id, "assistant", "", model)
        self.messages.append(self.streaming)
        self._render()

    def append(self, text: str, retract: int = 0) -> None:
        """More of the streaming answer (``retract`` characters withdrawn first)."""
        if self.streaming is None:
            return
        content = self.streaming.content
        if retract:
            content = content[: max(len(content) - retract, 0)]
        self.streaming.content = content + text
        self._pending = True
        if not self._timer.isActive():
            self._timer.start(self._interval)

    @property
    def answer_text(self) -> str:
        """The streaming answer's text so far (painted or not)."""
        return self.streaming.content if self.streaming else ""

    @Slot()
    def flush(self) -> None:
        if not self._pending:
            return
        self._pending = False
        started = time.perf_counter()
        self._render()
        spent_ms = (time.perf_counter() - started) * 1000
        self._interval = int(min(max(FLUSH_INTERVAL_MS, spent_ms * 4), MAX_FLUSH_INTERVAL_MS))

    def end_answer(self) -> None:
        self._timer.stop()
        self._pending = False
        self.streaming = None
        self._render()

    # -- painting -------------------------------------------------------------------------
    def _render(self) -> None:
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.clear()
        cursor = self.textCursor()
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        for message in self.messages:
            self._render_one(cursor, message, muted)
        self.paints += 1
        if at_end:
            bar.setValue(bar.maximum())

    def _render_one(self, cursor: QTextCursor, message: ShownMessage, muted: str) -> None:
        if message.role == "user":
            head = "<b>You</b>"
        elif message.role == "assistant":
            who = html.escape(message.model or "Logline")
            head = f"<b>Answer</b> <span style='color:{muted}'>· {who}</span>"
        else:
            head = f"<i style='color:{muted}'>Note</i>"
        if message.branch[1] > 1:
            prev = f"<a href='branch:{message.previous_id}'>‹</a>" if message.previous_id else "‹"
            nxt = f"<a href='branch:{message.next_id}'>›</a>" if message.next_id else "›"
            head += f" &nbsp; {prev} {message.branch[0]}/{message.branch[1]} {nxt}"
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(f"<p style='margin-top:12px'>{head}</p>")
        cursor.insertBlock()
        body = message.content.strip() or ("…" if message is self.streaming else "")
        cursor.insertMarkdown(linked(body) if message.role == "assistant" else body)
        notes = []
        if message is not self.streaming and message.role == "assistant":
            ending = ENDINGS.get(message.finish_reason or "")
            if ending:
                notes.append(ending)
            if message.stats.get("prompt_tokens"):
                notes.append(MessageStats.from_json(message.stats).one_line())
        if notes:
            cursor.insertBlock()
            text = html.escape(" · ".join(notes))
            cursor.insertHtml(f"<span style='color:{muted}; font-size:small'>{text}</span>")
        cursor.insertBlock()

    # -- links ----------------------------------------------------------------------------
    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        kind, _, value = text.partition(":")
        if not value.isdigit():
            return
        if kind == "scene":
            self.sceneRequested.emit(int(value))
        elif kind == "branch":
            self.branchRequested.emit(int(value))
