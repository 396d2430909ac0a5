"""The window is honest about the built-in model: the picker's label, the first-run notice, the
note on its summaries, and no silent switch to it when the chosen model disappears."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from built_in_helpers import install_as_built_in
from logline import paths
from logline.config import load_settings
from logline.engine import SamplingParams
from logline.models import fit
from logline.models.embedded import DEMO_LABEL, EMBEDDED_MODEL_ID
from logline.models.folder_import import import_model_folder
from logline.models.recommend import embedded_notice, embedded_summary_note
from logline.ui.built_in_notice import IMPORT_HINT, KEEP_TEXT
from logline.ui.main_window import MainWindow
from logline.ui.model_picker import RECOMMENDED_MARK, ModelPicker
from logline.ui.model_table import OFFLINE_REASON

pytestmark = pytest.mark.gui

GiB = 1024**3
RECOMMENDED = "Llama 3.1 8B Instruct"  # the recommendation for a 16 GB machine
FIRST_RUN_S = 180  # the first summary imports MLX and loads the model
SCRIPT = """\
Title: The Night Ferry

INT. FERRY DECK - NIGHT

MARA leans on the rail and watches the harbour lights go out one by one.

MARA
We should have taken the morning boat.
"""


@pytest.fixture(autouse=True)
def sixteen_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    """A what-if machine with 16 GB of RAM, so the recommendation is the same everywhere."""
    monkeypatch.setattr(fit, "physical_ram", lambda: 16 * GiB)


@pytest.fixture
def make_window(qtbot) -> Iterator:
    windows: list[MainWindow] = []

    def make(**kwargs) -> MainWindow:
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def test_the_picker_labels_the_built_in_model_and_marks_the_recommendation(
    qtbot, tiny_model_dir: Path
) -> None:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    assert picker.itemText(0) == DEMO_LABEL  # not installed yet: installs on first use
    assert picker.choice().model_id == EMBEDDED_MODEL_ID
    tip = picker.itemData(0, Qt.ItemDataRole.ToolTipRole)
    rec = picker.recommendation
    assert rec is not None and rec.name == RECOMMENDED
    assert tip.startswith(embedded_notice(rec)) and rec.fit_advice in tip
    assert "for trying Logline offline" in tip and RECOMMENDED in tip
    marked = [offer for offer in picker.offers() if offer.recommended]
    assert [offer.display_name for offer in marked] == [RECOMMENDED]
    texts = [picker.itemText(i) for i in range(picker.count())]
    assert [t for t in texts if t.endswith(RECOMMENDED_MARK)] == [marked[0].label]

    install_as_built_in(tiny_model_dir)  # installed: the same label, now loadable in place
    picker.refresh()
    assert picker.itemText(0) == DEMO_LABEL and picker.choice().path is not None
    assert picker.itemData(0, Qt.ItemDataRole.ToolTipRole) == tip


def test_a_model_that_disappears_is_reported_not_silently_replaced(
    qtbot, make_window, tiny_model_dir: Path, tmp_path: Path
) -> None:
    drive = tmp_path / "drive" / "alpha"
    shutil.copytree(tiny_model_dir, drive)
    import_model_folder(
        drive, paths.models_dir(), model_id="alpha", display_name="Alpha", reference=True
    )
    window = make_window()
    picker = window.model_picker
    assert picker.select("alpha")
    with qtbot.assertNotEmitted(picker.choiceLost):
        picker.refresh()  # still there: nothing to say
    assert picker.choice().model_id == "alpha"

    drive.rename(tmp_path / "drive" / "unplugged")  # the drive is gone
    with qtbot.waitSignal(picker.choiceLost) as blocker:
        picker.refresh()
    assert blocker.args == ["Alpha", DEMO_LABEL]
    assert picker.choice().model_id == EMBEDDED_MODEL_ID
    assert window.banner.kind == "notice"
    assert window.banner.text.startswith("Alpha is no longer available")
    assert f"Summaries now use {DEMO_LABEL}." in window.banner.text


def test_the_first_run_notice_is_shown_once_without_blocking(make_window) -> None:
    window = make_window()
    notice = window.first_run_notice
    assert notice.isVisibleTo(window)
    assert QApplication.activeModalWidget() is None  # part of the window, never modal
    assert notice.text == embedded_notice(window.model_picker.recommendation)
    assert "invents names" in notice.text and RECOMMENDED in notice.text
    assert notice.download_button.text() == f"Download {RECOMMENDED}"
    assert notice.download_button.isEnabled()
    assert notice.keep_button.text() == KEEP_TEXT
    assert load_settings().built_in_notice_shown

    again = make_window()  # the next start
    assert not again.first_run_notice.isVisibleTo(again)


def test_no_first_run_notice_when_another_model_is_in_use(
    make_window, tiny_model_dir: Path
) -> None:
    window = make_window(model_override=("tiny", tiny_model_dir))
    assert not window.first_run_notice.isVisibleTo(window)
    assert not load_settings().built_in_notice_shown  # still owed for a start on the built-in


def test_download_opens_the_models_window_on_the_recommended_model(make_window) -> None:
    window = make_window()
    window.first_run_notice.download_button.click()
    dialog = window._models_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.selected_row().display_name == RECOMMENDED
    assert not window.first_run_notice.isVisibleTo(window)


def test_import_opens_the_models_window_at_its_import_button(make_window) -> None:
    window = make_window()
    window.first_run_notice.import_button.click()
    dialog = window._models_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.message.text() == IMPORT_HINT
    assert dialog.imports.import_button.isEnabled()
    assert not window.first_run_notice.isVisibleTo(window)


def test_keep_using_the_built_in_model_just_closes_the_notice(make_window) -> None:
    window = make_window()
    window.first_run_notice.keep_button.click()
    assert not window.first_run_notice.isVisibleTo(window)
    assert window._models_dialog is None


def test_offline_the_notice_offers_the_import_only(
    make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLINE_OFFLINE", "1")
    window = make_window()
    notice = window.first_run_notice
    assert notice.isVisibleTo(window)
    assert not notice.download_button.isEnabled()
    assert notice.download_button.toolTip() == OFFLINE_REASON
    assert notice.import_button.isEnabled() and "import it from a drive" in notice.text


def test_a_summary_by_the_built_in_model_carries_a_note(
    qtbot, make_window, tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = tmp_path / "night-ferry.fountain"
    script.write_text(SCRIPT, encoding="utf-8")
    window = make_window(
        model_override=(EMBEDDED_MODEL_ID, tiny_model_dir), sampling=SamplingParams(max_tokens=8)
    )
    window.show()
    note = window.summary_note
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(script)

    def summarize(timeout_s: float = 60) -> None:
        with qtbot.waitSignal(window.presenter.finished, timeout=round(timeout_s * 1000)):
            window.summarize()

    summarize(FIRST_RUN_S)
    assert note.isVisible()
    assert note.text() == embedded_summary_note(window.model_picker.recommendation)
    assert note.text().startswith("Written by the built-in model") and RECOMMENDED in note.text()
    assert note.toolTip() == embedded_notice(window.model_picker.recommendation)

    window.set_model("tiny", tiny_model_dir)  # another model: no note
    summarize()
    assert not note.isVisible()

    window.set_model(EMBEDDED_MODEL_ID, tiny_model_dir)
    summarize()
    assert note.isVisible()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(script)  # a new document: the old summary and its note go
    assert not note.isVisible()
