"""A Fountain script whose title, names and locations try to drive a terminal (test helper)."""

from __future__ import annotations

from pathlib import Path

ESC, BEL, RLO = "\x1b", "\x07", "\u202e"
SET_TITLE = f"{ESC}]0;pwned{BEL}"
CLIPBOARD = f"{ESC}]52;c;cHduZWQ={BEL}"  # OSC 52: write "pwned" to the clipboard
HIDE = f"{ESC}[8m"
CSI_C1 = "\x9b31m"  # the one-byte C1 CSI

HOSTILE_TITLE = f"Evil{SET_TITLE} Night {CLIPBOARD} Tit{RLO}elt"
HOSTILE_NAME = f"MAL{RLO}ORY"
HOSTILE_SCRIPT = (
    f"Title: {HOSTILE_TITLE}\nAuthor: Ann{CSI_C1}\n\n"
    f"INT. ROOM{HIDE} - NIGHT\n\nMara walks in.\n\n"
    f"{HOSTILE_NAME}\nHello there.\n\nEVE{SET_TITLE}\nHi.\n\n{HOSTILE_NAME}\nBye now.\n"
)
HOSTILE_FILE_NAME = f"draft{SET_TITLE}{RLO}txt.fountain"

RAW = [ESC, BEL, "\x9b", "\u202a", "\u202b", "\u202c", "\u202d", RLO, "\u2066", "\u2069", "\r"]


def write_hostile(folder: Path, name: str = "hostile.fountain") -> Path:
    path = folder / name
    path.write_text(HOSTILE_SCRIPT, encoding="utf-8")
    return path


def raw_controls(text: str) -> list[str]:
    """The dangerous characters found raw in ``text`` (an empty list when it is safe)."""
    return [repr(c) for c in RAW if c in text]
