"""Assemble a :class:`Document` from a parser's elements: pages, scenes, characters, text.

Every reader ends here, so a Fountain file, its Final Draft twin and its PDF become documents with
the same shape and differ only where the sources differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from .elements import Element, ElementType, Scene, build_scenes
from .model import Character, Document, DocumentFormat, Page, PageSource
from .paginate import estimate_pages
from .render import render_elements
from .titles import screenplay_title

_CUE_BODY = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})


def character_key(name: str) -> str:
    """The identity of a speaking character: upper case, single spaces, no trailing ``:``."""
    return " ".join(name.upper().split()).rstrip(":").strip()


def build_characters(elements: Sequence[Element], scenes: Sequence[Scene]) -> list[Character]:
    """Speaking characters, most speeches first (then by name).

    A speech is one cue; its words are those of the dialogue and lyrics (not the
    parentheticals) that follow it. A scene counts for a character when the character has a
    cue in it.
    """
    scene_of: dict[int, int] = {}
    for scene in scenes:
        for index in range(scene.first_element, scene.last_element + 1):
            scene_of[index] = scene.number
    speeches: dict[str, int] = {}
    words: dict[str, int] = {}
    in_scenes: dict[str, list[int]] = {}
    current: str | None = None
    for index, element in enumerate(elements):
        if element.type is ElementType.CHARACTER:
            current = character_key(element.text)
            if not current:
                current = None
                continue
            speeches[current] = speeches.get(current, 0) + 1
            words.setdefault(current, 0)
            seen = in_scenes.setdefault(current, [])
            number = scene_of.get(index)
            if number is not None and (not seen or seen[-1] != number):
                seen.append(number)
        elif element.type in _CUE_BODY and current is not None:
            if element.type is not ElementType.PARENTHETICAL:  # dialogue and sung lines
                words[current] += len(element.text.split())
        else:
            current = None
    return sorted(
        (Character(name, speeches[name], words[name], tuple(in_scenes[name])) for name in speeches),
        key=lambda character: (-character.speeches, character.name),
    )


def _with_pages(elements: list[Element], pages: list[int]) -> list[Element]:
    return [
        element if element.page == page else dataclasses.replace(element, page=page)
        for element, page in zip(elements, pages, strict=True)
    ]


def _pages_from_elements(elements: list[Element], labels: Sequence[str] | None) -> list[Page]:
    """Pages whose text is the rendering of the elements that start on them."""
    count = max((element.page or 1 for element in elements), default=1)
    if labels is not None:
        count = max(count, len(labels))
    grouped: list[list[Element]] = [[] for _ in range(count)]
    for element in elements:
        grouped[(element.page or 1) - 1].append(element)
    return [
        Page(
            number,
            labels[number - 1] if labels is not None and number <= len(labels) else str(number),
            render_elements(group),
        )
        for number, group in enumerate(grouped, 1)
    ]


def screenplay_document(
    path: Path,
    format: DocumentFormat,
    title_page: dict[str, str],
    elements: list[Element],
    *,
    page_labels: Sequence[str] | None = None,
    page_texts: Sequence[str] | None = None,
    fallback_title: str = "",
) -> Document:
    """A screenplay document.

    With ``page_labels`` (a PDF), elements already carry physical pages and the labels are the
    printed numbers; otherwise pages are estimated from a standard layout, honouring forced
    breaks. ``page_texts`` replaces the rendered per-page text when the source has its own.
    """
    source: PageSource
    if page_labels is None:
        elements = _with_pages(elements, estimate_pages(elements))
        source = "estimated"
    else:
        source = "printed"
    pages = _pages_from_elements(elements, page_labels)
    if page_texts is not None:
        pages = [
            Page(page.number, page.label, page_texts[page.number - 1])
            if page.number <= len(page_texts)
            else page
            for page in pages
        ]
    scenes = build_scenes(elements)
    return Document(
        path=path,
        format=format,
        title=screenplay_title(title_page, fallback_title, path),
        text=render_elements(elements),
        kind="screenplay",
        pages=pages,
        title_page=dict(title_page),
        elements=elements,
        scenes=scenes,
        characters=build_characters(elements, scenes),
        page_source=source,
    )


def generic_document(
    path: Path,
    format: DocumentFormat,
    title: str,
    page_texts: Sequence[str],
    *,
    page_labels: Sequence[str] | None = None,
    paragraphs: list[Element] | None = None,
    page_source: PageSource = "breaks",
) -> Document:
    """A document of pages and paragraphs (no scenes).

    ``paragraphs`` defaults to the pages' blank-line separated paragraphs.
    """
    labels = list(page_labels) if page_labels is not None else []
    pages = [
        Page(number, labels[number - 1] if number <= len(labels) else str(number), text)
        for number, text in enumerate(page_texts, 1)
    ]
    if paragraphs is None:
        paragraphs = [
            Element(ElementType.PARAGRAPH, block.strip(), page=page.number)
            for page in pages
            for block in page.text.split("\n\n")
            if block.strip()
        ]
    return Document(
        path=path,
        format=format,
        title=title,
        text="\n\n".join(page.text for page in pages if page.text),
        kind="generic",
        pages=pages,
        elements=paragraphs,
        page_source=page_source,
    )
