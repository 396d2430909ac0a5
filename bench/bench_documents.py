"""Document loading speed: Logline's structured load against pypdf's raw text extraction.

For the feature-length Big Fish script from ``../shared/corpus`` (or files given with
``--pdf``/``--fountain``), in one process and one run, alternating the order:

* ``load(pdf)``: Logline's full PDF path (scan, layout recovery, scenes, characters, pages);
* ``pypdf extract_text``: ``PdfReader(path).pages[i].extract_text()`` for every page, the
  reference a generic PDF reader pays for text alone;
* ``load(fountain)``: the same script from Fountain.

Prints medians over ``--runs`` and the ratio of pypdf's time to Logline's.

    .venv/bin/python bench/bench_documents.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"
TARGETS = {"load(pdf)": 2.0, "load(fountain)": 0.2}


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf", type=Path, default=SCRIPTS / "pdf" / "big-fish.finaldraft11.pdf")
    parser.add_argument("--fountain", type=Path, default=SCRIPTS / "fountain" / "big-fish.fountain")
    args = parser.parse_args(argv)
    for path in (args.pdf, args.fountain):
        if not path.is_file():
            print(f"missing {path}: pass --pdf/--fountain or provide ../shared/corpus")
            return 2

    from pypdf import PdfReader

    from logline.documents import load

    def extract_all() -> None:
        reader = PdfReader(args.pdf)
        for page in reader.pages:
            page.extract_text()

    paths: dict[str, Callable[[], object]] = {
        "load(pdf)": lambda: load(args.pdf),
        "pypdf extract_text": extract_all,
        "load(fountain)": lambda: load(args.fountain),
    }
    for function in paths.values():  # warm imports and caches
        function()
    times: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    for run in range(args.runs):
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(_timed(paths[name]))

    pdf = load(args.pdf)
    fountain = load(args.fountain)
    print(f"{args.pdf.name}: {len(pdf.pages)} pages, {len(pdf.scenes)} scenes")
    print(f"{args.fountain.name}: {len(fountain.scenes)} scenes, {len(fountain.text):,} chars")
    print("\n| path | median s | min s | target |\n|---|---:|---:|---:|")
    for name, values in times.items():
        target = f"≤ {TARGETS[name]:.1f} s" if name in TARGETS else "reference"
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {target} |")
    ratio = statistics.median(times["pypdf extract_text"]) / statistics.median(times["load(pdf)"])
    print(f"\npypdf extract_text / Logline load(pdf): {ratio:.1f}x (medians, {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
