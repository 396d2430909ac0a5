"""Model picker and manager polish (issue 16, item 8): a model too large for this machine is
listed disabled with the reason; offline mode disables downloads with the reason; after a
download fails because the hub cannot be reached, Download stays off with the reason until the
settings change or Check Again finds the hub; context and licence columns; the built-in model
labelled as demo quality."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from built_in_helpers import install_as_built_in
from hub_server import FakeHub, fake_hub, tiny_model_files
from logline.config import update_settings
from logline.models import catalog
from logline.models.availability import OFFLINE_REASON, UNREACHABLE_REASON, MemoryFigures
from logline.models.embedded import DEMO_LABEL, EMBEDDED_MODEL_ID
from logline.models.fit import machine_name
from logline.ui.download_panel import CHECK_THREAD_NAME, THREAD_NAME
from logline.ui.model_picker import CatalogOffer, ModelPicker
from logline.ui.model_table import COLUMNS, CONTEXT_COLUMN, LICENCE_COLUMN
from logline.ui.models_dialog import ModelsDialog

pytestmark = pytest.mark.gui

GiB = 1024**3
SIXTEEN_GB = MemoryFigures(ram=16 * GiB)
HUGE = MemoryFigures(ram=512 * GiB)
BIG = catalog.find_entry("llama-3.3-70b-instruct")  # 39.7 GB to download
SMALL = catalog.find_entry("llama-3.2-1b-instruct")
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _no_hub_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``pull`` writes HF_* settings into os.environ: give them back; no thread left behind."""
    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER", "HF_ENDPOINT"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
        monkeypatch.delenv(key)
    yield
    names = {THREAD_NAME, CHECK_THREAD_NAME}
    assert not [t.name for t in threading.enumerate() if t.name in names and t.is_alive()]


def offer_index(picker: ModelPicker, entry_id: str) -> int:
    return next(
        i
        for i in range(picker.count())
        if isinstance(picker.itemData(i), CatalogOffer) and picker.itemData(i).entry_id == entry_id
    )


def make_picker(qtbot, memory: MemoryFigures) -> ModelPicker:
    picker = ModelPicker(memory=memory)
    qtbot.addWidget(picker)
    return picker


@pytest.fixture
def dialog(qtbot) -> Iterator[ModelsDialog]:
    dialog = ModelsDialog(memory=HUGE)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    assert dialog.shutdown(5)
    dialog.close()


def test_a_model_too_large_for_this_machine_is_disabled_in_the_picker_with_the_reason(
    qtbot,
) -> None:
    picker = make_picker(qtbot, SIXTEEN_GB)
    big = offer_index(picker, BIG.id)
    assert not picker.is_enabled(big)
    text = picker.itemText(big)
    assert text.startswith(f"{BIG.display_name} — too large: needs ")
    assert text.endswith(f"GB of memory; {machine_name()} has 16 GB")
    assert "Choose a smaller model" in picker.disabled_items()[text]
    assert picker.is_enabled(offer_index(picker, SMALL.id))
    # The same model on a machine with room for it can be chosen.
    roomy = make_picker(qtbot, HUGE)
    assert roomy.is_enabled(offer_index(roomy, BIG.id))
    assert "too large" not in roomy.itemText(offer_index(roomy, BIG.id))


def test_the_manager_greys_out_a_model_too_large_and_keeps_download_off(qtbot) -> None:
    dialog = ModelsDialog(memory=SIXTEEN_GB)
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        assert dialog.select_model(BIG.id)
        row = dialog.rows.index(dialog.selected_row())
        status = dialog.table.item(row, 1).text()
        assert status.startswith("Too large: needs ") and f"{machine_name()} has 16 GB" in status
        assert dialog.table.item(row, 5).text() == "Too large"
        assert not dialog.downloads.download_button.isEnabled()
        assert dialog.downloads.download_button.toolTip().startswith(
            "Too large for this computer: needs "
        )
        dimmed = dialog.table.item(row, 0).foreground().color()
        assert dimmed == dialog.table.palette().color(
            dialog.table.palette().ColorGroup.Disabled, dialog.table.palette().ColorRole.Text
        )
        assert dialog.select_model(SMALL.id)
        assert dialog.downloads.download_button.isEnabled()
    finally:
        dialog.close()


def test_offline_mode_disables_downloads_in_the_picker_and_the_manager(
    qtbot, dialog: ModelsDialog
) -> None:
    picker = make_picker(qtbot, HUGE)
    assert picker.is_enabled(offer_index(picker, SMALL.id))
    update_settings(offline=True)  # what the Settings window does, then it calls refresh()
    picker.refresh()
    dialog.refresh()
    small = offer_index(picker, SMALL.id)
    assert not picker.is_enabled(small)
    assert picker.itemText(small).endswith("· offline")
    assert picker.disabled_items()[picker.itemText(small)].startswith(OFFLINE_REASON)
    assert dialog.select_model(SMALL.id)
    assert not dialog.downloads.download_button.isEnabled()
    assert dialog.downloads.download_button.toolTip() == OFFLINE_REASON
    update_settings(offline=False)
    picker.refresh()
    dialog.refresh()
    assert picker.is_enabled(offer_index(picker, SMALL.id))
    assert dialog.downloads.download_button.isEnabled()


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with fake_hub() as server:
        server.add_repo(SMALL.repo_id, tiny_model_files(weights_bytes=1 * MB))
        yield server


def test_a_download_that_cannot_reach_the_hub_leaves_download_off_until_it_can(
    qtbot, dialog: ModelsDialog, hub: FakeHub
) -> None:
    update_settings(hub_endpoint=f"http://127.0.0.1:{_closed_port()}")
    dialog.refresh()
    assert dialog.select_model(SMALL.id)
    downloads = dialog.downloads
    with qtbot.waitSignal(dialog.downloadEnded, timeout=20_000) as blocker:
        downloads.download_button.click()
    assert blocker.args == ["failed"]
    assert "cannot reach 127.0.0.1" in dialog.message.text()
    assert not downloads.download_button.isEnabled()
    assert downloads.download_button.toolTip() == UNREACHABLE_REASON
    assert downloads.check_button.isVisibleTo(dialog) and downloads.check_button.isEnabled()
    dialog.refresh()  # a refresh alone changes nothing: the hub is still out of reach
    assert not downloads.download_button.isEnabled()

    downloads.check_button.click()
    assert downloads.check_job is not None and not downloads.check_button.isEnabled()
    qtbot.waitUntil(lambda: downloads.check_job is None, timeout=10_000)
    assert "Still no connection" in dialog.message.text()
    assert not downloads.download_button.isEnabled()

    update_settings(hub_endpoint=hub.url)  # now it answers
    downloads.check_button.click()
    assert downloads.check_job is not None and not downloads.check_button.isEnabled()
    qtbot.waitUntil(lambda: downloads.check_job is None, timeout=10_000)
    assert "downloads are back on" in dialog.message.text()
    assert downloads.download_button.isEnabled()
    assert not downloads.check_button.isVisibleTo(dialog)


def test_another_endpoint_in_the_settings_ends_the_unreachable_state(
    qtbot, dialog: ModelsDialog
) -> None:
    update_settings(hub_endpoint=f"http://127.0.0.1:{_closed_port()}")
    dialog.refresh()
    assert dialog.select_model(SMALL.id)
    with qtbot.waitSignal(dialog.downloadEnded, timeout=20_000):
        dialog.downloads.download_button.click()
    assert not dialog.downloads.download_button.isEnabled()
    update_settings(hub_endpoint=f"http://127.0.0.1:{_closed_port()}/other")
    dialog.refresh()  # the Settings window's call
    assert dialog.downloads.download_button.isEnabled()


def test_context_and_licence_columns(qtbot, dialog: ModelsDialog, tiny_model_dir: Path) -> None:
    install_as_built_in(tiny_model_dir)
    dialog.refresh()
    header = [dialog.table.horizontalHeaderItem(i).text() for i in range(len(COLUMNS))]
    assert header[CONTEXT_COLUMN] == "Context" and header[LICENCE_COLUMN] == "Licence"
    assert dialog.select_model(SMALL.id)
    row = dialog.rows.index(dialog.selected_row())
    assert dialog.table.item(row, CONTEXT_COLUMN).text() == "128k"
    assert "131,072 tokens" in dialog.table.item(row, CONTEXT_COLUMN).toolTip()
    assert dialog.table.item(row, LICENCE_COLUMN).text() == "llama3.2"
    # The built-in model: labelled as demo quality; its licence known, its context from config.
    built_in = dialog.row_for(EMBEDDED_MODEL_ID)
    assert built_in is not None and built_in.display_name == DEMO_LABEL
    row = dialog.rows.index(built_in)
    assert dialog.table.item(row, 0).text() == DEMO_LABEL
    assert dialog.table.item(row, LICENCE_COLUMN).text() == "apache-2.0"
    assert dialog.table.item(row, CONTEXT_COLUMN).text() not in ("", "—")


def test_unknown_facts_show_a_dash(qtbot, dialog: ModelsDialog, tmp_path: Path) -> None:
    from logline.models.model_facts import model_facts

    assert model_facts(None, tmp_path) == model_facts(None, None)
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\nlanguage: en\n---\n# A model\n", encoding="utf-8")
    assert model_facts(None, tmp_path).license == "mit"


def test_the_built_in_model_is_labelled_demo_quality_in_the_picker(qtbot) -> None:
    picker = make_picker(qtbot, HUGE)
    assert picker.itemText(0) == DEMO_LABEL == "SmolLM2 135M (built-in, demo quality)"
    assert picker.choice().label == DEMO_LABEL
