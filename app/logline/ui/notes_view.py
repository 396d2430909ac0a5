"""The notes a long summary takes on each chunk (map phase) and each merged group, shown live.

A batched map phase writes several chunks' notes at once, so text arrives interleaved: the view
keeps one section per item and re-renders at most every ``FLUSH_INTERVAL_MS``. Scene citations
in the notes (``(Sc. 12, p. 34)``) are links that emit ``sceneRequested(12)``, as in the chat.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QTextBrowser, QWidget

from logline.ui.chat_view import linkify_citations
from logline.ui.placeholder import WrappedPlaceholder

FLUSH_INTERVAL_MS = 100  # each flush re-renders every section
MAX_FLUSH_INTERVAL_MS = 1000
IDLE_HINT = "Long documents are summarized from notes on each part; they appear here."

_STATE = {
    "waiting": ("waiting", "#6e747e"),
    "writing": ("writing…", "#2f6fde"),
    "done": ("✓", "#2e7d32"),
    "length": ("cut short", "#8a6d00"),  # no ✓: a note that ended early is not done
    "repetition": ("repeated tail trimmed", "#8a6d00"),
    "stopped": ("stopped", "#8a6d00"),
    "error": ("failed", "#b42318"),
}
WRITTEN = frozenset({"done", "length", "repetition"})  # states of a note that exists whole
# The same states on a dark background (each at least 4.5:1 on the dark theme's surface).
_DARK_COLOURS = {
    "#6e747e": "#a9afb8",
    "#2f6fde": "#8fb4f5",
    "#2e7d32": "#7bd88f",
    "#8a6d00": "#f3d98b",
    "#b42318": "#ff9c8f",
}


@dataclass
class NoteSection:
    phase: str  # map or merge
    level: int  # merge level; 0 for the map phase
    index: int
    title: str
    text: str = ""
    state: str = "waiting"


class NotesView(WrappedPlaceholder, QTextBrowser):
    """One section per chunk (or merged group): its title, its state and its notes so far."""

    sceneRequested = Signal(int)  # a citation's scene link was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notesView")
        self.setAccessibleName("Notes")
        self.setAccessibleDescription("Notes on each part of a long document")
        self.setOpenLinks(False)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setPlaceholderText(IDLE_HINT)
        self.document().setDocumentMargin(10)
        self._sections: dict[tuple[str, int, int], NoteSection] = {}
        self._level = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.render)
        self.anchorClicked.connect(self._on_anchor)

    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        self.open_link(url.toString())

    def open_link(self, href: str) -> None:
        """Act on a link in the notes: ``scene:N`` asks for scene N."""
        kind, _, value = href.partition(":")
        if kind == "scene" and value.isdigit():
            self.sceneRequested.emit(int(value))

    # -- state ---------------------------------------------------------------------------------
    @property
    def level(self) -> int:
        """The merge level being written (0 during the map phase)."""
        return self._level

    @property
    def sections(self) -> list[NoteSection]:
        return list(self._sections.values())

    def counts(self, phase: str = "map") -> tuple[int, int]:
        """(written, total) sections of ``phase`` (the latest merge level for ``merge``): a note
        stopped, failed or never begun is not counted as written."""
        items = [
            s
            for s in self._sections.values()
            if s.phase == phase and (phase == "map" or s.level == self._level)
        ]
        return sum(s.state in WRITTEN for s in items), len(items)

    def clear_notes(self) -> None:
        self._timer.stop()
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._sections.clear()
        self._level = 0
        self.clear()

    def begin_phase(
        self, phase: str, items: int, level: int = 0, titles: Sequence[str] = ()
    ) -> None:
        """Add a section for each of ``items`` (titled from ``titles`` where given)."""
        if phase not in ("map", "merge"):
            return
        self._level = level
        for index in range(items):
            if phase == "map":
                title = f"Chunk {index + 1}"
                if index < len(titles) and titles[index]:
                    title += f" · {titles[index]}"
            else:
                title = f"Merged notes, level {level} · group {index + 1} of {items}"
            self._sections[(phase, level, index)] = NoteSection(phase, level, index, title)
        self._schedule()

    def set_titles(self, titles: Sequence[str]) -> None:
        """Name the map sections after the chunks' scene/page spans (e.g. ``Sc. 3–7, pp. 4–9``)."""
        for (phase, _level, index), section in self._sections.items():
            if phase == "map" and index < len(titles) and titles[index]:
                section.title = f"Chunk {index + 1} · {titles[index]}"
        self._schedule()

    def append(self, phase: str, index: int, text: str, retract: int = 0) -> None:
        """More notes of a section, after dropping its last ``retract`` characters (a repeated
        tail the loop guard withdrew)."""
        section = self._section(phase, index)
        if retract:
            section.text = section.text[: max(len(section.text) - retract, 0)]
        section.text += text
        section.state = "writing"
        self._schedule()

    def mark_done(self, phase: str, index: int, reason: str) -> None:
        self._section(phase, index).state = reason if reason in _STATE else "done"
        self._schedule()

    def stop_writing(self, reason: str = "stopped") -> None:
        """The summary ended: sections still being written are marked ``reason``."""
        for section in self._sections.values():
            if section.state == "writing":
                section.state = reason
        self.render()

    def _section(self, phase: str, index: int) -> NoteSection:
        level = 0 if phase == "map" else self._level
        key = (phase, level, index)
        if key not in self._sections:  # an event for an item nobody announced: show it anyway
            self._sections[key] = NoteSection(phase, level, index, f"Chunk {index + 1}")
        return self._sections[key]

    # -- rendering -----------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def render(self) -> None:
        """Re-render every section now, keeping the scroll position (or the end, if there)."""
        self._timer.stop()
        started = time.perf_counter()
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4 and bar.maximum() > 0
        value = bar.value()
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.setHtml("".join(_section_html(s, dark) for s in self._sections.values()))
        bar.setValue(bar.maximum() if at_end else value)
        # Many long notes render slowly: then render less often (at most ~20 % busy).
        spent_ms = (time.perf_counter() - started) * 1000
        interval = min(MAX_FLUSH_INTERVAL_MS, max(FLUSH_INTERVAL_MS, int(spent_ms * 5)))
        self._timer.setInterval(interval)


_MARKDOWN_LINK = re.compile(r"\[([^\[\]]+)\]\((scene:\d+)\)")


def citation_links(escaped: str) -> str:
    """HTML-escaped text with each scene reference of a citation made a ``scene:N`` link."""
    linked = linkify_citations(escaped)
    return _MARKDOWN_LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', linked)


# "Sc. 1–2, pp. 1–3" in a title: a narrow pane wraps it between references, never inside one.
_CITED = re.compile(r"\b(Sc|pp|p)\. (?=\d)")


def _unbreakable(match: re.Match[str]) -> str:
    return f"{match.group(1)}.\u00a0"


def _section_html(section: NoteSection, dark: bool = False) -> str:
    """One section; its text in the palette's colour, its state in one readable on it."""
    label, colour = _STATE.get(section.state, _STATE["done"])
    if dark:
        colour = _DARK_COLOURS.get(colour, colour)
    muted = _DARK_COLOURS["#6e747e"] if dark else "#6e747e"
    body = (
        citation_links(html.escape(section.text.strip())) or f"<span style='color:{muted}'>…</span>"
    )
    return (
        "<p style='margin-top:10px; margin-bottom:2px'>"
        f"<b>{html.escape(_CITED.sub(_unbreakable, section.title))}</b>"
        f"&nbsp;&nbsp;<span style='color:{colour}'>{html.escape(label)}</span></p>"
        "<p style='white-space:pre-wrap; margin-top:0; margin-bottom:8px'>"
        f"{body}</p>"
    )
