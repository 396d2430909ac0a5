"""The parts of the PDF graphics state that place text (saved by ``q``, restored by ``Q``)."""

from __future__ import annotations

from dataclasses import dataclass

from .fonts import FontInfo
from .matrices import IDENTITY, Matrix


@dataclass(slots=True)
class GraphicsState:
    """Graphics-state parts that matter for text (saved by q, restored by Q)."""

    ctm: Matrix = IDENTITY
    font: FontInfo | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0

    def copy(self) -> GraphicsState:
        return GraphicsState(
            self.ctm,
            self.font,
            self.size,
            self.char_spacing,
            self.word_spacing,
            self.scale,
            self.leading,
            self.rise,
        )
