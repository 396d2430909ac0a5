"""Prompt templates, shipped as text files in ``resources/prompts/``.

The summary modes build their messages in :mod:`logline.summarize.modes`; this module keeps the
original single-pass summary prompt. Both honour the user's edited copies
(:mod:`logline.summarize.prompt_files`).
"""

from __future__ import annotations

from logline.summarize.prompt_files import load_template, shipped_template


def template(name: str) -> str:
    """The shipped prompt template ``resources/prompts/<name>.txt``."""
    return shipped_template(name)


def summary_messages(*, title: str, kind: str, document: str) -> list[dict[str, str]]:
    user = load_template("summary.user", required={"document"}, allowed={"title", "kind"})
    return [
        {"role": "system", "content": load_template("summary.system")},
        {"role": "user", "content": user.format(title=title, kind=kind, document=document)},
    ]
