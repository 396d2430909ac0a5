"""Drops (issue 16, found by trying the app): only files Logline reads are accepted while they
hover (a .docx or a folder is refused before the drop), and the window shows where they land."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent

from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _enter(*paths: Path) -> tuple[QDragEnterEvent, QMimeData]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDragEnterEvent(
        QPoint(40, 40), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    return event, mime


@pytest.fixture
def window(qtbot, tiny_model_dir: Path):
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_files_logline_cannot_read_are_refused_while_they_hover(
    window: MainWindow, tmp_path: Path
) -> None:
    docx = tmp_path / "notes.docx"
    docx.write_bytes(b"PK\x03\x04")
    folder = tmp_path / "scripts"
    folder.mkdir()
    for refused in (docx, folder):
        event, _mime = _enter(refused)
        window.dragEnterEvent(event)
        assert not event.isAccepted(), refused.name
        assert not window.centralWidget().property("dropTarget")


def test_a_script_is_accepted_and_the_window_shows_where_it_lands(
    window: MainWindow, tmp_path: Path
) -> None:
    script = tmp_path / "river.fountain"
    script.write_text("INT. RIVER - DAY\n\nWater.\n", encoding="utf-8")
    event, _mime = _enter(script)
    window.dragEnterEvent(event)
    assert event.isAccepted()
    assert window.centralWidget().property("dropTarget") is True
    window.dragLeaveEvent(QDragLeaveEvent())
    assert window.centralWidget().property("dropTarget") is False
