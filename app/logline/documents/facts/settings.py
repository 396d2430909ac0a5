"""Where and when a scene happens: its heading's location and time of day, normalised.

The rule (documented here because reports and prompts depend on it):

* A heading's location and time of day are re-read from its spaced-dash segments
  (``"BY THE RIVER - NIGHT - CONTINUOUS"``). Segments are taken off the right end while they
  are *time segments*: they name a time (DAY, NIGHT, MORNING, DUSK...), a continuity
  (CONTINUOUS, LATER, SAME, MOMENTS LATER...), a shot note (VARIOUS SHOTS, MONTAGE, FLASHBACK...)
  or are only a bracketed note (``[THE STORM]``). The first segment always stays. What is left,
  upper-cased with single spaces and without trailing ``[...]`` notes, is the location:
  ``"BLOOM HOUSE - KITCHEN"`` stays as written, ``"BY THE RIVER - NIGHT"`` becomes
  ``"BY THE RIVER"``, and ``"FURTHER ALONG - ROUGH PATH"`` (no time) is one location.
* Day or night: a time naming only day words (DAY, MORNING, AFTERNOON, NOON...) is ``day``,
  only night words (NIGHT, EVENING, MIDNIGHT...) ``night``; a continuity alone (CONTINUOUS,
  LATER, SAME...) inherits the previous scene's class; everything else (DAWN, DUSK, MAGIC HOUR,
  DAY TO NIGHT, no time at all) is ``other``. Bracketed and parenthesised notes count as words
  (``"NIGHT [CONTINUOUS]"`` is night, ``"[THE NEXT] MORNING"`` day).
"""

from __future__ import annotations

import re
from typing import Literal

from ..elements import Scene

DayNight = Literal["day", "night", "other"]

_DAY = frozenset({"DAY", "DAYTIME", "DAYLIGHT", "MORNING", "AFTERNOON", "NOON", "MIDDAY", "TODAY"})
_NIGHT = frozenset({"NIGHT", "NIGHTTIME", "EVENING", "MIDNIGHT", "TONIGHT"})
_TWILIGHT = frozenset({"DAWN", "DUSK", "SUNRISE", "SUNSET", "TWILIGHT", "SUNDOWN", "SUNUP"})
_CONTINUITY = frozenset(
    {"CONTINUOUS", "CONT'D", "CONTD", "CONT", "LATER", "SAME", "SIMULTANEOUS", "MEANWHILE"}
)
_SHOTS = frozenset({"SHOTS", "MONTAGE", "FLASHBACK", "FLASHFORWARD", "INTERCUT", "SERIES"})
_TIME_WORDS = _DAY | _NIGHT | _TWILIGHT | _CONTINUITY | _SHOTS | frozenset({"MAGIC", "HOUR"})
_DASHES = re.compile(r"\s+(?:-|–|—|--)\s+")
_NOTE = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_TRAILING_NOTE = re.compile(r"\s*\[[^\]]*\]\s*$")
_WORD = re.compile(r"[A-Z]+(?:'[A-Z]+)?")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.upper().replace("’", "'"))


def _is_time_segment(segment: str) -> bool:
    if not _NOTE.sub(" ", segment).strip(" -–—/.,"):  # only a bracketed note
        return bool(segment.strip())
    return any(word in _TIME_WORDS for word in _words(segment))


def scene_setting(scene: Scene) -> tuple[str, str]:
    """``(location, time)`` of a scene by the module's rule; ``("", "")`` parts when absent.

    Scenes whose heading has no INT./EXT. prefix (``SNIPER SCOPE POV``, ``OPENING TITLES``)
    have no location: nothing says they are places, and a PDF does not even mark them.
    """
    segments = [part for part in _DASHES.split(f"{scene.location} - {scene.time_of_day}")]
    segments = [" ".join(part.split()) for part in segments if part.strip()]
    time: list[str] = []
    while len(segments) > 1 and _is_time_segment(segments[-1]):
        time.insert(0, segments.pop())
    location = " - ".join(segments).upper().replace("’", "'") if scene.int_ext else ""
    while _TRAILING_NOTE.search(location) and _TRAILING_NOTE.sub("", location):
        location = _TRAILING_NOTE.sub("", location)
    return location.strip(), " - ".join(time)


def day_or_night(time: str, previous: DayNight = "other") -> DayNight:
    """The day/night class of a scene's time (see the module's rule)."""
    words = set(_words(time))
    day, night = bool(words & _DAY), bool(words & _NIGHT)
    if day != night:
        return "day" if day else "night"
    if day or words & _TWILIGHT:
        return "other"
    if words & _CONTINUITY:
        return previous
    return "other"
