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
from bisect import bisect_left

from .elements import Element, ElementType, split_character_cue

# A block of "Key: value" lines at the top is a title page when one of its keys is one of these.
TITLE_PAGE_KEYS = frozenset(
    {"title", "credit", "author", "authors", "source", "draft date", "date", "contact",
     "copyright", "notes", "revision", "format"}
)  # fmt: skip

# fountain.io's prefixes (INT, EXT, EST, INT./EXT, INT/EXT, I/E) plus EXT/INT and I./E, which
# the reference parser and afterwriting/fountain-js also accept.
_HEADING = re.compile(r"(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I\.?/E)[. ]", re.IGNORECASE)
_FORCING = frozenset(">~#=.")  # first characters that force a non-cue element
_SCENE_LABEL = re.compile(r"[\w.\-]+")
_NOTE_MARK = "\x00note:"  # a line standing for a note that filled whole lines
_TITLE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9 _-]{0,30}):[ \t]*(.*)")  # a title-page line


def _strip_spans(text: str, opening: str, closing: str, notes: list[str] | None) -> str:
    """Remove ``opening..closing`` spans; a span filling whole lines takes its newline with it.

    A whole-line boneyard over several lines leaves one blank line instead (screenplain ends the
    paragraph there, Jouvence joins the lines around it; this follows screenplain).
    With ``notes`` (notes mode) a span may not cross a blank line, and a whole-line span is
    replaced by a marker line so the parser can turn a stand-alone note into an element.
    """
    out: list[str] = []
    pos = 0
    size = len(text)
    # Caches: every search below only moves forward, so the whole pass stays linear even with
    # thousands of spans (or unclosed openers) on one long line.
    end = brk = -2  # the next closing / blank line found so far, -1 for none left
    line_start, scanned = 0, 0
    line_key, first_ink, last_ink, line_end = -1, 0, 0, 0
    while True:
        start = text.find(opening, pos)
        if start < 0:
            break
        inner = start + len(opening)
        if end != -1 and end < inner:
            end = text.find(closing, inner)
        if end < 0:
            break
        if notes is not None:
            if brk != -1 and brk < inner:
                brk = text.find("\n\n", inner)
            if 0 <= brk <= end - 2:  # a note may not span a blank line
                out.append(text[pos:inner])
                pos = inner
                continue
        newline = text.rfind("\n", scanned, start)
        if newline >= 0:
            line_start = newline + 1
        scanned = start
        if line_key != line_start:  # first visit to this line: where its ink starts and ends
            line_key = line_start
            found = text.find("\n", line_start)
            line_end = size if found < 0 else found
            line = text[line_start:line_end]
            first_ink = line_start + len(line) - len(line.lstrip())
            last_ink = line_start + len(line.rstrip()) - 1
        after = end + len(closing)
        body = text[inner:end]
        if after > line_end:  # the span ran onto later lines: find where its last line ends
            found = text.find("\n", after)
            stop = size if found < 0 else found
        else:
            stop = line_end
        tail = text[after:stop] if after > line_end else ""
        whole = first_ink >= start and (not tail.strip() if after > line_end else last_ink < after)
        out.append(text[pos : line_start if whole else start])
        if not whole and text[start - 1 : start] == " " and text[after : after + 1] == " ":
            after += 1  # "an /* x */ aside" -> "an aside", not "an  aside"
        if whole and notes is not None:
            notes.append(body)
            out.append(f"{_NOTE_MARK}{len(notes) - 1}")
            pos = stop
        elif whole and "\n" in body:
            pos = stop  # a multi-line boneyard leaves a blank line: a paragraph break
        else:
            pos = min(stop + 1, size) if whole else after
        if after > line_end:  # later spans are on (or after) the line this one ended on
            line_start, scanned = text.rfind("\n", inner, end) + 1, end
    out.append(text[pos:])
    return "".join(out)


def _is_blank(line: str | None) -> bool:
    return line is None or not line.strip()


def _character_line(line: str, next_line: str | None) -> bool:
    """An upper-case cue (extensions may be lower case) followed by a non-blank line.

    A line ending in ``:`` is no cue (``CUT TO:``, ``FADE IN:`` before text), nor is a line that
    starts like a scene heading (``INT. HOUSE - DAY`` with no blank line after it is action) or
    with another element's forcing character (``> THE END <`` over a second centered line).
    """
    stripped = line.strip()
    if _is_blank(next_line) or stripped.endswith(":") or _HEADING.match(stripped + " "):
        return False
    if stripped[0] in _FORCING:  # centered, transition, lyrics, section, synopsis, heading
        return False
    if stripped.endswith("^"):
        stripped = stripped[:-1].rstrip()
    if "^" in stripped:  # the dual-dialogue caret belongs at the very end
        return False
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


# Emphasis markers in the order fountain.py's ``clean_inline`` removes them.
_MARKERS = ("***", "**", "*", "_")
_ESCAPES = (("\\*", "\ue000", "*"), ("\\_", "\ue001", "_"))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _strip_marker(text: str, marker: str) -> str:
    """Remove ``marker``-delimited spans in O(n log n); same result as the regex in fountain.py.

    A span opens at a marker followed by a non-space and closes at the nearest later marker
    preceded by a non-space, with at least one character between and no blank line (``\\n\\n``)
    inside; ``_`` also needs no word character outside either end. The regex form backtracks
    quadratically on many unclosed openers (``*a *a *a ...``), so it is not used here.
    """
    size, length = len(marker), len(text)
    underline = marker == "_"
    closers: list[int] = []
    at = text.find(marker, 1)
    while at >= 0:
        after = at + size
        if not text[at - 1].isspace() and not (
            underline and after < length and _is_word(text[after])
        ):
            closers.append(at)
        at = text.find(marker, at + 1)
    if not closers:
        return text
    breaks: list[int] = []
    at = text.find("\n\n")
    while at >= 0:
        breaks.append(at)
        at = text.find("\n\n", at + 1)
    out: list[str] = []
    pos = 0
    opener = text.find(marker)
    while opener >= 0:
        inner = opener + size
        ok = inner < length and not text[inner].isspace()
        if ok and underline and opener > 0 and _is_word(text[opener - 1]):
            ok = False
        if ok:
            index = bisect_left(closers, inner + 1)
            if index < len(closers):
                closer = closers[index]
                index = bisect_left(breaks, inner)
                if index == len(breaks) or breaks[index] > closer - 2:
                    out.append(text[pos:opener])
                    out.append(text[inner:closer])
                    pos = closer + size
                    opener = text.find(marker, pos)
                    continue
        opener = text.find(marker, opener + 1)
    out.append(text[pos:])
    return "".join(out)


def clean_emphasis(text: str) -> str:
    """Remove paired emphasis (``***``, ``**``, ``*``, ``_``), keeping escaped ``\\*``/``\\_``.

    The linear-time equivalent of :func:`logline.documents.fountain.clean_inline`.
    """
    for escaped, placeholder, _ in _ESCAPES:
        text = text.replace(escaped, placeholder)
    for marker in _MARKERS:
        if marker in text:
            text = _strip_marker(text, marker)
    for _, placeholder, literal in _ESCAPES:
        text = text.replace(placeholder, literal)
    return text


def _title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split off the title page: the ``Key: value`` lines at the start, if a known key is there.

    Values continue on indented lines. fountain.io ends the title page at a blank line; when a
    line that is neither a key nor an indented continuation follows the keys directly, the title
    page ends there and that line starts the body (as screenplay-tools does). Requiring a known
    key (``Title``, ``Author``...) keeps a script that opens with ``FADE IN:`` or ``CUT TO:``
    from losing its first line to a title page.
    """
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    fields: dict[str, list[str]] = {}
    key = ""
    end = start
    while end < len(lines) and lines[end].strip():
        line = lines[end]
        match = _TITLE_KEY.match(line)
        if match:
            key = match.group(1).strip().lower()
            fields[key] = [match.group(2)]
        elif key and line[:1] in (" ", "\t"):
            fields[key].append(line)
        else:
            break
        end += 1
    if end == start or not TITLE_PAGE_KEYS.intersection(fields):
        return {}, lines
    metadata = {
        key: "\n".join(filter(None, (clean_emphasis(value.strip()) for value in values)))
        for key, values in fields.items()
    }
    return metadata, lines[end:]


class _Builder:
    """Collects elements, merging consecutive lines of one action, dialogue or lyrics block."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.page = 1
        self.open: Element | None = None  # the block that the next line of its kind extends
        self.cues: list[int] = []  # indices of the character cues in ``elements``

    def add(self, kind: ElementType, text: str, **fields: object) -> Element:
        element = Element(kind, text, page=self.page, **fields)  # type: ignore[arg-type]
        if kind is ElementType.CHARACTER:
            self.cues.append(len(self.elements))
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
        if len(self.cues) >= 2:
            for element in self.elements[self.cues[-2] : self.cues[-1]]:
                if element.type in _DIALOGUE_BLOCK:
                    element.dual = True

    def finish(self) -> list[Element]:
        """Clean element text, drop elements left empty, and demote cues left without lines.

        A cue whose dialogue vanished (only markup, a note, a page break after it) becomes
        action, so every character cue is followed by its parenthetical, dialogue or lyrics.
        """
        kept: list[Element] = []
        for element in self.elements:
            if element.type in _TEXT_CLEANED:
                element.text = clean_emphasis(element.text.rstrip())
            if element.type is ElementType.DIALOGUE:
                element.text = element.text.strip("\n")
            if element.text.strip() or element.type is ElementType.PAGE_BREAK:
                kept.append(element)
        for index, element in enumerate(kept):
            if element.type is ElementType.CHARACTER and not (
                index + 1 < len(kept) and kept[index + 1].type in _SPOKEN
            ):
                cue = element.text + "".join(
                    f" ({part})" for part in (element.extension or "").split(", ") if part
                )
                kept[index] = Element(ElementType.ACTION, cue, page=element.page)
        return kept


_SPOKEN = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})
_DIALOGUE_BLOCK = _SPOKEN | {ElementType.CHARACTER}
_TEXT_CLEANED = frozenset(set(ElementType) - {ElementType.PAGE_BREAK, ElementType.NOTE})


def parse_fountain_elements(text: str) -> tuple[dict[str, str], list[Element]]:
    """Parse Fountain source into ``(title_page, elements)``.

    ``title_page`` has lower-case keys (multi-line values joined by newlines). Element pages
    count explicit ``===`` page breaks from 1; Fountain has no other pagination.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n===\n")
    text = text.replace("\t", "    ").replace("\x00", "\ufffd")  # NUL is our note-marker prefix
    text = _strip_spans(text, "/*", "*/", None)
    notes: list[str] = []
    text = _strip_spans(text, "[[", "]]", notes)
    metadata, lines = _title_page(text.split("\n"))

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
        first = stripped[0]
        if in_dialogue:
            if stripped.startswith("(") and stripped.endswith(")"):
                out.add(ElementType.PARENTHETICAL, stripped, dual=dual)
            elif first == "~":  # a sung line under a cue: lyrics are always forced
                out.extend(ElementType.LYRICS, stripped[1:].strip(), dual=dual)
            else:
                out.extend(ElementType.DIALOGUE, stripped, dual=dual)
            continue

        if first == "!":
            out.extend(ElementType.ACTION, line.rstrip().replace("!", "", 1))
        elif first == "@" or (was_blank and _character_line(line, next_line)):
            if _is_blank(next_line) and first != "@":
                out.extend(ElementType.ACTION, line.rstrip())
                continue
            name, extension = split_character_cue(stripped)
            if not name:  # "@" or "@ (V.O.)": no name to speak
                out.extend(ElementType.ACTION, line.rstrip())
                continue
            dual = stripped.endswith("^")
            out.add(ElementType.CHARACTER, name, extension=extension, dual=dual)
            if dual:
                out.mark_previous_dual()
            in_dialogue = not _is_blank(next_line)
        elif first == "." and stripped[1:2].isalnum() and was_blank:
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
