"""The tokenizer built from a GGUF vocabulary splits text the way llama.cpp does.

For pre-type ``smollm`` llama.cpp (``llama-vocab.cpp``, LLAMA_VOCAB_PRE_TYPE_SMOLLM) applies two
regexes in turn, each to the pieces the previous one left:

1. ``\\p{N}``: every digit (any Unicode number) becomes a piece of its own;
2. the GPT-2 split
   ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)``,
   with whitespace that the pattern leaves unmatched kept as a piece of its own.

Because the second split runs inside each piece of the first, ``\\s+(?!\\S)`` sees the end of the
piece, not the digit that follows it: whitespace right before a digit stays one piece.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from logline.engine.mlx_runtime import import_mlx
from logline.models.gguf_file import GGUFHeader, read_header
from logline.models.gguf_tokenizer import build_tokenizer
from tiny_models import (
    CHATML_TEMPLATE,
    EOS_ID,
    IM_END_ID,
    IM_START_ID,
    byte_level,
    write_tiny_llama_gguf,
)

import_mlx()  # before anything (mlx_lm) imports mlx.core

PARAGRAPH = (
    "<|im_start|>user\nINT. DINER - NIGHT (1987)\n\n\tJOE sits alone.  He orders 2 coffees,\n"
    "\t\tthen 3 more at 11:45 p.m. It's the 4th time this week!\n"
    "  Room ٣ costs $1,250.50; we'll pay ½ now.<|im_end|>\n<|im_start|>assistant\n"
)

# (text, pieces in plain text) as llama.cpp's smollm pre-tokenizer produces them.
SMOLLM_PIECES: list[tuple[str, list[str]]] = [
    ("a\n\t12", ["a", "\n\t", "1", "2"]),
    ("x  123 y", ["x", "  ", "1", "2", "3", " y"]),
    ("It's 2024!", ["It", "'s", " ", "2", "0", "2", "4", "!"]),
    ("٣", ["٣"]),
    ("x٣٤ ٥", ["x", "٣", "٤", " ", "٥"]),
    ("\n\n\t\t7", ["\n\n\t\t", "7"]),
    ("Hello world\n\n", ["Hello", " world", "\n\n"]),
    ("  leading", [" ", " leading"]),
    ("one\n\n  two", ["one", "\n\n ", " two"]),
    ("3.14", ["3", ".", "1", "4"]),
    ("abc123def", ["abc", "1", "2", "3", "def"]),
    ("we'll go", ["we", "'ll", " go"]),
    ("x½ Ⅻ", ["x", "½", " ", "Ⅻ"]),
    ("end.\t\t", ["end", ".", "\t\t"]),
]


@pytest.fixture(scope="module")
def tiny_header(tmp_path_factory: pytest.TempPathFactory) -> GGUFHeader:
    return read_header(write_tiny_llama_gguf(tmp_path_factory.mktemp("tok") / "tiny.gguf"))


@pytest.fixture(scope="module")
def tiny_tokenizer(tiny_header: GGUFHeader) -> Any:
    return build_tokenizer(tiny_header)


@pytest.fixture(scope="module")
def smollm2_header(embedded_gguf: Path) -> GGUFHeader:
    return read_header(embedded_gguf)


@pytest.fixture(scope="module")
def smollm2_tokenizer(smollm2_header: GGUFHeader) -> Any:
    return build_tokenizer(smollm2_header)


@pytest.mark.parametrize(("text", "pieces"), SMOLLM_PIECES)
def test_smollm_pre_tokenizer_pieces(tiny_tokenizer: Any, text: str, pieces: list[str]) -> None:
    actual = [piece for piece, _ in tiny_tokenizer.pre_tokenizer.pre_tokenize_str(text)]
    assert actual == [byte_level(piece) for piece in pieces]


def test_tiny_tokenizer_round_trips_and_keeps_special_tokens(tiny_tokenizer: Any) -> None:
    ids = tiny_tokenizer.encode(PARAGRAPH).ids
    assert ids[0] == IM_START_ID
    assert ids.count(IM_START_ID) == 2
    assert ids.count(IM_END_ID) == 1
    assert tiny_tokenizer.decode(ids, skip_special_tokens=False) == PARAGRAPH
    # The merges learned from English text are used: fewer tokens than bytes.
    assert len(tiny_tokenizer.encode("The writer read the script.").ids) < 12


def _expected_ids(header: GGUFHeader, pieces: list[str]) -> list[int]:
    """Ids of pieces that are whole tokens of the vocabulary (so BPE leaves them whole)."""
    index = {token: i for i, token in enumerate(header.get("tokenizer.ggml.tokens"))}
    ids = []
    for piece in pieces:
        token = byte_level(piece)
        assert token in index, f"{piece!r} is not one token of this vocabulary"
        ids.append(index[token])
    return ids


# Strings whose llama.cpp pieces are each one SmolLM2 token.
SMOLLM2_CASES = [
    ("a\n\t12", ["a", "\n\t", "1", "2"]),
    ("x  123 y", ["x", "  ", "1", "2", "3", " y"]),
    ("It's 2024!", ["It", "'s", " ", "2", "0", "2", "4", "!"]),
    ("\n\n\t\t7", ["\n\n\t\t", "7"]),
    ("Hello world\n\n", ["Hello", " world", "\n\n"]),
]


@pytest.mark.parametrize(("text", "pieces"), SMOLLM2_CASES)
def test_embedded_smollm2_ids_follow_llama_cpp(
    smollm2_header: GGUFHeader, smollm2_tokenizer: Any, text: str, pieces: list[str]
) -> None:
    assert smollm2_header.get("tokenizer.ggml.pre") == "smollm"
    assert smollm2_tokenizer.encode(text).ids == _expected_ids(smollm2_header, pieces)


def test_embedded_smollm2_special_tokens(smollm2_tokenizer: Any) -> None:
    ids = smollm2_tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n").ids
    assert ids[0] == 1 and ids[-2] == 2  # <|im_start|>, <|im_end|> stay whole
    assert smollm2_tokenizer.encode("<|endoftext|>").ids == [0]
    assert smollm2_tokenizer.decode(ids, skip_special_tokens=False) == (
        "<|im_start|>user\nHi<|im_end|>\n"
    )


def test_transformers_gguf_converter_splits_differently(
    embedded_gguf: Path, smollm2_header: GGUFHeader, smollm2_tokenizer: Any
) -> None:
    """transformers ignores pre-type ``smollm``: it keeps GPT-2's split, without lone digits.

    On "a\\n\\t12" GPT-2's ``\\s+(?!\\S)`` backs off before the digit, so "\\n" and "\\t" become
    two tokens, while llama.cpp (and Logline) give the single token "\\n\\t".
    """
    pytest.importorskip("transformers")
    try:
        from transformers.integrations.gguf import convert_gguf_tokenizer, get_gguf_tokenizer
    except ImportError:
        pytest.skip("this transformers has no GGUF tokenizer converter at the expected place")

    architecture, tokenizer_dict, _ = get_gguf_tokenizer(str(embedded_gguf))
    converted = convert_gguf_tokenizer(architecture, tokenizer_dict)
    theirs = converted[0] if isinstance(converted, tuple) else converted

    text = "a\n\t12"
    ours = smollm2_tokenizer.encode(text).ids
    assert ours == _expected_ids(smollm2_header, ["a", "\n\t", "1", "2"])
    their_ids = theirs.encode(text).ids
    if their_ids == ours:
        pytest.skip("this transformers version now splits pre-type 'smollm' like llama.cpp")
    assert their_ids == _expected_ids(smollm2_header, ["a", "\n", "\t", "1", "2"])
    their_pieces = [piece for piece, _ in theirs.pre_tokenizer.pre_tokenize_str("x  123 y")]
    assert byte_level(" 123") in their_pieces  # digits not isolated before the GPT-2 split


def _mlx_lm_tokenizer(model_dir: Path) -> Any:
    from mlx_lm.utils import load_tokenizer

    return load_tokenizer(model_dir)


def test_mlx_lm_tokenizer_matches_ours_on_tiny_model(tiny_model_dir: Path) -> None:
    from tokenizers import Tokenizer

    ours = Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json"))
    theirs = _mlx_lm_tokenizer(tiny_model_dir)
    expected = ours.encode(PARAGRAPH).ids
    assert theirs.encode(PARAGRAPH) == expected
    assert expected.count(IM_START_ID) == 2
    assert theirs.decode(expected) == PARAGRAPH
    assert EOS_ID in theirs.eos_token_ids


def test_mlx_lm_chat_template_renders_chatml(tiny_model_dir: Path) -> None:
    tokenizer = _mlx_lm_tokenizer(tiny_model_dir)
    messages = [
        {"role": "system", "content": "You summarize scripts."},
        {"role": "user", "content": "Summarize scene 2."},
    ]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered == (
        "<|im_start|>system\nYou summarize scripts.<|im_end|>\n"
        "<|im_start|>user\nSummarize scene 2.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    ids = tokenizer.encode(rendered)
    assert ids.count(IM_START_ID) == 3 and ids.count(IM_END_ID) == 2
    assert "<|im_start|>" in CHATML_TEMPLATE


@pytest.mark.slow
def test_mlx_lm_tokenizer_matches_ours_on_embedded_model(
    smollm2_model_dir: Path, smollm2_tokenizer: Any
) -> None:
    theirs = _mlx_lm_tokenizer(smollm2_model_dir)
    expected = smollm2_tokenizer.encode(PARAGRAPH).ids
    assert theirs.encode(PARAGRAPH) == expected
    assert theirs.decode(expected) == PARAGRAPH
    rendered = theirs.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered.startswith("<|im_start|>system\n")
    assert rendered.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
