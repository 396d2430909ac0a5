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
    render_mode: int = 0  # Tr: 3 (invisible) and 7 (clip only) show nothing
    fill_white: bool = False  # the fill colour is white (g, rg, k): unseen on a white page
    stroke_white: bool = False  # the stroke colour is white (G, RG, K)
    layer_off: bool = False  # inside content of a layer hidden by default (.layers)

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
            self.render_mode,
            self.fill_white,
            self.stroke_white,
            self.layer_off,
        )
