"""The window shows bidi overrides visibly (issue 17, item 5): no spoofed titles or names.

A script whose title, character name and file name hold U+202E (right-to-left override) must
not reorder what the window shows: the detail line, the window title, the characters list and
the scene navigator show a visible ⟨U+202E⟩ marker instead, and a click on the character still
finds the character as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile_text import HOSTILE_FILE_NAME, HOSTILE_NAME, RLO, write_hostile
from logline.documents import load
from logline.ui.characters_list import NAME
from logline.ui.main_window import MainWindow
from logline.ui.scene_navigator import HEADING
from logline.ui.script_pane import ScriptPane

pytestmark = pytest.mark.gui


def test_lists_show_bidi_overrides_visibly_and_still_choose(qtbot, tmp_path: Path) -> None:
    pane = ScriptPane()
    qtbot.addWidget(pane)
    pane.view.show_document(load(write_hostile(tmp_path)))
    names = [
        pane.characters.topLevelItem(i).text(NAME)
        for i in range(pane.characters.topLevelItemCount())
    ]
    assert "MAL⟨U+202E⟩ORY" in names and not any(RLO in n for n in names)
    heading = pane.navigator.tree.topLevelItem(0).text(HEADING)
    assert heading == "INT. ROOM⟨U+001B⟩[8m - NIGHT"
    chosen: list[str] = []
    pane.characters.characterChosen.connect(chosen.append)
    assert pane.characters.choose(HOSTILE_NAME) and chosen == [HOSTILE_NAME]


def test_window_title_and_detail_line_show_bidi_overrides(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_hostile(tmp_path, HOSTILE_FILE_NAME))
    detail, title = window.document_detail.text(), window.windowTitle()
    assert RLO not in detail and RLO not in title and "\x1b" not in title
    assert "Tit⟨U+202E⟩elt" in title and "⟨U+202E⟩txt.fountain" in detail
    window.open_file(tmp_path / f"gone{RLO}fdp.fountain")  # an error naming a spoofed file
    qtbot.waitUntil(lambda: "gone" in window.banner.text, timeout=20000)
    assert RLO not in window.banner.text and "gone⟨U+202E⟩fdp" in window.banner.text
    assert RLO not in window.status.bar.currentMessage()


def test_queue_lines_show_bidi_overrides(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QObject, Signal

    from logline.ui.file_queue import QueueItem
    from logline.ui.queue_panel import QueuePanel

    class Queue(QObject):  # the panel's view of a FileQueue, without a window behind it
        changed = Signal()

        def __init__(self, items: list[QueueItem]) -> None:
            super().__init__()
            self.items, self.current, self.active = items, items[0], True

        def counts(self) -> dict[str, int]:
            return {"waiting": len(self.items)}

        def cancel_all(self) -> None: ...

        def clear_finished(self) -> None: ...

        def cancel(self, _item: QueueItem) -> None: ...

    queue = Queue([QueueItem(tmp_path / HOSTILE_FILE_NAME), QueueItem(tmp_path / "b.fountain")])
    panel = QueuePanel(queue)  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.refresh()
    first = panel.list.item(0).text()
    assert "⟨U+202E⟩txt.fountain" in first and RLO not in first
    assert RLO not in panel.summary.text()
