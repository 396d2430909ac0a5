"""Build :class:`ScriptFacts` from a :class:`Document` (pure counting, no model)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..elements import ElementType, Scene
from ..model import Character, Document
from .model import (
    CharacterFacts,
    DayNightSplit,
    IntExtSplit,
    LocationFacts,
    ScriptFacts,
    SectionFacts,
)
from .names import aliases, cue_name
from .settings import DayNight, day_or_night, scene_setting

_WRITER_KEYS = ("author", "authors", "writer", "writers", "written by")
_WRITER_SPLIT = re.compile(r"\s*(?:\n|&|;|,|\band\b)\s*", re.IGNORECASE)
_NAME_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv)\.?$", re.IGNORECASE)
_CREDIT_BY = re.compile(r"\bby\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_NUMBER = r"(?:ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN|\d+|[IVX]+)"
_ACT = re.compile(
    rf"^(?:(?:ACT|PART|CHAPTER|BOOK)\s+{_NUMBER}\b.*|PROLOGUE|EPILOGUE|TEASER|COLD OPEN|TAG)$"
)
_ACT_MARKERS = frozenset({ElementType.CENTERED, ElementType.TRANSITION, ElementType.ACTION})
_PROSE = frozenset({ElementType.ACTION, ElementType.DIALOGUE, ElementType.PARENTHETICAL})


def writers(title_page: dict[str, str]) -> tuple[str, ...]:
    """Writer names from the title page: author fields split at ``&``, ``and``, commas, lines.

    Without an author field, a credit that names someone (``"Written by Jo Writer"``) is used;
    a bare credit (``"written by"``) names no one.
    """
    text = next((title_page[key] for key in _WRITER_KEYS if title_page.get(key, "").strip()), "")
    if not text:
        match = _CREDIT_BY.search(title_page.get("credit", ""))
        text = match.group(1) if match else ""
    names: list[str] = []
    for part in _WRITER_SPLIT.split(text):
        part = " ".join(part.split()).strip(" .")
        if not part:
            continue
        if _NAME_SUFFIX.match(part) and names:
            names[-1] = f"{names[-1]}, {part}."
        elif part not in names:
            names.append(part)
    return tuple(names)


def _field(title_page: dict[str, str], *keys: str) -> str:
    for key in keys:
        value = title_page.get(key, "")
        if value.strip():
            return " / ".join(line.strip() for line in value.splitlines() if line.strip())
    return ""


def _script_pages(document: Document) -> int:
    """Pages from the first page holding script text (a PDF's title pages left out)."""
    if not document.is_screenplay:
        return len(document.pages)
    first = min((element.page for element in document.elements if element.page), default=1)
    return max(0, len(document.pages) - (first - 1))


def _settings(scenes: Sequence[Scene]) -> tuple[IntExtSplit, DayNightSplit, list[LocationFacts]]:
    int_ext = {"INT.": 0, "EXT.": 0, "INT./EXT.": 0, "": 0}
    day_night: dict[DayNight, int] = {"day": 0, "night": 0, "other": 0}
    places: dict[str, list[int]] = {}
    previous: DayNight = "other"
    for scene in scenes:
        int_ext[scene.int_ext if scene.int_ext in int_ext else ""] += 1
        location, time = scene_setting(scene)
        previous = day_or_night(time, previous)
        day_night[previous] += 1
        if location:
            places.setdefault(location, []).append(scene.number)
    ranked = sorted(places.items(), key=lambda item: (-len(item[1]), item[1][0]))
    return (
        IntExtSplit(int_ext["INT."], int_ext["EXT."], int_ext["INT./EXT."], int_ext[""]),
        DayNightSplit(day_night["day"], day_night["night"], day_night["other"]),
        [LocationFacts(name, tuple(numbers)) for name, numbers in ranked],
    )


def _first_cues(document: Document) -> dict[str, tuple[int, str | None]]:
    """Each cue name's first cue: its element index and page label."""
    first: dict[str, tuple[int, str | None]] = {}
    for index, element in enumerate(document.elements):
        if element.type is ElementType.CHARACTER:
            first.setdefault(cue_name(element.text), (index, document.page_label(element.page)))
    return first


def _characters(document: Document) -> list[CharacterFacts]:
    merged: dict[str, list[Character]] = {}
    for character in document.characters:
        merged.setdefault(cue_name(character.name), []).append(character)
    prose = "\n".join(e.text for e in document.elements if e.type in _PROSE)
    alias_of = aliases(merged, prose)
    groups: dict[str, list[str]] = {}
    for name in merged:
        groups.setdefault(alias_of.get(name, name), []).append(name)
    first_cues = _first_cues(document)

    def totals(names: list[str]) -> tuple[int, int, tuple[int, ...]]:
        parts = [part for name in names for part in merged[name]]
        scenes = sorted({number for part in parts for number in part.scenes})
        return sum(p.speeches for p in parts), sum(p.words for p in parts), tuple(scenes)

    facts = []
    for name, members in groups.items():
        speeches, words, scenes = totals(members)
        others = sorted(
            (member for member in members if member != name),
            key=lambda member: (-totals([member])[0], member),
        )
        cues = [first_cues[member] for member in members if member in first_cues]
        first_page = min(cues)[1] if cues else None
        facts.append(CharacterFacts(name, tuple(others), speeches, words, scenes, first_page))
    return sorted(facts, key=lambda c: (-c.speeches, -c.words, c.name))


def _sections(document: Document) -> list[SectionFacts]:
    """Depth-1 sections and act markers (``ACT ONE``, ``PROLOGUE``...) in capitals.

    A marker repeating the previous one with no scene between them (a section and a centred
    line saying the same) counts once.
    """
    starts = [scene.first_element for scene in document.scenes]
    sections: list[SectionFacts] = []
    previous = -1
    for index, element in enumerate(document.elements):
        text = " ".join(element.text.split()).strip(" .:")
        is_section = element.type is ElementType.SECTION and element.depth == 1
        if not text or not (is_section or (element.type in _ACT_MARKERS and _ACT.match(text))):
            continue
        first = next((n for n, start in enumerate(starts, 1) if start >= index), None)
        repeated = bool(sections) and sections[-1].title.upper() == text.upper()
        if repeated and not any(previous < start < index for start in starts):
            continue
        sections.append(SectionFacts(text, first, document.page_label(element.page)))
        previous = index
    return sections


def script_facts(document: Document) -> ScriptFacts:
    """Everything the parser knows about ``document`` (see :class:`ScriptFacts`)."""
    int_ext, day_night = IntExtSplit(), DayNightSplit()
    locations: list[LocationFacts] = []
    characters: list[CharacterFacts] = []
    sections: list[SectionFacts] = []
    if document.is_screenplay:
        int_ext, day_night, locations = _settings(document.scenes)
        characters = _characters(document)
        sections = _sections(document)
    title_page = document.title_page
    return ScriptFacts(
        kind=document.kind,
        format=document.format,
        title=document.title,
        writers=writers(title_page),
        source=_field(title_page, "source"),
        draft_date=_field(title_page, "draft date", "date"),
        pages=_script_pages(document),
        page_source=document.page_source,
        words=document.word_count,
        scene_count=len(document.scenes),
        int_ext=int_ext,
        day_night=day_night,
        locations=tuple(locations),
        characters=tuple(characters),
        sections=tuple(sections),
    )
