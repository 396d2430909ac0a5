"""How the script reaches the model in a conversation: whole, or its digest when it does not fit.

``prepare_part`` decides once per conversation and model. The whole script (with its scene and
page markers) is used when it fits with the answer's room and a question; otherwise the digest:
notes on the whole script (a summary's map phase, reused from the store when there is one) within
their share of what is left, the scenes that match each question taking the rest. On a server
the same choice is made against the server's context length, with lengths counted by its model's
tokenizer when Logline has it, else estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from logline.chat import script_part
from logline.chat.context import ContextError
from logline.chat.digest import digest_body
from logline.chat.engines import is_remote, usable_context
from logline.chat.events import Notice, ScriptMode
from logline.chat.options import ChatOptions
from logline.chat.prompts import digest_text, marked_text
from logline.documents.model import Document
from logline.engine.cancel import CancelToken

if TYPE_CHECKING:
    from logline.chat.engines import ChatEngine

Emit = Callable[[object], None]
# Room kept for a question when deciding whether the whole script fits.
QUESTION_ROOM = 256
# In digest mode, the share of what is left after the script part given to retrieved scenes.
PASSAGES_SHARE = 0.6


@dataclass
class Prepared:
    model_id: str
    part: script_part.ScriptPart
    usable: int


def prepare_part(
    engine: ChatEngine,
    model_id: str,
    document: Document,
    document_hash: str,
    store: Any,
    document_id: int,
    options: ChatOptions,
    cancel: CancelToken,
    emit: Emit,
) -> Prepared:
    """The script part for ``model_id`` (the answering model's name) and the usable context."""
    usable = usable_context(engine, options.max_context)
    reserve = options.reserve(usable)

    def build(mode: ScriptMode, body: str) -> script_part.ScriptPart:
        if is_remote(engine):
            return script_part.build_remote(engine, mode, body, document)  # type: ignore[arg-type]
        return script_part.build(engine, model_id, document_hash, mode, body, document)  # type: ignore[arg-type]

    whole = build("whole", marked_text(document))
    if whole.length + reserve + QUESTION_ROOM <= usable:
        return Prepared(model_id, whole, usable)
    # The notes get their share of what is left after the frame (instructions and facts), the
    # answer and the question; the scenes retrieved per question the rest.
    frame = build("digest", digest_text([]))
    left = usable - reserve - QUESTION_ROOM - frame.length
    if left <= 0:
        raise ContextError(
            f"{model_id} can read {usable:,} tokens at once here: too few for the "
            "script's facts and a question. Choose a model with a longer context."
        )
    budget = int(left * (1 - PASSAGES_SHARE))
    body = digest_body(
        engine,  # type: ignore[arg-type]
        store,
        document,
        document_id,
        model_id,
        budget,
        cancel,
        emit,
        max_context=options.max_context,
    )
    part = build("digest", body)
    emit(
        Notice(
            f"The script ({whole.length:,} tokens) does not fit in what {model_id} can read at "
            f"once here ({usable:,}): answers read notes on the whole script, the scenes that "
            "match each question, and the script facts."
        )
    )
    return Prepared(model_id, part, usable)


__all__ = ["PASSAGES_SHARE", "QUESTION_ROOM", "Prepared", "prepare_part"]
