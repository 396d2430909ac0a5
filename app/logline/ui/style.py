"""The window's stylesheet: a quiet, neutral look on top of Qt's Fusion style, in the colours of
a ``theme.Theme`` (light or dark), and applying it with the matching palette."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from logline.ui.theme import LIGHT, Theme, current_theme, palette

ACCENT = LIGHT.accent


def stylesheet(t: Theme) -> str:
    """The stylesheet in theme ``t``'s colours (every background with its text colour)."""
    return f"""
QMainWindow {{ background: {t.window}; }}
QToolBar#mainToolBar {{
    background: {t.surface}; border: none; border-bottom: 1px solid {t.border};
    padding: 6px 10px; spacing: 8px;
}}
QToolBar#mainToolBar QToolButton {{
    padding: 5px 12px; border: 1px solid {t.border}; border-radius: 5px; background: {t.surface};
}}
QToolBar#mainToolBar QToolButton:hover {{ background: {t.hover}; }}
QToolBar#mainToolBar QToolButton:disabled {{
    color: {t.disabled_text};
    border-color: {t.border_soft};
}}
QToolBar#mainToolBar QToolButton#summarizeButton {{
    background: {t.accent}; color: {t.accent_text}; border-color: {t.accent}; font-weight: 600;
    padding: 5px 18px;
}}
QToolBar#mainToolBar QToolButton#summarizeButton:hover {{ background: {t.accent_hover}; }}
QToolBar#mainToolBar QToolButton#summarizeButton:disabled {{
    background: {t.accent_disabled}; border-color: {t.accent_disabled};
    color: {t.accent_disabled_text};
}}
QLabel#modelLabel, QLabel#modeLabel {{ color: {t.muted}; padding-left: 8px; }}
QComboBox#modeCombo {{ padding: 4px 8px; }}
QComboBox#modelPicker {{ padding: 4px 8px; }}
QWidget#pane {{
    background: {t.surface}; border: 1px solid {t.border}; border-radius: 6px;
}}
QLabel#paneTitle {{
    color: {t.muted}; font-weight: 600; letter-spacing: 0.5px; padding: 8px 12px 2px 12px;
}}
QLabel#paneDetail {{ color: {t.muted}; padding: 0 12px 6px 12px; }}
QTextBrowser#summaryView, QTextBrowser#notesView {{
    border: none; border-top: 1px solid {t.border_soft}; background: {t.surface}; color: {t.text};
    padding: 8px 10px;
    selection-background-color: {t.selection};
    selection-color: {t.selection_text};
}}
QWidget#chatPane {{ background: palette(base); }}
QTextBrowser#chatView {{
    border: none; border-top: 1px solid palette(midlight); background: palette(base);
    color: palette(text); padding: 6px 8px;
}}
QPlainTextEdit#chatComposer {{
    border: 1px solid palette(mid); border-radius: 5px; background: palette(base);
    color: palette(text); padding: 4px 6px;
}}
QLabel#contextLabel, QLabel#chatEditNote, QLabel#chatModelLabel {{
    color: palette(window-text); padding: 0 2px;
}}
QPlainTextEdit#chatComposer:focus {{ border-color: {t.accent}; }}
QSplitter::handle {{ background: transparent; }}
QWidget[dropTarget="true"] {{ border: 2px dashed {t.accent}; border-radius: 8px; }}
QFrame#banner {{ border-radius: 6px; margin: 0 0 8px 0; }}
QFrame#banner[kind="error"] {{
    background: {t.error_background};
    border: 1px solid {t.error_border};
}}
QFrame#banner[kind="error"] QLabel {{ color: {t.error_text}; }}
QFrame#banner[kind="notice"] {{
    background: {t.notice_background};
    border: 1px solid {t.notice_border};
}}
QFrame#banner[kind="notice"] QLabel {{ color: {t.notice_text}; }}
QFrame#builtInNotice {{
    background: {t.info_background};
    border: 1px solid {t.info_border};
    border-radius: 6px;
    margin: 0 0 8px 0;
}}
QLabel#builtInNoticeText {{ color: {t.info_text}; }}
QLabel#summaryModelNote {{
    color: {t.notice_text};
    background: {t.notice_background};
    border-top: 1px solid {t.notice_border};
    padding: 4px 12px;
}}
QLabel#serverBadge {{
    color: {t.info_text};
    background: {t.info_background};
    border-top: 1px solid {t.info_border};
    padding: 4px 12px;
    font-weight: 600;
}}
QLabel#settingsError {{
    color: {t.error_text}; background: {t.error_background};
    border: 1px solid {t.error_border}; border-radius: 4px; padding: 4px 6px;
}}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px 2px 2px 0; }}
QScrollBar::handle:vertical {{ background: {t.scrollbar}; border-radius: 3px; min-height: 32px; }}
QScrollBar::handle:vertical:hover {{ background: {t.scrollbar_hover}; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QStatusBar {{ background: {t.surface}; border-top: 1px solid {t.border}; color: {t.muted}; }}
QStatusBar::item {{ border: none; }}
QLabel#statsLabel {{ color: {t.muted}; padding: 0 8px; }}
QProgressBar#promptProgress {{
    border: 1px solid {t.border};
    border-radius: 4px;
    background: {t.progress_background};
    text-align: center;
    min-width: 320px; max-height: 16px;
}}
QProgressBar#promptProgress::chunk {{ background: {t.progress_chunk}; border-radius: 3px; }}
"""


STYLESHEET = stylesheet(LIGHT)


def apply(app: QGuiApplication, theme: Theme) -> None:
    """Use ``theme`` for the whole application (palette and stylesheet)."""
    app.setPalette(palette(theme))
    app.setStyleSheet(stylesheet(theme))  # type: ignore[attr-defined]
    app.setProperty("loglineTheme", theme.name)


def follow_system(app: QGuiApplication, override: str = "system") -> None:
    """Apply the system's scheme (or ``override``: light, dark) now and whenever it changes.

    Calling it again (the Settings window's theme choice) switches at once; the system's
    colour-scheme signal is connected only once and reads the latest choice."""
    app.setProperty("loglineThemeOverride", override)
    apply(app, current_theme(override))
    if app.property("loglineFollowsSystem"):
        return
    changed = getattr(QGuiApplication.styleHints(), "colorSchemeChanged", None)
    if changed is not None:
        changed.connect(lambda _scheme: _on_scheme_changed(app))
        app.setProperty("loglineFollowsSystem", True)


def _on_scheme_changed(app: QGuiApplication) -> None:
    override = str(app.property("loglineThemeOverride") or "system")
    if override == "system":
        apply(app, current_theme(override))
