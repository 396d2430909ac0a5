"""Screenplay layout recovery: positioned lines → typed elements, page labels and page texts.

Format-agnostic: the PDF reader feeds it lines measured from the page, and
:func:`classify_text_export` feeds it fixed-width text (Final Draft / Fade In "text with layout"
exports), where a line's indentation gives its x. Nothing here knows about PDF.

How a document is read (:func:`classify_pages`, in :mod:`.pipeline`), one module per stage:

1. **Rows** (:mod:`.rows`). Lines on one baseline form a row; a line holding six or more spaces
   is split there (dual-dialogue columns and margin scene numbers in text exports). The
   document's character width and line height are measured from them (:mod:`.metrics`).
2. **Page furniture** (:mod:`.furniture`). In the top and bottom tenth of a page, a lone page
   number ("2.", "- 2 -", "Page 2", "45A.") becomes the page's label and is removed, as are
   header/footer lines that repeat on many pages (revision headers) and "CONTINUED:" /
   "(CONTINUED)" at a page's top or bottom.
3. **Columns** (:mod:`.columns`). The document's own geometry, not hard-coded inches: the
   character-cue column is the commonest x of short all-caps lines that are followed, one line
   down, by a line starting further left; the dialogue column is the commonest x of those
   following lines, the action column the commonest x left of it. The text area's centre (for
   centred lines) comes from the action lines' extent.
4. **Screenplay or not** (:mod:`.columns`). Scene headings (INT./EXT.) or a cue column with
   dialogue indented from the action make a screenplay; anything else is a generic document of
   paragraphs (:mod:`.paragraphs`).
5. **Elements** (:mod:`.screenplay`). Rows are typed by column and content (:mod:`.kinds`:
   heading, cue, parenthetical, dialogue, transition, centred, action); wrapped lines one
   line-height apart are joined into one element, a blank line starts the next. A cue followed by
   "(MORE)" at a page's foot continues on the next page under a repeated "NAME (CONT'D)" cue: that
   cue is dropped and the speech goes on (:mod:`.continuation`). Two cues side by side start a
   dual-dialogue block (:mod:`.dual`). A first page without scene headings and with centred text
   is a title page and becomes ``title_page`` instead of elements (:mod:`.title_page`).
6. **Page text** (:mod:`.page_text`). Each page's plain text without its furniture.

Text patterns shared by the stages are in :mod:`.patterns`, the data passed between them in
:mod:`.model`. Thresholds are named constants in the module that uses them, in units of the
document's own character width or line height where they measure distance.
"""

from .model import COURIER_CHAR_WIDTH, LayoutResult, PositionedLine
from .pipeline import classify_pages
from .text_export import classify_text_export

__all__ = [
    "COURIER_CHAR_WIDTH",
    "LayoutResult",
    "PositionedLine",
    "classify_pages",
    "classify_text_export",
]
