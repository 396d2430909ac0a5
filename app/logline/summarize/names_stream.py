"""Check names while a summary streams, so an invented one is never shown unmarked.

Text is passed on in pieces that :meth:`NameChecker.apply` can judge alone: a piece ends after a
"hard" character (punctuation, a line break: no word or name runs across one) or before a
lower-case word that follows a space (it ends any name before it). Only the tail after the last
such point is held back: a partial word or name, the spaces after it, or an open ``(⚠ …`` flag.
Because :class:`~logline.summarize.names.NameChecker` decides each name from the text between
the hard characters around it, the pieces come out exactly as the whole text would, and
:attr:`NameFilter.flags` equals ``checker.unknown(whole_text)``.

Chain it after :class:`~logline.summarize.citation_stream.CitationFilter` (as the runner applies
names after citations): the citation flags that filter writes are left alone here.
"""

from __future__ import annotations

from logline.summarize.citations import FLAG
from logline.summarize.names import NameChecker, NameFlag, Policy

_SOFT = frozenset("'’- \t")  # characters a word or a name may continue across
_FLAG_OPENING = "(" + FLAG + " "


def safe_cut(text: str) -> int:
    """The longest prefix of ``text`` whose names can be judged now, whatever follows."""
    cut = 0
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if not char.isalnum() and char not in _SOFT:
            cut = index + 1
            break
        if char == " " and index + 1 < len(text) and text[index + 1].islower():
            cut = index + 1
            break
    return min(cut, _open_flag(text, cut))


def _open_flag(text: str, cut: int) -> int:
    """Where a ``(⚠ …`` flag that is still open before ``cut`` begins (else ``cut``): it is
    held whole, as the whole-text check skips a closed one."""
    line_start = text.rfind("\n", 0, cut) + 1
    opening = text.rfind("(", line_start, cut)
    if opening < 0:
        return cut
    rest = text[opening:]
    if _FLAG_OPENING.startswith(rest):  # "(" or "(⚠" at the very end
        return opening
    if not rest.startswith(_FLAG_OPENING):
        return cut
    body = rest[len(_FLAG_OPENING) :]
    for char in body:
        if char in "()\n":
            return cut  # closed (or never a flag)
    return opening


class NameFilter:
    """``feed`` streamed text, show what it returns; ``flush`` at the end."""

    def __init__(self, checker: NameChecker, policy: Policy = "flag") -> None:
        if policy not in ("flag", "remove"):
            raise ValueError(f"Unknown names policy {policy!r}")
        self.checker = checker
        self.policy = policy
        self.flags: list[NameFlag] = []  # every unknown name so far, positions in the input
        self._held = ""
        self._offset = 0  # input characters already passed on

    @property
    def count(self) -> int:
        return len(self.flags)

    def feed(self, text: str) -> str:
        """The part of ``text`` (with anything held before) that can be shown now."""
        self._held += text
        cut = safe_cut(self._held)
        if cut == 0:
            return ""
        segment, self._held = self._held[:cut], self._held[cut:]
        return self._check(segment)

    def flush(self) -> str:
        """Whatever is still held, checked (the end of the text ends any name)."""
        segment, self._held = self._held, ""
        return self._check(segment) if segment else ""

    def _check(self, segment: str) -> str:
        shown, flags = self.checker.apply(segment, self.policy)
        offset = self._offset
        self.flags += [NameFlag(f.name, f.start + offset, f.end + offset) for f in flags]
        self._offset += len(segment)
        return shown
