"""Conversations' prompt-cache files count against the cache budget and go first, oldest first."""

from __future__ import annotations

import os
from pathlib import Path

from logline.models import cache, prompt_caches
from test_cache import make_local


def _cache_file(key: str, size: int, used_at: float) -> Path:
    path = prompt_caches.path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    os.utime(path, (used_at, used_at))
    return path


def test_prompt_caches_count_in_the_report() -> None:
    make_local("alpha", 1000)
    _cache_file("a" * 40, 300, 1_000)
    report = cache.cache_report(budget_bytes=10**6)
    assert report.prompt_caches_bytes == 300
    assert report.used_bytes == report.models_bytes + 300
    assert report.to_json()["prompt_caches_bytes"] == 300


def test_room_is_made_from_the_oldest_prompt_caches_before_any_model(monkeypatch) -> None:
    folder = make_local("alpha", 1000)
    old = _cache_file("o" * 40, 400, 1_000)
    new = _cache_file("n" * 40, 400, 2_000)
    used = cache.cache_report(budget_bytes=10**6).used_bytes
    monkeypatch.setattr(
        cache, "cache_report", lambda budget_bytes=None, _f=cache.cache_report: _f(used + 100)
    )
    freed = cache.ensure_room(300)  # 200 over: the oldest cache file is enough
    assert not old.exists() and new.exists() and folder.is_dir()
    assert freed == 0  # no model had to go


def test_the_cache_in_use_is_never_deleted_to_make_room() -> None:
    keep = _cache_file("k" * 40, 500, 1_000)
    other = _cache_file("x" * 40, 500, 2_000)
    deleted = prompt_caches.delete_oldest(600, keep=frozenset({"k" * 40}))
    assert keep.exists() and not other.exists()
    assert [d.key for d in deleted] == ["x" * 40]
