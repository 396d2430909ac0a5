"""Final Draft ``.fdx`` (XML) to typed screenplay elements, through a hardened XML parser.

The file is parsed with ``defusedxml`` with DTDs, entity declarations and external references all
forbidden, so an XML bomb ("billion laughs"), a quadratic-blowup entity or an external entity is
refused before anything is expanded: it raises :class:`CorruptDocumentError` with a message that
says so. Only ``<FinalDraft><Content>`` (the script) and ``<FinalDraft><TitlePage><Content>`` are
read; headers, footers, watermarks, ``SceneProperties`` and element settings are ignored.

Paragraph types map onto :class:`ElementType` as follows:

* ``Scene Heading`` -> scene heading (``Number`` attribute -> ``scene_number``);
* ``Action`` and ``General`` -> action, or centered when ``Alignment="Center"``;
* ``Character`` -> character cue, split into name and extension by ``split_character_cue``;
* ``Parenthetical``, ``Dialogue``, ``Transition``, ``Lyrics`` -> the element of the same name;
* ``Shot`` -> a scene heading only when it starts like one (``INT.``/``EXT.``/``I/E``...), since
  Final Draft paginates shots as headings but a shot such as ``CLOSE ON THE WATCH`` does not
  start a scene (Fountain exports write it as an all-caps action line); otherwise action;
* ``Cast List``, ``New Act``, ``End of Act`` -> section (depth 1);
* any other or missing type -> action.

A paragraph's text is all its ``<Text>`` runs joined (styles dropped); paragraphs with no text
are skipped. A ``<DualDialogue>`` block's cues, parentheticals and dialogue get ``dual=True``.
``StartsNewPage`` is not turned into page breaks: FDX stores no page numbers for elements.
"""

from __future__ import annotations

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

    def visit(paragraph: Any, dual: bool) -> None:
        blocks = paragraph.findall("DualDialogue")
        text = _paragraph_text(paragraph)
        if text:
            elements.append(_element(paragraph, text, dual))
        for block in blocks:
            for inner in block.findall("Paragraph"):
                visit(inner, True)

    for paragraph in content.findall("Paragraph"):
        visit(paragraph, False)
    return elements


def _title_page(root: Any) -> dict[str, str]:
    """Best-effort title-page fields from ``<TitlePage><Content>``.

    ``raw`` holds every non-empty line; ``title`` is the first centered line (else the first
    line); a ``Written by``/``Screenplay by``/``by`` line gives ``credit`` and the next line
    ``author``; a ``based on`` line gives ``source``.
    """
    content = root.find("TitlePage/Content")
    if content is None:
        return {}
    lines: list[tuple[str, bool]] = []
    for paragraph in content.iter("Paragraph"):
        text = _paragraph_text(paragraph)
        if text:
            centered = (paragraph.get("Alignment") or "").lower() == "center"
            lines.append((text, centered))
    if not lines:
        return {}
    fields: dict[str, str] = {"raw": "\n".join(text for text, _ in lines)}
    centered_lines = [text for text, centered in lines if centered]
    fields["title"] = (centered_lines or [lines[0][0]])[0]
    texts = [text for text, _ in lines]
    for index, text in enumerate(texts):
        lowered = " ".join(text.lower().split())
        if "credit" not in fields and (lowered == "by" or lowered.endswith(" by")):
            if len(lowered) <= 40 and index + 1 < len(texts):
                fields["credit"] = text
                fields["author"] = texts[index + 1]
        elif "source" not in fields and lowered.startswith("based on"):
            fields["source"] = text
    return fields


def parse_fdx(data: bytes, *, name: str = "script.fdx") -> tuple[dict[str, str], list[Element]]:
    """Parse a Final Draft file into ``(title_page, elements)``, the shape Fountain gives.

    Raises :class:`EmptyDocumentError` for a file with no bytes or no script text,
    :class:`CorruptDocumentError` for malformed/truncated XML or XML that declares a DTD or
    entities (refused unexpanded: a possible XML bomb), and :class:`UnsupportedFormatError`
    for well-formed XML that is not a Final Draft document.
    """
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
