"""The status line of a long summary counts what is done and what is in progress, with the time
so far and an estimate from the pace measured (issue 16: "chunk 1 of 58" while five were being
written at once, and no time at all on an 11-minute job)."""

from __future__ import annotations

from logline.ui.progress_text import clock, estimate, notes_progress


def test_counts_say_what_is_written_and_what_is_in_progress() -> None:
    assert notes_progress("map", 9, 5, 58, 0.2) == "Taking notes: 9 of 58 written, 5 in progress"
    assert notes_progress("merge", 1, 0, 4, 0, level=2) == (
        "Merging notes (level 2): 1 of 4 groups merged"
    )


def test_time_so_far_and_an_estimate_from_the_pace() -> None:
    text = notes_progress("map", 10, 5, 58, 151)
    assert text.endswith("· 2:31 so far, about 12 min left")
    assert estimate(151, 0, 58) == ""  # no pace yet: no guess
    assert estimate(30, 29, 30) == "less than a minute left"
    assert estimate(3600, 10, 30) == "about 2.0 h left"
    assert clock(3725) == "1:02:05"


def test_prompts_being_read_are_said_until_the_notes_begin() -> None:
    text = notes_progress("map", 0, 0, 58, 12, reading=(3200, 8000))
    assert text == "Taking notes: 0 of 58 written · reading the next parts: 40% · 0:12 so far"
    merge = notes_progress("merge", 1, 0, 4, 0.5, level=1, reading=(0, 900))
    assert merge == "Merging notes (level 1): 1 of 4 groups merged · reading the next notes: 0%"
    assert "reading" not in notes_progress("map", 8, 0, 58, 30, reading=(900, 900))  # all read
