"""``logline ask/chat FILE --model SERVER``: answers from a server entry (the stdlib fault server
on 127.0.0.1 stands in for it), offline mode's refusal of a public address with no connection at
all, and which of a model and a server ``--model NAME`` means."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from chat_helpers import install_tiny, write_script
from fault_server import FaultServer, chunk, sse, usage_chunk
from logline.cli import main
from logline.cli.model_or_server import resolve_model_or_server
from logline.models import servers
from logline.store import Store

LABEL = "river-model on box"


def answer(*pieces: str) -> object:
    return sse([*(chunk(p) for p in pieces), chunk(finish="stop"), usage_chunk(500, len(pieces))])


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline mode on: a loopback server is still allowed, a public one never."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("LOGLINE_OFFLINE", "1")


def add_box(server: FaultServer) -> None:
    servers.add_server("box", server.url + "/v1", model="river-model", context_length=8192)


def answers() -> list:
    store = Store.open()
    try:
        return [
            m
            for d in store.documents.list()
            for c in store.conversations.list(d.id)
            for m in store.messages.all(c.id)
            if m.role == "assistant"
        ]
    finally:
        store.close()


def test_ask_with_a_server_name_answers_from_the_server_and_keeps_the_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(tmp_path)
    with FaultServer({"/v1/chat/completions": [answer("Mavis ", "runs the press.")]}) as server:
        add_box(server)
        code = main(["ask", str(script), "Who runs the print shop?", "--model", "box", "--json"])
        bodies = server.chat_bodies()
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["text"] == "Mavis runs the press." and result["reason"] == "done"
    assert result["stats"]["on_server"] is True and result["stats"]["model"] == LABEL
    assert result["context"]["usable"] == 8192
    assert f"Answers come from {LABEL}" in err and "(this machine)" in err
    assert bodies[0]["model"] == "river-model" and bodies[0]["messages"][0]["role"] == "system"
    [stored] = answers()
    assert stored.model == LABEL and stored.content == "Mavis runs the press."


def test_chat_with_a_server_runs_turns_and_regenerate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = write_script(tmp_path)
    replies = [answer("First."), answer("Second."), answer("Again.")]
    monkeypatch.setattr(sys, "stdin", io.StringIO("Who is Mavis?\nWho is Edward?\n/regenerate\n"))
    with FaultServer({"/v1/chat/completions": replies}) as server:
        add_box(server)
        code = main(["chat", str(script), "--model", "box", "--new"])
        bodies = server.chat_bodies()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.split() == ["First.", "Second.", "Again."]
    assert len(bodies) == 3 and bodies[1]["messages"][0] == bodies[0]["messages"][0]
    assert bodies[2]["messages"] == bodies[1]["messages"]  # the same question, regenerated
    stored = answers()
    assert [m.content for m in stored] == ["First.", "Second.", "Again."]
    assert all(m.model == LABEL and m.stats["on_server"] for m in stored)


def test_a_server_dying_mid_answer_fails_in_one_sentence_keeping_the_partial_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(tmp_path)
    dying = sse([chunk("Mavis "), chunk("fixes"), 0.05], done=False)
    with FaultServer({"/v1/chat/completions": [dying]}) as server:
        add_box(server)
        code = main(["ask", str(script), "Who fixes the press?", "--model", "box"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.strip() == "Mavis fixes"
    [line] = [line for line in err.splitlines() if line.startswith("logline:")]
    assert "closed in the middle of the answer" in line
    [stored] = answers()
    assert stored.finish_reason == "error" and stored.content == "Mavis fixes"


def test_offline_mode_refuses_a_public_server_with_no_connection_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], connections: list[object]
) -> None:
    script = write_script(tmp_path)
    servers.add_server("cloud", "https://93.184.216.34/v1", model="m", context_length=8192)
    connections.clear()
    code = main(["ask", str(script), "Who runs the print shop?", "--model", "cloud"])
    _, err = capsys.readouterr()
    assert code == 1 and "Offline mode is on" in err and "Traceback" not in err
    assert connections == []
    assert answers() == []  # nothing asked, nothing kept


def test_model_names_resolve_to_an_installed_model_before_a_server(tiny_model_dir: Path) -> None:
    assert resolve_model_or_server(None)[0] == "local"
    assert resolve_model_or_server("nowhere") == ("local", "nowhere")
    servers.add_server("Render-01", "http://10.0.0.5:8080/v1", model="m", context_length=8192)
    assert resolve_model_or_server("render-01") == ("server", "Render-01")
    servers.add_server("tiny", "http://10.0.0.6:8080/v1", model="m", context_length=8192)
    assert resolve_model_or_server("tiny") == ("server", "tiny")
    install_tiny(tiny_model_dir)  # a model installed here wins over the server of that name
    assert resolve_model_or_server("tiny") == ("local", "tiny")
