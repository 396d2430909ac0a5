"""The model recommended in place of the built-in one, by memory size, and the notices' words."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from logline.models import catalog, fit
from logline.models.embedded import EMBEDDED_MODEL_ID, is_embedded_model
from logline.models.recommend import (
    RECOMMEND_CONTEXT,
    embedded_notice,
    embedded_summary_note,
    recommended_model,
)
from logline.resources_access import read_text

GiB = 1024**3


@pytest.mark.parametrize(
    ("ram_gib", "expected"),
    [
        (2, "llama-3.2-1b-instruct"),
        (4, "llama-3.2-1b-instruct"),
        (8, "llama-3.2-3b-instruct"),
        (16, "llama-3.1-8b-instruct"),
        (24, "qwen2.5-14b-instruct"),
        (32, "qwen2.5-14b-instruct"),  # 32B would be a tight fit at 32 GB: not recommended
        (36, "qwen2.5-32b-instruct"),  # from 36 GB macOS lets the GPU use 3/4 of RAM
        (48, "qwen2.5-32b-instruct"),
        (64, "llama-3.3-70b-instruct"),
        (192, "llama-3.3-70b-instruct"),
    ],
)
def test_recommendation_by_memory_size(ram_gib: int, expected: str) -> None:
    rec = recommended_model(ram_gib * GiB)
    assert rec.entry is not None and rec.entry.id == expected
    assert rec.entry.recommend
    assert rec.verdict is not None and rec.verdict.level == "ok"
    assert rec.total_memory_bytes == ram_gib * GiB
    assert rec.memory == f"{ram_gib} GB"
    assert rec.name in rec.reason and f"{ram_gib} GB" in rec.reason
    # The fit advice is the fit advisor's own, not a second estimate.
    assert (
        rec.fit_advice
        == fit.advise_for_catalog(rec.entry, RECOMMEND_CONTEXT, ram=ram_gib * GiB).message
    )


def test_only_marked_models_are_recommended() -> None:
    marked = {e.id for e in catalog.load_catalog() if e.recommend}
    assert "qwen2.5-3b-instruct" not in marked  # a research (non-commercial) licence
    seen = {recommended_model(g * GiB).entry.id for g in range(2, 200, 2)}
    assert seen <= marked
    assert len(seen) == len(marked)  # every marked model is the answer for some Mac


def _first_ram(holds, low: int, high: int) -> int:
    """Bisect the smallest RAM size (bytes) in (low, high] for which ``holds(ram)`` is true."""
    assert holds(high) and not holds(low)
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def _smallest_ram_recommending(entry_id: str, low: int, high: int) -> int:
    entry = lambda ram: recommended_model(ram).entry  # noqa: E731
    return _first_ram(lambda ram: entry(ram) is not None and entry(ram).id == entry_id, low, high)


@pytest.mark.parametrize(
    ("entry_id", "low_gib", "high_gib"),
    [("llama-3.2-3b-instruct", 4, 8), ("llama-3.1-8b-instruct", 8, 16)],
)
def test_the_boundary_is_where_the_fit_advice_turns_comfortable(
    entry_id: str, low_gib: int, high_gib: int
) -> None:
    boundary = _smallest_ram_recommending(entry_id, low_gib * GiB, high_gib * GiB)
    entry = catalog.find_entry(entry_id)
    assert fit.advise_for_catalog(entry, RECOMMEND_CONTEXT, ram=boundary).level == "ok"
    assert fit.advise_for_catalog(entry, RECOMMEND_CONTEXT, ram=boundary - 1).level == "warn"
    below = recommended_model(boundary - 1)
    assert below.entry is not None and below.entry.ram_bytes < entry.ram_bytes


def test_a_tight_fit_is_recommended_only_when_nothing_fits_comfortably() -> None:
    smallest = min((e for e in catalog.load_catalog() if e.recommend), key=lambda e: e.ram_bytes)
    comfortable = lambda rec: rec.entry is not None and not rec.tight  # noqa: E731
    ok_from = _first_ram(lambda ram: comfortable(recommended_model(ram)), GiB, 4 * GiB)
    assert recommended_model(ok_from).entry == smallest
    # Just below: the advisor says "warn" (tight), which is still offered, honestly.
    rec = recommended_model(ok_from - 1)
    assert rec.entry == smallest and rec.tight
    assert "only just" in rec.reason
    assert "a tight fit on" in embedded_notice(rec)


def test_nothing_fits_a_tiny_machine() -> None:
    rec = recommended_model(GiB)
    assert rec.entry is None and rec.verdict is None and rec.name == ""
    assert "None of the catalog models fits" in rec.reason and "1 GB" in rec.reason
    notice = embedded_notice(rec)
    assert "too little for the catalog models" in notice
    assert "For real work use" not in notice
    assert "For real work" not in embedded_summary_note(rec)


def test_the_notice_names_the_recommended_model_size_and_memory() -> None:
    rec = recommended_model(16 * GiB)
    notice = embedded_notice(rec)
    assert notice.startswith("The built-in model (SmolLM2 135M) is tiny")
    assert "invents names" in notice and "repeats itself" in notice
    assert "Llama 3.1 8B Instruct (4.5 GB download, fits this" in notice
    assert "16 GB" in notice
    assert "download it when online" in notice and "import it from a drive" in notice
    note = embedded_summary_note(rec)
    assert note.startswith("Written by the built-in model") and "Llama 3.1 8B Instruct" in note
    assert "\n" not in note  # one line


def test_other_catalogs_and_the_embedded_id() -> None:
    data = copy.deepcopy(json.loads(read_text(catalog.CATALOG_RESOURCE)))
    for raw in data["models"]:
        raw.pop("recommend", None)
    entries = catalog.parse_catalog(data)
    assert not any(e.recommend for e in entries)
    assert recommended_model(64 * GiB, entries).entry is None  # nothing marked: nothing named
    one = [replace(entries[0], recommend=True)]
    assert recommended_model(64 * GiB, one).entry == one[0]
    data["models"][0]["recommend"] = "yes"
    with pytest.raises(ValueError, match="recommend"):
        catalog.parse_catalog(data)
    assert is_embedded_model(EMBEDDED_MODEL_ID)
    assert not is_embedded_model("llama-3.1-8b-instruct") and not is_embedded_model(None)
