"""The Settings window (issue 16 item 5): reached by its key without blocking, its changes
saved and applied live, still there after a restart, invalid input refused inline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from logline import config, paths
from logline.ui import window_state
from logline.ui.main_window import MainWindow
from logline.ui.menus import settings_keys
from logline.ui.settings_apply import launch_theme, with_generation_defaults
from logline.ui.settings_dialog import SettingsDialog, open_settings
from logline.ui.theme import DARK, LIGHT

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def restore_theme(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[QApplication]:
    """The theme and the environment as they were (the tests switch both)."""
    for name in ("LOGLINE_THEME", "LOGLINE_OFFLINE", "HF_HUB_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    palette, sheet = qapp.palette(), qapp.styleSheet()
    override = qapp.property("loglineThemeOverride")
    yield qapp
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setProperty("loglineTheme", None)
    qapp.setProperty("loglineThemeOverride", override)


def _window(qtbot, model_dir: Path) -> MainWindow:
    window = MainWindow(model_override=("tiny", model_dir))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def _settings(qtbot, window: MainWindow) -> SettingsDialog:
    dialog = open_settings(window)
    qtbot.waitUntil(lambda: dialog.network.used_bytes is not None, timeout=10000)
    return dialog


def _window_colour() -> str:
    return QApplication.palette().color(QPalette.ColorRole.Window).name()


def test_settings_key_opens_one_non_modal_window(qtbot, tiny_model_dir: Path) -> None:
    window = _window(qtbot, tiny_model_dir)
    action = window.menu_actions["settings"]
    assert action.menuRole().name == "PreferencesRole"
    assert not action.shortcut().isEmpty() and action.shortcut() == settings_keys()
    std = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    assert action.shortcut() == (std[0] if std else QKeySequence("Ctrl+,"))
    window.document_view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.document_view, timeout=5000)
    QTest.keySequence(window, action.shortcut())
    QApplication.processEvents()
    dialog = window.settings_dialog
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    assert not dialog.isModal() and QApplication.activeModalWidget() is None
    assert window.isEnabled()  # the main window still answers
    qtbot.waitUntil(lambda: dialog.network.used_bytes is not None, timeout=10000)
    action.trigger()
    assert window.settings_dialog is dialog  # one instance
    window.close()
    assert not dialog.isVisible()


def test_settings_persist_across_a_restart(qtbot, tiny_model_dir: Path) -> None:
    window = _window(qtbot, tiny_model_dir)
    dialog = _settings(qtbot, window)
    general, generation, network = dialog.general, dialog.generation, dialog.network
    general.mode_combo.setCurrentIndex(general.mode_combo.findData("coverage"))
    assert window.mode_picker.mode() == "coverage"  # idle: selected at once
    general.theme_combo.setCurrentIndex(general.theme_combo.findData("dark"))
    generation.mode_combo.setCurrentIndex(generation.mode_combo.findData("synopsis"))
    generation.temperature.setValue(0.5)
    generation.max_tokens.setValue(900)
    network.offline.setChecked(True)
    network.endpoint.setText("https://hf-mirror.example")
    network.endpoint.editingFinished.emit()
    network.budget.setValue(55)
    network.budget.editingFinished.emit()
    dialog.close()
    window.close()
    QApplication.setPalette(QPalette())  # as a new process would start, before the launch
    assert launch_theme() == "dark"

    from logline.ui.style import follow_system

    follow_system(QApplication.instance(), launch_theme())  # what launch_gui does
    again = _window(qtbot, tiny_model_dir)
    assert again.mode_picker.mode() == "coverage"
    assert _window_colour() == DARK.window
    assert QColor(again.document_view.grab().toImage().pixel(5, 5)).lightness() < 128
    dialog = _settings(qtbot, again)
    assert dialog.general.mode_combo.currentData() == "coverage"
    assert dialog.general.theme_combo.currentData() == "dark"
    assert dialog.generation.mode_id() == "logline"  # the first mode shows its own values
    dialog.generation.mode_combo.setCurrentIndex(dialog.generation.mode_combo.findData("synopsis"))
    assert (dialog.generation.temperature.value(), dialog.generation.max_tokens.value()) == (
        0.5,
        900,
    )
    assert dialog.network.offline.isChecked() and config.effective_settings().offline
    assert dialog.network.endpoint.text() == "https://hf-mirror.example"
    assert dialog.network.budget.value() == 55
    assert config.load_settings().cache_budget_bytes == 55 * 10**9
    again.mode_picker.set_mode("synopsis")
    sampling = again.summary_options().sampling
    assert sampling is not None and (sampling.temperature, sampling.max_tokens) == (0.5, 900)
    again.close()


def test_defaults_apply_where_the_window_remembers_nothing(qtbot, tiny_model_dir: Path) -> None:
    config.update_settings(default_mode="scenes")
    window = _window(qtbot, tiny_model_dir)
    assert window.mode_picker.mode() == "scenes"  # no window.ini yet: the setting
    window.mode_picker.set_mode("characters")
    window.close()
    assert window_state.settings().value("mode") == "characters"
    again = _window(qtbot, tiny_model_dir)
    assert again.mode_picker.mode() == "characters"  # the remembered choice wins
    again.close()


def test_live_theme_change_repaints(qtbot, tiny_model_dir: Path) -> None:
    window = _window(qtbot, tiny_model_dir)
    dialog = _settings(qtbot, window)
    combo = dialog.general.theme_combo
    combo.setCurrentIndex(combo.findData("dark"))
    assert _window_colour() == DARK.window
    assert QColor(window.document_view.grab().toImage().pixel(5, 5)).name() == DARK.surface
    combo.setCurrentIndex(combo.findData("light"))
    assert _window_colour() == LIGHT.window
    assert QColor(window.document_view.grab().toImage().pixel(5, 5)).name() == LIGHT.surface
    assert config.load_settings().theme == "light"
    window.close()


def test_logline_theme_in_the_environment_wins(
    qtbot, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLINE_THEME", "light")
    config.update_settings(theme="dark")
    assert launch_theme() == "light"
    window = _window(qtbot, tiny_model_dir)
    dialog = _settings(qtbot, window)
    before = _window_colour()
    combo = dialog.general.theme_combo
    combo.setCurrentIndex(combo.findData("system"))
    combo.setCurrentIndex(combo.findData("dark"))
    assert _window_colour() == before  # saved for later launches, not applied now
    assert dialog.general.theme_note.isVisibleTo(dialog.general) and "LOGLINE_THEME" in (
        dialog.general.theme_note.text()
    )
    window.close()


def test_offline_reaches_effective_settings_and_the_models_window(
    qtbot, tiny_model_dir: Path
) -> None:
    window = _window(qtbot, tiny_model_dir)
    models = window.open_models_dialog()
    assert not models.offline_label.isVisibleTo(models)
    dialog = _settings(qtbot, window)
    dialog.network.offline.setChecked(True)
    assert config.effective_settings().offline
    assert models.offline_label.isVisibleTo(models)  # refreshed at once
    dialog.network.offline.setChecked(False)
    assert not config.effective_settings().offline
    assert not models.offline_label.isVisibleTo(models)
    window.close()


def test_invalid_input_is_refused_inline_and_not_saved(qtbot, tiny_model_dir: Path) -> None:
    part = paths.hub_cache_dir() / "models--org--big" / "blobs" / "abc.incomplete"
    part.parent.mkdir(parents=True)
    with part.open("wb") as handle:  # a sparse 3 GB partial download: 3 GB in the cache
        handle.truncate(3 * 10**9)
    window = _window(qtbot, tiny_model_dir)
    dialog = _settings(qtbot, window)
    page = dialog.network
    assert page.usage.text() == "3 GB of 40 GB"
    page.endpoint.setText("hf-mirror.example")
    page.endpoint.editingFinished.emit()
    assert page.endpoint_message.isVisibleTo(page)
    assert "https://" in page.endpoint_message.text()
    assert config.load_settings().hub_endpoint is None
    page.budget.setValue(2)
    page.budget.editingFinished.emit()
    assert page.budget_message.isVisibleTo(page) and "3 GB" in page.budget_message.text()
    assert config.load_settings().cache_budget_bytes == config.DEFAULT_CACHE_BUDGET_BYTES
    page.endpoint.setText("https://hf-mirror.example")
    page.endpoint.editingFinished.emit()
    page.budget.setValue(4)
    page.budget.editingFinished.emit()
    assert not page.endpoint_message.isVisibleTo(page)
    assert not page.budget_message.isVisibleTo(page)
    assert config.load_settings().hub_endpoint == "https://hf-mirror.example"
    assert page.usage.text() == "3 GB of 4 GB"
    window.close()


def test_the_token_is_stored_and_cleared_showing_only_whether_one_is(
    qtbot, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_config import FakeKeyring

    monkeypatch.delenv("HF_TOKEN", raising=False)
    fake = FakeKeyring()
    fake.install(monkeypatch)
    window = _window(qtbot, tiny_model_dir)
    page = _settings(qtbot, window).network
    assert page.token_status.text() == "No token stored."
    assert not page.clear_token_button.isEnabled() and not page.save_token_button.isEnabled()
    page.token_edit.setText("hf_SECRET")
    page.save_token_button.click()
    assert list(fake.store.values()) == ["hf_SECRET"]
    assert page.token_edit.text() == "" and "stored" in page.token_status.text()
    assert "hf_SECRET" not in page.token_status.text()
    page.clear_token_button.click()
    assert fake.store == {} and page.token_status.text() == "No token stored."
    window.close()


def test_no_keychain_says_so_inline(
    qtbot, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_config import FakeKeyring

    monkeypatch.delenv("HF_TOKEN", raising=False)
    FakeKeyring(working=False).install(monkeypatch)
    window = _window(qtbot, tiny_model_dir)
    page = _settings(qtbot, window).network
    assert "HF_TOKEN" in page.token_status.text()
    page.token_edit.setText("hf_x")
    page.save_token_button.click()
    assert page.token_message.isVisibleTo(page) and "not saved" in page.token_message.text()
    window.close()


def test_generation_defaults_change_only_their_mode(qtbot, tiny_model_dir: Path) -> None:
    window = _window(qtbot, tiny_model_dir)
    page = _settings(qtbot, window).generation
    page.mode_combo.setCurrentIndex(page.mode_combo.findData("logline"))
    assert not page.reset_button.isEnabled()
    page.max_tokens.setValue(120)
    assert config.load_settings().generation == {"logline": {"max_tokens": 120}}
    window.mode_picker.set_mode("logline")
    sampling = window.summary_options().sampling
    assert sampling is not None and sampling.max_tokens == 120
    assert sampling.no_repeat_ngram == 12  # the mode's other values are kept
    window.mode_picker.set_mode("synopsis")
    assert window.summary_options().sampling is None  # the mode's own
    page.reset()
    assert config.load_settings().generation == {}
    assert page.max_tokens.value() == 80
    window.mode_picker.set_mode("logline")
    assert with_generation_defaults(window.summary_options()).sampling is None
    window.close()


def test_the_default_model_is_selected_now_and_at_the_next_launch(
    qtbot, tiny_model_dir: Path
) -> None:
    from logline.models.registry import installed_models

    shutil.copytree(tiny_model_dir, paths.models_dir() / tiny_model_dir.name)
    (installed,) = installed_models()
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.model_picker.choice().model_id != installed.model_id
    dialog = _settings(qtbot, window)
    combo = dialog.general.model_combo
    combo.setCurrentIndex(combo.findData(installed.model_id))
    assert config.load_settings().default_model == installed.model_id
    assert window.model_picker.choice().model_id == installed.model_id  # idle: at once
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.model_picker.choice().model_id == installed.model_id
    again.close()


@pytest.mark.slow
def test_a_default_changed_mid_run_waits_for_the_run_to_end(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = tmp_path / "short.fountain"
    script.write_text("INT. KITCHEN - NIGHT\n\nA writer reads.\n", encoding="utf-8")
    window = _window(qtbot, tiny_model_dir)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(script)
    dialog = _settings(qtbot, window)
    with qtbot.waitSignal(window.presenter.finished, timeout=180_000):
        window.summarize()
        assert window.generating
        combo = dialog.general.mode_combo
        combo.setCurrentIndex(combo.findData("logline"))
        assert window.mode_picker.mode() == "synopsis"  # the running summary keeps its mode
    qtbot.waitUntil(lambda: window.mode_picker.mode() == "logline", timeout=5000)
    window.close()
