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
  flag of character cues are compared as well as types and text;
* screenplay-tools only: dumps made with non-default options (unmerged action/dialogue, tags)
  are skipped; runs of plain action are joined and empty actions dropped (their default merges
  action paragraphs); ``CONT'D`` extensions are ignored (they drop them); parentheticals compare
  without brackets; the dual flag is compared on the caret-carrying cue only (they flag only that
  one); their numbered note/boneyard markers and trailing note/boneyard records are dropped;
  agreement is also counted per element (sequence alignment), asserted at 90 %;
* nyousefi/Fountain has no expected outputs here: its fixtures are checked against our own
  spec-derived type sequences and structural checks (no fixture text in this file).

The per-case reasons are summarised, test-data-free, in ``docs/fountain-conformance.md``.
"""

from __future__ import annotations

import difflib
import random
import re
import time
from collections.abc import Callable
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
from timing import limit

PEER_TESTS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "peer-tests"
JOUVENCE = PEER_TESTS / "jouvence"
SCREENPLAIN = PEER_TESTS / "screenplain" / "tests-files"
SCREENPLAY_TOOLS = PEER_TESTS / "screenplay-tools"
NYOUSEFI = PEER_TESTS / "nyousefi-fountain"

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


# --- screenplay-tools ---------------------------------------------------------------------------

# Dumps compared against our default (fountain.io) semantics; the others need a non-default option
# of that parser (mergeActions=false, mergeDialogue=false, useTags=true): skipped, with a reason.
_SPT_SKIPPED = {
    "Action-Unmerged": "mergeActions=false: one element per line, not per paragraph",
    "Dialogue-Unmerged": "mergeDialogue=false: one element per dialogue line",
    "Tags": "useTags=true: '#tag' suffixes are a screenplay-tools extension",
}
_SPT_KINDS = {
    "HEADING": "scene_heading",
    "ACTION": "action",
    "CHARACTER": "character",
    "DIALOGUE": "dialogue",
    "PARENTHETICAL": "parenthetical",
    "TRANSITION": "transition",
    "LYRIC": "lyrics",
    "SECTION": "section",
    "SYNOPSIS": "synopsis",
    "NOTE": "note",
    "PAGEBREAK": "page_break",
    "BONEYARD": "boneyard",
    "TITLEENTRY": "title_entry",
}
_SPT_RECORD = re.compile(r'^(?:\[\[\d+\]\]|/\*\d+\*/)?([A-Z]+):"', re.MULTILINE)
_SPT_BODY = re.compile(r'(.*?)"((?: "[^"]*"| \([^()]*\)| tags:\S+)*)', re.DOTALL)
_SPT_MARKER = re.compile(r"\[\[\d+\]\]|/\*\d+\*/")
_CONTD = re.compile(r"^CONT[’']?D\.?$|^CONT\.?$|^CONTINUED$", re.IGNORECASE)


def _spt_records(dump: str) -> list[tuple[str, str, str]]:
    """``(TYPE, text, extras)`` per record of a screenplay-tools ``TYPE:"text" extras`` dump."""
    starts = list(_SPT_RECORD.finditer(dump))
    records: list[tuple[str, str, str]] = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(dump)
        body = dump[match.end() : end].rstrip("\n")
        parsed = _SPT_BODY.fullmatch(body)
        text, extras = (parsed.group(1), parsed.group(2)) if parsed else (body, "")
        records.append((match.group(1), text, extras))
    return records


def _cue_text(name: str, extensions: list[str]) -> str:
    kept = [part for part in extensions if not _CONTD.match(part.strip())]
    return _norm(" ".join([name] + [f"({part.strip()})" for part in kept]))


def _merge_actions(items: list[Item]) -> list[Item]:
    """Drop empty actions and join runs of plain actions (their merged action = our paragraphs)."""
    out: list[Item] = []
    for item in items:
        if item[0] == "action" and not item[1]:
            continue
        if item[0] == "action" and out and out[-1][0] == "action":
            out[-1] = ("action", f"{out[-1][1]} {item[1]}", None)
        else:
            out.append(item)
    return out


def _spt_expected(dump: str) -> list[Item]:
    items: list[Item] = []
    title: dict[str, str] = {}
    for kind_name, raw_text, extras in _spt_records(dump):
        kind = _SPT_KINDS.get(kind_name, kind_name.lower())
        text = _norm(_SPT_MARKER.sub("", raw_text))
        extra: object = None
        if kind in ("boneyard", "note"):
            continue  # listed after the script, not in reading order
        if kind == "title_entry":
            key, _, value = raw_text.partition('":"')
            title[key.strip().lower()] = _norm(value)
            continue
        if kind == "action" and "(centered)" in extras:
            kind = "centered"
        elif kind == "character":
            extensions = re.findall(r'"\(([^"]*)\)"', extras)
            text = _cue_text(raw_text, extensions)
            extra = bool(re.search(r"(?<!\")\(Dual\)(?!\")", extras))
        elif kind in ("scene_heading", "section"):
            number = re.search(r"\(([^()]*)\)", extras)
            extra = number.group(1) if number else None
            if kind == "section":
                extra = int(extra) if extra else None
        items.append((kind, text, extra))
    items = _merge_actions(items)
    return ([("title_page", _short(sorted(title.items()), 10_000), None)] if title else []) + items


def _spt_actual(metadata: dict[str, str], elements: list[Element]) -> list[Item]:
    items: list[Item] = []
    previous_cue: tuple[bool, bool] | None = None  # (dual, right side) of the previous cue
    for element in elements:
        kind, text, extra = element.type.value, _norm(element.text), None
        if element.type is ElementType.NOTE:
            continue
        if element.type is ElementType.CHARACTER:
            extensions = element.extension.split(", ") if element.extension else []
            text = _cue_text(element.text, extensions)
            right = element.dual and previous_cue is not None and previous_cue == (True, False)
            previous_cue = (element.dual, right)
            extra = right  # screenplay-tools flags only the cue carrying the caret
        elif element.type is ElementType.PARENTHETICAL:
            text = _norm(element.text.strip()[1:-1])
        elif element.type is ElementType.SCENE_HEADING:
            extra = element.scene_number
        elif element.type is ElementType.SECTION:
            extra = element.depth
        items.append((kind, text, extra))
    items = _merge_actions(items)
    title = {key: _norm(value) for key, value in metadata.items()}
    return ([("title_page", _short(sorted(title.items()), 10_000), None)] if title else []) + items


_TAG = re.compile(r"</?[biu]>")


def _formatted_case(source: str, dump: str) -> tuple[list[Item], list[Item]]:
    """Emphasis: their HTML-ish rendering without tags vs our cleaned text, markers kept."""
    expected = [
        ("action", " ".join(_TAG.sub("", block).split()), None)
        for block in dump.split("\n\n")
        if block.strip()
    ]
    _, elements = parse_fountain_elements(source)
    actual = [(e.type.value, " ".join(e.text.split()), None) for e in elements]
    return expected, actual


def _agreement(expected: list, actual: list) -> int:
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def screenplay_tools_results() -> tuple[dict[str, tuple[int, int]], dict[str, str], dict[str, str]]:
    """Per dump ``{case: (agreeing elements, compared elements)}``, failures, and skipped dumps."""
    counts: dict[str, tuple[int, int]] = {}
    failures: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for dump_path in sorted(SCREENPLAY_TOOLS.glob("*.txt")):
        stem = dump_path.stem
        source_path = SCREENPLAY_TOOLS / f"{stem.removesuffix('-Merged')}.fountain"
        if stem in _SPT_SKIPPED:
            skipped[stem] = _SPT_SKIPPED[stem]
            continue
        if not source_path.exists():
            skipped[stem] = "no Fountain input of that name (an event log, not a dump)"
            continue
        source = source_path.read_text(encoding="utf-8-sig")
        dump = dump_path.read_text(encoding="utf-8")
        if stem == "Formatted":
            expected, actual = _formatted_case(source, dump)
        else:
            expected = _spt_expected(dump)
            actual = _spt_actual(*parse_fountain_elements(source))
        counts[stem] = (_agreement(expected, actual), max(len(expected), len(actual)))
        reason = _diff(expected, actual)
        if reason is not None:
            failures[f"screenplay-tools:{stem}"] = reason
    return counts, failures, skipped


# --- nyousefi/Fountain -----------------------------------------------------------------------

# The reference parser keeps its expectations in Objective-C test code (not copied). These are our
# own structural expectations from the fountain.io spec for what each fixture demonstrates: the
# element type sequence as one letter per element (no fixture text), plus checks below.
_CODES = {
    ElementType.SCENE_HEADING: "H", ElementType.ACTION: "A", ElementType.CHARACTER: "C",
    ElementType.PARENTHETICAL: "P", ElementType.DIALOGUE: "D", ElementType.TRANSITION: "T",
    ElementType.CENTERED: "X", ElementType.LYRICS: "L", ElementType.SECTION: "S",
    ElementType.SYNOPSIS: "Y", ElementType.NOTE: "N", ElementType.PAGE_BREAK: "B",
}  # fmt: skip
NYOUSEFI_EXPECTED = {
    # boneyard removed, inline boneyard leaves one action line
    "Boneyard": "AA",
    # >text< centered (spaces/tabs inside trimmed); > alone is a forced transition
    "CenteredText": "XTXX",
    # cues with extensions, parentheticals inside/at the end of dialogue, dual pair, "R2D2" is a
    # cue but a name without a letter is action, two-space line continues dialogue, tab indents
    "Dialogue": "CDCDCPDCDCDCDCDPCDCDCDPACDCPD",
    "DualDialogue": "CDCD",
    # ! forces a 3-line action, @ forces a mixed-case cue, ~ lines are lyrics
    "ForcedElements": "ACDCL",
    "Indenting": "THACDCPDA",
    "MultilineAction": "AAA",
    # stand-alone notes (one spans lines) become notes; an inline note is removed
    "Notes": "ANNA",
    "PageBreaks": "ABABA",
    # every INT/EXT/EST/I-E variant, forced .KITCHEN; "..." is action; two heading lines with no
    # blank between are action (a heading needs a blank line after it); ESTABLISHING is action
    "SceneHeaders": "HHHHHHHHHHHHHHHAAAH",
    "SceneNumbers": "HHHHHHH",
    "SectionHeaders": "SSSSSSS",
    "Sections-Complex": "SYHSSH",
    # FADE IN: is action (no TO:), ==== page break, > forced transition, [[ ]] note, trailing
    # spaces after CUT TO: make it action
    "Simple": "AHACPDBHATXNYSASAHAANA",
    "Synopses": "SYSYSY",
    # FADE TO BLACK. and a transition with trailing spaces are action
    "Transitions": "TTATATT",
}


def nyousefi_results() -> tuple[int, int, dict[str, str]]:
    """``(passed, total, failures)``: type sequences and per-fixture structural checks."""
    passed = 0
    failures: dict[str, str] = {}
    for stem, expected in NYOUSEFI_EXPECTED.items():
        path = NYOUSEFI / f"{stem}.fountain"
        metadata, elements = parse_fountain_elements(path.read_text(encoding="utf-8-sig"))
        codes = "".join(_CODES[element.type] for element in elements)
        reason = None if codes == expected else f"types {codes!r}, expected {expected!r}"
        reason = reason or _nyousefi_check(stem, metadata, elements)
        if reason is None:
            passed += 1
        else:
            failures[f"nyousefi:{stem}"] = reason
    return passed, len(NYOUSEFI_EXPECTED), failures


def _nyousefi_check(stem: str, metadata: dict[str, str], elements: list[Element]) -> str | None:
    """Structural checks beyond types; a reason string when one fails."""
    texts = [element.text for element in elements]
    of = {kind: [e for e in elements if e.type is kind] for kind in ElementType}
    if any(mark in text for text in texts for mark in ("/*", "*/", "[[", "]]")):
        return "boneyard or note markers left in element text"
    marked = [e.text for e in elements if e.type is not ElementType.ACTION]
    if any(mark in text for text in marked for mark in ("#", ">", "<", "~", "@", "^")):
        return "Fountain markup left in element text"
    if any(text != text.strip() or "  " in text for text in texts if stem in ("Boneyard", "Notes")):
        return "removed span left stray spaces"
    checks: dict[str, Callable[[], bool]] = {
        "DualDialogue": lambda: all(e.dual for e in elements),
        "Dialogue": lambda: (
            [e.dual for e in of[ElementType.CHARACTER]].count(True) == 2
            and sum(1 for e in of[ElementType.CHARACTER] if e.extension) == 2
            and all(e.text.startswith("(") for e in of[ElementType.PARENTHETICAL])
        ),
        "ForcedElements": lambda: (
            texts[0].count("\n") == 2 and not texts[1].isupper() and texts[4].count("\n") == 1
        ),
        "MultilineAction": lambda: texts[1].count("\n") == 3,
        "Notes": lambda: "\n" not in texts[2],
        "PageBreaks": lambda: [e.page for e in elements] == [1, 1, 2, 2, 3],
        "SceneHeaders": lambda: (
            not any(e.text.startswith(".") for e in of[ElementType.SCENE_HEADING])
        ),
        "SceneNumbers": lambda: (
            len({e.scene_number for e in elements}) == 7
            and all(e.scene_number and "#" not in e.text for e in elements)
            and [s.scene_number_label for s in build_scenes(elements)]
            == [e.scene_number for e in elements]
        ),
        "SectionHeaders": lambda: [e.depth for e in elements] == [1, 1, 1, 1, 1, 2, 3],
        "Sections-Complex": lambda: [e.depth for e in of[ElementType.SECTION]] == [1, 1, 2],
        "Simple": lambda: (
            set(metadata) == {"title", "author", "draft date"}
            and len(build_scenes(elements)) == 3
            and {e.page for e in elements} == {1, 2}
        ),
        "Synopses": lambda: all(e.depth == 1 for e in of[ElementType.SECTION]),
    }
    return None if checks.get(stem, lambda: True)() else f"structural check failed for {stem}"


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


def test_screenplay_tools_conformance() -> None:
    if not SCREENPLAY_TOOLS.is_dir():
        pytest.skip(f"peer suite not found: {SCREENPLAY_TOOLS}")
    counts, failures, skipped = screenplay_tools_results()
    agreeing = sum(good for good, _ in counts.values())
    compared = sum(total for _, total in counts.values())
    whole = sum(1 for good, total in counts.values() if good == total)
    _report("screenplay-tools", whole, len(counts), failures)
    print(f"  elements: {agreeing}/{compared} agree ({agreeing / compared:.1%})")
    for stem, (good, total) in counts.items():
        print(f"  {stem}: {good}/{total}")
    for stem, reason in skipped.items():
        print(f"  skipped {stem}: {reason}")
    assert compared > 0
    assert agreeing >= 0.9 * compared, failures


def test_nyousefi_structure() -> None:
    if not NYOUSEFI.is_dir():
        pytest.skip(f"peer suite not found: {NYOUSEFI}")
    passed, total, failures = nyousefi_results()
    _report("nyousefi/Fountain (spec-derived structure)", passed, total, failures)
    assert passed == total, failures


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
    assert time.perf_counter() - started < limit(10.0)


def test_no_qt_import() -> None:
    source = Path(parse_fountain_elements.__code__.co_filename).read_text(encoding="utf-8")
    assert re.search(r"^\s*(from|import)\s+PySide6", source, re.MULTILINE) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # lines that force another element are never character cues
        ("> THE END <\n> PART TWO <\n", ["centered", "centered"]),
        ("# ACT ONE\n= SETUP\n", ["section", "synopsis"]),
        ("~LA LA\n~LA\n", ["lyrics"]),
        ("INT. HOUSE - DAY\nShe waits.\n", ["action"]),
        # a forced heading needs a letter or digit after the period
        (".KITCHEN\n\n. not a heading\n", ["scene_heading", "action"]),
        # the dual caret only counts at the end of a cue
        ("AND ^ (V.O.)\nHi.\n", ["action"]),
        # a sung line under a cue is lyrics
        ("BOB\n~ Happy days\n", ["character", "lyrics"]),
        # a cue whose lines vanish (an empty lyric, a note) is demoted to action
        ("BOB\n~\n", ["action"]),
        ("@\nHi.\n", ["action"]),
        ("BOB\n[[aside]]\n\nLater.\n", ["action", "action"]),
    ],
)
def test_element_rules(source: str, expected: list[str]) -> None:
    _, elements = parse_fountain_elements(source)
    assert [e.type.value for e in elements] == expected


def test_title_page_ends_at_first_non_key_line_and_spans_leave_one_space() -> None:
    metadata, elements = parse_fountain_elements("Title: T\nAuthor: A\nNot a key.\n")
    assert metadata == {"title": "T", "author": "A"}
    assert [(e.type, e.text) for e in elements] == [(ElementType.ACTION, "Not a key.")]
    _, elements = parse_fountain_elements("An /* aside */ here and [[note]] there.\n")
    assert elements[0].text == "An here and there."
    _, elements = parse_fountain_elements("\x00note:3\n\nText\x00.\n")  # NUL is not a marker
    assert [e.type for e in elements] == [ElementType.ACTION, ElementType.ACTION]
