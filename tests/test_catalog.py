"""The shipped model catalog: schema, plausible sizes, lookups."""

from __future__ import annotations

import copy
import json

import pytest

from logline.models import catalog
from logline.resources_access import read_text


def test_catalog_loads_and_is_well_formed() -> None:
    entries = catalog.load_catalog()
    assert len(entries) >= 10
    for e in entries:
        assert e.repo_id.startswith("mlx-community/")
        assert e.quantization == "4bit"
        # 4-bit weights: roughly 0.5-0.75 bytes per parameter (scales and embeddings included)
        assert 0.45 < e.download_bytes / e.parameters < 0.8, e.id
        assert e.ram_bytes > e.download_bytes
        assert e.context_length >= 8192
        assert e.architecture is not None
    sizes = [e.parameters for e in entries]
    assert min(sizes) < 2e9 and max(sizes) > 30e9  # small Macs to big Macs


def test_find_entry_by_id_or_repo() -> None:
    by_id = catalog.find_entry("llama-3.1-8b-instruct")
    assert by_id is not None
    assert catalog.find_entry("mlx-community/meta-llama-3.1-8b-instruct-4bit") == by_id
    assert catalog.find_entry("nope/nothing") is None


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.update(version=99), "version"),
        (lambda d: d["models"][0].pop("repo_id"), "repo_id"),
        (lambda d: d["models"][0].update(ram_bytes=-1), "positive"),
        (lambda d: d["models"][0].update(parameters=True), "parameters"),
        (lambda d: d["models"][1].update(id=d["models"][0]["id"]), "duplicate"),
        (lambda d: d["models"][0].update(repo_id="no-slash"), "org/name"),
        (lambda d: d["models"][0]["architecture"].pop("head_dim"), "architecture"),
    ],
)
def test_schema_violations_are_named(mutate, problem: str) -> None:
    data = copy.deepcopy(json.loads(read_text(catalog.CATALOG_RESOURCE)))
    mutate(data)
    with pytest.raises(ValueError, match=problem):
        catalog.parse_catalog(data)
