"""The context meter: how much of what the model can read at once a turn uses, and whether it fits.

A compact bar and label from :class:`~logline.chat.events.ContextUse` (script + history +
question + room for the answer, of the usable context); red with "does not fit" when it does not.
Its tooltip lists the parts and the earlier turns left out. A second bar shows the prompt being
read while the script part is read for the first time (``Reading(script=True)``).
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from logline.chat.events import ContextUse, Reading

__all__ = ["ContextMeter", "describe_use"]

OVER_STYLE = "QProgressBar::chunk { background: #c62828; }"
NORMAL_STYLE = ""


def describe_use(use: ContextUse) -> str:
    """The tooltip: each part, the usable context and what was left out."""
    script = "script digest (notes and scene search)" if use.script_mode == "digest" else "script"
    lines = [
        f"{script}: {use.script:,} tokens",
        f"earlier turns: {use.history:,} tokens",
        f"question: {use.question:,} tokens",
        f"room for the answer: {use.reserve:,} tokens",
        f"usable context: {use.usable:,} tokens",
    ]
    if use.dropped_turns:
        turns = "turn" if use.dropped_turns == 1 else "turns"
        lines.append(f"{use.dropped_turns} earliest {turns} left out (no longer fit)")
    if not use.fits:
        lines.append("This does not fit: shorten the question or start a new conversation.")
    return "\n".join(lines)


class ContextMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("contextBar")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.label = QLabel("Context: nothing read yet", self)
        self.label.setObjectName("contextLabel")
        self.reading_bar = QProgressBar(self)
        self.reading_bar.setObjectName("scriptReading")
        self.reading_bar.setFormat("Reading the script… %p%")
        self.reading_bar.setFixedHeight(16)
        self.reading_bar.hide()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.bar, 1)
        top.addWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 2)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.reading_bar)
        self.use: ContextUse | None = None

    @property
    def over(self) -> bool:
        """True when the last turn's prompt did not fit."""
        return self.use is not None and not self.use.fits

    def show_use(self, use: ContextUse) -> None:
        self.use = use
        self.bar.setValue(min(1000, round(use.fraction * 1000)))
        percent = round(use.fraction * 100)
        if use.fits:
            text = f"Context {percent}% of {use.usable:,} tokens"
            if use.dropped_turns:
                text += f" · {use.dropped_turns} earlier turn(s) left out"
            self.bar.setStyleSheet(NORMAL_STYLE)
            self.label.setStyleSheet("")
        else:
            text = f"Does not fit: {use.used:,} of {use.usable:,} tokens"
            self.bar.setStyleSheet(OVER_STYLE)
            dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
            colour = "#ff9c8f" if dark else "#c62828"  # 4.5:1 or more on each theme's surface
            self.label.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.label.setText(text)
        tip = describe_use(use)
        self.bar.setToolTip(tip)
        self.label.setToolTip(tip)

    def reset(self) -> None:
        self.use = None
        self.bar.setValue(0)
        self.bar.setStyleSheet(NORMAL_STYLE)
        self.label.setStyleSheet("")
        self.label.setText("Context: nothing read yet")
        self.bar.setToolTip("")
        self.label.setToolTip("")
        self.hide_reading()

    def show_reading(self, reading: Reading) -> None:
        """Progress of the script part's first reading (other readings are too short to show)."""
        if not reading.script:
            return
        self.reading_bar.setRange(0, max(reading.total, 1))
        self.reading_bar.setValue(min(reading.done, max(reading.total, 1)))
        self.reading_bar.show()

    def hide_reading(self) -> None:
        self.reading_bar.hide()

    @property
    def reading(self) -> bool:
        return not self.reading_bar.isHidden()
