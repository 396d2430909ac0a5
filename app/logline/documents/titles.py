"""Display titles: the title a reader sees for a document, from its text or its file name."""

from __future__ import annotations

import re
from pathlib import Path

MAX_TITLE_CHARS = 80  # a longer title is cut at a word and ends in "…"


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped ("" when there is none)."""
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def make_title(candidate: str | None, path: Path) -> str:
    """A display title: the candidate tidied (ALL CAPS softened, long lines cut), else the name."""
    title = " ".join((candidate or "").split())
    if not title:
        title = " ".join(re.split(r"[-_.\s]+", path.stem)).strip() or path.name
    if title.isupper():
        title = " ".join(word[:1].upper() + word[1:].lower() for word in title.split(" "))
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return title


def screenplay_title(title_page: dict[str, str], fallback: str, path: Path) -> str:
    """The title page's first title line, else ``fallback`` (an info title), else the name."""
    candidate = title_page.get("title", "").strip().split("\n")[0]
    return make_title(candidate or fallback, path)
