"""What the model cache holds, and making room in it.

Two kinds of installed model count against the cache budget
(``config.Settings.cache_budget_bytes``): own model folders in ``paths.models_dir()``
(``registry.installed_models``) and hub downloads in
``paths.hub_cache_dir()`` (huggingface_hub's layout, read with ``scan_cache_dir``). Orphans count
too: partial downloads (``blobs/*.incomplete``; ``download.py`` resumes from them, so only stale
ones are removed) and hidden staging folders left in ``models_dir()`` by an interrupted import.
So do conversations' prompt-cache files (``prompt_caches``), the first to go when room is needed.

Eviction is least-recently-used by ``state.last_used`` (set when a model is loaded; file atimes
are unreliable), falling back to the install time for a model never loaded. A pinned model, a
model in use, the embedded default and the configured default model are never evicted.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from logline import config, paths
from logline.models import catalog, download, prompt_caches, registry, state
from logline.models.errors import (
    CacheBudgetError,
    ModelError,
    ModelInUseError,
    ModelNotFoundError,
)
from logline.units import format_bytes

log = logging.getLogger(__name__)

# A partial file or staging folder untouched for this long is no longer being written.
ORPHAN_MIN_AGE_S = 3600.0

ModelKind = Literal["local", "hub"]
OrphanKind = Literal["partial-download", "staging-folder"]


@dataclass(frozen=True)
class CachedModel:
    key: str  # own model id, or the hub repo id ("org/name")
    kind: ModelKind
    display_name: str
    path: Path
    size_bytes: int
    last_used: float | None  # from state; None when never loaded
    installed_at: float  # for LRU order of models never loaded
    pinned: bool
    is_embedded: bool  # the embedded default model (re-installable, but never evicted)
    is_default: bool  # the configured default model (or the embedded one when none is set)
    complete: bool = True  # hub: every file downloaded and verified

    @property
    def recency(self) -> float:
        return self.last_used if self.last_used is not None else self.installed_at


@dataclass(frozen=True)
class Orphan:
    path: Path
    kind: OrphanKind
    size_bytes: int
    modified: float  # newest mtime inside

    def is_stale(self, min_age_s: float = ORPHAN_MIN_AGE_S, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) - self.modified >= min_age_s


@dataclass(frozen=True)
class CacheReport:
    models: tuple[CachedModel, ...]
    orphans: tuple[Orphan, ...]
    budget_bytes: int
    prompt_caches_bytes: int = 0  # conversations' prompt-cache files (re-creatable)

    @property
    def models_bytes(self) -> int:
        return sum(m.size_bytes for m in self.models)

    @property
    def orphans_bytes(self) -> int:
        return sum(o.size_bytes for o in self.orphans)

    @property
    def used_bytes(self) -> int:
        return self.models_bytes + self.orphans_bytes + self.prompt_caches_bytes

    def find(self, key: str) -> CachedModel | None:
        return next((m for m in self.models if m.key == key), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings) for ``logline models list --json``."""
        return {
            "budget_bytes": self.budget_bytes,
            "used_bytes": self.used_bytes,
            "prompt_caches_bytes": self.prompt_caches_bytes,
            "models": [_jsonable(asdict(m)) for m in self.models],
            "orphans": [_jsonable(asdict(o)) for o in self.orphans],
        }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


# ----------------------------------------------------------------------------- scanning


def _tree_size_and_mtime(root: Path) -> tuple[int, float]:
    size, newest = 0, root.stat().st_mtime
    for f in root.rglob("*"):
        try:
            st = f.lstat()
        except OSError:
            continue
        newest = max(newest, st.st_mtime)
        if f.is_file() and not f.is_symlink():
            size += st.st_size
    return size, newest


def _parse_time(text: str, fallback: float) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        return fallback


def _local_models(
    records: dict[str, state.ModelRecord], default_key: str | None
) -> list[CachedModel]:
    found = []
    embedded_id = registry.default_model_id()
    root = paths.models_dir()
    for m in registry.installed_models():
        rec = records.get(m.model_id)
        # A model referenced in place (manifest.location) keeps its weights outside the cache:
        # only its small folder here counts, and only that folder is ever deleted.
        folder = root / m.model_id if m.manifest.location else m.path
        if not folder.is_dir() or folder.resolve().parent != root.resolve():
            log.warning("Model %s is not below %s; leaving it out of the cache", m.model_id, root)
            continue
        size = _tree_size_and_mtime(folder)[0] if m.manifest.location else m.size_on_disk()
        fallback = folder.stat().st_mtime
        found.append(
            CachedModel(
                key=m.model_id,
                kind="local",
                display_name=m.manifest.display_name,
                path=folder,
                size_bytes=size,
                last_used=rec.last_used if rec else None,
                installed_at=_parse_time(m.manifest.installed_at, fallback),
                pinned=bool(rec and rec.pinned),
                is_embedded=m.model_id == embedded_id,
                is_default=m.model_id == (default_key or embedded_id),
            )
        )
    return found


def _scan_hub() -> Any | None:
    """huggingface_hub's scan of the hub cache, or None when there is no hub cache yet."""
    root = paths.hub_cache_dir()
    if not root.is_dir():
        return None
    from huggingface_hub import scan_cache_dir  # lazy: heavy import

    info = scan_cache_dir(root)
    for warning in info.warnings:
        log.debug("hub cache: skipped %s", warning)
    return info


def _hub_models(
    info: Any, records: dict[str, state.ModelRecord], default_key: str | None
) -> list[CachedModel]:
    found = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        rec = records.get(repo.repo_id)
        entry = catalog.find_entry(repo.repo_id)
        found.append(
            CachedModel(
                key=repo.repo_id,
                kind="hub",
                display_name=entry.display_name if entry else repo.repo_id,
                path=Path(repo.repo_path),
                size_bytes=int(repo.size_on_disk),
                last_used=rec.last_used if rec else None,
                installed_at=float(repo.last_modified),
                pinned=bool(rec and rec.pinned),
                is_embedded=False,
                is_default=repo.repo_id == default_key,
                complete=download.is_downloaded(repo.repo_id) is not None,
            )
        )
    return found


def _orphans() -> list[Orphan]:
    found: list[Orphan] = []
    hub = paths.hub_cache_dir()
    if hub.is_dir():
        # The same glob huggingface_hub uses (HFCacheInfo.incomplete_files, hub >= 2.x); done
        # here so that older huggingface_hub versions report them too.
        for part in hub.glob("*/blobs/*.incomplete"):
            try:
                st = part.stat()
            except OSError:
                continue
            found.append(Orphan(part, "partial-download", st.st_size, st.st_mtime))
    models = paths.models_dir()
    if models.is_dir():
        # gguf_import stages into ".<id>.importing-*"; any hidden folder here is staging.
        for folder in models.iterdir():
            if folder.name.startswith(".") and folder.is_dir() and not folder.is_symlink():
                size, newest = _tree_size_and_mtime(folder)
                found.append(Orphan(folder, "staging-folder", size, newest))
    return sorted(found, key=lambda o: str(o.path))


def cache_report(budget_bytes: int | None = None) -> CacheReport:
    """Every installed model (own folders and hub downloads) and every orphan, with sizes."""
    settings = config.load_settings()
    budget = settings.cache_budget_bytes if budget_bytes is None else budget_bytes
    records = state.records()
    models = _local_models(records, settings.default_model)
    info = _scan_hub()
    if info is not None:
        models += _hub_models(info, records, settings.default_model)
    models.sort(key=lambda m: (not m.is_default, m.display_name.lower()))
    return CacheReport(tuple(models), tuple(_orphans()), budget, prompt_caches.total_bytes())


# ----------------------------------------------------------------------------- eviction


@dataclass(frozen=True)
class EvictionPlan:
    needed_bytes: int
    budget_bytes: int
    used_bytes: int  # before the plan
    evict: tuple[CachedModel, ...] = ()
    orphans: tuple[Orphan, ...] = ()
    protected: tuple[CachedModel, ...] = field(default=(), repr=False)
    fits: bool = True
    message: str = ""

    @property
    def freed_bytes(self) -> int:
        return sum(m.size_bytes for m in self.evict) + sum(o.size_bytes for o in self.orphans)

    def raise_if_impossible(self) -> None:
        if not self.fits:
            raise CacheBudgetError(self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "needed_bytes": self.needed_bytes,
            "budget_bytes": self.budget_bytes,
            "used_bytes": self.used_bytes,
            "freed_bytes": self.freed_bytes,
            "fits": self.fits,
            "message": self.message,
            "evict": [m.key for m in self.evict],
            "orphans": [str(o.path) for o in self.orphans],
        }


def protection_reason(model: CachedModel, in_use: Iterable[str] = ()) -> str | None:
    """Why ``model`` must not be evicted, or None."""
    if model.key in set(in_use) | state.in_use():
        return "in use"
    if model.pinned:
        return "pinned"
    if model.is_embedded:
        return "the embedded default"
    if model.is_default:
        return "the default model"
    return None


def raise_budget_hint(*, first: bool = True) -> str:
    """Where the budget is set: the Settings window, or the settings file for the CLI.

    ``first``: the phrase opens a sentence (capital R); the path is never case-changed."""
    verb = "Raise" if first else "raise"
    return (
        f"{verb} the cache budget in Settings ▸ Models & Network "
        f"(cache_budget_bytes in {config.settings_path()})"
    )


def plan_eviction(
    needed_bytes: int,
    budget_bytes: int | None = None,
    in_use: Iterable[str] = (),
    *,
    report: CacheReport | None = None,
    orphan_min_age_s: float = ORPHAN_MIN_AGE_S,
    now: float | None = None,
) -> EvictionPlan:
    """Which stale orphans and least-recently-used models to delete so that
    ``used + needed <= budget``. ``fits`` is False (with a specific ``message``) when even
    deleting every evictable model would not be enough."""
    report = report or cache_report(budget_bytes)
    budget = report.budget_bytes if budget_bytes is None else budget_bytes
    used = report.used_bytes
    base: dict[str, Any] = {
        "needed_bytes": needed_bytes,
        "budget_bytes": budget,
        "used_bytes": used,
    }
    if used + needed_bytes <= budget:
        return EvictionPlan(**base, message="Fits within the cache budget.")
    if needed_bytes > budget:
        return EvictionPlan(
            **base,
            fits=False,
            message=(
                f"This model needs {format_bytes(needed_bytes)}, more than the whole model cache "
                f"budget of {format_bytes(budget)}. {raise_budget_hint()}, or choose a smaller "
                "model."
            ),
        )
    in_use = set(in_use)
    orphans = tuple(o for o in report.orphans if o.is_stale(orphan_min_age_s, now))
    over = used + needed_bytes - budget - sum(o.size_bytes for o in orphans)
    protected = tuple(m for m in report.models if protection_reason(m, in_use))
    candidates = sorted(
        (m for m in report.models if not protection_reason(m, in_use)),
        key=lambda m: (m.recency, m.key),
    )
    chosen: list[CachedModel] = []
    for model in candidates:
        if over <= 0:
            break
        chosen.append(model)
        over -= model.size_bytes
    if over > 0:
        held = ", ".join(
            f"{m.display_name} ({format_bytes(m.size_bytes)}, {protection_reason(m, in_use)})"
            for m in protected
        )
        message = (
            f"Cannot make room for {format_bytes(needed_bytes)} within the {format_bytes(budget)} "
            "model cache budget even after deleting every model that may be deleted: "
            f"{format_bytes(over)} more is needed."
        )
        if held:
            message += f" Kept: {held}."
        message += f" Unpin or delete a model, or {raise_budget_hint(first=False)}."
        return EvictionPlan(
            **base,
            evict=tuple(chosen),
            orphans=orphans,
            protected=protected,
            fits=False,
            message=message,
        )
    names = ", ".join(m.display_name for m in chosen) or "nothing but unfinished files"
    return EvictionPlan(
        **base,
        evict=tuple(chosen),
        orphans=orphans,
        protected=protected,
        message=f"To stay within {format_bytes(budget)}, delete {names}, freeing "
        f"{format_bytes(sum(m.size_bytes for m in chosen) + sum(o.size_bytes for o in orphans))}.",
    )


def _delete_model(model: CachedModel) -> None:
    if model.kind == "local":
        # Only ever a folder directly below models_dir(): never a referenced model's own folder.
        if model.path.resolve().parent != paths.models_dir().resolve():
            raise ModelError(f"Refusing to delete {model.path}: it is not in the model cache.")
        shutil.rmtree(model.path)
    else:
        download.delete_download(model.key)
    state.forget(model.key)
    log.info("Deleted model %s (%s)", model.key, format_bytes(model.size_bytes))


def _delete_orphan(orphan: Orphan) -> None:
    if orphan.kind == "staging-folder":
        shutil.rmtree(orphan.path, ignore_errors=True)
    else:
        orphan.path.unlink(missing_ok=True)
    log.info("Removed unfinished %s %s", orphan.kind, orphan.path.name)


def apply_eviction(plan: EvictionPlan, in_use: Iterable[str] = ()) -> int:
    """Delete what ``plan`` lists; bytes freed. A model that became pinned or in use since the
    plan was made is skipped. Does nothing for a plan that does not fit."""
    if not plan.fits:
        raise CacheBudgetError(plan.message)
    now_pinned = state.pinned()
    busy = set(in_use) | state.in_use()
    freed = 0
    for orphan in plan.orphans:
        _delete_orphan(orphan)
        freed += orphan.size_bytes
    for model in plan.evict:
        if model.key in busy or model.key in now_pinned:
            log.warning("Not deleting %s: it became pinned or in use", model.key)
            continue
        _delete_model(model)
        freed += model.size_bytes
    return freed


def ensure_room(needed_bytes: int, in_use: Iterable[str] = ()) -> int:
    """Make room for a download of ``needed_bytes``; bytes freed.
    CacheBudgetError when impossible. Prompt-cache files go first (they are re-creatable)."""
    report = cache_report()
    over = report.used_bytes + needed_bytes - report.budget_bytes
    if over > 0 and report.prompt_caches_bytes:
        prompt_caches.delete_oldest(over)
    plan = plan_eviction(needed_bytes, in_use=in_use)
    plan.raise_if_impossible()
    return apply_eviction(plan, in_use)


def clean_orphans(min_age_s: float = ORPHAN_MIN_AGE_S, *, dry_run: bool = False) -> list[Orphan]:
    """Remove partial downloads and staging folders untouched for ``min_age_s``."""
    stale = [o for o in _orphans() if o.is_stale(min_age_s)]
    if not dry_run:
        for orphan in stale:
            _delete_orphan(orphan)
    return stale


def remove_model(key: str, *, force: bool = False) -> CachedModel:
    """Delete one installed model (``logline models rm``). A model in use is never deleted; a
    pinned one only with ``force``."""
    model = cache_report().find(key)
    if model is None:
        raise ModelNotFoundError(f"No installed model named {key!r}.")
    if key in state.in_use():
        raise ModelInUseError(f"{model.display_name} is in use; unload it first.")
    if model.pinned and not force:
        raise ModelInUseError(f"{model.display_name} is pinned; unpin it first (or use --force).")
    _delete_model(model)
    return model


@dataclass(frozen=True)
class GcResult:
    dry_run: bool
    orphans: tuple[Orphan, ...]
    plan: EvictionPlan
    freed_bytes: int  # actually freed (0 on a dry run)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "orphans": [str(o.path) for o in self.orphans],
            "orphans_bytes": sum(o.size_bytes for o in self.orphans),
            "plan": self.plan.to_json(),
            "freed_bytes": self.freed_bytes,
        }


def gc(
    dry_run: bool = True,
    budget_bytes: int | None = None,
    in_use: Iterable[str] = (),
    orphan_min_age_s: float = ORPHAN_MIN_AGE_S,
) -> GcResult:
    """Stale orphans, plus least-recently-used models while the cache is over budget.
    ``dry_run`` (the default) only reports. When protected models alone exceed the budget, the
    plan does not fit (``plan.message`` says why) and every evictable model is still listed."""
    report = cache_report(budget_bytes)
    orphans = tuple(o for o in report.orphans if o.is_stale(orphan_min_age_s))
    plan = plan_eviction(0, budget_bytes, in_use, report=report, orphan_min_age_s=orphan_min_age_s)
    freed = 0
    if not dry_run:
        freed = sum(o.size_bytes for o in orphans)
        for orphan in orphans:
            _delete_orphan(orphan)
        if plan.evict:
            leftover = EvictionPlan(
                plan.needed_bytes, plan.budget_bytes, plan.used_bytes, evict=plan.evict
            )
            freed += apply_eviction(leftover, in_use)
    return GcResult(dry_run, orphans, plan, freed)
