"""Fountain (https://fountain.io) documents, screenplay sniffing and shared Fountain helpers.

The element parser lives in :mod:`.fountain_elements`; this module turns its output into a
:class:`Document` and holds the title-page and emphasis helpers it shares.
"""

from __future__ import annotations

import re
from pathlib import Path

from .elements import ElementType
from .model import Document, DocumentFormat
from .structure import screenplay_document

SCENE_HEADING = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E)[.\s]", re.IGNORECASE)
TITLE_PAGE_KEYS = frozenset(
    {"title", "credit", "author", "authors", "source", "draft date", "date", "contact",
     "copyright", "notes", "revision", "format"}
)  # fmt: skip

_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,30}):[ \t]*(.*)$")
# Paired emphasis may span lines within one element (a blank line ends it), as in lyrics.
_SPAN = r"(?=\S)((?:(?!\n\n).)+?)(?<=\S)"
_EMPHASIS = tuple(
    re.compile(pattern, re.DOTALL)
    for pattern in (
        rf"\*\*\*{_SPAN}\*\*\*",  # bold italic
        rf"\*\*{_SPAN}\*\*",  # bold
        rf"\*{_SPAN}\*",  # italic
        rf"(?<!\w)_{_SPAN}_(?!\w)",  # underline
    )
)
# Escaped markers survive emphasis removal as private-use placeholders.
_ESCAPES = (("\\*", "\ue000", "*"), ("\\_", "\ue001", "_"))


def fountain_document(path: Path, text: str, *, format: DocumentFormat = "fountain") -> Document:
    """A Fountain screenplay; titled from the title page, else its first line that is no
    heading, else the file name."""
    from .fountain_elements import parse_fountain_elements

    title_page, elements = parse_fountain_elements(text)
    first = next(
        (e.text.split("\n")[0] for e in elements if e.type is not ElementType.PAGE_BREAK), ""
    )
    fallback = "" if SCENE_HEADING.match(first) else first
    return screenplay_document(path, format, title_page, elements, fallback_title=fallback)


def looks_like_screenplay(text: str) -> bool:
    """True when plain text has an upper-case scene heading (``INT.``/``EXT.``) after a blank."""
    previous = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if not previous and SCENE_HEADING.match(stripped) and stripped.isupper():
            return True
        previous = stripped
    return False


def split_title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split off the title page: the first block of ``Key: value`` lines, if it has a known key.

    Values continue on indented lines. Requiring a known key keeps a script that opens with
    ``FADE IN:`` from losing its first line to a title page.
    """
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    fields: dict[str, list[str]] = {}
    key = ""
    for line in lines[start:end]:
        match = _TITLE_KEY.match(line)
        if match:
            key = match.group(1).strip().lower()
            fields[key] = [match.group(2)]
        elif key and line[:1] in (" ", "\t"):
            fields[key].append(line)
        else:
            return {}, lines
    if not TITLE_PAGE_KEYS.intersection(fields):
        return {}, lines
    metadata = {
        key: "\n".join(filter(None, (clean_inline(value.strip()) for value in values)))
        for key, values in fields.items()
    }
    return metadata, lines[end:]


def clean_inline(text: str) -> str:
    """Remove paired emphasis markers, keeping escaped ``\\*`` and ``\\_`` as literal characters."""
    for escaped, placeholder, _ in _ESCAPES:
        text = text.replace(escaped, placeholder)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    for _, placeholder, literal in _ESCAPES:
        text = text.replace(placeholder, literal)
    return text
