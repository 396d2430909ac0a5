"""Results that last (issue 16): summaries kept as they stream, the History tab, the last
summary shown again when a document reopens, export (Markdown, PDF), print and rich copy.

Real parts: the store in the per-test data folder, a tiny random model, real runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox

from chat_helpers import write_script
from logline.engine import SamplingParams
from logline.ui.export_files import print_markdown
from logline.ui.export_text import summary_markdown
from logline.ui.history_panel import CONVERSATION, SUMMARY
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
RUN_MS = 180_000


def new_window(qtbot, tiny_model_dir: Path, max_tokens: int = 40) -> MainWindow:
    window = MainWindow(
        model_override=("tiny", tiny_model_dir),
        sampling=SamplingParams(max_tokens=max_tokens),
    )
    qtbot.addWidget(window)
    window.resize(1024, 640)
    window.show()
    return window


def open_and_summarize(qtbot, window: MainWindow, script: Path) -> None:
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(script)
    with qtbot.waitSignal(window.presenter.finished, timeout=RUN_MS):
        window.summarize_action.trigger()
    qtbot.waitUntil(lambda: window.history.keeper.stream is None, timeout=20000)


def words_of(markdown: str) -> list[str]:
    """Words of the summary as it reads on paper (Markdown marks gone), long enough to find."""
    document = QTextDocument()
    document.setMarkdown(markdown)
    words = [w for w in document.toPlainText().split() if w.isalnum() and len(w) >= 4]
    return words[:5]


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_history_is_restored_after_closing_and_reopening_the_window(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path)
    window = new_window(qtbot, tiny_model_dir)
    open_and_summarize(qtbot, window, script)
    text = window.summary_view.text
    assert text.strip()
    store = window.store
    (document,) = store.documents.list()
    (kept,) = store.summaries.list(document.id)
    assert kept.finish_reason in ("done", "length", "repetition") and kept.text == text
    assert kept.parameters["model_label"] == window.model_picker.choice().label
    chat = store.conversations.create(document.id, "About the river", "tiny")
    store.messages.add(chat.id, None, "user", "Who is at the river?")
    window.close()

    again = new_window(qtbot, tiny_model_dir)
    with qtbot.waitSignal(again.documentOpened, timeout=20000):
        again.open_file(script)
    # The last summary is back, marked as saved, with its mode, model and date.
    assert again.summary_view.text == text
    header = again.summary_detail.text()
    assert header.startswith("Saved · Synopsis · ") and "tiny" in header
    panel = again.history.panel
    summaries = panel.entries(SUMMARY)
    assert [entry_id for _kind, entry_id, _text in summaries] == [kept.id]
    assert summaries[0][2].startswith("Synopsis · ")
    assert "word" in summaries[0][2]
    (conversation,) = panel.entries(CONVERSATION)
    assert conversation[1] == chat.id and conversation[2].startswith("About the river\n1 message")
    # Choosing the conversation opens it in the chat pane.
    again.chat.new_conversation()
    panel.select(CONVERSATION, chat.id)
    panel.show_button.click()
    assert again.chat.session is not None and again.chat.session.conversation_id == chat.id
    # … and File > Export Conversation… writes it (Markdown and PDF).
    exported = again.history.export_conversation_to(tmp_path / "chat.md")
    assert exported is not None and "Who is at the river?" in exported.read_text("utf-8")
    exported = again.history.export_conversation_to(tmp_path / "chat.pdf")
    assert exported is not None
    assert squeezed("Who is at the river?") in squeezed(pdf_text(exported))
    # Every control of the tab is named for assistive technology; the window is not widened.
    for control in (panel.list, panel.show_button, panel.delete_button):
        assert control.accessibleName() and control.accessibleDescription()
    again.history.show_panel()
    assert again.summary_tabs.currentWidget() is panel
    assert again.width() == 1024


def test_a_streaming_summary_is_in_the_store_before_it_ends(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    window = new_window(qtbot, tiny_model_dir, max_tokens=3000)
    window.history.keeper.flush_interval = 0.0  # write every piece, to see it mid-run
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    window.summarize_action.trigger()
    stream = window.history.keeper.stream
    assert stream is not None
    record = window.store.summaries.get(stream.summary_id)
    assert record is not None and record.finish_reason == "running"  # recorded at the start
    qtbot.waitUntil(lambda: bool(window.summary_view.text.strip()), timeout=RUN_MS)
    qtbot.waitUntil(
        lambda: bool(window.store.summaries.get(stream.summary_id).text.strip()), timeout=20000
    )
    partial = window.store.summaries.get(stream.summary_id)
    assert partial.finish_reason == "running"  # what a crash now would leave: the text so far
    assert window.history.panel.entries(SUMMARY)  # listed while it runs
    with qtbot.waitSignal(window.presenter.finished, timeout=20000):
        window.stop()
    qtbot.waitUntil(lambda: window.history.keeper.stream is None, timeout=20000)
    final = window.store.summaries.get(stream.summary_id)
    assert final.finish_reason == "stopped" and final.text.startswith(partial.text[:20])


def test_export_print_copy_and_delete(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    window = new_window(qtbot, tiny_model_dir)
    open_and_summarize(qtbot, window, write_script(tmp_path))
    history = window.history
    saved = history.shown()
    assert saved is not None and saved.text == window.summary_view.text
    words = words_of(saved.text)
    assert words

    # Markdown: the title, mode, model, date and the summary's text.
    markdown = history.export_to(tmp_path / "river.md")
    assert markdown is not None
    written = markdown.read_text("utf-8")
    assert written.startswith(f"# {saved.title}\n")
    assert "**Mode:** Synopsis" in written and "**Model:** tiny" in written
    assert saved.text.strip() in written
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # written atomically

    # PDF: its extracted text has the title, mode, model and the summary's words.
    pdf = history.export_to(tmp_path / "river.pdf")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    text = squeezed(pdf_text(pdf))
    for expected in (saved.document_title, "Mode:Synopsis", "Model:tiny", *words):
        assert squeezed(expected) in text, expected

    # A folder that cannot be written (or is gone): a clear error, nothing written.
    assert history.export_to(tmp_path / "gone" / "river.md") is None
    assert window.banner.text == f"The folder {tmp_path / 'gone'} does not exist."
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert history.export_to(locked / "river.md") is None
            assert window.banner.text.startswith(f"Cannot write to the folder {locked}")
            assert not list(locked.iterdir())
        finally:
            locked.chmod(0o700)

    # Print: the same document through a printer (a PDF file here, no dialog).
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_markdown(printer, summary_markdown(saved), saved.title)
    assert squeezed(saved.document_title) in squeezed(pdf_text(tmp_path / "printed.pdf"))
    # File > Print… and File > Export… ask without blocking.
    window.menu_actions["print"].trigger()
    assert isinstance(history.dialog, QPrintDialog) and history.dialog.isVisible()
    history.dialog.reject()
    to_file = QPrinter(QPrinter.PrinterMode.HighResolution)
    to_file.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # as "Print to File"
    to_file.setOutputFileName(str(tmp_path / "from-dialog.pdf"))
    dialog = history.print_shown(to_file)
    assert dialog is not None and dialog.isVisible()
    dialog.accept()
    printed = squeezed(pdf_text(tmp_path / "from-dialog.pdf"))
    assert squeezed(saved.title) in printed and squeezed(words[0]) in printed
    window.menu_actions["export"].trigger()
    assert isinstance(history.dialog, QFileDialog) and history.dialog.isVisible()
    history.dialog.reject()

    # Copy keeps formatting: rich text, Markdown and plain text on the clipboard.
    view = window.summary_view
    view.setFocus()
    view.selectAll()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasHtml() and mime.hasText()
    assert "text/markdown" in mime.formats()
    assert words[0] in mime.text() and words[0] in mime.html()
    QGuiApplication.clipboard().clear()
    window.menu_actions["copy"].trigger()  # Edit > Copy, the focus in the summary
    assert "text/markdown" in QGuiApplication.clipboard().mimeData().formats()
    QGuiApplication.clipboard().clear()
    window.menu_actions["copy_summary"].trigger()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasHtml() and words[0] in bytes(mime.data("text/markdown")).decode()

    # Delete, after a question that does not block.
    panel = history.panel
    assert panel.select(SUMMARY, saved.id)
    box = panel.ask_delete()
    assert isinstance(box, QMessageBox) and box.isVisible()
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    delete.click()
    assert window.store.summaries.get(saved.id) is None
    assert panel.entries(SUMMARY) == []
    assert window.summary_view.text == ""


def test_the_history_keys(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    """View > History, File > Export…, File > Print… and Edit > Copy Summary, by their keys."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from logline.summarize.result import SummaryResult
    from logline.summarize.stored import SummaryStream

    window = new_window(qtbot, tiny_model_dir)
    window.activateWindow()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    history = window.history

    def press(name: str) -> None:
        window.activateWindow()  # back from a dialog
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
        QTest.keySequence(window, window.menu_actions[name].shortcut())
        QApplication.processEvents()

    assert window.menu_actions["print"].shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    press("export")  # nothing shown yet: said so, no dialog
    assert history.dialog is None
    press("history")
    assert window.summary_tabs.currentWidget() is history.panel
    assert history.panel.hint.text().startswith("Nothing saved for this document yet")
    stream = SummaryStream(window.store, history.keeper.document_id(), "synopsis", "tiny")
    stream.append("**ANNA** walks to the river.")
    stream.finish(SummaryResult("**ANNA** walks to the river.", "", "done", "synopsis", None))
    history.refresh()
    (entry,) = history.panel.entries(SUMMARY)
    history.panel.select(SUMMARY, entry[1])
    history.panel.list.setFocus()
    QTest.keyClick(history.panel.list, Qt.Key.Key_Return)  # Enter shows it
    assert window.summary_view.toPlainText() == "ANNA walks to the river."
    assert window.summary_detail.text().startswith("Saved · Synopsis · tiny · ")
    press("export")
    assert isinstance(history.dialog, QFileDialog) and history.dialog.isVisible()
    history.dialog.reject()
    press("print")
    assert isinstance(history.dialog, QPrintDialog) and history.dialog.isVisible()
    history.dialog.reject()
    QGuiApplication.clipboard().clear()
    press("copy_summary")
    mime = QGuiApplication.clipboard().mimeData()
    assert "<b>ANNA</b>" in mime.html() or "font-weight" in mime.html()
    assert bytes(mime.data("text/markdown")).decode().strip() == "**ANNA** walks to the river."
    assert mime.text() == "ANNA walks to the river."
    # Delete in the list asks (a sheet, not a nested loop); Cancel keeps the summary.
    history.show_panel()
    history.panel.select(SUMMARY, entry[1])
    QTest.keyClick(history.panel.list, Qt.Key.Key_Delete)
    box = history.panel.question
    assert isinstance(box, QMessageBox) and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.store.summaries.get(entry[1]) is not None
