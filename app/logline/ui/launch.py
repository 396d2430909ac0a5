"""Start the app window: check the display first, then Qt, the window, the event loop.

The checks run before PySide6 is imported, because Qt answers a missing display or a missing
system library of its xcb plugin with ``abort()`` (a core dump, not an exception). Each failed check
prints one sentence to stderr and returns exit code 2.

``LOGLINE_SCREENSHOT=/path/shot.png`` saves a picture of the window after
``LOGLINE_SCREENSHOT_DELAY_MS`` (default 1500) and quits; with ``LOGLINE_SCREENSHOT_SUMMARIZE=1``
it first summarizes the opened document and takes the picture when the summary has finished.

``LOGLINE_REPORT_FIRST_PAINT=/path/paint.json`` (benchmarks, the cold-start test) writes when the
window was first painted and which modules were imported by then, and quits.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from logline import APP_NAME

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from logline.ui.main_window import MainWindow

log = logging.getLogger(__name__)

EXIT_OK, EXIT_NO_DISPLAY = 0, 2

NO_DISPLAY_MESSAGE = (
    "Logline needs a display: none was found (DISPLAY/WAYLAND_DISPLAY unset). "
    "Run it on a desktop, under xvfb-run, or set QT_QPA_PLATFORM=offscreen."
)

# Shared libraries Qt's xcb platform plugin links (PySide6 6.x), with the Debian/Ubuntu package
# that ships each one. Qt aborts when any is missing and blames only libxcb-cursor0.
XCB_PLUGIN_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libGL.so.1", "libgl1"),
    ("libEGL.so.1", "libegl1"),
    ("libfontconfig.so.1", "libfontconfig1"),
)


def _can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_xcb_packages() -> list[str]:
    """Debian packages whose libraries the xcb plugin needs and this system lacks."""
    return [package for soname, package in XCB_PLUGIN_LIBRARIES if not _can_load(soname)]


def _uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will try its xcb plugin: asked for, or the default under X11."""
    platform = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    wayland_session = bool(env.get("WAYLAND_DISPLAY")) and (
        env.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    )
    return bool(env.get("DISPLAY")) and not wayland_session


def preflight(env: Mapping[str, str] | None = None) -> str | None:
    """One sentence saying why Qt cannot start here, or None when it can (Linux checks only)."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    if not env.get("QT_QPA_PLATFORM") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY_MESSAGE
    if _uses_xcb(env):
        missing = missing_xcb_packages()
        if missing:
            return (
                "Qt's X11 (xcb) plugin cannot load its system libraries: install them with "
                f"`sudo apt-get install {' '.join(missing)}` (Debian/Ubuntu package names)."
            )
    return None


def install_exception_hooks() -> None:
    """Turn an exception nothing caught (on the GUI thread or any other) into one sentence on
    stderr and, on the GUI thread, in the window's error banner; its traceback goes to the log
    file only (:func:`logline.logs.unexpected`)."""
    from logline.logs import unexpected

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        sentence = unexpected(value, "the window's last action", log)
        _say(sentence)
        _show_in_window(sentence)

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread else "?"
        _say(unexpected(args.exc_value, f"the background task {name!r}", log))

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def _show_in_window(sentence: str) -> None:
    """Show ``sentence`` in each open Logline window's error banner (GUI thread only)."""
    try:
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            show_error = getattr(widget, "show_error", None)
            if callable(show_error) and widget.isVisible():
                show_error(sentence)
    except Exception:  # the hook must never raise: the sentence is on stderr and in the log
        log.debug("Could not show the error in the window", exc_info=True)


def _say(sentence: str) -> None:
    """The launcher's one line to a terminal when the window cannot open (no logging set up)."""
    sys.stderr.write(sentence + "\n")
    sys.stderr.flush()


def launch_gui(files: Sequence[str]) -> int:
    """Run the app window, opening ``files``; returns the process exit code."""
    problem = preflight()
    if problem is not None:
        _say(problem)
        return EXIT_NO_DISPLAY
    install_exception_hooks()
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        _say(f"Logline cannot load Qt (PySide6): {exc}.")
        return EXIT_NO_DISPLAY

    # Imported once Qt is known to load (above): the window's modules import Qt widgets.
    from logline.ui.settings_apply import launch_theme
    from logline.ui.style import follow_system

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyle("Fusion")
    follow_system(app, launch_theme())  # LOGLINE_THEME, else the Settings' theme
    window = show_window(app, files)
    code = app.exec()
    window.host.shutdown()
    window.loader.shutdown()
    return int(code)


def show_window(app: QApplication, files: Sequence[str]) -> MainWindow:
    """The app's window, shown, with ``files`` opened (several become a queue) and the files the
    system asks to open (macOS "Open With") routed to the same place."""
    from logline.ui.file_open_events import install_file_open_events
    from logline.ui.main_window import MainWindow

    window = MainWindow(confirm_close=True)  # closing mid-run asks first
    if os.environ.get("LOGLINE_REPORT_FIRST_PAINT"):
        _report_first_paint(window, os.environ["LOGLINE_REPORT_FIRST_PAINT"])
    window.show()
    window.file_open_events = install_file_open_events(app, window.open_files)
    shot = os.environ.get("LOGLINE_SCREENSHOT")
    if shot:
        _schedule_screenshot(window, shot, opening=bool(files))
    if files:
        window.open_files(files)
    return window


def _schedule_screenshot(window: MainWindow, path: str, *, opening: bool) -> None:
    """The ``LOGLINE_SCREENSHOT`` hook (docs, visual checks): grab the window, then quit.

    With ``LOGLINE_SCREENSHOT_SUMMARIZE=1`` and a file being opened, the summary runs first.
    """
    from PySide6.QtCore import QTimer

    delay = int(os.environ.get("LOGLINE_SCREENSHOT_DELAY_MS", "1500"))

    def shoot_later(*_args: object) -> None:
        QTimer.singleShot(delay, lambda: _save_screenshot(window, path))

    if os.environ.get("LOGLINE_SCREENSHOT_SUMMARIZE") == "1" and opening:
        window.presenter.finished.connect(shoot_later)
        window.documentOpened.connect(lambda _document: QTimer.singleShot(200, window.summarize))
        window.documentFailed.connect(shoot_later)
    elif opening:
        window.documentOpened.connect(shoot_later)
        window.documentFailed.connect(shoot_later)
    else:
        shoot_later()


def _save_screenshot(window: MainWindow, path: str) -> None:
    from PySide6.QtWidgets import QApplication

    if window.grab().save(path):
        log.info("Saved a screenshot of the window to %s", path)
    else:
        log.error("Could not save a screenshot to %s", path)
    window.close()
    QApplication.quit()


# -- the LOGLINE_REPORT_FIRST_PAINT hook (bench/bench_gui.py, tests/ui/test_cold_start.py) -----


def _report_first_paint(window: MainWindow, path: str) -> None:
    """At the window's first paint, write ``{"first_paint_unix": …, "modules": […]}`` (the time
    as ``time.time()``, the top-level modules imported by then) to ``path``, then quit."""
    import json
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted = time.time()
                window.removeEventFilter(self)
                modules = sorted({name.split(".")[0] for name in list(sys.modules)})
                report = {"first_paint_unix": painted, "modules": modules}
                with open(path, "w", encoding="utf-8") as handle:
                    json.dump(report, handle)
                QTimer.singleShot(0, QApplication.quit)
            return False

    window.installEventFilter(FirstPaint(window))
