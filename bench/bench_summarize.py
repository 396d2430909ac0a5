"""Whole-script summaries: Logline's planner against a naive sequential map-reduce, in one run.

Usage::

    .venv/bin/python bench/bench_summarize.py          # big-fish.fountain, the embedded model
    .venv/bin/python bench/bench_summarize.py --scenes 40 --map-tokens 96   # a shorter run
    .venv/bin/python bench/bench_summarize.py --model-path DIR --out results.json

Both paths get the same document, model object, chunks and prompts, in the same process:

  Logline   ``summarize()``: the map phase batched (``Engine.generate_batch``: the shared prompt
            prefix computed once through a prompt cache, chunks decoded together), merges batched,
            the final reduce streamed.
  naive     every map prompt, then every merge prompt, then the reduce prompt, one after another
            through raw ``mlx_lm.stream_generate`` (its own full prefill of every prompt).

Then Logline's streaming decode against raw ``mlx_lm.stream_generate`` on the same prompt
(alternating, medians), and peak memory for every run against weights + KV cache.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "bench"))

import logline  # noqa: E402

# ``logline.resources`` is the repository's top-level resources/ (pyproject maps it so when the
# package is installed); from a bare checkout, let the package find it there too.
logline.__path__.append(str(ROOT))
BIG_FISH = ROOT.parent / "shared" / "corpus" / "scripts" / "fountain" / "big-fish.fountain"

log = logging.getLogger("bench_summarize")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=BIG_FISH, help="the script (Fountain)")
    parser.add_argument("--model-path", type=Path, help="an MLX model folder (default: embedded)")
    parser.add_argument("--mode", default="synopsis")
    parser.add_argument("--scenes", type=int, help="only the first N scenes of the script")
    parser.add_argument("--context", type=int, help="cap the usable context (tokens)")
    parser.add_argument("--chunk-tokens", type=int, help="map chunk size target (tokens)")
    parser.add_argument("--map-tokens", type=int, help="notes per chunk, at most (tokens)")
    parser.add_argument("--answer-tokens", type=int, help="final answer, at most (tokens)")
    parser.add_argument("--batch", type=int, help="most chunks decoded together")
    parser.add_argument("--prefill-step", type=int, help="prompt chunk (tokens; engine default)")
    parser.add_argument("--decode-runs", type=int, default=5)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument(
        "--logline-runs", type=int, default=1, help="Logline's summary this many times (warm)"
    )
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    return parser.parse_args(argv)


def first_scenes(path: Path, count: int) -> Path:
    """A copy of the Fountain script cut before its scene ``count + 1`` (for shorter runs)."""
    from logline.documents import load

    document = load(path)
    text = path.read_text(encoding="utf-8")
    if count >= len(document.scenes):
        return path
    heading = document.scenes[count].heading
    position = 0
    for scene in document.scenes[:count]:
        position = text.find(scene.heading, position) + len(scene.heading)
    cut = text.find(heading, position)
    target = Path(tempfile.mkdtemp()) / f"{path.stem}-first-{count}{path.suffix}"
    target.write_text(text[: cut if cut > 0 else len(text)], encoding="utf-8")
    return target


def kv_bytes_per_token(config: dict[str, Any], dtype_bytes: int) -> int:
    from logline.models.fit import kv_shape

    shape = kv_shape(config)
    return shape.num_hidden_layers * shape.num_key_value_heads * shape.head_dim * 2 * dtype_bytes


def memory_figures(
    run: dict[str, Any],
    weights: int,
    per_token: int,
    usable_context: int,
    largest_map_sequence: int,
) -> dict[str, Any]:
    """Each phase's peak against weights + KV cache.

    The planner's chunk budget is the usable context less the map prompt's frame and answer
    (``plan_summary``), so one chunk's KV cache is at most one usable context's: the bound
    issue 15 set (1.2x) when every batch held one context window. Since issue 19 a batch holds
    what the memory budget allows, so the batched phases exceed it by design and are held to
    their budget instead (``budget_figures``); the sequential ones (reduce) still meet it. The
    map phase is also shown against the largest map sequence alone (prompt + notes).
    """
    context_kv = per_token * usable_context
    map_kv = per_token * largest_map_sequence
    phases: dict[str, int] = {}
    for phase in run["phases"]:
        phases[phase["phase"]] = max(phases.get(phase["phase"], 0), phase["peak_memory_bytes"])
    peak = run["peak_memory_bytes"]
    return {
        "weights_bytes": weights,
        "one_context_kv_bytes": context_kv,
        "one_map_sequence_kv_bytes": map_kv,
        "phase_peak_bytes": phases,
        "peak_phase": max(phases, key=phases.__getitem__) if phases else "",
        "peak_over_weights_plus_one_context_kv": peak / (weights + context_kv),
        "map_peak_over_weights_plus_one_map_sequence_kv": (
            phases.get("map", 0) / (weights + map_kv)
        ),
    }


def print_memory(memory: dict[str, Any]) -> None:
    mib = 2**20
    weights, context_kv = memory["weights_bytes"], memory["one_context_kv_bytes"]
    print(
        f"\nPeak memory by phase (weights {weights / mib:,.0f} MiB; KV cache of one usable "
        f"context {context_kv / mib:,.0f} MiB, of the largest map sequence "
        f"{memory['one_map_sequence_kv_bytes'] / mib:,.0f} MiB):"
    )
    print("| phase | peak MiB | / (weights + one context's KV) |")
    print("|---|---:|---:|")
    for phase, peak in memory["phase_peak_bytes"].items():
        print(f"| {phase} | {peak / mib:,.0f} | {peak / (weights + context_kv):.2f} |")
    print(
        f"Run peak / (weights + one chunk's KV cache, chunk = the planner's budget, one usable "
        f"context): {memory['peak_over_weights_plus_one_context_kv']:.2f} (batches are held "
        f"to their budget above; one sequence to <= 1.2); "
        f"map phase / (weights + the largest map sequence's KV): "
        f"{memory['map_peak_over_weights_plus_one_map_sequence_kv']:.2f}"
    )


def run_logline(engine: Any, document: Any, options: Any) -> dict[str, Any]:
    import mlx.core as mx

    from logline.engine.cancel import CancelToken
    from logline.summarize.runner import summarize

    mx.reset_peak_memory()
    started = time.perf_counter()
    result = summarize(engine, document, CancelToken(), lambda event: None, options)
    seconds = time.perf_counter() - started
    if result.error is not None:
        raise RuntimeError(f"Logline's summary failed: {result.error}") from result.error
    return {
        "seconds": seconds,
        "reason": result.reason,
        "plan": result.plan.describe() if result.plan else "",
        "chunks": len(result.plan.chunks) if result.plan else 0,
        "phases": [p.to_json() for p in result.phases],
        "generated_tokens": sum(p.generated_tokens for p in result.phases),
        # The engine resets MLX's peak counter for every request: the run's peak is the largest
        # phase peak.
        "peak_memory_bytes": max(
            [int(mx.get_peak_memory())] + [p.peak_memory_bytes for p in result.phases]
        ),
        "answer_chars": len(result.raw_text),
        "result": result,
    }


def print_phases(phases: list[dict[str, Any]]) -> None:
    """One line a phase, as soon as a run ends (a cut device call still shows where time went)."""
    for p in phases:
        print(
            f"  {p['phase']}: {p['items']} item(s), {p['seconds']:.1f} s, batch {p['batch_size']}, "
            f"{p['prompt_tokens']:,} prompt + {p['generated_tokens']:,} generated tokens "
            f"({p['generated_tps']:,.0f} tok/s), peak {p['peak_memory_bytes'] / 2**20:,.0f} MiB"
        )


def budget_figures(run: dict[str, Any], weights: int) -> list[dict[str, Any]]:
    """Each batched phase's peak against what its memory budget allowed: the memory in use
    when the model was loaded (``weights``) plus the budget that sized the batch."""
    rows = []
    for phase in run["phases"]:
        if phase["budget_bytes"]:
            limit = weights + phase["budget_bytes"]
            rows.append(
                {
                    "phase": phase["phase"],
                    "batch_size": phase["batch_size"],
                    "peak_bytes": phase["peak_memory_bytes"],
                    "limit_bytes": limit,
                    "within": phase["peak_memory_bytes"] <= limit,
                }
            )
    return rows


def run_naive(engine: Any, document: Any, options: Any, plan: Any) -> dict[str, Any]:
    """The same chunks and prompts, one prompt after another through raw mlx-lm."""
    import mlx.core as mx
    from mlx_lm import stream_generate

    from logline.engine.sampling import build_sampler
    from logline.summarize import modes, runner
    from logline.summarize.planner import plan_reduce
    from logline.summarize.runner import NOTES_SEPARATOR, TEMPLATE_MARGIN

    loaded = engine.loaded
    model, tokenizer = loaded.model, loaded.tokenizer
    mode = modes.get_mode(options.mode)
    title = document.title or document.path.stem
    kind = "screenplay" if document.is_screenplay else "document"
    answer = options.sampling or mode.sampling
    notes_sampling = options.map_sampling or runner.notes_sampling(mode, options)
    generated = 0

    def generate(messages: list[dict[str, str]], sampling: Any) -> str:
        nonlocal generated
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        prompt = tokenizer.encode(text, add_special_tokens=False)
        sampler, processors = build_sampler(sampling)
        parts = []
        for response in stream_generate(
            model,
            tokenizer,
            mx.array(prompt),
            max_tokens=sampling.max_tokens,
            sampler=sampler,
            logits_processors=processors or None,
        ):
            parts.append(response.text)
            generated = generated + 1
        return "".join(parts)

    def frame(role: str) -> int:
        builder = getattr(modes, f"{role}_messages")
        key = "notes"
        messages = builder(mode, title=title, kind=kind, **{key: ""})
        return len(engine.render_prompt(messages)) + TEMPLATE_MARGIN

    mx.reset_peak_memory()
    started = time.perf_counter()
    notes = [
        generate(modes.map_messages(mode, title=title, kind=kind, chunk=c.text), notes_sampling)
        for c in plan.chunks
    ]
    context = plan.usable_context
    reduce_budget = context - frame("reduce") - answer.max_tokens
    merge_budget = context - frame("merge") - notes_sampling.max_tokens
    while True:
        sizes = [engine.count_tokens(n) + 2 for n in notes]
        if sum(sizes) <= reduce_budget or len(notes) == 1:
            break
        groups = plan_reduce(sizes, budget=merge_budget)
        notes = [
            generate(
                modes.merge_messages(
                    mode,
                    title=title,
                    kind=kind,
                    notes=NOTES_SEPARATOR.join(notes[i].strip() for i in g),
                ),
                notes_sampling,
            )
            for g in groups
        ]
    joined = NOTES_SEPARATOR.join(n.strip() for n in notes if n.strip())
    generate(modes.reduce_messages(mode, title=title, kind=kind, notes=joined), answer)
    return {
        "seconds": time.perf_counter() - started,
        "generated_tokens": generated,
        "peak_memory_bytes": int(mx.get_peak_memory()),
    }


def warm_up(engine: Any) -> float:
    """Run both paths once on a short prompt, untimed, so neither pays one-time costs in the
    comparison: lazy imports (transformers may import PyTorch), kernel compilation on GPUs."""
    import mlx.core as mx
    from mlx_lm import stream_generate

    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import GenerationRequest
    from logline.engine.sampling import SamplingParams

    started = time.perf_counter()
    messages = [{"role": "user", "content": "Summarize: a man walks into a diner. " * 4}]
    prompt = engine.render_prompt(messages)
    request = GenerationRequest(prompt_tokens=prompt, sampling=SamplingParams(max_tokens=8))
    engine.generate_batch([request, request], CancelToken(), lambda event: None)
    engine.generate(request, CancelToken(), lambda event: None)
    loaded = engine.loaded
    for _ in stream_generate(loaded.model, loaded.tokenizer, mx.array(prompt), max_tokens=8):
        pass
    engine.clear_prefix_cache()
    return time.perf_counter() - started


def decode_ratio(
    engine: Any, prompt_messages: list[dict[str, str]], runs: int, tokens: int
) -> dict:
    """Logline's streaming decode against raw ``stream_generate`` on the same prompt, both timed
    from outside the same way as ``bench_engine.py`` does (first token, then the rest)."""
    import mlx.core as mx
    from mlx_lm import stream_generate

    from bench_engine import Timing, time_stream
    from logline.engine.cancel import CancelToken
    from logline.engine.events import Generated
    from logline.engine.runtime import GenerationRequest
    from logline.engine.sampling import SamplingParams

    loaded = engine.loaded
    prompt = engine.render_prompt(prompt_messages)
    sampling = SamplingParams(temperature=0.0, max_tokens=tokens)

    def ours() -> Timing:
        marks: list[float] = []

        def emit(event: object) -> None:
            if isinstance(event, Generated) and event.text and not marks:
                marks.append(time.perf_counter())

        engine.clear_prefix_cache()  # the whole prompt every run, as raw mlx-lm
        started = time.perf_counter()
        finished = engine.generate(
            GenerationRequest(prompt_tokens=prompt, sampling=sampling), CancelToken(), emit
        )
        ended = time.perf_counter()
        count = finished.stats.generation_tokens
        return Timing(len(prompt), marks[0] - started, count - 1, ended - marks[0])

    def raw() -> Timing:
        stream = stream_generate(
            loaded.model, loaded.tokenizer, mx.array(prompt), max_tokens=tokens
        )
        return time_stream(len(prompt), stream)

    timings: dict[str, list[Timing]] = {"logline": [], "raw": []}
    for run in range(runs):  # interleaved, alternating which goes first
        for name in ("logline", "raw") if run % 2 == 0 else ("raw", "logline"):
            timings[name].append(ours() if name == "logline" else raw())
    ratios = [
        o.decode_tps / r.decode_tps for o, r in zip(timings["logline"], timings["raw"], strict=True)
    ]
    return {
        "prompt_tokens": len(prompt),
        "logline_decode_tps": statistics.median(t.decode_tps for t in timings["logline"]),
        "raw_decode_tps": statistics.median(t.decode_tps for t in timings["raw"]),
        "logline_prompt_tps": statistics.median(t.prompt_tps for t in timings["logline"]),
        "raw_prompt_tps": statistics.median(t.prompt_tps for t in timings["raw"]),
        "ratio": statistics.median(ratios),
    }


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    if not args.file.is_file():
        print(f"The script {args.file} is not here (../shared/corpus is needed).")
        return 2
    from logline.engine.mlx_runtime import blas_library, import_mlx

    mx = import_mlx()  # first: it picks OpenBLAS on Linux before MLX loads
    from logline.documents import load
    from logline.engine.runtime import Engine
    from logline.models.registry import resolve_model
    from logline.summarize import modes, runner
    from logline.summarize.runner import SummaryOptions

    source = first_scenes(args.file, args.scenes) if args.scenes else args.file
    document = load(source)
    engine = Engine(prefill_step=args.prefill_step)
    path = args.model_path or resolve_model(None).path
    engine.load(path.name, path)
    weights = int(mx.get_active_memory())
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    mode = modes.get_mode(args.mode)
    options = SummaryOptions(mode=mode.id, max_context=args.context)
    if args.chunk_tokens:
        options = replace(options, chunk_tokens=args.chunk_tokens)
    if args.batch:
        options = replace(options, max_batch=args.batch)
    if args.map_tokens:
        options = replace(
            options, map_sampling=replace(mode.map_sampling, max_tokens=args.map_tokens)
        )
    if args.answer_tokens:
        options = replace(options, sampling=replace(mode.sampling, max_tokens=args.answer_tokens))

    print(f"Document: {source.name}, {len(document.scenes)} scenes; model: {path}")
    print(
        f"Device: {mx.default_device()}; BLAS: {blas_library() or 'bundled'}; weights in memory: "
        f"{weights / 2**20:,.0f} MiB ({engine.loaded.precision})"
    )
    print(f"Warm-up (both paths, untimed): {warm_up(engine):.1f} s")
    logline_runs = []
    for _ in range(max(args.logline_runs, 1)):
        logline_run = run_logline(engine, document, options)
        plan = logline_run.pop("result").plan
        seconds, tokens = logline_run["seconds"], logline_run["generated_tokens"]
        print(f"Logline: {seconds:.1f} s, {tokens:,} tokens")
        print_phases(logline_run["phases"])
        logline_runs.append(logline_run)
    print(f"Plan: {logline_run['plan']}")
    naive_run = None if args.skip_naive else run_naive(engine, document, options, plan)
    if naive_run:
        print(f"naive: {naive_run['seconds']:.1f} s, {naive_run['generated_tokens']:,} tokens")
    first_map = modes.map_messages(
        mode,
        title=document.title or document.path.stem,
        kind="screenplay" if document.is_screenplay else "document",
        chunk=plan.chunks[0].text,
    )
    decode = decode_ratio(engine, first_map, args.decode_runs, args.decode_tokens)

    dtype_bytes = 4 if "float32" in (engine.loaded.precision or "") else 2
    per_token = kv_bytes_per_token(config, dtype_bytes)
    map_frame = len(engine.render_prompt(modes.map_messages(
        mode, title="", kind="screenplay", chunk=""
    )))  # fmt: skip
    map_answer = (options.map_sampling or runner.notes_sampling(mode, options)).max_tokens
    largest_map_sequence = max(c.tokens for c in plan.chunks) + map_frame + map_answer
    memory = memory_figures(
        logline_run, weights, per_token, plan.usable_context, largest_map_sequence
    )
    figures = {
        "document": source.name,
        "scenes": len(document.scenes),
        "model": str(path),
        "precision": engine.loaded.precision,
        "precision_reason": engine.loaded.precision_reason,
        "device": str(mx.default_device()),
        "weights_bytes": weights,
        "kv_bytes_per_token": per_token,
        "logline": logline_run,
        "logline_runs": [run["seconds"] for run in logline_runs],
        "budget": budget_figures(logline_run, weights),
        "naive": naive_run,
        "decode": decode,
        "memory": memory,
    }
    rows = [("Logline (batched map + prefix cache)", logline_run)]
    if naive_run:
        rows.append(("naive sequential map-reduce", naive_run))
    print()
    print("| path | time to summary (s) | generated tokens | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for name, run in rows:
        print(
            f"| {name} | {run['seconds']:.1f} | {run['generated_tokens']:,} | "
            f"{run['peak_memory_bytes'] / 2**20:,.0f} |"
        )
    if naive_run:
        speedup = naive_run["seconds"] / logline_run["seconds"]
        figures["speedup"] = speedup
        figures["speedups"] = [naive_run["seconds"] / run["seconds"] for run in logline_runs]
        each = ", ".join(f"{x:.2f}x" for x in figures["speedups"])
        print(f"\nLogline is {speedup:.2f}x faster than the naive map-reduce (runs: {each}).")
    for row in figures["budget"]:
        print(
            f"{row['phase']}: batch {row['batch_size']}, peak {row['peak_bytes'] / 2**20:,.0f} MiB "
            f"against weights + budget {row['limit_bytes'] / 2**20:,.0f} MiB "
            f"({'within' if row['within'] else 'OVER'})"
        )
    print(
        f"Streaming decode: Logline {decode['logline_decode_tps']:.1f} tok/s, raw mlx-lm "
        f"{decode['raw_decode_tps']:.1f} tok/s: {decode['ratio']:.3f}x (target >= 0.97x)."
    )
    print_memory(memory)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
