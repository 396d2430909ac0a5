"""Script facts as text: a compact block for prompts, Markdown for reports, JSON-ready data.

All three are written by Logline from :class:`ScriptFacts`, never by a model. The prompt block
leaves out what differs between formats of the same script (page counts and labels), so a
Fountain file and its PDF give the model the same facts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .model import CharacterFacts, ScriptFacts

DEFAULT_PROMPT_CAST = 15
DEFAULT_PROMPT_LOCATIONS = 6
DEFAULT_REPORT_CAST = 12
DEFAULT_REPORT_LOCATIONS = 5
_PAGE_SOURCES = {"printed": "printed", "breaks": "page breaks", "estimated": "estimated"}


def _named(character: CharacterFacts) -> str:
    if not character.aliases:
        return character.name
    return f"{character.name} (also {', '.join(character.aliases)})"


def facts_prompt(
    facts: ScriptFacts,
    *,
    max_cast: int = DEFAULT_PROMPT_CAST,
    max_locations: int = DEFAULT_PROMPT_LOCATIONS,
) -> str:
    """A short plain-text block the model reads as ground truth (no page numbers)."""
    lines = ["Facts from the script (true; do not contradict them):", f"Title: {facts.title}"]
    if facts.writers:
        lines.append(f"Writers: {', '.join(facts.writers)}")
    if not facts.is_screenplay:
        lines.append(f"Pages: {facts.pages}")
        return "\n".join(lines)
    lines.append(f"Scenes: {facts.scene_count}")
    cast = facts.characters[: max(0, max_cast)]
    if cast:
        names = ", ".join(_named(character) for character in cast)
        rest = len(facts.characters) - len(cast)
        more = f"; {rest} minor speaking parts" if rest > 0 else ""
        lines.append(f"Characters (use only these names): {names}{more}")
    places = facts.locations[: max(0, max_locations)]
    if places:
        lines.append(f"Main locations: {', '.join(place.name for place in places)}")
    if facts.sections:
        lines.append(f"Acts: {', '.join(section.title for section in facts.sections)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def citation(scene: int | None, page: str | None) -> str:
    """``"Sc. 3, p. 2"``, ``"Sc. 3"``, ``"p. 2"`` or ``"—"``."""
    parts = ([f"Sc. {scene}"] if scene is not None else []) + ([f"p. {page}"] if page else [])
    return ", ".join(parts) or "—"


def _split(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{label} {count}" for label, count in pairs if count)


def facts_header(facts: ScriptFacts, *, max_locations: int = DEFAULT_REPORT_LOCATIONS) -> str:
    """The report's header block: one Markdown bullet per fact the script states."""
    rows = [("Title", facts.title)]
    rows.append(("Writers", ", ".join(facts.writers)))
    rows.append(("Source", facts.source))
    rows.append(("Draft date", facts.draft_date))
    rows.append(("Pages", f"{facts.pages} ({_PAGE_SOURCES[facts.page_source]})"))
    rows.append(("Words", f"{facts.words:,}"))
    if facts.is_screenplay:
        split = facts.int_ext
        where = _split(
            [
                ("INT.", split.interior),
                ("EXT.", split.exterior),
                ("INT./EXT.", split.both),
                ("other", split.other),
            ]
        )
        rows.append(("Scenes", f"{facts.scene_count}" + (f" ({where})" if where else "")))
        time = facts.day_night
        when = _split([("day", time.day), ("night", time.night), ("other", time.other)])
        rows.append(("Day/night", when))
        rows.append(("Speaking characters", str(len(facts.characters))))
        places = facts.locations[: max(0, max_locations)]
        rows.append(("Top locations", ", ".join(f"{p.name} ({p.scene_count})" for p in places)))
        rows.append(
            (
                "Acts",
                ", ".join(f"{s.title} ({citation(s.first_scene, s.page)})" for s in facts.sections),
            )
        )
    return "\n".join(f"- {label}: {value}" for label, value in rows if value)


def character_table(facts: ScriptFacts, *, max_cast: int = DEFAULT_REPORT_CAST) -> str:
    """A Markdown table of the top speaking characters ("" when there are none)."""
    cast = facts.characters[: max(0, max_cast)]
    if not cast:
        return ""
    lines = [
        "| Character | Speeches | Words | Scenes | First appearance |",
        "|:--|--:|--:|--:|:--|",
    ]
    for character in cast:
        first = citation(character.first_scene, character.first_page)
        lines.append(
            f"| {_cell(_named(character))} | {character.speeches:,} | {character.words:,} "
            f"| {character.scene_count:,} | {first} |"
        )
    rest = len(facts.characters) - len(cast)
    if rest > 0:
        lines.append("")
        lines.append(f"{rest} more speaking characters.")
    return "\n".join(lines)


def facts_report(
    facts: ScriptFacts,
    *,
    max_cast: int = DEFAULT_REPORT_CAST,
    max_locations: int = DEFAULT_REPORT_LOCATIONS,
) -> str:
    """Markdown for the top of a report: the header block, then the character table."""
    parts = [facts_header(facts, max_locations=max_locations)]
    table = character_table(facts, max_cast=max_cast)
    if table:
        parts.append(table)
    return "\n\n".join(parts)


def facts_json(facts: ScriptFacts) -> dict[str, Any]:
    """Every fact as JSON-ready data (lists, not tuples; derived counts spelled out)."""
    return {
        "kind": facts.kind,
        "format": facts.format,
        "title": facts.title,
        "writers": list(facts.writers),
        "source": facts.source,
        "draft_date": facts.draft_date,
        "pages": facts.pages,
        "page_source": facts.page_source,
        "words": facts.words,
        "scene_count": facts.scene_count,
        "int_ext": asdict(facts.int_ext),
        "day_night": asdict(facts.day_night),
        "locations": [
            {"name": p.name, "scene_count": p.scene_count, "scenes": list(p.scenes)}
            for p in facts.locations
        ],
        "characters": [
            {
                "name": c.name,
                "aliases": list(c.aliases),
                "speeches": c.speeches,
                "words": c.words,
                "scene_count": c.scene_count,
                "first_scene": c.first_scene,
                "last_scene": c.last_scene,
                "first_page": c.first_page,
                "scenes": list(c.scenes),
            }
            for c in facts.characters
        ],
        "sections": [asdict(section) for section in facts.sections],
    }
