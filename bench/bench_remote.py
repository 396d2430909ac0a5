"""Whole-script summaries on an inference server at several concurrencies, and on Logline's own
engine, in one run.

Usage::

    .venv/bin/python bench/bench_remote.py                      # Big Fish, the embedded model
    .venv/bin/python bench/bench_remote.py --scenes 6           # a short check
    .venv/bin/python bench/bench_remote.py --model DIR --concurrency 1,8 --no-local
    .venv/bin/python bench/bench_remote.py --server-url http://127.0.0.1:8080 \\
        --server-model ID --concurrency 1,8 --no-local --out remote.json

Every run summarizes the same document with the same options through ``summarize()``:

  server, concurrency N   a ``RemoteEngine`` on an ``mlx_lm.server`` this script starts on
                          127.0.0.1 with ``--model`` (started afresh for every N, so no run
                          reads another's prompts from the server's prompt cache), or on the
                          server at ``--server-url`` (kept running: its cache may serve a later
                          run's repeated prompts; the figures say which server it was);
                          map and merge requests N at a time.
  local                   Logline's engine on the same weights (``--model``), batched as usual.

Reported for each: time to the summary, generated tokens per second overall and per phase
(map, merge, reduce), and the plan. Token counts on the server are the model's own when its
folder is here (``--model``), else estimates (marked).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
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

logline.__path__.append(str(ROOT))
BIG_FISH = ROOT.parent / "shared" / "corpus" / "scripts" / "fountain" / "big-fish.fountain"
STARTUP_TIMEOUT_S = 180.0

log = logging.getLogger("bench_remote")


def concurrencies(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("each concurrency must be at least 1")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=BIG_FISH, help="the script (Fountain)")
    parser.add_argument("--scenes", type=int, help="only the first N scenes of the script")
    parser.add_argument("--model", type=Path, help="an MLX model folder (default: embedded)")
    parser.add_argument("--server-url", help="use this running server instead of starting one")
    parser.add_argument(
        "--server-model", help="the model's name on the server (default: its only one)"
    )
    parser.add_argument("--concurrency", type=concurrencies, default=[1, 2, 4], help="e.g. 1,2,4")
    parser.add_argument("--no-local", action="store_true", help="skip Logline's local engine")
    parser.add_argument("--context", type=int, default=8192, help="context length (tokens)")
    parser.add_argument("--mode", default="synopsis")
    parser.add_argument("--map-tokens", type=int, help="notes per chunk, at most (tokens)")
    parser.add_argument("--answer-tokens", type=int, help="final answer, at most (tokens)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    return parser.parse_args(argv)


# -- the server ---------------------------------------------------------------------------------


class Server:
    """An ``mlx_lm.server`` this script started (stopped by ``stop``)."""

    def __init__(self, model: Path, log_dir: Path) -> None:
        import httpx

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cache = log_dir / "hub-cache"  # its own: mlx_lm.server's /v1/models lists the cache
        cache.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
        from logline.engine.mlx_runtime import find_openblas

        blas = find_openblas() if sys.platform.startswith("linux") else None
        if blas:  # the BLAS Logline's engine uses, not the mlx[cpu] wheel's reference one
            env["LD_PRELOAD"] = ":".join(filter(None, [blas, env.get("LD_PRELOAD", "")]))
        command = [sys.executable, "-m", "mlx_lm.server", "--model", str(model)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        self.log_path = log_dir / f"server-{port}.log"
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=env
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-600:]
                raise RuntimeError(f"mlx_lm.server exited ({self.process.returncode}): {tail}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"mlx_lm.server did not answer within {STARTUP_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def remote_engine(url: str, model: str, concurrency: int, context: int, tokenizer: Any) -> Any:
    from logline.engine.remote import RemoteEngine, probe

    return RemoteEngine(
        url,
        model,
        capabilities=probe(url),
        timeout_s=600.0,
        tokenizer=tokenizer,
        context_length=context,
        concurrency=concurrency,
        label=f"{Path(model).name} at {url}",
    )


def server_model_name(url: str, wanted: str | None) -> str:
    from logline.engine.remote import probe

    if wanted:
        return wanted
    models = probe(url).models
    if len(models) != 1:
        raise SystemExit(f"The server lists {len(models)} models; name one with --server-model.")
    return str(models[0])


# -- one summary ----------------------------------------------------------------------------------


def run_summary(engine: Any, document: Any, options: Any) -> dict[str, Any]:
    from logline.engine.cancel import CancelToken
    from logline.summarize.runner import summarize

    started = time.perf_counter()
    result = summarize(engine, document, CancelToken(), lambda event: None, options)
    seconds = time.perf_counter() - started
    if result.error is not None:
        raise RuntimeError(f"The summary failed: {result.error}") from result.error
    generated = sum(p.generated_tokens for p in result.phases)
    phases = []
    for phase in result.phases:
        figures = phase.to_json()
        figures["tok_s"] = phase.generated_tokens / phase.seconds if phase.seconds > 0 else 0.0
        phases.append(figures)
    stats = result.stats
    return {
        "seconds": seconds,
        "reason": result.reason,
        "plan": result.plan.describe() if result.plan else "",
        "chunks": len(result.plan.chunks) if result.plan else 0,
        "generated_tokens": generated,
        "tok_s": generated / seconds if seconds > 0 else 0.0,
        "counts": stats.counts_from if stats else "",
        "phases": phases,
        "answer_chars": len(result.raw_text),
    }


def options_for(args: argparse.Namespace) -> Any:
    from logline.summarize import modes
    from logline.summarize.runner import SummaryOptions, notes_sampling

    mode = modes.get_mode(args.mode)
    base = SummaryOptions(mode=mode.id)
    sampling, notes = mode.sampling, notes_sampling(mode, base)
    if args.answer_tokens:
        sampling = replace(sampling, max_tokens=args.answer_tokens)
    if args.map_tokens:
        notes = replace(notes, max_tokens=args.map_tokens)
    return replace(base, sampling=sampling, map_sampling=notes)


def print_run(label: str, run: dict[str, Any]) -> None:
    about = "~" if run["counts"] == "estimate" else ""
    phases = ", ".join(
        f"{p['phase']} {p['seconds']:.1f} s {about}{p['tok_s']:.1f} tok/s" for p in run["phases"]
    )
    print(
        f"| {label} | {run['seconds']:.1f} | {about}{run['generated_tokens']:,} | "
        f"{about}{run['tok_s']:.1f} | {phases} |",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A timeout's SIGTERM unwinds like Ctrl+C: the server this bench started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bench_summarize import first_scenes
    from logline.documents import load

    if not args.file.is_file():
        raise SystemExit(f"{args.file} is not there (the corpus is ../shared/corpus)")
    source = first_scenes(args.file, args.scenes) if args.scenes else args.file
    document = load(source)
    options = options_for(args)
    model_path = args.model
    if model_path is None and (args.server_url is None or not args.no_local):
        from logline.models.registry import resolve_model

        model_path = resolve_model(None).path
    tokenizer = None
    if model_path is not None:
        from logline.engine.mlx_runtime import import_mlx
        from logline.models.server_model import local_tokenizer

        import_mlx()  # first: it picks OpenBLAS on Linux before MLX loads

        tokenizer = local_tokenizer(str(model_path.resolve()))
    print(
        f"Document: {source.name}, {len(document.scenes)} scenes; model: "
        f"{model_path or args.server_model or '(the server’s)'}; context {args.context:,}"
    )
    print("| run | time to summary s | generated tokens | tok/s overall | per phase |")
    print("|---|---:|---:|---:|---|")
    runs: list[dict[str, Any]] = []
    for concurrency in args.concurrency:
        server = None
        try:
            if args.server_url:
                url = args.server_url.rstrip("/")
            else:
                assert model_path is not None
                server = Server(
                    model_path.resolve(), Path(tempfile.mkdtemp(prefix="bench-remote-"))
                )
                url = server.url
            name = server_model_name(
                url, args.server_model or (str(model_path.resolve()) if server else None)
            )
            engine = remote_engine(url, name, concurrency, args.context, tokenizer)
            run = run_summary(engine, document, options)
        finally:
            if server is not None:
                server.stop()
        run.update(
            engine="server", concurrency=concurrency, url=url, started_here=server is not None
        )
        runs.append(run)
        print_run(f"server, concurrency {concurrency}", run)
    if not args.no_local:
        from logline.engine.runtime import Engine

        assert model_path is not None
        local = Engine()
        local.load(model_path.name, model_path)
        run = run_summary(local, document, replace(options, max_context=args.context))
        run.update(engine="local", concurrency=None)
        runs.append(run)
        print_run("local engine", run)
    first = runs[0]["seconds"]
    for run in runs:
        run["speedup_vs_first"] = first / run["seconds"] if run["seconds"] > 0 else 0.0
    print(
        "Speed-up against the first run: "
        + ", ".join(
            f"{r['engine']}{'' if r['concurrency'] is None else ' x' + str(r['concurrency'])} "
            f"{r['speedup_vs_first']:.2f}x"
            for r in runs
        )
    )
    report = {
        "document": source.name,
        "scenes": len(document.scenes),
        "model": str(model_path) if model_path else args.server_model,
        "context": args.context,
        "mode": options.mode,
        "runs": runs,
    }
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
