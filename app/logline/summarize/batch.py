"""Summaries of many files for ``logline summarize … --out DIR``: outputs, sidecars, resume.

For each input ``<name>.<ext>`` the batch writes ``<name>.<mode>.md`` (the summary, citations
and names checked) and ``<name>.<mode>.json`` (a sidecar: source hash, model, plan, timings,
memory, citations, unknown names). Both are written to a temporary name and renamed into place,
sidecar last, so an interrupted run never leaves a summary that looks finished. A later run
skips every input whose sidecar says it is finished for the same file contents, mode,
instruction and model: a folder of scripts can be summarized overnight and the batch resumed
after an interruption. A summary that ended early (its length limit, repetition) is written but
marked ``incomplete``, never ``done``; a later run retries it only when asked
(``retry_incomplete``).

Qt-free and MLX-free: the CLI runs the summaries on its engine thread and calls these helpers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logline import __version__

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = frozenset({".pdf", ".fountain", ".spmd", ".fdx", ".txt", ".text", ".md"})
SIDECAR_VERSION = 1


@dataclass(frozen=True)
class BatchItem:
    source: Path
    name: str  # output base name: the file's stem, or its whole name when two stems collide

    def summary_path(self, out: Path, mode: str) -> Path:
        return out / f"{self.name}.{mode}.md"

    def sidecar_path(self, out: Path, mode: str) -> Path:
        return out / f"{self.name}.{mode}.json"


def collect_inputs(paths: Iterable[Path]) -> list[BatchItem]:
    """Files given directly, plus the documents directly inside folders given, in order.

    Raises FileNotFoundError naming the first path that does not exist or is no regular file.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.is_file()
                    and p.suffix.lower() in DOCUMENT_SUFFIXES
                    and not p.name.startswith(".")
                )
            )
        elif path.is_file():
            files.append(path)
        elif path.exists():  # a pipe, socket or device: nothing to read a document from
            raise FileNotFoundError(f"Not a regular file (a pipe, socket or device): {path}")
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    stems = Counter(p.stem for p in unique)
    return [BatchItem(p, p.stem if stems[p.stem] == 1 else p.name) for p in unique]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def job_key(sha256: str, mode: str, instruction: str | None, model_id: str) -> dict[str, Any]:
    """What must match for a finished summary to be reused."""
    return {"sha256": sha256, "mode": mode, "instruction": instruction or "", "model": model_id}


def names_json(flags: Iterable[Any]) -> dict[str, Any]:
    """The sidecar's ``unknown_names``: how many were flagged (or removed) and which, each once
    in order of first appearance (``flags``: :class:`~logline.summarize.names.NameFlag`)."""
    found = [flag.name for flag in flags]
    return {"count": len(found), "names": list(dict.fromkeys(found))}


DONE, INCOMPLETE = "done", "incomplete"


def sidecar_status(reason: str) -> str:
    """``done`` only for a summary that ended by itself; any other end is ``incomplete``."""
    return DONE if reason == "done" else INCOMPLETE


def is_done(
    item: BatchItem, out: Path, key: dict[str, Any], *, retry_incomplete: bool = False
) -> bool:
    """True when ``item`` was already summarized with the same key (and its summary is there);
    an ``incomplete`` one counts as finished unless ``retry_incomplete``."""
    sidecar = item.sidecar_path(out, key["mode"])
    if not sidecar.is_file() or not item.summary_path(out, key["mode"]).is_file():
        return False
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    status = data.get("status")
    finished = status == DONE or (status == INCOMPLETE and not retry_incomplete)
    return finished and all(data.get(k) == v for k, v in key.items())


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_outputs(
    item: BatchItem, out: Path, key: dict[str, Any], summary: str, details: dict[str, Any]
) -> tuple[Path, Path]:
    """Write the summary, then the sidecar that marks it finished."""
    summary_path = item.summary_path(out, key["mode"])
    sidecar_path = item.sidecar_path(out, key["mode"])
    write_atomic(summary_path, summary.rstrip() + "\n")
    sidecar = {
        "version": SIDECAR_VERSION,
        "logline": __version__,
        "source": str(item.source),
        "summary": summary_path.name,
        "status": sidecar_status(str(details.get("reason", DONE))),
        **key,
        **details,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_atomic(sidecar_path, json.dumps(sidecar, indent=2, default=str) + "\n")
    return summary_path, sidecar_path
