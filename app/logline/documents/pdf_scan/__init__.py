"""A fast scanner over decoded PDF content streams: positioned text runs, then lines.

pypdf's own content-stream tokenizer costs ~75 ms per Final Draft page (every glyph is its own
``q … cm BT … Tm … Tf (x) Tj ET Q`` block). This scanner reads the decoded bytes with one regular
expression whose first alternative swallows such a whole glyph block in a single match, and falls
back to plain tokens for everything else (:mod:`.tokens`). pypdf is still used for what it does
well: the xref, the page tree, resources, and fonts (:mod:`.fonts`: encodings, ToUnicode maps,
widths).

Only the operators that move or show text are interpreted (:mod:`.scanner`): ``q Q cm BT ET Tm Td
TD T* TL Tf Tc Tw Tz Ts Tj TJ ' " Do`` (form XObjects, recursively) and ``BI … ID … EI`` (skipped).
Upright text only: rotated text (diagonal watermarks, vertical margin notes) is dropped; so is
text no reader sees (invisible render modes, white with nothing dark under it, hidden layers,
tiny, off the page: :mod:`.hidden`), counted in ``PageScanner.hidden``. Where a string lands is
worked out in one place (:func:`.runs.show_text`), and runs become lines in :mod:`.lines`.

Limits raise :class:`ScanLimitError` (never a page-level fallback): a content stream above
``MAX_STREAM_BYTES`` decoded, forms nested deeper than ``MAX_FORM_DEPTH`` or drawing themselves,
more than ``MAX_RUNS_PER_PAGE`` text runs, or the caller's deadline passing.
"""

from .limits import MAX_FORM_DEPTH, MAX_RUNS_PER_PAGE, MAX_STREAM_BYTES, ScanLimitError
from .lines import runs_to_lines
from .runs import TextRun
from .scanner import PageScanner

__all__ = [
    "MAX_FORM_DEPTH",
    "MAX_RUNS_PER_PAGE",
    "MAX_STREAM_BYTES",
    "PageScanner",
    "ScanLimitError",
    "TextRun",
    "runs_to_lines",
]
