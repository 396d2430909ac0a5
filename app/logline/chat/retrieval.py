"""Lexical search over a script's scenes, for conversations over scripts too long to read whole.

Okapi BM25 over scenes (a generic document: passages of about ``PASSAGE_WORDS`` words of its
pages), plus what the parser knows: a question that names a character (any alias, possessive
too) pulls the scenes where that character speaks or is named, and one that names a location
pulls the scenes set there, ahead of plain word matches. The best passages that fit a token
budget come back in script order, each labelled with the citation a model should copy.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logline.documents.facts import ScriptFacts
from logline.documents.model import Document

K1 = 1.2
B = 0.75
PASSAGE_WORDS = 300
NAME_BOOST = 10.0  # a scene where a named character speaks or a named location is set
MENTION_BOOST = 4.0  # a scene whose text names a character the question names

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "into",
        "after",
        "before",
        "scene",
        "scenes",
        "script",
        "story",
        "happen",
        "happens",
    ]
)


def terms(text: str) -> list[str]:
    words = (w.removesuffix("'s") for w in _WORD.findall(text.lower().replace("’", "'")))
    return [w for w in words if w not in _STOP and len(w) > 1]


@dataclass(frozen=True)
class Passage:
    scene: int | None
    page: str | None
    heading: str
    text: str
    score: float = 0.0

    @property
    def citation(self) -> str:
        parts = ([f"Sc. {self.scene}"] if self.scene is not None else []) + (
            [f"p. {self.page}"] if self.page else []
        )
        return f"({', '.join(parts)})" if parts else ""

    @property
    def marker(self) -> str:
        return self.citation.replace("(", "[").replace(")", "]")


@dataclass
class SceneIndex:
    passages: list[Passage]
    counts: list[Counter[str]]
    lengths: list[int]
    document_frequency: Counter[str]
    names: dict[str, set[int]]  # a character or location name (lower case) → passage indices

    @classmethod
    def build(cls, document: Document, facts: ScriptFacts) -> SceneIndex:
        passages = _passages(document)
        counts = [Counter(terms(f"{p.heading}\n{p.text}")) for p in passages]
        frequency: Counter[str] = Counter()
        for count in counts:
            frequency.update(count.keys())
        by_scene = {p.scene: i for i, p in enumerate(passages) if p.scene is not None}
        names: dict[str, set[int]] = {}
        for character in facts.characters:
            where = {by_scene[n] for n in character.scenes if n in by_scene}
            for name in character.names:
                names.setdefault(name.lower(), set()).update(where)
        for place in facts.locations:
            names.setdefault(place.name.lower(), set()).update(
                by_scene[n] for n in place.scenes if n in by_scene
            )
        return cls(passages, counts, [sum(c.values()) for c in counts], frequency, names)

    @property
    def average_length(self) -> float:
        return sum(self.lengths) / len(self.lengths) if self.lengths else 0.0

    def named_in(self, question: str) -> list[str]:
        text = " " + re.sub(r"[^a-z0-9' ]+", " ", question.lower().replace("’", "'")) + " "
        return [
            name
            for name in self.names
            if re.search(r"(?<![\w])" + re.escape(name) + r"(?:'s)?(?![\w])", text)
        ]

    def scores(self, question: str) -> list[float]:
        wanted = set(terms(question))
        total = len(self.passages)
        average = self.average_length or 1.0
        result = []
        for count, length in zip(self.counts, self.lengths, strict=True):
            score = 0.0
            for term in wanted:
                tf = count.get(term, 0)
                if not tf:
                    continue
                df = self.document_frequency[term]
                idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
            result.append(score)
        for name in self.named_in(question):
            for index in self.names[name]:
                result[index] += NAME_BOOST
            for index, count in enumerate(self.counts):
                if index not in self.names[name] and all(count.get(t) for t in terms(name)):
                    result[index] += MENTION_BOOST
        return result


def _passages(document: Document) -> list[Passage]:
    if document.is_screenplay and document.scenes:
        return [
            Passage(
                scene.number,
                document.page_label(scene.page_start),
                scene.heading,
                document.scene_text(scene).strip(),
            )
            for scene in document.scenes
        ]
    passages = []
    for page in document.pages:
        words = page.text.split()
        for start in range(0, len(words), PASSAGE_WORDS):
            chunk = " ".join(words[start : start + PASSAGE_WORDS])
            if chunk:
                passages.append(Passage(None, page.label, "", chunk))
    return passages


def search(
    index: SceneIndex,
    question: str,
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[Passage]:
    """The best-scoring passages that fit in ``budget_tokens``, in script order."""
    scores = index.scores(question)
    ranked = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        size = count_tokens(_render(index.passages[i]))
        if used + size > budget_tokens:
            continue
        chosen.append(i)
        used += size
    return [
        Passage(p.scene, p.page, p.heading, p.text, scores[i])
        for i in sorted(chosen)
        for p in [index.passages[i]]
    ]


def _render(passage: Passage) -> str:
    return f"{passage.marker}\n{passage.text}" if passage.marker else passage.text


def render_passages(passages: Sequence[Passage]) -> str:
    """The passages as the model reads them: each under its marker line."""
    return "\n\n".join(_render(p) for p in passages)
