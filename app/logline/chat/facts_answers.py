"""Questions the parser answers exactly, answered from the script facts, never guessed.

"How many scenes are there?", "Who speaks the most?", "Which scenes is Edward in?", "List the
locations", "How many night scenes?", "Who wrote it?": a small model guesses these badly, and the
parser knows them. ``answer_from_facts`` recognises such a question (conservatively: anything
that asks why or how a story goes is left to the model) and writes a short Markdown answer with
citations in the summaries' format, ``(Sc. N, p. P)``. The counts are the ones ``logline
inspect`` prints, from the same ``ScriptFacts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from logline.documents.facts import CharacterFacts, ScriptFacts, script_facts
from logline.documents.model import Document

LIST_LIMIT = 12  # scenes or locations listed before "… and N more"
RANKING = 5


@dataclass(frozen=True)
class FactAnswer:
    text: str
    kind: str  # which question: "scene_count", "speakers", "character_scenes", …


def _norm(question: str) -> str:
    text = question.lower().replace("’", "'")
    return re.sub(r"\s+", " ", re.sub(r"[?!.]+$", "", text.strip()))


# Questions about how or why the story goes are the model's, whatever else they mention.
_OPEN = re.compile(r"\b(why|how does|how do|how did|what happens|explain|describe|summar)")


def _cite(document: Document, scene_number: int) -> str:
    scene = next((s for s in document.scenes if s.number == scene_number), None)
    page = document.page_label(scene.page_start) if scene is not None else None
    return f"(Sc. {scene_number}, p. {page})" if page else f"(Sc. {scene_number})"


def _scene_list(document: Document, scenes: tuple[int, ...]) -> str:
    shown = ", ".join(_cite(document, n).strip("()") for n in scenes[:LIST_LIMIT])
    more = len(scenes) - LIST_LIMIT
    return f"({shown}{f'; … and {more} more' if more > 0 else ''})"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def find_character(question: str, facts: ScriptFacts) -> CharacterFacts | None:
    """The speaking character the question names (any alias, any case, possessive)."""
    text = _norm(question)
    best: tuple[int, CharacterFacts] | None = None
    for character in facts.characters:
        for name in character.names:
            pattern = r"(?<![\w])" + re.escape(name.lower()) + r"(?:'s)?(?![\w])"
            if re.search(pattern, text) and (best is None or len(name) > best[0]):
                best = (len(name), character)
    return best[1] if best else None


def _named_after(question: str, lead: str) -> str:
    """The name a question asks about after ``lead`` ("which scenes is Zed in" → "Zed")."""
    match = re.search(
        lead + r"\s+([A-Za-z][\w'. -]{0,40}?)(?:\s+(?:in|appear|show|speak)\b|$)", question
    )
    return match.group(1).strip() if match else ""


def _scene_count(document: Document, facts: ScriptFacts, _q: str) -> str:
    return f"The script has **{_plural(facts.scene_count, 'scene')}** (counted by the parser)."


def _page_count(document: Document, facts: ScriptFacts, _q: str) -> str:
    source = {"printed": "", "breaks": "", "estimated": " (estimated at a standard page)"}
    return f"The script runs **{_plural(facts.pages, 'page')}**{source[facts.page_source]}."


def _character_count(document: Document, facts: ScriptFacts, _q: str) -> str:
    return (
        f"The script has **{_plural(len(facts.characters), 'speaking character')}** "
        "(people with at least one line of dialogue)."
    )


def _speakers(document: Document, facts: ScriptFacts, _q: str) -> str:
    ranked = sorted(facts.characters, key=lambda c: (-c.speeches, -c.words, c.name))[:RANKING]
    if not ranked:
        return "The script has no dialogue, so no one speaks."
    lines = ["Most lines of dialogue (speeches, then words):", ""]
    for n, c in enumerate(ranked, start=1):
        first = f", first {_cite(document, c.first_scene)}" if c.first_scene else ""
        lines.append(
            f"{n}. **{c.name}**: {_plural(c.speeches, 'speech')}, {_plural(c.words, 'word')}, "
            f"in {_plural(c.scene_count, 'scene')}{first}"
        )
    return "\n".join(lines)


def _character_scenes(document: Document, facts: ScriptFacts, question: str) -> str:
    character = find_character(question, facts)
    if character is None:
        name = _named_after(question, r"(?:is|does|did)") or "that name"
        return (
            f"The script has no speaking character called {name}. Speaking characters: "
            + ", ".join(c.name for c in facts.characters[:LIST_LIMIT])
            + ("…" if len(facts.characters) > LIST_LIMIT else "")
            + "."
        )
    scenes = character.scenes
    aka = f" (also {', '.join(character.aliases)})" if character.aliases else ""
    return (
        f"**{character.name}**{aka} speaks in {_plural(len(scenes), 'scene')} "
        f"{_scene_list(document, scenes)}; first in {_cite(document, scenes[0])}, "
        f"last in {_cite(document, scenes[-1])}."
    )


def _locations(document: Document, facts: ScriptFacts, _q: str) -> str:
    places = facts.locations
    if not places:
        return "The script's scene headings name no locations."
    lines = [f"The script has **{_plural(len(places), 'location')}**, most scenes first:", ""]
    for place in places[:LIST_LIMIT]:
        lines.append(
            f"- **{place.name}**: {_plural(place.scene_count, 'scene')} "
            f"{_scene_list(document, place.scenes[:3])}"
        )
    if len(places) > LIST_LIMIT:
        lines.append(f"- … and {len(places) - LIST_LIMIT} more")
    return "\n".join(lines)


def _split_count(document: Document, facts: ScriptFacts, question: str) -> str:
    text = _norm(question)
    pairs = {
        "night": ("night", facts.day_night.night),
        "day": ("day", facts.day_night.day),
        "interior": ("interior (INT.)", facts.int_ext.interior),
        "int.": ("interior (INT.)", facts.int_ext.interior),
        "exterior": ("exterior (EXT.)", facts.int_ext.exterior),
        "ext.": ("exterior (EXT.)", facts.int_ext.exterior),
    }
    for word, (label, count) in pairs.items():
        if word in text:
            return f"The script has **{count:,} {label} scenes** of {facts.scene_count:,}."
    return _scene_count(document, facts, question)


def _writers(document: Document, facts: ScriptFacts, _q: str) -> str:
    if not facts.writers:
        return "The title page names no writer."
    return f"Written by **{', '.join(facts.writers)}** (from the title page)."


Answerer = Callable[[Document, ScriptFacts, str], str]
# (kind, pattern, answerer): the first pattern that matches wins; order matters.
_RULES: tuple[tuple[str, re.Pattern[str], Answerer], ...] = (
    (
        "split_count",
        re.compile(r"how many (night|day|interior|exterior|int\.|ext\.)"),
        _split_count,
    ),
    ("scene_count", re.compile(r"how many scenes|number of scenes|scene count"), _scene_count),
    (
        "page_count",
        re.compile(r"how many pages|how long is (it|the script)|page count"),
        _page_count,
    ),
    (
        "character_count",
        re.compile(r"how many (speaking )?(characters|speaking parts|roles|people speak)"),
        _character_count,
    ),
    (
        "speakers",
        re.compile(
            r"who (speaks|talks) (the )?most|most (lines|dialogue|speeches)|"
            r"biggest (part|role)|largest (part|role)|who has the most"
        ),
        _speakers,
    ),
    (
        "character_scenes",
        re.compile(
            r"(which|what) scenes? (is|does|are) .+ (in|appear)|where does .+ appear|"
            r"when does .+ (first )?appear|scenes (with|featuring) "
        ),
        _character_scenes,
    ),
    (
        "locations",
        re.compile(
            r"(list|what are|which are) (all )?(the )?locations|how many locations|"
            r"where is (it|the (script|story|film|movie)) set|^locations$"
        ),
        _locations,
    ),
    ("writers", re.compile(r"who (wrote|is the writer|are the writers)|who is it by"), _writers),
)


def answer_from_facts(
    question: str, document: Document, facts: ScriptFacts | None = None
) -> FactAnswer | None:
    """The exact answer to a parser question, or ``None`` for a question the model answers."""
    if not document.is_screenplay:
        return None
    text = _norm(question)
    if not text or _OPEN.search(text):
        return None
    facts = facts or script_facts(document)
    for kind, pattern, answer in _RULES:
        if pattern.search(text):
            return FactAnswer(answer(document, facts, question), kind)
    return None
