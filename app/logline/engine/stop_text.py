"""Stop strings while text streams: hold back what could be the start of one, cut at the first.

One helper for every decoding path (a single stream and each row of a batch), so a stop string
ends a sequence the same way everywhere and no text of it is ever shown. A reasoning model's
think block is removed first (:class:`~logline.engine.think_text.ThinkText`).
"""

from __future__ import annotations

from collections.abc import Sequence

from logline.engine.think_text import ThinkText


class StopText:
    """Streams one sequence's text, holding back what could be the start of a stop string."""

    def __init__(self, stops: Sequence[str], think: ThinkText | None = None) -> None:
        self.think = think  # a reasoning model's think blocks, removed before stops are sought
        self.stops = tuple(s for s in stops if s)
        self.hold_back = max((len(s) for s in self.stops), default=0)
        self.text = ""
        self.sent = 0
        self.stopped = False

    def add(self, piece: str) -> str:
        """Add decoded text; return the part that is safe to show now."""
        if self.think is not None and not self.stopped:
            piece = self.think.add(piece)
        if not piece or self.stopped:
            return ""
        self.text += piece
        if not self.stops:
            self.sent = len(self.text)
            return piece
        cut = min((i for i in (self.text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out = self.text[self.sent : cut] if cut > self.sent else ""
            self.text = self.text[:cut]
            self.sent = len(self.text)
            return out
        safe = len(self.text) - self.hold_back
        if safe > self.sent:
            out = self.text[self.sent : safe]
            self.sent = safe
            return out
        return ""

    def flush(self) -> str:
        """What is still held back (the sequence ended without a stop string)."""
        head = ""
        if self.think is not None and not self.stopped:
            head = self.add(self.think.flush())
            if self.stopped:  # what the think filter held back ended in a stop string
                return head
        out = self.text[self.sent :]
        self.sent = len(self.text)
        return head + out
