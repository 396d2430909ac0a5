"""Exported and printed pages carry a running header (title, model, date) and "Page n of N"."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from logline.ui.export_files import write_pdf

pytestmark = pytest.mark.gui


def test_every_page_has_the_header_and_its_number(qtbot, tmp_path: Path) -> None:
    paragraphs = [
        f"Paragraph {n}: the river keeps its secrets until the last reel." for n in range(160)
    ]
    markdown = "# Big River — Synopsis\n\n" + "\n\n".join(paragraphs)
    header = "Big River — Synopsis · SmolLM2 135M · 4 Dec 2026 15:02"
    pdf = write_pdf(tmp_path / "long.pdf", markdown, "Big River — Synopsis", header)
    pages = [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        assert "Big River — Synopsis · SmolLM2 135M" in flat, number
        assert f"Page {number} of {len(pages)}" in flat, number
    everything = " ".join(" ".join(text.split()) for text in pages)
    for n in (0, 80, 159):  # no paragraph lost between pages
        assert f"Paragraph {n}:" in everything
    assert PdfReader(str(pdf)).metadata.title == "Big River — Synopsis"
