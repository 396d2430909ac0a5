"""A small known screenplay for the script view's tests, and the corpus, when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.documents import Document, load

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "scripts"

# Three scenes over two pages (a forced break); MARA speaks 3 times in 3 scenes, TOM twice in 2.
LANTERN = """Title: The Lantern
Credit: written by
Author: Test Writer
Draft date: 1 May 2026

INT. LIGHTHOUSE - NIGHT

Mara climbs the stairs.

MARA
(breathless)
The lamp is out.

TOM (O.S.)
Then light it.

CUT TO:

===

EXT. CLIFF - DAWN

Tom waits by the edge.

TOM
You came.

MARA
I always do.

INT. LIGHTHOUSE - DAY

MARA
Gone again.

>THE END.<
"""


def write_lantern(folder: Path) -> Path:
    path = folder / "lantern.fountain"
    path.write_text(LANTERN, encoding="utf-8")
    return path


def lantern(folder: Path) -> Document:
    return load(write_lantern(folder))


def corpus_file(relative: str) -> Path:
    """A corpus file's path; the test is skipped when the corpus is not there."""
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {relative} is not present")
    return path
