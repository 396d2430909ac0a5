"""Closing mid-run asks first (issue 16: closing discarded work without a word); the partial
summary is kept in the store either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from chat_helpers import write_script
from logline.engine import SamplingParams
from logline.ui.engine_worker import running_engine_threads
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
FIRST_RUN_MS = 180_000


def test_closing_during_a_summary_asks_and_keeps_what_was_written(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    window = MainWindow(
        model_override=("tiny", tiny_model_dir),
        sampling=SamplingParams(max_tokens=3000),
        confirm_close=True,
    )
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    window.summarize_action.trigger()
    qtbot.waitUntil(lambda: bool(window.summary_view.text), timeout=FIRST_RUN_MS)
    window.close()
    box = window.findChild(QMessageBox, "closeQuestion")
    assert box is not None and box.isVisible() and window.isVisible()  # asked, still open
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and window.generating  # Cancel: the summary goes on
    window.close()
    box = window.findChild(QMessageBox, "closeQuestion")
    stop_and_close = box.button(QMessageBox.StandardButton.Yes)
    assert stop_and_close.text() == "Stop and Close"
    stop_and_close.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert running_engine_threads() == []
    from logline.store import Store

    store = Store.open()  # what the next launch sees: the partial summary, kept
    try:
        (document,) = store.documents.list()
        summary = store.summaries.latest(document.id)
        assert summary is not None and summary.finish_reason == "stopped" and summary.text
    finally:
        store.close()
