"""A reasoning model's think block kept out of the answer while text streams.

Logline renders prompts with thinking off (:data:`logline.engine.prompt_tokens.NO_THINKING`),
which hybrid models such as Qwen3 honour. Models that always reason (DeepSeek-R1 distills,
QwQ) open a ``<think>`` block in the generation prompt itself, and any reasoning model may still
open one: their reasoning is not a summary, a note or a reply, so it is never shown, never
cited, never merged. Only the text after the block's end is. A block that never ends leaves no
answer (the tokens were spent on reasoning; the finish reason says ``length``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MARKERS = ("<think>", "</think>")
# The generation prompt of an always-reasoning template ends inside an open block.
_OPEN_AT_END = r"{start}\s*\Z"


@dataclass(frozen=True)
class ThinkMarkers:
    start: str
    end: str

    def opens_block(self, prompt_text: str) -> bool:
        """Whether ``prompt_text`` (the rendered prompt) ends inside an open think block."""
        pattern = _OPEN_AT_END.format(start=re.escape(self.start))
        return re.search(pattern, prompt_text[-4 * len(self.start) - 64 :]) is not None


def think_markers(tokenizer: Any) -> ThinkMarkers:
    """The tokenizer's own think markers (mlx-lm's wrapper knows several), else ``<think>``."""
    start = getattr(tokenizer, "think_start", None)
    end = getattr(tokenizer, "think_end", None)
    if isinstance(start, str) and isinstance(end, str) and start and end:
        return ThinkMarkers(start, end)
    return ThinkMarkers(*DEFAULT_MARKERS)


def has_thinking(tokenizer: Any) -> bool:
    """Whether the model's vocabulary has think markers (a reasoning model)."""
    return bool(getattr(tokenizer, "has_thinking", False))


def think_filter(tokenizer: Any, prompt: Sequence[int]) -> ThinkText | None:
    """The filter for an answer to ``prompt`` (token ids), or None for a model that does not
    reason and whose prompt does not open a think block."""
    markers = think_markers(tokenizer)
    tail = tokenizer.decode(list(prompt[-16:]))
    opened = markers.opens_block(tail)
    if not opened and not has_thinking(tokenizer):
        return None
    return ThinkText(markers, thinking=opened)


class ThinkText:
    """One sequence's text with think blocks removed, as it streams (``add``, then ``flush``)."""

    def __init__(self, markers: ThinkMarkers, *, thinking: bool = False) -> None:
        self.markers = markers
        self.thinking = thinking
        self.thought = False  # a block has just ended: white space after it may be dropped
        self.hidden = 0  # characters of reasoning removed
        self._last = ""  # the last character shown
        self._pending = ""

    def add(self, piece: str) -> str:
        """Add decoded text; return the part of the answer that is safe to show now."""
        text = self._pending + piece
        shown: list[str] = []
        while text:
            if self.thinking:
                end = text.find(self.markers.end)
                if end < 0:
                    keep = _partial_suffix(text, self.markers.end)
                    self.hidden += len(text) - keep
                    text = text[len(text) - keep :]
                    break
                self.hidden += end + len(self.markers.end)
                text = text[end + len(self.markers.end) :]
                self.thinking, self.thought = False, True
                continue
            if self.thought and self._at_break(shown):
                text = text.lstrip()
                if not text:
                    break
            start = text.find(self.markers.start)
            if start >= 0:
                if start:
                    shown.append(text[:start])
                    self.thought = False
                text = text[start + len(self.markers.start) :]
                self.thinking = True
                continue
            keep = _partial_suffix(text, self.markers.start)
            if len(text) > keep:
                shown.append(text[: len(text) - keep])
                self.thought = False
            text = text[len(text) - keep :]
            break
        self._pending = text
        out = "".join(shown)
        if out:
            self._last = out[-1]
        return out

    def _at_break(self, shown: list[str]) -> bool:
        """Whether the answer so far is empty or ends in white space (a block's trailing blank
        lines would then be a gap in it)."""
        last = shown[-1][-1] if shown else self._last
        return not last or last.isspace()

    def flush(self) -> str:
        """What is still held back when the sequence ends (nothing of an unfinished block)."""
        text, self._pending = self._pending, ""
        if self.thinking:
            self.hidden += len(text)
            if self.hidden:
                log.info("The answer ended inside the model's think block (%d chars)", self.hidden)
            return ""
        return text


def _partial_suffix(text: str, marker: str) -> int:
    """The length of the longest end of ``text`` that begins ``marker`` (0 if none)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0
