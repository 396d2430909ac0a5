"""Summaries of many files for ``logline summarize … --out DIR``: outputs, sidecars, resume.

For each input the batch writes ``<name>.<mode>.md`` (the summary, citations and names checked)
and ``<name>.<mode>.json`` (a sidecar: source hash, model, plan, timings, memory, citations,
unknown names). ``<name>`` is unique per source and decided before anything is written
(:mod:`~logline.summarize.output_names`): two inputs never share an output, and a later run
never overwrites the summary of a different source. The sidecar names its source by file name
and a hash of its path (never the path itself) and carries the SHA-256 of the summary it vouches
for. Both files are written atomically (:mod:`~logline.summarize.output_files`, 0600 unless
shared), summary first: a run killed between the two leaves a summary its sidecar does not
vouch for, which the next run redoes. One run at a time holds the folder
(:mod:`~logline.summarize.batch_lock`).

A later run skips every input whose sidecar says it is finished for the same file contents,
mode, instruction and model, with the summary it names still there unchanged: a folder of
scripts can be summarized overnight and the batch resumed after an interruption. A summary that
ended early (its length limit, repetition) is written but marked ``incomplete``, never ``done``;
a later run retries it only when asked (``retry_incomplete``).

Qt-free and MLX-free: the CLI runs the summaries on its engine thread and calls these helpers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from logline import __version__
from logline.summarize.output_files import make_folder, write_atomic
from logline.summarize.output_names import MAX_SIDECAR_BYTES, assign_names, folder_claims
from logline.summarize.output_names import source_id as path_id

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = frozenset({".pdf", ".fountain", ".spmd", ".fdx", ".txt", ".text", ".md"})
SIDECAR_VERSION = 2  # 2: source_id and summary_sha256, no absolute path


@dataclass(frozen=True)
class BatchItem:
    source: Path
    name: str  # output base name, unique per source (output_names.assign_names)

    @cached_property
    def source_id(self) -> str:
        return path_id(self.source)

    def summary_path(self, out: Path, mode: str) -> Path:
        return out / f"{self.name}.{mode}.md"

    def sidecar_path(self, out: Path, mode: str) -> Path:
        return out / f"{self.name}.{mode}.json"


def collect_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files given directly, plus the documents directly inside folders given, in order, each
    once (resolved).

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
    return list(dict.fromkeys(p.resolve() for p in files))


def plan_outputs(sources: list[Path], out: Path) -> list[BatchItem]:
    """Each source with its output name, unique in this run and in ``out`` (call it while
    holding the folder's lock, before writing anything)."""
    names = assign_names(sources, folder_claims(out))
    return [BatchItem(source, name) for source, name in zip(sources, names, strict=True)]


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
    """True when ``item`` was already summarized with the same key and the summary beside the
    sidecar is the one it vouches for (its SHA-256); an ``incomplete`` one counts as finished
    unless ``retry_incomplete``."""
    sidecar = item.sidecar_path(out, key["mode"])
    summary = item.summary_path(out, key["mode"])
    if not sidecar.is_file() or not summary.is_file():
        return False
    try:
        if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
            return False
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return False
        vouched = data.get("summary") == summary.name and data.get("summary_sha256") == file_sha256(
            summary
        )
    except (OSError, ValueError, RecursionError):
        return False
    if not vouched:
        log.info("The summary beside sidecar %s is not the one it names; redoing it", sidecar.name)
        return False
    status = data.get("status")
    finished = status == DONE or (status == INCOMPLETE and not retry_incomplete)
    return finished and all(data.get(k) == v for k, v in key.items())


def write_outputs(
    item: BatchItem,
    out: Path,
    key: dict[str, Any],
    summary: str,
    details: dict[str, Any],
    *,
    shared: bool = False,
) -> tuple[Path, Path]:
    """Write the summary, then the sidecar that names its hash and marks it finished (both
    private unless ``shared``)."""
    summary_path = item.summary_path(out, key["mode"])
    sidecar_path = item.sidecar_path(out, key["mode"])
    data = (summary.rstrip() + "\n").encode("utf-8")
    make_folder(out, shared=shared)
    write_atomic(summary_path, data, shared=shared)
    sidecar = {
        "version": SIDECAR_VERSION,
        "logline": __version__,
        "source": item.source.name,
        "source_id": item.source_id,
        "summary": summary_path.name,
        "summary_sha256": hashlib.sha256(data).hexdigest(),
        "status": sidecar_status(str(details.get("reason", DONE))),
        **key,
        **details,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    text = json.dumps(sidecar, indent=2, default=str) + "\n"
    write_atomic(sidecar_path, text.encode("utf-8"), shared=shared)
    return summary_path, sidecar_path
