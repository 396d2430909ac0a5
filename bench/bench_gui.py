"""The window stays responsive while a fast model streams, and starts fast (issue 16).

Usage::

    .venv/bin/python bench/bench_gui.py                                  # both parts
    .venv/bin/python bench/bench_gui.py --runs 3 --tokens 3000 --out bench/results/issue16/gui.json
    .venv/bin/python bench/bench_gui.py --skip-stream --cold-runs 7       # cold start only

Streaming: the real ``MainWindow`` (offscreen, or the platform in ``QT_QPA_PLATFORM``) with its
real engine thread and a tiny random MLX model made the way ``tests/tiny_models.py`` makes them
(one layer, width 32: several hundred tokens a second on 2 CPU cores; its output layer never
picks the end token, so every answer runs to ``--tokens``). A summary streams into the Summary
view, then, separately, an answer into the chat view, ``--runs`` times each. A 5 ms ``QTimer``
on the GUI thread records when it fires: a gap between two ticks is time the GUI thread could
not answer. Reported per view: tok/s (engine) and p50 / p99 / max gap while the text streams
(target: no gap over 50 ms), and whether the view's text equals the engine's: the text as it
streamed (citations and names checked in the view) against the run's checked result, the
engine's streamed tokens against its final raw text, the final view and the store's record.

Cold start: ``python -m logline`` in a new process (offscreen, an empty ``LOGLINE_HOME``) until
the window's first paint, reported by the app's ``LOGLINE_REPORT_FIRST_PAINT`` hook, timed from
just before the process is started; ``--cold-runs`` times, median (target: 1.0 s).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "tests"))  # tiny_models: the tests' model generator

HEARTBEAT_MS = 5
GAP_TARGET_MS = 50.0
COLD_TARGET_S = 1.0
MIN_TOK_S = 300.0
QUESTION = "What happens in the story, scene by scene?"
SCRIPT = """\
Title: The Night Shift
Author: A. Writer

INT. DINER - NIGHT

MAVIS (50s) pours coffee for the only customer, EDWARD (30s), who reads a script.

MAVIS
You have been on that page for an hour.

EDWARD
It is the ending. It does not work.

EXT. PARKING LOT - LATER

Edward throws the script in a bin, then takes it out again.
"""

log = logging.getLogger("bench_gui")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="streams per view (default 2)")
    parser.add_argument("--tokens", type=int, default=3000, help="tokens per answer")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    return parser.parse_args(argv)


# -- the model ------------------------------------------------------------------------------


def make_fast_model(folder: Path) -> Path:
    """A one-layer, width-32 random llama (imported from a GGUF like every test model) whose
    output layer gives the special tokens (end of text, ChatML markers) a zero logit and the
    others a wider spread: it never ends by itself, so every answer runs to its token limit."""
    import numpy as np

    from logline.engine.mlx_runtime import import_mlx
    from tiny_models import make_tiny_mlx_model

    mx = import_mlx()
    model = make_tiny_mlx_model(
        folder, tensor_type="F32", tied=False, n_layers=1, hidden=32, heads=2, kv_heads=1, ff=64
    )
    path = model / "model.safetensors"
    weights = {name: np.array(value) for name, value in mx.load(str(path)).items()}
    head = weights["lm_head.weight"]
    head[:3] = 0.0  # <|endoftext|>, <|im_start|>, <|im_end|>
    head[3:] *= 1.6
    mx.save_safetensors(str(path), {name: mx.array(value) for name, value in weights.items()})
    return model


# -- the GUI thread's heartbeat -------------------------------------------------------------


class Heartbeat:
    """A 5 ms precise timer on the GUI thread; ``ticks`` are the times it fired."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks.clear()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def gaps_ms(self, start: float, end: float) -> list[float]:
        ticks = [t for t in self.ticks if start <= t <= end]
        return [(b - a) * 1000 for a, b in pairwise(ticks)]


def gap_figures(gaps: list[float]) -> dict[str, Any]:
    if not gaps:
        return {"ticks": 0}
    ordered = sorted(gaps)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "ticks": len(gaps) + 1,
        "p50_ms": round(pct(50), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(ordered[-1], 2),
        "over_50ms": sum(1 for g in gaps if g > GAP_TARGET_MS),
    }


def wait_until(predicate: Any, timeout_s: float) -> bool:
    """Run the event loop (the heartbeat keeps firing) until ``predicate()`` or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: predicate() and loop.quit())
    poll.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not predicate():
        loop.exec()
    poll.stop()
    return bool(predicate())


# -- one streamed summary -------------------------------------------------------------------


def summary_run(window: Any, beat: Heartbeat, timeout_s: float) -> dict[str, Any]:
    """Summarize the open document; the heartbeat's gaps while the answer streams."""
    from logline.summarize.events import AnswerText, SummaryFinished
    from logline.summarize.stored import register

    seen: dict[str, Any] = {"pieces": [], "first": None}
    results: list[Any] = []
    view = window.summary_view
    streamed = before_finish(view, "finish", lambda: view_finished_alone(view))

    def record(event: object) -> None:
        if isinstance(event, AnswerText):
            seen["first"] = seen["first"] or time.perf_counter()
            seen["pieces"].append(event.text)
        elif isinstance(event, SummaryFinished):
            seen["last"] = time.perf_counter()

    def watch(job: Any) -> None:
        job.on_event(record)

    window.summaryStarted.connect(watch)
    window.presenter.finished.connect(results.append)
    beat.start()
    started = time.perf_counter()
    window.summarize()
    done = wait_until(lambda: bool(results), timeout_s)
    ended = time.perf_counter()
    wait_until(lambda: not window.summary_view.repaint_pending, 2)
    beat.stop()
    window.summaryStarted.disconnect(watch)
    window.presenter.finished.disconnect(results.append)
    del view.finish  # the class's method again
    if not done:
        raise RuntimeError("the summary did not finish in time")
    result = results[0]
    store = window.store
    stored = None
    if store is not None:  # kept by the window when the job succeeds (just after finished)
        doc_id = register(store, window.document).id

        def stored_text() -> str | None:
            latest = store.summaries.latest(doc_id)
            return latest.text if latest is not None else None

        wait_until(lambda: stored_text() == result.text, 5)  # saved as it streams, then final
        stored = stored_text()
    first = seen["first"] or ended
    stats = result.stats
    stats_tokens = stats.generation_tokens if stats else 0
    return {
        "reason": result.reason,
        "tokens": stats.generation_tokens if stats else 0,
        "engine_tok_s": round(stats.generation_tps, 1) if stats else 0.0,
        "text_events": len(seen["pieces"]),
        "stream_s": round(seen.get("last", ended) - first, 3),
        "stream_tok_s": round(stats_tokens / max(seen.get("last", ended) - first, 1e-9), 1),
        "job_s": round(ended - started, 3),
        "chars": len(result.text),
        "gaps_streaming": gap_figures(beat.gaps_ms(first, seen.get("last", ended))),
        "gaps_whole_job": gap_figures(beat.gaps_ms(started, ended)),
        "view_streamed_equals_result": streamed == [result.text],
        "engine_stream_equals_raw": "".join(seen["pieces"]) == result.raw_text,
        "view_final_equals_result": window.summary_view.text == result.text,
        "store_equals_result": stored == result.text,
        "view_shows_rendered_text": rendered(result.text) == window.summary_view.toPlainText(),
    }


def before_finish(view: Any, name: str, read: Any) -> list[Any]:
    """Wrap ``view.<name>`` (on this instance) to note ``read()`` just before it runs: the
    text the view built from the stream, before the run's checked result replaces it."""
    original = getattr(view, name)
    noted: list[Any] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        noted.append(read())
        return original(*args, **kwargs)

    setattr(view, name, wrapper)
    return noted


def view_finished_alone(view: Any) -> str:
    """The summary view's text with its held-back tail (a possible citation at the very end)
    flushed through its own checks, as ``finish()`` without the result's text shows it."""
    type(view).finish(view, None)
    return str(view.text)


def rendered(markdown: str) -> str:
    """The plain text Qt shows for ``markdown`` (as the summary view renders it)."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setMarkdown(markdown.strip())
    return document.toPlainText()


# -- one streamed chat answer ---------------------------------------------------------------


def chat_run(window: Any, beat: Heartbeat, timeout_s: float) -> dict[str, Any]:
    """Ask one question in the chat pane; the heartbeat's gaps while the answer streams."""
    from logline.chat.events import AnswerText, TurnFinished

    seen: dict[str, Any] = {"text": "", "first": None, "events": 0}
    results: list[Any] = []
    idle: list[bool] = []
    view = window.chat_pane.view
    streamed = before_finish(view, "finish_answer", lambda: view.streaming and view.streaming.text)

    def record(event: object) -> None:
        if isinstance(event, AnswerText):
            seen["first"] = seen["first"] or time.perf_counter()
            seen["events"] += 1
            kept = seen["text"][: len(seen["text"]) - event.retract] if event.retract else None
            seen["text"] = (seen["text"] if kept is None else kept) + event.text
        elif isinstance(event, TurnFinished):
            seen["last"] = time.perf_counter()

    def watch(job: Any) -> None:
        if job.name == "chat turn":
            job.on_event(record)

    window.host.jobQueued.connect(watch)
    window.chat.turnFinished.connect(results.append)

    def on_busy(busy: bool) -> None:
        if not busy:
            idle.append(True)

    window.chat.busyChanged.connect(on_busy)
    beat.start()
    started = time.perf_counter()
    window.chat.new_conversation()  # each run from the script alone: the context never fills
    window.chat.ask(QUESTION)
    done = wait_until(lambda: bool(results) and bool(idle), timeout_s)
    ended = time.perf_counter()
    wait_until(lambda: not window.chat_pane.view.repaint_pending, 2)
    beat.stop()
    window.host.jobQueued.disconnect(watch)
    window.chat.turnFinished.disconnect(results.append)
    window.chat.busyChanged.disconnect(on_busy)
    del view.finish_answer
    if not done:
        raise RuntimeError("the chat answer did not finish in time")
    result = results[0]
    stored = window.store.messages.get(result.message_id) if result.message_id else None
    first = seen["first"] or ended
    stats = result.stats
    stats_tokens = stats.generation_tokens if stats else 0
    shown = window.chat_pane.view.answer_text(result.message_id)
    return {
        "reason": result.reason,
        "tokens": stats.generation_tokens if stats else 0,
        "engine_tok_s": round(stats.tokens_per_s, 1) if stats else 0.0,
        "text_events": seen["events"],
        "stream_s": round(seen.get("last", ended) - first, 3),
        "stream_tok_s": round(stats_tokens / max(seen.get("last", ended) - first, 1e-9), 1),
        "job_s": round(ended - started, 3),
        "chars": len(result.text),
        "gaps_streaming": gap_figures(beat.gaps_ms(first, seen.get("last", ended))),
        "gaps_whole_job": gap_figures(beat.gaps_ms(started, ended)),
        "view_streamed_equals_engine_stream": streamed == [seen["text"]],
        "engine_stream_equals_raw": seen["text"] == result.raw_text,
        "view_final_equals_result": shown == result.text,
        "store_equals_result": stored is not None and stored.content == result.text,
    }


def stream_part(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["LOGLINE_HOME"] = str(work / "home")
    from PySide6.QtWidgets import QApplication

    from logline.chat.session import ChatOptions
    from logline.engine import SamplingParams
    from logline.ui.main_window import MainWindow

    model = make_fast_model(work / "model")
    script = work / "night-shift.fountain"
    script.write_text(SCRIPT, encoding="utf-8")
    app = QApplication.instance() or QApplication(["bench_gui"])
    app.setStyle("Fusion")
    sampling = SamplingParams(max_tokens=args.tokens, temperature=1.0, seed=7)
    chat = ChatOptions(answer_tokens=args.tokens, temperature=1.0, facts_answers=False)
    window = MainWindow(model_override=("tiny-fast", model), sampling=sampling, chat_options=chat)
    window.resize(1440, 900)
    window.show()
    opened: list[object] = []
    window.documentOpened.connect(opened.append)
    window.open_file(script)
    if not wait_until(lambda: bool(opened), 30):
        raise RuntimeError("the script did not open")
    beat = Heartbeat()
    timeout_s = 120 + args.tokens / 20
    figures: dict[str, Any] = {"summary": [], "chat": []}
    for view, run in (("summary", summary_run), ("chat", chat_run)):
        for number in range(1, args.runs + 1):
            figure = run(window, beat, timeout_s)
            figures[view].append(figure)
            g = figure["gaps_streaming"]
            print(
                f"{view} run {number}: {figure['tokens']} tokens at {figure['engine_tok_s']} tok/s,"
                f" gaps p50 {g.get('p50_ms')} / p99 {g.get('p99_ms')} / max {g.get('max_ms')} ms"
                f" (whole job max {figure['gaps_whole_job'].get('max_ms')} ms), text equal: "
                + ", ".join(f"{k}={v}" for k, v in figure.items() if isinstance(v, bool))
            )
    window.close()
    app.processEvents()
    return figures


# -- cold start -----------------------------------------------------------------------------


def cold_start(work: Path) -> dict[str, Any]:
    """One new ``python -m logline`` process, offscreen: seconds to its first painted window."""
    report = work / "first-paint.json"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        LOGLINE_HOME=str(work / f"home-{time.monotonic_ns()}"),
        LOGLINE_REPORT_FIRST_PAINT=str(report),
        PYTHONPATH=os.pathsep.join([str(ROOT / "app"), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    )
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "logline"], env=env, capture_output=True, timeout=120, check=True
    )
    painted = json.loads(report.read_text(encoding="utf-8"))
    heavy = sorted({"mlx", "mlx_lm", "pypdf", "numpy"} & set(painted["modules"]))
    return {"first_paint_s": round(painted["first_paint_unix"] - started, 3), "heavy": heavy}


def summarize(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """Over all runs of one view: gaps pooled by their worst, tok/s by the median."""
    streaming = [f["gaps_streaming"] for f in figures if f["gaps_streaming"].get("ticks")]
    checks = [k for k, v in figures[0].items() if isinstance(v, bool)] if figures else []
    return {
        "engine_tok_s_median": round(statistics.median(f["engine_tok_s"] for f in figures), 1),
        "stream_tok_s_median": round(statistics.median(f["stream_tok_s"] for f in figures), 1),
        "p50_ms_median": round(statistics.median(g["p50_ms"] for g in streaming), 2),
        "p99_ms_max": max(g["p99_ms"] for g in streaming),
        "max_ms": max(g["max_ms"] for g in streaming),
        "gaps_over_50ms": sum(g["over_50ms"] for g in streaming),
        "text_equal": all(f[k] for f in figures for k in checks),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    out: dict[str, Any] = {
        "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],  # others on the machine
    }
    if not args.skip_cold:
        runs = [cold_start(work) for _ in range(args.cold_runs)]
        seconds = [r["first_paint_s"] for r in runs]
        out["cold_start"] = {
            "runs_s": seconds,
            "median_s": statistics.median(seconds),
            "heavy_modules_at_first_paint": sorted({m for r in runs for m in r["heavy"]}),
        }
        print(
            f"cold start to the first painted window: median {statistics.median(seconds):.3f} s"
            f" (runs {', '.join(f'{s:.3f}' for s in seconds)}; target {COLD_TARGET_S} s)"
        )
    if not args.skip_stream:
        streams = stream_part(args, work)
        out["streams"] = streams
        out["summary"] = {view: summarize(runs) for view, runs in streams.items()}
        for view, figure in out["summary"].items():
            print(f"{view}: {json.dumps(figure)}")
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out["targets"] = targets(out)
    print(
        "targets: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in out["targets"].items())
    )
    out["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


def targets(out: dict[str, Any]) -> dict[str, bool]:
    """The issue's targets, each met or not (only the parts that ran)."""
    met: dict[str, bool] = {}
    if "cold_start" in out:
        met["cold start <= 1.0 s"] = out["cold_start"]["median_s"] <= COLD_TARGET_S
        met["no heavy module at first paint"] = not out["cold_start"][
            "heavy_modules_at_first_paint"
        ]
    for view, figure in out.get("summary", {}).items():
        met[f"{view}: >= 300 tok/s"] = figure["engine_tok_s_median"] >= MIN_TOK_S
        met[f"{view}: no gap over 50 ms while streaming"] = figure["max_ms"] <= GAP_TARGET_MS
        met[f"{view}: view text = engine text"] = figure["text_equal"]
    return met


if __name__ == "__main__":
    raise SystemExit(main())
