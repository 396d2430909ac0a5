"""The store's rows as frozen dataclasses (JSON columns decoded)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    path: Path
    content_hash: str
    title: str
    format: str
    structure: str | None
    created: float
    opened: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> DocumentRecord:
        return cls(
            row["id"],
            Path(row["path"]),
            row["content_hash"],
            row["title"],
            row["format"],
            row["structure"],
            row["created"],
            row["opened"],
        )


@dataclass(frozen=True)
class SummaryRecord:
    id: int
    document_id: int
    mode: str
    model: str
    parameters: dict[str, Any]
    text: str
    notes: list[str]
    stats: dict[str, Any]
    citations: Any
    names: list[str]
    finish_reason: str
    created: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> SummaryRecord:
        return cls(
            row["id"],
            row["document_id"],
            row["mode"],
            row["model"],
            _json(row["parameters"], {}),
            row["text"],
            _json(row["notes"], []),
            _json(row["stats"], {}),
            _json(row["citations"], {}),
            _json(row["names"], []),
            row["finish_reason"],
            row["created"],
        )


@dataclass(frozen=True)
class ConversationRecord:
    id: int
    document_id: int
    title: str
    model: str
    current_leaf_id: int | None
    created: float
    updated: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> ConversationRecord:
        return cls(
            row["id"],
            row["document_id"],
            row["title"],
            row["model"],
            row["current_leaf_id"],
            row["created"],
            row["updated"],
        )


@dataclass(frozen=True)
class MessageRecord:
    """One message of a conversation's tree. ``finish_reason`` is None while an answer streams
    (a crash leaves it so until the store is opened again, which marks it ``stopped``);
    ``model_text`` is what the model wrote, when the checks changed it for ``content``."""

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    model: str | None
    finish_reason: str | None
    stats: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    model_text: str | None = None

    @property
    def text_for_model(self) -> str:
        """What the model reads of this message in later turns: its own words."""
        return self.model_text if self.model_text is not None else self.content

    @classmethod
    def of(cls, row: sqlite3.Row) -> MessageRecord:
        return cls(
            row["id"],
            row["conversation_id"],
            row["parent_id"],
            row["role"],
            row["content"],
            row["model"],
            row["finish_reason"],
            _json(row["stats"], {}),
            row["created"],
            row["updated"],
            row["model_text"],
        )


@dataclass(frozen=True)
class PromptCacheRecord:
    key: str
    document_id: int | None
    model: str
    template_hash: str
    document_hash: str
    prompt_version: str
    path: Path
    size_bytes: int
    tokens: int
    created: float
    last_used: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> PromptCacheRecord:
        return cls(
            row["key"],
            row["document_id"],
            row["model"],
            row["template_hash"],
            row["document_hash"],
            row["prompt_version"],
            Path(row["path"]),
            row["size_bytes"],
            row["tokens"],
            row["created"],
            row["last_used"],
        )
