"""Script facts: what the parser knows about a document, for prompts, reports and ``inspect``.

``script_facts(document)`` counts them; ``facts_prompt``, ``facts_report`` and ``facts_json``
render them. Nothing here calls a model.
"""

from .build import script_facts, writers
from .model import (
    CharacterFacts,
    DayNightSplit,
    IntExtSplit,
    LocationFacts,
    ScriptFacts,
    SectionFacts,
)
from .names import aliases, cue_name
from .render import character_table, citation, facts_header, facts_json, facts_prompt, facts_report
from .settings import day_or_night, scene_setting

__all__ = [
    "CharacterFacts",
    "DayNightSplit",
    "IntExtSplit",
    "LocationFacts",
    "ScriptFacts",
    "SectionFacts",
    "aliases",
    "character_table",
    "citation",
    "cue_name",
    "day_or_night",
    "facts_header",
    "facts_json",
    "facts_prompt",
    "facts_report",
    "scene_setting",
    "script_facts",
    "writers",
]
