"""bench/gpu/make_random_model.py: a random model's notes keep their token count when re-read.

The GPU benchmark's random-weight models emit ids all over their 128,256-id vocabulary, most of
them above the regular BPE tokens. Their text must come back as one id each when Logline reads a
note again (a merge prompt), or the merges grow far past what a trained model's would (the H200
run at 761eab4 generated 30k tokens where b338930's made 16k: each filler re-read as ~14 tokens
once prompts began to keep control-token text as plain text).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "gpu"))

import make_random_model  # noqa: E402

from logline.engine.prompt_tokens import PromptTokenizer  # noqa: E402

TEXT = (
    "INT. HOSPITAL ROOM - NIGHT\n\nEdward lies in bed. Will sits beside him, reading.\n\n"
    "WILL\nYou never told me the true story.\n\nEDWARD\nI told you a thousand times.\n\n"
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from mlx_lm.utils import load_tokenizer

    folder = tmp_path_factory.mktemp("random-tokenizer")
    train = folder / "train.txt"
    train.write_text(TEXT * 40, encoding="utf-8")
    tokens, merges, pre = make_random_model.regular_vocab_trained(train, size=600)
    make_random_model.write_tokenizer(folder, tokens, merges, pre)
    return load_tokenizer(folder), len(tokens)


def decoded(wrapper, ids: list[int]) -> str:  # type: ignore[no-untyped-def]
    """The text Logline's engine streams for ``ids`` (mlx-lm's detokenizer)."""
    detokenizer = wrapper.detokenizer
    detokenizer.reset()
    for token in ids:
        detokenizer.add_token(token)
    detokenizer.finalize()
    return detokenizer.text


def test_ids_above_the_regular_tokens_reread_as_one_token_each(tokenizer) -> None:  # type: ignore[no-untyped-def]
    wrapper, regular = tokenizer
    counter = PromptTokenizer(wrapper._tokenizer)
    rng = random.Random(0)
    fillers = [rng.randrange(regular, make_random_model.FIRST_SPECIAL) for _ in range(200)]
    text = decoded(wrapper, fillers)
    assert counter.count(text) == len(fillers)
    assert wrapper.encode(text, add_special_tokens=False) == fillers
    # mixed with regular tokens, as a random note is: within a few percent
    mixed = [rng.randrange(0, make_random_model.FIRST_SPECIAL) for _ in range(400)]
    assert abs(counter.count(decoded(wrapper, mixed)) - len(mixed)) <= len(mixed) * 0.05


def test_llama3_control_tokens_stay_control_tokens(tokenizer) -> None:  # type: ignore[no-untyped-def]
    wrapper, _ = tokenizer
    counter = PromptTokenizer(wrapper._tokenizer)
    for token_id, text in make_random_model.LLAMA3_SPECIALS.items():
        assert wrapper.convert_tokens_to_ids(text) == token_id
        assert token_id in counter.control_ids
    assert wrapper.eos_token_id == 128009
    assert len(wrapper._tokenizer) == make_random_model.VOCAB_SIZE
