"""The model cache report, LRU eviction under a budget, orphans and gc (no network, no MLX)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from logline import config, paths
from logline.models import cache, state
from logline.models.embedded import EMBEDDED_MODEL_ID
from logline.models.errors import CacheBudgetError, ModelInUseError
from logline.models.manifest import ModelManifest

OLD = time.time() - 10 * 3600


def make_local(model_id: str, weights: int, *, display: str | None = None) -> Path:
    """An own model folder that registry.installed_models accepts, with known file sizes."""
    folder = paths.models_dir() / model_id
    folder.mkdir(parents=True)
    ModelManifest(model_id, display or model_id, "import", "test", "mlx").write(
        folder / "logline.json"
    )
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\0" * weights)
    (folder / "tokenizer.json").write_text("{}")
    return folder


def local_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def make_hub(repo_id: str, files: dict[str, bytes], revision: str = "a" * 40) -> Path:
    """huggingface_hub's layout: blobs named by content hash, snapshot symlinks, refs/main."""
    repo = paths.hub_cache_dir() / ("models--" + repo_id.replace("/", "--"))
    blobs, snap = repo / "blobs", repo / "snapshots" / revision
    blobs.mkdir(parents=True)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        (snap / name).symlink_to(Path("..") / ".." / "blobs" / digest)
    return repo


def keys(models: tuple[cache.CachedModel, ...]) -> list[str]:
    return [m.key for m in models]


def test_report_lists_local_and_hub_models_with_sizes_state_and_flags() -> None:
    a = make_local("alpha", 1000, display="Alpha")
    emb = make_local(EMBEDDED_MODEL_ID, 300)
    make_hub("org/hubby", {"config.json": b"{}" * 5, "model.safetensors": b"x" * 4000})
    state.touch("alpha", when=123.0)
    state.set_pinned("org/hubby", True)

    report = cache.cache_report(budget_bytes=10**6)
    by_key = {m.key: m for m in report.models}
    assert set(by_key) == {"alpha", EMBEDDED_MODEL_ID, "org/hubby"}
    assert report.models[0].key == EMBEDDED_MODEL_ID  # the default first
    assert by_key["alpha"].size_bytes == local_size(a)
    assert by_key[EMBEDDED_MODEL_ID].size_bytes == local_size(emb)
    assert by_key["org/hubby"].size_bytes == 4010  # blobs only, as scan_cache_dir counts
    assert by_key["alpha"].last_used == 123.0 and not by_key["alpha"].pinned
    assert by_key["org/hubby"].pinned and by_key["org/hubby"].kind == "hub"
    assert not by_key["org/hubby"].complete  # never verified by download.py
    assert by_key[EMBEDDED_MODEL_ID].is_embedded and by_key[EMBEDDED_MODEL_ID].is_default
    assert report.used_bytes == local_size(a) + local_size(emb) + 4010
    json.dumps(report.to_json())  # JSON-ready


def test_report_without_any_cache_dirs_is_empty() -> None:
    report = cache.cache_report()
    assert report.models == () and report.orphans == ()
    assert report.budget_bytes == config.DEFAULT_CACHE_BUDGET_BYTES


def test_configured_default_model_is_flagged_and_protected() -> None:
    make_local("mine", 500)
    config.update_settings(default_model="mine")
    (model,) = cache.cache_report().models
    assert model.is_default and not model.is_embedded
    plan = cache.plan_eviction(10, budget_bytes=model.size_bytes)
    assert not plan.fits and "the default model" in plan.message


@pytest.fixture
def three_models() -> dict[str, int]:
    sizes = {}
    for key, weights in (("a", 1000), ("b", 2000), ("c", 3000)):
        sizes[key] = local_size(make_local(key, weights))
    state.touch("a", when=100.0)
    state.touch("c", when=200.0)
    state.touch("b", when=300.0)
    return sizes


def test_lru_order_and_budget(three_models: dict[str, int]) -> None:
    used = sum(three_models.values())
    plan = cache.plan_eviction(0, budget_bytes=used)
    assert plan.fits and plan.evict == ()

    plan = cache.plan_eviction(500, budget_bytes=used)
    assert plan.fits and keys(plan.evict) == ["a"]  # least recently used first

    plan = cache.plan_eviction(1500, budget_bytes=used)
    assert keys(plan.evict) == ["a", "c"]
    assert plan.used_bytes - plan.freed_bytes + plan.needed_bytes <= plan.budget_bytes


def test_pinned_in_use_and_embedded_are_never_evicted(three_models: dict[str, int]) -> None:
    emb = local_size(make_local(EMBEDDED_MODEL_ID, 50))
    state.touch(EMBEDDED_MODEL_ID, when=1.0)  # the oldest of all
    used = sum(three_models.values()) + emb
    state.set_pinned("a", True)
    plan = cache.plan_eviction(1500, budget_bytes=used, in_use={"c"})
    assert keys(plan.evict) == ["b"]

    state.mark_in_use("b")
    try:
        plan = cache.plan_eviction(1500, budget_bytes=used, in_use={"c"})
    finally:
        state.release("b")
    assert not plan.fits
    assert "pinned" in plan.message and "in use" in plan.message
    assert "embedded default" in plan.message
    # The message names the Settings page and the file (for the CLI), the path's case intact.
    assert "raise the cache budget in Settings ▸ Models & Network" in plan.message
    assert f"cache_budget_bytes in {config.settings_path()}" in plan.message
    with pytest.raises(CacheBudgetError):
        plan.raise_if_impossible()


def test_needing_more_than_the_whole_budget_is_refused(three_models: dict[str, int]) -> None:
    plan = cache.plan_eviction(10**9, budget_bytes=10**6)
    assert not plan.fits and "more than the whole model cache budget" in plan.message
    assert "Raise the cache budget in Settings" in plan.message
    assert str(config.settings_path()) in plan.message


def test_apply_eviction_deletes_folders_and_hub_repos_and_forgets_state(
    three_models: dict[str, int],
) -> None:
    hub = make_hub("org/old", {"model.safetensors": b"y" * 5000})
    state.touch("org/old", when=50.0)
    used = sum(three_models.values()) + 5000
    plan = cache.plan_eviction(5500, budget_bytes=used)
    assert keys(plan.evict) == ["org/old", "a"]
    freed = cache.apply_eviction(plan)
    assert freed == plan.freed_bytes
    assert not hub.exists() and not (paths.models_dir() / "a").exists()
    assert (paths.models_dir() / "b").is_dir()
    assert state.last_used("a") is None and state.last_used("org/old") is None
    assert keys(cache.cache_report().models) == ["a", "b", "c"][1:]


def test_apply_skips_a_model_pinned_after_planning(three_models: dict[str, int]) -> None:
    plan = cache.plan_eviction(500, budget_bytes=sum(three_models.values()))
    state.set_pinned("a", True)
    assert cache.apply_eviction(plan) == 0
    assert (paths.models_dir() / "a").is_dir()


def make_orphans(age: float) -> tuple[Path, Path]:
    repo = make_hub("org/partial", {"config.json": b"{}"})
    part = repo / "blobs" / "deadbeef.logline.incomplete"
    part.write_bytes(b"p" * 700)
    staging = paths.models_dir() / ".x.importing-abc"
    staging.mkdir(parents=True)
    (staging / "model.safetensors").write_bytes(b"s" * 300)
    stamp = time.time() - age
    for p in (part, staging / "model.safetensors", staging):
        os.utime(p, (stamp, stamp))
    return part, staging


def test_orphans_are_counted_and_only_stale_ones_cleaned() -> None:
    part, staging = make_orphans(age=10)
    report = cache.cache_report()
    assert {(o.kind, o.size_bytes) for o in report.orphans} == {
        ("partial-download", 700),
        ("staging-folder", 300),
    }
    assert report.used_bytes == 2 + 1000  # the hub repo's one blob + orphans
    assert cache.clean_orphans() == []  # fresh: perhaps still being written or resumed
    assert part.exists() and staging.exists()
    removed = cache.clean_orphans(min_age_s=5)
    assert {o.path for o in removed} == {part, staging}
    assert not part.exists() and not staging.exists()


def test_gc_dry_run_deletes_nothing_and_real_run_does(three_models: dict[str, int]) -> None:
    part, staging = make_orphans(age=2 * 3600)
    budget = sum(three_models.values()) + 2 + 900  # 100 bytes over budget, orphans included
    dry = cache.gc(dry_run=True, budget_bytes=budget)
    assert {o.path for o in dry.orphans} == {part, staging}
    assert dry.plan.fits and dry.plan.evict == ()  # orphans alone free enough
    assert dry.freed_bytes == 0 and part.exists() and staging.exists()
    json.dumps(dry.to_json())

    budget = sum(three_models.values()) + 2 - 1000
    dry = cache.gc(dry_run=True, budget_bytes=budget)
    assert keys(dry.plan.evict) == ["a"]
    assert all((paths.models_dir() / k).is_dir() for k in "abc")

    done = cache.gc(dry_run=False, budget_bytes=budget)
    assert done.freed_bytes == 1000 + three_models["a"]
    assert not part.exists() and not staging.exists()
    assert not (paths.models_dir() / "a").exists()
    assert cache.cache_report(budget).used_bytes <= budget


def test_remove_model_refuses_in_use_and_pinned() -> None:
    make_local("solo", 10)
    state.set_pinned("solo", True)
    with pytest.raises(ModelInUseError, match="pinned"):
        cache.remove_model("solo")
    with state.using("solo"), pytest.raises(ModelInUseError, match="in use"):
        cache.remove_model("solo", force=True)
    cache.remove_model("solo", force=True)
    assert cache.cache_report().models == ()


def test_a_model_referenced_in_place_counts_and_deletes_only_its_cache_folder(
    tmp_path: Path,
) -> None:
    external = tmp_path / "drive" / "big-model"
    external.mkdir(parents=True)
    (external / "config.json").write_text("{}")
    (external / "model.safetensors").write_bytes(b"\0" * 5000)
    (external / "tokenizer.json").write_text("{}")
    folder = paths.models_dir() / "ref"
    folder.mkdir(parents=True)
    manifest = ModelManifest("ref", "Ref", "import", str(external), "mlx", location=str(external))
    manifest.write(folder / "logline.json")

    (model,) = cache.cache_report().models
    assert model.path == folder and model.size_bytes == local_size(folder) < 5000
    cache.remove_model("ref")
    assert not folder.exists()
    assert (external / "model.safetensors").stat().st_size == 5000  # the user's files stay
