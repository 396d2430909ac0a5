"""Markdown table of the GPU benchmark's per-model JSON files (``run_device_bench.sh`` output).

::

    python bench/gpu/summarize_results.py OUT/*.json [--write bench/gpu/results]

Files with the same name (``ARCH-PRECISION.json``, e.g. from several device calls) are merged:
for each part (random model, raw decode, bench) the last file that has it wins. ``--write`` saves
the merged files there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PARTS = ("random_model", "raw_decode", "bench_summarize", "bench_args")
ORDER = ("llama-3.2-1b-4bit", "llama-3.2-1b-bf16", "llama-3-8b-4bit", "llama-3-8b-bf16")


def merge(paths: list[Path]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in paths:
        figures = json.loads(path.read_text(encoding="utf-8"))
        entry = merged.setdefault(path.stem, dict.fromkeys(PARTS))
        for part in PARTS:
            if figures.get(part) is not None and (
                part != "bench_args" or figures.get("bench_summarize") is not None
            ):
                entry[part] = figures[part]
    return merged


def _logline_peak(logline: dict[str, Any]) -> int | None:
    """The largest phase peak (results written before the bench took the maximum over
    phases hold the last phase's peak at the top level)."""
    peaks = [p.get("peak_memory_bytes") or 0 for p in logline.get("phases") or []]
    peaks.append(logline.get("peak_memory_bytes") or 0)
    return max(peaks) or None


def _mib(value: float | None) -> str:
    return f"{value / 2**20:,.0f}" if value else "-"


def table(merged: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| model | Logline time to summary (s) | naive (s) | naive / Logline | "
        "decode Logline / raw | raw decode tok/s | roofline tok/s | % of roofline | "
        "raw prefill tok/s (4k) | Logline peak MiB | naive peak MiB | weights MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = [n for n in ORDER if n in merged] + sorted(set(merged) - set(ORDER))
    for name in names:
        raw = merged[name]["raw_decode"] or {}
        bench = merged[name]["bench_summarize"] or {}
        logline, naive = bench.get("logline") or {}, bench.get("naive") or {}
        decode = bench.get("decode") or {}
        roofline = raw.get("roofline_tps_datasheet")
        fraction = raw.get("roofline_fraction_datasheet")
        cells = [
            name,
            f"{logline['seconds']:.1f}" if logline else "-",
            f"{naive['seconds']:.1f}" if naive else "-",
            f"{naive['seconds'] / logline['seconds']:.2f}x" if naive and logline else "-",
            f"{decode['ratio']:.3f}" if decode else "-",
            f"{raw['decode_tps']:.1f}" if raw else "-",
            f"{roofline:,.0f}" if roofline else "-",
            f"{fraction:.1%}" if fraction else "-",
            f"{raw['prefill_tps']:,.0f}" if raw else "-",
            _mib(_logline_peak(logline)),
            _mib(naive.get("peak_memory_bytes")),
            _mib(bench.get("weights_bytes") or raw.get("weights_bytes")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--write", type=Path, help="save the merged files in this folder")
    args = parser.parse_args(argv)
    merged = merge([p for p in args.files if p.suffix == ".json"])
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, figures in merged.items():
            (args.write / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(table(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
