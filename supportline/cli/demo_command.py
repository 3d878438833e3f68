"""``supportline demo --calls N``: fill a new database with fictitious calls and demo accounts."""

from __future__ import annotations

import argparse
from typing import Any

from supportline.cli.common import (
    Passwords,
    opened_database,
    password_stdin_option,
    positive_int,
    progress_line,
)
from supportline.gui_hooks import GuiHooks

DEMO_ACCOUNTS = "demo-operator, demo-adviser, demo-supervisor and demo-admin"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "demo",
        help="fill a new database with fictitious calls and one demo account per role",
        description=f"Fill a new database with fictitious calls and the accounts {DEMO_ACCOUNTS}. "
        "Refuses a database that holds real (non-demo) data.",
    )
    p.add_argument("--calls", required=True, type=positive_int, metavar="N", help="how many calls to make")
    p.add_argument("--seed", type=int, metavar="S", help="random seed, for the same data every time")
    password_stdin_option(p, "the demo accounts' password")
    p.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    # Imported here: the generator's word lists are only needed by this command.
    from supportline.services.demo import generate_demo

    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        password = passwords.read(f"Password for the demo accounts ({DEMO_ACCOUNTS})", confirm=True)
        with progress_line("generating demo calls") as progress:
            summary = generate_demo(
                db, calls=args.calls, password=password, seed=args.seed, progress=progress
            )
        where = db.describe()
    print(
        f"demo data in {where}: {summary.calls} calls in {summary.cases} cases, "
        f"{summary.persons} persons, in {summary.seconds:.1f} s"
    )
    if summary.users_created:
        print(f"demo accounts created: {', '.join(summary.users_created)}")
    return 0
