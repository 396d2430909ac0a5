"""Errors the models layer raises, each carrying a message fit to show a user as is."""


class ModelError(Exception):
    """Base class: something about a model is wrong or missing."""


class ModelImportError(ModelError):
    """A file or folder cannot be imported as a model (corrupt, truncated or unsupported)."""


class ModelNotFoundError(ModelError):
    """The requested model is not installed."""
