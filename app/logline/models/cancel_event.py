"""A cancel token the whole app shares: the engine's :class:`CancelToken` that also reads as
the ``threading.Event`` the models layer (downloads, imports, conversions) checks."""

from __future__ import annotations

from logline.engine.cancel import CancelToken

__all__ = ["CancelEvent"]


class CancelEvent(CancelToken):
    """Set from any thread with :meth:`cancel`; ``is_set``/``wait`` as on ``threading.Event``."""

    def is_set(self) -> bool:
        return self.cancelled

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True when cancelled."""
        return self._event.wait(timeout)

    def set(self) -> None:
        """``threading.Event`` spelling of :meth:`cancel`."""
        self.cancel()
