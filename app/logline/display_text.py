"""Text from documents and file names, made safe to show: no terminal escapes, no spoofed order.

A script's title, character names, locations and its file name are chosen by whoever wrote the
file. Shown raw, control characters can drive a terminal (``ESC ] 0 ;`` sets its title, ``ESC ]
52 ;`` writes the clipboard, ``ESC [ 8 m`` hides text) and the bidi overrides (U+202A–U+202E,
U+2066–U+2069) can make ``evil\\u202etxt.pdf`` read as another name. Two views of one rule:

- :func:`escape_controls` (terminals): every C0 control but the kept ones (newline and tab by
  default), DEL, every C1 control and every bidi override/isolate becomes a visible ``\\uXXXX``
  escape. In JSON output such an escape means the same character, so JSON stays faithful.
- :func:`show_bidi` (the window): the same characters become a visible ``⟨U+202E⟩`` marker.

Qt-free and import-light: the CLI, the core and the window all use it.
"""

from __future__ import annotations

__all__ = ["BIDI_CONTROLS", "escape_controls", "is_unsafe", "one_line", "show_bidi"]

BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_CONTROLS = frozenset([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
_UNSAFE = _CONTROLS | BIDI_CONTROLS


def _table(keep: str, marker: str) -> dict[int, str]:
    kept = {ord(c) for c in keep}
    return {code: marker.format(code) for code in _UNSAFE if code not in kept}


_TERMINAL = _table("\n\t", "\\u{:04x}")
_ONE_LINE = _table("", "\\u{:04x}")
_WINDOW = _table("\n\t", "⟨U+{:04X}⟩")


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control and bidi character shown as ``\\uXXXX`` (newline and tab
    kept unless ``keep_newlines`` is false)."""
    return text.translate(_TERMINAL if keep_newlines else _ONE_LINE)


def one_line(text: str) -> str:
    """``text`` escaped for a single line: newlines and tabs are escaped too."""
    return text.translate(_ONE_LINE)


def show_bidi(text: str) -> str:
    """``text`` for a window: bidi overrides and control characters become ``⟨U+202E⟩``."""
    return text.translate(_WINDOW)


def is_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character the functions above would change (newline aside)."""
    return any(ord(c) in _UNSAFE and c not in "\n\t" for c in text)
