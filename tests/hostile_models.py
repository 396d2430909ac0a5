"""Take a tiny, valid model apart and put it back together wrong (helpers for hardening tests).

* :func:`read_safetensors` / :func:`write_safetensors`: a safetensors file as ``(header, data)``,
  so a test can make its header lie (offsets, shapes, types) and write it back.
* :class:`GGUFParts`: a GGUF file as raw metadata entries, tensor infos and the data section;
  :meth:`GGUFParts.build` writes it back (after a test has added, changed or removed entries).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# GGUF metadata value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY = range(10)
UINT64, INT64, FLOAT64 = 10, 11, 12
_SCALAR_FORMATS = {
    UINT8: "<B",
    INT8: "<b",
    UINT16: "<H",
    INT16: "<h",
    UINT32: "<I",
    INT32: "<i",
    FLOAT32: "<f",
    BOOL: "<?",
    UINT64: "<Q",
    INT64: "<q",
    FLOAT64: "<d",
}


def read_safetensors(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def write_safetensors(path: Path, header: Any, data: bytes, *, raw_header: bytes | None = None):
    encoded = raw_header if raw_header is not None else json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)


def encode_string(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def encode_value(value_type: int, value: Any) -> bytes:
    """The bytes of one metadata value (without its type); arrays as ``(item_type, items)``."""
    if value_type in _SCALAR_FORMATS:
        return struct.pack(_SCALAR_FORMATS[value_type], value)
    if value_type == STRING:
        return encode_string(value)
    item_type, items = value
    body = b"".join(encode_value(item_type, item) for item in items)
    return struct.pack("<IQ", item_type, len(items)) + body


def encode_entry(key: str, value_type: int, value: Any) -> bytes:
    return encode_string(key) + struct.pack("<I", value_type) + encode_value(value_type, value)


def nested_array(depth: int) -> bytes:
    """An array value nested ``depth`` deep (type byte included), ending in an empty array."""
    body = struct.pack("<IQ", UINT8, 0)
    for _ in range(depth):
        body = struct.pack("<IQ", ARRAY, 1) + struct.pack("<I", ARRAY)[:0] + body
    return struct.pack("<I", ARRAY) + body


@dataclass
class Tensor:
    name: str
    shape: list[int]
    type_id: int
    offset: int


@dataclass
class GGUFParts:
    version: int
    entries: dict[str, bytes]  # key -> encoded entry (key, type and value)
    tensors: list[Tensor]
    data: bytes
    alignment: int = 32
    extra_tail: bytes = field(default=b"")

    @classmethod
    def read(cls, path: Path) -> GGUFParts:
        raw = path.read_bytes()
        pos = 4
        version, n_tensors, n_kv = struct.unpack_from("<IQQ", raw, pos)
        pos += 20

        def string() -> str:
            nonlocal pos
            (length,) = struct.unpack_from("<Q", raw, pos)
            pos += 8 + length
            return raw[pos - length : pos].decode()

        def skip(value_type: int) -> None:
            nonlocal pos
            if value_type in _SCALAR_FORMATS:
                pos += struct.calcsize(_SCALAR_FORMATS[value_type])
            elif value_type == STRING:
                string()
            else:
                item_type, count = struct.unpack_from("<IQ", raw, pos)
                pos += 12
                for _ in range(count):
                    skip(item_type)

        entries = {}
        for _ in range(n_kv):
            start = pos
            key = string()
            (value_type,) = struct.unpack_from("<I", raw, pos)
            pos += 4
            skip(value_type)
            entries[key] = raw[start:pos]
        tensors = []
        for _ in range(n_tensors):
            name = string()
            (n_dims,) = struct.unpack_from("<I", raw, pos)
            shape = list(struct.unpack_from(f"<{n_dims}Q", raw, pos + 4))
            type_id, offset = struct.unpack_from("<IQ", raw, pos + 4 + 8 * n_dims)
            pos += 4 + 8 * n_dims + 12
            tensors.append(Tensor(name, shape, type_id, offset))
        start = -(-pos // 32) * 32
        return cls(version, entries, tensors, raw[start:])

    def build(self, path: Path, *, n_kv: int | None = None, n_tensors: int | None = None) -> Path:
        header = b"GGUF" + struct.pack(
            "<IQQ",
            self.version,
            len(self.tensors) if n_tensors is None else n_tensors,
            len(self.entries) if n_kv is None else n_kv,
        )
        header += b"".join(self.entries.values())
        for tensor in self.tensors:
            header += encode_string(tensor.name) + struct.pack("<I", len(tensor.shape))
            header += struct.pack(f"<{len(tensor.shape)}Q", *tensor.shape)
            header += struct.pack("<IQ", tensor.type_id, tensor.offset)
        header += b"\0" * (-len(header) % self.alignment)
        path.write_bytes(header + self.data + self.extra_tail)
        return path

    def tensor(self, name: str) -> Tensor:
        return next(t for t in self.tensors if t.name == name)
