"""The document model: what every reader produces and every later layer consumes.

One model for every format. A screenplay (Fountain, Final Draft, a screenplay PDF or text export)
carries typed ``elements`` in reading order, the ``scenes`` they form and the ``characters`` who
speak; a generic document (a report PDF, a text file) carries ``PARAGRAPH`` elements and no
scenes. Both carry ``pages`` with the page numbers a reader sees and ``text``, the plain text a
model reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .elements import Element, Scene
from .render import render_elements

DocumentFormat = Literal["fountain", "fdx", "pdf", "text"]
DocumentKind = Literal["screenplay", "generic"]
# Where page numbers come from: the source's printed numbers (PDF), explicit page breaks in the
# source, or Logline's estimate of a standard screenplay page (Fountain, FDX, text exports).
PageSource = Literal["printed", "breaks", "estimated"]


@dataclass(frozen=True)
class Page:
    """One page: ``number`` counts physical pages from 1; ``label`` is what the page shows.

    ``label`` is the printed page number for PDFs that print one ("87", "45A"), else
    ``str(number)``.
    """

    number: int
    label: str
    text: str


@dataclass(frozen=True)
class Character:
    """A speaking character: ``speeches`` counts dialogue blocks (cues), ``scenes`` the numbers
    of the scenes (:attr:`Scene.number`) in which the character speaks, in order."""

    name: str
    speeches: int
    words: int
    scenes: tuple[int, ...]


@dataclass(frozen=True)
class Document:
    """A loaded document.

    ``title_page`` holds title-page fields with lower-case keys (``"title"``, ``"credit"``,
    ``"author"``, ``"draft date"``, ``"contact"``...), empty when the source has none; it is not
    part of ``text`` or ``elements``. ``Element.page`` is a physical page number (see
    :meth:`page_label`).
    """

    path: Path
    format: DocumentFormat
    title: str
    text: str
    kind: DocumentKind = "generic"
    pages: list[Page] = field(default_factory=list)
    title_page: dict[str, str] = field(default_factory=dict)
    elements: list[Element] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)
    page_source: PageSource = "breaks"
    # One sentence each about how the file was read, for the reader (e.g. hidden PDF text left
    # out: documents.pdf.HiddenText.notice); never document text.
    notices: tuple[str, ...] = ()

    @property
    def is_screenplay(self) -> bool:
        return self.kind == "screenplay"

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def page_label(self, number: int | None) -> str | None:
        """The label a reader sees on physical page ``number`` (``None`` when unknown)."""
        if number is None or not 1 <= number <= len(self.pages):
            return None
        return self.pages[number - 1].label

    def scene_text(self, scene: Scene) -> str:
        """The plain text of one scene, rendered as the model reads it."""
        return render_elements(self.elements[scene.first_element : scene.last_element + 1])
