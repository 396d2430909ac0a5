"""Errors the models layer raises, each carrying a message fit to show a user as is."""


class ModelError(Exception):
    """Base class: something about a model is wrong or missing."""


class ModelImportError(ModelError):
    """A file or folder cannot be imported as a model (corrupt, truncated or unsupported).

    Every malformed model input ends as one of its subclasses (or itself), with a one-line
    message that names the file and what to do: never a traceback.
    """


class UnsafeModelFileError(ModelImportError):
    """A model folder holds a link out of the folder, a FIFO, a device or another non-file."""


class ModelConfigError(ModelImportError):
    """``config.json`` (or GGUF metadata) holds a missing, wrongly typed or absurd value."""


class ModelWeightsError(ModelImportError):
    """A weights file is malformed (header, offsets, alignment) or disagrees with the config."""


class ChatTemplateError(ModelImportError):
    """The model's chat template is too large, does not compile, raises, or runs too long."""


class ModelSmokeTestError(ModelImportError):
    """The imported model failed its one-token forward pass (an error, or non-finite logits)."""


class ModelNotFoundError(ModelError):
    """The requested model is not installed."""


class ModelNotDownloadedError(ModelNotFoundError):
    """A hub model is not (completely) downloaded and cannot be fetched now (offline)."""


class DownloadError(ModelError):
    """Downloading a model from a hub failed (network, server or local disk)."""


class DownloadCancelledError(DownloadError):
    """The user cancelled a download; what was already on disk is kept for a later resume."""


class DownloadTimeoutError(DownloadError):
    """The hub stopped answering for longer than the per-request timeout."""


class IntegrityError(DownloadError):
    """A downloaded file does not match the checksum the hub published for it."""


class InsufficientDiskSpaceError(DownloadError):
    """Not enough free disk space for the rest of a download."""


class CacheBudgetError(ModelError):
    """A model cannot fit in the cache budget without deleting a pinned, in-use or default model."""


class ModelInUseError(ModelError):
    """A model cannot be deleted because it is loaded or pinned."""
