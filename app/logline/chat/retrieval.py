"""Lexical search over a structured document: the scenes (or pages) most relevant to a question.

When a script does not fit the model's usable context, a chat turn sends the passages this module
finds. :meth:`SceneIndex.build` makes one passage per scene of a screenplay (its rendered text,
heading included) or, for a document without scenes, passages of about
:data:`PASSAGE_WORDS` words of one page's text. Ranking is Okapi BM25 (``k1`` = 1.2,
``b`` = 0.75), plus strong boosts the parser makes possible:

* a question naming a speaking character (any alias, any case, ``"Edward's"``) boosts the scenes
  where the character speaks (:attr:`CharacterFacts.scenes`) or is named in the text;
* a question naming a location (every word of it, or every word of one of its dash-separated
  parts: ``"the river"`` for ``BY THE RIVER``, ``"kitchen"`` for ``BLOOM HOUSE - KITCHEN``)
  boosts the scenes set there (:attr:`LocationFacts.scenes`).

Boosted scenes rank before every unboosted one. :func:`search` keeps the best passages that fit
a token budget and returns them in document order; :func:`render_passages` labels each with its
citation for the prompt.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from logline.documents import Document
from logline.documents.facts import ScriptFacts, citation

from .terms import STOPWORDS, terms, words

K1 = 1.2
B = 0.75
PASSAGE_WORDS = 300
CHARACTER_BOOST = 100.0
LOCATION_BOOST = 100.0
PART_LOCATION_BOOST = 50.0  # one dash-separated part of a location matched ("kitchen")
_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Passage:
    """One passage: a scene (``scene`` is its number) or part of a page (``scene`` is ``None``).

    ``page`` is the page label a reader sees; ``score`` is the search score (0 when unranked).
    """

    scene: int | None
    page: str | None
    heading: str
    text: str
    score: float = 0.0

    @property
    def citation(self) -> str:
        """``"(Sc. N, p. P)"``, ``"(p. P)"``, in the script facts' format."""
        return f"({citation(self.scene, self.page)})"


@dataclass(frozen=True)
class _Entity:
    """A name the question may use (lower-case words) and the passages it pulls (indices)."""

    words: tuple[str, ...]
    passages: frozenset[int]
    boost: float
    # For a name made of common words ("WILL", "HOPE"): it counts only written as a name.
    cased: re.Pattern[str] | None = None

    def named_in(self, question: str, asked: Sequence[str]) -> bool:
        if self.cased is not None:
            return bool(self.cased.search(question))
        return _contains(asked, self.words)


@dataclass
class SceneIndex:
    """A BM25 index over one document's passages, built once by :meth:`build`."""

    passages: list[Passage]
    frequencies: list[Counter[str]]
    lengths: list[int]
    document_frequency: Counter[str]
    average_length: float
    entities: list[_Entity] = field(default_factory=list)

    @classmethod
    def build(cls, document: Document, facts: ScriptFacts | None = None) -> SceneIndex:
        """Index ``document``: its scenes, or page passages when it has none."""
        if document.scenes:
            passages = [
                Passage(
                    scene.number,
                    document.page_label(scene.page_start),
                    scene.heading,
                    document.scene_text(scene),
                )
                for scene in document.scenes
            ]
        else:
            passages = _page_passages(document)
        frequencies = [Counter(terms(passage.text)) for passage in passages]
        lengths = [sum(counts.values()) for counts in frequencies]
        document_frequency: Counter[str] = Counter()
        for counts in frequencies:
            document_frequency.update(counts.keys())
        average = sum(lengths) / len(lengths) if lengths else 0.0
        index = cls(passages, frequencies, lengths, document_frequency, average)
        if facts is not None and document.scenes:
            index.entities = _entities(passages, facts)
        return index

    def __len__(self) -> int:
        return len(self.passages)

    def scores(self, question: str) -> list[float]:
        """Every passage's score for ``question``: BM25 plus the name boosts."""
        query = set(terms(question))
        total = len(self.passages)
        scores = [0.0] * total
        for term in query:
            df = self.document_frequency.get(term, 0)
            if not df:
                continue
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
            for i, counts in enumerate(self.frequencies):
                tf = counts.get(term, 0)
                if tf:
                    norm = 1 - B + B * self.lengths[i] / (self.average_length or 1.0)
                    scores[i] += idf * tf * (K1 + 1) / (tf + K1 * norm)
        asked = words(question)
        for entity in self.entities:
            if entity.named_in(question, asked):
                for i in entity.passages:
                    scores[i] += entity.boost
        return scores


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether ``needle`` occurs as consecutive words of ``haystack``."""
    width = len(needle)
    if not width:
        return False
    return any(
        list(haystack[i : i + width]) == list(needle) for i in range(len(haystack) - width + 1)
    )


def _entities(passages: list[Passage], facts: ScriptFacts) -> list[_Entity]:
    """The characters' and locations' names, with the scenes each pulls."""
    by_scene = {passage.scene: i for i, passage in enumerate(passages)}
    texts = [words(passage.text) for passage in passages]
    vocabularies = [set(text) for text in texts]
    entities: list[_Entity] = []
    for character in facts.characters:
        speaks = {by_scene[n] for n in character.scenes if n in by_scene}
        for name in character.names:
            name_words = tuple(words(name))
            if not name_words:
                continue
            cased = None
            if all(word in STOPWORDS for word in name_words):  # "WILL", "ALL"
                written = [name.title(), name.upper()]
                alternatives = "|".join(re.escape(w) for w in written)
                cased = re.compile(rf"\b(?:{alternatives})\b")
            named = {
                i
                for i, text in enumerate(texts)
                if vocabularies[i].issuperset(name_words)
                and (len(name_words) == 1 or _contains(text, name_words))
            }
            if cased is not None:
                named = {i for i in named if cased.search(passages[i].text)}
            entities.append(_Entity(name_words, frozenset(speaks | named), CHARACTER_BOOST, cased))
    for location in facts.locations:
        scenes = frozenset(by_scene[n] for n in location.scenes if n in by_scene)
        whole = tuple(word for word in words(location.name) if word not in STOPWORDS)
        if whole:
            entities.append(_Entity(whole, scenes, LOCATION_BOOST))
        parts = re.split(r"\s+(?:-|–|—|--|/)\s+", location.name)
        for part in parts if len(parts) > 1 else ():
            part_words = tuple(word for word in words(part) if word not in STOPWORDS)
            if part_words and part_words != whole:
                entities.append(_Entity(part_words, scenes, PART_LOCATION_BOOST))
    return entities


def _chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` words, cut between paragraphs where possible.

    A paragraph that fits in a piece of its own never straddles two; a longer one fills the
    current piece and goes on in the next.
    """
    pieces: list[str] = []
    current: list[str] = []
    count = 0

    def flush() -> None:
        nonlocal current, count
        if current:
            pieces.append("\n\n".join(current))
        current, count = [], 0

    for paragraph in re.split(r"\n\s*\n", text):
        paragraph_words = paragraph.split()
        if not paragraph_words:
            continue
        if count and count + len(paragraph_words) > size >= len(paragraph_words):
            flush()
        if count + len(paragraph_words) <= size:
            current.append(paragraph.strip())
            count += len(paragraph_words)
            continue
        while count + len(paragraph_words) > size:
            take = size - count
            current.append(" ".join(paragraph_words[:take]))
            flush()
            paragraph_words = paragraph_words[take:]
        if paragraph_words:
            current.append(" ".join(paragraph_words))
            count += len(paragraph_words)
    flush()
    return pieces


def _page_passages(document: Document) -> list[Passage]:
    passages = []
    for page in document.pages:
        for piece in _chunks(page.text, PASSAGE_WORDS):
            passages.append(Passage(None, page.label, f"Page {page.label}", piece))
    if not passages and document.text.strip():  # no pages at all: the whole text, unpaged
        passages = [
            Passage(None, None, "", piece) for piece in _chunks(document.text, PASSAGE_WORDS)
        ]
    return passages


def _render_one(passage: Passage) -> str:
    return f"[{passage.citation[1:-1]}]\n{passage.text}"


def render_passages(passages: Sequence[Passage]) -> str:
    """The passages as one prompt block, each opened by its citation in square brackets."""
    return _SEPARATOR.join(_render_one(passage) for passage in passages)


def search(
    index: SceneIndex,
    question: str,
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[Passage]:
    """The best passages for ``question`` whose :func:`render_passages` block fits the budget.

    Passages are taken best first (a passage too long for what is left is passed over for
    shorter ones) and returned in document order, each with its score. Passages scoring 0
    (no word of the question, no name) are never returned.
    """
    scores = index.scores(question)
    ranked = sorted((i for i, score in enumerate(scores) if score > 0), key=lambda i: -scores[i])
    separator = count_tokens(_SEPARATOR) if len(ranked) > 1 else 0
    chosen: list[int] = []
    used = 0
    for i in ranked:
        cost = count_tokens(_render_one(index.passages[i])) + (separator if chosen else 0)
        if used + cost <= budget_tokens:
            chosen.append(i)
            used += cost
    # Token counts of pieces need not add up exactly: check the whole, dropping the weakest.
    while chosen and count_tokens(render_passages([index.passages[i] for i in sorted(chosen)])) > (
        budget_tokens
    ):
        chosen.pop()
    return [
        Passage(p.scene, p.page, p.heading, p.text, scores[i])
        for i in sorted(chosen)
        for p in (index.passages[i],)
    ]
