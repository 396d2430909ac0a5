"""A document's structure as plain data (for ``logline inspect --json``) and as a short report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

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


def outline_report(document: Document, *, top_characters: int = 10, scenes: int = 0) -> str:
    """A few lines a person reads: title, pages, scene and character counts, top characters.

    ``scenes`` lists that many scene headings with their pages (0: none, -1: all).
    """
    lines = [f"{document.title}  ({document.format}, {document.kind})"]
    for key, value in document.title_page.items():
        if key != "raw" and value:
            lines.append(f"  {key}: {' / '.join(value.splitlines())}")
    pages = len(document.pages)
    estimate = " (estimated)" if document.page_source == "estimated" else ""
    lines.append(f"Pages: {pages}{estimate}   Words: {document.word_count:,}")
    if document.is_screenplay:
        lines.append(
            f"Scenes: {len(document.scenes)}   Speaking characters: {len(document.characters)}"
        )
        if document.characters:
            lines.append("Top characters (speeches, words, scenes):")
            for character in document.characters[:top_characters]:
                lines.append(
                    f"  {character.name:24} {character.speeches:5} {character.words:7,} "
                    f"{len(character.scenes):5}"
                )
        shown = document.scenes if scenes < 0 else document.scenes[:scenes]
        if shown:
            lines.append("Scenes:")
        for scene in shown:
            label = f"{scene.scene_number_label:>5} " if scene.scene_number_label else ""
            start = document.page_label(scene.page_start) or "?"
            lines.append(f"  {scene.number:4}. {label}p. {start:>4}  {scene.heading}")
    else:
        lines.append(f"Paragraphs: {len(document.elements)}")
    return "\n".join(lines)
