"""The context meter (script, history, question and answer against the usable context) and the
progress bar shown while the script is read the first time."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from logline.chat.events import ContextUse

FULL_STYLE = "QProgressBar::chunk { background: #b42318; }"


class ContextMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("contextBar")
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.label = QLabel("Context: —", self)
        self.reading = QProgressBar(self)
        self.reading.setObjectName("readingBar")
        self.reading.setFormat("Reading the script once… %p%")
        self.reading.hide()
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.reading, 1)
        self.use: ContextUse | None = None

    def set_use(self, use: ContextUse | None) -> None:
        self.use = use
        if use is None:
            self.bar.setValue(0)
            self.label.setText("Context: —")
            self.setToolTip("")
            return
        self.bar.setRange(0, max(use.usable, 1))
        self.bar.setValue(min(use.used, use.usable))
        percent = round(use.fraction * 100)
        mode = " (script notes)" if use.script_mode == "digest" else ""
        text = f"Context {percent}%{mode}"
        if not use.fits:
            text = f"Does not fit: {percent}%"
        self.label.setText(text)
        self.bar.setProperty("full", not use.fits)
        self.bar.setStyleSheet(
            "QProgressBar::chunk { background: #b42318; }" if not use.fits else ""
        )
        lines = [
            f"Script part: {use.script:,} tokens" + (" (notes and facts)" if mode else ""),
            f"Earlier turns: {use.history:,} tokens",
            f"This question: {use.question:,} tokens",
            f"Room for the answer: {use.reserve:,} tokens",
            f"The model can read {use.usable:,} tokens at once here",
        ]
        if use.dropped_turns:
            lines.append(f"{use.dropped_turns} earliest turn(s) left out: they no longer fit")
        self.setToolTip("\n".join(lines))

    def set_reading(self, done: int, total: int) -> None:
        """Progress of the script's first reading; hidden again when it is done."""
        if total <= 0 or done >= total:
            self.reading.hide()
            self.bar.show()
            return
        self.bar.hide()
        self.reading.show()
        self.reading.setRange(0, total)
        self.reading.setValue(done)
