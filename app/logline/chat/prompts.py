"""The prompt of a chat turn: the script part first and byte-stable, then the turns.

The script part (instructions, the script facts, and the script with its scene and page markers
or, when it does not fit, its digest) is one system message that never changes within a
conversation, so its KV cache is computed once (and saved to disk, ``chat.script_cache``). Per
turn text (the question, scenes retrieved for it) only ever comes after it. ``PROMPT_VERSION``
names this layout: a change to it must bump the version so old cache files are not reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from logline.documents.facts import facts_prompt, script_facts
from logline.documents.model import Document
from logline.engine.requests import Message
from logline.summarize.chunks import document_units, marked
from logline.summarize.modes import citation_style
from logline.summarize.prompt_files import load_template

PROMPT_VERSION = "chat-2"  # 2: the script framed as quoted text; control tokens kept as text
SYSTEM_TEMPLATE = "chat.system"
SCRIPT_FIELDS = frozenset({"title", "kind", "cite", "marker", "facts", "script"})
UNIT_SEPARATOR = "\n\n"


def kind_of(document: Document) -> str:
    return "screenplay" if document.is_screenplay else "document"


def marked_text(document: Document) -> str:
    """The whole document as the model reads it: each scene (or page) under its marker."""
    return UNIT_SEPARATOR.join(marked(document, unit) for unit in document_units(document))


def digest_text(notes: Sequence[str]) -> str:
    """Notes on the whole script (a summary's map phase), each keeping its citations."""
    return "Notes on the whole script, in order (the script itself is too long to include):\n\n" + (
        UNIT_SEPARATOR.join(note.strip() for note in notes if note.strip())
    )


def script_message(document: Document, body: str) -> Message:
    """The system message that carries the script part; ``body`` is ``marked_text`` or a
    ``digest_text``."""
    kind = kind_of(document)
    cite, marker = citation_style(kind)
    template = load_template(SYSTEM_TEMPLATE, required={"script"}, allowed=SCRIPT_FIELDS)
    facts = facts_prompt(script_facts(document))
    content = template.format(
        title=document.title, kind=kind, cite=cite, marker=marker, facts=facts, script=body
    )
    return {"role": "system", "content": content}


def question_message(question: str, passages: str = "") -> Message:
    """The new turn; retrieved scenes (digest mode) come with it, never before the script."""
    if not passages:
        return {"role": "user", "content": question.strip()}
    content = (
        "Scenes from the script that may help (with their markers):\n\n"
        f"{passages.strip()}\n\nQuestion: {question.strip()}"
    )
    return {"role": "user", "content": content}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
