"""``logline models import PATH``: a GGUF file, an MLX folder, or a Hugging Face folder (converted).

The import modules are loaded lazily (the conversion pulls MLX): it keeps ``logline --help`` fast.
"""

from __future__ import annotations

import argparse
import json
import sys

from logline.cli.console import EXIT_OK, fail
from logline.cli.models_installed import model_json


def run(args: argparse.Namespace) -> int:
    from logline import paths
    from logline.models.gguf_import import default_model_id, import_gguf
    from logline.models.registry import installed_models

    def progress(stage: str, fraction: float) -> None:
        if not args.json:
            print(f"\r{stage}… {fraction:4.0%}   ", end="", file=sys.stderr, flush=True)

    if args.file.is_dir():
        from logline.models.folder_import import import_model_folder
        from logline.models.hf_convert import convert_model_folder, needs_conversion

        if needs_conversion(args.file):
            if args.reference:
                return fail(
                    f"{args.file.name} holds float weights that must be converted to MLX, so it "
                    "cannot be referenced in place: import it without --reference."
                )
            quantize = args.quantize or "4"
            # Uses MLX: the CLI's main thread is its only MLX thread.
            manifest = convert_model_folder(
                args.file,
                paths.models_dir(),
                model_id=args.model_id or default_model_id(args.file),
                display_name=args.name,
                bits=None if quantize == "none" else int(quantize),
                overwrite=args.force,
                progress=lambda stage, done, total: progress(stage, done / total if total else 1.0),
            )
        elif args.quantize is not None:
            return fail(
                f"--quantize applies to float (Hugging Face) model folders; {args.file.name} "
                "is already in MLX format."
            )
        else:
            manifest = import_model_folder(
                args.file,
                paths.models_dir(),
                model_id=args.model_id or default_model_id(args.file),
                display_name=args.name,
                reference=args.reference,
                overwrite=args.force,
                progress=lambda done, total: progress("Copying", done / total if total else 1.0),
            )
    else:
        if args.reference:
            return fail("--reference applies to model folders, not GGUF files")
        if args.quantize is not None:
            return fail("--quantize applies to float (Hugging Face) model folders, not GGUF files")
        manifest = import_gguf(
            args.file,
            paths.models_dir(),
            model_id=args.model_id,
            display_name=args.name,
            overwrite=args.force,
            progress=progress,
        )
    if not args.json:
        print(file=sys.stderr)
    model = next(m for m in installed_models() if m.model_id == manifest.model_id)
    if args.json:
        print(json.dumps(model_json(model), indent=2))
    else:
        print(f"Imported {args.file.name} as {manifest.model_id} ({model.path})")
    return EXIT_OK
