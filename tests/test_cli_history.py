"""``logline history list | show | export | forget`` in subprocesses over a store that a real
``logline ask`` with the tiny model wrote (offline, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chat_cli import TINY, open_store, own_script, run_cli, tiny_home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_home(tmp_path_factory.mktemp("home"))


def test_history_lists_shows_exports_and_forgets(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "history.fountain")
    asked = run_cli(home, "ask", str(script), "Who follows Edward?", *TINY, "--new")
    assert asked.returncode in (0, 3), asked.stderr  # 3: the 8-token answer hit its limit
    assert run_cli(home, "ask", str(script), "How many scenes?").returncode == 0

    listing = json.loads(run_cli(home, "history", "list", str(script), "--json").stdout)
    assert len(listing) == 1 and listing[0]["title"] == "The River Press"
    (conversation,) = listing[0]["conversations"]
    assert conversation["messages"] == 4 and conversation["title"] == "Who follows Edward?"
    text = run_cli(home, "history", "list").stdout
    assert "The River Press" in text and f"#{conversation['id']}" in text
    assert "4 messages" in text

    shown = run_cli(home, "history", "show", str(conversation["id"])).stdout
    assert shown.startswith("# Who follows Edward?")
    assert shown.count("## Question") == 2 and "4 scenes" in shown
    assert "tiny · " in shown and "prompt tokens" in shown  # the model answer's stats line

    out = tmp_path / "export.json"
    exported = run_cli(
        home, "history", "export", str(conversation["id"]), "--format", "json", "-o", str(out)
    )
    assert exported.returncode == 0 and f"Wrote {out}" in exported.stderr
    data = json.loads(out.read_text())
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"] * 2
    assert data["messages"][1]["stats"]["model"] == "tiny"
    markdown = run_cli(home, "history", "export", str(conversation["id"])).stdout
    assert markdown == shown

    store = open_store(home)
    try:
        document = store.documents.by_path(script.resolve())[0]
        caches = store.prompt_caches.for_document(document.id)
        assert caches and all(c.path.exists() for c in caches)  # the script's saved cache
    finally:
        store.close()
    refused = run_cli(home, "history", "forget", str(script))  # no terminal: needs --yes
    assert refused.returncode != 0 and "--yes" in refused.stderr
    forgot = run_cli(home, "history", "forget", str(script), "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert "Forgot “The River Press”: 0 summaries and 1 conversation" in forgot.stdout
    assert "0 B of prompt caches" not in forgot.stdout  # the cache file's bytes were freed
    assert not any(c.path.exists() for c in caches)
    assert run_cli(home, "history", "list", str(script), "--json").stdout.strip() == "[]"
    missing = run_cli(home, "history", "show", str(conversation["id"]))
    assert missing.returncode == 1 and "No conversation" in missing.stderr


def test_history_of_nothing(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "never.fountain")
    assert "Nothing kept about" in run_cli(home, "history", "list", str(script)).stdout
    forgot = run_cli(home, "history", "forget", str(script), "--yes")
    assert forgot.returncode == 0 and "Nothing kept about" in forgot.stderr
    assert run_cli(home, "history").returncode == 1
    assert run_cli(home, "history", "export", "1", "--format", "pdf").returncode == 2


def _forget_on_a_terminal(home: Path, script: Path, answer: bytes) -> tuple[int, str]:
    """``history forget FILE`` with a pseudo-terminal as stdin, answering ``answer``."""
    import os
    import pty
    import select

    import offline_cli

    env = offline_cli.offline_env(home)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI with the terminal as its stdin, stdout and stderr
        command = offline_cli.command("history", "forget", str(script))
        os.execve(command[0], command, env)
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"[y/N]" in output:
            os.write(fd, answer if answer == b"\x04" else answer + b"\r")
            answered = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_forget_asks_on_a_terminal(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "asked.fountain")
    assert run_cli(home, "ask", str(script), "How many scenes?").returncode == 0
    code, output = _forget_on_a_terminal(home, script, b"n")
    assert code == 0 and "Forget “The River Press”: 0 summaries and 1 conversation?" in output
    assert "Nothing deleted." in output
    assert json.loads(run_cli(home, "history", "list", str(script), "--json").stdout)
    code, output = _forget_on_a_terminal(home, script, b"\x04")  # Ctrl+D: no
    assert code == 0 and "Nothing deleted." in output and "Traceback" not in output
    code, output = _forget_on_a_terminal(home, script, b"y")
    assert code == 0 and "Forgot “The River Press”" in output
    assert run_cli(home, "history", "list", str(script), "--json").stdout.strip() == "[]"
