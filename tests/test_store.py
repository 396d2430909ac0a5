"""The SQLite store: round trips, message trees, forgetting a document, files kept private,
two threads at once, and clear errors for files that are not a Logline database."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from logline import paths
from logline.store import SCHEMA_VERSION, Store, StoreError, default_path


@pytest.fixture()
def store():
    opened = Store.open()
    yield opened
    opened.close()


def _conversation(store: Store, title: str = "Chat"):
    document = store.documents.upsert(Path("/scripts/a.fountain"), "h" * 64, "A", "fountain")
    return document, store.conversations.create(document.id, title, "tiny")


def test_documents_are_one_record_per_content(store: Store) -> None:
    first = store.documents.upsert(Path("/a/river.fountain"), "1" * 64, "River", "fountain")
    moved = store.documents.upsert(Path("/b/river.fountain"), "1" * 64, "River", "fountain")
    other = store.documents.upsert(Path("/a/river.fountain"), "2" * 64, "River v2", "fountain")
    assert moved.id == first.id and moved.path == Path("/b/river.fountain")
    assert other.id != first.id
    assert [d.id for d in store.documents.by_path(Path("/a/river.fountain"))] == [other.id]
    assert store.documents.by_hash("1" * 64).title == "River"
    assert {d.id for d in store.documents.list()} == {first.id, other.id}


def test_summaries_round_trip_and_the_latest_is_found_by_model_and_mode(store: Store) -> None:
    document, _ = _conversation(store)
    older = store.summaries.add(
        document.id,
        mode="synopsis",
        model="tiny",
        parameters={"t": 0},
        text="Old.",
        notes=["n1"],
        stats={"s": 1.5},
        citations={"total": 1},
        finish_reason="done",
    )
    newer = store.summaries.add(
        document.id,
        mode="logline",
        model="big",
        parameters={},
        text="New.",
        notes=[],
        stats={},
        citations=[],
        finish_reason="length",
        names=["ZED"],
    )
    assert store.summaries.latest(document.id).id == newer.id
    found = store.summaries.latest(document.id, model="tiny")
    assert found.id == older.id and found.notes == ["n1"] and found.stats == {"s": 1.5}
    assert store.summaries.latest(document.id, mode="logline").names == ["ZED"]
    assert store.summaries.latest(document.id, model="none") is None


def test_messages_form_a_tree_and_branches_are_kept(store: Store) -> None:
    _, chat = _conversation(store)
    q1 = store.messages.add(chat.id, None, "user", "Who?")
    a1 = store.messages.add(chat.id, q1.id, "assistant", "Edward.", model="tiny")
    q2 = store.messages.add(chat.id, a1.id, "user", "Where?")
    a2 = store.messages.add(chat.id, q2.id, "assistant", "The river.")
    again = store.messages.add(chat.id, q2.id, "assistant", "By the river.")
    assert store.conversations.get(chat.id).current_leaf_id == again.id
    assert [m.id for m in store.messages.path(again.id)] == [q1.id, a1.id, q2.id, again.id]
    assert [m.id for m in store.messages.siblings(a2.id)] == [a2.id, again.id]
    assert store.messages.leaf_of(q1.id).id == again.id
    store.conversations.set_leaf(chat.id, a2.id)
    assert store.conversations.get(chat.id).current_leaf_id == a2.id
    # Deleting a branch deletes its subtree and the conversation shows what is left.
    store.messages.delete(a2.id)
    assert store.messages.get(a2.id) is None
    assert store.conversations.get(chat.id).current_leaf_id == again.id
    store.messages.delete(q1.id)
    assert store.messages.all(chat.id) == []
    assert store.conversations.get(chat.id).current_leaf_id is None


def test_a_streamed_answer_is_written_in_small_transactions(store: Store) -> None:
    _, chat = _conversation(store)
    q = store.messages.add(chat.id, None, "user", "Who?")
    a = store.messages.add(chat.id, q.id, "assistant", "", model="tiny")
    writer = store.messages.stream(a.id, flush_interval=0.0)
    for piece in ["Ed", "ward ", "wades ", "wades "]:
        writer.append(piece)
    writer.retract(len("wades "))
    assert store.messages.get(a.id).content == "Edward wades "
    writer.close("done", {"cached_tokens": 5})
    done = store.messages.get(a.id)
    assert done.finish_reason == "done" and done.stats == {"cached_tokens": 5}
    assert writer.flushes >= 4


def test_conversations_list_rename_and_delete(store: Store) -> None:
    document, first = _conversation(store, "First")
    second = store.conversations.create(document.id, "Second", "tiny")
    store.conversations.rename(first.id, "Renamed")  # also the most recently updated now
    assert [c.title for c in store.conversations.list(document.id)] == ["Renamed", "Second"]
    with pytest.raises(ValueError):
        store.conversations.rename(first.id, "  ")
    store.messages.add(second.id, None, "user", "Hello")
    store.conversations.delete(second.id)
    assert store.conversations.get(second.id) is None
    assert store.connection().execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_forgetting_a_document_deletes_everything_about_it(store: Store, tmp_path: Path) -> None:
    document, chat = _conversation(store)
    keep = store.documents.upsert(Path("/b.fountain"), "k" * 64, "B", "fountain")
    store.messages.add(chat.id, None, "user", "Who?")
    store.summaries.add(
        document.id,
        mode="m",
        model="x",
        parameters={},
        text="t",
        notes=[],
        stats={},
        citations={},
        finish_reason="done",
    )
    cache_file = tmp_path / "c.safetensors"
    cache_file.write_bytes(b"\0" * 1000)
    store.prompt_caches.record(
        "key",
        document_id=document.id,
        model="x",
        template_hash="t",
        document_hash="h",
        prompt_version="v",
        path=cache_file,
        size_bytes=1000,
        tokens=10,
    )
    assert store.prompt_caches.total_bytes() == 1000
    assert store.forget_document(document.id) == 1000
    assert not cache_file.exists()
    db = store.connection()
    for table in ("summaries", "conversations", "messages", "prompt_caches"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    assert store.documents.get(keep.id) is not None


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_database_and_its_folder_are_private(store: Store) -> None:
    _conversation(store)
    path = default_path()
    assert path.parent == paths.data_dir()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for name in (path.name, path.name + "-wal"):
        assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600, name
    assert store.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.version == SCHEMA_VERSION


def test_one_thread_streams_while_another_reads(store: Store) -> None:
    _, chat = _conversation(store)
    q = store.messages.add(chat.id, None, "user", "Who?")
    a = store.messages.add(chat.id, q.id, "assistant", "")
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            writer = store.messages.stream(a.id, flush_interval=0.0)
            for i in range(300):
                writer.append(f"{i} ")
            writer.close("done")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    reads = 0
    while not done.is_set():
        content = store.messages.path(a.id)[-1].content
        assert content == "" or content.startswith("0 ")
        store.conversations.list(chat.document_id)
        reads += 1
    thread.join()
    assert not errors, errors
    assert store.messages.get(a.id).content.endswith("299 ") and reads > 0


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "logline.sqlite3"
    path.write_bytes(b"this is not a database, it is someone's notes " * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="will not overwrite"):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer Logline"):
        Store.open(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_folder_that_cannot_be_written_gives_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="writable"):
            Store.open(locked / "sub" / "logline.sqlite3")
    finally:
        locked.chmod(0o700)
