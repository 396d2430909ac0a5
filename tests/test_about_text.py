"""Help > About names the licences: the app's, its libraries' notices, every installed model's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from logline import __version__, paths
from logline.ui.about_text import UNKNOWN_LICENSE, about_html, model_licences


def _install(source: Path, model_id: str) -> Path:
    """A copy of ``source`` installed in this test's model cache under ``model_id``."""
    folder = paths.models_dir() / model_id
    shutil.copytree(source, folder)
    manifest = folder / "logline.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "model_id": model_id}), encoding="utf-8")
    return folder


def test_about_lists_each_installed_models_licence(tiny_model_dir: Path) -> None:
    stated = _install(tiny_model_dir, "tiny-stated")
    (stated / "README.md").write_text("---\nlicense: mit\n---\n# Tiny\n", encoding="utf-8")
    _install(tiny_model_dir, "tiny-silent")
    licences = dict(model_licences())
    assert licences["tiny-stated"] == "mit"
    assert licences["tiny-silent"] == UNKNOWN_LICENSE
    text = about_html()
    assert __version__ in text and "MIT licence" in text and "THIRD_PARTY_NOTICES.md" in text
    assert "<li>tiny-stated: mit</li>" in text


def test_about_without_models_still_names_the_licences() -> None:
    assert model_licences() == []
    assert "Models installed here" not in about_html() and "LGPL-3.0" in about_html()
