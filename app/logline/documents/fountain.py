"""Fountain (https://fountain.io) documents and screenplay sniffing.

The element parser lives in :mod:`.fountain_elements`; this module turns its output into a
:class:`Document` and says whether plain text reads like a Fountain screenplay.
"""

from __future__ import annotations

import re
from pathlib import Path

from .elements import ElementType
from .fountain_elements import parse_fountain_elements
from .model import Document, DocumentFormat
from .structure import screenplay_document

SCENE_HEADING = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E)[.\s]", re.IGNORECASE)


def fountain_document(path: Path, text: str, *, format: DocumentFormat = "fountain") -> Document:
    """A Fountain screenplay; titled from the title page, else its first line that is no
    heading, else the file name."""
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
