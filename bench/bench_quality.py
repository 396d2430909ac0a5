"""Quality benchmark: every corpus script in every summary mode, then metrics an analyst can trust.

Usage::

    # outputs (embedded model, every corpus script and mode), written as they finish
    .venv/bin/python bench/bench_quality.py generate --out quality.json
    .venv/bin/python bench/bench_quality.py generate --out q.json --files testplay-01.fountain \
        --modes logline --scenes 10 --max-tokens-scale 0.5
    .venv/bin/python bench/bench_quality.py generate --out quality.json --resume   # after a crash
    # metrics with the current code: a Markdown table on stdout, figures in quality.scores.json
    .venv/bin/python bench/bench_quality.py score quality.json --md
    .venv/bin/python bench/bench_quality.py run --out quality.json      # generate, then score

``generate`` uses only APIs that exist since commit cb518e6, so outputs of older code can be
scored by the current code: ``PYTHONPATH=<old checkout>/app python bench/bench_quality.py
generate ...`` (when a ``PYTHONPATH`` entry holds a ``logline`` package, this script leaves
``sys.path`` alone; otherwise it reads ``app/`` next to itself). ``--corpus DIR`` reads the
scripts from another copy of ``shared/corpus/scripts`` (the GPU machine's).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _logline_on_pythonpath() -> bool:
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return any(e and (Path(e) / "logline" / "__init__.py").is_file() for e in entries)


if not _logline_on_pythonpath():  # an older checkout's app/ given there wins
    sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "bench"))

import logline  # noqa: E402

# ``logline.resources`` is the checkout's top-level resources/ (pyproject maps it so when the
# package is installed); from a bare checkout, let the package find it next to its app/.
logline.__path__.append(str(Path(logline.__file__).resolve().parents[2]))

CORPUS = ROOT.parent / "shared" / "corpus" / "scripts"
FORMATS = ("fountain", "fdx", "pdf", "txt")
MODES = ("logline", "synopsis", "characters", "scenes", "coverage", "custom")
CUSTOM_INSTRUCTION = "List the three most important props and who uses them."
FORMAT_VERSION = 1

log = logging.getLogger("bench_quality")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "run"):
        sub = commands.add_parser(name, help=f"{name} outputs" if name == "generate" else "both")
        sub.add_argument(
            "--out", type=Path, required=True, help="outputs JSON (written as it goes)"
        )
        sub.add_argument(
            "--files",
            nargs="+",
            metavar="GLOB",
            help="scripts: paths, globs, or name globs of corpus files (default: the whole corpus)",
        )
        sub.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
        sub.add_argument("--scenes", type=int, help="keep only the first N scenes of each script")
        sub.add_argument(
            "--max-tokens-scale",
            type=float,
            default=1.0,
            metavar="F",
            help="scale every mode's answer and notes token limits (quick runs: 0.25)",
        )
        sub.add_argument(
            "--sampling",
            nargs="+",
            default=[],
            metavar="KEY=VALUE",
            help="tuning: set a SamplingParams field in every mode's answer and notes "
            "(e.g. no_repeat_ngram=12 repetition_penalty=1.15; needs the field in the code)",
        )
        sub.add_argument("--model-path", type=Path, help="an MLX model folder (default: embedded)")
        sub.add_argument("--context", type=int, help="cap the usable context (tokens)")
        sub.add_argument("--instruction", default=CUSTOM_INSTRUCTION, help="the custom mode's")
        sub.add_argument("--resume", action="store_true", help="keep runs already in --out")
        sub.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus scripts/ folder")
        if name == "run":
            sub.add_argument("--md", action="store_true", help="print the Markdown table")
    score = commands.add_parser("score", help="metrics of a generate file, with the current code")
    score.add_argument("file", type=Path)
    score.add_argument("--md", action="store_true", help="print the Markdown table")
    score.add_argument("--scores", type=Path, help="figures JSON (default: FILE.scores.json)")
    score.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus scripts/ folder")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


# -- inputs ------------------------------------------------------------------------------------
def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    return [
        path
        for fmt in FORMATS
        if (corpus / fmt).is_dir()
        for path in sorted((corpus / fmt).iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def select_files(patterns: list[str] | None, corpus_dir: Path = CORPUS) -> list[Path]:
    """The scripts to run: every corpus file, or those ``patterns`` name (a path, a glob of
    paths, or a glob matched against corpus file names such as ``big-fish*``)."""
    corpus = corpus_files(corpus_dir)
    if not patterns:
        return corpus
    chosen: list[Path] = []
    for pattern in patterns:
        path = Path(pattern).expanduser()
        matches = [path] if path.is_file() else sorted(Path().glob(pattern)) if pattern else []
        if not matches:
            matches = [p for p in corpus if fnmatch.fnmatch(p.name, pattern)]
        if not matches:
            raise SystemExit(f"No script matches {pattern!r}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def first_scenes(document: Any, count: int | None) -> Any:
    """``document`` cut after its scene ``count`` (elements, scenes, pages, text, speakers);
    unchanged when it has no more scenes (or none: a generic document is kept whole)."""
    if not count or len(document.scenes) <= count:
        return document
    from logline.documents.render import render_elements

    scenes = document.scenes[:count]
    elements = document.elements[: scenes[-1].last_element + 1]
    last_page = max((e.page for e in elements if e.page is not None), default=None)
    pages = document.pages[:last_page] if last_page else document.pages
    kept = {scene.number for scene in scenes}
    characters = [
        replace(c, scenes=tuple(n for n in c.scenes if n in kept))
        for c in document.characters
        if any(n in kept for n in c.scenes)
    ]
    return replace(
        document,
        elements=elements,
        scenes=scenes,
        pages=pages,
        characters=characters,
        text=render_elements(elements),
    )


def load_document(path: Path, scenes: int | None) -> Any:
    from logline.documents import load

    return first_scenes(load(path), scenes)


def run_key(path: Path | str, mode: str) -> str:
    return f"{Path(path).parent.name}/{Path(path).name}::{mode}"


# -- generate ----------------------------------------------------------------------------------
def summary_options(mode_id: str, args: argparse.Namespace) -> Any:
    from logline.summarize import modes
    from logline.summarize.runner import SummaryOptions

    mode = modes.get_mode(mode_id)
    options = SummaryOptions(
        mode=mode.id,
        instruction=args.instruction if mode.needs_instruction else None,
        max_context=args.context,
    )
    if args.max_tokens_scale != 1.0:
        scale = args.max_tokens_scale
        answer = replace(mode.sampling, max_tokens=max(8, round(mode.sampling.max_tokens * scale)))
        notes = mode.map_sampling
        notes = replace(notes, max_tokens=max(8, round(notes.max_tokens * scale)))
        options = replace(options, sampling=answer, map_sampling=notes)
    if args.sampling:
        changes = sampling_changes(args.sampling)
        answer = replace(options.sampling or mode.sampling, **changes)
        notes = replace(options.map_sampling or mode.map_sampling, **changes)
        options = replace(options, sampling=answer, map_sampling=notes)
    return options


def sampling_changes(pairs: list[str]) -> dict[str, Any]:
    """``["no_repeat_ngram=12", "temperature=0.3"]`` as typed SamplingParams changes."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not value:
            raise SystemExit(f"--sampling wants KEY=VALUE, not {pair!r}")
        if value.lower() in ("true", "false"):
            changes[key] = value.lower() == "true"
        else:
            changes[key] = float(value) if "." in value else int(value)
    return changes


def summarize_one(engine: Any, document: Any, options: Any) -> dict[str, Any]:
    """One summary and what the score needs from it (never raises for a failed summary)."""
    from logline.engine.cancel import CancelToken
    from logline.summarize.events import Notice
    from logline.summarize.runner import summarize

    notices: list[str] = []

    def emit(event: object) -> None:
        if isinstance(event, Notice):
            notices.append(getattr(event, "message", str(event)))

    started = time.perf_counter()
    result = summarize(engine, document, CancelToken(), emit, options)
    seconds = time.perf_counter() - started
    plan = result.plan
    phases = [p.to_json() for p in result.phases]
    return {
        "text": result.text,
        "raw_text": result.raw_text,
        "reason": result.reason,
        "error": None if result.error is None else f"{type(result.error).__name__}: {result.error}",
        "seconds": round(seconds, 3),
        "notes": list(result.notes),
        "chunks": [c.text for c in plan.chunks] if plan else [],
        "chunk_tokens": [c.tokens for c in plan.chunks] if plan else [],
        "strategy": plan.strategy if plan else None,
        "plan": plan.describe() if plan else "",
        "document_tokens": plan.document_tokens if plan else None,
        "phases": phases,
        "prompt_tokens": sum(p["prompt_tokens"] for p in phases),
        "generated_tokens": sum(p["generated_tokens"] for p in phases),
        "answer_tokens": result.stats.generation_tokens if result.stats else None,
        "notices": notices,
    }


def read_runs(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "runs" not in data:
        raise SystemExit(f"{path} is not a bench_quality.py generate file")
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a crash mid-write keeps the previous complete file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def load_engine(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The engine with the model loaded once (the embedded one unless ``--model-path``)."""
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()  # first: it picks OpenBLAS on Linux before MLX loads
    from logline.engine.runtime import Engine
    from logline.models.registry import resolve_model

    if args.model_path:
        path, model_id = args.model_path, args.model_path.name
    else:
        installed = resolve_model(None)  # imports the embedded GGUF on first use
        path, model_id = installed.path, installed.model_id
    engine = Engine()
    started = time.perf_counter()
    engine.load(model_id, path)
    log.info("Loaded %s from %s in %.1f s", model_id, path, time.perf_counter() - started)
    return engine, {
        "model_id": model_id,
        "model_path": str(path),
        "precision": engine.loaded.precision,
        "context_length": engine.loaded.context_length,
        "device": str(mx.default_device()),
    }


def generate(args: argparse.Namespace) -> int:
    files = [path.resolve() for path in select_files(args.files, args.corpus)]
    if not files:
        print(f"No scripts: the corpus ({args.corpus}) is not here and --files names none.")
        return 2
    data: dict[str, Any] = {"runs": {}}
    if args.resume and args.out.is_file():
        data = read_runs(args.out)
        log.info("Resuming: %d runs already in %s", len(data["runs"]), args.out)
    todo = [(f, m) for f in files for m in args.modes if run_key(f, m) not in data["runs"]]
    if not todo:
        log.info("Nothing to do: every run is in %s", args.out)
        return 0
    engine, model = load_engine(args)
    data["meta"] = {
        "format_version": FORMAT_VERSION,
        "logline": str(Path(logline.__file__).resolve().parents[1]),
        "commit": _commit(Path(logline.__file__).resolve().parents[2]),
        "scenes": args.scenes,
        "max_tokens_scale": args.max_tokens_scale,
        "context": args.context,
        "instruction": args.instruction,
        "sampling": args.sampling,
        **model,
    }
    write_json(args.out, data)
    documents: dict[Path, Any] = {}
    for number, (path, mode) in enumerate(todo, 1):
        key = run_key(path, mode)
        log.info("[%d/%d] %s", number, len(todo), key)
        entry: dict[str, Any] = {"file": str(path), "format": path.parent.name, "mode": mode}
        try:
            if path not in documents:
                documents = {path: load_document(path, args.scenes)}  # one document at a time
            document = documents[path]
            entry["document"] = {
                "path": str(document.path),
                "format": document.format,
                "kind": document.kind,
                "scenes": len(document.scenes),
                "pages": len(document.pages),
                "words": document.word_count,
                "characters": len(document.characters),
            }
            entry.update(summarize_one(engine, document, summary_options(mode, args)))
        except Exception as exc:  # a document that does not load, a plan that fails
            log.exception("%s failed", key)
            entry.update(reason="error", error=f"{type(exc).__name__}: {exc}", text="")
        log.info(
            "[%d/%d] %s: %s in %.1f s",
            number,
            len(todo),
            key,
            entry.get("reason"),
            entry.get("seconds", 0.0),
        )
        data["runs"][key] = entry
        write_json(args.out, data)
    return 0


def _commit(checkout: Path) -> str | None:
    head = checkout / ".git"
    try:
        if head.is_file():  # a worktree: "gitdir: ..."
            head = Path(head.read_text(encoding="utf-8").split(":", 1)[1].strip())
        ref = (head / "HEAD").read_text(encoding="utf-8").strip()
        if ref.startswith("ref: "):
            name = ref[5:]
            for base in (head, head.parent.parent):  # a worktree's refs live in the main .git
                if (base / name).is_file():
                    return (base / name).read_text(encoding="utf-8").strip()
            return name
        return ref
    except (OSError, IndexError):
        return None


# -- score -------------------------------------------------------------------------------------
def score(args: argparse.Namespace, file: Path) -> int:
    try:
        from logline.summarize import quality  # noqa: F401
    except ImportError:
        print("score needs the current code: run it without an older checkout on PYTHONPATH.")
        return 2
    from quality_score import score_file

    return score_file(file, getattr(args, "scores", None), md=args.md, corpus=args.corpus)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in ("httpx", "urllib3", "filelock"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.command == "generate":
        return generate(args)
    if args.command == "score":
        return score(args, args.file)
    code = generate(args)
    return code or score(args, args.out)


if __name__ == "__main__":
    sys.exit(main())
