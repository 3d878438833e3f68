"""``supportline guidance check|list [DIR]``: check a folder of guidance templates, or list it.

Without DIR, the folder the settings name (``guidance_dir``), else the shipped samples.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from supportline import bootstrap
from supportline.cli.common import EXIT_FAILURE, print_table, printable
from supportline.enums import Route
from supportline.gui_hooks import GuiHooks
from supportline.guidance.loader import configured_dir, load_folder


def register(commands: Any) -> None:
    p = commands.add_parser("guidance", help="check or list the guidance templates")
    sub = p.add_subparsers(dest="guidance_command", metavar="SUBCOMMAND", required=True)
    check = sub.add_parser(
        "check", help="check every template; print each problem as file:line: message; exit 1 if any"
    )
    check.add_argument("dir", nargs="?", type=Path, help="the folder (default: the configured one)")
    check.set_defaults(handler=check_command)
    listing = sub.add_parser("list", help="list the templates that load")
    listing.add_argument("dir", nargs="?", type=Path, help="the folder (default: the configured one)")
    listing.set_defaults(handler=list_command)


def _folder(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    return configured_dir(bootstrap.load_environment().settings)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    folder = _folder(args)
    result = load_folder(folder)
    for problem in result.problems:
        print(printable(str(problem)))
    summary = f"{_plural(len(result.templates), 'template')}, {_plural(len(result.problems), 'problem')}"
    print(f"{summary} in {folder}")
    return EXIT_FAILURE if result.problems else 0


def list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    folder = _folder(args)
    result = load_folder(folder)
    rows = [
        [
            t.id,
            t.route.value,
            t.parent or "",
            t.version,
            t.reviewed.isoformat(),
            "yes" if t.sample else "no",
            t.title,
        ]
        for t in sorted(result.templates, key=lambda t: (list(Route).index(t.route), t.id))
    ]
    print_table(["id", "route", "parent", "version", "reviewed", "sample", "title"], rows)
    if result.problems:
        print(f"{_plural(len(result.problems), 'problem')}: run `supportline guidance check`")
    return 0
