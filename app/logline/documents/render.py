"""Elements to the plain text a model reads: compact screenplay layout, no indentation.

Each element is a block separated by a blank line, except that a character cue, its
parentheticals and its dialogue stay together on consecutive lines, as a reader expects::

    INT. KITCHEN - NIGHT

    Sandra slams the fridge.

    EDWARD (V.O.)
    (quietly)
    There are some fish that cannot be caught.

Writers' sections, synopses and notes are not part of the story and are left out; page breaks
are structure, not text; runs of spaces become one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .elements import Element, ElementType

_HIDDEN = frozenset(
    {ElementType.SECTION, ElementType.SYNOPSIS, ElementType.NOTE, ElementType.PAGE_BREAK}
)
_IN_SPEECH = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})
_SPACES = re.compile(r"[ \t]{2,}")


def cue_text(element: Element) -> str:
    """A character cue as printed: ``EDWARD (V.O.)``, ``MOM (O.S.) (CONT'D)``."""
    if not element.extension:
        return element.text
    extensions = " ".join(f"({part})" for part in element.extension.split(", "))
    return f"{element.text} {extensions}"


def render_elements(elements: Iterable[Element]) -> str:
    """The model text of ``elements`` (see the module docstring)."""
    blocks: list[list[str]] = []
    in_speech = False
    for element in elements:
        kind = element.type
        if kind in _HIDDEN:
            continue
        if kind is ElementType.CHARACTER:
            blocks.append([cue_text(element)])
            in_speech = True
        elif kind in _IN_SPEECH and in_speech:
            blocks[-1].append(element.text)
        else:
            blocks.append([element.text])
            in_speech = False
    # Runs of spaces (two after a full stop, alignment padding) carry nothing for a model.
    return _SPACES.sub(" ", "\n\n".join("\n".join(block) for block in blocks))
