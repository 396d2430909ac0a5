"""``logline chat`` and ``logline ask`` in subprocesses, offline (any network attempt fails the
run), with the tiny model; the store they write is the one the window reads."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

import offline_cli
from chat_cli import (
    TINY,
    open_store,
    own_script,
    prompt_and_cached,
    run_cli,
    stats_lines,
    tiny_home,
)
from chat_helpers import write_script


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_home(tmp_path_factory.mktemp("home"))


def _answers(home: Path) -> list:
    store = open_store(home)
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


def test_chat_reads_questions_from_stdin_and_the_second_turn_is_cached(
    home: Path, tmp_path: Path
) -> None:
    script = own_script(tmp_path, "river.fountain")
    exported = tmp_path / "chat.md"
    result = run_cli(
        home,
        "chat",
        str(script),
        *TINY,
        "--new",
        stdin=(
            "Who follows Edward?\nWhere is the diner?\n/regenerate\n/edit Where is the river?\n"
            f"/export {exported}\n/bogus\n"
        ),
    )
    assert result.returncode == 0, result.stderr
    assert "New conversation #" in result.stderr and "Unknown command /bogus" in result.stderr
    stats = [prompt_and_cached(line) for line in stats_lines(result.stderr)]
    assert len(stats) == 4, result.stderr
    (first, _), (_, cached_second), (prompt_regen, cached_regen), (_, cached_edit) = stats
    assert cached_second >= first  # the whole first turn came from its checkpoint
    assert cached_regen == prompt_regen - 1  # regenerate: only the last token is read again
    assert cached_edit >= first  # edit: forks after the first turn, not from scratch
    for line in stats_lines(result.stderr):
        assert " tok/s" in line and line.startswith(("[length]", "[done]", "[repetition]"))
    store = open_store(home)
    try:
        chat = store.conversations.list(store.documents.list()[0].id)[0]
        assert chat.title == "Who follows Edward?"  # named after its first question
        thread = store.messages.path(chat.current_leaf_id)
        assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
        assert thread[2].content == "Where is the river?"
        assert len(store.messages.siblings(thread[2].id)) == 2  # the edited question is kept
        regenerated = store.messages.siblings(thread[2].id)[0]
        assert len(store.messages.children(regenerated.id)) == 2  # both answers are kept
        assert all(m.stats["generation_tokens"] <= 8 for m in thread if m.role == "assistant")
    finally:
        store.close()
    text = exported.read_text(encoding="utf-8")
    assert "Where is the river?" in text and "Where is the diner?" not in text
    assert "2 other branches are not shown" in text
    resumed = run_cli(home, "ask", str(script), "How many scenes?", "--model", "missing")
    assert resumed.returncode == 0, resumed.stderr
    assert "answered by tiny; the next answers use missing" in resumed.stderr


def test_chat_resumes_the_latest_conversation_and_new_starts_one(
    home: Path, tmp_path: Path
) -> None:
    script = own_script(tmp_path, "resume.fountain")
    first = run_cli(home, "chat", str(script), "--model", "missing", stdin="How many scenes?\n")
    assert first.returncode == 0, first.stderr
    assert "4 scenes" in first.stdout  # from the facts: the missing model is never loaded
    assert "[done] answered from the script facts" in first.stderr
    again = run_cli(
        home,
        "chat",
        str(script),
        "--model",
        "missing",
        stdin=(
            "Who speaks the most?\n/edit\nHow many scenes are there?\n"
            "/new\nList the locations\n/export\n/delete\n/delete\n"
        ),
    )
    assert again.returncode == 0, again.stderr
    assert "Resuming conversation #" in again.stderr and "(2 messages" in again.stderr
    assert "Was: Who speaks the most?" in again.stderr  # /edit alone asks for the new text
    assert again.stdout.count("# List the locations") == 1  # /export without a path: stdout
    assert "Deleted the last answer." in again.stderr
    assert "No answer to delete yet." in again.stderr  # the question is left, no answer
    store = open_store(home)
    try:
        document = store.documents.by_path(script.resolve())[0]
        chats = store.conversations.list(document.id)
        assert [c.title for c in chats] == ["List the locations", "How many scenes?"]
        assert [m.role for m in store.messages.all(chats[0].id)] == ["user"]
        thread = store.messages.path(chats[1].current_leaf_id)
        assert [m.content for m in thread if m.role == "user"] == [
            "How many scenes?",
            "How many scenes are there?",
        ]
        assert len(store.messages.siblings(thread[2].id)) == 2  # the edited question is kept
    finally:
        store.close()


def test_chat_reports_a_missing_model_and_goes_on(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "missing.fountain")
    result = run_cli(
        home, "chat", str(script), "--model", "missing", "--new", stdin="Why?\nHow many scenes?\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Error:" in result.stderr and "missing" in result.stderr
    assert "4 scenes" in result.stdout


def test_ask_answers_once_and_a_parser_question_needs_no_model(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "river.fountain")
    result = run_cli(home, "ask", str(script), "How many scenes are there?", "--model", "missing")
    assert result.returncode == 0, result.stderr
    assert "4 scenes" in result.stdout
    result = run_cli(home, "ask", str(script), "Who wades in?", *TINY, "--json")
    data = json.loads(result.stdout)  # only the JSON on stdout
    assert data["source"] == "model" and data["stats"]["model"] == "tiny"
    assert data["stats"]["generation_tokens"] <= 8 and data["error"] is None
    assert data["context"]["script"] > 0 and data["context"]["reserve"] == 8
    ended_early = data["reason"] in ("length", "repetition")
    assert result.returncode == (3 if ended_early else 0), result.stderr
    result = run_cli(home, "ask", str(script), "Who wades in?", "--model", "tiny")
    assert result.returncode in (0, 3) and result.stdout.strip()
    assert len(stats_lines(result.stderr)) == 1


def test_ask_fails_in_one_line(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "fail.fountain")
    result = run_cli(home, "ask", str(script), "Why does he wade in?", "--model", "missing")
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith("logline: No installed model named")
    store = open_store(home)
    try:  # the conversation the failed ask started is not left behind empty
        assert store.conversations.list(store.documents.by_path(script.resolve())[0].id) == []
    finally:
        store.close()
    result = run_cli(home, "ask", str(tmp_path / "nope.fountain"), "Why?")
    assert result.returncode == 1 and "logline:" in result.stderr
    result = run_cli(home, "ask", str(script), "Why?", "--conversation", "99999")
    assert result.returncode == 1 and "no conversation 99999" in result.stderr


def _streaming(*args: str, home: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        offline_cli.command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=stdin,
        env=offline_cli.offline_env(home),
        text=True,
    )


def test_ctrl_c_stops_the_answer_of_ask_and_keeps_it(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "stop.fountain")
    long = ("--model", "tiny", "--max-tokens", "5000", "--new")
    process = _streaming("ask", str(script), "Tell me everything.", *long, home=home)
    assert process.stdout is not None
    process.stdout.read(20)  # the answer is streaming
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "stopped" in err
    stopped = [m for m in _answers(home) if m.finish_reason == "stopped"]
    assert stopped and len(stopped[-1].content) >= 10


def test_ctrl_c_in_chat_stops_the_answer_and_the_prompt_returns(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "chatstop.fountain")
    long = ("--model", "tiny", "--max-tokens", "5000", "--new")
    process = _streaming("chat", str(script), *long, home=home, stdin=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("Tell me everything.\n")
    process.stdin.flush()
    process.stdout.read(20)  # the answer is streaming
    process.send_signal(signal.SIGINT)
    out, err = process.communicate("How many scenes are there?\n", timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "stopped; the partial answer is kept" in err
    assert "4 scenes" in out  # the next question was read and answered
    answers = [
        m
        for m in _answers(home)
        if m.conversation_id == max(a.conversation_id for a in _answers(home))
    ]
    assert [m.finish_reason for m in answers] == ["stopped", "done"]
    assert len(answers[0].content) >= 10 and answers[0].stats["generation_tokens"] < 5000


def test_new_and_conversation_do_not_go_together(home: Path, tmp_path: Path) -> None:
    script = own_script(tmp_path, "both.fountain")
    result = run_cli(home, "ask", str(script), "Why?", "--new", "--conversation", "1")
    assert result.returncode == 1 and "do not go together" in result.stderr


def test_ask_with_the_built_in_model_says_so_on_stderr(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from built_in_helpers import install_as_built_in
    from logline.cli import main
    from logline.models.recommend import embedded_notice, recommended_model

    install_as_built_in(tiny_model_dir)
    script = own_script(tmp_path, "builtin.fountain")
    code = main(["ask", str(script), "Why does Edward wade in?", "--max-tokens", "8"])
    out = capsys.readouterr()
    assert code in (0, 3), out.err  # no --model: the built-in one
    assert out.err.count(embedded_notice(recommended_model())) == 1
    assert "built-in" not in out.out  # the answer on stdout stays the answer alone


def test_ctrl_c_while_notes_are_taken_is_a_stop(home: Path, tmp_path: Path) -> None:
    """A script too long to read with the answer's room is read as notes first (a summary's
    map phase, seconds with this 12k-token script); Ctrl+C then is a stop, not an error."""
    script = write_script(tmp_path, repeats=30, name="long.fountain")
    script.write_text(script.read_text(encoding="utf-8") + "\n\nThe long end.\n", "utf-8")
    long = ("--model", "tiny", "--max-tokens", "256", "--new")
    process = _streaming("ask", str(script), "Why does Edward wade in?", *long, home=home)
    assert process.stderr is not None
    err = ""
    for line in process.stderr:
        err += line
        if "Taking notes" in line:
            process.send_signal(signal.SIGINT)
            break
    _, rest = process.communicate(timeout=120)
    err += rest
    assert process.returncode == 130, err
    assert "Stopped." in err and "Error" not in err and "Traceback" not in err


def test_on_a_terminal_with_stdout_redirected_only_answers_reach_stdout(
    home: Path, tmp_path: Path
) -> None:
    import os
    import pty

    script = own_script(tmp_path, "redirect.fountain")
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            offline_cli.command("chat", str(script), "--model", "missing", "--new"),
            stdin=slave,
            stderr=slave,
            stdout=subprocess.PIPE,
            env=offline_cli.offline_env(home),
            text=True,
        )
        os.write(master, b"How many scenes?\n/quit\n")
        out, _ = process.communicate(timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 0
    assert "4 scenes" in out and "›" not in out and "Talking about" not in out
