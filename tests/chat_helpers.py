"""Shared pieces of the chat tests: a small screenplay, the tiny model installed, event capture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logline import paths
from logline.models.folder_import import import_model_folder
from logline.models.registry import InstalledModel, find_model

SCENES = (
    ("INT. PRINT SHOP - NIGHT", "MAVIS", "The press jams again. Somebody fix it before dawn."),
    ("EXT. RIVER - DAY", "EDWARD", "The giant follows me to the water every morning."),
    ("INT. DINER - NIGHT", "MAVIS", "We print the paper tonight or we never print again."),
    ("EXT. RIVER - NIGHT", "EDWARD", "I wade in and the river carries the pages away."),
)


def write_script(folder: Path, repeats: int = 1, name: str = "river.fountain") -> Path:
    """A Fountain screenplay of ``4 * repeats`` scenes with two speaking characters."""
    lines = ["Title: The River Press", "Author: Test Writer", ""]
    for n in range(repeats):
        for heading, who, line in SCENES:
            lines += [heading, "", f"{who.title()} stands by the door, take {n + 1}.", ""]
            lines += [who, line, ""]
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def install_tiny(tiny_model_dir: Path, model_id: str = "tiny") -> InstalledModel:
    import_model_folder(
        tiny_model_dir, paths.models_dir(), model_id=model_id, display_name=model_id.title()
    )
    return find_model(model_id)


class Events(list):
    """Every event a turn emitted, with helpers to pick some out."""

    def of(self, kind: type) -> list[Any]:
        return [e for e in self if isinstance(e, kind)]
