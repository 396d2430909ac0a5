"""Loading through ``models.loading``: the memory check first, then the usage record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from logline import paths
from logline.engine.runtime import Engine
from logline.models import fit, loading, state
from logline.models.registry import find_model


@pytest.fixture
def two_models(tiny_model_dir: Path) -> tuple[str, str]:
    """The tiny model installed twice under different ids."""
    from logline.models.manifest import MANIFEST_NAME, ModelManifest

    ids = ("tiny-a", "tiny-b")
    for model_id in ids:
        folder = paths.models_dir() / model_id
        shutil.copytree(tiny_model_dir, folder)
        manifest = ModelManifest.read(folder / MANIFEST_NAME)
        manifest.model_id = model_id
        manifest.write(folder / MANIFEST_NAME)
    return ids


def _machine_with(monkeypatch: pytest.MonkeyPatch, usable_bytes: int) -> None:
    """Pretend this machine can give models only ``usable_bytes`` (a small Mac)."""
    monkeypatch.setattr(fit, "usable_memory", lambda ram=None: (usable_bytes * 2, usable_bytes))


def test_loading_records_use_and_switching_releases_the_previous(two_models: tuple) -> None:
    engine = Engine()
    a, b = two_models
    outcome = loading.load_model(engine, find_model(a))
    assert outcome.loaded.model_id == a and outcome.warning is None
    assert state.in_use() == {a} and state.last_used(a) is not None
    first_use = state.last_used(a)
    loading.load_model(engine, find_model(b))
    assert state.in_use() == {b}
    loading.load_model(engine, find_model(a))  # back again: touched again
    assert state.in_use() == {a} and state.last_used(a) >= first_use
    loading.unload_model(engine)
    assert state.in_use() == frozenset() and engine.loaded is None


def test_a_model_that_cannot_fit_is_refused_before_any_weight_is_read(
    two_models: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    _machine_with(monkeypatch, 1024)
    engine = Engine()
    with pytest.raises(loading.ModelDoesNotFitError, match=r"needs about .* Choose a smaller"):
        loading.load_model(engine, find_model(two_models[0]))
    assert engine.loaded is None and state.in_use() == frozenset()
    forced = loading.load_model(engine, find_model(two_models[0]), force=True)
    assert forced.loaded.model_id == two_models[0]
    loading.unload_model(engine)


def test_a_tight_fit_loads_with_a_warning(
    two_models: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = find_model(two_models[0])
    short = fit.advise_for_folder(model.path, loading.MINIMUM_CONTEXT, usable=1 << 40)
    full = fit.advise_for_folder(model.path, 131072, usable=1 << 40)
    assert full.needed_bytes > short.needed_bytes
    _machine_with(monkeypatch, (short.needed_bytes + full.needed_bytes) // 2)
    engine = Engine()
    outcome = loading.load_model(engine, model, context=131072)
    assert outcome.warning is not None and "shorter context" in outcome.warning
    assert outcome.verdict is not None and outcome.verdict.context == loading.MINIMUM_CONTEXT
    loading.unload_model(engine)
