"""Checkpoints: a conversation's next turn reads only its own tokens, with the same answers.

Mechanics on the tiny random llama (greedy, so answers are comparable token for token): a
follow-up starts from the checkpoint of the previous prompt and answer; a regenerate forks the
checkpoint at the end of the shared turns instead of reading them again; a prompt cache saved to
disk answers identically in a new process, reading only the question.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from logline.engine import CancelToken, Finished, Generated, SamplingParams
from logline.engine.checkpoints import CheckpointFileError, Checkpoints, shared_length
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.worker import EngineThread

GREEDY = SamplingParams(max_tokens=12, temperature=0.0)
APP = Path(__file__).resolve().parents[1] / "app"


@pytest.fixture()
def worker(tiny_model_dir: Path):
    thread = EngineThread(Engine(prefill_step=64))
    thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
    yield thread
    thread.close()


def _generate(worker: EngineThread, tokens: list[int], *, keep: bool = True):
    request = GenerationRequest(prompt_tokens=tokens, sampling=GREEDY, keep_cache=keep)
    events = list(worker.stream(lambda e, c, emit: e.generate(request, c, emit), CancelToken()))
    finished = next(e for e in events if isinstance(e, Finished))
    text = "".join(e.text for e in events if isinstance(e, Generated))
    assert finished.error is None, finished.error
    return text, finished.stats


def _encode(worker: EngineThread, text: str) -> list[int]:
    return worker.call(lambda e: list(e.loaded.tokenizer.encode(text, add_special_tokens=False)))


SCRIPT = "INT. RIVER - NIGHT. Edward wades in; the giant follows him to the water. " * 12


def _answer_ids(worker: EngineThread) -> list[int]:
    """The tokens of the last kept checkpoint past its prompt (what the model wrote)."""
    return worker.call(lambda e: list(e.checkpoints._items[-1].tokens))


def test_a_follow_up_reads_only_its_new_tokens_and_answers_as_a_fresh_prompt(worker) -> None:
    first = _encode(worker, SCRIPT + " Who follows Edward?")
    _text1, stats1 = _generate(worker, first)
    assert stats1.cached_tokens == 0
    held = _answer_ids(worker)
    assert held[: len(first)] == first and len(held) > len(first)
    question = _encode(worker, " And where are they?")
    second = held + question
    text2, stats2 = _generate(worker, second)
    # Only the new question's tokens are read (its last token starts decoding).
    assert stats2.cached_tokens == len(held)
    assert stats2.prefilled_tokens == len(question)
    assert worker.call(lambda e: e.last_prefilled_tokens) == len(question) - 1
    # The same prompt read from scratch writes the same greedy answer.
    worker.call(lambda e: e.clear_prefix_cache())
    fresh_text, fresh_stats = _generate(worker, second, keep=False)
    assert fresh_stats.cached_tokens == 0
    assert fresh_text == text2


def test_regenerate_and_edit_fork_the_checkpoint_instead_of_reading_again(worker) -> None:
    first = _encode(worker, SCRIPT + " Who follows Edward?")
    text, _ = _generate(worker, first)
    again, stats = _generate(worker, first)  # regenerate: the same question
    assert again == text
    assert stats.cached_tokens == len(first) - 1
    edited = first[:-3] + _encode(worker, " leads?")  # edit: the end of the question changes
    _, stats = _generate(worker, edited)
    assert stats.cached_tokens == shared_length(first, edited)


def test_a_saved_prompt_cache_answers_identically_in_a_new_process(
    worker, tiny_model_dir: Path, tmp_path: Path
) -> None:
    script = _encode(worker, SCRIPT)
    question = _encode(worker, " Who follows Edward?")
    read = worker.call(lambda e: e.read_prompt(script, CancelToken(), lambda _e: None))
    assert read == len(script)
    assert worker.call(lambda e: e.read_prompt(script, CancelToken(), lambda _e: None)) == 0
    path = tmp_path / "script.safetensors"
    size = worker.call(lambda e: e.save_prompt_cache(script, path, {"model": "tiny"}))
    assert size == path.stat().st_size > 0 and oct(path.stat().st_mode & 0o777) == "0o600"
    worker.call(lambda e: e.clear_prefix_cache())
    expected, _ = _generate(worker, script + question, keep=False)

    child = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from logline.engine import CancelToken, Generated, Finished, SamplingParams
        from logline.engine.runtime import Engine, GenerationRequest
        engine = Engine(prefill_step=64)
        engine.load("tiny", Path({str(tiny_model_dir)!r}))
        tokens, meta = engine.load_prompt_cache(Path({str(path)!r}))
        events = []
        request = GenerationRequest(prompt_tokens=list(tokens) + {question!r},
                                    sampling=SamplingParams(max_tokens=12, temperature=0.0))
        engine.generate(request, CancelToken(), events.append)
        finished = next(e for e in events if isinstance(e, Finished))
        print(json.dumps({{"text": "".join(e.text for e in events if isinstance(e, Generated)),
                          "cached": finished.stats.cached_tokens,
                          "read": engine.last_prefilled_tokens, "meta": meta}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(APP)}
    out = subprocess.run(
        [sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["text"] == expected
    assert result["cached"] == len(script)
    assert result["read"] == len(question) - 1
    assert result["meta"] == {"model": "tiny"}


def test_a_prompt_cache_of_another_model_is_refused(worker, tmp_path: Path) -> None:
    script = _encode(worker, SCRIPT)
    worker.call(lambda e: e.read_prompt(script, CancelToken(), lambda _e: None))
    path = tmp_path / "other.safetensors"
    worker.call(lambda e: e.save_prompt_cache(script, path, {"model": "another-model"}))
    with pytest.raises(CheckpointFileError, match="another-model"):
        worker.call(lambda e: e.load_prompt_cache(path))
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a cache")
    with pytest.raises(CheckpointFileError, match=r"junk\.safetensors"):
        worker.call(lambda e: e.load_prompt_cache(junk))


def test_checkpoints_stay_within_their_count_and_byte_budget(worker) -> None:
    def fill(engine: Engine) -> tuple[int, int, int]:
        from mlx_lm.models.cache import make_prompt_cache

        model = engine.loaded.model
        kept = Checkpoints(budget_bytes=10**9, max_count=2)
        for i in range(4):
            tokens = [5 + i] * 40
            cache = make_prompt_cache(model)
            engine._run_prompt(engine.loaded, tokens, 0, 40, cache, CancelToken(), lambda d: None)
            kept.add(tokens, cache)
        count = len(kept)
        one = kept.nbytes // 2
        small = Checkpoints(budget_bytes=one + 1)
        for item in list(kept._items):
            small.add(item.tokens, item.cache)
        return count, len(small), kept.covering([8] * 40) is not None

    count, within_bytes, newest_kept = worker.call(fill)
    assert count == 2 and within_bytes == 1 and newest_kept
