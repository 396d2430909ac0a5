"""The scanner's structural limits and the error raised when one is hit."""

from __future__ import annotations

MAX_STREAM_BYTES = 32 * 1024 * 1024  # decoded bytes of one page's (or one form's) content
MAX_FORM_DEPTH = 12  # form XObjects drawn inside each other
MAX_RUNS_PER_PAGE = 400_000  # text runs recorded on one page
MAX_CONTENT_STREAMS = 10_000  # content streams making up one page


class ScanLimitError(Exception):
    """A structural limit or the deadline was hit; ``reason`` is "deadline", "size" or "depth"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
