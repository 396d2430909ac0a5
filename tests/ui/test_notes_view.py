"""The Notes tab: one section per chunk (and merged group), text arriving interleaved."""

from __future__ import annotations

import pytest

from logline.ui.notes_view import NotesView

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot) -> NotesView:
    view = NotesView()
    qtbot.addWidget(view)
    return view


def test_interleaved_notes_land_in_their_own_sections(qtbot, view: NotesView) -> None:
    view.begin_phase("map", 3, titles=["Sc. 1, p. 1", "Sc. 2–3, pp. 1–2"])
    for index, text in [(0, "- Ida "), (1, "- Theo "), (0, "splices (Sc. 1, p. 1)"), (1, "leaves")]:
        view.append("map", index, text)
    view.mark_done("map", 1, "done")
    assert [s.title for s in view.sections] == [
        "Chunk 1 · Sc. 1, p. 1",
        "Chunk 2 · Sc. 2–3, pp. 1–2",
        "Chunk 3",
    ]
    assert [s.text for s in view.sections] == ["- Ida splices (Sc. 1, p. 1)", "- Theo leaves", ""]
    assert [s.state for s in view.sections] == ["writing", "done", "waiting"]
    assert view.counts("map") == (1, 3)
    assert view.toPlainText() == ""  # rendered on a timer, not per token
    qtbot.waitUntil(lambda: "Theo leaves" in view.toPlainText(), timeout=2000)
    assert "Chunk 1 · Sc. 1, p. 1" in view.toPlainText()

    view.set_titles(["Sc. 1, p. 1", "Sc. 2–3, pp. 1–2", "Sc. 4, p. 2"])
    view.stop_writing("stopped")
    assert view.sections[2].title == "Chunk 3 · Sc. 4, p. 2"
    assert [s.state for s in view.sections] == ["stopped", "done", "waiting"]
    assert "stopped" in view.toPlainText()


def test_merge_levels_get_their_own_sections(view: NotesView) -> None:
    view.begin_phase("map", 2)
    view.begin_phase("merge", 1, level=1)
    view.append("merge", 0, "Merged.")
    view.mark_done("merge", 0, "length")
    view.render()
    assert view.level == 1
    assert view.counts("map") == (0, 2) and view.counts("merge") == (1, 1)
    assert view.sections[-1].title == "Merged notes, level 1 · group 1 of 1"
    assert "Merged." in view.toPlainText() and "cut short" in view.toPlainText()
    view.clear_notes()
    assert view.sections == [] and view.toPlainText() == ""


def test_a_repeated_tail_withdrawn_by_the_loop_guard_leaves_the_notes(view: NotesView) -> None:
    view.begin_phase("map", 1)
    view.append("map", 0, "- Ida leaves.\n- Theo stays.\n- Ida leaves.\n- Theo")
    view.append("map", 0, "", retract=len("\n- Ida leaves.\n- Theo"))
    view.mark_done("map", 0, "repetition")
    view.render()
    assert view.sections[0].text == "- Ida leaves.\n- Theo stays."
    assert view.counts("map") == (1, 1)
    assert "repeated tail trimmed" in view.toPlainText()


def test_a_title_wraps_between_references_never_inside_one(view: NotesView) -> None:
    """A narrow pane showed "Chunk 1 · opening, Sc. 1–2, pp." with "1–3" on the next line."""
    view.begin_phase("map", 1, titles=["opening, Sc. 1–2, pp. 1–3"])
    view.render()
    text = view.document().toRawText()  # keeps no-break spaces (toPlainText turns them plain)
    assert "Chunk 1 · opening, Sc.\u00a01–2, pp.\u00a01–3" in text
    assert view.sections[0].title == "Chunk 1 · opening, Sc. 1–2, pp. 1–3"  # the data is as is
