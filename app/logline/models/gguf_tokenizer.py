"""Build a Hugging Face ``tokenizer.json`` from a GGUF file's vocabulary, as llama.cpp tokenizes.

The pre-tokenizer follows the GGUF's ``tokenizer.ggml.pre`` type the way llama.cpp defines it
(``llama-vocab.cpp``), not the way transformers' GGUF converter does (it ignores the pre-type).
Only byte-level BPE vocabularies (``tokenizer.ggml.model == "gpt2"``) are supported for now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from logline.models.errors import ModelConfigError, ModelImportError
from logline.models.gguf_file import GGUFHeader

# llama.cpp's GPT-2 split (its own list drops the trailing "|\s+", but its splitter keeps unmatched
# whitespace as a piece of its own, which is what the full GPT-2 pattern does).
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|"
    r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# pre-type -> list of split regexes applied in order (each piece isolated), then byte-level mapping.
# A final GPT-2 split is done by the byte-level pre-tokenizer itself (use_regex=True) when the list
# ends with GPT2_PATTERN; other lists end with an explicit split and a regex-free byte-level step.
PRE_TOKENIZER_SPLITS: dict[str, list[str]] = {
    "default": [GPT2_PATTERN],
    "gpt-2": [GPT2_PATTERN],
    "gpt2": [GPT2_PATTERN],
    # Digits one by one, then GPT-2 (llama.cpp: STARCODER, REFACT, SMOLLM, CODESHELL, ...)
    "smollm": [r"\p{N}", GPT2_PATTERN],
    "starcoder": [r"\p{N}", GPT2_PATTERN],
    "refact": [r"\p{N}", GPT2_PATTERN],
    "codeshell": [r"\p{N}", GPT2_PATTERN],
    "llama3": [LLAMA3_PATTERN],
    "llama-bpe": [LLAMA3_PATTERN],
    "smaug-bpe": [LLAMA3_PATTERN],
}

# ggml token types
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = range(
    1, 7
)


def check_tokenizer_metadata(header: GGUFHeader, vocab_size: int) -> None:
    """Refuse tokenizer metadata of the wrong type or range (:class:`ModelConfigError`)."""
    tokens = header.texts("tokenizer.ggml.tokens")
    header.texts("tokenizer.ggml.merges")
    types = header.integers("tokenizer.ggml.token_type")
    if types is not None and len(types) != len(tokens):
        raise ModelConfigError(
            f"{header.path.name} is malformed: tokenizer.ggml.token_type has {len(types):,} "
            f"entries for {len(tokens):,} tokens."
        )
    if len(tokens) > vocab_size:
        raise ModelConfigError(
            f"{header.path.name} is malformed: tokenizer.ggml.tokens holds {len(tokens):,} "
            f"tokens for a vocabulary of {vocab_size:,}."
        )
    for key in ("bos", "eos", "eot", "eom", "unk", "padding"):
        if header.get(f"tokenizer.ggml.{key}_token_id") is not None:
            header.integer(f"tokenizer.ggml.{key}_token_id", high=max(len(tokens), 1) - 1)
    for key in ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template"):
        header.text(key)
    for key in ("tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token"):
        if not isinstance(header.get(key, False), bool):
            raise ModelConfigError(f"{header.path.name} is malformed: {key} must be true or false.")


def build_tokenizer(header: GGUFHeader) -> Any:
    """:func:`_build_tokenizer`, whose Rust errors (a malformed merge, say) become one sentence."""
    try:
        return _build_tokenizer(header)
    except ModelImportError:
        raise
    except Exception as exc:  # the tokenizers library raises plain Exceptions
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ModelConfigError(
            f"{header.path.name} has a vocabulary the tokenizer cannot be built from ({reason})."
        ) from None


def _build_tokenizer(header: GGUFHeader) -> Any:
    """Return a ``tokenizers.Tokenizer`` equivalent to llama.cpp's for this GGUF."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
    )

    model_type = header.get("tokenizer.ggml.model")
    if model_type != "gpt2":
        raise ModelImportError(
            f"Unsupported tokenizer: {header.path.name} uses tokenizer.ggml.model={model_type!r}; "
            "Logline imports byte-level BPE ('gpt2') vocabularies."
        )
    pre_type = str(header.text("tokenizer.ggml.pre", "default"))
    if pre_type not in PRE_TOKENIZER_SPLITS:
        raise ModelImportError(
            f"Unsupported tokenizer pre-type {pre_type!r} in {header.path.name}; supported: "
            + ", ".join(sorted(PRE_TOKENIZER_SPLITS))
            + "."
        )
    tokens = header.texts("tokenizer.ggml.tokens")
    merges = header.texts("tokenizer.ggml.merges")
    if not tokens or not merges:
        raise ModelImportError(f"{header.path.name} has no BPE vocabulary or merges.")
    if not all(" " in merge for merge in merges):
        raise ModelConfigError(
            f"{header.path.name} is malformed: tokenizer.ggml.merges holds a merge that is not "
            "two tokens."
        )
    token_types = header.integers("tokenizer.ggml.token_type") or [TOKEN_NORMAL] * len(tokens)

    vocab = {token: index for index, token in enumerate(tokens)}
    pairs = [tuple(merge.split(" ", 1)) for merge in merges]  # (pairs: each merge has one space)
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False)  # type: ignore[arg-type]
    )

    splits = PRE_TOKENIZER_SPLITS[pre_type]
    steps: list[Any] = [
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False)
        for pattern in splits[:-1]
    ]
    last = splits[-1]
    if last == GPT2_PATTERN:
        steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True))
    else:
        steps.append(pre_tokenizers.Split(Regex(last), behavior="isolated", invert=False))
        steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tokenizer.decoder = decoders.ByteLevel()

    special = [
        AddedToken(tokens[i], special=(kind == TOKEN_CONTROL), normalized=False)
        for i, kind in enumerate(token_types)
        if kind in (TOKEN_CONTROL, TOKEN_USER_DEFINED)
    ]
    if special:
        tokenizer.add_special_tokens([t for t in special if t.special])
        tokenizer.add_tokens([t for t in special if not t.special])

    bos_id = header.get("tokenizer.ggml.bos_token_id")
    if header.get("tokenizer.ggml.add_bos_token", False) and bos_id is not None:
        bos_id = header.integer("tokenizer.ggml.bos_token_id", high=len(tokens) - 1)
        bos = tokens[bos_id]
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0",
            pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
            special_tokens=[(bos, bos_id)],
        )
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def _token(header: GGUFHeader, key: str) -> str | None:
    index = header.get(f"tokenizer.ggml.{key}_token_id")
    tokens = header.texts("tokenizer.ggml.tokens")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(tokens):
        return None
    return tokens[index]


def stop_token_ids(header: GGUFHeader) -> list[int]:
    """End-of-sequence and end-of-turn ids: generation stops on any of them."""
    ids: list[int] = []
    for key in ("eos", "eot", "eom"):
        if header.get(f"tokenizer.ggml.{key}_token_id") is None:
            continue
        value = header.integer(f"tokenizer.ggml.{key}_token_id", high=1 << 22)
        if value not in ids:
            ids.append(value)
    return ids


def tokenizer_config(header: GGUFHeader, context_length: int) -> dict[str, Any]:
    """The ``tokenizer_config.json`` transformers (and so mlx-lm) reads beside tokenizer.json."""
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": bool(header.get("tokenizer.ggml.add_bos_token", False)),
        "add_eos_token": bool(header.get("tokenizer.ggml.add_eos_token", False)),
        "clean_up_tokenization_spaces": False,
        "model_max_length": context_length,
    }
    for key in ("bos", "eos", "unk"):
        token = _token(header, key)
        if token is not None:
            config[f"{key}_token"] = token
    pad = _token(header, "padding")
    if pad is not None:
        config["pad_token"] = pad
    template = header.text("tokenizer.chat_template")
    if template:
        config["chat_template"] = template
    return config


def write_tokenizer_files(header: GGUFHeader, folder: Path, context_length: int) -> None:
    tokenizer = build_tokenizer(header)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = tokenizer_config(header, context_length)
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special_map = {k: v for k, v in config.items() if k.endswith("_token")}
    (folder / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2), "utf-8")
