"""The Briefcase staging keeps one source of truth: version and dependencies from pyproject;
the licence, the notices and the icon set are the real ones."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import logline

ROOT = Path(__file__).resolve().parents[1]


def _packaging(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _packaging("build_app").stage(tmp_path_factory.mktemp("pack") / "stage")


def test_staged_briefcase_project_matches_pyproject(staging: Path) -> None:
    build_app = _packaging("build_app")
    staged = tomllib.loads((staging / "pyproject.toml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    briefcase = tomllib.loads((ROOT / "briefcase.toml").read_text())["tool"]["briefcase"]

    tool = staged["tool"]["briefcase"]
    assert tool["version"] == project["version"]
    assert staged["project"]["license"] == project["license"] == "MIT"
    app = tool["app"]["logline"]
    locked = build_app.locked_requirements(build_app.lock_file(ROOT))
    assert app["requires"] == (locked if locked is not None else project["dependencies"])
    assert app["formal_name"] == briefcase["app"]["logline"]["formal_name"]
    assert app["macOS"]["min_os_version"] == "13.0"
    for source in app["sources"]:
        assert (staging / source / "__init__.py").is_file()
    package = staging / "src" / "logline"
    assert (package / "resources" / "prompts" / "synopsis.single.txt").is_file()
    assert (package / "resources" / "sample.fountain").is_file()
    assert not list(package.rglob("__pycache__"))


def test_the_staged_licence_and_notices_are_the_real_ones(staging: Path) -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    assert (staging / "LICENSE").read_text() == licence
    package = staging / "src" / "logline"
    assert (package / "LICENSE").read_text() == licence
    assert "Proprietary" not in (staging / "pyproject.toml").read_text()
    bundled = (package / "THIRD_PARTY_NOTICES.md").read_text()
    assert "| PySide6_Essentials | LGPL-3.0" in bundled
    lgpl = (package / "licenses" / "LGPL-3.0.txt").read_text()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl
    assert "GNU GENERAL PUBLIC LICENSE" in (package / "licenses" / "GPL-3.0.txt").read_text()


def test_one_version_everywhere(staging: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    staged = tomllib.loads((staging / "pyproject.toml").read_text())["tool"]["briefcase"]
    out = subprocess.run(
        [sys.executable, "-m", "logline", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "app")},
        timeout=60,
    ).stdout.strip()
    assert project["version"] == logline.__version__ == staged["version"]
    assert out == f"logline {project['version']}"
    assert _packaging("build_app").app_version(ROOT) == logline.__version__


def test_notices_list_the_licences_from_package_metadata() -> None:
    notices = _packaging("notices")
    rows = {n.name.lower().replace("_", "-"): n.license for n in notices.notices(ROOT)}
    assert rows["pyside6-essentials"].startswith("LGPL-3.0")
    assert rows["shiboken6"].startswith("LGPL-3.0")
    assert rows["mlx"] == "MIT"
    assert rows["mlx-lm"] == "MIT"
    assert all(license_ for license_ in rows.values())
    # Dev tools and the reference stack are not shipped, so not listed.
    assert "pytest" not in rows
    assert "torch" not in rows


def _differences_from_the_linux_lock() -> list[str]:
    build_app = _packaging("build_app")
    pins = build_app.locked_requirements(build_app.lock_file(ROOT, "linux")) or []
    differ = []
    for pin in pins:
        name, version = pin.split(";")[0].strip().split("==")
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ.append(f"{name} {installed} (lock: {version})")
    return differ


def test_the_committed_notices_are_current() -> None:
    """The committed file is the notices of the Linux lock's packages, read from their metadata:
    `python packaging/notices.py` refreshes it (after `make lock`). Checked where the installed
    packages are the locked ones; a venv resolved from the ranges alone may hold other packages
    than the lock, and `make package` writes the notices of what it bundles in any case."""
    differ = _differences_from_the_linux_lock()
    if differ:
        pytest.skip(f"installed packages differ from the Linux lock: {', '.join(differ[:5])}")
    notices = _packaging("notices")
    assert (ROOT / "THIRD_PARTY_NOTICES.md").read_text() == notices.render(notices.notices(ROOT))


def test_the_lock_files_pin_exact_versions() -> None:
    build_app = _packaging("build_app")
    for target in ("darwin", "linux"):
        pins = build_app.locked_requirements(build_app.lock_file(ROOT, target))
        assert pins, target
        assert all("==" in pin and ">" not in pin.split(";")[0] for pin in pins), target
    mac = build_app.locked_requirements(build_app.lock_file(ROOT, "darwin"))
    # macOS 13 has MLX wheels only up to 0.29.3: the Mac lock is the oldest supported stack.
    assert "mlx==0.29.3" in mac
    assert any(pin.startswith("keyring==") for pin in mac)
