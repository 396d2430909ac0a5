"""A conversation about a corpus script answered by a real ``mlx_lm.server`` on 127.0.0.1.

The server runs the tiny random model (its words are noise: the tests check the mechanics). The
server entry names the model by its folder, so Logline counts tokens with the model's own
tokenizer. Skipped cleanly when the corpus is absent or the server cannot start. Reads
``../shared/corpus`` when present; nothing from it is copied here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chat_helpers import Events
from logline.chat.events import AnswerText, ContextUse
from logline.chat.session import ChatOptions, ChatSession
from logline.documents import load
from logline.engine import CancelToken
from logline.models import servers
from logline.models.server_model import open_server
from logline.store import Store
from mlx_server import MlxServer, start_server

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"
SCRIPT = CORPUS / "fountain" / "brick-and-steel.fountain"
OPTIONS = ChatOptions(answer_tokens=8, facts_answers=False)


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlxServer]:
    running = start_server(tiny_model_dir, tmp_path_factory.mktemp("mlx-chat") / "log")
    yield running
    running.stop()


@pytest.fixture()
def document() -> object:
    if not SCRIPT.is_file():
        pytest.skip(f"the corpus script {SCRIPT.name} is not here")
    return load(SCRIPT)


def entry_for(server: MlxServer, name: str = "local-mlx") -> servers.ServerEntry:
    return servers.add_server(
        name, server.url + "/v1", model=server.model, context_length=8192, concurrency=1
    )


def test_two_turns_and_a_regenerate_on_a_real_server(server: MlxServer, document) -> None:
    engine = open_server(entry_for(server))
    # mlx_lm.server sends its own usage, which wins over counting the text again here.
    counts = "server"
    store = Store.open()
    try:
        session = ChatSession.open(store, document, options=OPTIONS)
        first_events = Events()
        first = session.ask(
            engine, None, "Who is in the first scene?", CancelToken(), first_events.append
        )
        sent_first = json.dumps(session.last_messages[0])
        second = session.ask(engine, None, "And after that?", CancelToken(), Events().append)
        sent_second = session.last_messages
        again = session.regenerate(engine, None, second.message_id, CancelToken(), Events().append)
        thread = session.thread()
    finally:
        store.close()
    label = f"{server.model} on local-mlx"
    for result in (first, second, again):
        assert result.reason in ("done", "length") and result.error is None, result.error
        assert result.stats is not None and result.stats.on_server
        # Text, or at least tokens: mlx-lm 0.30's server can hold back a random model's last
        # bytes (incomplete UTF-8) and send no text for an 8-token answer (make test-oldest).
        assert result.raw_text or result.stats.generation_tokens > 0
        assert result.stats.model == label and result.stats.counts_from == counts
    # The second turn starts with the byte-identical script part, then the first exchange.
    assert json.dumps(sent_second[0]) == sent_first
    assert [m["role"] for m in sent_second] == ["system", "user", "assistant", "user"]
    assert sent_second[2]["content"] == first.raw_text
    use = first_events.of(ContextUse)[0]
    assert use.script_mode == "whole" and use.usable == 8192
    assert use.script == engine.prompt_length([sent_second[0]])
    assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
    assert thread[-1].id == again.message_id and thread[-1].model == label
    assert thread[-1].stats["on_server"] is True


def test_a_server_killed_mid_answer_keeps_the_partial_answer(
    tiny_model_dir: Path, tmp_path: Path, document
) -> None:
    own = start_server(tiny_model_dir, tmp_path / "log")
    store = Store.open()
    try:
        engine = open_server(entry_for(own, "doomed"), timeout_s=20)
        options = ChatOptions(answer_tokens=4000, facts_answers=False)
        session = ChatSession.open(store, document, options=options)
        seen = Events()

        def emit(event: object) -> None:
            seen.append(event)
            if isinstance(event, AnswerText) and len(seen.of(AnswerText)) == 3:
                threading.Thread(target=own.process.kill, daemon=True).start()

        result = session.ask(engine, None, "Tell me everything.", CancelToken(), emit)
        stored = store.messages.get(result.message_id)
    finally:
        own.stop()
        store.close()
    assert result.reason == "error" and result.raw_text
    assert "closed in the middle of the answer" in str(result.error)
    assert stored.finish_reason == "error" and stored.content == result.text
