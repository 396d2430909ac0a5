"""Which text runs of a page a reader sees: the page box, white text, and dark paint under it.

:func:`.runs.show_text` marks a run invisible, in a hidden layer, tiny or white as it is shown;
once the page is scanned, :func:`seen_runs` also drops runs outside the crop box and keeps white
runs only where dark paint lies under them. Dark paint is tracked by :class:`PagePaint`: the
bounding boxes of paths filled in a colour that is not white, of images, and the whole page for a
shading.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .matrices import Matrix
from .runs import TextRun

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

PAINT_OPS = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})  # fill the current path
END_PATH_OPS = frozenset({b"S", b"s", b"n"})  # end a path without filling it
PATH_OPS = frozenset({b"m", b"l", b"c", b"v", b"y", b"re"})
WHITE_TOLERANCE = 0.02  # a colour this close to white counts as white
EDGE = 0.5  # points: a run must reach this far into the page box to count as on the page
COVERED = 0.5  # of a white run's box: this much over dark paint and the run is seen
MAX_DARK_AREAS = 10_000  # per page: beyond this the whole page counts as painted


class PagePaint:
    """Dark areas painted on one page, in page space (PDF units, y up)."""

    def __init__(self) -> None:
        self.areas: list[Box] = []
        self.everywhere = False  # a shading, or too many areas to track
        self._path: list[float] | None = None  # x0, y0, x1, y1 of the path being built

    def path(self, op: bytes, operands: list[Any], ctm: Matrix) -> None:
        """A path-construction operator: extend the current path's box."""
        numbers = [v for v in operands if isinstance(v, float)]
        if op == b"re" and len(numbers) >= 4:
            x, y, w, h = numbers[-4:]
            points = [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]
        else:
            count = {b"m": 2, b"l": 2, b"c": 6, b"v": 4, b"y": 4}.get(op, 0)
            if not count or len(numbers) < count:
                return
            pairs = numbers[-count:]
            points = [(pairs[i], pairs[i + 1]) for i in range(0, count, 2)]
        for x, y in points:
            self._extend(x * ctm[0] + y * ctm[2] + ctm[4], x * ctm[1] + y * ctm[3] + ctm[5])

    def fill(self, white: bool) -> None:
        """The current path is filled (and ends): a dark area unless the fill is white."""
        if self._path is not None and not white:
            self._add(tuple(self._path))  # type: ignore[arg-type]
        self._path = None

    def end_path(self) -> None:
        self._path = None

    def image(self, ctm: Matrix) -> None:
        """An image fills the unit square under ``ctm``: counted as dark."""
        self._path = None
        for x, y in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)):
            self._extend(x * ctm[0] + y * ctm[2] + ctm[4], x * ctm[1] + y * ctm[3] + ctm[5])
        self.fill(white=False)

    def shading(self) -> None:
        self.everywhere = True

    def covers(self, box: Box) -> bool:
        """Whether dark paint lies under at least ``COVERED`` of ``box`` (page space)."""
        if self.everywhere:
            return True
        x0, y0, x1, y1 = box
        area = (x1 - x0) * (y1 - y0)
        if area <= 0:
            return any(_overlap(box, dark) >= 0 for dark in self.areas)
        covered = sum(max(0.0, _overlap(box, dark)) for dark in self.areas)
        return covered >= COVERED * area

    def _extend(self, x: float, y: float) -> None:
        path = self._path
        if path is None:
            self._path = [x, y, x, y]
            return
        path[0], path[1] = min(path[0], x), min(path[1], y)
        path[2], path[3] = max(path[2], x), max(path[3], y)

    def _add(self, box: Box) -> None:
        if len(self.areas) >= MAX_DARK_AREAS:
            self.everywhere = True
        else:
            self.areas.append(box)


def _overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width >= 0 and height >= 0 else -1.0


def seen_runs(
    runs: list[TextRun], box: Box, paint: PagePaint, hidden: Counter[str]
) -> tuple[list[TextRun], bool]:
    """The runs a reader sees (still in page space, y up) and whether any was left out; the
    characters left out are added to ``hidden`` by reason. ``box``: the crop box, page space."""
    x0, y0, x1, y1 = box
    seen: list[TextRun] = []
    dropped = False
    for run in runs:
        reason = run.hidden
        if reason == "white" and paint.covers((run.x, run.y, run.x_end, run.y + run.size)):
            reason = ""
        if not reason and (
            run.x_end <= x0 + EDGE or run.x >= x1 - EDGE or run.y >= y1 or run.y + run.size <= y0
        ):
            reason = "off-page"
        if reason:
            hidden[reason] += sum(1 for ch in run.text if not ch.isspace())
            dropped = True
        else:
            seen.append(run)
    return seen, dropped


def visible_box(page: Any, media: Box) -> Box:
    """What a viewer shows, in page space: the crop box within the media box. A crop box that
    is malformed or misses the media box counts as the media box, as viewers treat it."""
    left, bottom, right, top = media
    try:
        crop = page.cropbox
        xs = sorted((float(crop.left), float(crop.right)))
        ys = sorted((float(crop.bottom), float(crop.top)))
    except Exception:
        xs, ys = [left, right], [bottom, top]
    x0, x1 = max(xs[0], left), min(xs[1], right)
    y0, y1 = max(ys[0], bottom), min(ys[1], top)
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        return media
    return x0, y0, x1, y1


def white_colour(op: bytes, operands: list[Any]) -> bool:
    """Whether ``g`` / ``rg`` / ``k`` (or their stroke forms, lower-cased) with these operands
    set white."""
    count = {b"g": 1, b"rg": 3, b"k": 4}[op]
    values = operands[-count:]
    if len(values) != count or not all(isinstance(v, float) for v in values):
        return False
    if op == b"k":
        return all(v <= WHITE_TOLERANCE for v in values)
    return all(v >= 1.0 - WHITE_TOLERANCE for v in values)
