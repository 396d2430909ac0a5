"""Citations in a model's answer, checked against the document they claim to cite.

A citation is a bracketed group such as ``(Sc. 12, p. 34)``, ``(Sc. 12–14, pp. 34–36)``,
``(Sc. 12, 14)``, ``(p. 34)``, ``(Scene 12, page 34)`` or several in one group,
``(Sc. 3, p. 4; Sc. 7, p. 9)`` (square brackets, as in the markers the model reads, count too).
Scene numbers are Logline's ordinals (:attr:`Scene.number`); pages are page labels
(:meth:`Document.page_label`). A group counts only when all of it parses as citations, so prose in
parentheses is left alone.

:func:`validate` checks each citation (the scene exists, the page exists, the page lies within the
cited scene's pages); :func:`apply` removes the invalid ones or flags them as
``(⚠ Sc. 99 — not in this script)`` so an invented reference is never shown as fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from logline.documents.model import Document

Reason = Literal["unknown_scene", "unknown_page", "page_outside_scene", "no_scenes"]
Policy = Literal["flag", "remove"]

FLAG = "⚠"
# A flagged citation as :func:`apply` writes it, for views that style it.
FLAGGED_RE = re.compile(r"\(" + FLAG + r" [^()\n]*\)")

# Ranges wider than this are kept as their two ends (no model cites 500 scenes at once).
_MAX_RANGE = 500

# A group's content: no brackets or line breaks, except a split scene's "(continued)".
_CONTENT = r"((?:[^()\[\]\n]|\(continued\)){1,300})"
_GROUP_RE = re.compile(rf"\({_CONTENT}\)|\[{_CONTENT}\](?!\()", re.IGNORECASE)
_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<scene>\b(?:scenes?|scs?)\b\.?)
      | (?P<page>\b(?:pages?|pp|pgs?|p)\b\.?)
      | (?P<num>\d+[A-Za-z]{0,2}\b)
      | (?P<range>[-–—]|\bto\b|\bthrough\b)
      | (?P<list>,|&|\band\b)
      | (?P<semi>;)
      | (?P<cont>\(continued\)|\bcont(?:inued|'d|d)\b)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_LEAD_RE = re.compile(r"\s*(?:see|cf\.|also)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """One reference: ``span`` is where it is in the text, ``group`` the bracketed group around it
    (brackets included; a group may hold several references). ``pages`` are labels as written."""

    span: tuple[int, int]
    group: tuple[int, int]
    scenes: tuple[int, ...]
    pages: tuple[str, ...]
    raw: str


@dataclass(frozen=True)
class CitationCheck:
    citation: Citation
    reason: Reason | None = None
    message: str = ""  # why it is invalid, short enough to show inside the citation

    @property
    def valid(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class CitationReport:
    checks: tuple[CitationCheck, ...]

    @property
    def citations(self) -> list[Citation]:
        return [check.citation for check in self.checks]

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def invalid(self) -> list[CitationCheck]:
        return [check for check in self.checks if not check.valid]

    @property
    def valid_count(self) -> int:
        return self.total - self.invalid_count

    @property
    def invalid_count(self) -> int:
        return len(self.invalid)

    def to_json(self) -> dict[str, object]:
        """Counts and the invalid citations, for the summary's JSON sidecar."""
        return {
            "total": self.total,
            "valid": self.valid_count,
            "invalid": self.invalid_count,
            "problems": [
                {"citation": c.citation.raw, "reason": c.reason, "message": c.message}
                for c in self.invalid
            ],
        }


# --- parsing -------------------------------------------------------------------------------------


class _Ref:
    def __init__(self, start: int) -> None:
        self.start = start
        self.end = start
        self.scenes: list[int] = []
        self.pages: list[str] = []


def find_citations(text: str) -> list[Citation]:
    """Every citation in ``text``, in order."""
    found: list[Citation] = []
    for match in _GROUP_RE.finditer(text):
        index = 1 if match.group(1) is not None else 2
        refs = _parse_group(match.group(index))
        if not refs:
            continue
        offset = match.start(index)
        for ref in refs:
            span = (offset + ref.start, offset + ref.end)
            found.append(
                Citation(
                    span=span,
                    group=match.span(),
                    scenes=tuple(ref.scenes),
                    pages=tuple(ref.pages),
                    raw=text[span[0] : span[1]],
                )
            )
    return found


def _parse_group(content: str) -> list[_Ref] | None:
    """The references in one bracketed group, or ``None`` when it is not all citations."""
    lead = _LEAD_RE.match(content)
    pos = lead.end() if lead else 0
    end = len(content.rstrip().rstrip(".").rstrip())
    refs: list[_Ref] = []
    ref: _Ref | None = None
    target: Literal["scene", "page"] | None = None
    previous = "start"  # the kind of the previous token
    while pos < end:
        token = _TOKEN_RE.match(content, pos)
        if token is None or token.end() > end:
            return None
        kind = token.lastgroup or ""
        start = token.start(kind)
        pos = token.end()
        if kind in ("scene", "page"):
            if previous not in ("start", "list", "semi", "num"):
                return None
            if ref is None or previous == "semi" or (ref.scenes if kind == "scene" else ref.pages):
                ref = _Ref(start)
                refs.append(ref)
            target = "scene" if kind == "scene" else "page"
        elif kind == "num":
            if ref is None or target is None or previous not in ("scene", "page", "list", "range"):
                return None
            value = token.group(kind)
            if previous == "range":
                if not _extend(ref, target, value):
                    return None
            elif target == "scene":
                if not value.isdigit():
                    return None
                ref.scenes.append(int(value))
            else:
                ref.pages.append(value)
            ref.end = token.end(kind)
        elif kind in ("range", "list"):
            if previous != "num":
                return None
        elif kind == "cont":  # "Sc. 12 (continued)", as in the markers of a split scene
            if previous != "num" or target != "scene" or ref is None:
                return None
            kind = "num"
            ref.end = token.end("cont")
        elif kind == "semi":
            if previous != "num":
                return None
            target = None
        previous = kind
    if previous != "num" or not refs:
        return None
    return refs


def _extend(ref: _Ref, target: str, value: str) -> bool:
    """Turn the last number of ``ref``'s ``target`` list into a range ending at ``value``."""
    if target == "scene":
        if not value.isdigit():
            return False
        low, high = ref.scenes[-1], int(value)
        if low < high <= low + _MAX_RANGE:
            ref.scenes.extend(range(low + 1, high + 1))
        else:
            ref.scenes.append(high)
        return True
    low_label = ref.pages[-1]
    if (
        low_label.isdigit()
        and value.isdigit()
        and int(low_label) < int(value) <= int(low_label) + _MAX_RANGE
    ):
        ref.pages.extend(str(n) for n in range(int(low_label) + 1, int(value) + 1))
    else:
        ref.pages.append(value)
    return True


# --- validation ----------------------------------------------------------------------------------


class _Index:
    """What validation needs to know about a document."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.scene_count = len(document.scenes)
        self.noun = "script" if document.is_screenplay else "document"
        self.pages: dict[str, set[int]] = {}
        for page in document.pages:
            self.pages.setdefault(page.label.strip().upper(), set()).add(page.number)

    def scene_pages(self, number: int) -> range | None:
        scene = self.document.scenes[number - 1]
        if scene.page_start is None or scene.page_end is None:
            return None
        return range(scene.page_start, scene.page_end + 1)

    def label(self, number: int) -> str:
        return self.document.page_label(number) or str(number)


def validate(text: str, document: Document) -> CitationReport:
    """Check every citation in ``text`` against ``document``."""
    index = _Index(document)
    return CitationReport(tuple(_check(citation, index) for citation in find_citations(text)))


def _check(citation: Citation, index: _Index) -> CitationCheck:
    scenes, pages = citation.scenes, citation.pages
    if scenes and index.scene_count == 0:
        return CitationCheck(citation, "no_scenes", f"this {index.noun} has no scenes")
    unknown = [n for n in scenes if not 1 <= n <= index.scene_count]
    if unknown:
        message = f"not in this {index.noun}"
        if len(set(scenes)) > 1:
            message = f"Sc. {unknown[0]} is not in this {index.noun}"
        return CitationCheck(citation, "unknown_scene", message)
    missing = [label for label in pages if label.strip().upper() not in index.pages]
    if missing:
        return CitationCheck(citation, "unknown_page", f"no p. {missing[0]} in this {index.noun}")
    if scenes and pages:
        spans = [index.scene_pages(n) for n in dict.fromkeys(scenes)]
        if all(span is not None for span in spans):
            allowed = {number for span in spans if span for number in span}
            for label in pages:
                if not index.pages[label.strip().upper()] & allowed:
                    return CitationCheck(
                        citation, "page_outside_scene", _outside(label, scenes, spans, index)
                    )
    return CitationCheck(citation)


def _outside(label: str, scenes: tuple[int, ...], spans: list[range | None], index: _Index) -> str:
    if len(spans) == 1 and spans[0] is not None:
        first, last = index.label(spans[0].start), index.label(spans[0].stop - 1)
        where = f"p. {first}" if first == last else f"pp. {first}–{last}"
        return f"Sc. {scenes[0]} is on {where}"
    return f"p. {label} is outside the cited scenes"


# --- applying a policy ---------------------------------------------------------------------------


def apply(text: str, report: CitationReport, policy: Policy) -> str:
    """``text`` with its invalid citations removed (``"remove"``) or flagged (``"flag"``).

    Valid citations are left as written. ``report`` must come from :func:`validate` on ``text``.
    """
    if policy not in ("flag", "remove"):
        raise ValueError(f"Unknown citation policy {policy!r}")
    groups: dict[tuple[int, int], list[CitationCheck]] = {}
    for check in report.checks:
        span = check.citation.span
        if text[span[0] : span[1]] != check.citation.raw:
            raise ValueError("The citation report does not belong to this text")
        groups.setdefault(check.citation.group, []).append(check)
    for (start, end), checks in sorted(groups.items(), reverse=True):
        bad = [check for check in checks if not check.valid]
        if not bad:
            continue
        good = [check.citation.raw for check in checks if check.valid]
        kept = _bracket(text[start], "; ".join(good)) if good else ""
        if policy == "flag":
            flags = " ".join(f"({FLAG} {c.citation.raw} — {c.message})" for c in bad)
            text = text[:start] + " ".join(part for part in (kept, flags) if part) + text[end:]
        elif kept:
            text = text[:start] + kept + text[end:]
        else:
            text = _cut(text, start, end)
    return text


def _bracket(opening: str, inner: str) -> str:
    return f"[{inner}]" if opening == "[" else f"({inner})"


def _cut(text: str, start: int, end: int) -> str:
    """Remove ``text[start:end]`` and the spaces that would be left doubled or dangling."""
    if text[end : end + 1] in (" ", "\t"):
        if start == 0 or text[start - 1] in " \t\n":
            while end < len(text) and text[end] in " \t":
                end += 1
    else:
        while start > 0 and text[start - 1] in " \t":
            start -= 1
    return text[:start] + text[end:]
