"""Plain data the GUI sends to the engine thread (Qt-free, so tests can build it directly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from logline.engine.cancel import CancelToken

if TYPE_CHECKING:
    from logline.documents import Document
    from logline.engine.sampling import SamplingParams
    from logline.summarize.runner import SummaryOptions


@dataclass(frozen=True)
class ModelChoice:
    """Which model to run. ``path`` None means "resolve ``model_id`` on the engine thread"
    (installing the embedded default there if needed, since that uses MLX)."""

    model_id: str
    path: Path | None = None
    display_name: str = ""

    @property
    def label(self) -> str:
        return self.display_name or self.model_id


@dataclass(frozen=True)
class SummaryJob:
    """One summary to run. ``options`` (mode, instruction, context cap…) default to the
    synopsis; ``sampling``, when given, replaces the final answer's sampling parameters."""

    document: Document
    model: ModelChoice
    sampling: SamplingParams | None = None
    options: SummaryOptions | None = None
    cancel: CancelToken = field(default_factory=CancelToken)

    def summary_options(self) -> SummaryOptions:
        """The options handed to :func:`logline.summarize.runner.summarize`."""
        from dataclasses import replace

        from logline.summarize.runner import SummaryOptions

        options = self.options or SummaryOptions()
        return replace(options, sampling=self.sampling) if self.sampling else options


def is_expected(exc: BaseException) -> bool:
    """Errors whose message is written for users (no traceback needed in the log)."""
    from logline.documents import DocumentError
    from logline.models.errors import ModelError

    return isinstance(exc, (ModelError, DocumentError, ValueError))


def user_message(exc: BaseException) -> str:
    """A sentence to show for an error raised on the engine thread."""
    if is_expected(exc):
        return str(exc)
    return f"Summarizing failed: {exc or type(exc).__name__}"
