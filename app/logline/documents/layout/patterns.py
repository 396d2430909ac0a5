"""What screenplay text looks like, whatever its position: page and scene numbers, headings,
(MORE) / (CONT'D) marks, transitions and character cues; and how a wrapped line joins the text
before it."""

from __future__ import annotations

import re

from ..elements import split_character_cue

PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?([A-Z]?\d{1,4}[A-Z]{0,3})\.?(?:\s*(?:of|/)\s*\d{1,5})?$"
    r"|^[-–—]\s*([A-Z]?\d{1,4}[A-Z]{0,3})\.?\s*[-–—]$",
    re.IGNORECASE,
)
SCENE_NUMBER = re.compile(r"^\*?([A-Z]{0,2}\d{1,4}[A-Z]{0,3}(?:\.\d{1,2})?)\.?\*?$")
HEADING = re.compile(r"^(?:INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|INT|EXT|EST|I\s*/\s*E)(?:\.|\s|$)")
NUMBERED_HEADING = re.compile(r"^([A-Z]?\d{1,4}[A-Z]{0,3})\.?\s+(.+?)(?:\s+\1\.?)?$")
CONTINUED = re.compile(r"^\(?\s*CONT(?:INUED|'D|’D)\s*\)?\s*:?\s*(?:\(\s*\d+\s*\))?$", re.I)
MORE = re.compile(r"^\(\s*MORE\s*\)$", re.IGNORECASE)
CONT_D = re.compile(r"\s*\(\s*(?:CONT(?:'|’)?D|CONTINUING|CONT\.?)\s*\)", re.IGNORECASE)
TRANSITIONS = frozenset(
    {
        "FADE OUT.",
        "FADE OUT",
        "FADE TO BLACK.",
        "FADE TO BLACK",
        "CUT TO BLACK.",
        "CUT TO BLACK",
        "SMASH CUT TO BLACK.",
        "FADE OUT:",
        "END OF ACT",
    }
)
SENTENCE_END = (".", "!", "?", ":", '"', "”", "'", "’", ")", "--", "…", "—")

CUE_NAME_MAX_CHARS = 40  # a longer capitalised "name" is a line of action, not a cue
HEADING_CAPS_SHARE = 0.6  # of a heading's letters at least this share are capitals


def is_caps(text: str) -> bool:
    """True when ``text`` has letters and none of them is lower case."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def cue_name_ok(text: str) -> bool:
    """True when ``text`` reads as a character cue: a short capitalised name (extensions allowed)
    that is no heading, transition, (MORE) or CONTINUED."""
    name, _ = split_character_cue(text)
    if not name or len(name) > CUE_NAME_MAX_CHARS or not is_caps(name):
        return False
    if name.endswith((":", "TO:", "!", "?", ",")) or HEADING.match(name):
        return False
    return not MORE.match(text) and not CONTINUED.match(text)


def heading_text(text: str) -> bool:
    """An INT./EXT. line (mostly capitals)."""
    if not HEADING.match(text):
        return False
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return upper >= HEADING_CAPS_SHARE * len(letters)


def normal_name(name: str) -> str:
    """A cue name compared without case or spacing differences."""
    return " ".join(name.upper().split())


def join_wrapped(before: str, after: str) -> str:
    """Join a wrapped line to the text before it (no space after a word-breaking hyphen)."""
    if (
        before.endswith("-")
        and not before.endswith("--")
        and len(before) > 1
        and before[-2].isalpha()
        and after[:1].isalpha()
    ):
        return before + after
    return before + " " + after
