"""The ``supportline`` command: no subcommand starts the GUI, a subcommand runs the CLI.

A GUI start goes straight to ``ui.app.run`` without importing the CLI (which loads the database
layer and every service): the sign-in appears first and the rest loads behind it.
"""

from __future__ import annotations

import sys

from supportline.gui_hooks import is_gui_invocation


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if is_gui_invocation(args):
        from ui.app import run

        return run(args)
    from supportline import cli
    from ui import hooks

    return cli.main(args, gui=hooks.GUI_HOOKS)


if __name__ == "__main__":
    raise SystemExit(main())
