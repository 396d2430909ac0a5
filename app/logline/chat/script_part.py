"""The script part of a conversation with one model: its tokens, and its cache read only once.

``build`` decides how the script reaches the model (all of it, or its digest when it does not
fit) and renders the system message; ``ensure_read`` makes sure the engine holds its KV cache:
already in memory, else from the prompt-cache file saved for the same (model, chat template,
document, prompt) key, else read now (``Reading(script=True)`` events) and saved for next time.
Files live in ``models.prompt_caches.folder()`` and are recorded in the store; they count against
the cache budget and the least recently used go first (``evict``). On a server none of this
applies: ``build_remote`` makes the same message and only counts it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from logline.chat.events import Reading, ScriptMode
from logline.chat.prompts import PROMPT_VERSION, script_message, text_hash
from logline.engine.cancel import CancelToken
from logline.engine.checkpoints import CheckpointFileError, shared_length
from logline.engine.events import EngineEvent, PromptProgress
from logline.engine.requests import Message
from logline.engine.runtime import Engine
from logline.models import prompt_caches

if TYPE_CHECKING:
    from logline.engine.remote import RemoteEngine

log = logging.getLogger(__name__)

# Where the script part's cache came from; "server": nothing read here (a server's own cache).
Source = Literal["memory", "disk", "read", "server"]


@dataclass(frozen=True)
class ScriptPart:
    mode: ScriptMode
    message: Message
    tokens: tuple[int, ...]  # the token prefix every turn's prompt starts with (local only)
    key: str  # the prompt-cache key: model, chat template, document, prompt version, body
    counted: int = 0  # on a server (no tokens here): the message's length, counted or estimated

    @property
    def length(self) -> int:
        """Tokens of the script part, as the meter and the plan count them."""
        return len(self.tokens) if self.tokens else self.counted


def cache_path(key: str) -> Path:
    return prompt_caches.path_for(key)


def template_hash(engine: Engine) -> str:
    loaded = engine.loaded
    template = getattr(loaded.tokenizer, "chat_template", None) if loaded else None
    return text_hash(template if isinstance(template, str) else "")


def prefix_tokens(engine: Engine, message: Message) -> list[int]:
    """The tokens every prompt that starts with ``message`` shares, whatever the question:
    the common prefix of two renderings that differ only in the question."""
    a = engine.render_prompt([message, {"role": "user", "content": "A"}])
    b = engine.render_prompt([message, {"role": "user", "content": "B"}])
    return a[: shared_length(a, b)]


def build(
    engine: Engine, model_id: str, document_hash: str, mode: ScriptMode, body: str, document
) -> ScriptPart:
    message = script_message(document, body)
    tokens = tuple(prefix_tokens(engine, message))
    parts = [model_id, template_hash(engine), document_hash, PROMPT_VERSION, mode, text_hash(body)]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
    return ScriptPart(mode, message, tokens, key)


def build_remote(engine: RemoteEngine, mode: ScriptMode, body: str, document) -> ScriptPart:
    """The script part for a server: the same message, its length counted (with the model's
    tokenizer when Logline has it, else estimated). No tokens and no cache key: the server keeps
    its own prefix cache, which works because this message comes first, byte-identical."""
    message = script_message(document, body)
    return ScriptPart(mode, message, (), "", counted=engine.prompt_length([message]))


def ensure_read(
    engine: Engine,
    part: ScriptPart,
    store,
    document_id: int,
    model_id: str,
    document_hash: str,
    cancel: CancelToken,
    emit: Callable[[object], None],
) -> Source:
    """Make the engine hold the script part's cache; where it came from."""
    if engine.checkpoints.covering(part.tokens) is not None:
        return "memory"
    path = cache_path(part.key)
    if path.is_file():
        try:
            tokens, _meta = engine.load_prompt_cache(path)
            if tokens == part.tokens:
                prompt_caches.touch(path)
                store.prompt_caches.touch(part.key)
                log.info("Script part read from its prompt cache (%d tokens)", len(tokens))
                return "disk"
            log.warning("Prompt cache %s holds other tokens; reading the script again", path.name)
        except CheckpointFileError as exc:
            log.warning("Prompt cache not used: %s", exc)
        store.prompt_caches.delete(part.key)

    def relay(event: EngineEvent) -> None:
        if isinstance(event, PromptProgress):
            emit(Reading(event.done, event.total, script=True))

    engine.read_prompt(part.tokens, cancel, relay)
    metadata = {
        "model": model_id,
        "template_hash": template_hash(engine),
        "document_hash": document_hash,
        "prompt_version": PROMPT_VERSION,
        "script_mode": part.mode,
    }
    try:
        size = engine.save_prompt_cache(part.tokens, path, metadata)
    except OSError as exc:  # a full disk must not stop the conversation
        log.warning("Prompt cache not saved: %s", exc)
        return "read"
    store.prompt_caches.record(
        part.key,
        document_id=document_id,
        model=model_id,
        template_hash=metadata["template_hash"],
        document_hash=document_hash,
        prompt_version=PROMPT_VERSION,
        path=path,
        size_bytes=size,
        tokens=len(part.tokens),
    )
    evict(store, keep=part.key)
    return "read"


def evict(store, *, keep: str = "", budget_bytes: int | None = None) -> int:
    """Delete the least recently used prompt caches while models and caches together are over
    the cache budget (never ``keep``); bytes freed."""
    from logline.models.cache import cache_report  # scans the model folders: only when needed

    report = cache_report(budget_bytes)
    over = report.used_bytes - report.budget_bytes
    if over <= 0:
        return 0
    deleted = prompt_caches.delete_oldest(over, keep=frozenset({keep}))
    for item in deleted:
        store.prompt_caches.delete(item.key)
    return sum(item.size_bytes for item in deleted)


__all__ = ["ScriptPart", "build", "build_remote", "cache_path", "ensure_read", "evict"]
