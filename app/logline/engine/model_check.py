"""One forward pass of one token through a model folder: does it run, and are its logits finite?

The last check before an imported model counts as installed (``models.import_checks`` calls it on
the staged folder). The model is built by mlx-lm from the local folder (strict: every weight must
match a parameter of the architecture), never with remote code, run on one token, and dropped.
Runs on the MLX thread (the GUI's engine thread, the CLI's main thread).
"""

from __future__ import annotations

import gc
import inspect
import logging
from pathlib import Path
from typing import Any

from logline.engine.mlx_runtime import import_mlx

log = logging.getLogger(__name__)


class ForwardPassError(ValueError):
    """The model could not run one token, or its logits were not finite numbers."""


def forward_one_token(folder: Path, token_id: int = 0) -> None:
    """Build the model in ``folder`` and run ``token_id`` through it.

    Raises :class:`ForwardPassError` when it cannot run or its logits are not finite."""
    mx = import_mlx()
    from mlx_lm.utils import load_model

    options: dict[str, Any] = {"lazy": True, "strict": True}
    parameters = inspect.signature(load_model).parameters
    if "trust_remote_code" in parameters:
        options["trust_remote_code"] = False
    options = {k: v for k, v in options.items() if k in parameters}
    model: Any = None
    try:
        model, config = load_model(Path(folder), **options)
        vocab = _vocab_size(model, config)
        logits = model(mx.array([[min(max(token_id, 0), max(vocab - 1, 0))]]))
        mx.eval(logits)
        shape = tuple(logits.shape)
        if vocab and shape[-1] != vocab:
            raise ForwardPassError(f"it gives {shape[-1]} logits for a {vocab}-token vocabulary")
        if not bool(mx.all(mx.isfinite(logits)).item()):
            raise ForwardPassError("its logits are not finite numbers (NaN or infinity)")
    except ForwardPassError:
        raise
    except Exception as exc:  # any failure of untrusted weights is one sentence
        log.info("Forward pass of %s failed", folder.name, exc_info=True)
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ForwardPassError(f"it cannot run one token ({reason})") from exc
    finally:
        model = None
        gc.collect()
        mx.clear_cache()


def _vocab_size(model: Any, config: dict[str, Any]) -> int:
    args = getattr(model, "args", None)
    value = getattr(args, "vocab_size", None) or config.get("vocab_size") or 0
    return int(value) if isinstance(value, int) else 0
