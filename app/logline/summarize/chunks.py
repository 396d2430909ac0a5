"""Cut a document into the chunks a model reads one at a time, each under a token budget.

The atoms are *units*: the text before the first scene heading (the "preamble": a cold open
without a heading, an epigraph), then each scene of a screenplay, or each page of a generic
document. Each chunk holds whole units packed in document order, except that a unit longer than
the budget is split into parts (at element boundaries, then paragraphs, lines, sentences and
words; never mid-word unless a single "word" is itself over budget) and each part is a chunk of
its own. Every unit's text is preceded by a marker line (``[Sc. 12, pp. 34–36]``, ``[p. 7]``:
:func:`marker`, in the citation format :mod:`logline.summarize.citations` checks) so a model's
notes can cite scenes and pages.

Token counts come from a ``count_tokens(text) -> int`` callable (the engine's tokenizer); each
unit is tokenized once, a split unit's pieces once more, and each finished chunk once to report
its exact size. Qt-free and MLX-free.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import NamedTuple

from logline.documents.elements import Element, ElementType
from logline.documents.model import Document
from logline.documents.render import render_elements

CountTokens = Callable[[str], int]

UNIT_SEPARATOR = "\n\n"
_SPEECH_BODY = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})
# Where an over-long text may be cut, coarsest first: paragraphs, lines, sentences, words.
_CUTS = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"\s+"),
)


@dataclass(frozen=True)
class Chunk:
    """One map prompt's worth of document text.

    ``scenes`` are the :attr:`Scene.number` values covered (a split scene's number appears in
    each of its parts); ``preamble`` says the chunk holds text before the first scene heading.
    ``first_page``/``last_page`` are page *labels*. ``part`` is ``(k, n)`` when the chunk holds
    part ``k`` of ``n`` of one split scene (or split page, or split preamble) and nothing else.
    """

    index: int
    text: str
    tokens: int
    scenes: tuple[int, ...]
    first_page: str | None
    last_page: str | None
    part: tuple[int, int] | None = None
    preamble: bool = False

    @property
    def label(self) -> str:
        """A short description for progress lines: ``Sc. 12–14, pp. 34–40``."""
        bits: list[str] = []
        if self.preamble:
            bits.append("opening")
        if self.scenes:
            first, last = self.scenes[0], self.scenes[-1]
            bits.append(f"Sc. {first}" if first == last else f"Sc. {first}–{last}")
        if self.part is not None and bits:
            bits[-1] += f" (part {self.part[0]} of {self.part[1]})"
        pages = page_span(self.first_page, self.last_page)
        if pages:
            bits.append(pages)
        return ", ".join(bits) or f"chunk {self.index + 1}"


@dataclass(frozen=True)
class Unit:
    """A scene (``scene`` is its number), the preamble, or a page of a generic document.

    ``first_page``/``last_page`` are physical page numbers; ``elements`` is the span of
    :attr:`Document.elements` the unit renders (``None`` for a page of a generic document).
    """

    text: str
    scene: int | None
    first_page: int | None
    last_page: int | None
    preamble: bool = False
    elements: tuple[int, int] | None = None


@dataclass(frozen=True)
class Piece:
    """A slice of a unit's text; ``sep`` is the whitespace that joined it to the previous one."""

    sep: str
    text: str
    tokens: int
    first_page: int | None
    last_page: int | None


# ---------------------------------------------------------------- markers


def page_span(first: str | None, last: str | None) -> str:
    """``p. 34``, ``pp. 34–36`` or ``""`` when the page is unknown."""
    if first is None:
        return ""
    if last is None or last == first:
        return f"p. {first}"
    return f"pp. {first}–{last}"


def marker(
    scene: int | None, first: str | None, last: str | None, *, continued: bool = False
) -> str:
    """The marker line before a unit: ``[Sc. 12, p. 34]``, ``[Sc. 12 (continued), p. 35]``,
    ``[Sc. 12]``, ``[pp. 1–2]``; ``""`` when neither scene nor page is known."""
    bits = []
    if scene is not None:
        bits.append(f"Sc. {scene} (continued)" if continued else f"Sc. {scene}")
    pages = page_span(first, last)
    if pages:
        bits.append(pages)
    return f"[{', '.join(bits)}]" if bits else ""


def marked(
    document: Document,
    unit: Unit,
    text: str | None = None,
    pages: tuple[int | None, int | None] | None = None,
    *,
    continued: bool = False,
) -> str:
    """``text`` (default: the unit's) under the unit's marker line; ``pages`` (physical first
    and last) default to the unit's."""
    first, last = pages if pages is not None else (unit.first_page, unit.last_page)
    line = marker(
        unit.scene, document.page_label(first), document.page_label(last), continued=continued
    )
    body = unit.text if text is None else text
    return f"{line}\n{body}" if line else body


# ---------------------------------------------------------------- units


def document_units(document: Document) -> list[Unit]:
    """The document's units in order: preamble and scenes, or pages (empty ones left out)."""
    if not document.is_screenplay:
        return [
            Unit(page.text.strip(), None, page.number, page.number)
            for page in document.pages
            if page.text.strip()
        ]
    units: list[Unit] = []
    elements = document.elements
    opening = document.scenes[0].first_element if document.scenes else len(elements)
    if opening:
        text = render_elements(elements[:opening]).strip()
        if text:
            first, last = _pages(elements[:opening])
            units.append(Unit(text, None, first, last, preamble=True, elements=(0, opening - 1)))
    for scene in document.scenes:
        units.append(
            Unit(
                document.scene_text(scene).strip(),
                scene.number,
                scene.page_start,
                scene.page_end,
                elements=(scene.first_element, scene.last_element),
            )
        )
    return units


def _pages(elements: Sequence[Element]) -> tuple[int | None, int | None]:
    pages = [e.page for e in elements if e.page is not None and render_elements([e]).strip()]
    return (min(pages), max(pages)) if pages else (None, None)


def _element_blocks(elements: Sequence[Element]) -> Iterator[list[Element]]:
    """Elements grouped as :func:`render_elements` lays them out: a cue stays with its speech."""
    block: list[Element] = []
    in_speech = False
    for element in elements:
        if not render_elements([element]).strip():
            continue  # hidden (notes, sections, page breaks) or empty
        if element.type in _SPEECH_BODY and in_speech:
            block.append(element)
            continue
        if block:
            yield block
        block = [element]
        in_speech = element.type is ElementType.CHARACTER
    if block:
        yield block


def unit_pieces(document: Document, unit: Unit, count_tokens: CountTokens) -> list[Piece]:
    """The unit cut at its element boundaries (a speech is one piece), or at paragraphs for a
    page; each piece counted once."""
    if unit.elements is None:
        return [
            Piece(sep, text, count_tokens(sep + text), unit.first_page, unit.last_page)
            for sep, text in split_text(unit.text, _CUTS[0])
        ]
    first, last = unit.elements
    pieces: list[Piece] = []
    for block in _element_blocks(document.elements[first : last + 1]):
        text = render_elements(block).strip()
        pages = [e.page for e in block if e.page is not None]
        sep = UNIT_SEPARATOR if pieces else ""
        pieces.append(
            Piece(
                sep,
                text,
                count_tokens(sep + text),
                min(pages) if pages else unit.first_page,
                max(pages) if pages else unit.last_page,
            )
        )
    return pieces


# ---------------------------------------------------------------- chunks


class _Draft(NamedTuple):
    text: str
    scenes: tuple[int, ...]
    first: int | None
    last: int | None
    part: tuple[int, int] | None
    preamble: bool


def unit_tokens(document: Document, units: Sequence[Unit], count_tokens: CountTokens) -> list[int]:
    """Each unit's tokens with its marker line and the separator before it (one call each)."""
    return [count_tokens(UNIT_SEPARATOR + marked(document, unit)) for unit in units]


def build_chunks(
    document: Document,
    units: Sequence[Unit],
    sizes: Sequence[int],
    budget: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Chunks whose summed piece counts fit ``budget``; ``Chunk.tokens`` is counted exactly.

    Runs of units that fit are packed evenly (:func:`pack`); a unit over ``budget`` is split
    into parts, each a chunk of its own. The summed counts of separately tokenized pieces can
    differ from the count of their concatenation by a token or so at the joins: the caller
    checks ``Chunk.tokens`` and retries with a smaller budget where that matters.
    """
    drafts: list[_Draft] = []
    run: list[int] = []

    def flush() -> None:
        for start, end in pack([sizes[i] for i in run], budget):
            group = [units[i] for i in run[start:end]]
            text = UNIT_SEPARATOR.join(marked(document, unit) for unit in group)
            scenes = tuple(unit.scene for unit in group if unit.scene is not None)
            first, last = _span([(u.first_page, u.last_page) for u in group])
            drafts.append(_Draft(text, scenes, first, last, None, any(u.preamble for u in group)))
        run.clear()

    for index, unit in enumerate(units):
        if sizes[index] <= budget:
            run.append(index)
            continue
        flush()
        drafts.extend(_split_unit(document, unit, budget, count_tokens))
    flush()
    return [
        Chunk(
            index,
            text,
            count_tokens(text),
            scenes,
            document.page_label(first),
            document.page_label(last),
            part,
            preamble,
        )
        for index, (text, scenes, first, last, part, preamble) in enumerate(drafts)
    ]


def _split_unit(
    document: Document, unit: Unit, budget: int, count_tokens: CountTokens
) -> list[_Draft]:
    """Parts of one over-long unit, as evenly sized as its boundaries allow."""
    line = marked(document, unit, "", continued=True)
    room = budget - count_tokens(UNIT_SEPARATOR + line)
    if room < 1:
        raise ValueError(f"a budget of {budget} tokens leaves no room after the marker line")
    pieces = [
        fitted
        for piece in unit_pieces(document, unit, count_tokens)
        for fitted in fit_piece(piece, room, count_tokens)
    ]
    groups = pack([piece.tokens for piece in pieces], room)
    scenes = (unit.scene,) if unit.scene is not None else ()
    parts: list[_Draft] = []
    for number, (start, end) in enumerate(groups, 1):
        chosen = pieces[start:end]
        body = chosen[0].text + "".join(piece.sep + piece.text for piece in chosen[1:])
        first, last = _span([(piece.first_page, piece.last_page) for piece in chosen])
        if first is None:
            first, last = unit.first_page, unit.last_page
        text = marked(document, unit, body, (first, last), continued=number > 1)
        parts.append(_Draft(text, scenes, first, last, (number, len(groups)), unit.preamble))
    return parts


def _span(pages: Sequence[tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    firsts = [first for first, _ in pages if first is not None]
    lasts = [last for _, last in pages if last is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


# ---------------------------------------------------------------- splitting text


def split_text(text: str, cut: re.Pattern[str]) -> list[tuple[str, str]]:
    """``text`` cut where ``cut`` matches: ``(separator, piece)`` pairs, the first separator
    ``""``, such that joining every separator and piece gives ``text`` back (stripped)."""
    out: list[tuple[str, str]] = []
    pos, sep = 0, ""
    for match in cut.finditer(text):
        if match.start() > pos:
            out.append((sep, text[pos : match.start()]))
            sep = match.group()
        elif out:
            sep += match.group()
        pos = match.end()
    if pos < len(text):
        out.append((sep, text[pos:]))
    return out


def fit_piece(piece: Piece, budget: int, count_tokens: CountTokens, level: int = 0) -> list[Piece]:
    """``piece`` cut into pieces of at most ``budget`` tokens, at the coarsest boundary that
    works (paragraph, line, sentence, word), cutting inside a word only as a last resort."""
    if piece.tokens <= budget:
        return [piece]
    while level < len(_CUTS):
        parts = split_text(piece.text, _CUTS[level])
        level += 1
        if len(parts) > 1:
            out: list[Piece] = []
            for index, (sep, text) in enumerate(parts):
                sep = piece.sep if index == 0 else sep
                sub = Piece(sep, text, count_tokens(sep + text), piece.first_page, piece.last_page)
                out.extend(fit_piece(sub, budget, count_tokens, level))
            return out
    return _hard_cut(piece, budget, count_tokens)


def _hard_cut(piece: Piece, budget: int, count_tokens: CountTokens) -> list[Piece]:
    """Cut a single over-long word by characters (a URL, a run of symbols from a bad PDF)."""
    out: list[Piece] = []
    text, sep = piece.text, piece.sep
    chars_per_token = len(text) / max(1, piece.tokens)
    while text:
        size = max(1, min(len(text), int(budget * chars_per_token)))
        while size > 1 and count_tokens(sep + text[:size]) > budget:
            size = max(1, int(size * 0.9))
        head = text[:size]
        out.append(Piece(sep, head, count_tokens(sep + head), piece.first_page, piece.last_page))
        text, sep = text[size:], ""
    return out


# ---------------------------------------------------------------- balanced packing


def pack(sizes: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """Consecutive groups ``(start, end)`` (end exclusive) whose sizes each sum to at most
    ``budget``: as few groups as possible, and of sizes as even as possible.

    The group count is the greedy minimum. Among the cuttings into that many groups, the one
    with the least sum of squared group sizes is chosen (dynamic programming); for very many
    small items, where that costs too much, the largest group is made as small as the count
    allows and each cut is put as near as it can be to an equal share of the total.
    Raises ``ValueError`` when one item alone exceeds ``budget``.
    """
    n = len(sizes)
    if n == 0:
        return []
    largest = max(sizes)
    if largest > budget:
        raise ValueError(f"an item of {largest:,} tokens exceeds the budget of {budget:,}")
    prefix = list(accumulate(sizes, initial=0))
    need = _groups_needed(prefix, budget)
    groups = need[0]
    reach = [bisect_right(prefix, prefix[i] + budget) - 1 for i in range(n)]
    if groups * sum(far - i for i, far in enumerate(reach)) <= _EVEN_PACK_STEPS:
        return _pack_even(prefix, reach, need, groups)
    return _pack_near_shares(prefix, budget, groups)


_EVEN_PACK_STEPS = 200_000  # about 0.1 s of Python


def _pack_even(
    prefix: Sequence[int], reach: Sequence[int], need: Sequence[int], groups: int
) -> list[tuple[int, int]]:
    """The cutting into ``groups`` groups that minimises the sum of squared group sizes."""
    n = len(prefix) - 1
    inf = float("inf")
    cost = [0.0] + [inf] * n  # cost[e]: best cost of the groups so far ending at item e
    back: list[list[int]] = []
    for index in range(groups):
        left = groups - index - 1
        new = [inf] * (n + 1)
        came = [0] * (n + 1)
        for start in range(n):
            base = cost[start]
            if base == inf:
                continue
            for end in range(start + 1, reach[start] + 1):
                if need[end] > left or n - end < left:
                    continue
                value = base + (prefix[end] - prefix[start]) ** 2
                if value < new[end]:
                    new[end], came[end] = value, start
        cost = new
        back.append(came)
    bounds: list[tuple[int, int]] = []
    end = n
    for came in reversed(back):
        bounds.append((came[end], end))
        end = came[end]
    return bounds[::-1]


def _pack_near_shares(prefix: Sequence[int], budget: int, groups: int) -> list[tuple[int, int]]:
    """Cuts near equal shares of the total, under the smallest cap that allows ``groups``."""
    n = len(prefix) - 1
    low, high = max(b - a for a, b in pairwise(prefix)), budget
    while low < high:  # the smallest cap that still needs no more groups
        middle = (low + high) // 2
        if _groups_needed(prefix, middle)[0] <= groups:
            high = middle
        else:
            low = middle + 1
    cap = low
    need = _groups_needed(prefix, cap)
    negated = [-x for x in need]  # need[] never increases: bisect on its negation
    total = prefix[n]
    bounds: list[tuple[int, int]] = []
    start = 0
    for index in range(groups):
        left = groups - index - 1  # groups still to fill after this one
        if left == 0:
            end = n
        else:
            earliest = max(start + 1, bisect_left(negated, -left))
            latest = min(bisect_right(prefix, prefix[start] + cap) - 1, n - left)
            target = total * (index + 1) / groups
            end = min(max(bisect_left(prefix, target), earliest), latest)
            if end > earliest and target - prefix[end - 1] < prefix[end] - target:
                end -= 1
        bounds.append((start, end))
        start = end
    return bounds


def _groups_needed(prefix: Sequence[int], cap: int) -> list[int]:
    """``need[i]``: the fewest groups of at most ``cap`` that hold items ``i`` onwards."""
    n = len(prefix) - 1
    need = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        far = bisect_right(prefix, prefix[i] + cap) - 1
        need[i] = 1 + need[far]
    return need
