"""What the window says, said plainly (issue 16, found by trying the app): the title is the
document's, the empty summary pane says what to do with the open document, a note that ended
early has no check mark, and the summary header says how a model runs without engine jargon."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat_helpers import write_script
from logline.ui.main_window import MainWindow, plain_precision
from logline.ui.notes_view import _STATE

pytestmark = pytest.mark.gui


def test_the_title_and_the_empty_summary_follow_the_open_document(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    assert "Open a document" in window.summary_view.placeholderText()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    assert window.windowTitle() == "The River Press"  # the platform adds "— Logline"
    hint = window.summary_view.placeholderText()
    assert "Open a document" not in hint and "The River Press" in hint
    window.close()


def test_notes_that_ended_early_are_not_marked_done() -> None:
    for state in ("length", "repetition", "stopped", "error"):
        assert "✓" not in _STATE[state][0], state
    assert _STATE["done"][0] == "✓"


def test_the_header_says_how_a_model_runs_plainly() -> None:
    assert plain_precision("float32 (dequantized for CPU, 513 MB)") == "runs on CPU"
    assert plain_precision("4-bit (group 64)") == "4-bit"
    assert plain_precision("bfloat16") == "bfloat16"
