"""Will a model fit in this machine's memory? An estimate before loading, with a plain answer.

needed = weights + working memory + KV cache, where
KV cache = 2 (keys and values) × layers × kv_heads × head_dim × context × bytes per element
(fp16: 2 bytes), read from ``config.json`` (``num_hidden_layers``, ``num_key_value_heads`` or
``num_attention_heads``, ``head_dim`` or ``hidden_size / num_attention_heads``).

Available memory: on Apple silicon the GPU may use only part of the unified memory. MLX reports
Metal's ``recommendedMaxWorkingSetSize`` as ``device_info()['max_recommended_working_set_size']``
(``mx.metal.device_info()`` in older MLX, ``mx.device_info()`` in newer); macOS sets it to about
2/3 of RAM on smaller Macs and about 3/4 on Macs with 36 GB or more. That figure is used when
MLX is already imported (this module never imports MLX itself: it must stay cheap); otherwise
the same fraction of physical RAM (``os.sysconf``).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from logline.units import format_bytes

log = logging.getLogger(__name__)

GiB = 1024**3
KV_BYTES_PER_ELEMENT = 2  # fp16/bf16 KV cache
WORKING_FRACTION = 0.05  # activations, temporaries: a share of the weights ...
WORKING_FIXED_BYTES = 256 * 1024**2  # ... plus a fixed allowance
WARN_FRACTION = 0.9  # above this share of the usable memory the fit is tight
CONTEXT_STEP = 256

Level = Literal["ok", "warn", "refuse"]


@dataclass(frozen=True)
class KVShape:
    num_hidden_layers: int
    num_key_value_heads: int
    head_dim: int

    @property
    def bytes_per_token(self) -> int:
        return (
            2
            * self.num_hidden_layers
            * self.num_key_value_heads
            * self.head_dim
            * (KV_BYTES_PER_ELEMENT)
        )


@dataclass(frozen=True)
class FitVerdict:
    level: Level
    needed_bytes: int
    available_bytes: int
    message: str
    weights_bytes: int = 0
    kv_bytes: int = 0
    context: int = 0

    @property
    def ok(self) -> bool:
        return self.level != "refuse"


def kv_shape(config: dict[str, Any]) -> KVShape:
    """The KV-cache shape from a Hugging Face ``config.json`` dict (multimodal configs: the
    ``text_config`` part). ValueError when the fields are missing."""
    if "num_hidden_layers" not in config and isinstance(config.get("text_config"), dict):
        config = {**config, **config["text_config"]}
    try:
        layers = int(config["num_hidden_layers"])
        heads = int(config["num_attention_heads"])
        kv_heads = int(config.get("num_key_value_heads") or heads)
        head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"config.json lacks the attention shape ({exc})") from None
    return KVShape(layers, kv_heads, head_dim)


def kv_cache_bytes(shape: KVShape, context: int) -> int:
    return shape.bytes_per_token * max(context, 0)


def working_bytes(weights_bytes: int) -> int:
    return int(weights_bytes * WORKING_FRACTION) + WORKING_FIXED_BYTES


def weights_bytes(folder: Path) -> int:
    """Bytes of the weight files (safetensors or GGUF) in a model folder or snapshot."""
    total = 0
    for pattern in ("*.safetensors", "*.gguf"):
        for f in folder.glob(pattern):
            total += f.stat().st_size  # follows hub snapshot symlinks to the blobs
    return total


# ----------------------------------------------------------------------------- the machine


def physical_ram() -> int:
    """Total physical memory in bytes (Linux and macOS)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        if sys.platform == "darwin":
            import subprocess

            out = subprocess.run(
                # macOS's own tool with fixed arguments, from PATH (it lives in /usr/sbin).
                ["sysctl", "-n", "hw.memsize"],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if out.strip().isdigit():
                return int(out)
        raise


def usable_fraction(ram: int) -> float:
    """Share of RAM macOS lets the GPU use (recommendedMaxWorkingSetSize, approximately)."""
    return 0.75 if ram >= 36 * GiB else 2 / 3


def _mlx_working_set() -> int | None:
    mx = sys.modules.get("mlx.core")  # only when the app already imported MLX
    if mx is None:
        return None
    try:
        metal = getattr(mx, "metal", None)
        if metal is None or not metal.is_available():
            return None
        info_fn = getattr(mx, "device_info", None) or metal.device_info
        value = info_fn().get("max_recommended_working_set_size")
    except Exception as exc:  # an MLX without these APIs
        log.debug("MLX device info unavailable: %s", exc)
        return None
    return int(value) if value else None


def usable_memory(ram: int | None = None) -> tuple[int, int]:
    """(total RAM, bytes usable for a model). With ``ram`` given (tests, "what if"), the
    fraction rule is used; otherwise MLX's Metal figure when available."""
    if ram is not None:
        return ram, int(ram * usable_fraction(ram))
    total = physical_ram()
    return total, _mlx_working_set() or int(total * usable_fraction(total))


# ----------------------------------------------------------------------------- verdicts


def machine_name() -> str:
    """How the advice names the machine: "this Mac" on macOS, else "this computer"."""
    return "this Mac" if sys.platform == "darwin" else "this computer"


def format_context(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else f"{tokens:,}-token"


def advise(
    name: str,
    *,
    weights: int,
    shape: KVShape | None,
    context: int,
    ram: int | None = None,
    usable: int | None = None,
) -> FitVerdict:
    """The verdict for loading ``name`` with a ``context``-token window.

    ``ram``/``usable`` override the machine's figures (tests, planning for another Mac)."""
    total, avail = usable_memory(ram)
    if usable is not None:
        avail = usable
    kv = kv_cache_bytes(shape, context) if shape else 0
    needed = weights + working_bytes(weights) + kv
    machine = machine_name()
    label = format_context(context)
    article = "an" if label.startswith(("8", "11", "18")) else "a"
    kv_text = format_bytes(kv, memory=True)
    kv_part = f" plus {kv_text} for {article} {label} context" if shape else ""
    weights_text = format_bytes(weights + working_bytes(weights), memory=True)
    head = f"{name} needs about {weights_text} for weights{kv_part}"
    where = (
        f"{machine} has {format_bytes(total, memory=True)}, of which about "
        f"{format_bytes(avail, memory=True)} can be used for models"
    )
    if needed > avail:
        level: Level = "refuse"
        message = f"{head}; {where}. Choose a smaller model or a shorter context."
    elif needed > avail * WARN_FRACTION:
        level = "warn"
        message = (
            f"{head}; {where}. It should load, but other apps may slow down; a shorter context "
            "leaves more room."
        )
    else:
        level = "ok"
        message = f"{head}; {where}. It fits."
    return FitVerdict(level, needed, avail, message, weights, kv, context)


def _model_name(folder: Path) -> str:
    manifest = folder / "logline.json"
    if manifest.is_file():
        import json

        try:
            return str(json.loads(manifest.read_text(encoding="utf-8"))["display_name"])
        except (OSError, ValueError, KeyError):
            pass
    return folder.name


def advise_for_folder(
    folder: Path, context: int, *, ram: int | None = None, usable: int | None = None
) -> FitVerdict:
    """The verdict for an installed model folder or hub snapshot (``config.json`` + weights)."""
    import json

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return advise(
        _model_name(folder),
        weights=weights_bytes(folder),
        shape=kv_shape(config),
        context=context,
        ram=ram,
        usable=usable,
    )


def advise_for_catalog(
    entry: Any, context: int, *, ram: int | None = None, usable: int | None = None
) -> FitVerdict:
    """The verdict for a catalog entry before downloading (approximate sizes)."""
    arch = entry.architecture
    shape = (
        KVShape(arch.num_hidden_layers, arch.num_key_value_heads, arch.head_dim) if arch else None
    )
    return advise(
        entry.display_name,
        weights=entry.download_bytes,
        shape=shape,
        context=context,
        ram=ram,
        usable=usable,
    )


def usable_context(
    model_config: dict[str, Any],
    ram: int | None,
    requested: int,
    *,
    weights: int,
    usable: int | None = None,
) -> int:
    """The largest context ≤ ``requested`` (and ≤ the model's ``max_position_embeddings``) whose
    KV cache fits beside the weights; a multiple of 256, or 0 when even the weights do not fit."""
    shape = kv_shape(model_config)
    _, avail = usable_memory(ram)
    if usable is not None:
        avail = usable
    limit = requested
    max_pos = model_config.get("max_position_embeddings")
    if isinstance(max_pos, int) and max_pos > 0:
        limit = min(limit, max_pos)
    room = avail - weights - working_bytes(weights)
    if room <= 0:
        return 0
    fits = room // shape.bytes_per_token
    if fits >= limit:
        return limit
    return (fits // CONTEXT_STEP) * CONTEXT_STEP
