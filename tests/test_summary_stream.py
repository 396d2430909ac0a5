"""A summary kept as it streams (issue 16): recorded when it starts, its text written at most
every ``flush_interval`` seconds, what a crash leaves marked stopped at the next opening."""

from __future__ import annotations

from pathlib import Path

from logline.store import Store
from logline.store.tables import RUNNING
from logline.summarize.result import SummaryResult
from logline.summarize.stored import SummaryStream


def open_with_document(path: Path) -> tuple[Store, int]:
    store = Store.open(path)
    document = store.documents.upsert(path.parent / "river.fountain", "hash", "River", "fountain")
    return store, document.id


def test_a_crash_keeps_the_text_streamed_so_far(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store, document_id = open_with_document(path)
    stream = SummaryStream(store, document_id, "synopsis", "tiny", {"model_label": "Tiny"}, 0.0)
    assert store.summaries.get(stream.summary_id).finish_reason == RUNNING
    stream.append("ANNA walks ")
    stream.append_note(0, "Note one")
    stream.append("to the river.")
    store.close()  # the app dies here: no finish
    again = Store.open(path)
    try:
        kept = again.summaries.get(stream.summary_id)
        assert kept.text == "ANNA walks to the river." and kept.notes == ["Note one"]
        assert kept.finish_reason == "stopped"
        assert kept.parameters == {"model_label": "Tiny"}
    finally:
        again.close()


def test_writes_are_throttled_and_the_end_is_recorded(tmp_path: Path) -> None:
    store, document_id = open_with_document(tmp_path / "store.sqlite3")
    try:
        stream = SummaryStream(store, document_id, "synopsis", "tiny", flush_interval=3600)
        for _ in range(200):
            stream.append("word ")
        assert stream.flushes == 0 and store.summaries.get(stream.summary_id).text == ""
        result = SummaryResult("word " * 200, "word " * 200, "done", "synopsis", None)
        assert stream.finish(result)
        kept = store.summaries.get(stream.summary_id)
        assert kept.finish_reason == "done" and kept.text == "word " * 200
        assert kept.stats["seconds"] == 0.0
        # A summary that wrote nothing leaves no record.
        empty = SummaryStream(store, document_id, "synopsis", "tiny")
        stopped = SummaryResult("", "", "stopped", "synopsis", None)
        assert not empty.finish(stopped)
        assert store.summaries.get(empty.summary_id) is None
        # A summary stopped mid-answer keeps what streamed even when the result has no text.
        cut = SummaryStream(store, document_id, "synopsis", "tiny")
        cut.append("Half an answer")
        assert cut.finish(stopped)
        assert store.summaries.get(cut.summary_id).text == "Half an answer"
    finally:
        store.close()


def test_a_summary_stopped_while_taking_notes_is_listed_but_never_the_latest(
    tmp_path: Path,
) -> None:
    """Its notes may be partial: a chat reading the latest summary's notes must not use them."""
    store, document_id = open_with_document(tmp_path / "store.sqlite3")
    try:
        whole = SummaryStream(store, document_id, "synopsis", "tiny")
        whole.append("The answer.")
        whole.finish(SummaryResult("The answer.", "", "done", "synopsis", None, notes=["a", "b"]))
        cut = SummaryStream(store, document_id, "synopsis", "tiny")
        cut.append_note(0, "a")
        cut.finish(SummaryResult("", "", "stopped", "synopsis", None))
        assert [s.id for s in store.summaries.list(document_id)] == [
            cut.summary_id,
            whole.summary_id,
        ]
        assert store.summaries.get(cut.summary_id).notes == ["a"]
        assert store.summaries.latest(document_id, model="tiny").id == whole.summary_id
    finally:
        store.close()
