"""The store's one error type: a sentence a person can act on."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The database cannot be opened or used (says which file and what to do)."""
