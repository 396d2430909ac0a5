"""The layout reader's data: positioned lines in, a :class:`LayoutResult` out, and the rows,
segments, pages and column geometry the stages pass between them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..elements import Element

COURIER_CHAR_WIDTH = 7.2  # 12 pt Courier, the screenplay standard
EM_CHAR_WIDTH = 0.6  # a monospaced character's width per point of font size (Courier's 600/1000)
DEFAULT_FONT_SIZE = 12.0  # points, for a line that gives no usable size
DEFAULT_PAGE_SIZE = (612.0, 792.0)  # US Letter in points, for pages that give no size or text
BLANK_LINE_STEPS = 1.5  # line heights: rows further apart than this have a blank line between


def blank_gap(line_height: float) -> float:
    """The vertical step beyond which two rows are separated by a blank line."""
    return BLANK_LINE_STEPS * line_height


@dataclass(slots=True)
class PositionedLine:
    """A line (or a separately placed part of one) on a page: left x, baseline y (downwards from the
    top of the page), text, font size, and the right end when known (else estimated)."""

    x: float
    y: float
    text: str
    size: float = DEFAULT_FONT_SIZE
    x_end: float | None = None


@dataclass
class LayoutResult:
    """What :func:`~.pipeline.classify_pages` recovers from a document.

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


@dataclass(slots=True)
class Seg:
    """A run of text on one row, split from its neighbours by a wide gap (a column)."""

    page: int
    x: float
    y: float
    x_end: float
    size: float
    text: str


@dataclass(slots=True)
class Row:
    """The segments on one baseline of a page, left to right."""

    page: int
    y: float
    segs: list[Seg]
    scene_number: str | None = None
    text_override: str | None = None  # page-text rendering when the row's text is rewritten

    @property
    def first(self) -> Seg:
        return self.segs[0]

    @property
    def text(self) -> str:
        return " ".join(seg.text for seg in self.segs)


@dataclass
class PageRows:
    """One page's rows once read, and its printed page number once found."""

    rows: list[Row] = field(default_factory=list)
    label: str | None = None


@dataclass
class Geometry:
    """The document's own measures: character width, line height and the x of its columns."""

    char_width: float
    line_height: float
    action_x: float
    dialogue_x: float | None
    cue_x: float | None
    text_right: float
    centre: float
    page_width: float = DEFAULT_PAGE_SIZE[0]
    cue_evidence: int = 0
    headings: int = 0
    blank_gap: float = field(init=False)  # see blank_gap()

    def __post_init__(self) -> None:
        self.blank_gap = blank_gap(self.line_height)
