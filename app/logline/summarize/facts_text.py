"""The parser's facts as the summary uses them: ground truth in prompts, Logline's own text in
reports (PROVISIONAL: replaced by logline.documents.facts renderers)."""

from __future__ import annotations

from logline.documents.model import Document

MAX_PROMPT_CAST = 20


def prompt_facts(document: Document) -> str:
    if not document.is_screenplay or not document.characters:
        return ""
    cast = ", ".join(c.name for c in document.characters[:MAX_PROMPT_CAST])
    return f"The speaking characters, most lines first (use only these names): {cast}."


def report_header(document: Document) -> str:
    return ""


def cast_table(document: Document) -> str:
    return ""
