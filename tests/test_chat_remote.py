"""Conversations answered by a server: the stdlib fault server stands in for it (no MLX here).

What matters on a server: every turn sends its whole messages with the script part first and
byte-identical (the server's prefix cache depends on it), answers are stored under the server's
label with stats that say so, regenerate and edit make branches as locally, the context meter
uses the server's context length, and a server that dies mid-answer is one sentence with the
partial answer kept. The store is real (SQLite under the test's LOGLINE_HOME).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chat_helpers import Events, write_script
from fault_server import FaultServer, chunk, sse, usage_chunk
from logline.chat.events import AnswerText, ContextUse, Notice, TurnFinished, TurnStarted
from logline.chat.session import ChatOptions, ChatSession
from logline.documents import load
from logline.engine import CancelToken
from logline.engine.remote import RemoteEngine
from logline.models import prompt_caches
from logline.store import Store

OPTIONS = ChatOptions(answer_tokens=64, facts_answers=False)
LABEL = "river-model on test-box"


def answer(*pieces: str) -> object:
    return sse([*(chunk(p) for p in pieces), chunk(finish="stop"), usage_chunk(900, len(pieces))])


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[tuple[object, Store]]:
    document = load(write_script(tmp_path))
    store = Store.open()
    yield document, store
    store.close()


def engine_for(server: FaultServer, context_length: int = 8192) -> RemoteEngine:
    return RemoteEngine(
        server.url + "/v1", "river-model", context_length=context_length, label=LABEL, timeout_s=5
    )


def ask(session: ChatSession, engine: RemoteEngine, question: str) -> tuple[object, Events]:
    events = Events()
    result = session.ask(engine, None, question, CancelToken(), events.append)
    return result, events


def test_two_turns_send_the_same_script_part_first_and_store_the_server_label(setup) -> None:
    document, store = setup
    replies = [answer("Mavis ", "runs the press."), answer("By the ", "river.")]
    with FaultServer({"/v1/chat/completions": replies}) as server:
        engine = engine_for(server)
        session = ChatSession.open(store, document, options=OPTIONS)
        first, events = ask(session, engine, "Who runs the print shop?")
        use = events.of(ContextUse)[0]
        assert events.of(TurnStarted)[0].model == LABEL
        second, _ = ask(session, engine, "Where does Edward go?")
        bodies = server.chat_bodies()
    assert (first.raw_text, second.raw_text) == ("Mavis runs the press.", "By the river.")
    assert first.reason == "done" and first.error is None
    # Byte-identical script part first, then the history, then the question.
    assert json.dumps(bodies[0]["messages"][0]) == json.dumps(bodies[1]["messages"][0])
    assert bodies[0]["messages"][0]["role"] == "system"
    assert "INT. PRINT SHOP" in bodies[0]["messages"][0]["content"]
    assert [m["role"] for m in bodies[1]["messages"]] == ["system", "user", "assistant", "user"]
    assert bodies[1]["messages"][2]["content"] == "Mavis runs the press."
    assert bodies[1]["messages"][3]["content"] == "Where does Edward go?"
    assert session.last_messages == bodies[1]["messages"]
    # The meter is planned against the server's context length.
    assert use.usable == 8192 and use.script > 0 and use.fits
    thread = session.thread()
    assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
    stored = thread[-1]
    assert stored.model == LABEL and stored.content == "By the river."
    assert stored.stats["on_server"] is True and stored.stats["counts_from"] == "server"
    assert stored.stats["prompt_tokens"] == 900
    assert first.stats is not None and first.stats.on_server
    assert store.conversations.get(session.conversation_id).model == LABEL
    # Nothing cached here: the server keeps its own prefix cache.
    assert not prompt_caches.folder().exists() or not any(prompt_caches.folder().iterdir())


def test_regenerate_and_edit_make_branches_on_a_server(setup) -> None:
    document, store = setup
    replies = [answer("First."), answer("Second."), answer("Edited.")]
    with FaultServer({"/v1/chat/completions": replies}) as server:
        engine = engine_for(server)
        session = ChatSession.open(store, document, options=OPTIONS)
        first, _ = ask(session, engine, "Who is Mavis?")
        again = session.regenerate(engine, None, first.message_id, CancelToken(), Events().append)
        user_id = store.messages.get(first.message_id).parent_id
        edited = session.edit(
            engine, None, user_id, "Who is Edward?", CancelToken(), Events().append
        )
        bodies = server.chat_bodies()
    assert again.raw_text == "Second." and edited.raw_text == "Edited."
    siblings = store.messages.siblings(first.message_id)
    assert [m.id for m in siblings] == [first.message_id, again.message_id]
    assert store.messages.get(first.message_id).content == "First."  # the old branch is kept
    assert bodies[0]["messages"] == bodies[1]["messages"]  # the same question again
    assert bodies[2]["messages"][-1]["content"] == "Who is Edward?"
    assert all(json.dumps(b["messages"][0]) == json.dumps(bodies[0]["messages"][0]) for b in bodies)
    assert session.thread()[-1].id == edited.message_id


def test_a_server_dying_mid_answer_is_one_sentence_and_the_partial_answer_is_kept(setup) -> None:
    document, store = setup
    dying = sse([chunk("Mavis "), chunk("fixes"), 0.05], done=False)
    with FaultServer({"/v1/chat/completions": [dying]}) as server:
        engine = engine_for(server)
        session = ChatSession.open(store, document, options=OPTIONS)
        result, events = ask(session, engine, "Who fixes the press?")
    assert result.reason == "error" and result.raw_text == "Mavis fixes"
    message = str(result.error)
    assert "closed in the middle of the answer" in message and message.count(". ") <= 1
    stored = store.messages.get(result.message_id)
    assert stored.finish_reason == "error" and stored.content == "Mavis fixes"
    assert "".join(e.text for e in events.of(AnswerText)) == "Mavis fixes"
    assert isinstance(events[-1], TurnFinished)


def test_the_meter_works_for_a_server_once_the_script_part_is_planned(setup) -> None:
    document, store = setup
    with FaultServer({}) as server:
        engine = engine_for(server, context_length=4096)
        session = ChatSession.open(store, document, options=OPTIONS)
        assert session.measure(engine, "Who?") is None  # not planned yet
        assert session.prepare(engine, None, CancelToken(), Events().append) == "server"
        use = session.measure(engine, "Who runs the press?")
        longer = session.measure(engine, "Who runs the press? " * 20)
        assert server.requests == []  # planning and measuring send nothing
    assert use is not None and use.usable == 4096 and use.reserve == 64
    assert use.script == engine.prompt_length([session._prepared.part.message])
    assert longer is not None and longer.question > use.question


def test_a_script_too_long_for_the_server_reads_its_stored_notes(tmp_path: Path) -> None:
    document = load(write_script(tmp_path, repeats=10))  # about 2,000 tokens whole
    store = Store.open()
    session = ChatSession.open(store, document, options=OPTIONS)
    store.summaries.add(
        session.document_id,
        mode="default",
        model=LABEL,
        parameters={},
        text="A summary.",
        notes=["Mavis runs a print shop [Scene 1].", "Edward wades in [Scene 4]."],
        stats={},
        citations=[],
        finish_reason="done",
    )
    with FaultServer({"/v1/chat/completions": [answer("Scene 1.")]}) as server:
        engine = engine_for(server, context_length=1200)  # too short for the whole script
        result, events = ask(session, engine, "Where is the print shop?")
        system = server.chat_bodies()[0]["messages"][0]["content"]
    store.close()
    assert result.reason == "done"
    assert events.of(ContextUse)[0].script_mode == "digest"
    assert "Mavis runs a print shop [Scene 1]." in system
    assert any("does not fit" in n.message for n in events.of(Notice))


def test_a_server_without_a_context_length_is_refused_before_sending(setup) -> None:
    document, store = setup
    with FaultServer({}) as server:
        engine = RemoteEngine(server.url + "/v1", "m", label="m on box")
        session = ChatSession.open(store, document, options=OPTIONS)
        with pytest.raises(ValueError, match="context length of m on box is not known"):
            ask(session, engine, "Who?")
        assert server.requests == []


def test_stop_on_a_server_returns_at_once_and_keeps_the_partial_answer(setup) -> None:
    document, store = setup
    slow = sse([chunk("Mavis "), chunk("stays "), 5.0, chunk("late.")])
    with FaultServer({"/v1/chat/completions": [slow]}) as server:
        engine = engine_for(server)
        session = ChatSession.open(store, document, options=OPTIONS)
        cancel = CancelToken()
        seen = Events()

        def emit(event: object) -> None:
            seen.append(event)
            if isinstance(event, AnswerText) and len(seen.of(AnswerText)) == 2:
                cancel.cancel()

        started = time.monotonic()
        result = session.ask(engine, None, "Who stays late?", cancel, emit)
        elapsed = time.monotonic() - started
    assert result.reason == "stopped" and result.raw_text == "Mavis stays "
    assert elapsed < 2.0
    stored = store.messages.get(result.message_id)
    assert stored.finish_reason == "stopped" and stored.content == result.text
