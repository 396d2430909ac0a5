"""The store survives a crash mid-answer, and upgrades a database of an older schema."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from logline.store import SCHEMA_VERSION, Store
from logline.store.schema import V1

APP = Path(__file__).resolve().parents[1] / "app"


def test_a_sigkill_mid_answer_keeps_earlier_messages_and_the_partial_answer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crash.sqlite3"
    child = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from logline.store import Store
        store = Store.open(Path({str(path)!r}))
        doc = store.documents.upsert(Path("/s.fountain"), "h" * 64, "S", "fountain")
        chat = store.conversations.create(doc.id, "Chat", "tiny")
        q = store.messages.add(chat.id, None, "user", "Who follows Edward?")
        a = store.messages.add(chat.id, q.id, "assistant", "The giant.", finish_reason="done")
        q2 = store.messages.add(chat.id, a.id, "user", "Where?")
        answer = store.messages.add(chat.id, q2.id, "assistant", "", model="tiny")
        writer = store.messages.stream(answer.id, flush_interval=0.02)
        i = 0
        while True:
            writer.append(f"word{{i}} ")
            i += 1
            if writer.flushes == 5:
                print("streaming", flush=True)
            time.sleep(0.001)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(APP)}
    process = subprocess.Popen(
        [sys.executable, "-c", child], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "streaming"
        time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    store = Store.open(path)
    try:
        assert store.integrity_ok()
        messages = store.messages.all(1)
        assert [m.content for m in messages[:3]] == ["Who follows Edward?", "The giant.", "Where?"]
        partial = messages[3]
        assert partial.content.startswith("word0 word1 ") and len(partial.content) > 30
        words = partial.content.split()
        assert words == [f"word{i}" for i in range(len(words))]  # a prefix of what was written
        assert partial.finish_reason == "stopped"  # marked when the store was opened again
    finally:
        store.close()


def test_a_version_1_store_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    conn.execute(
        "INSERT INTO documents VALUES (1, '/s.fountain', 'hash', 'S', 'fountain', NULL, 1, 1)"
    )
    conn.execute("INSERT INTO conversations VALUES (1, 1, 'Old chat', 'tiny', 2, 1, 1)")
    conn.execute("INSERT INTO messages VALUES (1, 1, NULL, 'user', 'Who?', NULL, NULL, '{}', 1, 1)")
    conn.execute(
        "INSERT INTO messages VALUES (2, 1, 1, 'assistant', 'Ed.', 'tiny', 'done', '{}', 1, 1)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    store = Store.open(path)
    try:
        assert store.version == SCHEMA_VERSION == 2
        thread = store.messages.path(2)
        assert [m.content for m in thread] == ["Who?", "Ed."]
        assert thread[1].model_text is None and thread[1].text_for_model == "Ed."
        assert store.prompt_caches.list() == []  # the table version 2 added
        assert store.integrity_ok()
    finally:
        store.close()
