"""Character names: one canonical name per cue, and the aliases the script itself makes.

Cue names arrive with extensions already split off (:func:`~..elements.split_character_cue`);
:func:`cue_name` also cleans names from parsers that leave them on (``"EDWARD (CONT'D)"``,
``"EDWARD CONT'D"``) and spaces a numbered part the same way everywhere (``"COP#2"`` becomes
``"COP #2"``; a numbered part is a different person from ``"COP"`` and is kept apart).

Alias rule (conservative on purpose: a wrong merge is worse than a missed one). A cue
``"<AGE> <NAME>"`` is an alias of ``<NAME>`` when

1. ``<AGE>`` is an age word: YOUNG, YOUNGER, OLD, OLDER, LITTLE, BABY, TEEN, TEENAGE, TEENAGED,
   ADULT, ELDERLY, AGED or SENIOR (several may stack: ``"YOUNG ADULT EDWARD"``);
2. ``<NAME>`` is itself a speaking character; and
3. the script's prose (action and dialogue) uses ``<NAME>`` as a person's name: written with a
   capital and not all in capitals ("Edward", "Dr. Bennett"), at least once not at the start of a
   sentence or line and not after an article, a possessive or an age word ("the Girl in the
   River" does not count, so ``LITTLE GIRL`` stays apart from ``GIRL``).

Nothing else is merged: ``"EDWARD AND WILL"`` (a joint cue), ``"WILL'S DATE"`` or a surname alone
stay their own entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..structure import character_key

AGE_WORDS = frozenset(
    {
        "YOUNG",
        "YOUNGER",
        "OLD",
        "OLDER",
        "LITTLE",
        "BABY",
        "TEEN",
        "TEENAGE",
        "TEENAGED",
        "ADULT",
        "ELDERLY",
        "AGED",
        "SENIOR",
    }
)
_NOT_A_NAME_AFTER = frozenset(
    {
        "THE", "A", "AN", "THIS", "THAT", "THESE", "THOSE", "HIS", "HER", "ITS", "THEIR", "OUR",
        "MY", "YOUR", "SOME", "ANY", "EACH", "EVERY", "ANOTHER", "NO",
    }
)  # fmt: skip
_SENTENCE_END = ".!?:;\"“”‘'([—–-…\n"
_PARENS = re.compile(r"\s*\([^()]*\)")
_CONTINUED = re.compile(r"\s+(?:CONT['’]?D\.?|CONT\.|CONTINUED|\(MORE\)|MORE)$")
_NUMBERED = re.compile(r"\s*#\s*(\d+)$")
_PREVIOUS_WORD = re.compile(r"([A-Za-z']+)[^A-Za-z']*$")


def cue_name(name: str) -> str:
    """The canonical name of a cue: :func:`character_key` without leftover extensions."""
    key = character_key(name.replace("’", "'"))
    previous = None
    while previous != key:
        previous = key
        key = _CONTINUED.sub("", _PARENS.sub("", key)).strip()
    return _NUMBERED.sub(r" #\1", key).strip() or character_key(name)


def _base_candidates(name: str) -> Iterable[str]:
    words = name.split()
    for cut in range(1, len(words)):
        if words[cut - 1] not in AGE_WORDS:
            return
        yield " ".join(words[cut:])


def written_as_a_name(name: str, prose: str) -> bool:
    """Whether ``prose`` uses ``name`` as a proper name (rule 3 of the module docstring)."""
    pattern = r"\s+".join(re.escape(word) for word in name.split())
    for match in re.finditer(rf"(?<![\w']){pattern}(?![\w'])", prose, re.IGNORECASE):
        text = match.group()
        if not text[0].isupper() or text.isupper():
            continue
        before = prose[max(0, match.start() - 80) : match.start()].rstrip(" \t")
        if not before or before[-1] in _SENTENCE_END:
            continue
        word = _PREVIOUS_WORD.search(before)
        if word and word.group(1).upper() in _NOT_A_NAME_AFTER | AGE_WORDS:
            continue
        return True
    return False


def aliases(speakers: Iterable[str], prose: str) -> dict[str, str]:
    """Map each alias cue to the canonical speaker it names (rule in the module docstring)."""
    names = set(speakers)
    found: dict[str, str] = {}
    proper: dict[str, bool] = {}
    for name in sorted(names):
        for base in _base_candidates(name):
            if base in names and base not in proper:
                proper[base] = written_as_a_name(base, prose)
            if proper.get(base, False):
                found[name] = base
                break
    # An alias of an alias ("YOUNG OLD X" is unlikely, but keep the map flat).
    for alias, base in list(found.items()):
        while base in found:
            base = found[base]
        found[alias] = base
    return found
