"""The Briefcase staging keeps one source of truth: version and dependencies from pyproject."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _build_app():
    spec = importlib.util.spec_from_file_location("build_app", ROOT / "packaging" / "build_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_staged_briefcase_project_matches_pyproject(tmp_path: Path) -> None:
    staging = _build_app().stage(tmp_path / "stage")
    staged = tomllib.loads((staging / "pyproject.toml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    briefcase = tomllib.loads((ROOT / "briefcase.toml").read_text())["tool"]["briefcase"]

    tool = staged["tool"]["briefcase"]
    assert tool["version"] == project["version"]
    app = tool["app"]["logline"]
    assert app["requires"] == project["dependencies"]
    assert app["formal_name"] == briefcase["app"]["logline"]["formal_name"]
    assert app["macOS"]["min_os_version"] == "13.0"
    for source in app["sources"]:
        assert (staging / source / "__init__.py").is_file()
    package = staging / "src" / "logline"
    assert (package / "resources" / "prompts" / "synopsis.single.txt").is_file()
    assert (package / "resources" / "sample.fountain").is_file()
    assert not list(package.rglob("__pycache__"))
