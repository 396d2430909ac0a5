"""Hints in empty panes wrap instead of being cut at the pane's edge (found by trying the app:
Qt's ``QTextEdit`` placeholder is one line, so the summary pane's "Open a document and press
Summarize: the summary appears here." lost its end in a narrow pane, and the drop hint was cut
at both edges). The pictures are the views' own paint, read back pixel by pixel."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFontMetrics, QImage
from PySide6.QtWidgets import QWidget

from logline.ui.chat_view import ChatView
from logline.ui.document_view import DocumentView
from logline.ui.notes_view import NotesView
from logline.ui.summary_view import IDLE_HINT, SummaryView

pytestmark = pytest.mark.gui

LONG_HINT = (
    "Taking notes on 58 parts of the document first (see the Notes tab); the synopsis is "
    "written from them."
)


def _ink(image: QImage) -> tuple[list[int], list[int]]:
    """Rows and columns holding any pixel unlike the background (the bottom-right pixel)."""
    background = QColor(image.pixel(image.width() - 1, image.height() - 1))

    def inked(x: int, y: int) -> bool:
        pixel = QColor(image.pixel(x, y))
        return (
            abs(pixel.red() - background.red())
            + abs(pixel.green() - background.green())
            + abs(pixel.blue() - background.blue())
            > 60
        )

    rows = [y for y in range(image.height()) if any(inked(x, y) for x in range(image.width()))]
    columns = [x for x in range(image.width()) if any(inked(x, y) for y in rows)]
    return rows, columns


def _viewport_image(qtbot, view: QWidget, width: int, height: int) -> QImage:
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view.viewport().grab().toImage()


@pytest.mark.parametrize("make", [SummaryView, NotesView, ChatView])
def test_a_long_hint_wraps_onto_more_lines(qtbot, make) -> None:
    view = make()
    view.setPlaceholderText(LONG_HINT)
    rows, columns = _ink(_viewport_image(qtbot, view, 300, 200))
    line = QFontMetrics(view.font()).height()
    assert view.placeholderText() == LONG_HINT
    assert rows and rows[-1] - rows[0] > 2 * line  # three lines or more at 300 pixels
    assert columns[-1] < view.viewport().width() - 2  # nothing runs into the right edge


def test_the_idle_summary_hint_is_whole_in_a_400_pixel_pane(qtbot) -> None:
    view = SummaryView()
    rows, _columns = _ink(_viewport_image(qtbot, view, 400, 200))
    assert view.placeholderText() == IDLE_HINT
    assert rows[-1] - rows[0] > QFontMetrics(view.font()).height()  # its second line is there


def test_no_hint_is_painted_over_text(qtbot) -> None:
    hinted, plain = SummaryView(), SummaryView()
    hinted.setPlaceholderText(LONG_HINT)
    for view in (hinted, plain):
        view.setPlainText("A summary.")
    assert _viewport_image(qtbot, hinted, 300, 120) == _viewport_image(qtbot, plain, 300, 120)


def test_an_empty_hint_paints_nothing(qtbot) -> None:
    view = SummaryView()
    view.setPlaceholderText("")
    rows, _columns = _ink(_viewport_image(qtbot, view, 300, 120))
    assert rows == []


def test_the_drop_hint_wraps_inside_a_narrow_pane(qtbot) -> None:
    view = DocumentView()
    image = _viewport_image(qtbot, view, 240, 220)
    rows, columns = _ink(image)
    assert rows and columns
    # Centred text wider than the pane used to be cut at both edges.
    assert columns[0] > 0 and columns[-1] < image.width() - 1
    assert rows[0] > 0 and rows[-1] < image.height() - 1
