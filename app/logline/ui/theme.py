"""Light and dark: the window's colours as one table per theme, applied as both the
application palette and the stylesheet (``style.apply``), following the system's colour scheme
(live, ``style.follow_system``).

Every colour the stylesheet uses comes from a ``Theme``, so no background is fixed without
its text colour: the dark theme is the same table with dark surfaces and light text.
``contrast`` is WCAG's contrast ratio; the tests hold every text/background pair of both
themes to AA (4.5:1).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

# Theme fields that are text drawn on another field: (text, background). The contrast test
# and `text_pairs` read this table.
TEXT_PAIRS = (
    ("text", "surface"),
    ("text", "window"),
    ("muted", "surface"),
    ("muted", "window"),
    ("accent_text", "accent"),
    ("accent_text", "accent_hover"),
    ("link", "surface"),
    ("selection_text", "selection"),
    ("error_text", "error_background"),
    ("notice_text", "notice_background"),
    ("info_text", "info_background"),
    ("flag_text", "flag_background"),
    ("disabled_text", "surface"),
)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str  # behind the panes
    surface: str  # panes, views, toolbar, status bar
    text: str
    muted: str  # labels, details, stats
    border: str
    border_soft: str
    hover: str
    accent: str
    accent_hover: str
    link: str  # links in text (citations)
    accent_text: str
    accent_disabled: str
    accent_disabled_text: str  # dimmer than accent_text on accent: a disabled Summarize looks it
    selection: str
    selection_text: str
    error_background: str
    error_border: str
    error_text: str
    notice_background: str
    notice_border: str
    notice_text: str
    info_background: str
    info_border: str
    info_text: str
    flag_background: str
    flag_text: str
    progress_background: str
    progress_chunk: str
    scrollbar: str
    scrollbar_hover: str
    disabled_text: str

    @property
    def is_dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light",
    window="#f4f5f7",
    surface="#ffffff",
    text="#1d2127",
    muted="#5b616b",
    border="#cfd3da",
    border_soft="#e2e5ea",
    hover="#eef1f5",
    accent="#2f6fde",
    accent_hover="#2860c4",
    link="#2f6fde",
    accent_text="#ffffff",
    accent_disabled="#b9c9ea",
    accent_disabled_text="#ffffff",
    selection="#cfe0fb",
    selection_text="#111111",
    error_background="#fdecec",
    error_border="#f1b5b5",
    error_text="#8a1c1c",
    notice_background="#fff6e0",
    notice_border="#f0d9a0",
    notice_text="#6b4e00",
    info_background="#eef3fc",
    info_border="#c5d5f2",
    info_text="#23395d",
    flag_background="#fdecec",
    flag_text="#b42318",
    progress_background="#f0f2f5",
    progress_chunk="#8fb2ef",
    scrollbar="#cdd2d9",
    scrollbar_hover="#aeb4bd",
    disabled_text="#6e747e",
)

DARK = Theme(
    name="dark",
    window="#16181c",
    surface="#1f2227",
    text="#e6e8eb",
    muted="#a9afb8",
    border="#3a3f47",
    border_soft="#2c3037",
    hover="#2a2e35",
    accent="#2d62c8",
    accent_hover="#2857b3",
    link="#8fb4f5",
    accent_text="#ffffff",
    accent_disabled="#263042",
    accent_disabled_text="#6f7889",
    selection="#2f4f86",
    selection_text="#ffffff",
    error_background="#3a1d1d",
    error_border="#6b2d2d",
    error_text="#ffb4ab",
    notice_background="#3a3118",
    notice_border="#6b5a26",
    notice_text="#f3d98b",
    info_background="#1d2a40",
    info_border="#2f4670",
    info_text="#c6d8f7",
    flag_background="#3a1d1d",
    flag_text="#ff9c8f",
    progress_background="#2a2e35",
    progress_chunk="#3f6db8",
    scrollbar="#4a5059",
    scrollbar_hover="#646b75",
    disabled_text="#8d939c",
)


def _luminance(color: str) -> float:
    c = QColor(color)

    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_pairs(theme: Theme) -> list[tuple[str, str, str]]:
    """(name, text colour, background colour) of every text the theme draws on a colour."""
    return [(f"{f} on {b}", getattr(theme, f), getattr(theme, b)) for f, b in TEXT_PAIRS]


def system_is_dark() -> bool:
    """Whether the system asks for a dark scheme (Qt 6.5+), else judged by the palette."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def palette(theme: Theme) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.surface,
        QPalette.ColorRole.AlternateBase: theme.hover,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.surface,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.selection,
        QPalette.ColorRole.HighlightedText: theme.selection_text,
        QPalette.ColorRole.ToolTipBase: theme.surface,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Link: theme.link,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.border_soft,
        QPalette.ColorRole.Light: theme.hover,
        QPalette.ColorRole.Dark: theme.border,
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.disabled_text))
    return p


def current_theme(override: str = "system") -> Theme:
    if override == "dark":
        return DARK
    if override == "light":
        return LIGHT
    return DARK if system_is_dark() else LIGHT


__all__ = ["DARK", "LIGHT", "Theme", "contrast", "current_theme", "palette", "text_pairs"]
