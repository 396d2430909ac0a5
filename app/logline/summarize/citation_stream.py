"""Check citations while a summary streams, so an invalid one is never shown unmarked.

Text passes straight through except a parenthesis or bracket, which is held back until it closes
(or grows past :data:`HOLD_LIMIT` characters or reaches a line end, when it cannot be a
citation). A closed group that holds a citation is checked against the document and passed on
flagged or removed as :func:`logline.summarize.citations.apply` does for a whole text.
"""

from __future__ import annotations

from typing import Literal

from logline.documents import Document
from logline.summarize.citations import apply, validate

HOLD_LIMIT = 160
OPENERS = "(["
CLOSERS = ")]"


class CitationFilter:
    def __init__(self, document: Document, policy: Literal["flag", "remove"] = "flag") -> None:
        self.document = document
        self.policy = policy
        self._held = ""
        self._depth = 0
        self._spaces = ""
        self.checked = 0
        self.invalid = 0

    def feed(self, text: str) -> str:
        """The part of ``text`` (with anything held before) that can be shown now.

        Spaces are held until the next character too: removing a citation must also remove
        the space before it, as it does in a whole text.
        """
        out: list[str] = []
        for char in text:
            if self._held:
                self._held += char
                if char in OPENERS:
                    self._depth += 1
                elif char in CLOSERS:
                    self._depth -= 1
                    if self._depth == 0:
                        out.append(self._check(self._held))
                        self._held = ""
                        continue
                if len(self._held) > HOLD_LIMIT or char == "\n":
                    out.append(self._held)
                    self._held, self._depth = "", 0
            elif char in OPENERS:
                self._held, self._depth, self._spaces = self._spaces + char, 1, ""
            elif char == " ":
                self._spaces += char
            else:
                out.append(self._spaces + char)
                self._spaces = ""
        return "".join(out)

    def flush(self) -> str:
        """Whatever is still held (trailing spaces, an unclosed parenthesis at the end)."""
        held = self._spaces + self._held
        self._held, self._depth, self._spaces = "", 0, ""
        return held

    def _check(self, segment: str) -> str:
        report = validate(segment, self.document)
        if not report.citations:
            return segment
        self.checked += len(report.citations)
        self.invalid += len(report.invalid)
        return apply(segment, report, self.policy) if report.invalid else segment
