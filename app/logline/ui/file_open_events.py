"""Files the system asks the app to open: macOS "Open With", a drop on the Dock icon, a double
click on a document. Each comes as a ``QFileOpenEvent`` sent to the ``QApplication``; several
files chosen together come as several events in a row, so those arriving within ``BATCH_MS`` are
handed over as one batch (two or more files become a queue, see ``file_queue``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

__all__ = ["FileOpenCollector", "install_file_open_events"]

log = logging.getLogger(__name__)

BATCH_MS = 150
_FILE_OPEN = QEvent.Type.FileOpen


class FileOpenCollector(QObject):
    """An application-wide event filter that takes ``QFileOpenEvent`` and passes every other
    event on untouched (it returns at its first comparison: it sees every event of the app)."""

    def __init__(
        self, open_files: Callable[[list[Path]], object], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._open_files = open_files
        self._pending: list[Path] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_MS)
        self._timer.timeout.connect(self.flush)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != _FILE_OPEN:
            return False
        if not isinstance(event, QFileOpenEvent):  # (the type said it is one)
            return False
        name = event.file() or event.url().toLocalFile()
        if not name:
            return False
        self._pending.append(Path(name))
        self._timer.start()  # restarted by each event of the same batch
        return True

    def flush(self) -> None:
        """Hand the files collected so far to ``open_files`` (the timer does it)."""
        files, self._pending = self._pending, []
        if files:
            log.info("The system asked to open %d file(s)", len(files))
            self._open_files(files)


def install_file_open_events(
    app: QApplication, open_files: Callable[[list[Path]], object]
) -> FileOpenCollector:
    """Route the files the system asks ``app`` to open to ``open_files`` (the window's)."""
    collector = FileOpenCollector(open_files, app)
    app.installEventFilter(collector)
    return collector
