"""Citations in the summary and the notes are links to their scenes; a PDF's page view follows
the scene shown (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser
from script_helpers import corpus_file, write_lantern

from logline.ui import pdf_pages
from logline.ui.main_window import MainWindow
from logline.ui.script_pane import ScriptPane
from pdf_factory import build_pdf, screenplay_pages

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tiny_model_dir: Path) -> MainWindow:
    win = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _open(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.documentOpened, timeout=30000):
        window.open_file(path)


def _anchor_cursor(view: QTextBrowser, href: str) -> QTextCursor:
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(view.document())
                cursor.setPosition(fragment.position() + fragment.length() // 2)
                return cursor
            iterator += 1
        block = block.next()
    raise AssertionError(f"no link to {href}")


def _click_link(qtbot, view: QTextBrowser, href: str) -> None:
    point = view.cursorRect(_anchor_cursor(view, href)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def _heading_visible(window: MainWindow) -> bool:
    """The selected heading lies within the script's viewport (the script scrolled to it)."""
    view = window.document_view
    rect = view.document().documentLayout().blockBoundingRect(view.textCursor().block())
    top = view.verticalScrollBar().value()
    return top <= rect.top() and rect.bottom() <= top + view.viewport().height()


def test_a_citation_click_in_the_summary_selects_its_scene(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    _open(qtbot, window, write_lantern(tmp_path))
    summary = window.summary_view
    summary.start(document=window.document)
    summary.append_tokens("Tom waits on the cliff (Sc. 2, p. 2); Mara returns (Sc. 3, p. 2).")
    summary.finish()
    asked: list[int] = []
    summary.sceneRequested.connect(asked.append)
    _click_link(qtbot, summary, "scene:3")
    assert asked == [3]
    navigator = window.script_pane.navigator
    assert navigator.current_scene() == 3 and navigator.tree.currentIndex().row() == 2
    assert window.document_view.textCursor().selectedText() == "INT. LIGHTHOUSE - DAY"
    assert _heading_visible(window)
    # The chat's citations take the same path.
    window.chat_pane.view.sceneRequested.emit(2)
    assert navigator.current_scene() == 2
    assert window.document_view.textCursor().selectedText() == "EXT. CLIFF - DAWN"


def test_a_citation_click_in_the_notes_selects_its_scene(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    _open(qtbot, window, write_lantern(tmp_path))
    notes = window.notes_view
    window.summary_tabs.setCurrentWidget(notes)
    notes.begin_phase("map", 1)
    notes.append("map", 0, "The lamp goes out (Sc. 1, p. 1). Tom <b>waits</b> (Sc. 2).")
    notes.mark_done("map", 0, "done")
    notes.render()
    assert "<b>waits</b>" in notes.toPlainText()  # the notes' own text stays escaped
    _click_link(qtbot, notes, "scene:2")
    assert window.script_pane.navigator.current_scene() == 2
    assert window.document_view.textCursor().selectedText() == "EXT. CLIFF - DAWN"
    assert _heading_visible(window)


def _pdf(tmp_path: Path) -> Path:
    path = tmp_path / "last-train.pdf"
    path.write_bytes(build_pdf(screenplay_pages()))
    return path


@pytest.mark.skipif(pdf_pages.pdf_view_unavailable() is not None, reason="QtPdf is missing")
def test_the_page_view_shows_a_pdf_and_follows_the_scene(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    _open(qtbot, window, _pdf(tmp_path))
    pane = window.script_pane
    assert pane.pages_button.isEnabled()
    assert "45A." in window.document_view.toPlainText()  # the printed number, at its break
    qtbot.mouseClick(pane.pages_button, Qt.MouseButton.LeftButton)
    assert pane.showing_pages and pane.pages.page_count == 4
    scenes = window.document.scenes
    assert [s.page_start for s in scenes] == [2, 4]
    window.summary_view.sceneRequested.emit(2)  # as a citation click
    assert pane.pages.current_page() == 4
    pane.navigator.tree.setCurrentItem(pane.navigator.tree.topLevelItem(0))
    assert pane.pages.current_page() == 2
    qtbot.mouseClick(pane.text_button, Qt.MouseButton.LeftButton)
    assert not pane.showing_pages and pane.view.isVisible()


@pytest.mark.skipif(pdf_pages.pdf_view_unavailable() is not None, reason="QtPdf is missing")
def test_the_page_view_follows_a_corpus_pdf(qtbot, window: MainWindow) -> None:
    _open(qtbot, window, corpus_file("pdf/big-fish.finaldraft11.pdf"))
    pane = window.script_pane
    pane.set_page_view(1)
    assert pane.pages.page_count == len(window.document.pages)
    scene = window.document.scenes[100]
    window.document_view.show_scene(scene.number)
    assert pane.pages.current_page() == scene.page_start
    assert pane.navigator.current_scene() == scene.number


def test_without_qtpdf_the_pages_switch_is_off_and_says_why(
    qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = "The page view needs QtPdf (the PySide6-Pdf package), which is not installed"
    monkeypatch.setattr(pdf_pages, "pdf_view_unavailable", lambda: reason)
    pane = ScriptPane()
    qtbot.addWidget(pane)
    from logline.documents import load

    pane.view.show_document(load(_pdf(tmp_path)))
    assert not pane.pages_button.isEnabled() and pane.pages_button.toolTip() == reason
    pane.set_page_view(1)
    assert not pane.showing_pages
    assert not pane.pages.ensure_loaded() and pane.pages.message.text() == reason
