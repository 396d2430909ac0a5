"""Issue 17, break 2 and the flag parts of break 7: every generation knob is bounded at the CLI,
in the settings file and in the core API; a bad value is one sentence (exit 2 for a flag), an
excessive length is clamped to what the model's context and memory allow, with a notice."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

import offline_cli
from logline.config import from_dict
from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.engine.events import Notice
from logline.engine.runtime import Engine
from logline.engine.sampling import SamplingParams
from logline.resources_access import resource
from logline.summarize import modes
from logline.summarize.runner import SummaryOptions, summarize
from tiny_models import write_tiny_llama_gguf

SCRIPT = """Title: Lighthouse

EXT. LIGHTHOUSE - NIGHT

Rain lashes the glass. MARA climbs the stairs with a lantern.

MARA
Somebody has to keep the light on.
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "lighthouse.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def _summarize(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return offline_cli.run(home, "summarize", *args, timeout=300)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--seed", "-1"),
        ("--context", "10"),
        ("--temperature", "nan"),
        ("--temperature", "inf"),
        ("--temperature", "-0.5"),
        ("--batch", "0"),
        ("--max-tokens", "0"),
        ("--max-tokens", "many"),
    ],
)
def test_a_bad_flag_is_one_sentence_and_exit_2(
    home: Path, script: Path, flag: str, value: str
) -> None:
    result = _summarize(home, str(script), "--model", "tiny", f"{flag}={value}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and flag in errors[0] and value in errors[0], result.stderr
    assert "Loaded the model" not in result.stderr  # refused before any work


@pytest.mark.parametrize("max_tokens", ["100000", "1000000000"])
def test_a_huge_max_tokens_is_clamped_with_a_notice(
    home: Path, script: Path, tmp_path: Path, max_tokens: str
) -> None:
    out = tmp_path / "out"
    result = _summarize(
        home, str(script), "--model", "tiny", "--max-tokens", max_tokens, "--out", str(out)
    )
    assert result.returncode == 0, result.stderr  # no segfault (139 / -11)
    assert "Note: The answer is limited to" in result.stderr, result.stderr
    (sidecar,) = out.glob("*.json")
    details = json.loads(sidecar.read_text())
    assert details["plan"]["strategy"] == "single"  # the document still fits one pass
    assert details["peak_memory_bytes"] < 200 * 2**20  # no reservation of gigabytes


def test_invalid_generation_settings_are_ignored_not_fatal(home: Path, script: Path) -> None:
    """The settings file's generation defaults: NaN, infinity and huge values are dropped."""
    settings = {"generation": {"synopsis": {"temperature": math.nan, "max_tokens": 10**9}}}
    assert from_dict(settings).generation == {}
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "settings.json"
    path.write_text('{"generation": {"synopsis": {"temperature": NaN}}}', encoding="utf-8")
    try:
        result = _summarize(home, str(script), "--model", "tiny", "--max-tokens", "8")
    finally:
        path.unlink()
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": math.nan},
        {"temperature": math.inf},
        {"top_p": math.nan},
        {"min_p": math.inf},
        {"repetition_penalty": math.nan},
        {"seed": -1},
        {"seed": 2**64},
        {"max_tokens": 10**9},
        {"top_k": -1},
    ],
)
def test_sampling_params_refuse_values_that_cannot_work(changes: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(changes))):
        SamplingParams(**changes)


@pytest.mark.parametrize(
    "changes",
    [{"max_context": 10}, {"max_context": 0}, {"max_batch": 0}, {"chunk_tokens": 0}],
)
def test_summary_options_refuse_values_that_cannot_work(changes: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(changes))):
        SummaryOptions(**changes)


def test_the_core_api_clamps_the_answer_to_the_context(tiny_model_dir: Path) -> None:
    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    sampling = replace(modes.get_mode("synopsis").sampling, max_tokens=100_000)
    options = SummaryOptions(mode="synopsis", sampling=sampling, max_context=2048)
    events: list[object] = []
    document = load(Path(str(resource("sample.fountain"))))
    result = summarize(engine, document, CancelToken(), events.append, options)
    assert result.error is None, result.error
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("the answer is limited to 1,024 tokens" in n.lower() for n in notices), notices
    generated = sum(p.generated_tokens for p in result.phases if p.phase in ("single", "reduce"))
    assert generated <= 1024


def _ask(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return offline_cli.run(home, "ask", *args, timeout=300)


def test_ask_refuses_a_bad_max_tokens_in_one_sentence(home: Path, script: Path) -> None:
    result = _ask(home, str(script), "Who climbs?", "--model", "tiny", "--max-tokens", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--max-tokens" in result.stderr and "at least 1" in result.stderr


def test_ask_with_a_huge_max_tokens_is_limited_with_a_notice(home: Path, script: Path) -> None:
    """It used to fail blaming the model's context ("too few for the script's facts")."""
    result = _ask(home, str(script), "Who climbs?", "--model", "tiny", "--max-tokens", "1000000000")
    assert result.returncode in (0, 3), result.stderr  # 3: the tiny model's answer ended early
    assert "Traceback" not in result.stderr
    assert "Answers are limited to" in result.stderr + result.stdout


def test_the_engine_never_reserves_past_the_models_context(tiny_model_dir: Path) -> None:
    """A caller that bypasses the summarizer's bounds (max_tokens 10^9) stops when cancelled,
    with memory for the model's context at most (it used to reserve for 10^9 tokens)."""
    from logline.engine.requests import GenerationRequest

    engine = Engine(prefill_step=64)
    engine.load("tiny", tiny_model_dir)
    cancel = CancelToken()
    seen: list[object] = []

    def emit(event: object) -> None:
        seen.append(event)
        if len(seen) > 40:
            cancel.cancel()

    sampling = SamplingParams(max_tokens=131_072, loop_guard=False)  # the most allowed
    finished = engine.generate(
        GenerationRequest(prompt_tokens=list(range(5, 40)), sampling=sampling), cancel, emit
    )
    assert finished.reason == "stopped"
    assert finished.stats is not None  # measured: 4.9 MB capped, 72 MB reserving 131,072
    assert finished.stats.peak_memory_bytes < 20 * 2**20
