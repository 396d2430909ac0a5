"""The script view (issue 16): the document formatted as a screenplay, fast, in both themes."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette, QTextBlock
from PySide6.QtWidgets import QApplication, QWidget
from script_helpers import corpus_file, lantern

from logline.documents import load
from logline.ui.document_view import DocumentView
from logline.ui.notes_view import NotesView
from logline.ui.script_format import ROLE_HEADING, ROLE_PAGE
from logline.ui.script_pane import ScriptPane
from logline.ui.style import apply
from logline.ui.summary_view import SummaryView
from logline.ui.theme import DARK, LIGHT, contrast

pytestmark = pytest.mark.gui


def _blocks(view: DocumentView) -> dict[str, QTextBlock]:
    found = {}
    block = view.document().begin()
    while block.isValid():
        found.setdefault(block.text(), block)
        block = block.next()
    return found


def _indent(view: DocumentView, block: QTextBlock) -> float:
    fmt = block.blockFormat()
    return fmt.indent() * view.document().indentWidth() + fmt.leftMargin()


@pytest.fixture
def view(qtbot) -> DocumentView:
    widget = DocumentView()
    qtbot.addWidget(widget)
    widget.resize(520, 600)
    widget.show()
    return widget


def test_a_fountain_script_is_formatted_as_a_screenplay(view: DocumentView, tmp_path: Path):
    document = lantern(tmp_path)
    view.show_document(document)
    blocks = _blocks(view)
    heading = blocks["INT. LIGHTHOUSE - NIGHT"]
    assert heading.userState() == ROLE_HEADING
    assert heading.charFormat().fontWeight() >= QFont.Weight.Bold or all(
        f.format.fontWeight() >= QFont.Weight.Bold for f in heading.layout().formats()
    )
    action, cue = blocks["Mara climbs the stairs."], blocks["MARA"]
    dialogue, paren = blocks["The lamp is out."], blocks["(breathless)"]
    assert _indent(view, cue) > _indent(view, paren) > _indent(view, dialogue)
    assert _indent(view, dialogue) > _indent(view, action) == 0
    assert "TOM (O.S.)" in blocks  # the cue as printed, with its extension
    assert blocks["CUT TO:"].blockFormat().alignment() & Qt.AlignmentFlag.AlignRight
    # Fountain's centred markup is rendered, not shown raw.
    assert "THE END." in blocks and ">THE END.<" not in view.toPlainText()
    assert blocks["THE END."].blockFormat().alignment() & Qt.AlignmentFlag.AlignHCenter
    # A page mark with the page's number where each page begins.
    marks = [text for text, block in blocks.items() if block.userState() == ROLE_PAGE]
    assert marks == ["1.", "2."]
    assert view.toPlainText().index("2.") < view.toPlainText().index("EXT. CLIFF - DAWN")
    # The title page is a framed card at the top.
    frames = view.document().rootFrame().childFrames()
    assert len(frames) == 1 and frames[0].frameFormat().border() > 0
    card = view.toPlainText()[: view.toPlainText().index("INT. LIGHTHOUSE")]
    assert "The Lantern" in card and "Test Writer" in card
    assert view.toPlainText().index("The Lantern") < view.toPlainText().index("1.")


def test_show_scene_selects_its_heading_at_the_top(view: DocumentView, tmp_path: Path) -> None:
    view.resize(520, 120)  # short, so the view must scroll
    view.show_document(lantern(tmp_path))
    shown: list[int] = []
    view.sceneShown.connect(shown.append)
    assert view.show_scene(3)
    assert view.textCursor().selectedText() == "INT. LIGHTHOUSE - DAY"
    assert view.firstVisibleBlock().text() == "INT. LIGHTHOUSE - DAY"
    assert shown == [3]
    assert not view.show_scene(4)
    assert view.show_page(2) and not view.show_page(9)


def test_a_plain_document_stays_readable_text(view: DocumentView, tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text("A memo about budgets.\n\nSecond paragraph, plain.\n", encoding="utf-8")
    document = load(path)
    view.show_document(document)
    assert not document.is_screenplay
    text = view.toPlainText()
    assert "A memo about budgets." in text and "Second paragraph, plain." in text
    assert not view.show_scene(1)


def test_a_128_page_pdf_is_formatted_well_under_a_second(view: DocumentView) -> None:
    document = load(corpus_file("pdf/big-fish.finaldraft11.pdf"))
    view.show_document(document)
    assert view.format_ms < 500, f"{view.format_ms:.0f} ms"
    pages = {e.page for e in document.elements if e.page is not None}
    assert set(view.script_map.pages) == pages
    marks = [b.text() for b in _blocks(view).values() if b.userState() == ROLE_PAGE]
    assert f"{document.page_label(60)}." in marks  # the printed number, not the PDF's page
    assert set(view.script_map.scenes) == {scene.number for scene in document.scenes}
    last = document.scenes[-1]
    assert view.show_scene(last.number)
    assert view.textCursor().selectedText() == " ".join(last.heading.split())


def test_formatting_leaves_none_its_references(view: DocumentView, tmp_path: Path) -> None:
    """PySide6 6.12.0 on Python < 3.12 took a reference from None on every void call, and
    Python aborted ("none_dealloc") after minutes of use; pyproject keeps that build out."""
    document = lantern(tmp_path)
    before = sys.getrefcount(None)
    for _ in range(20):
        view.show_document(document)
    assert sys.getrefcount(None) >= before - 50  # (with that build: thousands fewer)


def _contrast(widget: QWidget) -> float:
    """Rendered contrast: the commonest colour (background) against the farthest one (text)."""
    image = widget.grab().toImage()
    colours: Counter[int] = Counter(
        image.pixel(x, y) for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
    )
    background = QColor(colours.most_common(1)[0][0]).name()
    return max(contrast(QColor(c).name(), background) for c in colours)


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[QApplication]:
    palette, sheet = qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setProperty("loglineTheme", None)


def test_the_script_pane_is_readable_in_both_themes_and_follows_a_switch(
    qtbot, restore_theme: QApplication, tmp_path: Path
) -> None:
    apply(restore_theme, LIGHT)
    pane = ScriptPane()
    qtbot.addWidget(pane)
    pane.resize(520, 640)
    pane.show()
    pane.view.show_document(lantern(tmp_path))
    for theme in (LIGHT, DARK):
        apply(restore_theme, theme)
        qtbot.wait(20)  # the script is laid out again once, with the new palette's colours
        card = pane.view.document().rootFrame().childFrames()[0].frameFormat()
        expected = pane.view.palette().color(QPalette.ColorRole.AlternateBase)
        assert card.background().color() == expected, theme.name
        for widget in (pane.view, pane.navigator.tree, pane.characters):
            assert _contrast(widget) >= 4.5, (theme.name, widget.objectName())


def test_streaming_into_the_summary_and_notes_keeps_none_alive(qtbot) -> None:
    """Each repaint made ~8 void Qt calls: a couple of minutes of streaming aborted Python."""
    summary, notes = SummaryView(), NotesView()
    qtbot.addWidget(summary)
    qtbot.addWidget(notes)
    summary.start()
    notes.begin_phase("map", 2)
    before = sys.getrefcount(None)
    for _ in range(300):
        summary.append_tokens("word (Sc. 1) ")
        summary.flush()
        notes.append("map", 1, "note ")
        notes.render()
    summary.finish()
    notes.stop_writing()
    assert sys.getrefcount(None) >= before - 20  # (PySide6 6.12.0, Python 3.11: ~3,000 fewer)
