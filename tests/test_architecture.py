"""Mechanical checks of the architecture rules: Qt only in ui/, heavy imports stay lazy."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "logline"
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "PySide2")
HEAVY_MODULES = ("mlx", "mlx_lm", "pypdf", "transformers", "torch", "PySide6", "tokenizers")


def _imported_modules(path: Path) -> set[str]:
    """Every module an AST imports, wherever the import statement sits (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def _core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts[:1]]


def test_core_never_imports_qt() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in QT_MODULES
        )
        for path in _core_files()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"Qt imported outside logline/ui: {offenders}"


def test_the_rule_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6.QtCore import QObject\n    return QObject\n")
    assert "PySide6.QtCore" in _imported_modules(bad)


def test_ui_is_where_qt_lives() -> None:
    ui_files = list((PACKAGE / "ui").rglob("*.py"))
    assert any(m.split(".")[0] == "PySide6" for path in ui_files for m in _imported_modules(path))


def test_startup_imports_stay_light() -> None:
    """Importing the CLI, the entry point and the core facades pulls in no heavy library."""
    code = (
        "import sys, json\n"
        "import logline.__main__, logline.cli, logline.engine, logline.summarize\n"
        "import logline.models.registry, logline.documents, logline.engine.runtime\n"
        "import logline.engine.remote\n"
        f"heavy = {HEAVY_MODULES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


@pytest.mark.skipif(
    shutil.which("lint-imports") is None
    and not (Path(sys.executable).parent / "lint-imports").exists(),
    reason="import-linter not installed",
)
def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [exe, "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parents[1]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_session_runs_mlx_on_the_blas_logline_picks() -> None:
    """The suite's own speed: ``conftest`` imports MLX through Logline before any test module
    can import ``mlx.core`` first (which left every real-model test on the bundled reference
    BLAS, and the suite twice as slow)."""
    from logline.engine.mlx_runtime import blas_library, find_openblas

    if not sys.platform.startswith("linux") or find_openblas() is None:
        pytest.skip("Logline picks a BLAS only on Linux with OpenBLAS installed")
    assert blas_library() == find_openblas()
