"""``logline`` / ``python -m logline``: the app window without arguments, CLI subcommands with."""

from __future__ import annotations

import sys


def _launch_gui(files: list[str]) -> int:
    from logline.ui.launch import launch_gui

    return launch_gui(files)


def main() -> int:
    from logline.cli import main as cli_main

    return cli_main(sys.argv[1:], launch_gui=_launch_gui)


if __name__ == "__main__":
    sys.exit(main())
