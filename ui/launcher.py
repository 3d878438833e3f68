"""The ``supportline`` command: no subcommand starts the GUI, a subcommand runs the CLI."""

from __future__ import annotations

import sys

from supportline import cli


def main(argv: list[str] | None = None) -> int:
    from ui import hooks

    return cli.main(sys.argv[1:] if argv is None else argv, gui=hooks.GUI_HOOKS)


if __name__ == "__main__":
    raise SystemExit(main())
