"""The status bar's parts: prompt-reading progress on the left, the last run's stats at right."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar


class StatusPanel:
    """Adds its widgets to ``bar``; the window talks to it instead of the widgets."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        bar.setSizeGripEnabled(False)
        self.progress = QProgressBar(bar)
        self.progress.setObjectName("promptProgress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.stats = QLabel(bar)
        self.stats.setObjectName("statsLabel")
        bar.addWidget(self.progress)
        bar.addPermanentWidget(self.stats)

    def message(self, text: str, timeout_ms: int = 0) -> None:
        self.bar.showMessage(text, timeout_ms)

    def show_progress(self, done: int, total: int) -> None:
        """Show "Reading the document… 512/1,027 tokens" with a bar."""
        if total <= 0:
            return
        self.bar.clearMessage()
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Reading the document… {done:,}/{total:,} tokens")
        self.progress.show()

    def hide_progress(self) -> None:
        self.progress.hide()

    @property
    def reading(self) -> bool:
        return not self.progress.isHidden()

    def set_stats(self, text: str) -> None:
        self.stats.setText(text)
        self.stats.setToolTip(text)
