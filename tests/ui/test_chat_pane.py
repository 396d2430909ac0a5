"""The chat pane end to end with the tiny model on the real engine thread: ask and stream,
stop, regenerate (branches), switch model mid-conversation, restart and find it restored, click
a citation and land on the scene; plus the pane's own widgets (Enter and Shift+Enter, coalesced
painting, the meter)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeyEvent

from chat_helpers import write_script
from logline.chat.events import ContextUse
from logline.ui.chat_composer import ChatComposer
from logline.ui.chat_view import ChatView, ShownMessage, linked
from logline.ui.context_meter import ContextMeter
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
TURN_S = 120_000  # ms: the first turn imports MLX, loads the model and reads the script


def _window(qtbot, model_dir: Path) -> MainWindow:
    window = MainWindow(model_override=("tiny", model_dir))
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tiny_model_dir: Path) -> Iterator[MainWindow]:
    window = _window(qtbot, tiny_model_dir)
    yield window
    window.close()


def _open(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.documentOpened, timeout=20_000):
        assert window.open_file(path)


def _ask(qtbot, window: MainWindow, text: str):
    chat = window.chat
    with qtbot.waitSignal(chat.busyChanged, timeout=TURN_S, check_params_cb=lambda b: not b):
        chat.pane.composer.setPlainText(text)
        chat.pane.composer.submit()
    return chat.pane.view.messages


def test_ask_streams_an_answer_that_is_kept_and_restored_after_a_restart(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path)
    window = _window(qtbot, tiny_model_dir)
    _open(qtbot, window, script)
    streamed: list[str] = []
    window.chat.pane.view.textChanged.connect(
        lambda: streamed.append(window.chat.pane.view.answer_text)
    )
    messages = _ask(qtbot, window, "Who follows Edward?")
    assert [m.role for m in messages] == ["user", "assistant"]
    answer = messages[-1]
    assert answer.content and answer.model == "tiny" and answer.stats["prompt_tokens"] > 0
    assert any(0 < len(s) < len(answer.content) for s in streamed)  # painted while streaming
    assert window.chat.pane.meter.use is not None and window.chat.pane.meter.use.fits
    second = _ask(qtbot, window, "Where is the diner?")
    assert second[-1].stats["cached_tokens"] >= answer.stats["prompt_tokens"]
    conversation = window.chat.session.conversation_id
    assert window.chat.pane.conversations.combo.currentText() == "Who follows Edward?"
    window.close()

    restarted = _window(qtbot, tiny_model_dir)
    with qtbot.waitSignal(restarted.chat.conversationShown, timeout=20_000) as shown:
        assert restarted.open_file(script)
    assert shown.args == [conversation]
    restored = restarted.chat.pane.view.messages
    assert [m.content for m in restored] == [m.content for m in second]
    restarted.close()


def test_stop_keeps_the_partial_answer(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    from logline.chat.session import ChatOptions

    window = _window(qtbot, tiny_model_dir)
    _open(qtbot, window, write_script(tmp_path))
    chat = window.chat
    _ask(qtbot, window, "Who follows Edward?")  # loads the model and reads the script
    chat.session.options = ChatOptions(answer_tokens=4000, facts_answers=False)
    qtbot.waitUntil(lambda: not chat.busy)
    with qtbot.waitSignal(chat.busyChanged, timeout=TURN_S, check_params_cb=lambda b: not b):
        chat.pane.composer.setPlainText("Tell me everything about Mavis.")
        chat.pane.composer.submit()
        qtbot.waitUntil(lambda: len(chat.pane.view.answer_text) > 20, timeout=TURN_S)
        assert chat.pane.stop_button.isVisible()
        chat.stop()
    last = chat.pane.view.messages[-1]
    assert last.finish_reason == "stopped" and len(last.content) > 20
    assert "Stopped." in chat.pane.view.toPlainText()
    window.close()


def test_regenerate_keeps_both_branches_and_switching_model_keeps_the_conversation(
    qtbot, window: MainWindow, tiny_model_dir: Path, tmp_path: Path
) -> None:
    _open(qtbot, window, write_script(tmp_path))
    chat = window.chat
    first = _ask(qtbot, window, "Who follows Edward?")[-1]
    with qtbot.waitSignal(chat.busyChanged, timeout=TURN_S, check_params_cb=lambda b: not b):
        chat.pane.regenerate_button.click()
    again = chat.pane.view.messages[-1]
    assert again.id != first.id and again.branch == (2, 2) and again.previous_id == first.id
    assert "2/2" in chat.pane.view.toPlainText()
    chat.pane.view.branchRequested.emit(first.id)  # back to the first branch
    assert chat.pane.view.messages[-1].id == first.id
    # Another model for the next answer: the conversation stays, and the pane says so.
    window.set_model("tiny-two", tiny_model_dir, "Tiny Two")
    assert "The next answer uses Tiny Two" in chat.pane.notice.text()
    after = _ask(qtbot, window, "Where is the diner?")
    assert len(after) == 4 and after[-1].model == "tiny-two"
    assert after[1].id == first.id


def test_a_citation_link_lands_on_the_scene(qtbot, window: MainWindow, tmp_path: Path) -> None:
    document_path = write_script(tmp_path)
    _open(qtbot, window, document_path)
    view = window.chat.pane.view
    view.show_messages([ShownMessage(1, "assistant", "The giant follows him (Sc. 4, p. 1).")])
    with qtbot.waitSignal(window.document_view.sceneShown, timeout=5000) as shown:
        view.anchorClicked.emit(QUrl("scene:4"))
    assert shown.args == [4]
    cursor = window.document_view.textCursor()
    line = cursor.block().text()
    assert line.startswith("EXT. RIVER - NIGHT")


def test_enter_sends_and_shift_enter_adds_a_line(qtbot) -> None:
    composer = ChatComposer()
    qtbot.addWidget(composer)
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    composer.setPlainText("Who is")
    composer.moveCursor(composer.textCursor().MoveOperation.End)
    shift = QKeyEvent(
        QKeyEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier, "\r"
    )
    composer.keyPressEvent(shift)
    composer.insertPlainText("Mavis?")
    assert composer.toPlainText() == "Who is\nMavis?" and sent == []
    composer.keyPressEvent(
        QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
    )
    assert sent == ["Who is\nMavis?"] and composer.toPlainText() == ""


def test_streaming_is_painted_at_most_every_interval(qtbot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.begin_answer(7, "tiny")
    before = view.paints
    for _ in range(500):
        view.append("word ")
    view.append("", retract=len("word "))
    assert view.paints == before  # nothing painted yet: coalesced
    qtbot.waitUntil(lambda: view.paints > before, timeout=2000)
    assert view.paints - before <= 2
    assert view.answer_text == "word " * 499
    assert linked("(Sc. 3, p. 2) and (⚠ Sc. 99 — not in this script)") == (
        "([Sc. 3](scene:3), p. 2) and (⚠ Sc. 99 — not in this script)"
    )


def test_the_meter_says_when_a_turn_does_not_fit(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_use(ContextUse(script=3000, history=500, question=20, reserve=512, usable=8192))
    assert meter.label.text() == "Context 49%" and "Earlier turns: 500" in meter.toolTip()
    meter.set_use(
        ContextUse(script=7000, history=900, question=20, reserve=512, usable=8192, dropped_turns=2)
    )
    assert meter.label.text().startswith("Does not fit")
    assert "2 earliest turn(s) left out" in meter.toolTip()
    meter.set_reading(100, 400)
    assert meter.reading.isVisibleTo(meter) and not meter.bar.isVisibleTo(meter)
    meter.set_reading(400, 400)
    assert not meter.reading.isVisibleTo(meter)
