"""Single-pass summaries: the whole document in one prompt when it fits the model's context.

Documents longer than the context are shortened to what fits, and the caller is told so with a
``Notice`` (never silently). Hierarchical map-reduce over scenes replaces this for long scripts.
Runs on the engine thread (it tokenizes with the loaded model's tokenizer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from logline.documents import Document
from logline.engine import CancelToken, Finished, Notice, SamplingParams
from logline.engine.runtime import Emit, Engine, GenerationRequest, Message
from logline.summarize.prompts import summary_messages

log = logging.getLogger(__name__)

SUMMARY_SAMPLING = SamplingParams(
    temperature=0.0, repetition_penalty=1.1, repetition_context_size=64, max_tokens=320
)
# Room left in the context for the chat template's own tokens.
TEMPLATE_MARGIN = 32


@dataclass(frozen=True)
class SummaryPlan:
    messages: list[Message]
    prompt_tokens: int
    document_tokens: int
    kept_tokens: int

    @property
    def shortened(self) -> bool:
        return self.kept_tokens < self.document_tokens


def _kind(document: Document) -> str:
    return "screenplay" if document.is_screenplay else "document"


def plan_summary(engine: Engine, document: Document, sampling: SamplingParams) -> SummaryPlan:
    """Build the prompt, shortening the document to fit ``context - max_tokens`` if needed."""
    loaded = engine.loaded
    if loaded is None:
        raise RuntimeError("No model is loaded")
    title = document.title or document.path.stem
    kind = _kind(document)
    frame = summary_messages(title=title, kind=kind, document="")
    frame_tokens = len(engine.render_prompt(frame))
    budget = loaded.context_length - sampling.max_tokens - frame_tokens - TEMPLATE_MARGIN
    if budget <= 0:
        raise ValueError(
            f"The model's context ({loaded.context_length} tokens) leaves no room for the "
            f"document after a {sampling.max_tokens}-token answer."
        )
    text = document.text
    doc_tokens = engine.count_tokens(text)
    kept = doc_tokens
    if doc_tokens > budget:
        text, kept = _shorten(engine, text, budget, doc_tokens)
    messages = summary_messages(title=title, kind=kind, document=text)
    return SummaryPlan(messages, len(engine.render_prompt(messages)), doc_tokens, kept)


def _shorten(engine: Engine, text: str, budget: int, total_tokens: int) -> tuple[str, int]:
    """The longest prefix of ``text``, cut at a line end, that has at most ``budget`` tokens."""
    chars = int(len(text) * budget / total_tokens)
    while chars > 0:
        cut = text.rfind("\n", 0, chars)
        prefix = text[: cut if cut > 0 else chars]
        count = engine.count_tokens(prefix)
        if count <= budget:
            return prefix, count
        chars = int(chars * budget / count * 0.98)
    return "", 0


def run_summary(
    engine: Engine,
    document: Document,
    cancel: CancelToken,
    emit: Emit,
    sampling: SamplingParams = SUMMARY_SAMPLING,
) -> Finished:
    """Summarize ``document`` with the loaded model, emitting events as it goes."""
    plan = plan_summary(engine, document, sampling)
    if plan.shortened:
        share = plan.kept_tokens / plan.document_tokens
        emit(
            Notice(
                f"This document is {plan.document_tokens:,} tokens; the model reads at most "
                f"{plan.kept_tokens:,} of them at once, so this summary covers only the first "
                f"{share:.0%} of it."
            )
        )
    log.info("Summarizing a %s-token prompt", plan.prompt_tokens)
    request = GenerationRequest(messages=plan.messages, sampling=sampling)
    return engine.generate(request, cancel, emit)
