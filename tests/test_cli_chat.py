"""``logline chat``, ``logline ask`` and ``logline history`` in subprocesses, offline (any
network attempt fails the run), with the tiny model; the store is the one the window reads."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

import offline_cli
from chat_helpers import write_script
from tiny_models import write_tiny_llama_gguf

TINY = ("--model", "tiny", "--max-tokens", "8")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


def _run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        offline_cli.command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        env=offline_cli.offline_env(home),
        timeout=300,
    )
    assert "NETWORK ATTEMPT" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _store(home: Path):
    from logline.store import Store

    return Store.open(home / "data" / "logline.sqlite3")


def test_chat_reads_questions_from_stdin_and_the_second_turn_is_cached(
    home: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path)
    result = _run(
        home,
        "chat",
        str(script),
        *TINY,
        "--new",
        stdin="Who follows Edward?\nWhere is the diner?\n/regenerate\n",
    )
    assert result.returncode == 0, result.stderr
    stats = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(stats) == 3, result.stderr
    cached = [int(line.split("(")[1].split(" cached")[0].replace(",", "")) for line in stats]
    prompts = [
        int(line.split(" prompt tokens")[0].split("· ")[-1].replace(",", "")) for line in stats
    ]
    assert cached[1] >= prompts[0]  # the whole first turn came from its checkpoint
    assert cached[2] == prompts[2] - 1  # regenerate: only the last token is read again
    store = _store(home)
    try:
        chats = store.conversations.list(store.documents.list()[0].id)
        thread = store.messages.path(chats[0].current_leaf_id)
        assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
        assert len(store.messages.siblings(thread[-1].id)) == 2  # both answers are kept
    finally:
        store.close()


def test_ask_answers_once_and_a_parser_question_needs_no_model(home: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path)
    result = _run(home, "ask", str(script), "How many scenes are there?", "--model", "missing")
    assert result.returncode == 0, result.stderr
    assert "The script has 4 scenes." in result.stdout
    result = _run(home, "ask", str(script), "Who wades in?", *TINY, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"] == "model" and data["stats"]["model"] == "tiny"
    assert data["context"]["script"] > 0 and data["reason"] in ("done", "length", "repetition")


def test_history_lists_shows_exports_and_forgets(home: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path, name="history.fountain")
    assert _run(home, "ask", str(script), "Who follows Edward?", *TINY, "--new").returncode == 0
    listing = json.loads(_run(home, "history", "list", str(script), "--json").stdout)
    assert len(listing) == 1 and listing[0]["conversations"][0]["messages"] == 2
    conversation = listing[0]["conversations"][0]["id"]
    shown = _run(home, "history", "show", str(conversation)).stdout
    assert "## Question" in shown and "Who follows Edward?" in shown and "tiny" in shown
    out = tmp_path / "export.json"
    assert (
        _run(
            home, "history", "export", str(conversation), "--format", "json", "-o", str(out)
        ).returncode
        == 0
    )
    exported = json.loads(out.read_text())
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant"]
    refused = _run(home, "history", "forget", str(script))  # no terminal: needs --yes
    assert refused.returncode != 0 and "--yes" in refused.stderr
    forgot = _run(home, "history", "forget", str(script), "--yes")
    assert forgot.returncode == 0 and "Forgot" in forgot.stdout
    assert _run(home, "history", "list", str(script), "--json").stdout.strip() == "[]"
    assert _run(home, "history", "show", str(conversation)).returncode != 0


def test_ctrl_c_stops_the_answer_and_keeps_it(home: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path, name="stop.fountain")
    process = subprocess.Popen(
        offline_cli.command(
            "ask",
            str(script),
            "Tell me everything.",
            "--model",
            "tiny",
            "--max-tokens",
            "5000",
            "--new",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=offline_cli.offline_env(home),
        text=True,
    )
    assert process.stdout is not None
    process.stdout.read(20)  # the answer is streaming
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "stopped" in err
    store = _store(home)
    try:
        answers = [
            m
            for d in store.documents.list()
            for c in store.conversations.list(d.id)
            for m in store.messages.all(c.id)
            if m.role == "assistant"
        ]
        stopped = [m for m in answers if m.finish_reason == "stopped"]
        assert stopped and len(stopped[-1].content) >= 10
    finally:
        store.close()
