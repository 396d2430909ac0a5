"""Chat over one script: Logline's cached turns against re-reading everything, in one run.

Usage::

    .venv/bin/python bench/bench_chat.py                 # printing-trouble.fountain, embedded model
    .venv/bin/python bench/bench_chat.py --turns 10 --answer-tokens 96 --out results.json

Ten scripted questions about one ~3,000-token corpus script, asked in one conversation:

  Logline   ``ChatSession.ask``: the script part is read once (and saved to disk), each follow-up
            starts from the previous turn's checkpoint and reads only its own tokens.
  baseline  the seed's approach, turn by turn beside it: the same prompt (script, history,
            question) read from scratch by a second engine with no cache at all.

Reported: time to first token per turn for both (turns 1, 2, 5 and 10 in the summary), the
ratios the issue asks for (turn 10 / turn 2 with reuse; reuse / baseline per follow-up; the
baseline's growth from turn 2 to 10), and reopening: the first question's time to first token
in a fresh engine with the saved prompt cache against a cold one. Peak memory per path.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

import logline  # noqa: E402

logline.__path__.append(str(ROOT))
SCRIPT = ROOT.parent / "shared" / "corpus" / "scripts" / "fountain" / "printing-trouble.fountain"

QUESTIONS = (
    "What is the story about, in two sentences?",
    "Who is the main character, and what does she want?",
    "What goes wrong with the printer?",
    "How does the main character react to the problem?",
    "Which other characters help or get in the way?",
    "What is the funniest moment, and why?",
    "Where does most of the story take place?",
    "What changes for the main character by the end?",
    "How does the story end?",
    "What would you cut to make it shorter?",
)

log = logging.getLogger("bench_chat")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=SCRIPT)
    parser.add_argument("--model-path", type=Path, help="an MLX model folder (default: embedded)")
    parser.add_argument("--turns", type=int, default=len(QUESTIONS))
    parser.add_argument("--answer-tokens", type=int, default=96)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    return parser.parse_args(argv)


class FirstToken:
    """An emit callback that notes when the first answer text arrives."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: float | None = None
        self.script_read = False

    def __call__(self, event: object) -> None:
        from logline.chat.events import AnswerText, Reading

        if isinstance(event, AnswerText) and self.first is None and event.text:
            self.first = time.perf_counter() - self.started
        if isinstance(event, Reading) and event.script:
            self.script_read = True


def baseline_turn(engine: Any, tokens: list[int]) -> dict[str, Any]:
    """The same prompt, read from scratch (no cache of any kind), to its first token."""
    from logline.engine import CancelToken, SamplingParams
    from logline.engine.requests import GenerationRequest

    engine.clear_prefix_cache()
    request = GenerationRequest(prompt_tokens=tokens, sampling=SamplingParams(max_tokens=1))
    finished = engine.generate(request, CancelToken(), lambda _e: None)
    stats = finished.stats
    return {
        "ttft_s": stats.time_to_first_token,
        "prompt_tokens": stats.prompt_tokens,
        "peak_memory_bytes": stats.peak_memory_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    home = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    os.environ["LOGLINE_HOME"] = str(home)
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    from logline.chat.session import ChatOptions, ChatSession
    from logline.documents import load
    from logline.engine import CancelToken
    from logline.engine.runtime import Engine
    from logline.models.registry import InstalledModel, resolve_model
    from logline.store import Store

    model: InstalledModel = resolve_model(None)
    if args.model_path:
        model = InstalledModel(model.manifest, args.model_path, False)
    document = load(args.file)
    store = Store.open()
    options = ChatOptions(answer_tokens=args.answer_tokens, facts_answers=False)
    reuse = Engine()
    baseline = Engine()
    baseline.load(model.model_id, model.path)
    print(f"Script: {args.file.name}; model: {model.model_id}; device {mx.default_device()}")

    # Cold: the first question of a new document (the script is read, then saved to disk).
    session = ChatSession.open(store, document, options=options, model_id=model.model_id)
    turns: list[dict[str, Any]] = []
    for number, question in enumerate(QUESTIONS[: args.turns], start=1):
        watch = FirstToken()
        result = session.ask(reuse, model, question, CancelToken(), watch)
        prompt = session.last_prompt_tokens
        base = baseline_turn(baseline, prompt)
        turn = {
            "turn": number,
            "ttft_s": watch.first,
            "engine_ttft_s": result.stats.ttft_s if result.stats else None,
            "prompt_tokens": result.stats.prompt_tokens if result.stats else 0,
            "cached_tokens": result.stats.cached_tokens if result.stats else 0,
            "answer_tokens": result.stats.generation_tokens if result.stats else 0,
            "peak_memory_bytes": result.stats.peak_memory_bytes if result.stats else 0,
            "script_read": watch.script_read,
            "baseline_ttft_s": base["ttft_s"],
            "baseline_prompt_tokens": base["prompt_tokens"],
            "baseline_peak_memory_bytes": base["peak_memory_bytes"],
        }
        turns.append(turn)
        print(
            f"turn {number:2}: reuse {turn['ttft_s']:.2f} s ({turn['prompt_tokens']:,} prompt, "
            f"{turn['cached_tokens']:,} cached) | baseline {base['ttft_s']:.2f} s"
        )

    # Reopen: a fresh engine (as after a restart, or another document in between) with the
    # saved prompt cache, against a cold one. The model is loaded before the clock starts in
    # both (loading it is the same work either way; its time is reported on its own).
    def first_question() -> tuple[float, bool, float]:
        engine = Engine()
        started = time.perf_counter()
        engine.load(model.model_id, model.path)
        load_s = time.perf_counter() - started
        again = ChatSession.open(store, document, options=options, model_id=model.model_id)
        watch = FirstToken()
        again.ask(engine, model, QUESTIONS[0], CancelToken(), watch)
        return watch.first or 0.0, watch.script_read, load_s

    reopened, read_again, load_s = first_question()
    for path in (home / "cache" / "prompt-caches").glob("*.safetensors"):
        path.unlink()  # the cold run: no saved cache
    cold, cold_read, _ = first_question()
    store.close()

    by_turn = {t["turn"]: t for t in turns}
    summary: dict[str, Any] = {
        "script": args.file.name,
        "model": model.model_id,
        "device": str(mx.default_device()),
        "turns": turns,
        "reopen_ttft_s": reopened,
        "reopen_read_script": read_again,
        "cold_ttft_s": cold,
        "cold_read_script": cold_read,
        "reopen_over_cold": reopened / cold if cold else None,
        "model_load_s": load_s,
    }
    if len(turns) >= 10:
        t2, t10 = by_turn[2], by_turn[10]
        summary["reuse_turn10_over_turn2"] = t10["ttft_s"] / t2["ttft_s"]
        summary["baseline_turn10_over_turn2"] = t10["baseline_ttft_s"] / t2["baseline_ttft_s"]
        summary["reuse_over_baseline"] = {
            t["turn"]: t["ttft_s"] / t["baseline_ttft_s"] for t in turns if t["turn"] >= 2
        }
        summary["max_follow_up_over_baseline"] = max(summary["reuse_over_baseline"].values())
    summary["peak_memory_bytes"] = max(t["peak_memory_bytes"] for t in turns)
    summary["baseline_peak_memory_bytes"] = max(t["baseline_peak_memory_bytes"] for t in turns)
    print()
    print("turn   reuse TTFT   baseline TTFT   ratio")
    for number in (1, 2, 5, 10):
        if number in by_turn:
            t = by_turn[number]
            ratio = t["ttft_s"] / t["baseline_ttft_s"]
            reuse, base = t["ttft_s"], t["baseline_ttft_s"]
            print(f"{number:4}   {reuse:9.2f} s   {base:12.2f} s   {ratio:5.3f}")
    for key in (
        "reuse_turn10_over_turn2",
        "baseline_turn10_over_turn2",
        "max_follow_up_over_baseline",
        "reopen_over_cold",
    ):
        if key in summary:
            print(f"{key}: {summary[key]:.3f}")
    print(f"reopen {reopened:.2f} s against cold {cold:.2f} s (model load {load_s:.1f} s apart)")
    print(
        f"peak memory: reuse {summary['peak_memory_bytes'] / 2**20:,.0f} MiB, baseline "
        f"{summary['baseline_peak_memory_bytes'] / 2**20:,.0f} MiB"
    )
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
