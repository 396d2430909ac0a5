"""The document model: what every reader produces and every later layer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DocumentFormat = Literal["fountain", "pdf", "text"]


@dataclass(frozen=True)
class Document:
    """A loaded document, reduced to the plain text a model should read.

    ``pages`` are the source's pages (PDF pages, Fountain ``===`` breaks, form-feed separated
    text pages); ``text`` is their non-empty members joined by a blank line. ``metadata`` holds
    title-page fields with lower-case keys (``"title"``, ``"author"``, ``"draft date"``...), empty
    when the source has none. A Fountain title page lives only in ``metadata``, not in ``text``.
    """

    path: Path
    format: DocumentFormat
    title: str
    text: str
    pages: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def word_count(self) -> int:
        return len(self.text.split())
