"""Sidecar status: only a summary that ended by itself is ``done`` (issue 14, honest finish
reasons); ``incomplete`` ones are skipped on a rerun unless retried on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.summarize.batch import BatchItem, is_done, job_key, sidecar_status, write_outputs


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("done", "done"),
        ("length", "incomplete"),
        ("repetition", "incomplete"),
        ("stopped", "incomplete"),
        ("error", "incomplete"),
    ],
)
def test_only_a_summary_that_ended_by_itself_is_done(reason: str, status: str) -> None:
    assert sidecar_status(reason) == status


@pytest.mark.parametrize("reason", ["done", "length"])
def test_reruns_skip_finished_files_and_retry_incomplete_ones_on_request(
    tmp_path: Path, reason: str
) -> None:
    source = tmp_path / "a.fountain"
    source.write_text("INT. ROOM - DAY\n", encoding="utf-8")
    item, out = BatchItem(source, "a"), tmp_path / "out"
    key = job_key("0" * 64, "synopsis", None, "tiny")
    assert not is_done(item, out, key)
    write_outputs(item, out, key, "A summary.", {"reason": reason})
    assert is_done(item, out, key)
    assert is_done(item, out, key, retry_incomplete=True) == (reason == "done")
    assert not is_done(item, out, {**key, "model": "other"})
