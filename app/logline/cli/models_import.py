"""``logline models import PATH``: a GGUF file, an MLX folder, or a Hugging Face folder (converted).

The same core function as the window's Import… (:func:`logline.models.import_source.run_import`)
does the work; this module checks the flags against what the path is and prints progress. The
import modules are loaded lazily (the conversion pulls MLX): it keeps ``logline --help`` fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from logline.cli.console import EXIT_OK, fail
from logline.cli.models_installed import model_json


def run(args: argparse.Namespace) -> int:
    from logline import paths  # lazy: keeps `logline --help` fast
    from logline.models.gguf_import import default_model_id
    from logline.models.import_source import ImportRequest, classify_source, run_import
    from logline.models.registry import installed_models

    kind = classify_source(args.file)
    refused = _refused_flags(args, kind)
    if refused:
        return fail(refused)
    quantize = args.quantize or "4"
    request = ImportRequest(
        kind,
        args.file,
        paths.models_dir(),
        model_id=args.model_id or default_model_id(args.file),
        display_name=args.name,
        reference=args.reference,
        bits=None if quantize == "none" else int(quantize),
        overwrite=args.force,
    )

    shown = False

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal shown
        if not args.json:
            shown = True
            fraction = done / total if total else 1.0
            print(f"\r{stage}… {fraction:4.0%}   ", end="", file=sys.stderr, flush=True)

    # Every import ends with a test run of the model (MLX): the CLI's main thread is its only
    # MLX thread. The progress line is ended before any message, a refusal's included.
    try:
        model_id = run_import(request, progress, threading.Event())
    finally:
        if shown:
            print(file=sys.stderr)
    model = next(m for m in installed_models() if m.model_id == model_id)
    if args.json:
        print(json.dumps(model_json(model), indent=2))
    else:
        print(f"Imported {args.file.name} as {model_id} ({model.path})")
    return EXIT_OK


def _refused_flags(args: argparse.Namespace, kind: str) -> str | None:
    """Why the flags do not fit what the path is (None when they do)."""
    if kind == "float" and args.reference:
        return (
            f"{args.file.name} holds float weights that must be converted to MLX, so it "
            "cannot be referenced in place: import it without --reference."
        )
    if kind == "mlx" and args.quantize is not None:
        return (
            f"--quantize applies to float (Hugging Face) model folders; {args.file.name} "
            "is already in MLX format."
        )
    if kind == "gguf" and args.reference:
        return "--reference applies to model folders, not GGUF files"
    if kind == "gguf" and args.quantize is not None:
        return "--quantize applies to float (Hugging Face) model folders, not GGUF files"
    return None
