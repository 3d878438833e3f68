"""``supportline stats``: the figures for the calls opened from one day to another, printed.

Days are in the line's time zone, as for ``calls list`` and ``export``; the filters are the
export's. Figures are aggregates (no row per call), for supervisors and admins. ``--format json``
prints :func:`supportline.exports.figures.to_json`; the table format prints every figure as the
reports do, with the change against the previous period of the same length.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from supportline.cli.common import (
    Passwords,
    opened_database,
    password_stdin_option,
    printable,
    sign_in,
)
from supportline.cli.filters import add_filter_options, check_period, query_from_args
from supportline.exports import figures
from supportline.gui_hooks import GuiHooks


def register(commands: Any) -> None:
    p = commands.add_parser(
        "stats",
        help="print the figures (calls, cases, potential victims, routes, agencies, …) for a range of days",
    )
    add_filter_options(p)
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    password_stdin_option(p, "the user's password")
    p.set_defaults(handler=stats_command)


def stats_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    check_period(args)
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        result = figures.figures_for(db, actor, query_from_args(args, db, actor))
    if args.format == "json":
        json.dump(figures.to_json(result), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_tables(result, args)
    return 0


def write_tables(result: figures.Figures, args: argparse.Namespace) -> None:
    print(f"Figures for {args.first_day.isoformat()} to {args.last_day.isoformat()} ({result.zone})")
    shown = {k: v for k, v in result.filters.items() if k not in ("opened_from", "opened_to")}
    if shown:
        print("Filters: " + ", ".join(f"{k} = {v}" for k, v in shown.items()))
    for table in result.tables():
        print()
        print(table.title)
        print_figure_table(table)
        if table.note:
            print(f"({table.note})")


def print_figure_table(table: figures.Table) -> None:
    """Labels on the left, numbers right-aligned under their headings."""
    headers = list(table.columns)
    rows = [[_cell(table.key, i, c) for i, c in enumerate(row)] for row in table.rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def _cell(table: str, column: int, value: str | int | float) -> str:
    if column == 0:
        return printable(str(value), 60)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:+.1f}" if table == "change" else f"{value:.1f}"
    return printable(value) or "–"
