"""Qt-free SQLite persistence of documents, summaries, conversations and prompt-cache records.

The lowest layer: it imports nothing else from Logline but ``paths``. One file in the data
folder (``Store.open()``), WAL, foreign keys, a versioned schema with migrations
(``schema.py``), files private to the user. See ``store.py`` for the threads.
"""

from logline.store.errors import StoreError
from logline.store.records import (
    ConversationRecord,
    DocumentRecord,
    MessageRecord,
    PromptCacheRecord,
    SummaryRecord,
)
from logline.store.schema import SCHEMA_VERSION
from logline.store.store import Store, default_path
from logline.store.streaming import MessageWriter

__all__ = [
    "SCHEMA_VERSION",
    "ConversationRecord",
    "DocumentRecord",
    "MessageRecord",
    "MessageWriter",
    "PromptCacheRecord",
    "Store",
    "StoreError",
    "SummaryRecord",
    "default_path",
]
