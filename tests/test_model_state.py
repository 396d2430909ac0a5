"""The per-model record in SQLite: last used, pins, runtime in-use marks."""

from __future__ import annotations

import sqlite3
import threading

from logline import paths
from logline.models import state


def test_touch_pin_forget() -> None:
    assert state.last_used("a") is None and state.pinned() == set()
    state.touch("a", when=10.0)
    state.touch("org/b", when=20.0)
    state.touch("a", when=30.0)
    assert state.last_used("a") == 30.0 and state.last_used("org/b") == 20.0
    state.set_pinned("org/b", True)
    state.set_pinned("c", True)  # pinning before ever using is fine
    assert state.pinned() == {"org/b", "c"} and state.is_pinned("c")
    assert state.last_used("org/b") == 20.0  # pinning keeps last_used
    state.set_pinned("c", False)
    state.touch("org/b")  # now
    assert state.pinned() == {"org/b"}
    assert state.last_used("org/b") > 1e9
    state.forget("org/b")
    assert state.last_used("org/b") is None and state.pinned() == set()


def test_database_file_wal_and_schema_version() -> None:
    state.touch("x")
    path = paths.data_dir() / "models.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(1,)]


def test_in_use_is_runtime_only_and_counted() -> None:
    state.mark_in_use("m")
    state.mark_in_use("m")
    state.release("m")
    assert state.in_use() == {"m"}
    state.release("m")
    assert state.in_use() == frozenset()
    with state.using("n"):
        assert "n" in state.in_use()
    assert state.in_use() == frozenset() and state.last_used("n") is not None
    assert set(state.records()) == {"n"}  # in-use marks never reach the database


def test_concurrent_touches_from_threads() -> None:
    def work(i: int) -> None:
        for j in range(20):
            state.touch(f"k{i}", when=float(j))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {k: r.last_used for k, r in state.records().items()} == {f"k{i}": 19.0 for i in range(4)}
