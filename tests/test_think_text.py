"""A reasoning model's think block never reaches the answer (engine/think_text.py).

Unit tests split the stream at every position; the end-to-end test runs a tiny model rewired to
write reasoning, ``</think>`` and an answer, behind an always-reasoning template (the generation
prompt opens ``<think>``, as DeepSeek-R1 distills' do), through both decode paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logline.engine.stop_text import StopText
from logline.engine.think_text import ThinkMarkers, ThinkText, think_filter

MARKERS = ThinkMarkers("<think>", "</think>")


def streamed(pieces: list[str], *, thinking: bool, stops: tuple[str, ...] = ()) -> str:
    stop = StopText(stops, ThinkText(MARKERS, thinking=thinking))
    return "".join(stop.add(p) for p in pieces) + stop.flush()


def splits(text: str) -> list[list[str]]:
    """``text`` in two pieces at every position, and one character at a time."""
    return [[text[:i], text[i:]] for i in range(len(text) + 1)] + [list(text)]


@pytest.mark.parametrize(
    ("text", "thinking", "answer"),
    [
        ("Let me see. He wants gold.</think>\n\nEDWARD goes.", True, "EDWARD goes."),
        ("EDWARD leaves home.", False, "EDWARD leaves home."),
        ("<think>\nhmm, who is he?\n</think>\n\nEDWARD leaves.", False, "EDWARD leaves."),
        ("A <think>aside</think> B", False, "A B"),
        ("Reasoning that never ends", True, ""),
        ("A <thin and more", False, "A <thin and more"),
        ("It ends <think>unfinished", False, "It ends "),
    ],
)
def test_the_answer_is_what_follows_the_block_at_every_split(
    text: str, thinking: bool, answer: str
) -> None:
    for pieces in splits(text):
        assert streamed(pieces, thinking=thinking) == answer, pieces


def test_stop_strings_apply_to_the_answer_only() -> None:
    text = "I should stop at END? No.</think>The answer. END and more"
    for pieces in splits(text):
        assert streamed(pieces, thinking=True, stops=("END",)) == "The answer. ", pieces


def test_a_model_without_thinking_gets_no_filter(tiny_model_dir: Path) -> None:
    from mlx_lm.utils import load_tokenizer

    tokenizer = load_tokenizer(tiny_model_dir)
    prompt = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    assert think_filter(tokenizer, prompt) is None
    opened = tokenizer.encode("<|im_start|>assistant\n<think>\n", add_special_tokens=False)
    assert think_filter(tokenizer, opened) is not None


# --- end to end: a tiny model that reasons, then answers ---------------------------------------

REASONING = " So</think>OK!"  # its tokens must all differ (tiny vocabulary)
R1_STYLE_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def reasoning_engine(tmp_path_factory: pytest.TempPathFactory):
    from logline.engine.runtime import Engine
    from logline.engine.worker import EngineThread
    from tiny_models import make_looping_mlx_model

    folder = make_looping_mlx_model(tmp_path_factory.mktemp("reasoning"), REASONING)
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text("utf-8"))
    config["chat_template"] = R1_STYLE_TEMPLATE
    config_path.write_text(json.dumps(config), "utf-8")
    thread = EngineThread(Engine())
    thread.call(lambda engine: engine.load("reasoning", folder))
    yield thread
    thread.close()


def _request(max_tokens: int):
    from logline.engine.requests import GenerationRequest
    from logline.engine.sampling import SamplingParams

    return GenerationRequest(
        messages=[{"role": "user", "content": "Summarise."}],
        sampling=SamplingParams(temperature=0.0, max_tokens=max_tokens),
    )


def test_the_stream_shows_only_the_answer(reasoning_engine) -> None:  # type: ignore[no-untyped-def]
    from logline.engine.cancel import CancelToken
    from logline.engine.events import Generated

    count = reasoning_engine.call(lambda e: len(e.render_prompt([{"role": "user", "content": ""}])))
    assert count > 0
    pieces: list[str] = []

    def emit(event: object) -> None:
        if isinstance(event, Generated):
            pieces.append(event.text)

    tokens = reasoning_engine.call(lambda e: e.count_tokens(REASONING))
    finished = reasoning_engine.call(lambda e: e.generate(_request(tokens), CancelToken(), emit))
    assert finished.error is None
    assert "".join(pieces) == "OK!"


def test_a_batch_shows_only_the_answers(reasoning_engine) -> None:  # type: ignore[no-untyped-def]
    from logline.engine.cancel import CancelToken

    tokens = reasoning_engine.call(lambda e: e.count_tokens(REASONING))
    requests = [_request(tokens), _request(6)]  # the second ends inside the block

    def run(engine):  # type: ignore[no-untyped-def]
        results = engine.generate_batch(requests, CancelToken(), lambda event: None)
        return [item.text for item in results]

    assert reasoning_engine.call(run) == ["OK!", ""]
