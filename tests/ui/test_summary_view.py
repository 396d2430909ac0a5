"""Token batching and the Markdown render of the summary pane."""

from __future__ import annotations

import pytest

from logline.ui.summary_view import SummaryView

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot) -> SummaryView:
    view = SummaryView()
    qtbot.addWidget(view)
    return view


def test_tokens_are_batched_into_one_repaint(qtbot, view: SummaryView, monkeypatch) -> None:
    renders: list[str] = []
    render = view.setMarkdown
    monkeypatch.setattr(view, "setMarkdown", lambda text: (renders.append(text), render(text)))
    words = [f"word{i} " for i in range(500)]
    for word in words:
        view.append_tokens(word)
    assert view.toPlainText() == ""  # nothing painted while tokens keep coming
    assert view.text == "".join(words)
    qtbot.waitUntil(lambda: view.toPlainText() == "".join(words).strip(), timeout=2000)
    assert not view.repaint_pending  # nothing left to paint: this was the only render
    assert renders == ["".join(words).strip()]


def test_markdown_is_rendered_while_it_streams(qtbot, view: SummaryView) -> None:
    view.start()
    for piece in ["# Log", "line\n\nA **wri", "ter** fights.\n"]:
        view.append_tokens(piece)
    qtbot.waitUntil(lambda: "fights" in view.toPlainText(), timeout=2000)
    plain = view.toPlainText()
    assert "#" not in plain and "**" not in plain and "A writer fights." in plain
    assert view.document().firstBlock().blockFormat().headingLevel() == 1


def test_finish_renders_markdown(view: SummaryView) -> None:
    view.start()
    for piece in ["# Logline\n\n", "A **writer** ", "fights.\n\n", "- one\n", "- two\n"]:
        view.append_tokens(piece)
    view.finish()
    plain = view.toPlainText()
    assert "#" not in plain and "**" not in plain
    assert "A writer fights." in plain
    # The two items are a rendered list, not literal "- " lines.
    assert "- one" not in plain and "- two" not in plain
    items = [view.document().findBlock(plain.index(word)) for word in ("one", "two")]
    assert all(block.textList() is not None for block in items)
    assert items[0].textList() == items[1].textList()  # one list of two items


def test_start_clears_text_and_pending_tokens(view: SummaryView) -> None:
    view.append_tokens("old")
    view.start()
    view.flush()
    assert view.text == "" and view.toPlainText() == ""
