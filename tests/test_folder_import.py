"""Importing a model folder from a drive: validation, copy or reference, and the CLI."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

import offline_cli
from logline.models.errors import ModelImportError, ModelNotFoundError
from logline.models.folder_import import (
    check_safetensors,
    import_model_folder,
    validate_model_folder,
)
from logline.models.registry import find_model, installed_models


@pytest.fixture
def drive_model(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny MLX model as it would arrive on a drive (no Logline manifest)."""
    folder = tmp_path / "drive" / "tiny-llama-mlx"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "logline.json").unlink(missing_ok=True)
    (folder / "README.md").write_text("not copied")
    (folder / "modeling_custom.py").write_text("raise SystemExit('never run')")
    return folder


def test_copy_installs_a_validated_model(drive_model: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    seen: list[tuple[int, int]] = []
    manifest = import_model_folder(
        drive_model, root, model_id="tiny-copy", progress=lambda d, t: seen.append((d, t))
    )
    assert manifest.source == "import" and manifest.format == "mlx" and not manifest.location
    model = find_model("tiny-copy", root)
    assert model.path == root / "tiny-copy"
    assert (
        not (model.path / "README.md").exists() and not (model.path / "modeling_custom.py").exists()
    )
    total = seen[-1][1]
    assert seen[-1] == (total, total) and total == sum(
        f.stat().st_size for f in model.path.iterdir() if f.name != "logline.json"
    )
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no staging left


def test_reference_keeps_the_weights_on_the_drive(drive_model: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    import_model_folder(drive_model, root, model_id="tiny-ref", reference=True)
    assert sorted(p.name for p in (root / "tiny-ref").iterdir()) == ["logline.json"]
    model = find_model("tiny-ref", root)
    assert model.path == drive_model.resolve() and model.manifest.source == "reference"
    # The drive is unplugged: the model is not offered, and asking for it says why.
    drive_model.rename(drive_model.with_name("elsewhere"))
    assert [m.model_id for m in installed_models(root)] == []
    with pytest.raises(ModelNotFoundError, match="not reachable now"):
        find_model("tiny-ref", root)


def test_a_cancelled_copy_leaves_nothing(drive_model: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelImportError, match="cancelled"):
        import_model_folder(drive_model, root, model_id="tiny", cancel=cancel)
    assert list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "config.json").unlink(), "no config.json"),
        (lambda f: (f / "config.json").write_text("{"), "cannot be read"),
        (
            lambda f: (f / "config.json").write_text('{"model_type": "nonexistent_arch"}'),
            "cannot run",
        ),
        (lambda f: (f / "tokenizer.json").unlink(), "no tokenizer"),
        (
            lambda f: [p.rename(p.with_suffix(".bin")) for p in f.glob("*.safetensors")],
            "only pickle weights",
        ),
        (
            lambda f: [p.write_bytes(p.read_bytes()[:-100]) for p in f.glob("*.safetensors")],
            "truncated",
        ),
        (
            lambda f: (f / "model.safetensors.index.json").write_text(
                json.dumps({"weight_map": {"a": "model-00002-of-00002.safetensors"}})
            ),
            "incomplete",
        ),
    ],
    ids=["no-config", "bad-config", "unknown-arch", "no-tokenizer", "pickle", "truncated", "shard"],
)
def test_invalid_folders_are_refused(drive_model: Path, tmp_path: Path, damage, message) -> None:
    damage(drive_model)
    with pytest.raises(ModelImportError, match=message):
        import_model_folder(drive_model, tmp_path / "models", model_id="broken")
    assert not (tmp_path / "models" / "broken").exists()


def test_safetensors_header_check(tmp_path: Path) -> None:
    bad = tmp_path / "model.safetensors"
    bad.write_bytes((10**9).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelImportError, match="not a valid safetensors"):
        check_safetensors(bad)


def test_validate_returns_the_config(drive_model: Path) -> None:
    assert validate_model_folder(drive_model)["model_type"] == "llama"


def test_cli_imports_a_folder_offline(drive_model: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = offline_cli.run(
        home, "models", "import", str(drive_model), "--id", "drive", "--reference", "--json"
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model_id"] == "drive" and info["referenced"] is True
    listed = offline_cli.run(home, "models", "list", "--json")
    assert [m["model_id"] for m in json.loads(listed.stdout)] == ["drive"]
    refused = offline_cli.run(home, "models", "import", str(tmp_path), "--id", "x")
    assert refused.returncode == 1 and "no config.json" in refused.stderr
