"""The chat pane end to end in the window, on the tiny model and the real store: ask (streamed,
batched), stop (the partial answer kept), regenerate (a second branch), switch model mid-
conversation, restart (a new window, the same LOGLINE_HOME) with the conversation restored,
and a citation clicked landing on its scene in the document view."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from chat_helpers import write_script
from logline.chat.events import AnswerText, Reading, TurnResult
from logline.chat.session import ChatOptions
from logline.ui.chat_pane import switch_notice
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

TURN_S = 180  # the first turn imports MLX, loads the model and reads the script
OPTIONS = ChatOptions(answer_tokens=160, facts_answers=False)


def make_window(qtbot, model_dir: Path, options: ChatOptions | None = OPTIONS) -> MainWindow:
    window = MainWindow(model_override=("tiny", model_dir), chat_options=options)
    qtbot.addWidget(window)
    window.show()
    return window


def open_script(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        assert window.open_file(path)


def wait_turn(qtbot, window: MainWindow, start) -> TurnResult:
    """Run ``start()`` (which starts a turn) and wait until the turn is over and shown."""
    results: list[TurnResult] = []
    window.chat.turnFinished.connect(results.append)
    try:
        with qtbot.waitSignal(
            window.chat.busyChanged, timeout=TURN_S * 1000, check_params_cb=lambda busy: not busy
        ):
            start()
    finally:
        window.chat.turnFinished.disconnect(results.append)
    assert len(results) == 1
    return results[0]


def type_question(qtbot, window: MainWindow, question: str) -> None:
    edit = window.chat_pane.composer.edit
    edit.setPlainText(question)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_ask_stop_regenerate_switch_restart_and_cite(qtbot, tiny_model_dir: Path, tmp_path: Path):
    script = write_script(tmp_path, repeats=6)  # 24 scenes: the document view scrolls
    window = make_window(qtbot, tiny_model_dir)
    pane, store = window.chat_pane, window.store
    assert store is not None
    open_script(qtbot, window, script)
    assert pane.composer.isEnabled() and pane.conversations.titles() == []

    # Ask: the answer streams into the transcript, painted in batches, then stored.
    answers: list[AnswerText] = []
    readings: list[Reading] = []
    window.host.jobQueued.connect(lambda job: job.on_event(_collect(answers, readings)))
    painted = pane.view.renders
    first = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "Who is Edward?"))
    assert first.reason in ("done", "length", "repetition") and first.stats is not None
    assert len(answers) > 3 and pane.view.renders - painted < len(answers)
    shown = pane.view.messages
    assert [m.role for m in shown] == ["user", "assistant"]
    assert shown[0].text == "Who is Edward?" and shown[1].text == first.text
    assert first.stats.one_line() in pane.view.toPlainText()
    assert pane.meter.use is not None and pane.meter.use.fits
    assert pane.conversations.titles() == ["Who is Edward?"]
    assert store.messages.get(first.message_id).content == first.text
    # The script was read once, as the question was typed, with the meter's progress bar.
    assert any(r.script for r in readings) and not pane.meter.reading

    # Stop: the partial answer stays, on screen and in the store.
    def stop_at_first_text(job) -> None:
        job.on_event(lambda e: isinstance(e, AnswerText) and pane.composer.stop_button.click())

    # A long answer, so the Stop always lands while it streams (even on a loaded machine).
    window.chat.session.options = ChatOptions(answer_tokens=4000, facts_answers=False)
    window.host.jobQueued.connect(stop_at_first_text)
    stopped = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "And Mavis?"))
    window.host.jobQueued.disconnect(stop_at_first_text)
    window.chat.session.options = OPTIONS
    assert stopped.reason == "stopped"
    assert "Stopped" in pane.view.toPlainText()
    assert store.messages.get(stopped.message_id).finish_reason == "stopped"
    assert pane.view.messages[-1].text == stopped.text

    # Regenerate: a second answer beside the stopped one, both kept, "2/2" shown.
    again = wait_turn(qtbot, window, pane.regenerate_button.click)
    assert again.message_id != stopped.message_id
    siblings = [m.id for m in store.messages.siblings(again.message_id)]
    assert siblings == [stopped.message_id, again.message_id]
    assert pane.view.messages[-1].branch == (2, 2) and "2/2" in pane.view.toPlainText()
    with qtbot.waitSignal(pane.view.branchRequested):
        pane.view.open_link(f"branch:{stopped.message_id}")  # back to the first branch
    assert pane.view.messages[-1].id == stopped.message_id
    pane.view.open_link(f"branch:{again.message_id}")
    assert pane.view.messages[-1].id == again.message_id

    # Edit the last question: it is answered as a new branch, the old question kept.
    old_question = pane.last_message("user")
    pane.edit_button.click()
    assert pane.editing == old_question.id and pane.composer.text == old_question.text
    edited = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "And Edward?"))
    new_question = store.messages.get(store.messages.get(edited.message_id).parent_id)
    assert new_question.content == "And Edward?" and pane.editing is None
    assert [m.id for m in store.messages.siblings(new_question.id)] == [
        old_question.id,
        new_question.id,
    ]
    assert pane.view.messages[-2].text == "And Edward?" and pane.view.messages[-2].branch == (2, 2)

    # Switch model mid-conversation: same conversation, a notice, the next answer by the other.
    other = tmp_path / "tiny-b"
    shutil.copytree(tiny_model_dir, other)
    picker = pane.model_picker
    picker.set_model("tiny-b", other, "Tiny B")
    picker.activated.emit(picker.currentIndex())  # as the user's choice
    assert switch_notice("Tiny B") in pane.view.toPlainText()
    before = [m.id for m in pane.view.messages if m.role != "notice"]
    switched = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "Where?"))
    assert switched.stats is not None and switched.stats.model != first.stats.model
    ids = [m.id for m in pane.view.messages if m.role != "notice"]
    assert ids[: len(before)] == before and len(ids) == len(before) + 2
    conversation = window.chat.session.conversation_id
    thread = [(m.id, m.content) for m in window.chat.session.thread()]
    window.close()

    # Restart: a new window on the same store shows the conversation as it was.
    window = make_window(qtbot, tiny_model_dir, options=None)  # facts answers on
    pane = window.chat_pane
    open_script(qtbot, window, script)
    assert window.chat.session is not None
    assert window.chat.session.conversation_id == conversation
    assert [(m.id, m.text) for m in pane.view.messages] == thread
    assert pane.conversations.titles() == ["Who is Edward?"]

    # A citation clicked lands on its scene in the document view.
    cited = wait_turn(
        qtbot, window, lambda: type_question(qtbot, window, "Which scenes is Edward in?")
    )
    assert "(Sc. 2, p. 1" in cited.text
    assert "scene:12" in pane.view.links()
    pane.view.open_link("scene:12")
    document_view = window.document_view
    assert document_view.textCursor().selectedText() == "EXT. RIVER - NIGHT"
    heading = -1
    for _ in range(3):  # scene 12 is the third river-at-night scene (one in four)
        heading = document_view.toPlainText().find("EXT. RIVER - NIGHT", heading + 1)
    assert document_view.textCursor().selectionStart() == heading
    assert document_view.firstVisibleBlock().text() == "EXT. RIVER - NIGHT"
    window.close()


def _collect(answers: list[AnswerText], readings: list[Reading]):
    def on_event(event: object) -> None:
        if isinstance(event, AnswerText):
            answers.append(event)
        elif isinstance(event, Reading):
            readings.append(event)

    return on_event


@pytest.mark.slow
def test_the_embedded_model_answers_in_the_pane_and_the_answer_comes_back(
    qtbot, smollm2_model_dir: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path, repeats=2)
    options = ChatOptions(answer_tokens=48, facts_answers=False)
    window = MainWindow(model_override=("smollm2", smollm2_model_dir), chat_options=options)
    qtbot.addWidget(window)
    window.show()
    open_script(qtbot, window, script)
    answer = wait_turn(
        qtbot, window, lambda: type_question(qtbot, window, "Who follows Edward to the water?")
    )
    assert answer.reason in ("done", "length", "repetition") and answer.text.strip()
    assert answer.stats is not None and answer.stats.cached_tokens > 0  # the script from its cache
    shown = window.chat_pane.view.messages[-1]
    assert shown.id == answer.message_id and shown.text == answer.text
    assert answer.stats.one_line() in window.chat_pane.view.toPlainText()
    for link in window.chat_pane.view.links():  # any scene it cites opens in the document
        if link.startswith("scene:"):
            number = int(link.split(":")[1])
            assert window.document_view.show_scene(number) == any(
                s.number == number for s in window.document.scenes
            )
    window.close()

    window = make_window(qtbot, smollm2_model_dir, options=options)
    open_script(qtbot, window, script)
    assert [m.text for m in window.chat_pane.view.messages] == [
        "Who follows Edward to the water?",
        answer.text,
    ]
    window.close()


def test_conversations_new_rename_delete_and_copy(qtbot, tiny_model_dir: Path, tmp_path: Path):
    window = make_window(qtbot, tiny_model_dir)
    pane, chat = window.chat_pane, window.chat
    open_script(qtbot, window, write_script(tmp_path))
    first = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "Who is Mavis?"))
    pane.copy_button.click()
    assert QApplication.clipboard().text() == first.text
    pane.conversations.new_button.click()  # an empty transcript, the old one kept
    assert pane.view.messages == [] and pane.conversations.titles()[1] == "Who is Mavis?"
    newest = chat.session.conversation_id
    chat.rename(newest, "Scratch")
    assert pane.conversations.titles() == ["Scratch", "Who is Mavis?"]
    pane.conversations.combo.setCurrentIndex(1)  # back to the first: its messages return
    assert [m.text for m in pane.view.messages] == ["Who is Mavis?", first.text]
    pane.conversations.ask_delete()
    pane.conversations.dialog.findChild(QPushButton, "confirmDelete").click()
    assert pane.conversations.titles() == ["Scratch"]
    assert chat.session.conversation_id == newest and pane.view.messages == []
    window.close()


def test_deleting_an_answer_keeps_its_other_branches(qtbot, tiny_model_dir: Path, tmp_path):
    window = make_window(qtbot, tiny_model_dir)
    pane, store = window.chat_pane, window.store
    open_script(qtbot, window, write_script(tmp_path))
    first = wait_turn(qtbot, window, lambda: type_question(qtbot, window, "Who is Mavis?"))
    second = wait_turn(qtbot, window, pane.regenerate_button.click)
    pane.ask_delete()
    pane.confirm.button(pane.confirm.StandardButton.Yes).click()  # the user confirms
    assert store.messages.get(second.message_id) is None
    assert pane.view.messages[-1].id == first.message_id  # the other branch is shown
    pane.ask_delete()
    pane.confirm.button(pane.confirm.StandardButton.Cancel).click()
    assert store.messages.get(first.message_id) is not None
    window.close()


def test_a_damaged_store_turns_the_chat_off_and_says_why(qtbot, tiny_model_dir: Path) -> None:
    from logline.store.store import default_path

    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 100)
    window = make_window(qtbot, tiny_model_dir)
    assert window.store is None and not window.chat_pane.isEnabled()
    assert "Conversations are off" in window.banner.findChild(QLabel).text()
    assert "Conversations are off" in window.chat_pane.view.placeholderText()
    assert path.read_bytes() == b"not a database" * 100  # never overwritten
    window.close()


def test_the_chat_hint_says_to_open_a_document_until_one_is(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """With nothing open the chat said "Ask a question about the open document"."""
    from logline.ui.chat_view import IDLE_HINT, NO_DOCUMENT_HINT

    window = make_window(qtbot, tiny_model_dir)
    assert window.chat_pane.view.placeholderText() == NO_DOCUMENT_HINT
    open_script(qtbot, window, write_script(tmp_path))
    assert window.chat_pane.view.placeholderText() == IDLE_HINT
    window.close()


def test_a_summary_the_window_writes_is_kept_in_the_store(qtbot, tiny_model_dir: Path, tmp_path):
    window = make_window(qtbot, tiny_model_dir)
    open_script(qtbot, window, write_script(tmp_path))
    with qtbot.waitSignal(window.presenter.finished, timeout=TURN_S * 1000) as done:
        window.summarize()
    assert done.args[0].text
    qtbot.waitUntil(lambda: not window.host.busy, timeout=10000)
    document = window.store.documents.by_path(window.document.path)[0]
    kept = window.store.summaries.list(document.id)
    assert [summary.text for summary in kept] == [done.args[0].text]
    window.close()


def test_the_meter_counts_the_question_before_it_is_sent(qtbot, tiny_model_dir: Path, tmp_path):
    window = make_window(qtbot, tiny_model_dir)
    pane = window.chat_pane
    open_script(qtbot, window, write_script(tmp_path))
    wait_turn(qtbot, window, lambda: type_question(qtbot, window, "Who is Mavis?"))
    # Measured again for the next turn: the first exchange is history now.
    qtbot.waitUntil(lambda: pane.meter.use.history > 0, timeout=20000)
    after_turn = pane.meter.use
    pane.composer.edit.setPlainText("Where is the diner, and who goes there at night? " * 3)
    qtbot.waitUntil(lambda: pane.meter.use.question > after_turn.question + 20, timeout=20000)
    assert pane.meter.use.script == after_turn.script
    assert window.store.messages.all(window.chat.session.conversation_id)[-1].role == "assistant"
    window.close()
