"""A bounds-checked reader for GGUF headers (metadata and tensor table), stdlib only.

MLX can load GGUF tensors itself (``mx.load``), but it trusts the file. Logline reads and validates
the header first so that a truncated, corrupt or unsupported file is rejected with a clear message
before any tensor is touched. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from logline.models.errors import ModelImportError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# ggml tensor types: id -> (name, elements per block, bytes per block).
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}

# Metadata value types.
_UINT8, _INT8, _UINT16, _INT16, _UINT32, _INT32, _FLOAT32, _BOOL, _STRING, _ARRAY = range(10)
_UINT64, _INT64, _FLOAT64 = 10, 11, 12
_SCALARS: dict[int, str] = {
    _UINT8: "<B",
    _INT8: "<b",
    _UINT16: "<H",
    _INT16: "<h",
    _UINT32: "<I",
    _INT32: "<i",
    _FLOAT32: "<f",
    _BOOL: "<?",
    _UINT64: "<Q",
    _INT64: "<q",
    _FLOAT64: "<d",
}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: shape[0] is the innermost (row length)
    type_id: int
    offset: int  # relative to the start of the data section

    @property
    def type_name(self) -> str:
        return GGML_TYPES.get(self.type_id, (f"unknown type {self.type_id}", 0, 0))[0]

    @property
    def n_elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def n_bytes(self) -> int:
        _, block, size = GGML_TYPES[self.type_id]
        return self.n_elements // block * size


@dataclass(frozen=True)
class GGUFHeader:
    path: Path
    version: int
    metadata: Mapping[str, Any]
    tensors: tuple[TensorInfo, ...]
    data_offset: int
    file_size: int

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))


class _Reader:
    """Reads little-endian values from a file, refusing to read past its end."""

    def __init__(self, handle: BinaryIO, size: int, path: Path) -> None:
        self._handle = handle
        self._size = size
        self._path = path
        self.pos = 0

    def _fail_truncated(self, what: str) -> ModelImportError:
        return ModelImportError(
            f"{self._path.name} is truncated or corrupt: the file ends while reading {what} "
            f"(offset {self.pos:,} of {self._size:,} bytes)."
        )

    def read(self, count: int, what: str) -> bytes:
        if count < 0 or self.pos + count > self._size:
            raise self._fail_truncated(what)
        data = self._handle.read(count)
        if len(data) != count:
            raise self._fail_truncated(what)
        self.pos += count
        return data

    def scalar(self, fmt: str, what: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))[0]

    def string(self, what: str) -> str:
        length = self.scalar("<Q", what)
        raw = self.read(length, what)
        return raw.decode("utf-8", errors="replace")

    def remaining(self) -> int:
        return self._size - self.pos


def _read_value(reader: _Reader, value_type: int, key: str) -> Any:
    if value_type in _SCALARS:
        return reader.scalar(_SCALARS[value_type], f"metadata {key!r}")
    if value_type == _STRING:
        return reader.string(f"metadata {key!r}")
    if value_type == _ARRAY:
        item_type = reader.scalar("<I", f"metadata {key!r}")
        count = reader.scalar("<Q", f"metadata {key!r}")
        # Every item takes at least one byte: a count larger than the rest of the file is corrupt.
        if count > reader.remaining():
            raise reader._fail_truncated(f"metadata {key!r} ({count:,} items)")
        if item_type in _SCALARS:
            fmt = _SCALARS[item_type]
            width = struct.calcsize(fmt)
            raw = reader.read(width * count, f"metadata {key!r}")
            return list(struct.unpack(f"<{count}{fmt[1]}", raw))
        return [_read_value(reader, item_type, key) for _ in range(count)]
    raise ModelImportError(f"Corrupt GGUF: metadata {key!r} has unknown value type {value_type}.")


def read_header(path: str | Path) -> GGUFHeader:
    """Read and validate a GGUF file's header; raise ``ModelImportError`` with a clear message."""
    path = Path(path)
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as exc:
        raise ModelImportError(f"Cannot open {path}: {exc.strerror or exc}.") from exc
    with handle:
        reader = _Reader(handle, size, path)
        magic = reader.read(4, "the file signature") if size >= 4 else b""
        if magic != GGUF_MAGIC:
            raise ModelImportError(
                f"{path.name} is not a GGUF file (it does not start with 'GGUF')."
            )
        version = reader.scalar("<I", "the version")
        if version not in (2, 3):
            raise ModelImportError(
                f"{path.name} uses GGUF version {version}; Logline reads versions 2 and 3."
            )
        n_tensors = reader.scalar("<Q", "the tensor count")
        n_kv = reader.scalar("<Q", "the metadata count")
        if n_tensors > size or n_kv > size:
            raise ModelImportError(f"{path.name} is corrupt: impossible tensor or metadata counts.")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string("a metadata key")
            value_type = reader.scalar("<I", f"metadata {key!r}")
            metadata[key] = _read_value(reader, value_type, key)
        tensors = []
        for _ in range(n_tensors):
            name = reader.string("a tensor name")
            n_dims = reader.scalar("<I", f"tensor {name!r}")
            if n_dims > 8:
                raise ModelImportError(
                    f"{path.name} is corrupt: tensor {name!r} has {n_dims} dims."
                )
            shape = tuple(reader.scalar("<Q", f"tensor {name!r}") for _ in range(n_dims))
            type_id = reader.scalar("<I", f"tensor {name!r}")
            offset = reader.scalar("<Q", f"tensor {name!r}")
            tensors.append(TensorInfo(name, shape, type_id, offset))
        alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
        data_offset = (reader.pos + alignment - 1) // alignment * alignment
    header = GGUFHeader(path, version, metadata, tuple(tensors), data_offset, size)
    _check_extents(header)
    return header


def _check_extents(header: GGUFHeader) -> None:
    """Every tensor of a known type must lie entirely inside the file."""
    for tensor in header.tensors:
        if tensor.type_id not in GGML_TYPES:
            continue  # reported by the importer as unsupported, with the others
        end = header.data_offset + tensor.offset + tensor.n_bytes
        if end > header.file_size:
            raise ModelImportError(
                f"{header.path.name} is truncated: tensor {tensor.name!r} needs bytes up to "
                f"{end:,} but the file has {header.file_size:,}."
            )
