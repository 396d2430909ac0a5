"""Final Draft ``.fdx`` (XML) to typed screenplay elements, through a hardened XML parser.

The file is parsed with ``defusedxml`` with DTDs, entity declarations and external references all
forbidden, so an XML bomb ("billion laughs"), a quadratic-blowup entity or an external entity is
refused before anything is expanded: it raises :class:`CorruptDocumentError` with a message that
says so. Only ``<FinalDraft><Content>`` (the script) and ``<FinalDraft><TitlePage><Content>`` are
read; headers, footers, watermarks, scene properties other than the summary, revisions, tags,
cast lists and element settings are ignored.

Paragraph types map onto :class:`ElementType` as follows:

* ``Scene Heading`` -> scene heading (``Number`` attribute -> ``scene_number``);
* ``Action`` and ``General`` -> action, or centered when ``Alignment="Center"``;
* ``Character`` -> character cue, split into name and extension by ``split_character_cue``
  (action when no parenthetical, dialogue or lyrics follows it);
* ``Parenthetical``, ``Dialogue``, ``Transition``, ``Lyrics`` -> the element of the same name;
* ``Shot`` -> a scene heading only when it starts like one (``INT.``/``EXT.``/``I/E``...), since
  Final Draft paginates shots as headings but a shot such as ``CLOSE ON THE WATCH`` does not
  start a scene (Fountain exports write it as an all-caps action line); otherwise action;
* ``Cast List``, ``New Act``, ``End of Act`` -> section (depth 1);
* any other or missing type -> action.

A paragraph's text is all its direct ``<Text>`` runs joined (styles dropped); paragraphs with no
text are skipped. A ``<ScriptNote>`` inside a paragraph becomes a ``note`` element and a scene
heading's ``<SceneProperties><Summary>`` a ``synopsis`` element, each right after its paragraph
(inside a dialogue block, after the block, so a cue stays next to its lines); Final Draft's
root-level ``<ScriptNotes>`` ranges are ignored. A ``<DualDialogue>`` block's cues,
parentheticals and dialogue get ``dual=True``. ``StartsNewPage`` is not turned into page breaks:
FDX stores no page numbers for elements.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from .elements import Element, ElementType, split_character_cue, split_heading
from .errors import CorruptDocumentError, EmptyDocumentError, UnsupportedFormatError

_SIMPLE_TYPES = {
    "Scene Heading": ElementType.SCENE_HEADING,
    "Parenthetical": ElementType.PARENTHETICAL,
    "Dialogue": ElementType.DIALOGUE,
    "Transition": ElementType.TRANSITION,
    "Lyrics": ElementType.LYRICS,
    "Cast List": ElementType.SECTION,
    "New Act": ElementType.SECTION,
    "End of Act": ElementType.SECTION,
}
# Text attached to a paragraph (not part of it): a script note, a scene's summary.
_ATTACHED = (
    (ElementType.NOTE, "ScriptNote"),
    (ElementType.SYNOPSIS, "SceneProperties/Summary"),
)
_SPOKEN = {ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS}
_DUAL_TYPES = {ElementType.CHARACTER, ElementType.PARENTHETICAL, ElementType.DIALOGUE}


def _paragraph_text(paragraph: Any) -> str:
    """The paragraph's ``<Text>`` runs (direct children) joined, line endings normalised."""
    runs = [run.text or "" for run in paragraph.findall("Text")]
    text = "".join(runs).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _element(paragraph: Any, text: str, dual: bool) -> Element:
    """One ``<Paragraph>`` with non-empty ``text`` as an :class:`Element`."""
    kind = (paragraph.get("Type") or "").strip()
    if kind == "Character":
        name, extension = split_character_cue(text)
        return Element(ElementType.CHARACTER, name or text, extension=extension, dual=dual)
    element_type = _SIMPLE_TYPES.get(kind)
    if kind == "Shot":
        looks_like_heading = bool(split_heading(text)[0])
        element_type = ElementType.SCENE_HEADING if looks_like_heading else ElementType.ACTION
    if element_type is None:  # Action, General and anything unknown
        centered = (paragraph.get("Alignment") or "").lower() == "center"
        element_type = ElementType.CENTERED if centered else ElementType.ACTION
    element = Element(element_type, text, dual=dual and element_type in _DUAL_TYPES)
    if element_type is ElementType.SCENE_HEADING:
        number = (paragraph.get("Number") or "").strip()
        element.scene_number = number or None
    elif element_type is ElementType.SECTION:
        element.depth = 1
    return element


def _content_elements(content: Any) -> list[Element]:
    """The elements of a ``<Content>`` block in reading order, dual dialogue flattened."""
    elements: list[Element] = []
    pending: list[Element] = []  # notes held back until the dialogue block they sit in ends

    def visit(paragraph: Any, dual: bool) -> None:
        blocks = paragraph.findall("DualDialogue")
        text = _paragraph_text(paragraph)
        if text:
            element = _element(paragraph, text, dual)
            if pending and element.type not in _DUAL_TYPES - {ElementType.CHARACTER}:
                elements.extend(pending)
                pending.clear()
            elements.append(element)
        for kind, path in _ATTACHED:
            for holder in paragraph.findall(path):
                inner = [_paragraph_text(p) for p in holder.iter("Paragraph")]
                attached = " ".join(" ".join(part.split()) for part in inner if part)
                if attached:
                    pending.append(Element(kind, attached))
        if pending and not (elements and elements[-1].type in _DUAL_TYPES):
            elements.extend(pending)
            pending.clear()
        # depth-first without recursion: hostile files may nest DualDialogue thousands deep
        inner = [p for block in blocks for p in block.findall("Paragraph")]
        stack.extend((p, True) for p in reversed(inner))

    stack: list[tuple[Any, bool]] = [(p, False) for p in reversed(content.findall("Paragraph"))]
    while stack:
        visit(*stack.pop())
    return _demote_orphan_cues(elements + pending)


def _demote_orphan_cues(elements: list[Element]) -> list[Element]:
    """A ``Character`` paragraph with no parenthetical, dialogue or lyrics after it is action.

    Real files have them (a transition typed in the Character style at the end of a script); as
    cues they would invent a speaking character with no lines.
    """
    for index, element in enumerate(elements):
        if element.type is ElementType.CHARACTER and not (
            index + 1 < len(elements) and elements[index + 1].type in _SPOKEN
        ):
            parts = (element.extension or "").split(", ")
            cue = element.text + "".join(f" ({part})" for part in parts if part)
            elements[index] = Element(ElementType.ACTION, cue)
    return elements


_TITLE_PAGE_LINES = 54  # lines on a Letter title page at 6 lines per inch with 1" margins
_CREDIT = re.compile(
    r"(?:(?:original\s+)?(?:screenplay|teleplay|story|written|script|draft)\s+)*by", re.IGNORECASE
)
_SOURCE = re.compile(
    r"(?:based\s+(?:on|upon)|adapted\s+from|inspired\s+by|from\s+the\s+(?:novel|book|play))\b",
    re.IGNORECASE,
)
_DRAFT_WORD = re.compile(r"\b(?:draft|revis\w*|version|polish)\b", re.IGNORECASE)
_COPYRIGHT = re.compile(r"(?:copyright\b|\(c\)|©)", re.IGNORECASE)
_DRAFT = re.compile(
    r"(?:\b(?:draft|revis\w*|revision|version|polish)\b|\b(?:19|20)\d\d\b|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)",
    re.IGNORECASE,
)


def _tidy_line(line: str) -> str:
    """Collapse space runs but keep one tab between tab-separated parts (left/right columns)."""
    parts = (" ".join(part.split()) for part in re.split(r"\t+", line))
    return "\t".join(part for part in parts if part)


def _looks_like_draft(text: str) -> bool:
    """A draft label or a date; in a multi-line block (an address) only a draft/revision word."""
    if "\n" in text:
        return bool(_DRAFT_WORD.search(text))
    return bool(_DRAFT.search(text))


def _title_lines(root: Any) -> list[tuple[str, str, int]]:
    """``(text, alignment, page)`` of every non-empty title-page paragraph, in order.

    Final Draft stores no page boundaries for the title page; pages are estimated by counting
    lines (a paragraph, its line breaks and its ``SpaceBefore`` in 12-point lines).
    """
    lines: list[tuple[str, str, int]] = []
    used = 0
    for content in root.findall("TitlePage/Content"):
        for paragraph in content.iter("Paragraph"):
            if (paragraph.get("StartsNewPage") or "").lower() == "yes" and used:
                used = _TITLE_PAGE_LINES * (used // _TITLE_PAGE_LINES + 1)
            with contextlib.suppress(ValueError, OverflowError):
                used += max(0, round(float(paragraph.get("SpaceBefore") or 0) / 12))
            page = used // _TITLE_PAGE_LINES + 1
            runs = [run.text or "" for run in paragraph.findall("Text")]
            raw = "".join(runs).replace("\r\n", "\n").replace("\r", "\n")
            used += 1 + raw.count("\n")
            text = "\n".join(_tidy_line(line) for line in raw.strip().split("\n"))
            if text.strip():
                alignment = (paragraph.get("Alignment") or "Left").strip().lower()
                lines.append((text, alignment, page))
    return lines


def _title_page(root: Any) -> dict[str, str]:
    """Fountain-style title-page keys derived from Final Draft's unlabelled title page.

    A Final Draft title page is positioned paragraphs, not ``Key: value`` pairs. ``raw`` keeps
    every non-empty line. On the first page: the centered lines before a credit line (``Written
    by``, ``by``, ``Screenplay by``...) are the ``title`` (without a credit line, the first
    centered line, else the first line); the centered lines after it, up to a ``based on`` line,
    are the ``author``; ``based on ...`` is the ``source``. Non-centered lines are the corner
    blocks: a tab splits a line into its left part (``contact``) and right part (``draft
    date``); right-aligned lines and lines that look like a date or a draft label are the
    ``draft date``; ``Copyright``/``(c)`` lines the ``copyright``; the rest the ``contact``.
    Later pages (a cast list, a writers' note) stay in ``raw`` only.
    """
    lines = _title_lines(root)
    if not lines:
        return {}
    fields: dict[str, list[str]] = {}

    def add(key: str, value: str) -> None:
        if value.strip():
            fields.setdefault(key, []).append(value.strip())

    first_page = [(text, alignment) for text, alignment, page in lines if page == 1]
    centered = [text for text, alignment in first_page if alignment == "center"]
    credit_at = next(
        (i for i, text in enumerate(centered) if _CREDIT.fullmatch(" ".join(text.split()))), None
    )
    if credit_at is None:
        add("title", (centered or [lines[0][0]])[0])
        rest = centered[1:]
    else:
        for text in centered[:credit_at] or centered[credit_at + 1 : credit_at + 2]:
            add("title", text)
        add("credit", centered[credit_at])
        rest = centered[credit_at + 1 :]
    for text in rest:
        if _SOURCE.match(text) or "source" in fields:
            add("source", text)
        elif credit_at is not None and "title" in fields:
            add("author", text)
    for text, alignment in first_page:
        if alignment == "center":
            continue
        left, tab, right = text.partition("\t")
        if tab:
            add("contact", left)
            add("draft date", right)
        elif alignment == "right" or (_looks_like_draft(text) and not _COPYRIGHT.match(text)):
            add("draft date", text)
        elif _COPYRIGHT.match(text):
            add("copyright", text)
        else:
            add("contact", text)
    result = {key: "\n".join(values) for key, values in fields.items()}
    result["raw"] = "\n".join(text for text, _, _ in lines)
    return result


def parse_fdx(data: bytes, *, name: str = "script.fdx") -> tuple[dict[str, str], list[Element]]:
    """Parse a Final Draft file into ``(title_page, elements)``, the shape Fountain gives.

    Raises :class:`EmptyDocumentError` for a file with no bytes or no script text,
    :class:`CorruptDocumentError` for malformed/truncated XML or XML that declares a DTD or
    entities (refused unexpanded: a possible XML bomb), and :class:`UnsupportedFormatError`
    for well-formed XML that is not a Final Draft document.
    """
    # lazy on purpose: the XML parsers load when an FDX file is opened (the window must appear fast)
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if not data.strip():
        raise EmptyDocumentError(f'"{name}" is empty.')
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CorruptDocumentError(
            f'"{name}" declares a DTD or XML entities, which Final Draft files never do; '
            "Logline refuses to expand them because they can be used to attack the computer "
            "(an XML bomb or external entity). Re-save the script from Final Draft."
        ) from exc
    except ParseError as exc:
        raise CorruptDocumentError(
            f'"{name}" is not valid Final Draft XML (damaged or truncated: {exc}).'
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise CorruptDocumentError(f'"{name}" cannot be read as Final Draft XML.') from exc
    if root.tag != "FinalDraft":
        raise UnsupportedFormatError(
            f'"{name}" is an XML file but not a Final Draft script (its root element is '
            f"<{root.tag}>, not <FinalDraft>)."
        )
    title_page = _title_page(root)
    content = root.find("Content")
    elements = _content_elements(content) if content is not None else []
    if not elements:
        raise EmptyDocumentError(f'"{name}" is a Final Draft file with no script text.')
    return title_page, elements
