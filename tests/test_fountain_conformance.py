"""Conformance of the Fountain element parser with other projects' test suites.

The suites live in ``../shared/corpus/peer-tests/`` (outside the repository, never copied in);
the tests skip when it is absent. Each suite reports its pass count and a ``{case_id: reason}``
dict of disagreements, printed with ``pytest -s``.

Normalisation applied to both sides before comparing (documented here on purpose):

* whitespace runs collapse to one space and text is stripped (Jouvence keeps an action's leading
  ``\\n`` and raw indentation; screenplain writes ``&nbsp;``);
* emphasis markers ``*`` and ``_`` are removed (Jouvence keeps markup in its element text, we
  remove it);
* Jouvence only: empty action elements (``"!"``, ``"!\\n"``, artefacts of blank lines) are
  dropped and consecutive plain actions are merged (Jouvence merges action paragraphs, we emit one
  action per paragraph, as screenplain does); title-page values are compared the same way;
* screenplain only: transitions compare case-insensitively (screenplain upper-cases forced
  transitions); consecutive dialogue paragraphs of one cue are joined; scene numbers and the dual
  flag of character cues are compared as well as types and text.
"""

from __future__ import annotations

import random
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from logline.documents.elements import (
    Element,
    ElementType,
    build_scenes,
    split_character_cue,
    split_heading,
)
from logline.documents.fountain_elements import parse_fountain_elements

PEER_TESTS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "peer-tests"
JOUVENCE = PEER_TESTS / "jouvence"
SCREENPLAIN = PEER_TESTS / "screenplain" / "tests-files"

Item = tuple[str, str, object]


def _norm(text: str) -> str:
    return " ".join(text.replace("*", "").replace("_", "").split())


def _short(value: object, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _diff(expected: list, actual: list) -> str | None:
    """A one-line reason for the first disagreement, or ``None`` when the lists agree."""
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            return f"element {index}: expected {_short(want)}, got {_short(got)}"
    if len(expected) != len(actual):
        extra = expected[len(actual) :] or actual[len(expected) :]
        side = "missing" if len(expected) > len(actual) else "unexpected"
        return f"{side} element(s) from {len(min(expected, actual, key=len))}: {_short(extra)}"
    return None


# --- Jouvence ----------------------------------------------------------------------------------

_JOUVENCE_PREFIX = {
    ElementType.SCENE_HEADING: ".",
    ElementType.ACTION: "!",
    ElementType.CENTERED: "!><",
    ElementType.CHARACTER: "@",
    ElementType.DIALOGUE: "=",
    ElementType.PARENTHETICAL: "_",
    ElementType.TRANSITION: ">",
    ElementType.LYRICS: "~",
    ElementType.SECTION: "#",
    ElementType.SYNOPSIS: "+",
}


def _to_jouvence(element: Element) -> str | None:
    if element.type is ElementType.PAGE_BREAK:
        return "<pagebreak>"
    prefix = _JOUVENCE_PREFIX.get(element.type)
    if prefix is None:  # notes: Jouvence has no notation for them
        return None
    text = element.text
    if element.type is ElementType.CHARACTER and element.extension:
        text += "".join(f" ({part})" for part in element.extension.split(", "))
    return prefix + text


def _jouvence_norm(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item == "<pagebreak>":
            out.append(item)
            continue
        prefix = "!><" if item.startswith("!><") else item[0]
        text = _norm(item[len(prefix) :])
        if prefix == "!" and not text:
            continue
        if prefix == "!" and out and out[-1].startswith("!") and not out[-1].startswith("!><"):
            out[-1] += " " + text
        else:
            out.append(prefix + text)
    return out


def jouvence_results() -> tuple[int, int, dict[str, str]]:
    """``(passed, total, failures)`` over every YAML document of the Jouvence suite."""
    passed = total = 0
    failures: dict[str, str] = {}
    for path in sorted(JOUVENCE.glob("test_*.yaml")):
        for index, case in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if not case:
                continue
            total += 1
            case_id = f"jouvence:{path.stem}#{index}"
            metadata, elements = parse_fountain_elements(case.get("in") or "")
            actual = [item for item in map(_to_jouvence, elements) if item is not None]
            reason = _diff(_jouvence_norm(case.get("out") or []), _jouvence_norm(actual))
            if reason is None and case.get("title") is not None:
                want = {str(k).lower(): _norm(str(v)) for k, v in case["title"].items()}
                got = {k: _norm(v) for k, v in metadata.items()}
                reason = None if want == got else f"title page: expected {want}, got {got}"
            if reason is None:
                passed += 1
            else:
                failures[case_id] = reason
    return passed, total, failures


# --- screenplain -------------------------------------------------------------------------------

_CLASS_KINDS = frozenset(
    {("div", "transition"), ("div", "centered"), ("div", "lyrics")}
    | {("p", "character"), ("p", "parenthetical")}
)
_SECTION_TAGS = {f"h{level}": level for level in range(1, 6)}


class _ScreenplainHTML(HTMLParser):
    """Turn screenplain's ``--bare`` HTML into ``(type, text, extra)`` items."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.stack: list[tuple[str, str]] = []
        self.kind: str | None = None
        self.open_depth = 0
        self.buf: list[str] = []
        self.label: str | None = None
        self.in_label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "br":
            self.buf.append("\n")
            return
        self.stack.append((tag, cls))
        if tag == "span" and cls in ("scnuml", "scnumr"):
            self.in_label = cls
            return
        parent = next((c for t, c in reversed(self.stack[:-1]) if t == "div"), "")
        kind = None
        if tag == "h6":
            if "page-break" in cls:
                self.items.append(("page_break", "", None))
            kind, self.label = "scene_heading", None
        elif tag in _SECTION_TAGS:
            kind = "section"
        elif tag == "span" and cls.endswith("-synopsis"):
            kind = "synopsis"
        elif (tag, cls) in _CLASS_KINDS:
            kind = cls
        elif tag == "p" and parent in ("dialog", "left", "right"):
            kind = "dialogue"
        elif tag == "p":
            kind = {"action": "action", "lyrics": "lyrics", "centered": "centered"}.get(parent)
        if kind is not None:
            self.kind, self.open_depth, self.buf = kind, len(self.stack), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "br" or not self.stack:
            return
        if self.kind is not None and len(self.stack) == self.open_depth:
            self._emit()
        self.stack.pop()
        if tag == "span":
            self.in_label = ""

    def handle_data(self, data: str) -> None:
        if self.in_label:
            if self.in_label == "scnuml":
                self.label = data.strip()
        elif self.kind is not None:
            self.buf.append(data)

    def _emit(self) -> None:
        kind, text = self.kind or "", _norm("".join(self.buf))
        self.kind = None
        dual = any(cls == "dual" for _, cls in self.stack)
        if kind == "dialogue" and self.items and self.items[-1][0] == "dialogue":
            self.items[-1] = ("dialogue", (self.items[-1][1] + " " + text).strip(), dual)
            return
        extra: object = None
        if kind == "scene_heading":
            extra = self.label
        elif kind == "section":
            extra = _SECTION_TAGS[self.stack[-1][0]]
        elif kind in ("character", "dialogue", "parenthetical"):
            extra = dual
        if kind == "transition":
            text = text.casefold()
        self.items.append((kind, text, extra))


def _screenplain_items(elements: list[Element]) -> list[Item]:
    items: list[Item] = []
    for element in elements:
        kind, text = element.type.value, _norm(element.text)
        extra: object = None
        if element.type is ElementType.NOTE:
            continue  # screenplain drops notes
        if element.type is ElementType.SCENE_HEADING:
            extra = element.scene_number
        elif element.type is ElementType.SECTION:
            extra = element.depth
        elif element.type in (
            ElementType.CHARACTER,
            ElementType.DIALOGUE,
            ElementType.PARENTHETICAL,
        ):
            extra = element.dual
        if element.type is ElementType.CHARACTER and element.extension:
            text += "".join(f" ({part})" for part in element.extension.split(", "))
        if element.type is ElementType.TRANSITION:
            text = text.casefold()
        items.append((kind, text, extra))
    # screenplain marks a page break on the heading that follows; only keep breaks before one
    return [
        item
        for index, item in enumerate(items)
        if item[0] != "page_break"
        or (index + 1 < len(items) and items[index + 1][0] == "scene_heading")
    ]


def screenplain_results() -> tuple[int, int, dict[str, str]]:
    """``(passed, total, failures)`` over screenplain's ``.fountain`` files with expected HTML."""
    passed = total = 0
    failures: dict[str, str] = {}
    for source in sorted(SCREENPLAIN.glob("*.fountain")):
        expected_html = source.with_suffix(".html")
        if not expected_html.exists():
            continue
        total += 1
        parser = _ScreenplainHTML()
        parser.feed(expected_html.read_text(encoding="utf-8"))
        parser.close()
        _, elements = parse_fountain_elements(source.read_text(encoding="utf-8"))
        reason = _diff(parser.items, _screenplain_items(elements))
        if reason is None:
            passed += 1
        else:
            failures[f"screenplain:{source.stem}"] = reason
    return passed, total, failures


# --- tests -------------------------------------------------------------------------------------


def _report(name: str, passed: int, total: int, failures: dict[str, str]) -> None:
    print(f"\n{name}: {passed}/{total} cases agree")
    for case_id, reason in failures.items():
        print(f"  {case_id}: {reason}")


def test_jouvence_conformance() -> None:
    if not JOUVENCE.is_dir():
        pytest.skip(f"peer suite not found: {JOUVENCE}")
    passed, total, failures = jouvence_results()
    _report("Jouvence", passed, total, failures)
    assert total > 0
    assert passed >= 0.9 * total, failures


def test_screenplain_conformance() -> None:
    if not SCREENPLAIN.is_dir():
        pytest.skip(f"peer suite not found: {SCREENPLAIN}")
    passed, total, failures = screenplain_results()
    _report("screenplain", passed, total, failures)
    assert total > 0
    assert passed >= 0.9 * total, failures


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("INT. HOUSE - NIGHT", ("INT.", "HOUSE", "NIGHT")),
        ("EXT. HOUSE - KITCHEN - DAY", ("EXT.", "HOUSE - KITCHEN", "DAY")),
        ("INT./EXT. CAR - MOVING", ("INT./EXT.", "CAR", "MOVING")),
        ("I/E TRAIN", ("INT./EXT.", "TRAIN", "")),
        ("EST. CITY", ("EXT.", "CITY", "")),
        ("SNIPER SCOPE POV", ("", "SNIPER SCOPE POV", "")),
    ],
)
def test_split_heading(heading: str, expected: tuple[str, str, str]) -> None:
    assert split_heading(heading) == expected


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("EDWARD (V.O.)", ("EDWARD", "V.O.")),
        ("EDWARD(CONT'D)", ("EDWARD", "CONT'D")),
        ("BRICK ^", ("BRICK", None)),
        ("MOM (O.S.) (CONT'D)", ("MOM", "O.S., CONT'D")),
        ("@McCLANE", ("McCLANE", None)),
    ],
)
def test_split_character_cue(cue: str, expected: tuple[str, str | None]) -> None:
    assert split_character_cue(cue) == expected


def test_scenes_and_extensions() -> None:
    source = (
        "Title: Test\n\nINT. HOUSE - NIGHT #1A#\n\nMOM (O.S.) (CONT'D)\nHi.\n\n===\n\n"
        "EXT. YARD - DAY\n\nBRICK\nHey.\n\nSTEEL ^\nHo.\n"
    )
    metadata, elements = parse_fountain_elements(source)
    assert metadata == {"title": "Test"}
    scenes = build_scenes(elements)
    assert [(s.int_ext, s.location, s.time_of_day) for s in scenes] == [
        ("INT.", "HOUSE", "NIGHT"),
        ("EXT.", "YARD", "DAY"),
    ]
    assert scenes[0].scene_number_label == "1A"
    assert (scenes[1].page_start, scenes[1].page_end) == (2, 2)
    mom = elements[1]
    assert (mom.type, mom.text, mom.extension) == (ElementType.CHARACTER, "MOM", "O.S., CONT'D")
    assert [e.dual for e in elements if e.type is ElementType.CHARACTER] == [False, True, True]


_FUZZ_PIECES = (
    "INT. HOUSE - DAY", "EXT", ".", "..", "!", "@", "#", "##", "=", "===", "~", ">", "<", "^",
    "(", ")", "[[", "]]", "/*", "*/", "*", "**", "***", "_", "\\*", "CUT TO:", "BOB", "BOB (V.O.)",
    "Title:", "Author: X", "  ", "\t", "\n", "\n\n", "\r\n", "\ufeff", "#1#", "word", "é", "\f",
)  # fmt: skip


def test_fuzz_never_raises_and_is_fast() -> None:
    rng = random.Random(0)
    started = time.perf_counter()
    for _ in range(300):
        pieces = rng.choices(_FUZZ_PIECES, k=rng.randint(0, 200))
        source = "".join(piece + rng.choice(("", " ", "\n")) for piece in pieces)
        metadata, elements = parse_fountain_elements(source)
        assert isinstance(metadata, dict)
        assert all(isinstance(element.text, str) for element in elements)
        build_scenes(elements)
    # adversarial: long unclosed markup runs must stay linear
    for source in ("/*" * 20000, "[[" * 20000, "*a" * 20000, "_ " * 20000, "A\n" * 20000):
        parse_fountain_elements(source)
    assert time.perf_counter() - started < 10.0


def test_no_qt_import() -> None:
    source = Path(parse_fountain_elements.__code__.co_filename).read_text(encoding="utf-8")
    assert re.search(r"^\s*(from|import)\s+PySide6", source, re.MULTILINE) is None
