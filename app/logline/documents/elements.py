"""Qt-free screenplay structure: typed elements in reading order and the scenes they form.

Every format parser (Fountain, FDX, PDF layout) is meant to produce the same ``Element`` list, so
the downstream chunking, citation ("Sc. 42, p. 87") and character queries are format-agnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class ElementType(str, Enum):
    """The kind of one screenplay element (Fountain's vocabulary; boneyard is never kept)."""

    SCENE_HEADING = "scene_heading"
    ACTION = "action"
    CHARACTER = "character"
    PARENTHETICAL = "parenthetical"
    DIALOGUE = "dialogue"
    TRANSITION = "transition"
    CENTERED = "centered"
    LYRICS = "lyrics"
    SECTION = "section"
    SYNOPSIS = "synopsis"
    NOTE = "note"
    PAGE_BREAK = "page_break"
    PARAGRAPH = "paragraph"  # a paragraph of a generic (non-screenplay) document


@dataclass
class Element:
    """One element. ``text`` is plain (markup removed); for a character cue it is the bare name.

    ``extension`` holds a cue's parenthesised extensions joined by ``", "`` (``"O.S., CONT'D"``);
    ``dual`` marks both sides of dual dialogue (cue, parentheticals and dialogue); ``depth`` is a
    section's ``#`` count; ``page`` is the 1-based page when the source says (explicit breaks).
    """

    type: ElementType
    text: str
    scene_number: str | None = None
    extension: str | None = None
    dual: bool = False
    depth: int = 0
    page: int | None = None


@dataclass
class Scene:
    """A scene: its heading split into parts and the span of element indices it covers."""

    number: int
    heading: str
    int_ext: str
    location: str
    time_of_day: str
    first_element: int
    last_element: int
    page_start: int | None
    page_end: int | None
    scene_number_label: str | None


_INT_EXT = (
    # (prefix, normalised); longest first so "INT./EXT." wins over "INT."
    ("INT./EXT.", "INT./EXT."),
    ("INT/EXT.", "INT./EXT."),
    ("INT./EXT", "INT./EXT."),
    ("INT/EXT", "INT./EXT."),
    ("EXT./INT.", "INT./EXT."),
    ("EXT/INT.", "INT./EXT."),
    ("EXT./INT", "INT./EXT."),
    ("EXT/INT", "INT./EXT."),
    ("I./E.", "INT./EXT."),
    ("I./E", "INT./EXT."),
    ("I/E.", "INT./EXT."),
    ("I/E", "INT./EXT."),
    ("INT.", "INT."),
    ("EXT.", "EXT."),
    ("EST.", "EXT."),
    ("INT", "INT."),
    ("EXT", "EXT."),
    ("EST", "EXT."),
)
_DASHES = (" - ", " – ", " — ", " -- ")
_EXTENSION = re.compile(r"\(([^()]*)\)")


def split_heading(text: str) -> tuple[str, str, str]:
    """Split a scene heading into ``(int_ext, location, time_of_day)``.

    ``int_ext`` is ``"INT."``, ``"EXT."``, ``"INT./EXT."`` or ``""`` (forced headings such as
    ``.SNIPER SCOPE POV``); the time of day is the part after the last spaced dash, if any.
    """
    heading = " ".join(text.split())
    upper = heading.upper()
    int_ext = ""
    rest = heading
    for prefix, normalised in _INT_EXT:
        if upper.startswith(prefix) and (len(upper) == len(prefix) or upper[len(prefix)] in " ."):
            int_ext = normalised
            rest = heading[len(prefix) :].lstrip(" .")
            break
    cut, width = -1, 0
    for dash in _DASHES:
        at = rest.rfind(dash)
        if at > cut:
            cut, width = at, len(dash)
    if cut < 0:
        return int_ext, rest.strip(), ""
    return int_ext, rest[:cut].strip(), rest[cut + width :].strip()


def split_character_cue(text: str) -> tuple[str, str | None]:
    """Split a character cue into ``(name, extension)``.

    ``"EDWARD (V.O.)"`` and ``"EDWARD(V.O.)"`` give ``("EDWARD", "V.O.")``; several extensions
    are joined, ``"MOM (O.S.) (CONT'D)"`` giving ``("MOM", "O.S., CONT'D")``. A leading ``@``
    (forced cue) and a trailing ``^`` (dual dialogue) are dropped.
    """
    cue = text.strip()
    if cue.startswith("@"):
        cue = cue[1:]
    cue = cue.rstrip()
    if cue.endswith("^"):
        cue = cue[:-1].rstrip()
    paren = cue.find("(")
    if paren < 0:
        return cue.strip(), None
    name = cue[:paren].strip()
    groups = [" ".join(group.split()) for group in _EXTENSION.findall(cue[paren:])]
    groups = [group for group in groups if group]
    return name, ", ".join(groups) or None


def build_scenes(elements: list[Element]) -> list[Scene]:
    """Group elements into scenes: each scene heading starts one that runs to the next heading.

    Elements before the first heading belong to no scene.
    """
    starts = [i for i, element in enumerate(elements) if element.type is ElementType.SCENE_HEADING]
    scenes: list[Scene] = []
    for number, start in enumerate(starts, 1):
        end = starts[number] - 1 if number < len(starts) else len(elements) - 1
        # A page break closing a scene carries the next page's number: it adds no text there.
        pages = [
            e.page
            for e in elements[start : end + 1]
            if e.page is not None and e.type is not ElementType.PAGE_BREAK
        ]
        heading = elements[start].text
        int_ext, location, time_of_day = split_heading(heading)
        scenes.append(
            Scene(
                number=number,
                heading=heading,
                int_ext=int_ext,
                location=location,
                time_of_day=time_of_day,
                first_element=start,
                last_element=end,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                scene_number_label=elements[start].scene_number,
            )
        )
    return scenes
