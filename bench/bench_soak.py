"""Soak: one window, 20 documents summarized through its file queue, then 100 chat turns (issue 17).

Usage::

    .venv/bin/python bench/bench_soak.py                       # a tiny random model (minutes)
    .venv/bin/python bench/bench_soak.py --documents 20 --turns 100 \\
        --out bench/results/issue17/soak.json

Everything runs in this one process, offscreen, as the app runs it: the real ``MainWindow`` on its
engine thread, the queue (``window.queue.add(paths)``) opening and summarizing each document and
keeping its summary in the store, then questions typed into the chat pane of the last document,
ten conversations of ten turns. A private ``LOGLINE_HOME`` keeps the user's data out of it.

After each document and each turn: resident memory (RSS), MLX active memory, open files, live
threads, live QObjects and Python objects by type (``gc``). Warm-up is the first ``--warmup``
documents and the first ten turns (MLX import, model load, first prompt caches); afterwards RSS
and MLX active memory must stay within 10% of their value at the end of warm-up (compared at the
same point of each cycle: a summary's end, a conversation's end), open files and QObjects may
not grow, no thread or Qt object may be left over, and every summary and every turn must be in
the store. Exit code 1 when any check fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "tests"))  # tiny_models: the tiny random model the tests use
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TOLERANCE = 0.10
KEYS = ("rss", "mlx_active", "qobjects", "open_files")
TURNS_PER_CONVERSATION = 10
STEP_TIMEOUT_S = 300.0
SCENE = """INT. {place} - {time}

{name} crosses the room and stops at the window.

{name}
We have until {hour} o'clock. Then it is over.

{other}
Then we start now.

"""
PLACES = ("KITCHEN", "OFFICE", "HARBOUR", "TRAIN", "ROOF", "GARAGE", "LIBRARY", "DINER")
NAMES = ("MARA", "ELI", "JUNE", "OSCAR", "PIA", "TOM", "NELL", "RAFE")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5, help="documents counted as warm-up")
    parser.add_argument("--max-tokens", type=int, default=24, help="summary tokens")
    parser.add_argument("--answer-tokens", type=int, default=24)
    parser.add_argument("--model-path", type=Path, help="an MLX model folder (default: tiny)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    return parser.parse_args(argv)


def write_documents(folder: Path, count: int) -> list[Path]:
    """``count`` short, different Fountain scripts (different content: separate documents)."""
    paths = []
    for number in range(count):
        scenes = [
            SCENE.format(
                place=PLACES[(number + i) % len(PLACES)],
                time="NIGHT" if (number + i) % 2 else "DAY",
                name=NAMES[(number + i) % len(NAMES)],
                other=NAMES[(number + i + 3) % len(NAMES)],
                hour=1 + (number * 7 + i) % 12,
            )
            for i in range(5)  # one length: the same state at every step
        ]
        path = folder / f"soak-{number:02d}.fountain"
        path.write_text(f"Title: Soak {number}\n\n" + "".join(scenes), encoding="utf-8")
        paths.append(path)
    return paths


def open_files() -> int:
    """File descriptors this process holds open now (-1 where they cannot be counted)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return len(os.listdir(folder))
    return -1


def rss_bytes() -> int:
    """This process's resident memory now (not its peak)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    out = subprocess.run(
        ["/bin/ps", "-o", "rss=", "-p", str(os.getpid())], capture_output=True, text=True
    ).stdout
    return int(out.strip() or 0) * 1024


class Sampler:
    """Memory, threads and Qt objects after each step."""

    def __init__(self) -> None:
        from logline.engine.memory import memory_stat
        from logline.engine.mlx_runtime import import_mlx

        self._mx = import_mlx()
        self._memory_stat = memory_stat
        self.samples: list[dict[str, Any]] = []

    def take(self, phase: str, step: int) -> dict[str, Any]:
        from PySide6.QtCore import QObject

        gc.collect()
        with warnings.catch_warnings():  # isinstance() on some library objects warns
            warnings.simplefilter("ignore")
            objects = gc.get_objects()
            kinds = Counter(type(o).__name__ for o in objects if isinstance(o, QObject))
            python = Counter(type(o).__name__ for o in objects)
            del objects
        sample = {
            "phase": phase,
            "step": step,
            "rss": rss_bytes(),
            "mlx_active": self._memory_stat(self._mx, "get_active_memory"),
            "mlx_cache": self._memory_stat(self._mx, "get_cache_memory"),
            "open_files": open_files(),
            "threads": sorted(t.name for t in threading.enumerate()),
            "qobjects": sum(kinds.values()),
            "qobject_kinds": kinds,
            "python_objects": sum(python.values()),
            "python_kinds": python,
            "t": time.monotonic(),
        }
        self.samples.append(sample)
        return sample


def wait_until(app: Any, condition: Any, what: str, timeout_s: float = STEP_TIMEOUT_S) -> None:
    from PySide6.QtCore import QEventLoop

    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{what}: not done within {timeout_s:g} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.002)


def run_queue(app: Any, window: Any, paths: list[Path], sampler: Sampler) -> dict[str, Any]:
    """Queue every document at once; a sample each time one finishes."""
    seen: set[Path] = set()

    def on_changed() -> None:
        for item in window.queue.items:
            if item.finished and item.path not in seen:
                seen.add(item.path)
                sampler.take("summaries", len(seen))

    window.queue.changed.connect(on_changed)
    started = time.monotonic()
    assert window.queue.add(paths)
    wait_until(app, lambda: not window.queue.active and len(seen) == len(paths), "the queue")
    window.queue.changed.disconnect(on_changed)
    return {"seconds": time.monotonic() - started, "counts": window.queue.counts()}


def run_chat(app: Any, window: Any, turns: int, sampler: Sampler) -> dict[str, Any]:
    results: list[Any] = []
    window.chat.turnFinished.connect(results.append)
    started = time.monotonic()
    for turn in range(1, turns + 1):
        if turn > 1 and (turn - 1) % TURNS_PER_CONVERSATION == 0:
            window.chat.new_conversation()
        edit = window.chat_pane.composer.edit
        edit.setPlainText(f"Question {turn}: who is in scene {1 + turn % 4}, and why?")
        edit.submit()
        wait_until(app, lambda turn=turn: len(results) >= turn and not window.chat.busy, "a turn")
        sampler.take("chat", turn)
    reasons: dict[str, int] = {}
    for result in results:
        reasons[result.reason] = reasons.get(result.reason, 0) + 1
    return {"seconds": time.monotonic() - started, "turns": len(results), "reasons": reasons}


def stored(window: Any) -> dict[str, int]:
    store = window.store
    documents = store.documents.list()
    summaries = sum(1 for d in documents if store.summaries.list(d.id))
    messages = [
        message
        for d in documents
        for conversation in store.conversations.list(d.id)
        for message in store.messages.all(conversation.id)
    ]
    return {
        "documents": len(documents),
        "documents_with_a_summary": summaries,
        "questions": sum(1 for m in messages if m.role == "user"),
        "answers": sum(1 for m in messages if m.role == "assistant"),
    }


def drift(samples: list[dict[str, Any]], key: str, baseline: dict[str, Any]) -> dict[str, Any]:
    values = [s[key] for s in samples]
    base = baseline[key]
    worst = max(values, key=lambda v: abs(v - base))
    return {
        "baseline": base,
        "min": min(values),
        "max": max(values),
        "final": values[-1],
        "worst_change": (worst - base) / base if base else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="logline-soak-"))
    os.environ["LOGLINE_HOME"] = str(work / "home")
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from logline.chat.session import ChatOptions
    from logline.engine import SamplingParams
    from logline.ui.engine_worker import running_engine_threads
    from logline.ui.jobs import running_job_threads
    from logline.ui.main_window import MainWindow

    model_dir = args.model_path
    if model_dir is None:
        from tiny_models import make_tiny_mlx_model

        model_dir = make_tiny_mlx_model(work / "model", tensor_type="Q4_0")
    paths = write_documents(work, args.documents)
    app = QApplication.instance() or QApplication(["logline-soak"])
    style = app.style()  # the application's style (held by Qt): counted before the window
    sampler = Sampler()
    before = sampler.take("start", 0)
    window = MainWindow(
        model_override=("soak", model_dir),
        sampling=SamplingParams(max_tokens=args.max_tokens),
        chat_options=ChatOptions(answer_tokens=args.answer_tokens, facts_answers=False),
    )
    window.show()
    queue = run_queue(app, window, paths, sampler)
    chat = run_chat(app, window, args.turns, sampler)
    in_store = stored(window)
    window.close()
    window.host.shutdown()
    window.loader.shutdown()
    window.deleteLater()
    del window
    wait_until(app, lambda: not running_job_threads(), "the job threads", 30)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    app.processEvents()
    after = sampler.take("closed", 0)
    del style

    # The same state at each compared point: the end of a document's summary (all documents
    # have one length), the end of a ten-turn conversation.
    docs = [x for x in sampler.samples if x["phase"] == "summaries" and x["step"] >= args.warmup]
    convs = [
        x
        for x in sampler.samples
        if x["phase"] == "chat" and x["step"] % TURNS_PER_CONVERSATION == 0
    ]
    phases = {
        "summaries": {key: drift(docs, key, docs[0]) for key in KEYS},
        "chat": {key: drift(convs, key, convs[0]) for key in KEYS},
    }
    growth = {
        phase: {
            kind: count
            for kind, count in (rows[-1]["qobject_kinds"] - rows[0]["qobject_kinds"]).items()
        }
        for phase, rows in (("summaries", docs), ("chat", convs), ("closed", [before, after]))
    }
    python_growth = {
        phase: dict((rows[-1]["python_kinds"] - rows[0]["python_kinds"]).most_common(12))
        for phase, rows in (("summaries", docs), ("chat", convs))
    }
    every = [x for x in sampler.samples if x["phase"] in ("summaries", "chat")][args.warmup :]
    rss_overall = drift(every, "rss", docs[0])
    leaked_threads = sorted(set(after["threads"]) - set(before["threads"]))
    within = {
        f"{phase}_{key}_within_10pct": abs(figures[key]["worst_change"]) <= TOLERANCE
        for phase, figures in phases.items()
        for key in ("rss", "mlx_active")
    }
    checks = {
        **within,
        "rss_overall_within_10pct": abs(rss_overall["worst_change"]) <= TOLERANCE,
        "qobjects_do_not_grow": all(
            figures["qobjects"]["max"] <= figures["qobjects"]["baseline"]
            for figures in phases.values()
        ),
        "open_files_do_not_grow": all(
            figures["open_files"]["max"] <= figures["open_files"]["baseline"]
            for figures in phases.values()
        ),
        "no_thread_left": not leaked_threads and not running_engine_threads(),
        "no_qobject_left_after_close": after["qobjects"] <= before["qobjects"],
        "every_summary_stored": in_store["documents_with_a_summary"] == args.documents,
        "every_turn_stored": in_store["questions"] == args.turns == in_store["answers"],
        "queue_all_done": queue["counts"].get("done", 0) == args.documents,
    }
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "documents": args.documents,
        "turns": args.turns,
        "warmup_documents": args.warmup,
        "max_tokens": args.max_tokens,
        "answer_tokens": args.answer_tokens,
        "queue": queue,
        "chat": chat,
        "stored": in_store,
        "phases": phases,
        "rss_overall": rss_overall,
        "threads": {"before": before["threads"], "after": after["threads"]},
        "qobjects": {"before_window": before["qobjects"], "after_close": after["qobjects"]},
        "qobject_growth": growth,
        "python_object_growth": python_growth,
        "samples": [
            {k: v for k, v in x.items() if k not in ("threads", "qobject_kinds", "python_kinds")}
            for x in sampler.samples
        ],
        "checks": checks,
        "passed": all(checks.values()),
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    sys.stdout.flush()
    os._exit(0 if report["passed"] else 1)  # no finalization after the MLX thread (__main__)


if __name__ == "__main__":
    main()
