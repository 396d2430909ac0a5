"""Affine matrices as PDF writes them: six numbers ``a b c d e f``, row-vector convention."""

from __future__ import annotations

import math

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MATRIX_CACHE_SIZE = 100_000  # parsed matrix blobs kept before the cache starts over


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` × ``n`` (PDF row-vector convention: apply ``m`` first, then ``n``)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


_cache: dict[bytes, Matrix | None] = {}


def parse_matrix(blob: bytes) -> Matrix | None:
    """Six numbers as a matrix (None when the blob is not exactly six finite numbers)."""
    try:
        return _cache[blob]
    except KeyError:
        pass
    found: Matrix | None = None
    parts = blob.split()
    if len(parts) == 6:
        try:
            values = [float(v) for v in parts]
        except ValueError:
            values = []
        if values and all(math.isfinite(v) for v in values):
            found = (values[0], values[1], values[2], values[3], values[4], values[5])
    if len(_cache) > MATRIX_CACHE_SIZE:
        _cache.clear()
    _cache[blob] = found
    return found


def advance_matrix(m: Matrix, tx: float) -> Matrix:
    """``m`` moved ``tx`` along its own x axis (after a glyph or a TJ kern)."""
    a, b, c, d, e, f = m
    return (a, b, c, d, e + tx * a, f + tx * b)


def translate(m: Matrix, tx: float, ty: float) -> Matrix:
    """``m`` moved by (``tx``, ``ty``) in its own space (Td, T*)."""
    a, b, c, d, e, f = m
    return (a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f)
