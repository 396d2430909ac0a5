"""How the saved Settings reach the running app: the theme (at launch and live), the window's
default model and mode, the summary's per-mode generation defaults, and a refresh of everything
that reads the offline switch.

Precedence: ``LOGLINE_THEME`` in the environment beats the theme setting; a model or mode the
window remembers (``window_state``) beats the defaults at launch. A default changed in the
Settings window is selected in the open window at once when nothing runs, else when the running
summary or answer ends (a run never changes mode or model under it), so the next launch, which
restores the last choice, starts with it too.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QApplication

from logline.config import THEMES, Settings, load_settings
from logline.summarize.runner import SummaryOptions
from logline.summarize.user_defaults import mode_sampling
from logline.ui import window_state
from logline.ui.style import follow_system

log = logging.getLogger(__name__)

THEME_ENV = "LOGLINE_THEME"


def env_theme() -> str | None:
    """The theme ``LOGLINE_THEME`` forces for this session (system, light, dark), or None."""
    value = os.environ.get(THEME_ENV, "").strip().lower()
    return value if value in THEMES else None


def launch_theme() -> str:
    """The theme a launch starts with: the environment's, else the saved setting."""
    return env_theme() or load_settings().theme


def apply_theme(theme: str) -> bool:
    """Switch the app's theme now; False (nothing changes) while ``LOGLINE_THEME`` decides."""
    app = QApplication.instance()
    if env_theme() is not None or app is None:
        return False
    follow_system(app, theme)  # type: ignore[arg-type]
    return True


def with_generation_defaults(
    options: SummaryOptions, settings: Settings | None = None
) -> SummaryOptions:
    """``options`` with the user's defaults for its mode's final answer (temperature, length);
    explicit sampling (a test's, a caller's) is left alone."""
    if options.sampling is not None or not (settings or load_settings()).generation.get(
        options.mode
    ):
        return options  # the runner uses the mode's own sampling
    try:
        return replace(options, sampling=mode_sampling(options.mode, settings))
    except ValueError:  # an unknown mode: the runner says so
        return options


# -- the window ----------------------------------------------------------------------------


def _busy(window: Any) -> bool:
    return bool(window.generating or window.chat.busy)


def install_settings(window: Any, *, model: bool = True) -> None:
    """At window start (after ``window_state.restore``): the default mode and model where the
    window remembers none (``model=False`` keeps a model the window was given)."""
    window.settings_pending = {}
    window.settings_dialog = None
    remembered = window_state.settings()
    saved = load_settings()
    if saved.default_mode and not remembered.value("mode"):
        _select_mode(window, saved.default_mode)
    if model and saved.default_model and not remembered.value("model"):
        window.model_picker.select(saved.default_model)
    window.presenter.generatingChanged.connect(lambda _b: _apply_pending(window))
    window.chat.busyChanged.connect(lambda _b: _apply_pending(window))


def _select_mode(window: Any, mode_id: str) -> None:
    try:
        window.mode_picker.set_mode(mode_id)
    except ValueError:
        log.info("The default mode %r no longer exists", mode_id)


def apply_default(window: Any, kind: str, value: str | None) -> None:
    """Select a changed default ``kind`` ("mode" or "model") now, or once the window is idle."""
    if not value:
        return
    window.settings_pending[kind] = value
    _apply_pending(window)


def _apply_pending(window: Any) -> None:
    if _busy(window) or not window.settings_pending:
        return
    pending, window.settings_pending = window.settings_pending, {}
    if "mode" in pending:
        _select_mode(window, pending["mode"])
    if "model" in pending:
        window.model_picker.select(pending["model"])


def refresh_models(window: Any) -> None:
    """Everything that shows what can be downloaded re-reads the (offline) settings."""
    window.model_picker.refresh()
    window.chat_pane.model_picker.refresh()
    dialog = getattr(window, "_models_dialog", None)
    if dialog is not None:
        dialog.refresh()


def close_settings(window: Any) -> None:
    """The window closes: its Settings window goes too (and its background measuring ends)."""
    dialog = getattr(window, "settings_dialog", None)
    if dialog is not None:
        dialog.shutdown()
        dialog.close()
