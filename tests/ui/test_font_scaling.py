"""Text scales with the system font (issue 16 item 1): a larger application font makes every
view's text larger, the script included (it once kept the fixed font's own 10 pt)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def app_font(qapp: QApplication) -> Iterator[QFont]:
    original = QFont(qapp.font())
    yield original
    qapp.setFont(original)


def _sizes(qtbot) -> list[float]:
    window = MainWindow()
    qtbot.addWidget(window)
    views = (
        window.document_view,
        window.summary_view,
        window.notes_view,
        window.chat_pane.view,
        window.chat_pane.composer.edit,
        window.mode_picker.combo,
    )
    sizes = [view.font().pointSizeF() for view in views]
    window.close()
    return sizes


def test_every_view_follows_the_system_font_size(qtbot, qapp, app_font: QFont) -> None:
    small, large = QFont(app_font), QFont(app_font)
    small.setPointSizeF(10)
    large.setPointSizeF(18)
    qapp.setFont(small)
    before = _sizes(qtbot)
    qapp.setFont(large)
    after = _sizes(qtbot)
    assert all(b >= 10 for b in before)
    assert all(a >= 17 for a in after), after
