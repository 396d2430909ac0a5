"""Fountain (https://fountain.io) to typed screenplay elements: a line-oriented state machine.

Pre-processing removes boneyard ``/* */`` and notes ``[[ ]]`` with plain ``str.find`` scans (no
backtracking regexes), so time stays linear in the input. A note that fills its own paragraph
becomes a ``note`` element; other notes are removed from the text around them. Action is one
element per paragraph (blank-line separated) and keeps its indentation; dialogue runs until a
blank line (a line of two or more spaces continues it) and is split around parentheticals.
Emphasis markup (``*``, ``**``, ``***``, ``_``) is removed from element text.
"""

from __future__ import annotations

import re

from .elements import Element, ElementType, split_character_cue
from .fountain import clean_inline, split_title_page

_HEADING = re.compile(r"(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E)[. ]", re.IGNORECASE)
_SCENE_LABEL = re.compile(r"[\w.\-]+")
_NOTE_MARK = "\x00note:"  # a line standing for a note that filled whole lines


def _strip_spans(text: str, opening: str, closing: str, notes: list[str] | None) -> str:
    """Remove ``opening..closing`` spans; a span filling whole lines takes its newline with it.

    A whole-line boneyard over several lines leaves one blank line instead (screenplain ends the
    paragraph there, Jouvence joins the lines around it; this follows screenplain).
    With ``notes`` (notes mode) a span may not cross a blank line, and a whole-line span is
    replaced by a marker line so the parser can turn a stand-alone note into an element.
    """
    out: list[str] = []
    pos = 0
    while True:
        start = text.find(opening, pos)
        if start < 0:
            break
        end = text.find(closing, start + len(opening))
        if end < 0:
            break
        body = text[start + len(opening) : end]
        if notes is not None and "\n\n" in body:
            out.append(text[pos : start + len(opening)])
            pos = start + len(opening)
            continue
        line_start = text.rfind("\n", 0, start) + 1
        after = end + len(closing)
        line_end = text.find("\n", after)
        line_end = len(text) if line_end < 0 else line_end
        whole = not text[line_start:start].strip() and not text[after:line_end].strip()
        out.append(text[pos : line_start if whole else start])
        if whole and notes is not None:
            notes.append(body)
            out.append(f"{_NOTE_MARK}{len(notes) - 1}")
            pos = line_end
        elif whole and "\n" in body:
            pos = line_end  # a multi-line boneyard leaves a blank line: a paragraph break
        else:
            pos = min(line_end + 1, len(text)) if whole else after
    out.append(text[pos:])
    return "".join(out)


def _is_blank(line: str | None) -> bool:
    return line is None or not line.strip()


def _character_line(line: str, next_line: str | None) -> bool:
    """An upper-case cue (extensions may be lower case) followed by a non-blank line.

    A line ending in ``:`` is no cue (``CUT TO:``, ``FADE IN:`` before text).
    """
    stripped = line.strip()
    if _is_blank(next_line) or stripped.endswith(":"):
        return False
    if stripped.endswith("^"):
        stripped = stripped[:-1].rstrip()
    paren = stripped.find("(")
    name = stripped if paren < 0 else stripped[:paren]
    if paren >= 0 and not stripped.endswith(")"):
        return False
    return any(ch.isalpha() for ch in name) and name == name.upper()


def _transition_line(line: str) -> bool:
    """Upper case, ending exactly in ``TO:`` (trailing spaces disqualify, as in Jouvence)."""
    stripped = line.lstrip()
    return stripped.endswith("TO:") and stripped == stripped.upper()


def _heading(text: str) -> tuple[str, str | None]:
    """Split a trailing scene number ``#1A#`` off a heading."""
    text = text.strip()
    if len(text) > 2 and text.endswith("#"):
        at = text.rfind("#", 0, len(text) - 1)
        label = text[at + 1 : -1].strip()
        if at >= 0 and _SCENE_LABEL.fullmatch(label):
            return text[:at].strip(), label
    return text, None


class _Builder:
    """Collects elements, merging consecutive lines of one action, dialogue or lyrics block."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.page = 1
        self.open: Element | None = None  # the block that the next line of its kind extends

    def add(self, kind: ElementType, text: str, **fields: object) -> Element:
        element = Element(kind, text, page=self.page, **fields)  # type: ignore[arg-type]
        self.elements.append(element)
        self.open = None
        return element

    def extend(self, kind: ElementType, line: str, dual: bool = False) -> None:
        if self.open is not None and self.open.type is kind:
            self.open.text += "\n" + line
        else:
            self.open = self.add(kind, line, dual=dual)

    def mark_previous_dual(self) -> None:
        """Mark the dialogue block before the last cue as the left side of dual dialogue."""
        cues = [i for i, e in enumerate(self.elements) if e.type is ElementType.CHARACTER][-2:]
        if len(cues) == 2:
            for element in self.elements[cues[0] : cues[1]]:
                if element.type in _DIALOGUE_BLOCK:
                    element.dual = True

    def finish(self) -> list[Element]:
        kept: list[Element] = []
        for element in self.elements:
            if element.type in _TEXT_CLEANED:
                element.text = clean_inline(element.text.rstrip())
            if element.type is ElementType.DIALOGUE:
                element.text = element.text.strip("\n")
            if element.text or element.type is ElementType.PAGE_BREAK:
                kept.append(element)
        return kept


_DIALOGUE_BLOCK = frozenset(
    {ElementType.CHARACTER, ElementType.PARENTHETICAL, ElementType.DIALOGUE}
)
_TEXT_CLEANED = frozenset(set(ElementType) - {ElementType.PAGE_BREAK, ElementType.NOTE})


def parse_fountain_elements(text: str) -> tuple[dict[str, str], list[Element]]:
    """Parse Fountain source into ``(title_page, elements)``.

    ``title_page`` has lower-case keys (multi-line values joined by newlines). Element pages
    count explicit ``===`` page breaks from 1; Fountain has no other pagination.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n===\n")
    text = text.replace("\t", "    ")
    text = _strip_spans(text, "/*", "*/", None)
    notes: list[str] = []
    text = _strip_spans(text, "[[", "]]", notes)
    metadata, lines = split_title_page(text.split("\n"))

    out = _Builder()
    in_dialogue = dual = False
    prev_blank = True
    count = len(lines)
    for i, line in enumerate(lines):
        next_line = lines[i + 1] if i + 1 < count else None
        stripped = line.strip()
        if stripped.startswith(_NOTE_MARK):
            if prev_blank and _is_blank(next_line) and not in_dialogue:
                body = notes[int(stripped[len(_NOTE_MARK) :])]
                out.add(ElementType.NOTE, " ".join(body.split()))
            continue
        if not stripped:
            if in_dialogue and len(line) >= 2 and out.open is not None:
                out.open.text += "\n"  # two spaces: a blank line inside the dialogue
                continue
            out.open = None
            in_dialogue = False
            prev_blank = True
            continue
        was_blank, prev_blank = prev_blank, False

        if len(stripped) >= 3 and stripped == "=" * len(stripped):
            out.add(ElementType.PAGE_BREAK, "")
            out.page += 1
            in_dialogue = False
            continue
        if in_dialogue:
            if stripped.startswith("(") and stripped.endswith(")"):
                out.add(ElementType.PARENTHETICAL, stripped, dual=dual)
            else:
                out.extend(ElementType.DIALOGUE, stripped, dual=dual)
            continue

        first = stripped[0]
        if first == "!":
            out.extend(ElementType.ACTION, line.rstrip().replace("!", "", 1))
        elif first == "@" or (was_blank and _character_line(line, next_line)):
            if _is_blank(next_line) and first != "@":
                out.extend(ElementType.ACTION, line.rstrip())
                continue
            name, extension = split_character_cue(stripped)
            dual = stripped.endswith("^")
            out.add(ElementType.CHARACTER, name, extension=extension, dual=dual)
            if dual:
                out.mark_previous_dual()
            in_dialogue = not _is_blank(next_line)
        elif first == "." and stripped[1:2] not in (".", "") and was_blank:
            heading, label = _heading(stripped[1:])
            out.add(ElementType.SCENE_HEADING, heading, scene_number=label)
        elif was_blank and _is_blank(next_line) and _HEADING.match(stripped + " "):
            heading, label = _heading(stripped)
            out.add(ElementType.SCENE_HEADING, heading, scene_number=label)
        elif first == ">" and stripped.endswith("<") and len(stripped) > 1:
            out.add(ElementType.CENTERED, stripped[1:-1].strip())
        elif first == ">":
            out.add(ElementType.TRANSITION, stripped[1:].strip())
        elif was_blank and _is_blank(next_line) and _transition_line(line):
            out.add(ElementType.TRANSITION, stripped)
        elif first == "~":
            out.extend(ElementType.LYRICS, stripped[1:].strip())
        elif first == "#":
            depth = len(stripped) - len(stripped.lstrip("#"))
            out.add(ElementType.SECTION, stripped[depth:].strip(), depth=depth)
        elif first == "=":
            out.add(ElementType.SYNOPSIS, stripped[1:].strip())
        else:
            out.extend(ElementType.ACTION, line.rstrip())
    return metadata, out.finish()
