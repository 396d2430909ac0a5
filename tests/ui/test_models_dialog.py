"""The model manager: picker, Models dialog, real downloads from a stdlib hub, eviction, fit."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from hub_server import FakeHub, fake_hub, tiny_model_files
from logline import paths
from logline.config import update_settings
from logline.models import catalog, download, state
from logline.models.choice import ModelChoice
from logline.models.download import is_downloaded
from logline.models.download_events import DownloadProgress
from logline.models.folder_import import import_model_folder
from logline.models.registry import default_model_id, installed_models
from logline.ui.download_panel import THREAD_NAME, describe_progress, format_duration
from logline.ui.model_picker import CatalogOffer, ModelPicker, check_fit_before_load
from logline.ui.model_table import MemoryFigures
from logline.ui.models_dialog import OFFLINE_REASON, ModelsDialog
from logline.units import format_bytes_pair
from timing import limit

pytestmark = pytest.mark.gui

ENTRY = catalog.find_entry("llama-3.2-1b-instruct")
MB = 1024 * 1024
BIG_RAM = 64 * 1024**3  # what-if memory so the catalog model "fits" on any test machine


@pytest.fixture(autouse=True)
def _restore_hf_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``pull`` writes HF_* settings into os.environ; give them back after each test. Fail a
    test that leaves a download thread running."""
    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER", "HF_ENDPOINT"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
        monkeypatch.delenv(key)
    yield
    left = [t.name for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]
    assert not left, f"download thread(s) still running: {left}"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with fake_hub() as server:
        server.add_repo(ENTRY.repo_id, tiny_model_files(weights_bytes=4 * MB))
        update_settings(hub_endpoint=server.url)
        yield server


MakeDialog = Callable[..., ModelsDialog]
FITS = MemoryFigures(ram=BIG_RAM)


@pytest.fixture
def make_dialog(qtbot) -> Iterator[MakeDialog]:
    """Opens Models windows (what-if memory, a ``pull`` with other timeouts); closes them."""
    opened: list[ModelsDialog] = []

    def make(memory: MemoryFigures = FITS, **pull_options) -> ModelsDialog:
        pull = functools.partial(download.pull, **pull_options) if pull_options else None
        dialog = ModelsDialog(memory=memory, pull=pull)
        qtbot.addWidget(dialog)
        dialog.show()
        opened.append(dialog)
        return dialog

    yield make
    for dialog in opened:
        assert dialog.shutdown(5)
        dialog.close()


@pytest.fixture
def dialog(make_dialog: MakeDialog) -> ModelsDialog:
    return make_dialog()


def _import(source: Path, model_id: str, name: str, **kwargs) -> Path:
    import_model_folder(source, paths.models_dir(), model_id=model_id, display_name=name, **kwargs)
    return paths.models_dir() / model_id


def _select_entry(dialog: ModelsDialog) -> None:
    dialog.refresh()
    assert dialog.select_model(ENTRY.id)
    assert dialog.selected_row().key == ENTRY.repo_id


def test_progress_text_reads_like_a_person_wrote_it() -> None:
    text = describe_progress(412_000_000, 2_150_000_000, 18_300_000, 95)
    assert text == "0.4 / 2.1 GB · 18.3 MB/s · 1 min 35 s left"
    assert describe_progress(5, 5, 0.0, 0.0) == "5 / 5 bytes"
    assert describe_progress(12_000_000, 412_000_000, 0.0, None) == "12 / 412 MB"
    assert format_duration(8.4) == "8 s" and format_duration(3900) == "1 h 5 min"


def test_picker_lists_installed_imported_and_catalog_models(qtbot, tiny_model_dir: Path) -> None:
    _import(tiny_model_dir, "my-import", "My Imported Model", reference=True)
    _import(tiny_model_dir, "tiny-copy", "Tiny Copy")
    picker = ModelPicker()
    qtbot.addWidget(picker)

    ids = [c.model_id for c in picker.choices()]
    assert ids[0] == default_model_id()  # the embedded default, first
    assert "my-import" in ids and "tiny-copy" in ids
    offers = picker.offers()
    assert [o.entry_id for o in offers] == [e.id for e in catalog.load_catalog()]
    llama = next(i for i in range(picker.count()) if isinstance(picker.itemData(i), CatalogOffer))
    assert picker.itemText(llama) == "Llama 3.2 1B Instruct — download 700 MB"
    # Loadable models come before every download offer.
    data = [picker.itemData(i) for i in range(picker.count())]
    last_choice = max(i for i, d in enumerate(data) if isinstance(d, ModelChoice))
    assert last_choice < llama

    # Choosing an offer asks for the download and keeps the model that was chosen.
    assert picker.select("tiny-copy")
    with qtbot.waitSignal(picker.downloadRequested) as blocker:
        picker.setCurrentIndex(llama)
    assert blocker.args == [ENTRY.id]
    assert picker.choice().model_id == "tiny-copy"


def test_download_through_the_dialog_refreshes_the_picker(
    qtbot, dialog: ModelsDialog, hub: FakeHub
) -> None:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    dialog.modelsChanged.connect(picker.refresh)
    assert ENTRY.repo_id not in [c.model_id for c in picker.choices()]
    ticks = []
    _select_entry(dialog)
    assert dialog.downloads.download_button.isEnabled()

    with qtbot.waitSignal(dialog.downloadEnded, timeout=30000) as blocker:
        dialog.downloads.download_button.click()
        job = dialog.downloads.job
        assert job is not None and job.running
        job.on_event(lambda e: isinstance(e, DownloadProgress) and ticks.append(e))
        assert dialog.downloads.cancel_button.isEnabled()
        assert not dialog.downloads.download_button.isEnabled()
    assert blocker.args == ["done"], dialog.message.text()

    total = sum(len(b) for n, b in hub.repos[ENTRY.repo_id].files.items() if n.endswith(".json"))
    total += len(hub.repos[ENTRY.repo_id].files["model.safetensors"])
    assert ticks and ticks[-1].bytes_done == ticks[-1].bytes_total == total
    assert dialog.downloads.progress_bar.value() == dialog.downloads.progress_bar.maximum()
    assert dialog.downloads.progress_label.text().startswith(format_bytes_pair(total, total))
    assert "ready" in dialog.message.text()
    assert is_downloaded(ENTRY.repo_id) is not None
    row = dialog.row_for(ENTRY.repo_id)
    assert row is not None and row.usable
    assert dialog.table.item(dialog.rows.index(row), 1).text() == "Downloaded"
    assert ENTRY.repo_id in [c.model_id for c in picker.choices()]
    assert ENTRY.id not in [o.entry_id for o in picker.offers()]
    assert not dialog.downloads.running and not dialog.downloads.cancel_button.isEnabled()


def test_cancel_during_a_throttled_download_returns_within_a_second(
    qtbot, dialog: ModelsDialog, hub: FakeHub
) -> None:
    hub.behaviour.throttle_bps = 512 * 1024  # 4 MB of weights: about 8 s
    picker = ModelPicker()
    qtbot.addWidget(picker)
    dialog.modelsChanged.connect(picker.refresh)
    _select_entry(dialog)
    dialog.downloads.download_button.click()
    job = dialog.downloads.job
    qtbot.waitUntil(lambda: hub.served["model.safetensors"] > 128 * 1024, timeout=15000)

    with qtbot.waitSignal(dialog.downloadEnded, timeout=round(limit(1) * 1000)) as blocker:
        started = time.monotonic()
        dialog.downloads.cancel_button.click()
    assert time.monotonic() - started < limit(1.0)
    assert blocker.args == ["cancelled"]
    assert job.wait(limit(1.0))
    assert "cancelled" in dialog.message.text()
    assert is_downloaded(ENTRY.repo_id) is None
    assert ENTRY.repo_id not in [c.model_id for c in picker.choices()]
    assert not dialog.row_for(ENTRY.repo_id).usable


def test_offline_disables_download_with_the_reason(qtbot, dialog: ModelsDialog) -> None:
    update_settings(offline=True)
    _select_entry(dialog)
    assert not dialog.downloads.download_button.isEnabled()
    assert dialog.downloads.download_button.toolTip() == OFFLINE_REASON
    assert dialog.offline_label.isVisibleTo(dialog)
    row = dialog.rows.index(dialog.selected_row())
    assert dialog.table.item(row, 1).text() == OFFLINE_REASON
    assert not dialog.downloads.start(dialog.selected_row())
    assert dialog.message.text().startswith(OFFLINE_REASON)
    assert dialog.downloads.job is None


def _two_models_over_budget(tiny_model_dir: Path) -> tuple[str, str]:
    old = _import(tiny_model_dir, "old-model", "Old Model")
    new = _import(tiny_model_dir, "new-model", "New Model")
    state.touch("old-model", 1_000_000.0)
    state.touch("new-model")
    size = sum(f.stat().st_size for f in old.rglob("*") if f.is_file())
    new_size = sum(f.stat().st_size for f in new.rglob("*") if f.is_file())
    update_settings(cache_budget_bytes=ENTRY.download_bytes + new_size + size // 2)
    return "old-model", "new-model"


def test_eviction_no_deletes_nothing(qtbot, dialog: ModelsDialog, tiny_model_dir: Path) -> None:
    old, new = _two_models_over_budget(tiny_model_dir)
    _select_entry(dialog)
    dialog.downloads.download_button.click()
    evict = dialog.downloads.eviction_dialog
    assert evict is not None and evict.isVisible()
    assert [m.key for m in evict.plan.evict] == [old]
    assert "Old Model" in evict.items.item(0).text()
    assert "frees" in evict.summary.text()
    evict.keep_button.click()

    assert dialog.downloads.eviction_dialog is None and dialog.downloads.job is None
    assert {m.model_id for m in installed_models()} >= {old, new}
    assert "Nothing was deleted" in dialog.message.text()


def test_eviction_yes_deletes_the_least_recently_used_then_downloads(
    qtbot, dialog: ModelsDialog, hub: FakeHub, tiny_model_dir: Path
) -> None:
    old, new = _two_models_over_budget(tiny_model_dir)
    _select_entry(dialog)
    dialog.downloads.download_button.click()
    with qtbot.waitSignal(dialog.downloadEnded, timeout=30000) as blocker:
        dialog.downloads.eviction_dialog.delete_button.click()
    assert blocker.args == ["done"], dialog.message.text()
    ids = {m.model_id for m in installed_models()}
    assert old not in ids and new in ids
    assert is_downloaded(ENTRY.repo_id) is not None


def test_a_refuse_verdict_blocks_the_download(qtbot, make_dialog: MakeDialog) -> None:
    dialog = make_dialog(MemoryFigures(ram=1024**3))
    _select_entry(dialog)
    row = dialog.rows.index(dialog.selected_row())
    assert dialog.table.item(row, 5).text() == "Too large"
    assert "Choose a smaller model" in dialog.table.item(row, 5).toolTip()
    assert not dialog.downloads.start(dialog.selected_row())
    assert dialog.message.text().startswith("Not downloaded:")
    assert dialog.downloads.job is None and dialog.question is None


def test_a_warn_verdict_asks_before_downloading(qtbot, make_dialog: MakeDialog) -> None:
    from logline.models.fit import advise_for_catalog

    needed = advise_for_catalog(ENTRY, 8192, ram=BIG_RAM).needed_bytes
    dialog = make_dialog(MemoryFigures(ram=BIG_RAM, usable=int(needed / 0.95)))
    _select_entry(dialog)
    dialog.downloads.download_button.click()
    assert dialog.question is not None and "anyway" in dialog.question.text()
    dialog.question.button(QMessageBox.StandardButton.No).click()
    assert dialog.question is None and dialog.downloads.job is None
    assert dialog.downloads.eviction_dialog is None


def test_fit_check_before_load(tiny_model_dir: Path) -> None:
    choice = ModelChoice("tiny", tiny_model_dir, "Tiny")
    told: list[str] = []
    asked: list[str] = []

    def tell(_parent, message: str) -> None:
        told.append(message)

    def ask(_parent, message: str) -> bool:
        asked.append(message)
        return False

    assert not check_fit_before_load(None, choice, usable=1, ask=ask, tell=tell)
    assert told and "Choose a smaller model" in told[0] and not asked
    assert check_fit_before_load(None, choice, usable=BIG_RAM, ask=ask, tell=tell)
    from logline.models.fit import advise_for_folder

    needed = advise_for_folder(tiny_model_dir, 8192, usable=BIG_RAM).needed_bytes
    assert not check_fit_before_load(None, choice, usable=int(needed / 0.95), ask=ask, tell=tell)
    assert asked and len(told) == 1
    assert check_fit_before_load(None, ModelChoice(default_model_id()), usable=1)


def test_the_window_opens_the_dialog_from_the_toolbar_and_the_picker(
    qtbot, tiny_model_dir: Path
) -> None:
    from logline.ui.main_window import MainWindow

    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    window.toolbar.models_action.trigger()
    dialog = window._models_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()

    picker = window.model_picker
    offer = next(i for i in range(picker.count()) if isinstance(picker.itemData(i), CatalogOffer))
    picker.setCurrentIndex(offer)
    assert dialog.selected_row().key == picker.itemData(offer).repo_id
    assert picker.choice().model_id == "tiny"

    dialog.modelsChanged.emit()  # the picker refreshes and keeps the window's explicit model
    assert picker.choice().model_id == "tiny"
    assert picker.choices()[0].model_id == "tiny"
    window.close()
    assert dialog.downloads.job is None


def test_closing_the_dialog_stops_the_download_thread(
    qtbot, dialog: ModelsDialog, hub: FakeHub
) -> None:
    hub.behaviour.throttle_bps = 512 * 1024
    _select_entry(dialog)
    dialog.downloads.download_button.click()
    qtbot.waitUntil(lambda: hub.served["model.safetensors"] > 0, timeout=15000)
    started = time.monotonic()
    dialog.close()
    assert time.monotonic() - started < limit(1.5)
    assert not any(t.name == THREAD_NAME for t in threading.enumerate())
    assert is_downloaded(ENTRY.repo_id) is None


@pytest.mark.parametrize(
    ("misbehave", "words"),
    [
        (lambda hub: hub.behaviour.corrupt.add("model.safetensors"), "checksum"),
        (lambda hub: hub.behaviour.stall_after.update({"model.safetensors": 1024}), "stopped"),
    ],
    ids=["corrupt", "stalled"],
)
def test_download_errors_are_shown_in_plain_words(
    qtbot, make_dialog: MakeDialog, hub: FakeHub, misbehave, words: str
) -> None:
    misbehave(hub)
    dialog = make_dialog(timeout_s=0.5, retries=0, backoff_s=0.0)
    _select_entry(dialog)
    with qtbot.waitSignal(dialog.downloadEnded, timeout=20000) as blocker:
        dialog.downloads.download_button.click()
    assert blocker.args == ["failed"]
    assert words in dialog.message.text(), dialog.message.text()
    assert dialog.message.property("level") == "error"
    assert dialog.downloads.download_button.isEnabled()  # it can be tried again
