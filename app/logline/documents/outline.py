"""A document's structure as plain data (for ``logline inspect --json``) and as a short report.

Both carry the document's :mod:`script facts <logline.documents.facts>`, rendered by the same
functions the reports use, so ``inspect`` and a report never disagree.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .facts import facts_json, facts_report, script_facts
from .model import Document


def outline(document: Document, *, elements: bool = False) -> dict[str, Any]:
    """The structure of ``document`` as JSON-ready data; page numbers are the printed labels.

    ``elements=True`` adds every element (type, text, page label, scene number, extension, dual).
    """
    data: dict[str, Any] = {
        "path": str(document.path),
        "format": document.format,
        "kind": document.kind,
        "title": document.title,
        "title_page": document.title_page,
        "words": document.word_count,
        "pages": {
            "count": len(document.pages),
            "source": document.page_source,
            "labels": [page.label for page in document.pages],
        },
        "scenes": [
            {
                "number": scene.number,
                "label": scene.scene_number_label,
                "heading": scene.heading,
                "int_ext": scene.int_ext,
                "location": scene.location,
                "time_of_day": scene.time_of_day,
                "page_start": document.page_label(scene.page_start),
                "page_end": document.page_label(scene.page_end),
            }
            for scene in document.scenes
        ],
        "characters": [asdict(character) for character in document.characters],
        "facts": facts_json(script_facts(document)),
        "notices": list(document.notices),  # e.g. hidden PDF text left out
    }
    for character in data["characters"]:
        character["scenes"] = list(character["scenes"])
    if elements:
        data["elements"] = [
            {
                "type": element.type.value,
                "text": element.text,
                "page": document.page_label(element.page),
                **({"scene_number": element.scene_number} if element.scene_number else {}),
                **({"extension": element.extension} if element.extension else {}),
                **({"dual": True} if element.dual else {}),
                **({"depth": element.depth} if element.depth else {}),
            }
            for element in document.elements
        ]
    return data


def outline_report(document: Document, *, scenes: int = 0) -> str:
    """What a person reads: the title page as written, then the script facts, then scenes.

    The facts block is :func:`~logline.documents.facts.facts_report` (Markdown, also the top of
    Logline's reports). ``scenes`` lists that many scene headings with their pages (0: none,
    -1: all).
    """
    lines = [f"{document.title}  ({document.format}, {document.kind})"]
    for key, value in document.title_page.items():
        if key != "raw" and value:
            lines.append(f"  {key}: {' / '.join(value.splitlines())}")
    lines += ["", facts_report(script_facts(document))]
    if not document.is_screenplay:
        lines.append(f"- Paragraphs: {len(document.elements)}")
    lines += [f"\nNote: {notice}" for notice in document.notices]
    shown = document.scenes if scenes < 0 else document.scenes[:scenes]
    if shown:
        lines += ["", "Scenes:"]
    for scene in shown:
        label = f"{scene.scene_number_label:>5} " if scene.scene_number_label else ""
        start = document.page_label(scene.page_start) or "?"
        lines.append(f"  {scene.number:4}. {label}p. {start:>4}  {scene.heading}")
    return "\n".join(lines)
