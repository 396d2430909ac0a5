"""Fountain (https://fountain.io) to readable plain text, title-page metadata and pages.

This foundation pass strips markup and keeps the screenplay's line layout: scene headings,
character cues and dialogue stay on their own lines and one blank line separates elements. A later
structure pass can classify the same lines into scenes and elements, so keep it line by line.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import Document
from .text import first_line, join_pages, make_title, normalise_newlines

SCENE_HEADING = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E)[.\s]", re.IGNORECASE)
TITLE_PAGE_KEYS = frozenset(
    {"title", "credit", "author", "authors", "source", "draft date", "date", "contact",
     "copyright", "notes", "revision", "format"}
)  # fmt: skip

_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,30}):[ \t]*(.*)$")
_PAGE_BREAK = re.compile(r"^[ \t]*={3,}[ \t]*$")
# Boneyard /* */ and notes [[ ]]; a comment alone on its line takes the line with it, so a note
# between a character cue and its dialogue does not split them into two elements.
_COMMENT = r"(?:/\*(?:(?!\*/).)*\*/|\[\[(?:(?!\]\]).)*\]\])"
_COMMENT_LINE = re.compile(rf"^[ \t]*{_COMMENT}[ \t]*(?:\n|$)", re.DOTALL | re.MULTILINE)
_COMMENT_INLINE = re.compile(_COMMENT, re.DOTALL)
_SCENE_NUMBER = re.compile(r"\s+#[\w.-]+#$")
# Paired emphasis may span lines within one element (a blank line ends it), as in lyrics.
_SPAN = r"(?=\S)((?:(?!\n\n).)+?)(?<=\S)"
_EMPHASIS = tuple(
    re.compile(pattern, re.DOTALL)
    for pattern in (
        rf"\*\*\*{_SPAN}\*\*\*",  # bold italic
        rf"\*\*{_SPAN}\*\*",  # bold
        rf"\*{_SPAN}\*",  # italic
        rf"(?<!\w)_{_SPAN}_(?!\w)",  # underline
    )
)
# Escaped markers survive emphasis removal as private-use placeholders.
_ESCAPES = (("\\*", "\ue000", "*"), ("\\_", "\ue001", "_"))


def parse_fountain(text: str) -> tuple[dict[str, str], str, list[str]]:
    """Parse Fountain source into ``(metadata, body_text, pages)``.

    ``metadata`` holds the title page with lower-case keys and multi-line values joined by
    newlines; ``pages`` splits the body on ``===`` page breaks (and form feeds), empty pages
    dropped; ``body_text`` is the pages joined by a blank line.
    """
    text = normalise_newlines(text).replace("\f", "\n===\n")
    text = _COMMENT_INLINE.sub("", _COMMENT_LINE.sub("", text))
    metadata, body = split_title_page(text.split("\n"))
    pages: list[list[str]] = [[]]
    for line in body:
        if _PAGE_BREAK.match(line):
            pages.append([])
        elif (cleaned := _clean_line(line)) is not None:
            pages[-1].append(cleaned)
    page_texts = [page for page in map(_tidy, pages) if page]
    return metadata, join_pages(page_texts), page_texts


def fountain_document(path: Path, text: str) -> Document:
    """A Fountain document; titled from the title page, else its first line that is no heading."""
    metadata, body, pages = parse_fountain(text)
    candidate = metadata.get("title", "").split("\n")[0]
    if not candidate and not SCENE_HEADING.match(first := first_line(body)):
        candidate = first
    return Document(
        path=path,
        format="fountain",
        title=make_title(candidate, path),
        text=body,
        pages=pages,
        metadata=metadata,
    )


def looks_like_screenplay(text: str) -> bool:
    """True when plain text has an upper-case scene heading (``INT.``/``EXT.``) after a blank."""
    previous = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if not previous and SCENE_HEADING.match(stripped) and stripped.isupper():
            return True
        previous = stripped
    return False


def split_title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split off the title page: the first block of ``Key: value`` lines, if it has a known key.

    Values continue on indented lines. Requiring a known key keeps a script that opens with
    ``FADE IN:`` from losing its first line to a title page.
    """
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    fields: dict[str, list[str]] = {}
    key = ""
    for line in lines[start:end]:
        match = _TITLE_KEY.match(line)
        if match:
            key = match.group(1).strip().lower()
            fields[key] = [match.group(2)]
        elif key and line[:1] in (" ", "\t"):
            fields[key].append(line)
        else:
            return {}, lines
    if not TITLE_PAGE_KEYS.intersection(fields):
        return {}, lines
    metadata = {
        key: "\n".join(filter(None, (clean_inline(value.strip()) for value in values)))
        for key, values in fields.items()
    }
    return metadata, lines[end:]


def _clean_line(line: str) -> str | None:
    """One body line without Fountain markup; ``None`` for lines a reader should not see."""
    stripped = line.strip()
    if not stripped:
        return ""
    if stripped[0] in "#=":  # section or synopsis
        return None
    if stripped[0] == ">" and stripped[-1] == "<":  # centered
        stripped = stripped[1:-1].strip()
    elif stripped[0] in "!@>~":  # forced action, character, transition; lyrics
        stripped = stripped[1:].strip()
    elif stripped[0] == "." and stripped[1:2] != ".":  # forced scene heading
        stripped = _SCENE_NUMBER.sub("", stripped[1:].strip())
    elif SCENE_HEADING.match(stripped):
        stripped = _SCENE_NUMBER.sub("", stripped)
    if stripped.endswith("^") and stripped[:-1].isupper():  # dual-dialogue character cue
        stripped = stripped[:-1].rstrip()
    return stripped


def clean_inline(text: str) -> str:
    """Remove paired emphasis markers, keeping escaped ``\\*`` and ``\\_`` as literal characters."""
    for escaped, placeholder, _ in _ESCAPES:
        text = text.replace(escaped, placeholder)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    for _, placeholder, literal in _ESCAPES:
        text = text.replace(placeholder, literal)
    return text


def _tidy(lines: list[str]) -> str:
    """Join a page's lines without emphasis, collapsing blank runs that removed lines left."""
    return clean_inline(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"))
