"""A bounds-checked reader for GGUF headers (metadata and tensor table), stdlib only.

MLX can load GGUF tensors itself (``mx.load``), but it trusts the file. Logline reads and validates
the header first so that a truncated, corrupt or unsupported file is rejected with a clear message
before any tensor is touched. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from logline.models.errors import ModelConfigError, ModelImportError, ModelWeightsError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_ALIGNMENT = 1 << 16
MAX_NESTING = 1  # an array of scalars or strings: MLX's reader refuses arrays of arrays
MAX_DIMS = 4  # GGML_MAX_DIMS

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

    def _wrong(self, key: str, wanted: str) -> ModelConfigError:
        return ModelConfigError(f"{self.path.name} is malformed: its metadata {key} {wanted}.")

    def integer(
        self, key: str, default: int | None = None, low: int = 0, high: int = 1 << 62
    ) -> int:
        """The whole number at ``key`` in ``low..high`` (``default`` when absent and given)."""
        value = self.metadata.get(key, default)
        if value is None:
            raise ModelConfigError(f"{self.path.name} lacks the metadata key {key}.")
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self._wrong(key, f"must be a whole number from {low:,} to {high:,}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.metadata.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self._wrong(key, "must be a number")
        if abs(value) == float("inf"):
            raise self._wrong(key, "must be a finite number")
        return float(value)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.metadata.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "must be text")
        return value

    def texts(self, key: str) -> list[str]:
        value = self.metadata.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "must be a list of text")
        return value

    def integers(self, key: str) -> list[int] | None:
        value = self.metadata.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self._wrong(key, "must be a list of whole numbers")
        return value

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


def _read_value(reader: _Reader, value_type: int, key: str, level: int = 0) -> Any:
    if value_type == _ARRAY and level >= MAX_NESTING:
        raise ModelConfigError(
            f"Unsupported GGUF: metadata {key[:80]!r} nests arrays in arrays, which MLX's GGUF "
            "reader cannot load."
        )
    if value_type == _FLOAT64:
        # MLX's GGUF reader crashes the process (SIGSEGV) on float64 metadata: refuse it here.
        raise ModelConfigError(
            f"Unsupported GGUF: metadata {key[:80]!r} is a float64, which MLX's GGUF reader "
            "cannot load; re-export the file with float32 metadata."
        )
    if value_type in _SCALARS:
        return reader.scalar(_SCALARS[value_type], f"metadata {key!r}")
    if value_type == _STRING:
        return reader.string(f"metadata {key!r}")
    if value_type == _ARRAY:
        item_type = reader.scalar("<I", f"metadata {key!r}")
        if item_type in (_ARRAY, _FLOAT64):
            _read_value(reader, item_type, key, level + 1)  # refuses both, with its reason
        count = reader.scalar("<Q", f"metadata {key!r}")
        # Every item takes at least one byte: a count larger than the rest of the file is corrupt.
        if count > reader.remaining():
            raise reader._fail_truncated(f"metadata {key!r} ({count:,} items)")
        if item_type in _SCALARS:
            fmt = _SCALARS[item_type]
            width = struct.calcsize(fmt)
            raw = reader.read(width * count, f"metadata {key!r}")
            return list(struct.unpack(f"<{count}{fmt[1]}", raw))
        return [_read_value(reader, item_type, key, level + 1) for _ in range(count)]
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
            if key in metadata:
                raise ModelConfigError(
                    f"{path.name} is corrupt: metadata {key[:80]!r} is repeated."
                )
            value_type = reader.scalar("<I", f"metadata {key!r}")
            metadata[key] = _read_value(reader, value_type, key)
        tensors = []
        for _ in range(n_tensors):
            name = reader.string("a tensor name")
            n_dims = reader.scalar("<I", f"tensor {name!r}")
            if not 1 <= n_dims <= MAX_DIMS:
                raise ModelWeightsError(
                    f"{path.name} is corrupt: tensor {name[:80]!r} has {n_dims} dims."
                )
            shape = tuple(reader.scalar("<Q", f"tensor {name!r}") for _ in range(n_dims))
            type_id = reader.scalar("<I", f"tensor {name!r}")
            offset = reader.scalar("<Q", f"tensor {name!r}")
            tensors.append(TensorInfo(name, shape, type_id, offset))
        alignment = _alignment(path, metadata)
        data_offset = (reader.pos + alignment - 1) // alignment * alignment
    header = GGUFHeader(path, version, metadata, tuple(tensors), data_offset, size)
    _check_extents(header, alignment)
    return header


def _alignment(path: Path, metadata: Mapping[str, Any]) -> int:
    value = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= MAX_ALIGNMENT
        or value & (value - 1)
    ):
        raise ModelConfigError(
            f"{path.name} is corrupt: general.alignment must be a power of two up to "
            f"{MAX_ALIGNMENT:,}, not {str(value)[:20]!r}."
        )
    return value


def _check_extents(header: GGUFHeader, alignment: int) -> None:
    """Every tensor of a known type lies inside the file, aligned, apart from every other one."""
    name = header.path.name
    seen: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    for tensor in header.tensors:
        label = repr(tensor.name[:80])
        if tensor.name in seen:
            raise ModelWeightsError(f"{name} is corrupt: tensor {label} appears twice.")
        seen.add(tensor.name)
        if tensor.offset % alignment:
            raise ModelWeightsError(
                f"{name} is corrupt: tensor {label} starts at offset {tensor.offset:,}, "
                f"which is not aligned to {alignment} bytes."
            )
        if tensor.type_id not in GGML_TYPES:
            continue  # reported by the importer as unsupported, with the others
        block = GGML_TYPES[tensor.type_id][1]
        if tensor.n_elements > 1 << 48 or tensor.shape[0] % block:
            raise ModelWeightsError(
                f"{name} is corrupt: tensor {label} has an impossible shape {tensor.shape}."
            )
        end = header.data_offset + tensor.offset + tensor.n_bytes
        if end > header.file_size:
            raise ModelImportError(
                f"{name} is truncated: tensor {label} needs bytes up to "
                f"{end:,} but the file has {header.file_size:,}."
            )
        spans.append((tensor.offset, tensor.offset + tensor.n_bytes, tensor.name))
    spans.sort()
    for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
        if begin < end:
            raise ModelWeightsError(
                f"{name} is corrupt: the data of tensors {first[:80]!r} and {second[:80]!r} "
                "overlap."
            )
