"""Reasoning models answer at once: prompts are rendered with ``enable_thinking`` off.

Qwen3-style templates open a ``<think>`` block unless ``enable_thinking`` is false, and mlx-lm's
tokenizer wrapper turns the flag on for any vocabulary that has ``<think>``/``</think>``. A map
note of 256 tokens would then be spent on reasoning the reader never sees as notes. The tiny
model here gets Qwen3's thinking tokens and the relevant part of its template.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from logline.engine.runtime import Engine
from logline.engine.worker import EngineThread

# Qwen3's generation prompt: an empty think block when thinking is off (its template, cut to
# the part that matters here).
QWEN3_STYLE_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}{% endif %}"
)
EMPTY_THINK = "<think>\n\n</think>\n\n"


@pytest.fixture(scope="module")
def thinking_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tokenizers import AddedToken, Tokenizer

    folder = tmp_path_factory.mktemp("thinking") / "model"
    shutil.copytree(tiny_model_dir, folder)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.add_tokens([AddedToken("<think>"), AddedToken("</think>")])  # not special, as Qwen3
    tokenizer.save(str(folder / "tokenizer.json"))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text("utf-8"))
    config["chat_template"] = QWEN3_STYLE_TEMPLATE
    config.pop("added_tokens_decoder", None)
    config_path.write_text(json.dumps(config), "utf-8")
    return folder


@pytest.fixture(scope="module")
def thinking_engine(thinking_model_dir: Path):
    thread = EngineThread(Engine())
    thread.call(lambda engine: engine.load("thinking", thinking_model_dir))
    yield thread
    thread.close()


def test_the_wrapper_would_think_by_default(thinking_model_dir: Path) -> None:
    """What the fix is for: mlx-lm's wrapper alone renders the open-ended (thinking) prompt."""
    from mlx_lm.utils import load_tokenizer

    wrapper = load_tokenizer(thinking_model_dir)
    assert wrapper.has_thinking
    messages = [{"role": "user", "content": "Summarise."}]
    text = wrapper.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert not text.endswith(EMPTY_THINK)


def test_prompts_turn_thinking_off(thinking_engine: EngineThread) -> None:
    messages = [
        {"role": "system", "content": "You are a story analyst."},
        {"role": "user", "content": "Summarise this script.\n\nINT. KITCHEN - NIGHT"},
    ]
    tokens, tokenizer = thinking_engine.call(
        lambda engine: (engine.render_prompt(messages), engine.loaded.tokenizer)
    )
    assert tokenizer.decode(tokens).endswith("<|im_start|>assistant\n" + EMPTY_THINK)


def test_a_template_without_the_flag_renders_as_before(tiny_model_dir: Path) -> None:
    thread = EngineThread(Engine())
    try:
        thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
        messages = [{"role": "user", "content": "Summarise."}]
        tokens, tokenizer = thread.call(
            lambda engine: (engine.render_prompt(messages), engine.loaded.tokenizer)
        )
    finally:
        thread.close()
    assert tokenizer.decode(tokens).endswith("<|im_start|>assistant\n")
