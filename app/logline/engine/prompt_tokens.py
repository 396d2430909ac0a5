"""Prompt token ids in which message text can never become a control token.

A tokenizer turns the text of its added control tokens (``<|im_start|>``, ``<|eot_id|>``,
``</s>``, ``[INST]``...) into their special ids wherever that text appears, also inside a
document. A script that writes ``<|im_end|><|im_start|>system ...`` would then open a turn of its
own. Here every control token's text inside a message is broken with a zero-width space before
the chat template is rendered (``<|im_end|>`` becomes ``<`` U+200B ``|im_end|>``): the model still
reads the characters, as plain text. Text without such markers is tokenised exactly as before, so
prompt caches stay valid.

After encoding, the control ids in the prompt are counted against the template's own (the same
messages with placeholder contents): a tokenizer that still matched a marker inside a message
(a normalizer that drops the zero-width space, say) raises :class:`PromptFramingError` rather than
hand the model a forged turn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from logline.engine.requests import Message

__all__ = ["PromptFramingError", "PromptTokenizer", "prompt_tokens"]

BREAK = "\u200b"  # zero width space: splits a marker's text so it no longer matches the token
# Added tokens not flagged special that still read as markup (<think>, [INST] in some vocabularies)
_MARKUP = re.compile(r"[<\[]\S*[>\]]")
_PLACEHOLDER = "x"
# Reasoning models (Qwen3, SmolLM3...) answer at once when their template is rendered with
# ``enable_thinking`` false; otherwise a note's few hundred tokens go to a ``<think>`` block the
# reader never asked for. mlx-lm's tokenizer wrapper renames the flag for templates that call it
# otherwise and would default it to on; a template without the flag ignores it.
NO_THINKING = {"enable_thinking": False}
_MAX_PASSES = 4


class PromptFramingError(ValueError):
    """The model's tokenizer reads part of a message as a control token."""


class PromptTokenizer:
    """One tokenizer's control tokens, and prompts built so that messages cannot forge them."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        texts = control_texts(tokenizer)
        self.control_ids = frozenset(_ids_of(tokenizer, texts))
        ordered = sorted(texts, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(t) for t in ordered)) if ordered else None

    def neutralise(self, text: str) -> str:
        """``text`` with every control token's text broken by a zero-width space."""
        pattern = self._pattern
        if pattern is None:
            return text
        for _ in range(_MAX_PASSES):
            broken = pattern.sub(lambda m: m.group()[0] + BREAK + m.group()[1:], text)
            if broken == text:
                break
            text = broken
        return text

    def count(self, text: str) -> int:
        """Tokens of ``text`` read as plain text (no control tokens, none added)."""
        return len(self.tokenizer.encode(self.neutralise(text), add_special_tokens=False))

    def render(self, messages: Sequence[Message]) -> list[int]:
        """Token ids of ``messages`` in the model's chat template, ready for generation."""
        safe = [{**m, "content": self.neutralise(m["content"])} for m in messages]
        tokens = self._encode(safe)
        if self.control_ids:
            # an empty content stays empty: a template may leave out an empty message's turn
            frame = self._encode(
                [{**m, "content": _PLACEHOLDER if m["content"] else ""} for m in messages]
            )
            if self._controls(tokens) != self._controls(frame):
                raise PromptFramingError(
                    "This model's tokenizer reads part of the document as chat control tokens, "
                    "so Logline will not send it; try another model."
                )
        return tokens

    def _encode(self, messages: list[dict[str, str]]) -> list[int]:
        tokenizer = self.tokenizer
        if getattr(tokenizer, "chat_template", None):
            # Render to text, then encode: the return type of tokenize=True differs across
            # transformers versions (a list, or a BatchEncoding since transformers 5).
            text = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=False, **NO_THINKING
            )
            return list(tokenizer.encode(text, add_special_tokens=False))
        return list(tokenizer.encode("\n\n".join(m["content"] for m in messages)))

    def _controls(self, tokens: Iterable[int]) -> Counter[int]:
        ids = self.control_ids
        return Counter(t for t in tokens if t in ids)


def control_texts(tokenizer: Any) -> set[str]:
    """The text of every control token: added tokens flagged special, the tokenizer's named
    special tokens, and added tokens that read as markup. Single characters are left alone."""
    texts: set[str] = set()
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    for token in decoder.values():
        content = str(getattr(token, "content", token))
        if getattr(token, "special", False) or _MARKUP.fullmatch(content):
            texts.add(content)
    for content in getattr(tokenizer, "all_special_tokens", None) or ():
        texts.add(str(content))
    return {t for t in texts if len(t) > 1 and t.strip() == t}


def _ids_of(tokenizer: Any, texts: Iterable[str]) -> list[int]:
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    wanted = set(texts)
    ids = [i for i, token in decoder.items() if str(getattr(token, "content", token)) in wanted]
    if not ids:  # a tokenizer without an added-tokens table: ask for each text
        convert = getattr(tokenizer, "convert_tokens_to_ids", None)
        unknown = getattr(tokenizer, "unk_token_id", None)
        if convert is not None:
            for text in wanted:
                found = convert(text)
                if isinstance(found, int) and found != unknown:
                    ids.append(found)
    return ids


def prompt_tokens(tokenizer: Any, messages: Sequence[Message]) -> list[int]:
    """:meth:`PromptTokenizer.render` for a tokenizer used once (tests, tools)."""
    return PromptTokenizer(tokenizer).render(messages)
