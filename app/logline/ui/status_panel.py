"""The status bar's parts: progress on the left (reading a prompt, tokens; or the steps of a
long summary, chunks), the last run's stats at right.

A temporary status message hides the progress bar (Qt hides normal status widgets behind it), so
the bar carries its own text: "Taking notes: chunk 3 of 14"."""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QWidget

from logline.display_text import show_bidi

# The stats line asks for at most this share of the status bar: the messages ("Opening…",
# "Loading the model…", "Stopping…") are shown beside it, never squeezed out by it.
STATS_SHARE = 0.45

# QProgressBar's format replaces %m, %v and %p (maximum, value, percent) and has no escape for a
# literal "%" ("%%" shows as two): a word joiner after a "%" that precedes one of those letters
# keeps it literal, invisibly ("reading: 5%" and "50%p" show as written).
_FORMAT_CODE = re.compile(r"%(?=[mvp])")
_JOINER = "\u2060"


class ElidedLabel(QLabel):
    """A one-line label that shrinks to the room it gets, eliding its text (``text()`` and the
    tooltip keep all of it): a long stats line must not push itself off the window's edge, nor
    take the room of the status messages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        bar = self.parentWidget()
        room = int(bar.width() * STATS_SHARE) if bar is not None and bar.width() > 0 else 480
        return QSize(min(hint.width(), max(room, 40)), hint.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(rect, int(align), text)
        painter.end()


class StatusPanel:
    """Adds its widgets to ``bar``; the window talks to it instead of the widgets."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        bar.setSizeGripEnabled(False)
        self.progress = QProgressBar(bar)
        self.progress.setObjectName("promptProgress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.stats = ElidedLabel(bar)
        self.stats.setObjectName("statsLabel")
        bar.addWidget(self.progress)
        bar.addPermanentWidget(self.stats, 0)  # messages get the rest of the bar

    def message(self, text: str, timeout_ms: int = 0) -> None:
        self.bar.showMessage(show_bidi(text), timeout_ms)  # file names: no bidi spoofing

    def show_progress(self, done: int, total: int, label: str = "Reading the document…") -> None:
        """Show "Reading the document… 512/1,027 tokens" with a bar."""
        if total <= 0:
            return
        self.show_steps(f"{label} {done:,}/{total:,} tokens", done, total)

    def show_steps(self, text: str, done: int, total: int) -> None:
        """Show ``text`` on a bar filled ``done`` of ``total`` (e.g. chunks of a long summary)."""
        self.bar.clearMessage()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(_FORMAT_CODE.sub("%" + _JOINER, text))
        self.progress.show()

    @property
    def text(self) -> str:
        """What the left of the status bar says now (the progress bar's text, or the message)."""
        if self.reading:
            return self.progress.format().replace("%" + _JOINER, "%")
        return self.bar.currentMessage()

    def hide_progress(self) -> None:
        self.progress.hide()

    @property
    def reading(self) -> bool:
        return not self.progress.isHidden()

    def set_stats(self, text: str) -> None:
        self.stats.setText(text)
        self.stats.setToolTip(text)
