"""At 1024×640, in the custom mode (its instruction box shown), Summarize and Stop stay visible:
nothing falls into the toolbar's overflow (issue 16, found by trying the app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QToolButton

from logline.ui.main_window import MainWindow
from logline.ui.style import apply
from logline.ui.theme import LIGHT

pytestmark = pytest.mark.gui


@pytest.fixture
def styled(qapp):
    """The app's own stylesheet (its paddings count), taken off again afterwards."""
    palette, sheet = qapp.palette(), qapp.styleSheet()
    apply(qapp, LIGHT)
    yield qapp
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


def test_summarize_and_stop_stay_visible_at_1024_in_custom_mode(
    qtbot, styled, tiny_model_dir: Path
) -> None:
    window = MainWindow(model_override=("a-model-with-a-rather-long-name-q4", tiny_model_dir))
    qtbot.addWidget(window)
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    window.mode_picker.set_mode("custom")
    qtbot.wait(50)
    toolbar = window.toolbar
    assert window.width() == 1024
    for action in (window.summarize_action, window.stop_action, window.open_action):
        button = toolbar.widgetForAction(action)
        assert button.isVisible(), action.text()
        assert button.geometry().right() <= toolbar.width(), action.text()
    overflow = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert overflow is None or not overflow.isVisible()
    assert window.mode_picker.instruction_edit.isVisible()
    window.close()
