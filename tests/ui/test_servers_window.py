"""Inference servers in the window (issue 18, item 3): the pickers list server entries (refused
ones disabled with the reason), the Models window's Servers tab tests a server off the GUI
thread and removes one after asking, a remote choice runs on the server without the local
engine, and every answer written on a server carries a badge saying where the text went.

Real parts: server entries in the per-test data folder, scripted servers on 127.0.0.1
(``fault_server``), the real capability probe, the real store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from chat_helpers import write_script
from fault_server import FaultServer, chunk, json_reply, sse
from logline.config import update_settings
from logline.models import servers
from logline.models.server_model import server_choice
from logline.ui.chat_view import ShownMessage
from logline.ui.main_window import MainWindow
from logline.ui.model_picker import ModelPicker
from logline.ui.models_dialog import ModelsDialog
from logline.ui.server_add_dialog import NO_CONTEXT
from logline.ui.server_choices import SERVER_HEADING, choice_key
from logline.ui.server_records import (
    badge_text,
    mark_stored_answer,
    server_record,
    stored_answer_badge,
)
from logline.ui.servers_panel import COLUMNS

pytestmark = pytest.mark.gui


MODELS = "/v1/models"
CHAT = "/v1/chat/completions"
PUBLIC = "https://93.184.216.34/v1"  # a public address: refused while offline


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGLINE_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def server_items(picker: ModelPicker) -> dict[str, int]:
    """The picker's server entries: their text and index."""
    return {
        picker.itemText(i): i
        for i in range(picker.count())
        if getattr(picker.itemData(i), "server", None) is not None
    }


def models_reply(context: int | None = 4096) -> Any:
    entry: dict[str, Any] = {"id": "tiny-model", "object": "model", "owned_by": "vllm"}
    if context is not None:
        entry["max_model_len"] = context
    return json_reply({"object": "list", "data": [entry]})


# -- the picker ----------------------------------------------------------------------------


def test_the_picker_lists_servers_after_the_local_models_and_disables_refused_ones(
    qtbot,
) -> None:
    servers.add_server("render-01", "http://10.0.0.5:8080/v1", model="llama-3.3-70b",
                       context_length=32768)  # fmt: skip
    servers.add_server("here", "http://127.0.0.1:8080/v1", model="qwen", context_length=8192)
    servers.add_server("cloud", PUBLIC, model="big", context_length=8192)
    servers.add_server("no-context", "http://127.0.0.1:9/v1", model="m")
    update_settings(offline=True)
    picker = ModelPicker()
    qtbot.addWidget(picker)
    items = server_items(picker)
    assert list(items) == [
        "llama-3.3-70b on render-01",
        "qwen on here",
        "big on cloud · refused offline",
        "m on no-context · context not set",
    ]
    heading = picker.findText(SERVER_HEADING)
    assert 0 < heading < min(items.values()) and not picker.is_enabled(heading)
    assert all(i < heading for i, c in enumerate(picker.choices()) if c.server is None)
    render, here, cloud, bare = items.values()
    assert picker.is_enabled(render) and picker.is_enabled(here)  # private, loopback
    tip = picker.itemData(render, 3)  # ToolTipRole
    assert "http://10.0.0.5:8080/v1" in tip and "sent to 10.0.0.5, another machine" in tip
    assert "stays here" in picker.itemData(here, 3)
    assert not picker.is_enabled(cloud)
    assert picker.itemData(cloud, 3).startswith("Offline mode is on")
    assert not picker.is_enabled(bare)
    assert picker.itemData(bare, 3).startswith(
        "Set its context length: logline servers add no-context http://127.0.0.1:9/v1 "
        "--context N --replace"
    )
    # Choosing one yields the server's choice, remembered as server:NAME.
    assert picker.select("server:render-01")
    choice = picker.choice()
    assert choice == server_choice(servers.get_server("render-01"))
    assert choice.is_remote and choice_key(choice) == "server:render-01"
    assert not picker.select("server:cloud")  # refused now: never chosen silently
    # Offline mode off: the public server can be chosen.
    update_settings(offline=False)
    picker.refresh()
    assert picker.choice().server == "render-01"  # kept across the refresh
    assert picker.is_enabled(server_items(picker)["big on cloud"])


def test_a_server_chosen_is_remembered_as_the_default_and_by_the_window(qtbot) -> None:
    servers.add_server("here", "http://127.0.0.1:8080/v1", model="qwen", context_length=8192)
    update_settings(default_model="server:here")
    servers.add_server("there", "http://10.0.0.7:8080/v1", model="qwen", context_length=8192)
    window = MainWindow()
    qtbot.addWidget(window)
    try:
        assert window.model_picker.choice().server == "here"
        assert window.model_picker.select("server:there")
    finally:
        window.close()  # remembers the model in use
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        assert again.model_picker.choice().server == "there"
    finally:
        again.close()


# -- the Models window ---------------------------------------------------------------------


@pytest.fixture
def dialog(qtbot) -> Iterator[ModelsDialog]:
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.servers)
    yield dialog
    assert dialog.shutdown(5)
    dialog.close()


def test_the_servers_tab_lists_each_entry_with_where_its_text_goes(
    qtbot, dialog: ModelsDialog
) -> None:
    servers.add_server("render-01", "http://10.0.0.5:8080/v1", model="llama-3.3-70b",
                       context_length=32768, concurrency=3)  # fmt: skip
    servers.add_server("here", "http://localhost:8080/v1", allowed_offline=True)
    dialog.refresh()
    table = dialog.servers.table
    rows = [[table.item(r, c).text() for c in range(len(COLUMNS))] for r in range(2)]
    assert rows == [
        ["render-01", "llama-3.3-70b", "http://10.0.0.5:8080/v1", "32,768", "3", "no", "yes"],
        ["here", "(the server's)", "http://localhost:8080/v1", "not set", "4", "yes",
         "no (this machine)"],
    ]  # fmt: skip
    assert COLUMNS[-1] == "Text leaves this machine"


def test_test_probes_the_server_off_the_gui_thread_and_shows_what_it_found(
    qtbot, dialog: ModelsDialog
) -> None:
    def slow_models(handler: Any, body: dict[str, Any]) -> None:
        handler.server.closing.wait(0.8)  # the GUI must not wait for this
        models_reply(8192)(handler, body)

    answer = sse([chunk("x", finish="length")])
    with FaultServer({MODELS: [slow_models], CHAT: [answer]}) as server:
        servers.add_server("gpu-box", f"{server.url}/v1", model="tiny-model")
        dialog.refresh()
        panel = dialog.servers
        assert panel.select("gpu-box")
        started = time.monotonic()
        job = panel.test_selected()
        assert job is not None and time.monotonic() - started < 0.3  # returned at once
        assert not panel.test_button.isEnabled()  # one test at a time
        assert panel.result.text().startswith("Testing gpu-box at ")
        with qtbot.waitSignal(panel.tested, timeout=15_000) as blocker:
            pass
        assert blocker.args[0] == "gpu-box"
        text = panel.result.text()
        assert "gpu-box answered. Models: tiny-model." in text
        assert "Context: 8,192 tokens." in text and "Server: vllm." in text
        qtbot.waitUntil(lambda: panel.test_button.isEnabled(), timeout=5000)
        assert [path for path, _, _ in server.requests][:1] == [MODELS]


def test_test_of_an_unreachable_server_says_so_in_one_sentence(qtbot, dialog: ModelsDialog) -> None:
    with FaultServer({}) as server:
        url = f"{server.url}/v1"
    servers.add_server("gone", url, model="m", context_length=4096)  # nothing listens there now
    dialog.refresh()
    panel = dialog.servers
    panel.select("gone")
    with qtbot.waitSignal(panel.tested, timeout=15_000) as blocker:
        panel.test_selected()
    message = blocker.args[1]
    assert "Traceback" not in message and url.split("//")[1].split("/")[0] in message
    assert panel.result.property("level") == "error"


def test_test_while_offline_refuses_a_public_server_without_connecting(
    qtbot, dialog: ModelsDialog, connections: list[object]
) -> None:
    servers.add_server("cloud", PUBLIC, model="big", context_length=8192)
    update_settings(offline=True)
    dialog.refresh()
    dialog.servers.select("cloud")
    assert dialog.servers.test_selected() is None
    assert dialog.servers.result.text().startswith("Offline mode is on and the server 'cloud'")
    assert [c for c in connections if "93.184.216.34" in repr(c)] == []


def test_remove_asks_first_then_removes_the_entry_and_refreshes_the_pickers(
    qtbot, dialog: ModelsDialog
) -> None:
    servers.add_server("render-01", "http://10.0.0.5:8080/v1", model="m", context_length=4096)
    servers.add_server("here", "http://127.0.0.1:8080/v1", model="q", context_length=4096)
    picker = ModelPicker()
    qtbot.addWidget(picker)
    dialog.modelsChanged.connect(picker.refresh)  # as the main window connects them
    dialog.refresh()
    panel = dialog.servers
    panel.select("render-01")
    panel.remove_selected()
    question = dialog.question
    assert question is not None and "render-01" in question.text()
    question.button(QMessageBox.StandardButton.No).click()  # No: nothing is removed
    assert [e.name for e in servers.list_servers()] == ["render-01", "here"]
    panel.select("render-01")
    with qtbot.waitSignal(dialog.modelsChanged, timeout=5000):
        panel.remove_selected()
        dialog.question.button(QMessageBox.StandardButton.Yes).click()
    assert [e.name for e in servers.list_servers()] == ["here"]
    assert panel.table.rowCount() == 1 and panel.result.text() == "Removed render-01."
    assert list(server_items(picker)) == ["q on here"]


def test_add_probes_the_server_then_saves_it_and_the_pickers_list_it(
    qtbot, dialog: ModelsDialog
) -> None:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    dialog.modelsChanged.connect(picker.refresh)
    no_context = sse([chunk("x", finish="length")])
    with FaultServer({MODELS: [models_reply(None)], CHAT: [no_context]}) as server:
        add = dialog.servers.open_add_dialog()
        add.name_edit.setText("studio")
        add.url_edit.setText(f"{server.url}/v1/")
        add.submit()
        qtbot.waitUntil(lambda: add.job is None, timeout=15_000)
        assert add.message.text() == NO_CONTEXT  # never a guess: the user is asked
        assert servers.list_servers() == [] and add.isVisible()
        add.context_spin.setValue(8192)
        with qtbot.waitSignal(dialog.modelsChanged, timeout=15_000):
            add.submit()
    (entry,) = servers.list_servers()
    assert (entry.name, entry.base_url, entry.context_length) == (
        "studio",
        server.url + "/v1",
        8192,
    )
    assert entry.capabilities["models"] == ["tiny-model"]
    assert list(server_items(picker)) == ["tiny-model on studio"]
    assert dialog.servers.result.text().startswith("Added studio")
    qtbot.waitUntil(lambda: not add.isVisible(), timeout=5000)


def test_add_while_offline_refuses_a_public_address_without_connecting(
    qtbot, dialog: ModelsDialog, connections: list[object]
) -> None:
    update_settings(offline=True)
    add = dialog.servers.open_add_dialog()
    add.name_edit.setText("cloud")
    add.url_edit.setText(PUBLIC)
    assert add.submit() is None
    assert add.message.text().startswith("Offline mode is on and the server 'cloud'")
    add.url_edit.setText("ftp://x")
    add.submit()
    assert add.message.text().startswith("The server address must start with http://")
    assert servers.list_servers() == []
    assert [c for c in connections if "93.184.216.34" in repr(c)] == []
    add.reject()


# -- badges --------------------------------------------------------------------------------


def test_the_badge_says_where_the_text_went() -> None:
    remote = servers.ServerEntry("render-01", "http://10.0.0.5:8080/v1", model="m")
    local = servers.ServerEntry("mlx", "http://127.0.0.1:8080/v1", model="m")
    assert badge_text(remote) == "on render-01 · sent to 10.0.0.5"
    assert badge_text(local) == "on this machine's server · mlx"
    # Kept with a stored answer, it outlives the entry.
    assert stored_answer_badge({}, {"server": server_record(remote)}) == badge_text(remote)
    assert stored_answer_badge({"server": server_record(local)}) == badge_text(local)
    assert stored_answer_badge({"last": {"on_server": True}}).startswith("on a server")
    assert stored_answer_badge({"model": "tiny", "prompt_tokens": 3}) == ""


def test_a_stored_chat_answer_keeps_its_badge(tmp_path: Path) -> None:
    from logline.store.store import Store
    from logline.ui.chat_presenter import shown_message

    remote = servers.ServerEntry("render-01", "http://10.0.0.5:8080/v1", model="m")
    store = Store.open(tmp_path / "store.sqlite")
    try:
        document = store.documents.upsert(tmp_path / "a.fountain", "hash", "A", "fountain")
        chat = store.conversations.create(document.id, "About", "m")
        question = store.messages.add(chat.id, None, "user", "Who?")
        answer = store.messages.add(chat.id, question.id, "assistant", "Her.", model="m on r")
        store.messages.finish(answer.id, "done", {"model": "m", "prompt_tokens": 5})
        mark_stored_answer(store, answer.id, server_record(remote))
        shown = shown_message(store, store.messages.get(answer.id))
        assert shown.badge == "on render-01 · sent to 10.0.0.5"
        assert store.messages.get(answer.id).stats["prompt_tokens"] == 5  # kept
        assert shown_message(store, store.messages.get(question.id)).badge == ""
    finally:
        store.close()


def test_the_chat_view_shows_an_answers_badge(qtbot) -> None:
    from logline.ui.chat_view import ChatView

    view = ChatView()
    qtbot.addWidget(view)
    view.set_messages(
        [
            ShownMessage(1, "user", "Who?"),
            ShownMessage(2, "assistant", "Her.", badge="on render-01 · sent to 10.0.0.5"),
        ]
    )
    assert "on render-01 · sent to 10.0.0.5" in view.toPlainText()


# -- jobs ----------------------------------------------------------------------------------


def test_a_refused_server_fails_the_summary_in_one_sentence_without_any_connection(
    qtbot, tmp_path: Path, connections: list[object]
) -> None:
    servers.add_server("cloud", PUBLIC, model="big", context_length=8192, allowed_offline=False)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.documentOpened, timeout=20_000):
            window.open_file(write_script(tmp_path))
        assert window.model_picker.select("server:cloud")
        update_settings(offline=True)  # turned on after choosing: the job still refuses
        connections.clear()
        with qtbot.waitSignal(window.presenter.finished, timeout=20_000) as blocker:
            window.summarize_action.trigger()
        result = blocker.args[0]
        assert result.reason == "error"
        shown = window.banner.text
        assert shown.startswith("Offline mode is on and the server 'cloud'")
        assert "Traceback" not in shown and "failed:" not in shown
        assert [c for c in connections if "93.184.216.34" in repr(c)] == []
        assert window.host.worker._engine is None  # the local engine was never made
        assert window.server_badge.badge == ""  # nothing was written there, nor sent
    finally:
        window.close()


# -- end to end on a scripted server -------------------------------------------------------


def remote_window(qtbot, tmp_path: Path, url: str) -> MainWindow:
    servers.add_server("gpu-box", url, model="tiny-model", context_length=4096, concurrency=2)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    with qtbot.waitSignal(window.documentOpened, timeout=20_000):
        window.open_file(write_script(tmp_path))
    assert window.model_picker.select("server:gpu-box")
    return window


def test_a_summary_on_a_server_streams_with_its_badge_and_keeps_it_in_history(
    qtbot, tmp_path: Path
) -> None:
    answer = sse([chunk("The river "), chunk("rises (Sc. 1)."), chunk("", finish="stop")])
    with FaultServer({CHAT: [answer]}) as server:
        window = remote_window(qtbot, tmp_path, f"{server.url}/v1")
        try:
            with qtbot.waitSignal(window.presenter.finished, timeout=60_000) as blocker:
                window.summarize_action.trigger()
            result = blocker.args[0]
            assert result.reason == "done", result.error
            assert "The river rises" in window.summary_view.text
            badge = window.server_badge
            assert badge.isVisible()
            assert badge.badge == "Written on this machine's server · gpu-box"
            assert window.host.worker._engine is None  # no local engine for a server
            qtbot.waitUntil(lambda: window.history.keeper.stream is None, timeout=10_000)
            (kept,) = window.store.summaries.list(window.history.keeper.document_id())
            assert kept.parameters["server"] == {
                "name": "gpu-box",
                "host": "127.0.0.1",
                "leaves": False,
            }
            # Shown again from History (the entry removed meanwhile), the badge is there.
            servers.remove_server("gpu-box")
            window.server_badge.hide_badge()
            assert window.history.show_summary(kept.id)
            assert badge.badge == "Written on this machine's server · gpu-box"
        finally:
            window.close()


def test_stop_ends_a_summary_on_a_stalled_server_within_a_second(qtbot, tmp_path: Path) -> None:
    stalled = sse([chunk("The river"), 30.0])
    with FaultServer({CHAT: [stalled]}) as server:
        window = remote_window(qtbot, tmp_path, f"{server.url}/v1")
        try:
            window.summarize_action.trigger()
            qtbot.waitUntil(lambda: bool(server.chat_bodies()), timeout=30_000)
            qtbot.wait(700)  # the first words are sent; the server then stalls
            started = time.monotonic()
            with qtbot.waitSignal(window.presenter.finished, timeout=5_000) as blocker:
                window.stop_action.trigger()
            assert time.monotonic() - started < 1.0
            assert blocker.args[0].reason == "stopped"
            assert "The river" in window.summary_view.text  # the partial answer is kept
        finally:
            window.close()


def test_an_unreachable_server_fails_the_summary_in_one_sentence(qtbot, tmp_path: Path) -> None:
    with FaultServer({}) as server:
        url = f"{server.url}/v1"  # nothing listens there once the server is closed
    window = remote_window(qtbot, tmp_path, url)
    try:
        with qtbot.waitSignal(window.presenter.finished, timeout=60_000) as blocker:
            window.summarize_action.trigger()
        assert blocker.args[0].reason == "error"
        shown = window.banner.text
        assert url.split("//")[1].split("/")[0] in shown  # the address, in one sentence
        assert "Traceback" not in shown and not shown.startswith("Summarizing failed")
        assert shown.count(". ") == 0, shown
    finally:
        window.close()


def test_a_chat_answer_on_a_server_carries_its_badge_live_and_stored(qtbot, tmp_path: Path) -> None:
    answer = sse([chunk("She waits "), chunk("for the boat (Sc. 1)."), chunk("", finish="stop")])
    with FaultServer({CHAT: [answer]}) as server:
        window = remote_window(qtbot, tmp_path, f"{server.url}/v1")
        try:
            assert window.chat_pane.model_picker.select("server:gpu-box")
            badges: list[str] = []
            view = window.chat_pane.view

            def on_event(_event: object) -> None:
                if view.streaming is not None and view.streaming.badge:
                    badges.append(view.streaming.badge)

            with qtbot.waitSignal(window.chat.turnFinished, timeout=60_000) as blocker:
                job = window.chat.ask("What is the mood of the story, and why does it matter?")
                assert job is not None
                job.on_event(on_event)
            result = blocker.args[0]
            assert result.reason == "done", result.error
            qtbot.waitUntil(lambda: not window.chat.busy, timeout=10_000)
            assert badges and badges[0] == "on this machine's server · gpu-box"  # while streaming
            shown = [m for m in view.messages if m.role == "assistant"][-1]
            assert "She waits for the boat" in shown.text
            assert shown.badge == "on this machine's server · gpu-box"  # as the store has it
            assert "on this machine's server · gpu-box" in view.toPlainText()
            assert window.host.worker._engine is None
            stored = window.store.messages.get(result.message_id)
            assert stored.stats["server"]["name"] == "gpu-box"
            # A question the script facts answer goes nowhere: no request, no badge.
            sent = len(server.chat_bodies())
            with qtbot.waitSignal(window.chat.turnFinished, timeout=30_000) as blocker:
                window.chat.ask("How many scenes are there?")
            assert blocker.args[0].source == "facts"
            qtbot.waitUntil(lambda: not window.chat.busy, timeout=10_000)
            assert len(server.chat_bodies()) == sent
            assert [m for m in view.messages if m.role == "assistant"][-1].badge == ""
        finally:
            window.close()


# -- end to end on a real mlx_lm.server ----------------------------------------------------


@pytest.mark.slow
def test_a_summary_on_a_real_mlx_server_shows_its_badge(
    qtbot, tmp_path: Path, tiny_model_dir: Path
) -> None:
    try:
        from mlx_server import start_server  # type: ignore[import-not-found]
    except ImportError:
        from test_remote_mlx_server import start_server
    from logline.engine import SamplingParams

    running = start_server(tiny_model_dir, tmp_path / "mlx-server.log")
    try:
        servers.add_server("mlx-here", f"{running.url}/v1", model=running.model,
                           context_length=2048)  # fmt: skip
        window = MainWindow(sampling=SamplingParams(max_tokens=16))
        qtbot.addWidget(window)
        window.show()
        try:
            with qtbot.waitSignal(window.documentOpened, timeout=20_000):
                window.open_file(write_script(tmp_path))
            assert window.model_picker.select("server:mlx-here")
            with qtbot.waitSignal(window.presenter.finished, timeout=180_000) as blocker:
                window.summarize_action.trigger()
            result = blocker.args[0]
            assert result.reason in ("done", "length", "repetition"), result.error
            assert result.stats is not None and result.stats.on_server
            assert window.summary_view.text.strip()
            assert window.server_badge.badge == "Written on this machine's server · mlx-here"
            assert window.host.worker._engine is None
        finally:
            window.close()
    finally:
        running.stop()
