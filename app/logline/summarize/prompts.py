"""Prompt templates, shipped as text files in ``resources/prompts/``."""

from __future__ import annotations

from functools import cache

from logline.resources_access import read_text


@cache
def template(name: str) -> str:
    """The prompt template ``resources/prompts/<name>.txt``."""
    return read_text(f"prompts/{name}.txt").strip()


def summary_messages(*, title: str, kind: str, document: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": template("summary.system")},
        {
            "role": "user",
            "content": template("summary.user").format(title=title, kind=kind, document=document),
        },
    ]
