"""A saved summary as the window shows, lists and exports it: its header line ("Saved ·
Synopsis · SmolLM2 135M · 4 Dec 15:02"), its history entry and its Markdown.

Qt-free: it reads the store's records only. ``export_files`` turns the Markdown into files,
PDFs and printed pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from logline.summarize.modes import MODES
from logline.ui.server_records import stored_answer_badge

# A summary's finish reason, as the history says it.
STATES = {
    "done": "complete",
    "stopped": "stopped",
    "length": "cut at the length limit",
    "repetition": "ended where the model repeated itself",
    "error": "failed",
    "running": "being written",
}


def short_date(timestamp: float, now: float | None = None) -> str:
    """``4 Dec 15:02`` (with the year when it is not this year's)."""
    when = time.localtime(timestamp)
    this_year = time.localtime(now if now is not None else time.time()).tm_year
    year = f" {when.tm_year}" if when.tm_year != this_year else ""
    return f"{when.tm_mday} {time.strftime('%b', when)}{year} {time.strftime('%H:%M', when)}"


def mode_title(mode_id: str) -> str:
    mode = MODES.get(mode_id)
    return mode.title if mode else mode_id.replace("_", " ").capitalize()


def model_label(model_id: str, parameters: dict[str, Any]) -> str:
    """The model's name as the picker showed it (kept with the summary), else its id's tail."""
    label = parameters.get("model_label")
    if isinstance(label, str) and label:
        return label
    return model_id.rstrip("/").rsplit("/", 1)[-1] or model_id


def word_count(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class SavedSummary:
    """One summary kept in the store, with what is needed to show and export it."""

    id: int
    document_title: str
    mode: str
    model: str  # the model's label
    created: float
    state: str  # complete, stopped…
    text: str
    notes: list[str] = field(default_factory=list)
    instruction: str = ""
    server: str = ""  # the server badge ("on render-01 · sent to 10.0.0.5"), "" when local

    @property
    def mode_title(self) -> str:
        return mode_title(self.mode)

    @property
    def header(self) -> str:
        """The Summary pane's detail line for it."""
        parts = ["Saved", self.mode_title, self.model, short_date(self.created)]
        if self.state != "complete":
            parts.append(self.state.capitalize())
        return " · ".join(parts)

    @property
    def entry(self) -> str:
        """Its entry in the history list: mode and date, then model, state and length."""
        words = word_count(self.text)
        length = f"{words:,} word{'s' if words != 1 else ''}"
        if not words and self.notes:
            length = f"{len(self.notes)} note{'s' if len(self.notes) != 1 else ''}"
        return (
            f"{self.mode_title} · {short_date(self.created)}\n"
            f"{self.model} · {self.state} · {length}"
        )

    @property
    def title(self) -> str:
        """``Big Fish — Synopsis``: the exported file's title."""
        return f"{self.document_title} — {self.mode_title}"

    @property
    def running_header(self) -> str:
        """The line atop each printed page: title, model and date."""
        when = time.strftime("%d %b %Y %H:%M", time.localtime(self.created)).lstrip("0")
        return f"{self.title} · {self.model} · {when}"

    @property
    def file_stem(self) -> str:
        """A file name for it (no folder, no suffix)."""
        raw = f"{self.document_title} - {self.mode_title}"
        kept = "".join(c if c.isalnum() or c in " -_.," else "_" for c in raw).strip(" .")
        return kept or "Summary"


def saved_summary(store: Any, record: Any) -> SavedSummary:
    """The ``SavedSummary`` of a store record (``SummaryRecord``)."""
    document = store.documents.get(record.document_id)
    instruction = record.parameters.get("instruction") or ""
    return SavedSummary(
        id=record.id,
        document_title=document.title if document is not None else "Untitled",
        mode=record.mode,
        model=model_label(record.model, record.parameters),
        created=record.created,
        state=STATES.get(record.finish_reason, record.finish_reason),
        text=record.text,
        notes=list(record.notes),
        instruction=instruction if isinstance(instruction, str) else "",
        server=stored_answer_badge(record.stats, record.parameters),
    )


def summary_markdown(saved: SavedSummary) -> str:
    """The summary as a Markdown file: a heading with the title, then mode, model, date and
    state, the instruction (custom mode), the text and, when there are any, the notes."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(saved.created))
    lines = [
        f"# {saved.title}",
        "",
        f"**Mode:** {saved.mode_title}  ",
        f"**Model:** {saved.model}  ",
        *([f"**Written:** {saved.server}  "] if saved.server else []),
        f"**Date:** {when}  ",
        f"**State:** {saved.state}",
        "",
    ]
    if saved.instruction:
        lines += [f"**Instruction:** {saved.instruction}", ""]
    lines += [saved.text.strip() or "*(No summary was written.)*", ""]
    if saved.notes:
        lines += ["---", "", "## Notes", ""]
        for index, note in enumerate(saved.notes, 1):
            lines += [f"### Note {index}", "", note.strip() or "*(empty)*", ""]
    return "\n".join(lines)
