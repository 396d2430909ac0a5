"""Read a safetensors header and check that it tells the truth about the file.

Format: 8 bytes (little-endian header length), a JSON object ``{name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}``, then the data. A header is
accepted only when every tensor entry is well typed (a known dtype, non-negative integer dims,
two integer offsets), its byte range is ``begin <= end``, exactly ``prod(shape) * dtype size``
long, inside the file, and no two ranges overlap. No MLX, no numpy: the stdlib reads it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from logline.models.errors import ModelWeightsError
from logline.models.safe_json import parse_json

MAX_HEADER_BYTES = 32 << 20  # real headers are KBs; the safetensors library allows 100 MB
MAX_DIMS = 8
MAX_TENSORS = 1_000_000
DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
    "C64": 8,
}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of a safetensors file, as its (checked) header describes it."""

    dtype: str
    shape: tuple[int, ...]
    begin: int  # byte range inside the data section
    end: int


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_safetensors_header(path: Path) -> dict[str, TensorEntry]:
    """The checked tensor table of ``path``; :class:`ModelWeightsError` names what is wrong."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            prefix = stream.read(8)
            if len(prefix) < 8:
                raise ModelWeightsError(f'"{name}" is too short to be a safetensors file.')
            (length,) = struct.unpack("<Q", prefix)
            if length < 2 or length > min(MAX_HEADER_BYTES, size - 8):
                raise ModelWeightsError(
                    f'"{name}" is not a valid safetensors file: its header length ({length:,} '
                    f"bytes) does not fit the file ({size:,} bytes)."
                )
            raw = stream.read(length)
    except OSError as exc:
        raise ModelWeightsError(f'"{name}" cannot be read: {exc.strerror or exc}.') from None
    header = parse_json(raw, f'The safetensors header of "{name}"', ModelWeightsError)
    if not isinstance(header, dict):
        raise ModelWeightsError(f'The safetensors header of "{name}" is not a JSON object.')
    if len(header) > MAX_TENSORS:
        raise ModelWeightsError(f'"{name}" lists more tensors than any model has.')
    data_size = size - 8 - length
    tensors: dict[str, TensorEntry] = {}
    for key, info in header.items():
        if key == "__metadata__":
            _check_metadata(name, info)
            continue
        tensors[key] = _entry(name, key, info, data_size)
    _check_overlaps(name, tensors)
    return tensors


def _check_metadata(name: str, info: object) -> None:
    if info is None:  # MLX's save_safetensors writes "__metadata__": null when given none
        return
    if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
        raise ModelWeightsError(f'"{name}" has malformed __metadata__ (it must map text to text).')


def _entry(name: str, key: str, info: object, data_size: int) -> TensorEntry:
    where = f'"{name}", tensor {key[:80]!r}'
    if not isinstance(info, dict):
        raise ModelWeightsError(f"{where}: the entry is not a JSON object.")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise ModelWeightsError(f"{where}: unknown dtype {str(dtype)[:20]!r}.")
    if not (
        isinstance(shape, list)
        and len(shape) <= MAX_DIMS
        and all(_int(d) and 0 <= d < 1 << 40 for d in shape)
    ):
        raise ModelWeightsError(f"{where}: the shape is not a list of non-negative integers.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_int(o) for o in offsets)):
        raise ModelWeightsError(f"{where}: data_offsets must be two integers.")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise ModelWeightsError(f"{where}: its data offsets run backwards ({begin}, {end}).")
    if end > data_size:
        raise ModelWeightsError(
            f'"{name}" is truncated or lies: tensor {key[:80]!r} ends at byte {end:,} of a '
            f"{data_size:,}-byte data section."
        )
    expected = math.prod(shape) * DTYPE_BYTES[dtype]
    if end - begin != expected:
        raise ModelWeightsError(
            f"{where}: {end - begin:,} bytes of data for a {dtype} tensor of shape "
            f"{tuple(shape)} ({expected:,} bytes)."
        )
    return TensorEntry(dtype, tuple(shape), begin, end)


def _check_overlaps(name: str, tensors: dict[str, TensorEntry]) -> None:
    previous_end, previous = 0, ""
    for key, entry in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin < previous_end and entry.end > entry.begin:
            raise ModelWeightsError(
                f'"{name}" is malformed: the data of tensors {previous[:80]!r} and {key[:80]!r} '
                "overlap."
            )
        if entry.end > entry.begin:
            previous_end, previous = entry.end, key
