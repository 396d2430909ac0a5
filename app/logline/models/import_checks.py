"""The last check before a model counts as installed: run one token through it.

Every import (a model folder, copied or referenced; a GGUF file; a converted Hugging Face folder)
calls :func:`verify_by_running` on the staged folder before it is renamed into place, so a model
whose weights cannot run, or whose logits are NaN, is never listed. It uses MLX: the GUI runs every
import on its engine thread (``import_source.needs_engine``), the CLI on its main thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from logline.models.errors import ModelSmokeTestError

log = logging.getLogger(__name__)

PROBE_CONTEXT = 256  # tokens: what a one-token test run needs, with room to spare


def verify_by_running(folder: Path, name: str) -> None:
    """Run one token through the model in ``folder``; :class:`ModelSmokeTestError` when it fails.

    A model too large for this machine's memory is not run (loading it would swap the machine
    to a standstill); the fit advisor refuses it again when it is loaded.
    """
    from logline.models import fit

    try:
        verdict = fit.advise_for_folder(folder, PROBE_CONTEXT)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("No memory check before the test run of %s: %s", name, type(exc).__name__)
        verdict = None
    if verdict is not None and verdict.level == "refuse":
        log.warning("Not test-running %s: it does not fit in memory here", name)
        return
    from logline.engine.model_check import ForwardPassError, forward_one_token

    try:
        forward_one_token(folder)
    except ForwardPassError as exc:
        raise ModelSmokeTestError(
            f'"{name}" failed its test run: {exc}; it was not installed.'
        ) from None
