"""Names in a model's answer, checked against the script they claim to describe.

A small model invents people and places ("a young woman named Elena", "the town of Ashford").
:class:`NameChecker` finds capitalised words and phrases in an answer and checks each against
what the document knows: every word of its text (so characters, their aliases and the places and
people named only in dialogue or action count), its speaking characters, its scene locations and
its title page, plus any words the caller adds (the user's instruction). Words any English text
capitalises (sentence openers, labels such as "Synopsis" or "Verdict", months, honorifics,
screenplay terms such as "INT." or "V.O.") come from ``resources/common_words.txt`` and are never
flagged. What is left is unknown: :meth:`NameChecker.apply` marks it inline as
``(⚠ Elena — not in this script)`` (the form :data:`~logline.summarize.citations.FLAGGED_RE`
matches, so views style both alike) or removes it.

Everything is decided locally: a phrase's verdict depends only on the text between the nearest
"hard" characters around it (punctuation, line breaks), which lets
:class:`~logline.summarize.names_stream.NameFilter` check a streamed answer in pieces and flag
exactly what the whole text would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from logline.documents.facts import character_table, facts_header, script_facts
from logline.resources_access import read_text
from logline.summarize.citations import FLAG, FLAGGED_RE, find_citations

if TYPE_CHECKING:
    from logline.documents import Document

Policy = Literal["flag", "remove"]

COMMON_WORDS = "common_words.txt"
# A word: letters and digits, joined by apostrophes or hyphens inside it ("O'Brien", "Jean-Luc").
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_RUN_RE = re.compile(r"[^\W\d_]+")  # the letter runs of a word, for look-ups
_POSSESSIVE_RE = re.compile(r"['’][sS]$")
_ROMAN_RE = re.compile(r"[IVXLCDM]+")
# A name flag as :meth:`NameChecker.apply` writes it (a citation flag has the same shape).
NAME_FLAG_RE = re.compile(FLAG + r" ([^()\n]+?) — not in this (?:script|document)\)")
_SUFFIXES = (  # (ending, replacements): inflected forms looked up by their base word
    ("ies", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ed", ("", "e")),
    ("ing", ("", "e")),
    ("ly", ("", "le")),
    ("ily", ("y",)),
    ("er", ("", "e")),
    ("est", ("", "e")),
)


@dataclass(frozen=True)
class NameFlag:
    """An unknown name: ``name`` is ``text[start:end]`` (a possessive "'s" is left outside)."""

    name: str
    start: int
    end: int


@cache
def common_words() -> frozenset[str]:
    """The shipped list of words never flagged (lower case, straight apostrophes)."""
    words: set[str] = set()
    for line in read_text(COMMON_WORDS).splitlines():
        words.update(line.split("#", 1)[0].lower().split())
    return frozenset(words)


def _normal(word: str) -> str:
    return word.lower().replace("’", "'")


def _forms(word: str) -> list[str]:
    """``word`` and the base words it may be an inflection of (lower case)."""
    forms = [word]
    for ending, replacements in _SUFFIXES:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            forms.extend(stem + r for r in replacements)
            if ending in ("ed", "ing", "er", "est") and len(stem) > 2 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # "stopped", "running"
    return forms


def words_of(text: str) -> set[str]:
    """The letter runs of ``text``, lower case: what a document or an instruction "knows"."""
    return {run.lower() for run in _RUN_RE.findall(text)}


class NameChecker:
    """Finds the capitalised names in a text that a document does not know."""

    def __init__(self, known: Iterable[str], *, noun: str = "script") -> None:
        self.known = frozenset(known)
        self.common = common_words()
        self.noun = noun

    @classmethod
    def from_document(cls, document: Document, *, extra_known: Iterable[str] = ()) -> NameChecker:
        """A checker that knows every word of ``document`` (text, title page, characters,
        locations) and of ``extra_known`` (e.g. the user's instruction)."""
        pieces = [document.text, document.title, *document.title_page.values()]
        pieces += [character.name for character in document.characters]
        pieces += [scene.location for scene in document.scenes]
        pieces += list(extra_known)
        known: set[str] = set()
        for piece in pieces:
            known |= words_of(piece)
        return cls(known, noun="script" if document.is_screenplay else "document")

    # -- words ------------------------------------------------------------------------------
    def _is_common(self, word: str) -> bool:
        """A word English capitalises anyway (or one too short to be a name)."""
        word = _POSSESSIVE_RE.sub("", word)
        whole = _normal(word)
        if len(whole) <= 1 or any(f in self.common for f in _forms(whole)):
            return True
        if _ROMAN_RE.fullmatch(word):
            return True
        runs = _RUN_RE.findall(whole)
        return all(len(r) <= 1 or any(f in self.common for f in _forms(r)) for r in runs)

    def _is_known(self, word: str) -> bool:
        """A word the document (or the common list) knows; every part of a joined word must be."""
        runs = _RUN_RE.findall(_normal(_POSSESSIVE_RE.sub("", word)))
        return all(
            len(run) <= 1 or any(f in self.known or f in self.common for f in _forms(run))
            for run in runs
        )

    # -- finding names ----------------------------------------------------------------------
    def unknown(self, text: str) -> list[NameFlag]:
        """The names in ``text`` the document does not know, in order; a multi-word name
        ("Elena Vasquez") is one flag. Text inside earlier flags is left alone."""
        protected = [m.span() for m in FLAGGED_RE.finditer(text)]
        flags: list[NameFlag] = []
        for phrase in _phrases(text, protected):
            core = list(phrase)
            while core and self._is_common(core[0].group()):
                core.pop(0)
            while core and self._is_common(core[-1].group()):
                core.pop()
            if not core or all(self._is_known(word.group()) for word in core):
                continue
            start = core[0].start()
            last = core[-1]
            end = last.end() - (2 if _POSSESSIVE_RE.search(last.group()) else 0)
            flags.append(NameFlag(text[start:end], start, end))
        return flags

    def flag_text(self, name: str) -> str:
        """How an unknown name is written when flagged: ``(⚠ Elena — not in this script)``."""
        return f"({FLAG} {name} — not in this {self.noun})"

    def apply(self, text: str, policy: Policy) -> tuple[str, list[NameFlag]]:
        """``text`` with its unknown names flagged inline or removed, and the names found
        (positions in ``text`` as given)."""
        if policy not in ("flag", "remove"):
            raise ValueError(f"Unknown names policy {policy!r}")
        flags = self.unknown(text)
        pieces: list[str] = []
        position = 0
        for flag in flags:
            if policy == "flag":
                pieces += [text[position : flag.start], self.flag_text(flag.name)]
                position = flag.end
                continue
            start, end = _removal(text, flag)
            start = max(start, position)
            pieces.append(text[position:start])
            position = end
        pieces.append(text[position:])
        return "".join(pieces), flags


def _phrases(text: str, protected: list[tuple[int, int]]) -> list[list[re.Match[str]]]:
    """Runs of capitalised words joined by single spaces, outside the ``protected`` spans.

    A possessive word ends its phrase ("Elena's Marcus" is two names).
    """
    phrases: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for match in _WORD_RE.finditer(text):
        word = match.group()
        capitalised = word[0].isupper() and not any(ch.isdigit() for ch in word)
        inside = any(start <= match.start() < end for start, end in protected)
        if not capitalised or inside:
            if current:
                phrases.append(current)
            current = []
            continue
        joined = (
            current
            and text[current[-1].end() : match.start()] == " "
            and not _POSSESSIVE_RE.search(current[-1].group())
        )
        if current and not joined:
            phrases.append(current)
            current = []
        current.append(match)
    if current:
        phrases.append(current)
    return phrases


def _removal(text: str, flag: NameFlag) -> tuple[int, int]:
    """What to cut to remove ``flag``: the name, its possessive, and the spaces that would be
    left doubled (those before it, or after it when nothing but a line start precedes)."""
    start, end = flag.start, flag.end
    if _POSSESSIVE_RE.match(text[end : end + 2]):
        end += 2
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before < start:
        return before, end
    while end < len(text) and text[end] in " \t":
        end += 1
    return start, end


def flagged_names(text: str) -> list[str]:
    """The names flagged in ``text`` as :meth:`NameChecker.apply` writes them (flagged
    citations, which look alike, are left out)."""
    names: list[str] = []
    for match in FLAGGED_RE.finditer(text):
        inner = NAME_FLAG_RE.match(text, match.start() + 1)
        if inner is None or inner.end() != match.end():
            continue
        if not find_citations(f"({inner.group(1)})"):
            names.append(inner.group(1))
    return names


def is_name_flag(flag: str) -> bool:
    """Whether a :data:`FLAGGED_RE` match is a flagged name (not a flagged citation)."""
    return bool(flagged_names(flag))


def names_message(count: int, noun: str = "script", policy: Policy = "flag") -> str:
    """``2 names are not in the script and are marked`` (for notices and status lines)."""
    done = "marked" if policy == "flag" else "removed"
    if count == 1:
        return f"1 name is not in the {noun} and is {done}"
    return f"{count} names are not in the {noun} and are {done}"


def for_summary(document: Document, instruction: str | None = None) -> NameChecker:
    """The checker a summary uses (the runner, the CLI's stream and the window's view build the
    same one, so names flagged while streaming equal those flagged at the end): the document's
    words, the user's ``instruction``, and the words of what Logline writes into a report
    itself (the facts block and the character table: "Source", "Speeches"...)."""
    facts = script_facts(document)
    extra = [facts_header(facts), character_table(facts)]
    if instruction:
        extra.append(instruction)
    return NameChecker.from_document(document, extra_known=extra)
