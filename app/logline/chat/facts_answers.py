"""Parser questions answered from the script facts, exactly, with citations.

Some questions have one true answer the parser already knows: "how many scenes", "who speaks the
most", "which scenes is Edward in", "list the locations". A model would guess them;
:func:`answer_from_facts` answers them from :class:`ScriptFacts` instead and returns ``None`` for
everything else ("why does Edward leave?"), so the question goes to the model. Recognition is
deliberately conservative: a question is taken only when its whole shape matches one of the
patterns below.

Scenes are cited ``(Sc. N, p. P)`` when the caller passes each scene's page label
(:func:`scene_pages`), else ``(Sc. N)``; long lists end "… and N more", counts are always exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from logline.documents import Document
from logline.documents.facts import CharacterFacts, LocationFacts, ScriptFacts, citation

MAX_LISTED = 12  # scenes, characters or locations listed before "… and N more"
# An unknown "name" opening with one of these is a thing ("where does the money appear?"):
# the model answers it, not the parser.
_NOT_A_PERSON_START = frozenset(
    {"a", "an", "the", "this", "that", "his", "her", "their", "its", "my", "our", "your", "it"}
)


@dataclass(frozen=True)
class FactAnswer:
    """An answer from the facts: Markdown ``text`` and the ``kind`` of question it answers.

    Kinds: ``scene_count``, ``page_count``, ``character_count``, ``top_speakers``,
    ``character_list``, ``character_scenes``, ``character_first``, ``unknown_character``,
    ``location_list``, ``location_count``, ``location_scenes``, ``setting_count``, ``writers``,
    ``not_a_screenplay``.
    """

    text: str
    kind: str


def scene_pages(document: Document) -> dict[int, str | None]:
    """Each scene's first page label, by scene number (for citations)."""
    return {scene.number: document.page_label(scene.page_start) for scene in document.scenes}


# --- question shapes ------------------------------------------------------------------------
_END = r"\s*(?:in (?:the|this) (?:script|screenplay|film|movie|story))?\s*[?.!]*\s*$"
_IT = r"(?:it|this|the (?:script|screenplay|film|movie|story)|this (?:script|screenplay|film))"
_SCENE_COUNT = re.compile(
    rf"^(?:how many scenes(?: (?:are there|are|does {_IT} have|in {_IT}))?"
    rf"|(?:what is )?the (?:number of scenes|scene count)){_END}"
)
_PAGE_COUNT = re.compile(
    rf"^(?:how many pages(?: (?:are there|does {_IT} have|is {_IT}|long))?"
    rf"|how long is {_IT}|(?:what is )?the (?:number of pages|page count))"
    rf"{_END}"
)
_CHARACTER_COUNT = re.compile(
    rf"^(?:how many (?:speaking )?(?:characters|speaking parts|speaking roles|roles|parts)"
    rf"(?: (?:are there|does {_IT} have|speak))?|(?:what is )?the number of (?:speaking )?"
    rf"(?:characters|speaking parts)){_END}"
)
_TOP = re.compile(
    r"^(?:who (?:speaks|talks) (?:the )?most|who has the most (?:lines|dialogue|dialog|speeches|"
    r"words)|who (?:speaks|talks) the most lines|which characters? (?:speaks?|talks?|has|have) "
    r"the most(?: (?:lines|dialogue|dialog|speeches|words))?|who are the (?:top|main) speakers|"
    rf"(?:rank|list) the characters by (?:lines|dialogue|speeches|words)){_END}"
)
_CHARACTER_LIST = re.compile(
    rf"^(?:who are the (?:speaking )?characters|list (?:all )?the (?:speaking )?characters|"
    rf"(?:list (?:all )?the )?speaking parts|what characters are there){_END}"
)
_LOCATION_LIST = re.compile(
    rf"^(?:(?:list|what are|which are) (?:all )?the (?:main )?(?:locations|settings|places)|"
    rf"what (?:locations|settings|places) (?:are there|does {_IT} use)|"
    rf"where (?:is {_IT} set|does {_IT} take place|is {_IT} located)){_END}"
)
_LOCATION_COUNT = re.compile(
    rf"^how many (?:different )?(?:locations|settings|places)"
    rf"(?: (?:are there|does {_IT} have|does {_IT} use))?{_END}"
)
_SETTING_COUNT = re.compile(
    rf"^how many (night|day|daytime|nighttime|interior|exterior|int\.?|ext\.?) scenes"
    rf"(?: (?:are there|does {_IT} have))?{_END}"
)
_WRITERS = re.compile(
    rf"^(?:who (?:wrote|is the (?:writer|author) of|are the (?:writers|authors) of) {_IT}|"
    rf"who (?:is|are) the (?:writers?|authors?|screenwriters?)|who wrote {_IT}|"
    rf"who wrote it|written by whom|who is {_IT} (?:written )?by){_END}"
)
_NAME = r"(?P<name>[\w .'’-]+?)"
_CHARACTER_SCENES = [
    re.compile(
        rf"^(?:in )?(?:which|what) scenes (?:is|does) {_NAME} (?:in|appear(?: in)?|"
        rf"speak(?: in)?|show up(?: in)?){_END}"
    ),
    re.compile(rf"^(?:in )?(?:which|what) scenes (?:has|have) {_NAME} (?:in it|lines){_END}"),
    re.compile(rf"^where does {_NAME} (?:appear|speak|show up){_END}"),
    re.compile(rf"^how many scenes (?:is|does) {_NAME} (?:in|appear in|speak in){_END}"),
    re.compile(rf"^(?:list )?{_NAME}(?:'s|’s) scenes{_END}"),
]
_CHARACTER_FIRST = [
    re.compile(rf"^when does {_NAME} first (?:appear|speak|show up){_END}"),
    re.compile(
        rf"^(?:when|where) (?:is|does) {_NAME} (?:first (?:seen|appear|introduced)|"
        rf"introduced){_END}"
    ),
    re.compile(rf"^(?:what is |where is )?{_NAME}(?:'s|’s) first (?:scene|appearance|line){_END}"),
    re.compile(rf"^(?:what is |where is )?the first (?:scene|appearance) of {_NAME}{_END}"),
]
_LOCATION_SCENES = re.compile(
    rf"^(?:which|what) scenes (?:are|take place|happen|are set) (?:set )?(?:at|in) {_NAME}{_END}"
)


# --- helpers ----------------------------------------------------------------------------------
def _normalise(question: str) -> str:
    text = question.strip().lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def _cite(number: int, pages: Mapping[int, str | None] | None, page: str | None = None) -> str:
    return f"({citation(number, page if page is not None else (pages or {}).get(number))})"


def _scene_list(numbers: Sequence[int], pages: Mapping[int, str | None] | None) -> str:
    shown = [_cite(number, pages) for number in numbers[:MAX_LISTED]]
    rest = len(numbers) - len(shown)
    return ", ".join(shown) + (f" … and {rest} more" if rest > 0 else "")


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count:,} {word}" + ("es" if word.endswith(("ch", "sh", "s")) else "s")


def find_character(facts: ScriptFacts, name: str) -> CharacterFacts | None:
    """The speaking character ``name`` means: any alias, any case, possessive allowed.

    An exact name or alias wins; else the one character (most speeches first) whose name
    contains every word of ``name`` ("Bloom" for "EDWARD BLOOM").
    """
    key = " ".join(re.sub(r"['’]s?$", "", name.strip()).upper().split())
    key = re.sub(r"^THE ", "", key)
    if not key:
        return None
    for character in facts.characters:
        if key in character.names or f"THE {key}" in character.names:
            return character
    wanted = set(key.split())
    for character in facts.characters:  # ranked: the most speeches first
        if any(wanted <= set(alias.split()) for alias in character.names):
            return character
    return None


def find_locations(facts: ScriptFacts, name: str) -> list[LocationFacts]:
    """The locations ``name`` means: the exact one first, then every one whose name contains it
    as whole words ("the river" finds ``RIVER``, ``BY THE RIVER`` and ``RIVER - BANK``)."""
    key = " ".join(re.sub(r"^the ", "", name.strip().lower()).upper().split())
    if not key:
        return []
    pattern = re.compile(rf"\b{re.escape(key)}\b")
    exact = [location for location in facts.locations if location.name == key]
    return exact + [
        location
        for location in facts.locations
        if location.name != key and pattern.search(location.name)
    ]


# --- answers ----------------------------------------------------------------------------------
Answerer = Callable[[str, ScriptFacts, Mapping[int, str | None] | None], FactAnswer | None]


def _top_speakers(facts: ScriptFacts, count: int = 5) -> FactAnswer:
    if not facts.characters:
        return FactAnswer("The parser found no speaking characters in this script.", "top_speakers")
    top = facts.characters[0]
    lines = [
        f"**{top.name}** speaks the most: {_plural(top.speeches, 'speech')}, "
        f"{_plural(top.words, 'word')} of dialogue, in {_plural(top.scene_count, 'scene')}.",
        "",
    ]
    for rank, character in enumerate(facts.characters[:count], 1):
        lines.append(
            f"{rank}. {character.name} — {_plural(character.speeches, 'speech')}, "
            f"{_plural(character.words, 'word')}"
        )
    return FactAnswer("\n".join(lines), "top_speakers")


def _character_list(facts: ScriptFacts) -> FactAnswer:
    cast = facts.characters
    names = ", ".join(f"{c.name} ({_plural(c.speeches, 'speech')})" for c in cast[:MAX_LISTED])
    rest = len(cast) - MAX_LISTED
    more = f" … and {rest} more" if rest > 0 else ""
    text = f"The script has {_plural(len(cast), 'speaking character')}: {names}{more}."
    return FactAnswer(text, "character_list")


def _unknown(name: str, question: str) -> FactAnswer | None:
    """No such character, named as the question wrote it; ``None`` when the words do not read
    as a person's name (an article first, or more than four words)."""
    parts = name.split()
    if not parts or parts[0] in _NOT_A_PERSON_START or len(parts) > 4:
        return None
    asked = " ".join(question.replace("’", "'").replace("‘", "'").split())
    found = re.search(re.escape(name.strip(" ?.'")), asked, re.IGNORECASE)
    shown = found.group(0) if found else name.strip(" ?.'")
    return FactAnswer(
        f"The script has no speaking character named **{shown}** (the parser knows only "
        "characters who have dialogue).",
        "unknown_character",
    )


def _character_scenes(
    character: CharacterFacts, pages: Mapping[int, str | None] | None
) -> FactAnswer:
    names = f" (also {', '.join(character.aliases)})" if character.aliases else ""
    text = (
        f"**{character.name}**{names} speaks in {_plural(character.scene_count, 'scene')}: "
        f"{_scene_list(character.scenes, pages)}."
    )
    return FactAnswer(text, "character_scenes")


def _character_first(
    character: CharacterFacts, pages: Mapping[int, str | None] | None
) -> FactAnswer:
    if character.first_scene is None:
        return FactAnswer(f"**{character.name}** speaks in no numbered scene.", "character_first")
    page = character.first_page
    first = _cite(character.first_scene, pages, page)
    return FactAnswer(f"**{character.name}** first speaks in {first}.", "character_first")


def _locations(facts: ScriptFacts, kind: str) -> FactAnswer:
    places = facts.locations
    listed = ", ".join(f"{p.name} ({_plural(p.scene_count, 'scene')})" for p in places[:MAX_LISTED])
    rest = len(places) - MAX_LISTED
    more = f" … and {rest} more" if rest > 0 else ""
    text = f"The script has {_plural(len(places), 'location')}"
    return FactAnswer(f"{text}: {listed}{more}." if places else f"{text}.", kind)


def _location_scenes(
    locations: Sequence[LocationFacts], pages: Mapping[int, str | None] | None
) -> FactAnswer:
    scenes = sorted({number for location in locations for number in location.scenes})
    names = ", ".join(f"**{location.name}**" for location in locations)
    verb = "is" if len(scenes) == 1 else "are"
    text = f"{_plural(len(scenes), 'scene')} {verb} set at {names}: {_scene_list(scenes, pages)}."
    return FactAnswer(text, "location_scenes")


def _setting_count(which: str, facts: ScriptFacts) -> FactAnswer:
    which = which.rstrip(".")
    count = {
        "night": facts.day_night.night,
        "nighttime": facts.day_night.night,
        "day": facts.day_night.day,
        "daytime": facts.day_night.day,
        "interior": facts.int_ext.interior,
        "int": facts.int_ext.interior,
        "exterior": facts.int_ext.exterior,
        "ext": facts.int_ext.exterior,
    }[which]
    label = {"nighttime": "night", "daytime": "day", "int": "interior", "ext": "exterior"}
    word = label.get(which, which)
    note = ""
    if word in ("interior", "exterior") and facts.int_ext.both:
        note = f" ({_plural(facts.int_ext.both, 'more scene')} marked INT./EXT.)"
    return FactAnswer(
        f"{_plural(count, f'{word} scene')} of {facts.scene_count:,}{note}.", "setting_count"
    )


def _writers(facts: ScriptFacts) -> FactAnswer:
    if not facts.writers:
        return FactAnswer("The script's title page names no writer.", "writers")
    return FactAnswer(f"Written by {', '.join(facts.writers)} (from the title page).", "writers")


def _match_name(patterns: Sequence[re.Pattern[str]], question: str) -> str | None:
    for pattern in patterns:
        match = pattern.match(question)
        if match:
            return match.group("name")
    return None


def answer_from_facts(
    question: str,
    facts: ScriptFacts,
    *,
    scene_pages: Mapping[int, str | None] | None = None,
) -> FactAnswer | None:
    """The answer to ``question`` from ``facts``, or ``None`` when it is not a parser question.

    ``scene_pages`` (from :func:`scene_pages`) gives each scene's page label for citations.
    """
    q = _normalise(question)
    if _PAGE_COUNT.match(q):
        return FactAnswer(f"The script is {_plural(facts.pages, 'page')} long.", "page_count")
    if _WRITERS.match(q):
        return _writers(facts)
    screenplay_only = (
        _SCENE_COUNT, _CHARACTER_COUNT, _TOP, _CHARACTER_LIST, _LOCATION_LIST, _LOCATION_COUNT,
        _SETTING_COUNT, _LOCATION_SCENES, *_CHARACTER_SCENES, *_CHARACTER_FIRST,
    )  # fmt: skip
    if not facts.is_screenplay:
        if any(pattern.match(q) for pattern in screenplay_only):
            text = "This document is not a screenplay: it has no scenes or characters."
            return FactAnswer(text, "not_a_screenplay")
        return None
    if _SCENE_COUNT.match(q):
        return FactAnswer(f"The script has {_plural(facts.scene_count, 'scene')}.", "scene_count")
    if _CHARACTER_COUNT.match(q):
        count = len(facts.characters)
        text = f"The script has {_plural(count, 'speaking character')}."
        return FactAnswer(text, "character_count")
    if _TOP.match(q):
        return _top_speakers(facts)
    if _CHARACTER_LIST.match(q):
        return _character_list(facts)
    if _LOCATION_COUNT.match(q):
        return _locations(facts, "location_count")
    if _LOCATION_LIST.match(q):
        return _locations(facts, "location_list")
    setting = _SETTING_COUNT.match(q)
    if setting:
        return _setting_count(setting.group(1), facts)
    place = _LOCATION_SCENES.match(q)
    if place:
        locations = find_locations(facts, place.group("name"))
        if locations:
            return _location_scenes(locations, scene_pages)
        return None  # "which scenes are in Act 2": not a location the parser knows
    name = _match_name(_CHARACTER_FIRST, q)
    if name is not None:
        character = find_character(facts, name)
        return _character_first(character, scene_pages) if character else _unknown(name, question)
    name = _match_name(_CHARACTER_SCENES, q)
    if name is not None:
        character = find_character(facts, name)
        return _character_scenes(character, scene_pages) if character else _unknown(name, question)
    return None
