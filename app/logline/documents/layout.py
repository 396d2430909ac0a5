"""Screenplay layout recovery: positioned lines → typed elements, page labels and page texts.

Format-agnostic: the PDF reader feeds it lines measured from the page, and
:func:`classify_text_export` feeds it fixed-width text (Final Draft / Fade In "text with layout"
exports), where a line's indentation gives its x. Nothing here knows about PDF.

How a document is read (:func:`classify_pages`):

1. **Rows.** Lines on one baseline form a row; a line holding six or more spaces is split there
   (dual-dialogue columns and margin scene numbers in text exports).
2. **Page furniture.** In the top and bottom tenth of a page, a lone page number ("2.", "- 2 -",
   "Page 2", "45A.") becomes the page's label and is removed, as are header/footer lines that
   repeat on many pages (revision headers) and "CONTINUED:" / "(CONTINUED)" at a page's top or
   bottom.
3. **Columns.** The document's own geometry, not hard-coded inches: the character-cue column is
   the commonest x of short all-caps lines that are followed, one line down, by a line starting
   further left; the dialogue column is the commonest x of those following lines, the action column
   the commonest x left of it. The text area's centre (for centred lines) comes from the action
   lines' extent.
4. **Screenplay or not.** Scene headings (INT./EXT.) or a cue column with dialogue indented from
   the action make a screenplay; anything else is a generic document of paragraphs.
5. **Elements.** Rows are typed by column and content (heading, cue, parenthetical, dialogue,
   transition, centred, action); wrapped lines one line-height apart are joined into one element, a
   blank line starts the next. A cue followed by "(MORE)" at a page's foot continues on the next
   page under a repeated "NAME (CONT'D)" cue: that cue is dropped and the speech goes on. Two cues
   side by side start a dual-dialogue block. A first page without scene headings and with centred
   text is a title page and becomes ``title_page`` instead of elements.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .elements import Element, ElementType, split_character_cue

logger = logging.getLogger(__name__)

COURIER_CHAR_WIDTH = 7.2  # 12 pt Courier, the screenplay standard
_TEXT_LINE_HEIGHT = 12.0
_TEXT_LEFT = 72.0


@dataclass(slots=True)
class PositionedLine:
    """A line (or a separately placed part of one) on a page: left x, baseline y (downwards from the
    top of the page), text, font size, and the right end when known (else estimated)."""

    x: float
    y: float
    text: str
    size: float = 12.0
    x_end: float | None = None


@dataclass
class LayoutResult:
    """What :func:`classify_pages` recovers from a document.

    ``elements`` are in reading order with ``page`` set to the 1-based physical page; for a
    generic document they are ``ElementType.PARAGRAPH`` (one per paragraph). ``page_labels`` and
    ``page_texts`` hold one entry per physical page: the printed page number (``str`` of the
    physical index when none is printed) and the page's plain text without page furniture.
    ``title_page`` uses lower-case Fountain keys ("title", "credit", "author", "source",
    "draft date", "contact", "copyright", "notes"); it is empty for generic documents.
    """

    is_screenplay: bool
    title_page: dict[str, str]
    elements: list[Element]
    page_labels: list[str]
    page_texts: list[str]


# --- patterns ----------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?([A-Z]?\d{1,4}[A-Z]{0,3})\.?(?:\s*(?:of|/)\s*\d{1,5})?$"
    r"|^[-–—]\s*([A-Z]?\d{1,4}[A-Z]{0,3})\.?\s*[-–—]$",
    re.IGNORECASE,
)
_SCENE_NUMBER = re.compile(r"^\*?([A-Z]{0,2}\d{1,4}[A-Z]{0,3}(?:\.\d{1,2})?)\.?\*?$")
_HEADING = re.compile(r"^(?:INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|INT|EXT|EST|I\s*/\s*E)(?:\.|\s|$)")
_NUMBERED_HEADING = re.compile(r"^([A-Z]?\d{1,4}[A-Z]{0,3})\.?\s+(.+?)(?:\s+\1\.?)?$")
_CONTINUED = re.compile(r"^\(?\s*CONT(?:INUED|'D|’D)\s*\)?\s*:?\s*(?:\(\s*\d+\s*\))?$", re.I)
_MORE = re.compile(r"^\(\s*MORE\s*\)$", re.IGNORECASE)
_CONT_D = re.compile(r"\s*\(\s*(?:CONT(?:'|’)?D|CONTINUING|CONT\.?)\s*\)", re.IGNORECASE)
_TRANSITIONS = frozenset(
    {
        "FADE OUT.",
        "FADE OUT",
        "FADE TO BLACK.",
        "FADE TO BLACK",
        "CUT TO BLACK.",
        "CUT TO BLACK",
        "SMASH CUT TO BLACK.",
        "FADE OUT:",
        "END OF ACT",
    }
)
_CREDIT = re.compile(
    r"^(?:(?:original\s+)?(?:written|screenplay|teleplay|story|script|adaptation|adapted|"
    r"created|pilot)(?:\s+(?:and|&)\s+\w+)?\s+)?by:?$",
    re.IGNORECASE,
)
_SOURCE = re.compile(
    r"^(?:based\s+(?:on|upon)|inspired\s+by|adapted\s+from|from\s+the|"
    r"(?:original\s+)?(?:story|novel|book|characters)\s+by)\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"(?:\(c\)|©|copyright)", re.IGNORECASE)
_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\b\d{1,2}[/.-]\d{1,2}"
    r"[/.-]\d{2,4}\b|\b(?:19|20)\d\d\b|\bdraft\b|\brevision\b|\brev\.",
    re.IGNORECASE,
)
_SPLIT_SPACES = re.compile(r" {6,}")
_REVISION_MARK = re.compile(r"^\*+$")  # revision asterisks in the right margin
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "'", "’", ")", "--", "…", "—")


# --- internal line model -----------------------------------------------------------------------


@dataclass(slots=True)
class _Seg:
    page: int
    x: float
    y: float
    x_end: float
    size: float
    text: str


@dataclass(slots=True)
class _Row:
    page: int
    y: float
    segs: list[_Seg]
    scene_number: str | None = None
    text_override: str | None = None  # page-text rendering when the row's text is rewritten

    @property
    def first(self) -> _Seg:
        return self.segs[0]

    @property
    def text(self) -> str:
        return " ".join(seg.text for seg in self.segs)


@dataclass
class _Geometry:
    char_width: float
    line_height: float
    action_x: float
    dialogue_x: float | None
    cue_x: float | None
    text_right: float
    centre: float
    page_width: float = 612.0
    cue_evidence: int = 0
    headings: int = 0


@dataclass
class _Page:
    rows: list[_Row] = field(default_factory=list)
    label: str | None = None


# --- entry points ------------------------------------------------------------------------------


def classify_pages(
    pages: Sequence[Sequence[PositionedLine]],
    *,
    page_sizes: Sequence[tuple[float, float]] | None = None,
) -> LayoutResult:
    """Recover screenplay (or paragraph) structure from the positioned lines of each page.

    ``page_sizes`` gives (width, height) per page in the lines' units; without it the extent of
    the text stands in. Raises nothing for odd input: empty pages give empty texts.
    """
    doc = [_Page(rows=_rows(index, lines)) for index, lines in enumerate(pages)]
    sizes = _sizes(doc, page_sizes)
    all_rows = [row for page in doc for row in page.rows]
    if not all_rows:
        labels = [str(i + 1) for i in range(len(doc))]
        return LayoutResult(False, {}, [], labels, ["" for _ in doc])
    char_width = _char_width(all_rows)
    line_height = _line_height(doc, char_width)
    _strip_furniture(doc, sizes, line_height)
    labels = _labels(doc)
    geometry = _geometry(doc, char_width, line_height, statistics.median(w for w, _ in sizes))
    screenplay = _is_screenplay(geometry)
    logger.debug(
        "Layout: %d pages, %d rows, headings=%d cues=%d, screenplay=%s",
        len(doc),
        len(all_rows),
        geometry.headings,
        geometry.cue_evidence,
        screenplay,
    )
    title_page: dict[str, str] = {}
    body_pages = doc
    if screenplay:
        if doc and _looks_like_title_page(doc[0], geometry, sizes[0][0]):
            title_page = _title_page(doc[0], geometry, sizes[0])
            body_pages = [_Page(), *doc[1:]]  # keep page indices aligned
        elements, texts = _Screenplay(geometry).run(body_pages)
        if title_page:
            texts[0] = _plain_page(doc[0], geometry)
    else:
        elements = _paragraphs(doc, geometry)
        texts = [_plain_page(page, geometry) for page in doc]
    return LayoutResult(screenplay, title_page, elements, labels, texts)


def classify_text_export(text: str) -> LayoutResult | None:
    """Classify a fixed-width text export whose columns are leading spaces.

    Each line becomes a :class:`PositionedLine` at ``x = 72 + 7.2 × leading spaces`` and
    ``y = 12 × line index``; form feeds separate pages (without any, a line holding only a page
    number far to the right starts a new page, as Final Draft's text export prints it). Returns
    None when the text has no indentation structure (a flush-left export: parse it as Fountain)
    or does not read as a screenplay.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw_pages = text.split("\f") if "\f" in text else _split_on_page_numbers(text)
    pages: list[list[PositionedLine]] = []
    indented = lines_total = 0
    for raw in raw_pages:
        lines: list[PositionedLine] = []
        for index, line in enumerate(raw.expandtabs(8).split("\n")):
            stripped = line.strip()
            if not stripped:
                continue
            lead = len(line) - len(line.lstrip(" "))
            lines_total += 1
            if lead >= 5:
                indented += 1
            x = _TEXT_LEFT + lead * COURIER_CHAR_WIDTH
            lines.append(
                PositionedLine(
                    x=x,
                    y=(index + 1) * _TEXT_LINE_HEIGHT,
                    text=line.rstrip()[lead:],
                    size=12.0,
                    x_end=x + len(line.rstrip()[lead:]) * COURIER_CHAR_WIDTH,
                )
            )
        pages.append(lines)
    while len(pages) > 1 and not pages[-1]:
        pages.pop()
    if lines_total == 0 or indented < max(2, lines_total // 20):
        return None
    longest = max((len(raw.split("\n")) for raw in raw_pages), default=1)
    widest = max((line.x_end or 0.0) for page in pages for line in page)
    sizes = [(widest + _TEXT_LEFT, (longest + 2) * _TEXT_LINE_HEIGHT)] * len(pages)
    result = classify_pages(pages, page_sizes=sizes)
    return result if result.is_screenplay else None


def _split_on_page_numbers(text: str) -> list[str]:
    pages: list[list[str]] = [[]]
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip(" "))
        if lead >= 40 and _PAGE_NUMBER.match(line.strip()) and any(s.strip() for s in pages[-1]):
            pages.append([])
        pages[-1].append(line)
    return ["\n".join(page) for page in pages]


# --- rows and metrics --------------------------------------------------------------------------


def _rows(page: int, lines: Sequence[PositionedLine]) -> list[_Row]:
    segs: list[_Seg] = []
    for line in lines:
        text = " ".join(str(line.text).replace("\t", " ").split(" "))
        if not text.strip():
            continue
        size = float(line.size) if line.size and line.size > 0 else 12.0
        x, y = float(line.x), float(line.y)
        if not (_finite(x) and _finite(y) and _finite(size)):
            continue
        x_end = float(line.x_end) if line.x_end is not None and _finite(line.x_end) else None
        width = (x_end - x) / len(text) if x_end is not None and x_end > x else 0.6 * size
        pos = 0
        for part in _SPLIT_SPACES.split(text):
            start = text.index(part, pos)
            pos = start + len(part)
            stripped = part.strip()
            if not stripped or _REVISION_MARK.match(stripped):
                continue
            offset = start + len(part) - len(part.lstrip())
            seg_x = x + offset * width
            segs.append(_Seg(page, seg_x, y, seg_x + len(stripped) * width, size, stripped))
    segs.sort(key=lambda s: (s.y, s.x))
    rows: list[_Row] = []
    for seg in segs:
        if rows and abs(seg.y - rows[-1].y) <= 0.35 * max(seg.size, rows[-1].first.size):
            rows[-1].segs.append(seg)
        else:
            rows.append(_Row(page, seg.y, [seg]))
    for row in rows:
        row.segs.sort(key=lambda s: s.x)
    return rows


def _finite(value: float) -> bool:
    return value == value and abs(value) < 1e7


def _sizes(
    doc: list[_Page], page_sizes: Sequence[tuple[float, float]] | None
) -> list[tuple[float, float]]:
    if page_sizes is not None and len(page_sizes) == len(doc):
        return [(float(w), float(h)) for w, h in page_sizes]
    segs = [seg for page in doc for row in page.rows for seg in row.segs]
    if not segs:
        return [(612.0, 792.0)] * len(doc)
    width = max(seg.x_end for seg in segs) + min(seg.x for seg in segs)
    height = max(seg.y for seg in segs) + min(seg.y for seg in segs)
    return [(max(width, 1.0), max(height, 1.0))] * len(doc)


def _char_width(rows: list[_Row]) -> float:
    widths = [
        (seg.x_end - seg.x) / len(seg.text)
        for row in rows
        for seg in row.segs
        if len(seg.text) >= 5 and seg.x_end > seg.x
    ]
    if not widths:
        sizes = [seg.size for row in rows for seg in row.segs]
        return 0.6 * statistics.median(sizes) if sizes else COURIER_CHAR_WIDTH
    return max(statistics.median(widths), 0.5)


def _line_height(doc: list[_Page], char_width: float) -> float:
    steps: Counter[float] = Counter()
    for page in doc:
        for before, after in zip(page.rows, page.rows[1:], strict=False):
            step = round(after.y - before.y, 1)
            if step > 0:
                steps[step] += 1
    if not steps:
        return char_width / 0.6
    smallest_common = [step for step, count in steps.most_common(5) if count >= 2]
    return min(smallest_common) if smallest_common else steps.most_common(1)[0][0]


# --- page furniture ----------------------------------------------------------------------------


def _strip_furniture(
    doc: list[_Page], sizes: list[tuple[float, float]], line_height: float
) -> None:
    """Remove page numbers (keeping them as labels), repeated headers/footers and CONTINUEDs."""
    repeated = _repeated_band_texts(doc, sizes)
    for page, (_, height) in zip(doc, sizes, strict=True):
        band = max(0.1 * height, 2.5 * line_height)
        keep: list[_Row] = []
        for index, row in enumerate(page.rows):
            in_top = row.y <= band
            in_bottom = row.y >= height - band
            if in_top or in_bottom:
                label = _page_number(row, index, page.rows, line_height)
                if label is not None:
                    if page.label is None:
                        page.label = label
                    continue
                if _band_key(row.text) in repeated and (index == 0 or index == len(page.rows) - 1):
                    continue
            keep.append(row)
        page.rows = _strip_continued(keep)


def _page_number(row: _Row, index: int, rows: list[_Row], line_height: float) -> str | None:
    numbers = [seg for seg in row.segs if _PAGE_NUMBER.match(seg.text)]
    if not numbers:
        return None
    if len(row.segs) == 1:
        match = _PAGE_NUMBER.match(row.segs[0].text)
        assert match is not None
        return (match.group(1) or match.group(2)).upper()
    # a header row ("Blue Rev. 03/02/22   45A."): the number is the rightmost part, the row is
    # the page's first or last and stands apart from the body; two numbers are scene numbers
    if len(numbers) != 1 or numbers[0] is not row.segs[-1]:
        return None
    if index == 0:
        apart = len(rows) == 1 or rows[1].y - row.y >= 1.4 * line_height
    elif index == len(rows) - 1:
        apart = row.y - rows[index - 1].y >= 1.4 * line_height
    else:
        apart = False
    if not apart:
        return None
    match = _PAGE_NUMBER.match(numbers[0].text)
    assert match is not None
    return (match.group(1) or match.group(2)).upper()


def _band_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _repeated_band_texts(doc: list[_Page], sizes: list[tuple[float, float]]) -> set[str]:
    """Header/footer texts (digits ignored) on the first/last row of at least 30% of pages."""
    if len(doc) < 3:
        return set()
    counts: Counter[str] = Counter()
    for page, (_, height) in zip(doc, sizes, strict=True):
        keys = set()
        if page.rows and page.rows[0].y <= 0.1 * height:
            keys.add(_band_key(page.rows[0].text))
        if page.rows and page.rows[-1].y >= 0.9 * height:
            keys.add(_band_key(page.rows[-1].text))
        counts.update(keys)
    limit = max(3, int(0.3 * len(doc)))
    return {key for key, count in counts.items() if count >= limit and key not in ("(more)",)}


def _strip_continued(rows: list[_Row]) -> list[_Row]:
    """Drop "CONTINUED:" / "(CONTINUED)" rows among a page's first two and last two rows."""
    result = []
    for index, row in enumerate(rows):
        near_edge = index < 2 or index >= len(rows) - 2
        texts = [seg.text for seg in row.segs if not _SCENE_NUMBER.match(seg.text)]
        if near_edge and texts and all(_CONTINUED.match(text) for text in texts):
            continue
        result.append(row)
    return result


def _labels(doc: list[_Page]) -> list[str]:
    """Printed labels; an unnumbered page right before a numbered "n" (n ≥ 2) is "n-1"."""
    labels: list[str] = []
    for index, page in enumerate(doc):
        if page.label is not None:
            labels.append(page.label)
            continue
        following = doc[index + 1].label if index + 1 < len(doc) else None
        if following is not None and following.isdigit() and int(following) >= 2:
            labels.append(str(int(following) - 1))
        else:
            labels.append(str(index + 1))
    return labels


# --- geometry ----------------------------------------------------------------------------------


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _cue_name_ok(text: str) -> bool:
    name, _ = split_character_cue(text)
    if not name or len(name) > 40 or not _is_caps(name):
        return False
    if name.endswith((":", "TO:", "!", "?", ",")) or _HEADING.match(name):
        return False
    return not _MORE.match(text) and not _CONTINUED.match(text)


def _heading_text(text: str) -> bool:
    """An INT./EXT. line (mostly capitals)."""
    if not _HEADING.match(text):
        return False
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return upper >= 0.6 * len(letters)


def _mode(values: list[float], width: float) -> float | None:
    """The centre of the most populated ``width``-wide bucket of ``values``."""
    if not values:
        return None
    buckets: Counter[int] = Counter(round(value / width) for value in values)
    best = max(
        buckets.items(),
        key=lambda item: (
            item[1] + buckets.get(item[0] - 1, 0) + buckets.get(item[0] + 1, 0),
            -item[0],
        ),
    )[0]
    near = [v for v in values if abs(v / width - best) <= 1.5]
    return statistics.median(near)


def _geometry(
    doc: list[_Page], char_width: float, line_height: float, page_width: float
) -> _Geometry:
    cue_xs: list[float] = []
    pairs: list[tuple[float, float | None]] = []  # (cue x, x of the dialogue line after it)
    headings = 0
    for page in doc:
        rows = page.rows
        for index, row in enumerate(rows):
            main = _main_seg(row)
            if _heading_text(_strip_scene_numbers(row)[1]):
                headings += 1
            if len(row.segs) != 1 or index + 1 >= len(rows):
                continue
            after = rows[index + 1]
            step = after.y - row.y
            if not 0 < step <= 1.5 * line_height:
                continue
            if (
                _cue_name_ok(main.text)
                and len(main.text) <= 45
                and after.first.x < main.x - 1.5 * char_width
            ):
                cue_xs.append(main.x)
                paren = after.first.text.startswith("(")
                pairs.append((main.x, None if paren else after.first.x))
    cue_x = _mode(cue_xs, char_width)
    dialogue_x = None
    cue_evidence = 0
    if cue_x is not None:
        follow = [f for c, f in pairs if f is not None and abs(c - cue_x) <= 3 * char_width]
        dialogue_x = _mode(follow, char_width)
        cue_evidence = sum(1 for c in cue_xs if abs(c - cue_x) <= 3 * char_width)
    starts = [
        _main_seg(row).x
        for page in doc
        for row in page.rows
        if dialogue_x is None or _main_seg(row).x < dialogue_x - 2 * char_width
    ]
    action_x = _mode(starts, char_width)
    if action_x is None:
        action_x = dialogue_x if dialogue_x is not None else 0.0
    if dialogue_x is not None and dialogue_x <= action_x + char_width:
        # the "dialogue" is the body margin (a generic document with centred capitals)
        cue_evidence = 0
    ends = sorted(
        _main_seg(row).x_end
        for page in doc
        for row in page.rows
        if abs(_main_seg(row).x - action_x) <= char_width and len(_main_seg(row).text) >= 30
    )
    text_right = ends[int(0.95 * (len(ends) - 1))] if ends else action_x + 60 * char_width
    if len(ends) < 20:  # too little action to measure: assume a one-inch right margin
        text_right = max(text_right, page_width - 72.0 / 612.0 * page_width)
    return _Geometry(
        char_width=char_width,
        line_height=line_height,
        action_x=action_x,
        dialogue_x=dialogue_x,
        cue_x=cue_x,
        text_right=text_right,
        centre=(action_x + text_right) / 2,
        page_width=page_width,
        cue_evidence=cue_evidence,
        headings=headings,
    )


def _is_screenplay(geometry: _Geometry) -> bool:
    cues = geometry.cue_evidence
    return geometry.headings >= 3 or cues >= 3 or (geometry.headings >= 1 and cues >= 1)


def _main_seg(row: _Row) -> _Seg:
    """The row's first segment that is not a margin scene number."""
    for seg in row.segs:
        if not _SCENE_NUMBER.match(seg.text) or len(row.segs) == 1:
            return seg
    return row.segs[0]


def _strip_scene_numbers(row: _Row) -> tuple[str | None, str]:
    """(scene number, text) of a row whose heading may carry scene numbers in its margins."""
    segs = row.segs
    number: str | None = None
    if len(segs) >= 2:
        texts = [seg.text for seg in segs]
        first = _SCENE_NUMBER.match(texts[0])
        last = _SCENE_NUMBER.match(texts[-1])
        if first:
            number = first.group(1)
            texts = texts[1:]
        if last and len(texts) >= 2:
            number = number or last.group(1)
            texts = texts[:-1]
        text = " ".join(texts)
    else:
        text = segs[0].text
    if number is None:
        match = _NUMBERED_HEADING.match(text)
        if match and _heading_text(match.group(2)):
            number, text = match.group(1), match.group(2)
    return number, text


# --- title page --------------------------------------------------------------------------------


def _looks_like_title_page(page: _Page, geometry: _Geometry, width: float) -> bool:
    rows = page.rows
    if not rows or len(rows) > 45:
        return False
    for row in rows:
        if _heading_text(_strip_scene_numbers(row)[1]):
            return False
    own = _title_centre(page, geometry)
    centred = sum(1 for row in rows for seg in row.segs if _is_centred(seg, geometry, width, own))
    return (centred >= 1 and centred * 3 >= len(rows) - 2) or (centred >= 2 and len(rows) <= 12)


def _is_centred(
    seg: _Seg, geometry: _Geometry, page_width: float | None = None, own: float | None = None
) -> bool:
    """Centred on the text area, the page, or ``own`` (a title page's measured centre)."""
    if seg.x <= geometry.action_x + geometry.char_width:
        return False
    middle = (seg.x + seg.x_end) / 2
    tolerance = max(2.5 * geometry.char_width, 0.04 * geometry.centre)
    centres = (geometry.centre, (page_width or geometry.page_width) / 2, own or geometry.centre)
    return any(abs(middle - centre) <= tolerance for centre in centres)


def _title_centre(page: _Page, geometry: _Geometry) -> float | None:
    """The median centre of a title page's lines that are off the left margin."""
    centres = [
        (seg.x + seg.x_end) / 2
        for row in page.rows
        for seg in row.segs
        if seg.x > geometry.action_x + 2 * geometry.char_width
    ]
    return statistics.median(centres) if centres else None


def _title_page(page: _Page, geometry: _Geometry, size: tuple[float, float]) -> dict[str, str]:
    """Fountain-style keys from a title page's centred block and its bottom corners."""
    centred: list[_Seg] = []
    left: list[_Seg] = []
    right: list[_Seg] = []
    own = _title_centre(page, geometry)
    for row in page.rows:
        for seg in row.segs:
            if _is_centred(seg, geometry, size[0], own):
                centred.append(seg)
            elif seg.x < geometry.centre:
                left.append(seg)
            else:
                right.append(seg)
    fields: dict[str, list[str]] = {}

    def add(key: str, text: str) -> None:
        fields.setdefault(key, []).append(text)

    lh = geometry.line_height
    groups = _groups(centred, lh)
    credit_at = next((i for i, seg in enumerate(centred) if _CREDIT.match(seg.text)), None)
    if credit_at is not None:
        for seg in centred[:credit_at]:
            add("title", seg.text)
        add("credit", centred[credit_at].text)
        rest = centred[credit_at + 1 :]
        authors: list[_Seg] = []
        for seg in rest:
            previous = authors[-1] if authors else centred[credit_at]
            if (
                seg.y - previous.y <= 2.5 * lh
                and not _SOURCE.match(seg.text)
                and (not _COPYRIGHT.search(seg.text))
            ):
                authors.append(seg)
            else:
                break
        for seg in authors:
            add("author", seg.text)
        remaining = rest[len(authors) :]
    else:
        first = groups[0] if groups else []
        for seg in first:
            add("title", seg.text)
        remaining = [seg for group in groups[1:] for seg in group]
    in_source = False
    for seg in remaining:
        if _COPYRIGHT.search(seg.text):
            add("copyright", seg.text)
            in_source = False
        elif _SOURCE.match(seg.text) or in_source:
            add("source", seg.text)
            in_source = not seg.text.rstrip().endswith(".")
        else:
            add("notes", seg.text)
    for block, default in ((left, "contact"), (right, "draft date")):
        for group in _groups(block, lh):
            texts = [seg.text for seg in group]
            if all(_COPYRIGHT.search(t) for t in texts):
                key = "copyright"
            elif (
                all(_DATE.search(t) for t in texts[-1:])
                and len(texts) <= 2
                and not any("@" in t for t in texts)
            ):
                key = "draft date"
            elif default == "draft date" and not any(_DATE.search(t) for t in texts):
                reachable = any("@" in t or re.search(r"\d{3}", t) for t in texts)
                key = "contact" if reachable else "notes"
            else:
                key = default
            for text in texts:
                add(key, text)
    return {key: "\n".join(values) for key, values in fields.items() if values}


def _groups(segs: list[_Seg], line_height: float) -> list[list[_Seg]]:
    """Segments split where the vertical gap exceeds a blank line."""
    groups: list[list[_Seg]] = []
    for seg in sorted(segs, key=lambda s: (s.y, s.x)):
        if groups and seg.y - groups[-1][-1].y <= 1.5 * line_height:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    return groups


# --- screenplay elements -----------------------------------------------------------------------


class _Screenplay:
    """Walks the rows of every page, typing them and joining wrapped lines into elements."""

    def __init__(self, geometry: _Geometry) -> None:
        self.g = geometry
        self.elements: list[Element] = []
        self.in_speech = False
        self.open_paren = False
        self.last_kind: ElementType | None = None
        self.last_y: float | None = None
        self.more_pending: str | None = None  # speaker whose speech continues past the page

    def run(self, doc: list[_Page]) -> tuple[list[Element], list[str]]:
        texts: list[str] = []
        for number, page in enumerate(doc):
            self.last_y = None
            self._page(number, page)
            texts.append(_plain_page(page, self.g))
        return self.elements, texts

    # rows ---------------------------------------------------------------------------------------

    def _page(self, number: int, page: _Page) -> None:
        rows = page.rows
        index = 0
        continuing = self.more_pending
        self.more_pending = None
        was_in_speech = self.in_speech
        previous_kind = self.last_kind if self.elements else None
        if continuing is None:
            self._end_speech()
        while index < len(rows):
            row = rows[index]
            if _MORE.match(row.text.strip()) or all(_MORE.match(s.text) for s in row.segs):
                row.text_override = ""
                if self.in_speech and self._speaker():
                    self.more_pending = self._speaker()
                index += 1
                continue
            following = rows[index + 1] if index + 1 < len(rows) else None
            if self._dual_start(row):
                index = self._dual(number, rows, index)
                continue
            if index == 0 or self.last_y is None:
                self._page_top(row, following, continuing, was_in_speech, previous_kind)
                if row.text_override is not None and continuing is not None:
                    continuing = None
                    index += 1
                    continue
                continuing = None
            self._row(number, row, following)
            index += 1

    def _page_top(
        self,
        row: _Row,
        following: _Row | None,
        continuing: str | None,
        was_in_speech: bool,
        previous_kind: ElementType | None,
    ) -> None:
        """Carry a speech or an action paragraph over from the previous page when ``row``
        continues it: a repeated "NAME (CONT'D)" cue after a (MORE) is consumed (its page text
        loses the CONT'D), a dialogue-column line continues the speech, and an action line
        continues an action paragraph that had not ended a sentence (or starts in lower case)."""
        g = self.g
        seg = _main_seg(row)
        if continuing is not None:
            name = self._continued_cue(row, following, continuing)
            if name is not None:
                row.text_override = name
                self.in_speech = True
                self.last_y = row.y
                return
        if (
            (continuing is not None or was_in_speech)
            and self._speech_column(seg)
            and not (self._is_cue(seg, row.text, following, row))
        ):
            self.in_speech = True
            self.last_y = row.y - g.line_height
            return
        if (
            previous_kind is ElementType.ACTION
            and self.elements
            and abs(seg.x - g.action_x) <= g.char_width
            and len(row.segs) == 1
            and not _heading_text(seg.text)
        ):
            before = self.elements[-1].text.rstrip()
            if not _is_caps(before) and (
                seg.text[:1].islower() or not before.endswith(_SENTENCE_END)
            ):
                self.last_y = row.y - g.line_height
                self.last_kind = ElementType.ACTION

    def _speaker(self) -> str | None:
        for element in reversed(self.elements):
            if element.type is ElementType.CHARACTER:
                return element.text
            if element.type not in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
                return None
        return None

    def _continued_cue(self, row: _Row, following: _Row | None, speaker: str) -> str | None:
        """The cue text to show when ``row`` repeats ``speaker``'s cue after a (MORE)."""
        seg = _main_seg(row)
        if len(row.segs) != 1 or not _cue_name_ok(seg.text):
            return None
        name, _ = split_character_cue(seg.text)
        if _normal(name) != _normal(speaker):
            return None
        if following is not None and following.first.x >= seg.x - self.g.char_width:
            return None
        return _CONT_D.sub("", seg.text).strip()

    def _row(self, page: int, row: _Row, following: _Row | None) -> None:
        g = self.g
        number, text = _strip_scene_numbers(row)
        seg = _main_seg(row)
        x = seg.x
        new_block = self.last_y is None or row.y - self.last_y > 1.5 * g.line_height
        self.last_y = row.y
        if new_block:
            self._end_speech()
        if number is not None and not _MORE.match(text):
            row.text_override = text
        if (_heading_text(text) and x < self._speech_left()) or (number and _is_caps(text)):
            if self._continues(ElementType.SCENE_HEADING, new_block) and number is None:
                self._append(text)
            else:
                self._emit(ElementType.SCENE_HEADING, text, page, scene_number=number)
            self._end_speech()
            return
        if self._is_cue(seg, text, following, row):
            name, extension = split_character_cue(text)
            self._emit(ElementType.CHARACTER, name, page, extension=extension)
            self.in_speech = True
            self.open_paren = False
            return
        if self.in_speech and self._speech_column(seg):
            if self.open_paren or text.startswith("("):
                if self.open_paren and self.last_kind is ElementType.PARENTHETICAL:
                    self._append(text)
                else:
                    self._emit(ElementType.PARENTHETICAL, text, page)
                self.open_paren = not text.rstrip().endswith(")")
                return
            if self.last_kind is ElementType.DIALOGUE and not new_block:
                self._append(text)
            else:
                self._emit(ElementType.DIALOGUE, text, page)
            return
        self._end_speech()
        if self._is_transition(seg, text):
            if self._continues(ElementType.TRANSITION, new_block):
                self._append(text)  # a transition wrapped onto two lines
            else:
                self._emit(ElementType.TRANSITION, text, page)
            return
        if _is_centred(seg, g) and x > self._speech_left():
            if self._continues(ElementType.CENTERED, new_block):
                self._append(text)
            else:
                self._emit(ElementType.CENTERED, text, page)
            return
        if self._continues(ElementType.ACTION, new_block):
            self._append(text)
        else:
            self._emit(ElementType.ACTION, text, page)

    def _speech_left(self) -> float:
        g = self.g
        if g.dialogue_x is not None:
            return g.dialogue_x - 1.5 * g.char_width
        return g.action_x + 6 * g.char_width

    def _speech_column(self, seg: _Seg) -> bool:
        g = self.g
        if g.dialogue_x is None:
            return seg.x > g.action_x + 4 * g.char_width
        right = g.cue_x - g.char_width if g.cue_x is not None else g.text_right
        return g.dialogue_x - 1.5 * g.char_width <= seg.x < max(right, g.dialogue_x + g.char_width)

    def _is_cue(self, seg: _Seg, text: str, following: _Row | None, row: _Row) -> bool:
        g = self.g
        if len(row.segs) != 1 or not _cue_name_ok(text) or len(text) > 50:
            return False
        if seg.x < self._speech_left() + g.char_width:
            return False
        at_column = g.cue_x is not None and abs(seg.x - g.cue_x) <= 3 * g.char_width
        if following is None or following.page != row.page:
            return at_column
        step = following.y - row.y
        follow_x = following.first.x
        return (
            0 < step <= 1.5 * g.line_height
            and follow_x < seg.x - 1.5 * g.char_width
            and (follow_x >= self._speech_left() - g.char_width)
        )

    def _is_transition(self, seg: _Seg, text: str) -> bool:
        g = self.g
        if not _is_caps(text) or len(text) > 40:
            return False
        upper = text.upper()
        right_side = seg.x > g.centre or seg.x_end >= g.text_right - 2 * g.char_width
        if upper.endswith("TO:") and seg.x > self._speech_left():
            return True
        if upper in _TRANSITIONS and (right_side or seg.x > self._speech_left()):
            return True
        cue_right = (g.cue_x or g.centre) + 6 * g.char_width
        return seg.x >= cue_right and seg.x_end >= g.text_right - 6 * g.char_width

    # dual dialogue ------------------------------------------------------------------------------

    def _dual_start(self, row: _Row) -> bool:
        g = self.g
        if len(row.segs) != 2:
            return False
        left, right = row.segs
        return (
            _cue_name_ok(left.text)
            and _cue_name_ok(right.text)
            and left.x > g.action_x + g.char_width
            and right.x - left.x >= 12 * g.char_width
            and not _SCENE_NUMBER.match(left.text)
            and not _SCENE_NUMBER.match(right.text)
        )

    def _dual(self, page: int, rows: list[_Row], start: int) -> int:
        """Emit a dual-dialogue block (left speech, then right); return the next row index."""
        g = self.g
        self._end_speech()
        left_cue, right_cue = rows[start].segs
        boundary = (left_cue.x + right_cue.x) / 2
        columns: tuple[list[_Seg], list[_Seg]] = ([left_cue], [right_cue])
        index = start + 1
        last_y = rows[start].y
        while index < len(rows):
            row = rows[index]
            if row.y - last_y > 1.5 * g.line_height:
                break
            for seg in row.segs:
                if _MORE.match(seg.text):
                    continue
                columns[0 if seg.x < boundary else 1].append(seg)
            last_y = row.y
            index += 1
        for column in columns:
            name, extension = split_character_cue(column[0].text)
            self._emit(ElementType.CHARACTER, name, page, extension=extension, dual=True)
            open_paren = False
            for seg in column[1:]:
                text = seg.text
                if open_paren or text.startswith("("):
                    if open_paren:
                        self._append(text)
                    else:
                        self._emit(ElementType.PARENTHETICAL, text, page, dual=True)
                    open_paren = not text.rstrip().endswith(")")
                elif self.last_kind is ElementType.DIALOGUE:
                    self._append(text)
                else:
                    self._emit(ElementType.DIALOGUE, text, page, dual=True)
        # page text: left column, then right column
        rendered = [seg.text for seg in columns[0]] + [""] + [seg.text for seg in columns[1]]
        rows[start].text_override = "\n".join(rendered)
        for row in rows[start + 1 : index]:
            row.text_override = ""
        self.last_y = last_y
        self.in_speech = False
        return index

    # element building ---------------------------------------------------------------------------

    def _end_speech(self) -> None:
        self.in_speech = False
        self.open_paren = False

    def _continues(self, kind: ElementType, new_block: bool) -> bool:
        return not new_block and self.last_kind is kind and bool(self.elements)

    def _emit(
        self,
        kind: ElementType,
        text: str,
        page: int,
        *,
        scene_number: str | None = None,
        extension: str | None = None,
        dual: bool = False,
    ) -> None:
        self.elements.append(
            Element(
                type=kind,
                text=text,
                scene_number=scene_number,
                extension=extension,
                dual=dual,
                page=page + 1,
            )
        )
        self.last_kind = kind

    def _append(self, text: str) -> None:
        last = self.elements[-1]
        last.text = _join(last.text, text)


def _normal(name: str) -> str:
    return " ".join(name.upper().split())


def _join(before: str, after: str) -> str:
    """Join a wrapped line to the text before it (no space after a word-breaking hyphen)."""
    if (
        before.endswith("-")
        and not before.endswith("--")
        and len(before) > 1
        and before[-2].isalpha()
        and after[:1].isalpha()
    ):
        return before + after
    return before + " " + after


# --- generic documents -------------------------------------------------------------------------


def _paragraphs(doc: list[_Page], geometry: _Geometry) -> list[Element]:
    """One PARAGRAPH element per paragraph: a blank line, a first-line indent or a change of
    font size starts one; a paragraph runs on across a page break when it does not end a
    sentence and the next page starts in lower case."""
    g = geometry
    elements: list[Element] = []
    for number, page in enumerate(doc):
        last: _Row | None = None
        for row in page.rows:
            seg = _main_seg(row)
            text = row.text.strip()
            if not text:
                continue
            if last is None:
                if (
                    number > 0
                    and elements
                    and elements[-1].page == number
                    and not elements[-1].text.rstrip().endswith((".", "!", "?", ":", '"', "”"))
                    and text[:1].islower()
                ):
                    elements[-1].text = _join(elements[-1].text, text)
                else:
                    elements.append(Element(ElementType.PARAGRAPH, text, page=number + 1))
                last = row
                continue
            gap = row.y - last.y
            last_seg = _main_seg(last)
            new = (
                gap > 1.5 * g.line_height
                or gap <= 0
                or (
                    seg.x > last_seg.x + 1.5 * g.char_width
                    and last_seg.x <= g.action_x + 0.5 * g.char_width
                )
                or abs(seg.size - last_seg.size) > 0.15 * max(seg.size, last_seg.size)
            )
            if new:
                elements.append(Element(ElementType.PARAGRAPH, text, page=number + 1))
            else:
                elements[-1].text = _join(elements[-1].text, text)
            last = row
    return elements


# --- page text ---------------------------------------------------------------------------------


def _plain_page(page: _Page, geometry: _Geometry) -> str:
    """The page's rows as plain lines, a blank line where the page leaves one."""
    out: list[str] = []
    last_y: float | None = None
    for row in page.rows:
        text = row.text_override
        if text is None:
            text = "   ".join(seg.text for seg in row.segs)
        if last_y is not None and row.y - last_y > 1.5 * geometry.line_height and out and out[-1]:
            out.append("")
        last_y = row.y
        if text == "":
            continue
        out.extend(line.strip() for line in text.split("\n"))
    return "\n".join(out).strip("\n")
