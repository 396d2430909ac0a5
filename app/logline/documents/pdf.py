"""PDF through pypdf (imported on first use): a screenplay-aware structure of every page.

pypdf opens the file (xref, page tree, encryption, fonts); :mod:`.pdf_scan` reads each page's
content stream into positioned lines far faster than ``page.extract_text()``; :mod:`.layout` turns
those lines into screenplay elements (or paragraphs), printed page labels and page texts.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .elements import Element
from .errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
)
from .layout import PositionedLine, classify_pages

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 2000
DEFAULT_DEADLINE_S = 20.0
# Info-dictionary titles that name the tool or the source file rather than the script.
_PLACEHOLDER_TITLES = frozenset({"", "untitled", "anonymous", "(anonymous)", "(unspecified)"})
_FILE_NAME_LIKE = re.compile(r"^[\w.-]*[-_.][\w.-]*$")
_FALLBACK_LINE_HEIGHT = 12.0


@dataclass
class PdfStructure:
    """What :func:`read_pdf` recovers from a PDF.

    ``is_screenplay``: the layout reads as a screenplay (else a generic document whose
    ``elements`` are ``ElementType.PARAGRAPH``). ``title_page``: lower-case Fountain keys ("title",
    "credit", "author", "source", "draft date", "contact", "copyright", "notes"), ``{}`` when there
    is none. ``info_title``: the info-dictionary title unless it is a placeholder or a file name,
    else "". ``elements``: reading order, ``Element.page`` the 1-based physical page, title page
    excluded. ``page_labels`` / ``page_texts``: one per physical page, the printed page number
    ("87", "45A"; ``str`` of the physical index when none is printed) and the page's plain text
    without page numbers, headers, (MORE) and CONTINUED markers.
    """

    is_screenplay: bool
    title_page: dict[str, str]
    info_title: str
    elements: list[Element]
    page_labels: list[str]
    page_texts: list[str]
    hidden: HiddenText = field(default_factory=lambda: HiddenText({}, 0))


@dataclass(frozen=True)
class HiddenText:
    """Text a reader of the PDF never sees, left out: characters by reason ("invisible": render
    mode 3 or 7; "layer": in optional content hidden by default; "white": white text with no
    dark paint under it; "tiny": under 1 pt; "off-page": outside the crop box), and how
    many pages held some."""

    characters: dict[str, int]
    pages: int

    @property
    def total(self) -> int:
        return sum(self.characters.values())

    def notice(self) -> str | None:
        """One sentence for the reader, or ``None`` when nothing was left out."""
        if not self.total:
            return None
        reasons = ", ".join(_REASONS[r] for r in _REASONS if self.characters.get(r))
        pages = "1 page" if self.pages == 1 else f"{self.pages:,} pages"
        return (
            f"Left out {self.total:,} characters of hidden text on {pages} ({reasons}): "
            "the model never reads text a reader of the PDF cannot see."
        )


_REASONS = {
    "invisible": "invisible",
    "layer": "in a hidden layer",
    "white": "white on white",
    "tiny": "too small to read",
    "off-page": "outside the page",
}


def read_pdf(
    path: Path,
    password: str | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> PdfStructure:
    """Read the PDF at ``path`` into a :class:`PdfStructure`.

    Raises :class:`EncryptedPdfError` when it is locked and ``password`` does not open it,
    :class:`NoTextLayerError` when no page has text (a scan), :class:`EmptyDocumentError` for no
    pages, :class:`DocumentTooLargeError` above ``max_pages`` pages or for a page whose content is
    too big, and :class:`CorruptDocumentError` when pypdf cannot parse it, no page could be read,
    or reading takes longer than ``deadline_s`` seconds (pathological files).
    """
    from pypdf import PdfReader  # lazy on purpose: the window must appear fast

    deadline = time.monotonic() + deadline_s
    name = path.name
    # pypdf raises many exception types on damaged input (its own, ValueError, KeyError,
    # RecursionError...): every one of them means the same thing to a user.
    try:
        reader = PdfReader(path)
        _unlock(reader, password, path)
        page_count = len(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:
        logger.info("pypdf could not open %s: %s", name, type(exc).__name__)
        raise CorruptDocumentError(
            f'"{name}" is damaged or not a valid PDF, so it cannot be read.', path=path
        ) from exc
    if page_count == 0:
        raise EmptyDocumentError(f'"{name}" is empty: the PDF has no pages.', path=path)
    if page_count > max_pages:
        raise DocumentTooLargeError(
            f'"{name}" has {page_count:,} pages; Logline reads at most {max_pages:,}.', path=path
        )
    try:
        pages, sizes, failed, hidden = _read_pages(reader, page_count, deadline, path)
        if not any(pages):
            if failed:
                raise CorruptDocumentError(
                    f'"{name}" is damaged: no text could be read from its pages.', path=path
                )
            raise NoTextLayerError(
                f'"{name}" has no text layer; it looks like a scanned or image-only PDF. OCR is '
                "not supported: export the script as a text PDF or Fountain file instead.",
                path=path,
            )
        layout = classify_pages(pages, page_sizes=sizes)
    except DocumentError:
        raise
    except (RecursionError, MemoryError) as exc:
        logger.info("PDF %s is too complex to read: %s", name, type(exc).__name__)
        raise CorruptDocumentError(
            f'"{name}" is damaged or too complex to read.', path=path
        ) from exc
    return PdfStructure(
        is_screenplay=layout.is_screenplay,
        title_page=layout.title_page,
        info_title=_info_title(reader),
        elements=layout.elements,
        page_labels=layout.page_labels,
        page_texts=layout.page_texts,
        hidden=hidden,
    )


def _read_pages(
    reader: PdfReader, page_count: int, deadline: float, path: Path
) -> tuple[list[list[PositionedLine]], list[tuple[float, float]], int, HiddenText]:
    """Positioned lines and (width, height) per page, how many pages gave no text at all, and
    the hidden text left out."""
    # lazy on purpose: pypdf, and the scanner whose tokenizer compiles at import (~8 ms), load
    # when a PDF is opened, not at startup (the window must appear fast)
    from pypdf.errors import LimitReachedError

    from .pdf_scan import PageScanner, ScanLimitError, runs_to_lines
    from .pdf_scan.layers import hidden_layers

    name = path.name
    scanner = PageScanner(deadline=deadline, hidden_layers=hidden_layers(reader))
    pages: list[list[PositionedLine]] = []
    sizes: list[tuple[float, float]] = []
    failed = 0
    fallbacks = 0
    for number in range(page_count):
        if time.monotonic() > deadline:
            raise _too_slow(path)
        try:
            page = reader.pages[number]
            runs, width, height = scanner.scan_page(page)
            lines = runs_to_lines(runs)
        except ScanLimitError as exc:
            logger.info("PDF %s page %d hit a limit: %s", name, number + 1, exc.reason)
            if exc.reason == "deadline":
                raise _too_slow(path) from exc
            if exc.reason == "size":
                raise DocumentTooLargeError(
                    f'"{name}" has a page with too much content to read ({exc}).', path=path
                ) from exc
            raise CorruptDocumentError(
                f'"{name}" is damaged or malformed: {exc}.', path=path
            ) from exc
        except LimitReachedError as exc:
            raise DocumentTooLargeError(
                f'"{name}" has a page with too much content to read.', path=path
            ) from exc
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:  # the scanner could not read it: let pypdf try
            logger.debug(
                "Scanner failed on page %d of %s: %s", number + 1, name, type(exc).__name__
            )
            fallbacks += 1
            lines, width, height = _fallback_page(reader, number, name)
            if not lines:
                failed += 1
            if time.monotonic() > deadline:
                raise _too_slow(path) from exc
        pages.append(lines)
        sizes.append((width, height))
    if fallbacks:
        logger.info("PDF %s: %d of %d pages read by pypdf's extractor", name, fallbacks, page_count)
    if scanner.hidden:
        # counts only: the text itself never reaches a log
        logger.info("PDF %s: hidden text left out: %s", name, dict(scanner.hidden))
    return pages, sizes, failed, HiddenText(dict(scanner.hidden), scanner.hidden_pages)


def _fallback_page(
    reader: PdfReader, number: int, name: str
) -> tuple[list[PositionedLine], float, float]:
    """A page through ``extract_text()``: flush-left lines one line-height apart."""
    try:
        page: PageObject = reader.pages[number]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        raw = page.extract_text()
    except Exception as exc:
        logger.warning("No text from page %d of %s: %s", number + 1, name, type(exc).__name__)
        return [], 612.0, 792.0
    lines = [
        PositionedLine(x=72.0, y=72.0 + index * _FALLBACK_LINE_HEIGHT, text=line.strip())
        for index, line in enumerate(raw.splitlines())
        if line.strip()
    ]
    return lines, width, height


def _too_slow(path: Path) -> CorruptDocumentError:
    return CorruptDocumentError(
        f'"{path.name}" took too long to read; it may be damaged or unusually complex.', path=path
    )


def _unlock(reader: PdfReader, password: str | None, path: Path) -> None:
    """Decrypt ``reader`` with ``password``, else with "" (PDFs that only restrict printing)."""
    # lazy on purpose: pypdf loads when a PDF is opened (the window must appear fast)
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    for candidate in (password, ""):
        if candidate is None:
            continue
        try:
            if reader.decrypt(candidate) != PasswordType.NOT_DECRYPTED:
                return
        except DependencyError as exc:  # AES needs the optional `cryptography` package
            raise EncryptedPdfError(
                f'"{path.name}" uses an encryption this installation cannot open (AES needs the '
                "'cryptography' package).",
                path=path,
                password_given=bool(password),
            ) from exc
    if password:
        raise EncryptedPdfError(
            f'The password for "{path.name}" is incorrect.', path=path, password_given=True
        )
    raise EncryptedPdfError(
        f'"{path.name}" is password-protected. Enter its password to open it.', path=path
    )


def _info_title(reader: PdfReader) -> str:
    """The info-dictionary title unless it is a placeholder or a file name ("big-fish-source")."""
    try:
        info = reader.metadata
        title = str(info.title or "").strip() if info is not None else ""
    except Exception:  # a damaged info dictionary only costs the title
        return ""
    if title.lower() in _PLACEHOLDER_TITLES or _FILE_NAME_LIKE.match(title):
        return ""
    return title
