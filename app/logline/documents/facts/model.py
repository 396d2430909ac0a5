"""The facts Logline knows about a script from its parser, as frozen plain data.

Everything here is counted from the :class:`~logline.documents.Document`, never guessed by a
model: a report can print it verbatim and a prompt can hand it to the model as ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import DocumentFormat, DocumentKind, PageSource


@dataclass(frozen=True)
class CharacterFacts:
    """One speaking character, with every cue name folded into it.

    ``name`` is the canonical cue (upper case, extensions such as ``V.O.`` or ``CONT'D`` removed);
    ``aliases`` are the other cue names the script gives the same person (``"YOUNG EDWARD"`` for
    ``"EDWARD"``, see :mod:`.names` for the rule), most speeches first. ``speeches``, ``words`` and
    ``scenes`` count the character's cues under every alias; ``scenes`` are
    :attr:`Scene.number` ordinals in order; ``first_page`` is the page label (what the page shows)
    of the first cue.
    """

    name: str
    aliases: tuple[str, ...]
    speeches: int
    words: int
    scenes: tuple[int, ...]
    first_page: str | None

    @property
    def scene_count(self) -> int:
        return len(self.scenes)

    @property
    def first_scene(self) -> int | None:
        return self.scenes[0] if self.scenes else None

    @property
    def last_scene(self) -> int | None:
        return self.scenes[-1] if self.scenes else None

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name and every alias: the names the script uses for this person."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class LocationFacts:
    """A location (normalised, see :func:`.settings.scene_setting`) and the scenes set there."""

    name: str
    scenes: tuple[int, ...]

    @property
    def scene_count(self) -> int:
        return len(self.scenes)


@dataclass(frozen=True)
class SectionFacts:
    """An act or top-level section the script marks (``# ACT ONE``, a centred ``ACT TWO``).

    ``first_scene`` is the first scene that starts at or after the marker (``None`` when none
    does); ``page`` is the marker's page label.
    """

    title: str
    first_scene: int | None
    page: str | None


@dataclass(frozen=True)
class IntExtSplit:
    """Scenes by their heading's prefix: ``INT.``, ``EXT.``, ``INT./EXT.``, anything else."""

    interior: int = 0
    exterior: int = 0
    both: int = 0
    other: int = 0


@dataclass(frozen=True)
class DayNightSplit:
    """Scenes by time of day, normalised by :func:`.settings.day_or_night`."""

    day: int = 0
    night: int = 0
    other: int = 0


@dataclass(frozen=True)
class ScriptFacts:
    """What the parser knows about a document.

    ``pages`` counts the script's pages: a PDF's leading title pages (pages before the first
    element) are left out, so it is the number a reader sees on the last page when the PDF
    prints numbers. Generic documents (a report, a text file) have ``kind == "generic"``, their
    title, pages and words, and empty screenplay fields.
    """

    kind: DocumentKind
    format: DocumentFormat
    title: str
    writers: tuple[str, ...]
    source: str
    draft_date: str
    pages: int
    page_source: PageSource
    words: int
    scene_count: int
    int_ext: IntExtSplit
    day_night: DayNightSplit
    locations: tuple[LocationFacts, ...]
    characters: tuple[CharacterFacts, ...]
    sections: tuple[SectionFacts, ...]

    @property
    def is_screenplay(self) -> bool:
        return self.kind == "screenplay"
