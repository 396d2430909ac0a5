"""The chat pane's widgets on their own: the transcript, the question box, the context meter and
the conversation list (no model, no store)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QInputDialog, QMessageBox, QPushButton

from logline.chat.events import ContextUse, Reading
from logline.ui.chat_composer import ChatComposer
from logline.ui.chat_view import FLUSH_INTERVAL_MS, ChatView, ShownMessage, linkify_citations
from logline.ui.context_meter import ContextMeter
from logline.ui.conversation_list import ConversationList

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot) -> ChatView:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    return view


def test_citations_become_scene_links() -> None:
    text = linkify_citations(
        "Marta lies (Sc. 3, p. 2) and later (Scene 12; Sc. 14, p. 9). Not (p. 4), "
        "nor (⚠ Sc. 99 — not in this script)."
    )
    assert "([Sc. 3](scene:3), p. 2)" in text
    assert "([Scene 12](scene:12); [Sc. 14](scene:14), p. 9)" in text
    assert "(p. 4)" in text  # a page alone names no scene
    assert "(⚠ Sc. 99 — not in this script)" in text  # a flagged citation is no link


def test_clicking_a_citation_asks_for_its_scene(qtbot, view: ChatView) -> None:
    view.set_messages(
        [
            ShownMessage(1, "user", "Who lies?"),
            ShownMessage(2, "assistant", "Marta (Sc. 3, p. 2), then Tom (Sc. 5)."),
        ]
    )
    assert view.links() == ["scene:3", "scene:5"]
    with qtbot.waitSignal(view.sceneRequested) as blocker:
        view.anchorClicked.emit(view.document().baseUrl().resolved("scene:5"))
    assert blocker.args == [5]


def test_streaming_is_painted_in_batches(qtbot, view: ChatView) -> None:
    view.set_messages([ShownMessage(1, "user", "Who lies?")])
    painted = view.renders
    view.begin_answer(2)
    for word in ["Marta ", "lies ", "to ", "Tom ", "(Sc. 3)."] * 20:
        view.append_answer(word)
    assert view.renders == painted  # nothing painted per token
    assert view.repaint_pending
    qtbot.waitUntil(lambda: not view.repaint_pending, timeout=FLUSH_INTERVAL_MS * 20)
    assert view.renders == painted + 1  # one repaint for the hundred pieces
    assert "Marta lies to Tom" in view.toPlainText()


def test_retract_drops_text_before_appending(view: ChatView) -> None:
    view.begin_answer(2)
    view.append_answer("Marta lies to Edwa")
    view.append_answer("Edward.", retract=4)
    view.flush()
    assert view.answer_text() == "Marta lies to Edward."
    assert "Marta lies to Edward." in view.toPlainText()


def test_finished_answer_shows_reason_stats_and_branches(qtbot, view: ChatView) -> None:
    view.set_messages(
        [
            ShownMessage(1, "user", "Who lies?"),
            ShownMessage(
                4, "assistant", "Marta", "stopped", "tiny · 10 prompt tokens", (2, 3), 3, 5
            ),
        ]
    )
    text = view.toPlainText()
    assert "Stopped" in text and "tiny · 10 prompt tokens" in text and "2/3" in text
    assert view.links() == ["branch:3", "branch:5"]
    with qtbot.waitSignal(view.branchRequested) as blocker:
        view.open_link("branch:5")
    assert blocker.args == [5]


def test_length_limit_is_said(view: ChatView) -> None:
    view.begin_answer(2)
    view.append_answer("Marta")
    view.finish_answer(None, "length", "")
    assert "Cut at the length limit" in view.toPlainText()


def test_enter_sends_and_shift_enter_adds_a_line(qtbot) -> None:
    composer = ChatComposer()
    qtbot.addWidget(composer)
    composer.show()
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    qtbot.keyClicks(composer.edit, "Who lies")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "and why?")
    assert sent == []
    assert composer.text == "Who lies\nand why?"
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["Who lies\nand why?"]
    assert composer.text == ""


def test_busy_composer_sends_nothing_and_offers_stop(qtbot) -> None:
    composer = ChatComposer()
    qtbot.addWidget(composer)
    composer.show()
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    composer.set_busy(True)
    assert composer.stop_button.isVisible() and not composer.send_button.isVisible()
    composer.edit.setPlainText("Next question")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []
    with qtbot.waitSignal(composer.stopRequested):
        qtbot.mouseClick(composer.stop_button, Qt.MouseButton.LeftButton)
    composer.set_busy(False)
    assert composer.send_button.isVisible() and not composer.stop_button.isVisible()
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert sent == ["Next question"]


def test_meter_fits_then_turns_red_when_it_does_not(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.show_use(ContextUse(3000, 500, 40, 512, 8192, dropped_turns=2))
    assert not meter.over
    assert meter.label.text().startswith("Context 49% of 8,192 tokens")
    tip = meter.bar.toolTip()
    assert "script: 3,000 tokens" in tip and "2 earliest turns left out" in tip
    meter.show_use(ContextUse(7000, 0, 900, 512, 8192, script_mode="digest"))
    assert meter.over
    assert "Does not fit" in meter.label.text()
    assert "c62828" in meter.bar.styleSheet()
    assert "script digest" in meter.label.toolTip()


def test_meter_shows_the_first_reading_of_the_script(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.show()
    meter.show_reading(Reading(10, 100))  # a question's own tokens: no bar
    assert not meter.reading
    meter.show_reading(Reading(40, 100, script=True))
    assert meter.reading and meter.reading_bar.value() == 40
    meter.hide_reading()
    assert not meter.reading


def test_conversation_list_new_rename_delete(qtbot) -> None:
    lists = ConversationList()
    qtbot.addWidget(lists)
    lists.show()
    lists.set_conversations([(7, "Who lies?"), (3, "The river")], current=3)
    assert lists.current_id() == 3 and lists.titles() == ["Who lies?", "The river"]
    with qtbot.waitSignal(lists.chosen) as chosen:
        lists.combo.setCurrentIndex(0)
    assert chosen.args == [7]
    with qtbot.waitSignal(lists.newRequested):
        qtbot.mouseClick(lists.new_button, Qt.MouseButton.LeftButton)

    lists.ask_rename()  # a dialog opened without blocking
    dialog = lists.dialog
    assert isinstance(dialog, QInputDialog) and dialog.isVisible()
    dialog.setTextValue("Edward's betrayal")
    with qtbot.waitSignal(lists.renameRequested) as renamed:
        dialog.accept()
    assert renamed.args == [7, "Edward's betrayal"]

    lists.ask_delete()
    box = lists.dialog
    assert isinstance(box, QMessageBox)
    deleted: list[int] = []
    lists.deleteRequested.connect(deleted.append)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert deleted == []
    lists.ask_delete()
    lists.dialog.findChild(QPushButton, "confirmDelete").click()
    assert deleted == [7]


def test_a_palette_change_repaints_the_frames(view: ChatView) -> None:
    view.set_messages([ShownMessage(1, "user", "Who lies?")])
    painted = view.renders
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1f22"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    view.setPalette(palette)
    assert view.renders > painted


def test_no_conversation_yet_is_said_not_left_blank(qtbot) -> None:
    """The conversation picker was an empty box until the first question."""
    from logline.ui.conversation_list import NO_CONVERSATION

    conversations = ConversationList()
    qtbot.addWidget(conversations)
    conversations.set_conversations([], None)
    assert conversations.combo.currentIndex() == -1
    assert conversations.combo.placeholderText() == NO_CONVERSATION
    conversations.set_conversations([(3, "Who is Mike?")], 3)
    assert conversations.combo.currentText() == "Who is Mike?"
