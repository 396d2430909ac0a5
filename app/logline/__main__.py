"""``logline`` / ``python -m logline``: the app window without arguments, CLI subcommands with."""

from __future__ import annotations

import logging
import os
import sys

from logline.cli import main as cli_main


def _launch_gui(files: list[str]) -> int:
    from logline.ui.launch import launch_gui  # lazy: Qt loads only when the window opens

    code = launch_gui(files)
    if code == 0:
        _exit_without_finalizing(code)
    return code


def _exit_without_finalizing(code: int) -> None:
    """Leave the process once the window has closed and the engine thread has stopped.

    After ``QThread.wait()`` returns, the OS thread that ran MLX can still be unwinding; if the
    interpreter finalizes in that moment, libstdc++ aborts the process (seen on Linux). Nothing
    is left to save at this point, so flush and exit without interpreter finalization.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> int:
    return cli_main(sys.argv[1:], launch_gui=_launch_gui)


if __name__ == "__main__":
    sys.exit(main())
