"""Light and dark: every text colour of both themes on its background meets WCAG AA (4.5:1),
and the window rendered in each theme shows its script, summary and notes readably (measured
on the rendered pixels, not assumed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

from chat_helpers import write_script
from logline.ui import notes_view
from logline.ui.main_window import MainWindow
from logline.ui.style import apply, follow_system
from logline.ui.theme import DARK, LIGHT, Theme, contrast, text_pairs

pytestmark = pytest.mark.gui
AA = 4.5


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_every_text_colour_meets_aa_on_its_background(theme: Theme) -> None:
    low = [(name, round(contrast(f, b), 2)) for name, f, b in text_pairs(theme)]
    assert all(ratio >= AA for _, ratio in low), low


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_a_disabled_summarize_button_looks_dimmer_than_an_enabled_one(theme: Theme) -> None:
    """In the dark theme the disabled button had white text on navy: more contrast (11:1) than
    the enabled one (5.7:1), so it looked ready to press with no document open."""
    enabled = contrast(theme.accent_text, theme.accent)
    disabled = contrast(theme.accent_disabled_text, theme.accent_disabled)
    assert disabled <= 0.6 * enabled, (disabled, enabled)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_note_states_are_readable_in_both_themes(dark: bool) -> None:
    surface = (DARK if dark else LIGHT).surface
    for state, (_label, colour) in notes_view._STATE.items():
        shown = notes_view._DARK_COLOURS.get(colour, colour) if dark else colour
        assert contrast(shown, surface) >= AA, (state, shown)


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[QApplication]:
    palette, sheet = qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setProperty("loglineTheme", None)


def _text_contrast(widget: QWidget) -> float:
    """The contrast between a widget's background (its commonest colour) and its text (the
    rendered colour farthest from it)."""
    image: QImage = widget.grab().toImage()
    colours: Counter[int] = Counter()
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            colours[image.pixel(x, y)] += 1
    background = QColor(colours.most_common(1)[0][0]).name()
    return max(contrast(QColor(c).name(), background) for c in colours)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_the_window_renders_readably_in_each_theme(
    qtbot, restore_theme: QApplication, tiny_model_dir: Path, tmp_path: Path, theme: Theme
) -> None:
    apply(restore_theme, theme)
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path, repeats=2))
    window.summary_view.setMarkdown("A **summary** of the river scenes (Sc. 2, p. 1).")
    background = QColor(window.document_view.grab().toImage().pixel(5, 5)).name()
    assert (QColor(background).lightness() < 128) == theme.is_dark
    for widget in (window.document_view, window.summary_view, window.chat_pane.view):
        if widget is window.chat_pane.view:
            widget.setPlainText("Edward wades into the river.")
        assert _text_contrast(widget) >= AA, widget.objectName()
    window.close()


def test_the_theme_follows_an_override(restore_theme: QApplication) -> None:
    follow_system(restore_theme, "dark")
    assert restore_theme.property("loglineTheme") == "dark"
    assert restore_theme.palette().color(restore_theme.palette().ColorRole.Base).name() == (
        DARK.surface
    )
    follow_system(restore_theme, "light")
    assert restore_theme.property("loglineTheme") == "light"
