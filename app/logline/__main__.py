"""``logline`` / ``python -m logline``: the app window without arguments, CLI subcommands with."""

from __future__ import annotations

import sys


def main() -> int:
    from logline.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
