"""The loop guard: notice when a sequence's text starts repeating itself, and where to cut it.

Small models fall into loops: the same two sentences until the length limit, or the same bullet
line again and again. ``LoopGuard`` reads a sequence's text as it is shown, piece by piece, and
fires on either of two patterns:

* **a repeated pair of sentences**: two consecutive sentences equal to an earlier pair of
  consecutive sentences (not overlapping it). Sentences are compared normalised: case-folded,
  digit runs as one digit, punctuation and whitespace collapsed. Sentences end at ``.``, ``!``,
  ``?`` or ``…`` followed by a space and then not by a lowercase letter or digit (so
  ``(Sc. 12, p. 34)`` and ``e.g. this`` do not end one), not after a single letter, a number
  or a short capitalised word (``Dr.``, ``Sc.``, ``INT.``), and at every line break (bullet
  lists). A single sentence said twice (``The end.``) does not fire; the same one four times in
  a row does (its pair repeats).
* **a repeated run of words**: the same words back to back, at least ``MIN_RUN_WORDS`` of them
  (a 12-word span said twice, or a shorter phrase repeated until 12 words repeat): lists and
  runs without full stops. Words are case-folded; their digits are kept, so ``Sc. 1, Sc. 2``
  is no loop.

When it fires, ``cut`` is the length of the text to keep: everything before the second
occurrence, without trailing whitespace or a dangling bullet. Decisions depend on the text only,
never on how it was split into pieces: a sentence or word counts once the character after it
has arrived, and patterns are checked in the order of those characters.
"""

from __future__ import annotations

import re

MIN_PAIR_WORDS = 4  # a repeated sentence pair needs this many words in all
MIN_RUN_WORDS = 12  # a back-to-back repeat without sentence ends needs this many words
MAX_PERIOD_WORDS = 256  # the longest repeating word block looked for

_CLOSERS = "\"'”’»)\\]*_"
_BOUNDARY = re.compile(
    r"\n|(?P<stop>[.!?…]++)[" + _CLOSERS + r"]*+(?=(?P<gap>[^\S\n]*)(?P<next>\n|\S))"
)
_UNDECIDED = frozenset(".!?…" + _CLOSERS.replace("\\", "") + " \t\r\f\v\n")
_WORD = re.compile(r"[^\W_]++(?=[\W_])")
_LAST_WORD = re.compile(r"[^\W_]++\Z")
_WORD_BEFORE = re.compile(r"([^\W_]+)[" + _CLOSERS + r"]*\Z")
_MARKUP = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
_MARKER_LINE = re.compile(r"[^\w\n]*(?:\d+[.)])?[^\w\n]*")


def normalise(sentence: str) -> str:
    """A sentence as compared: case-folded, digits as ``0``, punctuation and spaces as one
    space."""
    folded = _DIGITS.sub("0", sentence.casefold())
    return _MARKUP.sub(" ", folded).strip()


class LoopGuard:
    """One sequence's repetition detector. Feed it the shown text with ``take``; call
    ``finish`` when the sequence ends. ``fired`` tells, ``cut`` says how much text to keep."""

    def __init__(self) -> None:
        self.text = ""
        self.cut: int | None = None
        # sentences
        self._sentence_start = 0
        self._boundary_scan = 0  # boundaries before this are decided
        self._keys: list[str] = []
        self._starts: list[int] = []
        self._first_pair: dict[tuple[str, str], int] = {}
        # words
        self._word_scan = 0
        self._words: list[str] = []
        self._word_starts: list[int] = []
        self._positions: dict[str, list[int]] = {}
        self._runs: dict[int, int] = {}  # period -> words in a row equal to the one `period` back

    @property
    def fired(self) -> bool:
        return self.cut is not None

    @property
    def kept(self) -> str:
        """The text without its repeated tail (all of it while the guard has not fired)."""
        return self.text if self.cut is None else self.text[: self.cut]

    def take(self, piece: str) -> tuple[str, int]:
        """Add shown text: (the part of ``piece`` to pass on, characters of text passed on
        before to withdraw). Once fired, nothing more is passed on."""
        if self.cut is not None:
            return "", 0
        before = len(self.text)
        self.text += piece
        self._check(final=False)
        if self.cut is None:
            return piece, 0
        if self.cut >= before:
            return piece[: self.cut - before], 0
        return "", before - self.cut

    def finish(self) -> int:
        """The text has ended (its last sentence and word are complete): check them too;
        returns the characters of text passed on to withdraw (0 unless it fires now)."""
        if self.cut is not None:
            return 0
        self._check(final=True)
        return 0 if self.cut is None else len(self.text) - self.cut

    # -- checks ---------------------------------------------------------------------------------
    def _check(self, *, final: bool) -> None:
        """Read what the new text decides; fire on the earliest pattern it completes."""
        found = [f for f in (self._new_sentences(final), self._new_words(final)) if f is not None]
        if found:
            _decided_at, cut = min(found)
            self.cut = _tidy_cut(self.text, cut)

    def _new_sentences(self, final: bool) -> tuple[int, int] | None:
        """Take the sentences completed so far; (decided at, cut) of the first repeat."""
        text = self.text
        ends: list[tuple[int, int, int]] = []  # (end, next start, decided at)
        scan = max(self._sentence_start, self._boundary_scan)
        for match in _BOUNDARY.finditer(text, scan):
            if match.group("stop") is None:
                ends.append((match.start(), match.end(), match.start()))
            elif self._ends_sentence(match):
                ends.append((match.end(), match.end(), match.start("next")))
        # Only a run of stops, closers and spaces at the very end can still become a boundary.
        self._boundary_scan = len(text)
        while self._boundary_scan > scan and text[self._boundary_scan - 1] in _UNDECIDED:
            self._boundary_scan -= 1
        if final and (ends[-1][1] if ends else self._sentence_start) < len(text):
            ends.append((len(text), len(text), len(text)))  # the last sentence, unfinished
        for end, next_start, decided_at in ends:
            start, self._sentence_start = self._sentence_start, next_start
            cut = self._add_sentence(normalise(text[start:end]), start)
            if cut is not None:
                return decided_at, cut
        return None

    def _ends_sentence(self, match: re.Match[str]) -> bool:
        if match.group("next") == "\n":
            return True
        if not match.group("gap"):
            return False  # "3.5", "e.g.this"
        following = match.group("next")
        if following.isdigit() or following.islower():
            return False  # "(Sc. 12, p. 34)", "e.g. the"
        if match.group("stop") != ".":
            return True
        before = _WORD_BEFORE.search(self.text, max(0, match.start() - 64), match.start())
        if before is None:
            return True
        word = before.group(1)
        short_title = len(word) <= 3 and word[0].isupper()  # Dr. Sc. INT.
        return not (len(word) == 1 or word.isdigit() or short_title)

    def _add_sentence(self, key: str, start: int) -> int | None:
        if not key:
            return None  # markup only: a rule, a bullet, a blank line
        index = len(self._keys)
        self._keys.append(key)
        self._starts.append(start)
        if index == 0:
            return None
        pair = (self._keys[index - 1], key)
        first = self._first_pair.setdefault(pair, index)
        words = len(pair[0].split()) + len(pair[1].split())
        if first <= index - 2 and words >= MIN_PAIR_WORDS:
            return self._starts[index - 1]
        return None

    def _new_words(self, final: bool) -> tuple[int, int] | None:
        """Take the words completed so far; (decided at, cut) of the first back-to-back run."""
        text = self.text
        spans = [(m.start(), m.end()) for m in _WORD.finditer(text, self._word_scan)]
        if spans:
            self._word_scan = spans[-1][1]
        if final:
            last = _LAST_WORD.search(text, self._word_scan)
            if last is not None:
                spans.append((last.start(), last.end()))
                self._word_scan = last.end()
        for start, end in spans:
            cut_word = self._add_word(text[start:end].casefold(), start)
            if cut_word is not None:
                return end, self._word_starts[cut_word]
        return None

    def _add_word(self, word: str, start: int) -> int | None:
        """Record a word; the index of the first repeated word when a run is complete."""
        index = len(self._words)
        self._words.append(word)
        self._word_starts.append(start)
        runs: dict[int, int] = {}
        fired: int | None = None
        earlier = self._positions.setdefault(word, [])
        for position in reversed(earlier):
            period = index - position
            if period > MAX_PERIOD_WORDS:
                break
            run = self._runs.get(period, 0) + 1
            runs[period] = run
            if fired is None and run >= max(period, MIN_RUN_WORDS):
                fired = index - run + 1  # the shortest period completing a run wins
        earlier.append(index)
        if len(earlier) > 2 * MAX_PERIOD_WORDS:
            del earlier[:MAX_PERIOD_WORDS]
        self._runs = runs
        return fired


def _tidy_cut(text: str, cut: int) -> int:
    """``cut`` moved back over whitespace, opening marks (quotes, brackets, bold) and a line
    holding only a bullet or list number, so the kept text ends cleanly."""
    while cut > 0 and not text[cut - 1].isspace() and not text[cut - 1].isalnum():
        if text[cut - 1] in ".!?…":
            break
        cut -= 1
    kept = text[:cut].rstrip()
    line_start = kept.rfind("\n") + 1
    if _MARKER_LINE.fullmatch(kept, line_start):
        kept = kept[:line_start].rstrip()
    return len(kept)
