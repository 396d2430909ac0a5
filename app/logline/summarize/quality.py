"""Text metrics for generated summaries: copying, repetition, variety, coverage structure.

Pure Python (no MLX, no Qt): the quality benchmark (``bench/bench_quality.py``) scores outputs
with these, and the summary runner can use the same functions to check notes while it runs
(a map note's :func:`copy_ratio` against its chunk).

Everything works on normalised word tokens (:func:`words`): lower case, letters and digits, with
citation markers such as ``[Sc. 12, p. 34]`` or ``(Sc. 12, p. 34)`` removed first, so a note that
only adds or moves citations still counts as a copy, and repeated citations do not count as
repeated text.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = [
    "COVERAGE_SECTIONS",
    "VERDICTS",
    "CoverageStructure",
    "RepeatedSpan",
    "copy_ratio",
    "coverage_structure",
    "distinct_ngram_ratio",
    "longest_repeated_span",
    "ngrams",
    "sentences",
    "strip_citations",
    "words",
]

COVERAGE_SECTIONS = ("Logline", "Synopsis", "Characters", "Strengths", "Weaknesses", "Verdict")
VERDICTS = ("Pass", "Consider", "Recommend")

# A bracketed or parenthesised group that cites a scene or page ("[Sc. 12, p. 34]", "(pp. 3-4)",
# "(Scene 4)"), or a citation Logline flagged ("(⚠ Sc. 3, p. 4 — not in this script)").
_CITATION_RE = re.compile(
    r"[\[(](?:⚠[^()\[\]\n]*"
    r"|[^()\[\]\n]{0,80}?\b(?:sc|scs|scenes?|p|pp|pgs?|pages?)\b\.?\s*\d[^()\[\]\n]{0,120}?)[\])]",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", re.MULTILINE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")
_HEADING_RE = re.compile(r"^ {0,3}##[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_VERDICT_RE = re.compile(r"\b(" + "|".join(VERDICTS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class RepeatedSpan:
    """The longest text that occurs twice without overlapping: in whole (normalised) sentences
    and in words. ``RepeatedSpan(0, 0)``: nothing repeats."""

    sentences: int
    words: int


@dataclass(frozen=True)
class CoverageStructure:
    """What a coverage report's layout holds.

    ``sections``: the known section names found as ``## <name>`` headings, in order of
    appearance (repeats included). ``in_order``: exactly :data:`COVERAGE_SECTIONS`, each once.
    ``verdicts``: the verdict words (:data:`VERDICTS`, canonical case) on the first line of the
    first Verdict section, in order; exactly one means a clear verdict.
    """

    sections: tuple[str, ...]
    in_order: bool
    verdicts: tuple[str, ...]


def strip_citations(text: str) -> str:
    """``text`` without citation markers (each becomes a space)."""
    return _CITATION_RE.sub(" ", text)


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits, inner apostrophes kept: "don't"), citation
    markers removed first."""
    text = strip_citations(text).replace("’", "'").lower()
    return _WORD_RE.findall(text)


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens, in order (none when there are fewer)."""
    if n <= 0:
        raise ValueError("n must be positive")
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def copy_ratio(note: str, source: str, n: int = 8) -> float:
    """The share of ``note``'s word ``n``-grams that occur verbatim in ``source`` (0.0 to 1.0;
    0.0 for a note shorter than ``n`` words). 1.0: the note is copied text."""
    grams = ngrams(words(note), n)
    if not grams:
        return 0.0
    found = set(ngrams(words(source), n))
    return sum(1 for gram in grams if gram in found) / len(grams)


def sentences(text: str) -> list[str]:
    """``text`` split into sentences: at ``.``, ``!`` or ``?`` followed by a space, and at line
    breaks; list markers (``-``, ``*``, ``•``, ``1.``) and citations removed; pieces without a
    word left out."""
    text = _LIST_MARKER_RE.sub("", strip_citations(text))
    pieces = (piece.strip() for piece in _SENTENCE_END_RE.split(text))
    return [piece for piece in pieces if _WORD_RE.search(piece)]


def longest_repeated_span(text: str) -> RepeatedSpan:
    """The longest run of consecutive sentences, and of words, that occurs twice in ``text``
    without the two occurrences overlapping (sentences compared by their :func:`words`)."""
    normalised = [tuple(words(sentence)) for sentence in sentences(text)]
    return RepeatedSpan(_longest_repeat(_ids(normalised)), _longest_repeat(_ids(words(text))))


def distinct_ngram_ratio(text: str, n: int = 4) -> float:
    """Distinct word ``n``-grams over all of them: 1.0 when none repeats, near 0.0 for text that
    loops. 1.0 for a text shorter than ``n`` words (nothing in it can repeat)."""
    grams = ngrams(words(text), n)
    return len(set(grams)) / len(grams) if grams else 1.0


def coverage_structure(text: str) -> CoverageStructure:
    """The sections and verdict of a coverage report (see :class:`CoverageStructure`).

    A heading counts when it is ``## Name``, case, bold markers and a trailing colon aside;
    ``## Verdict: Consider`` counts as the Verdict heading with ``Consider`` as its first line.
    """
    found: list[tuple[str, int, str]] = []  # (section, end of heading, text after a colon)
    for match in _HEADING_RE.finditer(text):
        title = match.group(1).replace("*", "").replace("_", " ").strip()
        head, _, rest = title.partition(":")
        name = next((s for s in COVERAGE_SECTIONS if s.lower() == head.strip().lower()), None)
        if name is not None:
            found.append((name, match.end(), rest.strip()))
    sections = tuple(name for name, _, _ in found)
    verdicts: tuple[str, ...] = ()
    verdict = next(((end, rest) for name, end, rest in found if name == "Verdict"), None)
    if verdict is not None:
        end, rest = verdict
        line = rest or next((ln for ln in text[end:].splitlines() if ln.strip()), "")
        if line.lstrip().startswith("#"):  # the next heading: the section is empty
            line = ""
        canonical = {v.lower(): v for v in VERDICTS}
        verdicts = tuple(canonical[m.lower()] for m in _VERDICT_RE.findall(line))
    return CoverageStructure(sections, sections == COVERAGE_SECTIONS, verdicts)


# -- longest non-overlapping repeat ------------------------------------------------------------
_MOD = (1 << 61) - 1
_BASE = 1_000_003


def _ids(items: Sequence[Hashable]) -> list[int]:
    """Each item as a small int, equal items equal (for hashing runs of them)."""
    table: dict[Hashable, int] = {}
    return [table.setdefault(item, len(table) + 1) for item in items]


def _longest_repeat(seq: Sequence[int]) -> int:
    """The longest run of ``seq`` that occurs twice without overlap. A repeat of length L holds
    one of every shorter length, so a binary search over L with rolling hashes is O(n log n)."""
    low, high = 0, len(seq) // 2
    while low < high:
        middle = (low + high + 1) // 2
        if _repeats(seq, middle):
            low = middle
        else:
            high = middle - 1
    return low


def _repeats(seq: Sequence[int], length: int) -> bool:
    """Whether some run of ``length`` items occurs twice, the second starting after the first
    ends. The earliest start of each window is kept: it leaves the most room for a second."""
    power = pow(_BASE, length, _MOD)
    earliest: dict[int, int] = {}
    value = 0
    for index, item in enumerate(seq):
        value = (value * _BASE + item) % _MOD
        if index >= length:
            value = (value - seq[index - length] * power) % _MOD
        start = index - length + 1
        if start < 0:
            continue
        first = earliest.setdefault(value, start)
        if start - first >= length and seq[first : first + length] == seq[start : start + length]:
            return True
    return False
