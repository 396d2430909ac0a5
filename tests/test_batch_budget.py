"""Batches sized by a memory budget (issue 19, item 1): budgets simulated, peaks measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from logline.engine import CancelToken, SamplingParams
from logline.engine import batch_budget as budgets
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.worker import EngineThread

BODIES = [f"INT. ROOM {n} - NIGHT. Somebody reads scene {n} aloud, slowly." for n in range(6)]


@pytest.fixture(scope="module")
def worker(tiny_model_dir: Path):
    thread = EngineThread(Engine())
    thread.call(lambda engine: engine.load("tiny", tiny_model_dir))
    yield thread
    thread.close()


@pytest.fixture(autouse=True)
def no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(budgets.ENV, raising=False)
    monkeypatch.delenv(budgets.ROWS_ENV, raising=False)


def _budget(engine: Engine, tokens: int, sequences: int) -> budgets.BatchBudget:
    return engine.batch_budget(tokens, sequences)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", 3 * 2**29), ("123", 123)],
)
def test_a_simulated_budget_reads_sizes(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: int
) -> None:
    monkeypatch.setenv(budgets.ENV, text)
    assert budgets.simulated_device_bytes() == expected


def test_a_malformed_budget_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budgets.ENV, "lots")
    assert budgets.simulated_device_bytes() is None


def test_the_batch_follows_the_budget(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    roomy = worker.call(lambda e: _budget(e, 2048, 40))
    assert roomy.size == budgets.MAX_ROWS["cpu"]  # a CPU gains nothing beyond its ceiling
    assert worker.call(lambda e: _budget(e, 2048, 3)).size == 3  # never more than there are
    each, in_use = roomy.per_sequence_bytes, roomy.in_use_bytes
    # A machine with room for three such sequences beside the weights and the margin.
    device = in_use + budgets.MIN_MARGIN + 3 * each + each // 2
    monkeypatch.setenv(budgets.ENV, str(device))
    tight = worker.call(lambda e: _budget(e, 2048, 40))
    assert (tight.device_bytes, tight.size) == (device, 3)
    assert tight.budget_bytes >= 3 * each
    longer = worker.call(lambda e: _budget(e, 4096, 40))
    assert longer.size < tight.size  # longer sequences, fewer at once
    monkeypatch.setenv(budgets.ENV, str(in_use))  # nothing left: one at a time, still runs
    assert worker.call(lambda e: _budget(e, 2048, 40)).size == 1
    assert "sequences at once" in tight.describe()


def test_the_ceiling_can_be_raised_to_measure_wider_batches(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(budgets.ROWS_ENV, "24")
    assert budgets.max_rows("cpu") == budgets.max_rows("cuda") == 24
    assert worker.call(lambda e: _budget(e, 2048, 40)).size == 24
    monkeypatch.setenv(budgets.ROWS_ENV, "many")
    assert budgets.max_rows("cuda") == budgets.MAX_ROWS["cuda"]


def test_each_gpu_kind_has_its_measured_ceiling() -> None:
    """CUDA's ceiling was measured on the H200 (58 Big Fish notes in one batch beat 16 at a
    time); Metal keeps the narrower one until an Apple GPU measures otherwise."""

    class Metal:
        @staticmethod
        def is_available() -> bool:
            return True

    class WithMetal:
        metal = Metal()

    class WithoutMetal:
        metal = None

    assert budgets.ceiling_kind(WithoutMetal(), "cpu") == "cpu"
    assert budgets.ceiling_kind(WithMetal(), "cpu") == "cpu"
    assert budgets.ceiling_kind(WithMetal(), "gpu") == "metal"
    assert budgets.ceiling_kind(WithoutMetal(), "gpu") == "cuda"
    assert budgets.max_rows("cuda") >= 58 > budgets.max_rows("metal") >= budgets.max_rows("cpu")


def test_a_batch_sized_by_a_small_budget_stays_under_it(
    worker: EngineThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [
        GenerationRequest(
            messages=[{"role": "user", "content": body}], sampling=SamplingParams(max_tokens=16)
        )
        for body in BODIES
    ]

    def sized(engine: Engine) -> budgets.BatchBudget:
        tokens = max(engine.prompt_length(r.messages) for r in requests) + 16
        return _budget(engine, tokens, len(requests))

    roomy = worker.call(sized)
    device = roomy.in_use_bytes + budgets.MIN_MARGIN + 2 * roomy.per_sequence_bytes
    monkeypatch.setenv(budgets.ENV, str(device))

    def run(engine: Engine):
        engine.clear_prefix_cache()
        results = engine.generate_batch(requests, CancelToken(), lambda _e: None)
        return list(results), results.stats, engine.last_batch_budget

    items, stats, used = worker.call(run)
    assert len(items) == len(BODIES) and all(i.reason in ("done", "length") for i in items)
    assert used is not None and used.size == 2
    assert stats is not None and 0 < stats.peak_memory_bytes <= device
