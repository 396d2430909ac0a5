"""Screenshots of the real app for the README and docs/screenshots/ (``make screenshots``).

Run under a display at 1440×900, e.g.::

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/make_screenshots.py
    .venv/bin/python docs/make_screenshots.py --only empty,dark --out /tmp/shots

It builds the real ``MainWindow`` in a real ``QApplication`` (the xcb platform unless
``QT_QPA_PLATFORM`` says otherwise) with the embedded model, in a temporary ``LOGLINE_HOME``
(the user's settings, history and models are never touched; the installed embedded model is
linked in when ``make setup`` installed it, else the app installs it there on first use). It
opens corpus screenplays when ``../shared/corpus`` (or ``/work/shared/corpus``) exists, else
sample Fountain files it writes to the temporary folder, and drives the window through each
state without blocking: every shot is a generator that yields what it waits for (a condition,
a signal, a pause), and a ``QTimer`` resumes it. Streams are bounded: a summary or an answer is
photographed a few seconds in, then stopped.

Adding a shot: write ``def shot_name(s: Session) -> Shot`` (yield waits, then ``s.save(name,
widget)``; ``s.skip(reason)`` when the feature is not in this build) and list it in ``SHOTS``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "tests"))  # hub_server: the local hub of the download tests

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1440, 900
MAX_PNG_BYTES = 300 * 1024
POLL_MS = 50

log = logging.getLogger("screenshots")


# -- waiting without blocking ---------------------------------------------------------------


@dataclass
class Wait:
    """What a shot waits for: ``ready()`` true within ``timeout_s`` (else the shot fails)."""

    ready: Callable[[], bool]
    timeout_s: float
    what: str


class Skip(Exception):
    """The shot's feature is not in this build: logged, not an error."""


Shot = Generator[Wait, None, None]


class Session:
    """The app, the window and the helpers the shots share."""

    def __init__(self, app: Any, window: Any, corpus: Corpus, out: Path, work: Path) -> None:
        self.app, self.window, self.corpus, self.out, self.work = app, window, corpus, out, work
        self.saved: list[Path] = []

    # waits
    def until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> Wait:
        return Wait(ready, timeout_s, what)

    def pause(self, ms: int) -> Wait:
        deadline = time.monotonic() + ms / 1000
        return Wait(lambda: time.monotonic() >= deadline, ms / 1000 + 5, f"{ms} ms")

    def signal(self, signal: Any, timeout_s: float, what: str) -> Wait:
        """Wait for ``signal`` (connect first, then yield: one emitted before is missed)."""
        fired: list[bool] = []

        def on_signal(*_args: object) -> None:
            fired.append(True)

        signal.connect(on_signal)
        return Wait(lambda: bool(fired), timeout_s, what)

    def skip(self, reason: str) -> None:
        raise Skip(reason)

    # the window's states
    def open(self, path: Path) -> Shot:
        window = self.window
        if window.document is not None and window.document.path == path:
            return
        opened = self.signal(window.documentOpened, 60, f"{path.name} opened")
        if not window.open_file(path):
            raise RuntimeError(f"could not start opening {path.name}")
        yield opened

    def idle(self) -> Shot:
        """Stop whatever runs, and wait until the window is idle again."""
        window = self.window
        if window.generating:
            window.stop()
        if window.chat.busy:
            window.chat.stop()
        yield self.until(lambda: not window.generating and not window.chat.busy, 60, "idle")
        yield self.pause(300)

    # pictures
    def save(self, name: str, widget: Any) -> Path:
        self.app.processEvents()
        image = widget.grab().toImage()
        path = self.out / f"{name}.png"
        image.save(str(path), "PNG", 9)
        if path.stat().st_size > MAX_PNG_BYTES:  # keep the repository light: 256 colours
            own_colours(image).save(str(path), "PNG", 9)
        size = path.stat().st_size
        log.info("saved %s (%dx%d, %d KB)", path.name, image.width(), image.height(), size // 1024)
        if size > MAX_PNG_BYTES:
            log.warning("%s is %d KB (over %d KB)", path.name, size // 1024, MAX_PNG_BYTES // 1024)
        self.saved.append(path)
        return path


def own_colours(image: Any) -> Any:
    """``image`` in its own 256 most used colours (Qt's default 8-bit table is a fixed colour
    cube, which turns a dark grey into another); flat window colours stay exact."""
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=rgb.width() * rgb.height())
    colours, counts = np.unique(pixels, return_counts=True)
    table = [int(c) for c in colours[np.argsort(counts)[::-1][:256]]]
    return rgb.convertToFormat(
        QImage.Format.Format_Indexed8, table, Qt.ImageConversionFlag.ThresholdDither
    )


# -- documents ------------------------------------------------------------------------------


@dataclass
class Corpus:
    short: Path  # a screenplay read whole (a streaming summary, the chat)
    long: Path  # a feature script (summarized from notes: the map phase)


def find_corpus() -> Path | None:
    for folder in (ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if (folder / "scripts" / "fountain").is_dir():
            return folder / "scripts" / "fountain"
    return None


SAMPLE_SCENE = """\
{heading}

{name} crosses the room with a box of old scripts and sets it on the desk.

{name}
Every page in here was somebody's best idea.

MAVIS
Then read them like it.

{name} opens the box. Dust. A title page: THE NIGHT SHIFT.

"""
HEADINGS = ("INT. DINER - NIGHT", "EXT. PARKING LOT - DAWN", "INT. WRITERS' ROOM - DAY")


def sample_script(path: Path, scenes: int) -> Path:
    """A sample Fountain screenplay of ``scenes`` scenes (no corpus here)."""
    names = ("EDWARD", "JUNE", "SAM")
    body = "".join(
        SAMPLE_SCENE.format(heading=HEADINGS[i % 3], name=names[i % 3]) for i in range(scenes)
    )
    path.write_text(f"Title: The Night Shift\nAuthor: A. Writer\n\n{body}", encoding="utf-8")
    return path


def documents(work: Path) -> Corpus:
    corpus = find_corpus()
    if corpus is not None:
        log.info("documents from the corpus at %s", corpus)
        return Corpus(corpus / "printing-trouble.fountain", corpus / "big-fish.fountain")
    log.info("no corpus: sample scripts in %s", work)
    return Corpus(
        sample_script(work / "night-shift.fountain", 8), sample_script(work / "long.fountain", 160)
    )


# -- the shots ------------------------------------------------------------------------------


def shot_empty(s: Session) -> Shot:
    yield s.pause(800)
    s.save("empty", s.window)
    notice = s.window.first_run_notice  # the built-in model's first-run notice: "Keep Using"
    if notice.isVisible():
        notice.keep_button.click()


def shot_screenplay(s: Session) -> Shot:
    """A screenplay (its navigator, where this build has one) and its summary streaming."""
    window = s.window
    yield from s.open(s.corpus.short)
    if getattr(getattr(window, "script_pane", None), "navigator", None) is None:
        log.info("screenplay: no scene navigator in this build (the shot shows the script alone)")
    window.summarize()
    # A few lines in (or the end, should the model stop first).
    yield s.until(
        lambda: len(window.summary_view.text) > 400 or not window.generating, 300, "a summary"
    )
    yield s.pause(400)
    s.save("screenplay", window)
    yield from s.idle()


def shot_chat(s: Session) -> Shot:
    """The chat pane mid-answer."""
    window = s.window
    yield from s.open(s.corpus.short)
    question = "Who is the main character, and what does she want?"
    window.chat_pane.composer.edit.setPlainText(question)
    window.chat_pane.askRequested.emit(question)
    window.chat_pane.composer.edit.clear()
    view = window.chat_pane.view
    yield s.until(lambda: len(view.answer_text()) > 250 or not window.chat.busy, 300, "an answer")
    yield s.pause(300)
    s.save("chat", window)
    yield from s.idle()


def shot_dark(s: Session) -> Shot:
    """The main window (as the shots before left it) in the dark theme."""
    from logline.ui.style import apply
    from logline.ui.theme import current_theme

    apply(s.app, current_theme("dark"))
    try:
        yield s.pause(600)
        s.save("dark", s.window)
    finally:
        apply(s.app, current_theme("light"))


def shot_history(s: Session) -> Shot:
    """The history panel of the open document (its stopped summary, its conversation)."""
    history = getattr(s.window, "history", None) or getattr(s.window, "history_panel", None)
    show = getattr(history, "show_panel", None) or getattr(history, "show", None)
    if history is None or show is None:
        s.skip("no history panel in this build")
    show()
    yield s.pause(600)
    s.save("history", s.window)


def shot_map_progress(s: Session) -> Shot:
    """A feature script summarized from notes: the map phase's progress and notes."""
    window = s.window
    yield from s.open(s.corpus.long)
    window.summarize()
    notes = window.notes_view
    yield s.until(lambda: window.presenter.phase == "map", 300, "the map phase")

    def written() -> int:
        return sum(len(section.text) for section in notes.sections)

    yield s.until(lambda: written() > 700, 400, "notes being written")
    yield s.pause(500)
    s.save("map-progress", window)
    yield from s.idle()


def shot_models_download(s: Session) -> Shot:
    """The Models window with a download in progress from a local hub (a slow one)."""
    from hub_server import FakeHub, tiny_model_files
    from logline.config import update_settings
    from logline.models import catalog

    entry = catalog.find_entry("llama-3.2-1b-instruct")
    if entry is None:
        s.skip("no llama-3.2-1b-instruct entry in the catalog")
    hub = FakeHub().start()
    try:
        hub.add_repo(entry.repo_id, tiny_model_files(weights_bytes=48 * 1024 * 1024))
        hub.behaviour.throttle_bps = 3 * 1024 * 1024  # ~16 s for the weights
        update_settings(hub_endpoint=hub.url)  # in the temporary LOGLINE_HOME
        dialog = s.window.open_models_dialog(entry.id)
        dialog.resize(1000, 560)
        yield s.pause(300)
        dialog.downloads.download_button.click()
        served = hub.served
        yield s.until(lambda: served["model.safetensors"] > 18 * 1024 * 1024, 120, "a download")
        yield s.pause(700)  # the progress row, speed and time left repainted
        s.save("models-download", dialog)
        ended = s.signal(dialog.downloadEnded, 30, "the download cancelled")
        dialog.downloads.cancel()
        yield ended
        dialog.close()
    finally:
        hub.stop()


def shot_settings(s: Session) -> Shot:
    """The Settings window (Edit > Settings…), when this build has one."""
    from PySide6.QtWidgets import QApplication, QDialog

    action = s.window.menu_actions.get("settings")
    if action is None:
        s.skip("no Settings window in this build")
    before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
    action.trigger()
    yield s.pause(600)
    opened = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QDialog) and w.isVisible() and id(w) not in before
    ]
    if not opened:
        s.skip("Settings… opened no window")
    s.save("settings", opened[0])
    opened[0].close()


SHOTS: dict[str, Callable[[Session], Shot]] = {
    "empty": shot_empty,
    "screenplay": shot_screenplay,
    "chat": shot_chat,
    "dark": shot_dark,
    "history": shot_history,
    "map-progress": shot_map_progress,
    "models-download": shot_models_download,
    "settings": shot_settings,
}


# -- the director: runs the shots one after another on the event loop -----------------------


class TimedOut(Exception):
    """What a shot waited for did not happen in time (thrown into the shot at its wait)."""


class Director:
    """Resumes each shot's generator when what it waits for is there (polled by a QTimer); a
    wait that times out is thrown into the shot. After each shot the window is made idle."""

    def __init__(self, session: Session, shots: list[str]) -> None:
        from PySide6.QtCore import QTimer

        self.session = session
        self.queue: Iterator[str] = iter(shots)
        self.shot: Shot | None = None
        self.wait: Wait | None = None
        self.deadline = 0.0
        self.failed: list[str] = []
        self.skipped: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._next_shot()
        self.timer.start()

    def _run(self, name: str) -> Shot:
        """One shot, its skip or failure logged, then the window made idle."""
        log.info("shot %s", name)
        try:
            yield from SHOTS[name](self.session)
        except Skip as reason:
            log.info("skipped %s: %s", name, reason)
            self.skipped.append(name)
        except Exception:
            log.exception("shot %s failed", name)
            self.failed.append(name)
        yield from self.session.idle()  # whatever a stopped shot left running ends first

    def _next_shot(self) -> None:
        name = next(self.queue, "")
        if not name:
            self.timer.stop()
            self.shot = self.wait = None
            self.session.app.quit()
            return
        self.shot = self._run(name)
        self._step(lambda shot: next(shot))

    def _step(self, resume: Callable[[Shot], Wait]) -> None:
        assert self.shot is not None
        try:
            self.wait = resume(self.shot)
            self.deadline = time.monotonic() + self.wait.timeout_s
        except StopIteration:
            self._next_shot()
        except Exception:  # the clean-up itself failed: on to the next shot
            log.exception("cleaning up after a shot failed")
            self._next_shot()

    def _tick(self) -> None:
        wait = self.wait
        if wait is None or self.shot is None:
            return
        if wait.ready():
            self._step(lambda shot: next(shot))
        elif time.monotonic() > self.deadline:
            problem = TimedOut(f"{wait.what} did not happen in {wait.timeout_s:.0f} s")
            self._step(lambda shot: shot.throw(problem))


# -- setting up -----------------------------------------------------------------------------


def temporary_home(work: Path) -> Path:
    """A fresh LOGLINE_HOME, with the user's installed embedded model in it: its weights
    hard-linked where the two folders share a file system (else copied), its small files
    copied. Not a symbolic link: the model checks refuse links that leave a model's folder."""
    from logline import paths
    from logline.models.embedded import EMBEDDED_MODEL_ID
    from logline.models.registry import is_complete

    installed = paths.models_dir() / EMBEDDED_MODEL_ID  # before LOGLINE_HOME changes
    home = work / "home"
    os.environ["LOGLINE_HOME"] = str(home)
    if is_complete(installed):
        target = paths.models_dir() / EMBEDDED_MODEL_ID
        target.mkdir(parents=True)
        for item in installed.iterdir():
            if item.suffix == ".safetensors":
                try:
                    os.link(item, target / item.name)
                except OSError:  # another file system
                    shutil.copy2(item, target / item.name)
            else:
                shutil.copy2(item, target / item.name)
        log.info("the embedded model: %s (copied in)", installed)
    else:
        log.info("the embedded model is not installed: the app installs it on first use")
    return home


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    parser.add_argument("--only", help=f"comma-separated shots (default all: {', '.join(SHOTS)})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    for chatty in ("httpx", "httpx2", "httpcore", "huggingface_hub"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    shots = args.only.split(",") if args.only else list(SHOTS)
    unknown = [name for name in shots if name not in SHOTS]
    if unknown:
        log.error("unknown shot(s): %s", ", ".join(unknown))
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from logline.ui.launch import preflight

    problem = preflight()
    if problem:
        log.error("%s", problem)
        return 2
    work = Path(tempfile.mkdtemp(prefix="logline-screenshots-"))
    temporary_home(work)
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from logline import APP_NAME
    from logline.ui.main_window import MainWindow
    from logline.ui.style import follow_system

    app = QApplication([APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyle("Fusion")
    follow_system(app, "light")
    window = MainWindow()
    window.resize(WIDTH, HEIGHT)
    window.move(0, 0)
    window.show()
    session = Session(app, window, documents(work), args.out, work)
    director = Director(session, shots)
    director.start()
    app.exec()
    window.close()
    window.host.shutdown()
    window.loader.shutdown()
    log.info(
        "%d saved in %s; skipped: %s; failed: %s",
        len(session.saved),
        args.out,
        ", ".join(director.skipped) or "none",
        ", ".join(director.failed) or "none",
    )
    shutil.rmtree(work, ignore_errors=True)
    return 1 if director.failed else 0


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)  # as the app does: no interpreter teardown while the engine thread unwinds
