"""Names in the window (issue 14, item 5): an invented name is flagged while the summary streams,
styled like a flagged citation, counted apart from citations in the banner and the status line,
and the custom instruction's words are never flagged."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QTextCursor

from logline.resources_access import resource
from logline.summarize import modes
from logline.summarize.citations import apply, validate
from logline.summarize.events import AnswerText, SummaryFinished
from logline.summarize.names import NameChecker
from logline.summarize.runner import SummaryOptions, SummaryResult
from logline.ui.jobs import Job
from logline.ui.main_window import MainWindow
from logline.ui.summary_view import FLAG_FOREGROUND, SummaryView

pytestmark = pytest.mark.gui

SAMPLE = Path(str(resource("sample.fountain")))
ANSWER = "Ida runs the Roxy (Sc. 1, p. 1) with Elena Vasquez until the end (Sc. 99, p. 1).\n"
NAME_FLAG = "(⚠ Elena Vasquez — not in this script)"


@pytest.fixture
def window(qtbot):
    window = MainWindow(model_override=None)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        assert window.open_file(SAMPLE)
    yield window
    window.close()


def _colour_at(view: SummaryView, needle: str) -> QColor:
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.toPlainText().index(needle) + 2)
    return cursor.charFormat().foreground().color()


def _checked(text: str, document) -> SummaryResult:
    """The result as the runner makes it: citations checked, then names."""
    report = validate(text, document)
    cited = apply(text, report, "flag")
    checked, names = NameChecker.from_document(document).apply(cited, "flag")
    return SummaryResult(checked, text, "done", "synopsis", None, citations=report, names=names)


def test_an_invented_name_is_flagged_while_streaming_and_counted(qtbot, window) -> None:
    view = window.summary_view
    view.start(document=window.document)
    pieces = [ANSWER[i : i + 2] for i in range(0, len(ANSWER), 2)]
    release = threading.Event()

    def work(cancel, emit) -> SummaryResult:
        for piece in pieces:  # token by token: the name is split across tokens
            emit(AnswerText(piece))
        release.wait(10)
        result = _checked(ANSWER, window.document)
        emit(SummaryFinished(result))
        return result

    job = Job(work, name="logline-test-names")
    window.presenter.document = window.document
    window.presenter.attach(job)
    job.run()
    qtbot.waitUntil(lambda: "until the end" in view.toPlainText(), timeout=2000)

    shown = view.toPlainText()
    assert "Elena" not in shown.replace(NAME_FLAG, "")  # never shown unflagged
    assert view.flagged_names() == ["Elena Vasquez"]
    assert _colour_at(view, "Elena") == QColor(FLAG_FOREGROUND)
    assert _colour_at(view, "Roxy") != QColor(FLAG_FOREGROUND)

    with qtbot.waitSignal(window.presenter.finished, timeout=5000):
        release.set()
    assert view.flagged_names() == ["Elena Vasquez"]
    assert len(view.flagged_citations()) == 1 and "Sc. 99" in view.flagged_citations()[0]
    assert _colour_at(view, "Elena") == QColor(FLAG_FOREGROUND)
    message = (
        "1 citation did not match the script and is marked; "
        "1 name is not in the script and is marked"
    )
    assert window.banner.text == message + "."
    assert message in window.status.stats.text()


def test_the_streamed_view_equals_the_checked_result(qtbot, window) -> None:
    view = window.summary_view
    view.start(document=window.document)
    for char in ANSWER:
        view.append_tokens(char)
    view.finish()
    assert view.text == _checked(ANSWER, window.document).text


def test_words_of_the_instruction_are_not_flagged(qtbot, window) -> None:
    view = window.summary_view
    view.start(document=window.document, instruction="Is Elena Vasquez in this script?")
    view.append_tokens(ANSWER)
    view.finish()
    assert view.flagged_names() == []
    assert "Elena Vasquez until" in view.toPlainText()


def test_the_window_passes_the_custom_instruction_to_the_name_check(
    qtbot, tiny_model_dir: Path
) -> None:
    sampling = replace(modes.get_mode("custom").sampling, max_tokens=4)
    window = MainWindow(
        model_override=("tiny", tiny_model_dir), options=SummaryOptions(sampling=sampling)
    )
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        assert window.open_file(SAMPLE)
    window.mode_picker.set_mode("custom")
    window.mode_picker.set_instruction("Does Zorblax appear?")
    with qtbot.waitSignal(window.presenter.finished, timeout=180000):
        window.summarize_action.trigger()
        checker = window.summary_view.name_checker
        assert checker is not None and "zorblax" in checker.known
    window.close()


def test_flags_take_the_dark_themes_colours_and_change_with_it(qtbot) -> None:
    """A flag was light red in both themes: a glaring chip in Dark Mode (issue 16)."""
    from PySide6.QtGui import QPalette

    from logline.ui import theme

    view = SummaryView()
    qtbot.addWidget(view)
    view.start()
    view.finish(f"Ida runs the Roxy {NAME_FLAG}.")
    assert _colour_at(view, "Elena") == QColor(theme.LIGHT.flag_text)
    view.setPalette(theme.palette(theme.DARK))
    assert view.palette().color(QPalette.ColorRole.Base).lightness() < 128
    assert _colour_at(view, "Elena") == QColor(theme.DARK.flag_text)
    background = QTextCursor(view.document())
    background.setPosition(view.toPlainText().index("Elena") + 2)
    assert background.charFormat().background().color() == QColor(theme.DARK.flag_background)
