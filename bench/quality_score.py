"""The score half of ``bench_quality.py``: metrics of generated outputs, with the current code.

Per (script, mode): citations valid, unknown-name flags per 1,000 words and false flags (names
flagged although they are in the cast), the longest repeated span (sentences, words), the
distinct-4-gram ratio, coverage sections and verdict (coverage mode), map-note copy ratios
(each note against its chunk) and the answer's copy ratio against the document, finish
reason and time. Then a summary by mode and overall.

Texts: structure, repetition and variety are measured on the text shown to the user
(``text``); citations, names and copying on the model's own words (``raw_text``).
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench_quality import CORPUS, load_document, read_runs, write_json

log = logging.getLogger("bench_quality.score")

NA = "n/a"


def name_checker_factory() -> Callable[[Any], Any] | None:
    """``NameChecker.from_document`` when the names module exists (issue 14, item 5)."""
    try:
        from logline.summarize.names import NameChecker
    except ImportError:
        log.info("logline.summarize.names is not here: name flags are n/a")
        return None
    return NameChecker.from_document


def cast_words(document: Any) -> set[str]:
    """Lower-case names of the speaking cast, whole and word by word ("edward bloom", "edward",
    "bloom"): a flagged name among them is a false flag."""
    names: set[str] = set()
    for character in document.characters:
        name = character.name.lower()
        names.add(name)
        names.update(part for part in name.replace(".", " ").split() if len(part) > 1)
    return names


def score_run(entry: dict[str, Any], document: Any, checker_for: Any) -> dict[str, Any]:
    from logline.summarize import quality
    from logline.summarize.citations import validate

    raw = entry.get("raw_text") or ""
    shown = entry.get("text") or raw
    metrics: dict[str, Any] = {
        "mode": entry["mode"],
        "format": entry.get("format"),
        "reason": entry.get("reason"),
        "seconds": entry.get("seconds"),
        "generated_tokens": entry.get("generated_tokens"),
        "words": len(quality.words(shown)),
    }
    span = quality.longest_repeated_span(shown)
    metrics["repeat_sentences"], metrics["repeat_words"] = span.sentences, span.words
    metrics["distinct_4"] = round(quality.distinct_ngram_ratio(shown, 4), 4) if shown else None
    if entry["mode"] == "coverage":
        structure = quality.coverage_structure(shown)
        metrics["sections"] = len(set(structure.sections))
        metrics["sections_in_order"] = structure.in_order
        metrics["verdicts"] = list(structure.verdicts)
        metrics["coverage_ok"] = structure.in_order and len(structure.verdicts) == 1
    notes, chunks = entry.get("notes") or [], entry.get("chunks") or []
    ratios = [quality.copy_ratio(n, c) for n, c in zip(notes, chunks, strict=False) if n.strip()]
    metrics["note_copy_mean"] = round(statistics.fmean(ratios), 4) if ratios else None
    metrics["note_copy_max"] = round(max(ratios), 4) if ratios else None
    source = document.text if document is not None else "\n".join(chunks)
    metrics["answer_copy"] = round(quality.copy_ratio(raw, source), 4) if source else None
    if document is None:
        metrics["citations"] = metrics["citations_invalid"] = metrics["flags"] = None
        return metrics
    report = validate(raw, document)
    metrics["citations"], metrics["citations_invalid"] = report.total, len(report.invalid)
    metrics["flags"] = metrics["false_flags"] = None
    if checker_for is not None:
        flags = checker_for(document).unknown(raw)
        cast = cast_words(document)
        metrics["flags"] = len(flags)
        metrics["flagged"] = sorted({flag.name for flag in flags})
        metrics["false_flags"] = sum(1 for flag in flags if flag.name.lower() in cast)
        metrics["raw_words"] = len(quality.words(raw))
    return metrics


def score_file(
    path: Path, scores_path: Path | None = None, *, md: bool = False, corpus: Path = CORPUS
) -> int:
    data = read_runs(path)
    meta = data.get("meta", {})
    checker_for = name_checker_factory()
    documents: dict[str, Any] = {}
    scored: dict[str, dict[str, Any]] = {}
    for key, entry in data["runs"].items():
        file = entry.get("file", "")
        if file not in documents:
            documents.clear()  # one document at a time
            documents[file] = _document(file, entry.get("format"), meta.get("scenes"), corpus)
        scored[key] = score_run(entry, documents[file], checker_for)
    summary = {mode: summarize_runs(runs) for mode, runs in _by_mode(scored).items()}
    summary["all"] = summarize_runs(scored.values())
    figures = {
        "source": str(path),
        "meta": meta,
        "names_checked": checker_for is not None,
        "runs": scored,
        "summary": summary,
    }
    target = scores_path or path.with_name(path.stem + ".scores.json")
    write_json(target, figures)
    if md:
        print(runs_table(scored))
        print()
    print(summary_table(summary))
    print(f"\nFigures: {target}")
    return 0


def _document(file: str, fmt: str | None, scenes: int | None, corpus: Path) -> Any:
    path = Path(file)
    if not path.is_file() and fmt:  # generated on another machine
        path = corpus / fmt / path.name
    try:
        return load_document(path, scenes)
    except Exception as exc:  # absent here, or no longer loads: the checks are n/a
        log.warning("%s: no document to check against (%s)", path.name, exc)
        return None


def _by_mode(scored: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    modes: dict[str, list[dict[str, Any]]] = {}
    for metrics in scored.values():
        modes.setdefault(metrics["mode"], []).append(metrics)
    return modes


def summarize_runs(runs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    runs = list(runs)
    done = [r for r in runs if r["reason"] == "done"]
    citations = sum(r["citations"] or 0 for r in runs)
    invalid = sum(r["citations_invalid"] or 0 for r in runs)
    named = [r for r in runs if r.get("flags") is not None]
    named_words = sum(r.get("raw_words", 0) for r in named)
    coverage = [r for r in runs if "coverage_ok" in r]
    notes = [r["note_copy_max"] for r in runs if r["note_copy_max"] is not None]
    means = [r["note_copy_mean"] for r in runs if r["note_copy_mean"] is not None]
    distinct = [r["distinct_4"] for r in runs if r["distinct_4"] is not None]
    seconds = [r["seconds"] for r in runs if r.get("seconds") is not None]
    return {
        "runs": len(runs),
        "reasons": dict(Counter(r["reason"] for r in runs)),
        "done": len(done),
        "citations": citations,
        "citations_valid_pct": _pct(citations - invalid, citations),
        "flags_per_1000_words": (
            round(1000 * sum(r["flags"] for r in named) / named_words, 2) if named_words else None
        ),
        "false_flags": sum(r["false_flags"] for r in named) if named else None,
        "flags": sum(r["flags"] for r in named) if named else None,
        "max_repeat_sentences": max((r["repeat_sentences"] for r in runs), default=0),
        "max_repeat_words": max((r["repeat_words"] for r in runs), default=0),
        "done_with_repeat_pct": _pct(sum(r["repeat_sentences"] >= 2 for r in done), len(done)),
        "distinct_4_mean": round(statistics.fmean(distinct), 4) if distinct else None,
        "coverage_reports": len(coverage),
        "coverage_ok_pct": _pct(sum(r["coverage_ok"] for r in coverage), len(coverage)),
        "note_copy_mean": round(statistics.fmean(means), 4) if means else None,
        "note_copy_max": max(notes) if notes else None,
        "seconds_total": round(sum(seconds), 1),
        "seconds_mean": round(statistics.fmean(seconds), 1) if seconds else None,
    }


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}{suffix}" if suffix != "%" else f"{value:.1f}%"
    return f"{value}{suffix}"


def runs_table(scored: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| script | mode | reason | s | cit. valid | flags /1k w | false flags "
        "| repeat sent./words | distinct-4 | sections | verdicts | note copy mean/max "
        "| answer copy |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for key, r in scored.items():
        script = key.split("::")[0]
        valid = (
            _pct(r["citations"] - r["citations_invalid"], r["citations"])
            if r["citations"]
            else None
        )
        per_1k = (
            round(1000 * r["flags"] / r["raw_words"], 1)
            if r.get("flags") is not None and r.get("raw_words")
            else None
        )
        sections = (
            f"{r['sections']}/6{' in order' if r['sections_in_order'] else ''}"
            if "sections" in r
            else ""
        )
        verdicts = ", ".join(r["verdicts"]) or "none" if "verdicts" in r else ""
        lines.append(
            f"| {script} | {r['mode']} | {r['reason']} | {_fmt(r['seconds'])} | "
            f"{_fmt(valid, '%')} ({r['citations'] if r['citations'] is not None else NA}) | "
            f"{_fmt(per_1k)} | {_fmt(r.get('false_flags'))} | "
            f"{r['repeat_sentences']} / {r['repeat_words']} | {_fmt(r['distinct_4'])} | "
            f"{sections} | {verdicts} | {_fmt(r['note_copy_mean'])} / {_fmt(r['note_copy_max'])} "
            f"| {_fmt(r['answer_copy'])} |"
        )
    return "\n".join(lines)


def summary_table(summary: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| mode | runs | finish reasons | citations valid | flags /1k words | false flags "
        "| max repeat (sent./words) | done with a repeat >= 2 sentences | distinct-4 mean "
        "| coverage: 6 sections in order + 1 verdict | note copy mean / max | time total (mean) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, s in summary.items():
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items()))
        coverage = (
            f"{_fmt(s['coverage_ok_pct'], '%')} of {s['coverage_reports']}"
            if s["coverage_reports"]
            else ""
        )
        false_flags = NA if s["flags"] is None else f"{s['false_flags']} of {s['flags']}"
        lines.append(
            f"| {'**all**' if mode == 'all' else mode} | {s['runs']} | {reasons} | "
            f"{_fmt(s['citations_valid_pct'], '%')} of {s['citations']} | "
            f"{_fmt(s['flags_per_1000_words'])} | {false_flags} | "
            f"{s['max_repeat_sentences']} / {s['max_repeat_words']} | "
            f"{_fmt(s['done_with_repeat_pct'], '%')} of {s['done']} | "
            f"{_fmt(s['distinct_4_mean'])} | {coverage} | {_fmt(s['note_copy_mean'])} / "
            f"{_fmt(s['note_copy_max'])} | {s['seconds_total']} s ({_fmt(s['seconds_mean'])}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # python bench/quality_score.py FILE.json: same as `score FILE --md`
    import sys

    logging.basicConfig(level=logging.INFO)
    sys.exit(score_file(Path(sys.argv[1]), md=True))
