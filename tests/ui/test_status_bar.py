"""Status messages are shown beside the stats line, never squeezed out by it (issue 16: "Opening…",
"Loading the model…" were set but never painted while a long stats line took the whole bar)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from logline.ui.main_window import MainWindow
from logline.ui.status_panel import STATS_SHARE

pytestmark = pytest.mark.gui


def _ink_columns(image, left: int, right: int) -> int:
    """How many pixel columns between ``left`` and ``right`` hold anything but the background."""
    background = image.pixel(image.width() - 1, image.height() // 2)
    inked = 0
    for x in range(left, right):
        if any(image.pixel(x, y) != background for y in range(2, image.height() - 2)):
            inked += 1
    return inked


def test_a_message_is_painted_beside_a_long_stats_line(qtbot, tiny_model_dir: Path) -> None:
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    window.status.set_stats("1,234 prompt tokens at 300 tok/s, 512 generated at 14.2 tok/s " * 6)
    window.status.message("Loading Tiny…")
    qtbot.wait(50)
    bar = window.statusBar()
    assert window.status.stats.width() <= bar.width() * STATS_SHARE + 2
    assert bar.currentMessage() == "Loading Tiny…"
    image = bar.grab().toImage()
    message_room = bar.width() - window.status.stats.width()
    assert message_room > bar.width() * 0.5
    # The message is drawn: ink in the left part of the bar, where the message goes.
    assert _ink_columns(image, 0, int(message_room * 0.6)) > 20
    assert QColor(image.pixel(1, 1)).isValid()
    window.close()


def test_a_long_detail_line_never_widens_the_window(qtbot, tiny_model_dir: Path) -> None:
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    before = window.minimumSizeHint().width(), window.width()
    long = "Tiny · map-reduce: 58 chunks of ≤ 1,024 tokens, Sc. 1–192, pp. 1–128 " * 4
    window.summary_detail.setText(long)
    qtbot.wait(50)
    assert (window.minimumSizeHint().width(), window.width()) == before
    assert window.summary_detail.text() == long and window.summary_detail.toolTip() == long
    window.close()


@pytest.mark.parametrize(
    "text",
    [
        "Taking notes: 0 of 58 written · reading the next parts: 5% · 0:07 so far",
        "Reading “100%p Pure.fountain”… 5%m %v",  # Qt's own codes, written literally
    ],
)
def test_the_bar_shows_a_percent_sign_as_written(qtbot, text: str) -> None:
    """QProgressBar has no escape for "%": the "%%" once used showed as "5%%" on screen."""
    from PySide6.QtWidgets import QStatusBar

    from logline.ui.status_panel import StatusPanel

    bar = QStatusBar()
    qtbot.addWidget(bar)
    panel = StatusPanel(bar)
    panel.show_steps(text, 3, 58)
    shown = panel.progress.text()  # what Qt paints: the format with its codes replaced
    assert shown.replace("\u2060", "") == text
    assert panel.text == text
