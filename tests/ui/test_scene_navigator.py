"""The scene navigator and the characters list beside the script (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from script_helpers import corpus_file, lantern, write_lantern

from logline.documents import load
from logline.ui.main_window import MainWindow
from logline.ui.scene_navigator import HEADING, NUMBER, PAGE
from logline.ui.script_pane import ScriptPane

pytestmark = pytest.mark.gui


@pytest.fixture
def pane(qtbot) -> ScriptPane:
    widget = ScriptPane()
    qtbot.addWidget(widget)
    widget.resize(480, 640)
    widget.show()
    return widget


def test_the_navigator_lists_every_scene_with_its_page(pane: ScriptPane, tmp_path: Path):
    pane.view.show_document(lantern(tmp_path))
    tree = pane.navigator.tree
    rows = [
        tuple(tree.topLevelItem(i).text(c) for c in (NUMBER, HEADING, PAGE))
        for i in range(tree.topLevelItemCount())
    ]
    assert rows == [
        ("1", "INT. LIGHTHOUSE - NIGHT", "1"),
        ("2", "EXT. CLIFF - DAWN", "2"),
        ("3", "INT. LIGHTHOUSE - DAY", "2"),
    ]
    assert pane.side.isVisible()


def test_the_filter_matches_by_location_and_by_character(
    qtbot, pane: ScriptPane, tmp_path: Path
) -> None:
    pane.view.show_document(lantern(tmp_path))
    navigator = pane.navigator
    for text, expected in [
        ("cliff", [2]),
        ("lighthouse", [1, 3]),
        ("TOM", [1, 2]),
        ("mara", [1, 2, 3]),
        ("nobody", []),
        ("", [1, 2, 3]),
    ]:
        navigator.set_filter(text)
        assert navigator.visible_scenes() == expected, text
    navigator.set_filter("cliff")
    qtbot.keyClick(navigator.filter_edit, Qt.Key.Key_Return)  # Enter: the first scene shown
    assert pane.view.textCursor().selectedText() == "EXT. CLIFF - DAWN"


def test_the_characters_list_counts_speeches_and_scenes(pane: ScriptPane, tmp_path: Path):
    pane.view.show_document(lantern(tmp_path))
    assert pane.characters.counts() == {"MARA": (3, 3), "TOM": (2, 2)}
    # Choosing a character lists only their scenes.
    pane.side.setCurrentIndex(1)
    assert pane.characters.choose("TOM")
    assert pane.side.currentIndex() == 0
    assert pane.navigator.visible_scenes() == [1, 2]


def test_choosing_a_row_shows_the_scene_in_the_script(qtbot, pane: ScriptPane, tmp_path: Path):
    pane.view.show_document(lantern(tmp_path))
    tree = pane.navigator.tree
    item = tree.topLevelItem(1)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert pane.view.textCursor().selectedText() == "EXT. CLIFF - DAWN"
    assert pane.navigator.current_scene() == 2
    # The script asked for another scene (a citation): the navigator follows.
    pane.view.show_scene(3)
    assert pane.navigator.current_scene() == 3 and tree.currentItem().isSelected()


def test_a_plain_document_hides_the_navigator(pane: ScriptPane, tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text("A memo.\n\nNothing to see.\n", encoding="utf-8")
    pane.view.show_document(load(path))
    assert not pane.side.isVisible() and pane.navigator.scene_count == 0
    assert not pane.pages_button.isEnabled() and "only for PDFs" in pane.pages_button.toolTip()


def test_every_scene_of_a_corpus_script_is_listed(pane: ScriptPane) -> None:
    document = load(corpus_file("fountain/big-fish.fountain"))
    pane.view.show_document(document)
    navigator = pane.navigator
    assert navigator.scene_count == len(document.scenes) == 192
    for scene in document.scenes[::37]:
        item = navigator.tree.topLevelItem(navigator.row_of(scene.number))
        assert item.text(HEADING) == " ".join(scene.heading.split())
        assert item.text(PAGE) == document.page_label(scene.page_start)
    navigator.set_filter("SANDRA")
    sandra = next(c for c in document.characters if c.name == "SANDRA")
    assert set(sandra.scenes) <= set(navigator.visible_scenes())


def test_new_controls_have_accessible_names_and_descriptions(pane: ScriptPane) -> None:
    controls = [
        pane.view,
        pane.navigator.filter_edit,
        pane.navigator.tree,
        pane.characters,
        pane.side,
        pane.text_button,
        pane.pages_button,
        pane.pages,
    ]
    for control in controls:
        assert control.accessibleName(), control.objectName()
        assert control.accessibleDescription(), control.objectName()


def test_the_window_stays_1024_wide_with_a_script_open(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_lantern(tmp_path))
    qtbot.wait(50)
    assert window.width() == 1024 and window.minimumSizeHint().width() <= 1024
    pane = window.script_pane
    assert pane.side.isVisible() and pane.view.isVisible()
    assert pane.view.height() >= 150, "the script keeps room to read"
    long_heading = "EXT. " + "A VERY LONG PLACE NAME " * 20 + "- NIGHT"
    (tmp_path / "long.fountain").write_text(f"{long_heading}\n\nRain.\n", encoding="utf-8")
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(tmp_path / "long.fountain")
    qtbot.wait(50)
    assert window.width() == 1024
    assert isinstance(pane.parentWidget(), QWidget)
    window.close()
