"""Importing models from a drive in the Models window: MLX folders (copied or referenced), float
Hugging Face folders (converted on the engine thread), GGUF files, refusals and cancel."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread

from logline import paths
from logline.models import import_source
from logline.models.import_source import (
    CANCELLED_MESSAGE,
    ImportProgress,
    ImportRequest,
    run_import,
)
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from logline.ui.engine_worker import EngineHost
from logline.ui.import_panel import THREAD_NAME, WAITING_TEXT, describe_import_progress
from logline.ui.jobs import Job
from logline.ui.models_dialog import ModelsDialog
from logline.units import format_bytes
from tiny_models import write_tiny_hf_llama, write_tiny_llama_gguf

pytestmark = pytest.mark.gui

TIMEOUT_MS = 120_000


@pytest.fixture
def host(qtbot) -> Iterator[EngineHost]:
    host = EngineHost()
    yield host
    assert host.shutdown()


@pytest.fixture
def dialog(qtbot, host: EngineHost) -> Iterator[ModelsDialog]:
    dialog = ModelsDialog(host=host)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    assert dialog.shutdown(5)
    dialog.close()
    left = [t.name for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]
    assert not left, f"import thread(s) still running: {left}"


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_hf_llama(tmp_path_factory.mktemp("drive") / "Tiny-HF")


def _manifest(model_id: str) -> ModelManifest:
    return ModelManifest.read(paths.models_dir() / model_id / MANIFEST_NAME)


def _leftovers() -> list[str]:
    root = paths.models_dir()
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _answer(dialog: ModelsDialog, label: str) -> None:
    box = dialog.question
    assert box is not None
    button = next(b for b in box.buttons() if b.text() == label)
    button.click()


def _progress_texts(dialog: ModelsDialog) -> list[str]:
    texts: list[str] = []
    dialog.imports.progress.connect(lambda text, _per_mille: texts.append(text))
    return texts


def test_progress_reads_like_a_person_wrote_it() -> None:
    assert describe_import_progress("Copying", 1_200_000_000, 4_500_000_000) == (
        "Copying 1.2 / 4.5 GB"
    )
    assert describe_import_progress("Writing", 2_000_000, 5_000_000) == "Writing 2.0 / 5.0 MB"
    assert describe_import_progress("Quantizing", 12, 30) == "Quantizing: module 12 of 30"
    assert describe_import_progress("Reading tensors", 50, 1000) == "Reading tensors…"
    assert describe_import_progress("Waiting", 0, 0) == WAITING_TEXT


def test_copy_an_mlx_folder(qtbot, dialog: ModelsDialog, tiny_model_dir: Path) -> None:
    texts = _progress_texts(dialog)
    with qtbot.waitSignals([dialog.modelsChanged, dialog.importEnded], timeout=TIMEOUT_MS):
        assert dialog.imports.import_path(tiny_model_dir)
        assert dialog.imports.import_bar.isVisible()
        assert not dialog.imports.import_button.isEnabled()
    model_id = tiny_model_dir.name
    installed = paths.models_dir() / model_id
    assert (installed / "model.safetensors").stat().st_size == (
        tiny_model_dir / "model.safetensors"
    ).stat().st_size
    assert _manifest(model_id).source == "import"
    assert dialog.selected_row() is not None and dialog.selected_row().key == model_id
    assert dialog.message.text().endswith("is imported and ready to use.")
    size = (tiny_model_dir / "model.safetensors").stat().st_size
    unit = format_bytes(size).split()[-1]  # the tiny model counts in KB or MB
    assert any(
        text.startswith("Copying ") and " / " in text and text.endswith(unit) for text in texts
    )
    assert not dialog.imports.import_bar.isVisible() and dialog.imports.import_button.isEnabled()


def test_reference_an_mlx_folder_in_place(
    qtbot, dialog: ModelsDialog, tiny_model_dir: Path
) -> None:
    dialog.imports.ask_import(tiny_model_dir)
    assert dialog.question is not None
    assert "where it is" in dialog.question.text()
    with qtbot.waitSignal(dialog.importEnded, timeout=TIMEOUT_MS) as ended:
        _answer(dialog, "Use It Where It Is")
    assert ended.args == ["done"]
    manifest = _manifest(tiny_model_dir.name)
    assert manifest.source == "reference" and manifest.location == str(tiny_model_dir)
    assert not (paths.models_dir() / tiny_model_dir.name / "model.safetensors").exists()
    assert dialog.selected_row().key == tiny_model_dir.name


def test_a_float_folder_is_converted_on_the_engine_thread(
    qtbot, dialog: ModelsDialog, host: EngineHost, hf_folder: Path, monkeypatch
) -> None:
    texts = _progress_texts(dialog)
    on_engine: list[bool] = []
    convert = import_source.convert_model_folder

    def converting(*args, progress, **kwargs):
        def report(stage: str, done: int, total: int) -> None:
            on_engine.append(QThread.currentThread() is host.thread_handle)
            progress(stage, done, total)

        return convert(*args, progress=report, **kwargs)

    monkeypatch.setattr(import_source, "convert_model_folder", converting)
    dialog.imports.ask_import(hf_folder)
    assert dialog.question is not None
    assert "4-bit" in dialog.question.text() and "takes a while" in dialog.question.text()
    with qtbot.waitSignal(dialog.importEnded, timeout=TIMEOUT_MS) as ended:
        _answer(dialog, "Convert to 4-bit")
    assert ended.args == ["done"], dialog.message.text()
    manifest = _manifest("Tiny-HF")
    assert manifest.quantization.startswith("4-bit") and manifest.format == "mlx"
    config = json.loads((paths.models_dir() / "Tiny-HF" / "config.json").read_text())
    assert config["quantization"]["bits"] == 4
    assert on_engine and all(on_engine)
    assert any(text.startswith("Quantizing: module ") for text in texts)
    assert any(text.startswith("Writing ") for text in texts)
    assert dialog.selected_row().key == "Tiny-HF"
    assert _leftovers() == ["Tiny-HF"]


def test_a_gguf_file_is_imported(qtbot, dialog: ModelsDialog, tmp_path: Path) -> None:
    gguf = write_tiny_llama_gguf(tmp_path / "drive" / "tiny-story.gguf", name="Tiny Story")
    with qtbot.waitSignals([dialog.modelsChanged, dialog.importEnded], timeout=TIMEOUT_MS):
        dialog.imports.ask_import(gguf)  # a GGUF file needs no question
        assert dialog.question is None
    manifest = _manifest("tiny-story")
    assert manifest.format == "gguf" and manifest.display_name == "Tiny Story"
    assert dialog.selected_row().key == "tiny-story"
    assert dialog.selected_row().display_name == "Tiny Story"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: (d / "weights.bin").write_bytes(b"x"), "no config.json"),
        (
            lambda d: (
                (d / "config.json").write_text('{"model_type": "llama"}'),
                (d / "pytorch_model.bin").write_bytes(b"x"),
            ),
            "only pickle weights",
        ),
    ],
)
def test_a_bad_folder_shows_the_validation_message(
    dialog: ModelsDialog, tmp_path: Path, make, expected: str
) -> None:
    folder = tmp_path / "Not-A-Model"
    folder.mkdir()
    make(folder)
    assert not dialog.imports.import_path(folder)
    assert expected in dialog.message.text()
    assert dialog.message.property("level") == "error"
    assert not dialog.imports.running and not dialog.imports.import_bar.isVisible()
    assert _leftovers() == []


def test_other_files_are_refused(dialog: ModelsDialog, tmp_path: Path) -> None:
    other = tmp_path / "script.fountain"
    other.write_text("INT. HOUSE - DAY\n")
    dialog.imports.ask_import(other)
    assert dialog.question is None
    assert "not a GGUF file or a model folder" in dialog.message.text()


def test_cancel_during_a_conversion_leaves_nothing(
    qtbot, dialog: ModelsDialog, host: EngineHost, hf_folder: Path, monkeypatch
) -> None:
    # The engine thread holds at the first converted module until the GUI has pressed Cancel,
    # so the cancel lands mid-conversion whatever the machine's speed.
    pressed = threading.Event()
    convert = import_source.convert_model_folder

    def converting(*args, progress, **kwargs):
        def engine_side(stage: str, done: int, total: int) -> None:
            progress(stage, done, total)
            if stage == "Quantizing" and done == 1:
                pressed.wait(30)

        return convert(*args, progress=engine_side, **kwargs)

    def gui_side(event: object) -> None:
        if isinstance(event, ImportProgress) and event.stage == "Quantizing" and event.done == 1:
            dialog.imports.import_cancel_button.click()
            pressed.set()

    monkeypatch.setattr(import_source, "convert_model_folder", converting)
    host.jobQueued.connect(lambda job: job.on_event(gui_side))
    with qtbot.waitSignal(dialog.importEnded, timeout=TIMEOUT_MS) as ended:
        assert dialog.imports.import_path(hf_folder, quantize=8)
    assert pressed.is_set()
    assert ended.args == ["cancelled"]
    assert dialog.message.text() == CANCELLED_MESSAGE
    assert _leftovers() == []  # no model folder, no staging folder
    assert not dialog.imports.running and dialog.imports.import_button.isEnabled()


def test_an_import_queued_behind_a_summary_says_it_is_waiting(
    qtbot, dialog: ModelsDialog, host: EngineHost, tmp_path: Path
) -> None:
    # Hold the engine thread with another import job, as a running summary would.
    release = threading.Event()
    gguf = write_tiny_llama_gguf(tmp_path / "tiny-wait.gguf")
    first_request = ImportRequest("gguf", gguf, paths.models_dir(), "first")

    def held(_engine, cancel, _emit) -> str:
        release.wait(30)
        return run_import(first_request, lambda *_a: None, cancel)

    first: Job = host.job(held, name="first import")
    ends: list[str] = []
    dialog.importEnded.connect(ends.append)
    with qtbot.waitSignal(first.finished, timeout=TIMEOUT_MS):
        first.run()
        assert host.busy
        try:
            assert dialog.imports.import_path(gguf)
            assert dialog.imports.import_label.text() == WAITING_TEXT
        finally:
            release.set()
    # The other job's outcome is not taken for the dialog's own.
    assert (paths.models_dir() / "first").is_dir()
    assert ends == [] or dialog.selected_row().key != "first"
    qtbot.waitUntil(lambda: ends == ["done"], timeout=TIMEOUT_MS)
    assert dialog.selected_row().key == "tiny-wait"
    assert set(_leftovers()) == {"first", "tiny-wait"}
    assert not host.busy


def test_without_an_engine_mlx_imports_are_refused_in_plain_words(qtbot, tmp_path: Path) -> None:
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    gguf = write_tiny_llama_gguf(tmp_path / "tiny.gguf")
    with qtbot.waitSignal(dialog.importEnded) as ended:
        assert not dialog.imports.import_path(gguf)
    assert ended.args == ["failed"]
    assert "needs the engine" in dialog.message.text()
    assert not dialog.imports.running


def test_the_import_button_opens_a_chooser_without_blocking(
    qtbot, dialog: ModelsDialog, tiny_model_dir: Path
) -> None:
    actions = [a.text() for a in dialog.imports.import_button.menu().actions()]
    assert actions == ["GGUF File…", "Model Folder…"]
    dialog.imports.choose_folder()  # returns at once: the chooser is opened with open()
    chooser = dialog.imports.file_dialog
    assert chooser is not None and chooser.isVisible()
    chooser.fileSelected.emit(str(tiny_model_dir))
    chooser.reject()
    assert dialog.imports.file_dialog is None
    assert dialog.question is not None  # copy or use in place?
    with qtbot.waitSignal(dialog.importEnded, timeout=TIMEOUT_MS) as ended:
        _answer(dialog, "Copy Into Logline")
    assert ended.args == ["done"]


def test_the_main_window_imports_on_its_engine_and_refreshes_the_picker(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from logline.ui.main_window import MainWindow

    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    try:
        dialog = window.open_models_dialog()
        assert dialog.imports.host is window.host  # no second engine thread
        gguf = write_tiny_llama_gguf(tmp_path / "tiny-picker.gguf", name="Tiny Picker")
        with qtbot.waitSignal(dialog.importEnded, timeout=TIMEOUT_MS) as ended:
            dialog.imports.import_path(gguf)
        assert ended.args == ["done"]
        assert "tiny-picker" in [c.model_id for c in window.model_picker.choices()]
    finally:
        window.close()
